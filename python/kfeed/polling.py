"""Busy polling: keep the event loop checking its sockets instead of sleeping in epoll between reads.

A loop that sleeps in epoll pays the kernel's and the hypervisor's wake-up time on every read that arrives while it
is idle (tens of µs on a VM core); one that keeps polling sees the data as soon as it lands, at the cost of a whole
core. This is what low-latency deployments do with a core set aside for the feed (see ``SessionOptions.busy_poll``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["busy_poll"]


async def busy_poll(running: Callable[[], bool]) -> None:
    """Keeps the running event loop runnable while ``running()`` is true, so each pass of its selector polls with a
    zero timeout and every other task still runs between passes. Cancel it, or let ``running()`` turn false, to stop.
    """
    while running():
        await asyncio.sleep(0)
