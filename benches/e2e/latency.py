"""Latency from the sender's write to the row being visible in kfeed's trades ring, on CLOCK_MONOTONIC.

The sender (another process) stamps `time.monotonic_ns()` just before writing each frame and saves the stamps by
frame index. The receiver is kfeed's production path: `WebSocketClient` reads socket bytes into a `FeedStream`,
whose `received` applies every frame of the read and stamps all rows of the read with one `recv_time` (wall-clock
ns, taken as it starts). The receiver stamps CLOCK_MONOTONIC before each read is applied and once more when
`received` (and the client's check for anything needing attention) has returned: that is when the read's rows are
visible to a reader, and every row of the read gets that stamp. TCP keeps order and every frame writes one row, so
frame i is ring row i. Each row is matched to its read by its `recv_time`, moved to CLOCK_MONOTONIC by the
wall-minus-monotonic offset (sampled before and after the run; they must agree within 20 µs); it must lie within
the read's two stamps and after the sender's stamp, which shows both processes used one clock.

A `Setup` says where the processes run: pinned to a core each (`sched_setaffinity`), the receiver under
SCHED_FIFO (it sleeps in epoll between reads, so it takes its core only when data arrives) or polling (its event
loop never sleeps), and how long the paced sender spins before each due time (0: it only sleeps).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from kfeed import Feed
from kfeed._kfeed import FeedStream
from kfeed.polling import busy_poll
from kfeed.wsclient import WebSocketClient

from benches.e2e.clients import INIT
from benches.e2e.procs import SenderProcess

__all__ = ["DEFAULT_SETUP", "LatencyRun", "Setup", "Stalls", "measure_latency", "measure_stalls", "placed"]

_TIMEOUT = 120.0
_FIFO_PRIORITY = 10
_OFFSET_TOLERANCE_NS = 20_000


def _wall_minus_monotonic() -> int:
    """CLOCK_REALTIME less CLOCK_MONOTONIC now, in ns (the closest of a few samples)."""
    samples = []
    for _ in range(5):
        first = time.monotonic_ns()
        wall = time.time_ns()
        second = time.monotonic_ns()
        samples.append((second - first, wall - (first + second) // 2))
    return min(samples)[1]


@dataclass(frozen=True, slots=True)
class Setup:
    """Where the sender and the receiver run, and how the paced sender waits."""

    name: str
    sender_cpu: int | None = None
    """The core the sender process is pinned to (None: anywhere)."""
    receiver_cpu: int | None = None
    """The core the receiving process is pinned to while it receives (None: anywhere)."""
    receiver_fifo: bool = False
    """Run the receiver under SCHED_FIFO (priority 10) while it receives."""
    spin_ns: int | None = None
    """The sender busy-waits this long before each due time (None: its default, 50 µs; 0: never)."""
    receiver_polls: bool = False
    """Keep the receiver's event loop polling (`kfeed.polling.busy_poll`, what `SessionOptions(busy_poll=True)`
    runs), so it never sleeps in epoll waiting for the next read: it costs the receiver's core all the time."""


DEFAULT_SETUP = Setup("default")
"""No pinning, normal scheduling, the sender's default spin."""


@dataclass(frozen=True, slots=True)
class LatencyRun:
    """Write-to-visible latencies of one paced stream, in ns."""

    target_rate: float
    """Frames/s asked of the sender (0: as fast as it can)."""
    achieved_rate: float
    """Frames/s the sender actually wrote."""
    latencies: np.ndarray
    reads: int
    """Socket reads that brought the frames."""

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in µs."""
        return float(np.percentile(self.latencies, q)) / 1e3

    def share_over(self, us: float) -> float:
        """The fraction of frames (in %) whose latency exceeded `us` µs."""
        return 100.0 * float(np.count_nonzero(self.latencies > us * 1e3)) / len(self.latencies)

    @property
    def max_us(self) -> float:
        """The largest latency in µs."""
        return float(self.latencies.max()) / 1e3


class _StampingClient(WebSocketClient):
    """kfeed's `WebSocketClient`, stamping CLOCK_MONOTONIC before and after each read is applied."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before: list[int] = []
        self.after: list[int] = []

    def buffer_updated(self, nbytes: int) -> None:
        """Applies one read (as `WebSocketClient` does) between two clock stamps."""
        self.before.append(time.monotonic_ns())
        super().buffer_updated(nbytes)
        self.after.append(time.monotonic_ns())


async def _receive(url: str, feed: Feed, polls: bool) -> _StampingClient:
    client = await _StampingClient.connect(url, FeedStream(feed))
    assert isinstance(client, _StampingClient)
    poller = asyncio.create_task(busy_poll(lambda: client.is_open)) if polls else None
    client.send_text(INIT)
    await asyncio.wait_for(client.wait_closed(), _TIMEOUT)
    if poller is not None:
        await poller
    client.stream.check()
    return client


@dataclass(frozen=True, slots=True)
class Stalls:
    """What a busy loop pinned to one core lost to everything else (hypervisor steal, other processes, interrupts)."""

    cpu: int
    seconds: float
    gaps: int
    """Times the loop saw the clock jump by more than the threshold between two reads of it."""
    lost_share: float
    """The fraction of the time (in %) spent in those gaps."""
    max_us: float


def measure_stalls(cpu: int, seconds: float = 2.0, threshold_ns: int = 50_000) -> Stalls:
    """Spins on core `cpu` for `seconds`, reading CLOCK_MONOTONIC, and sums the jumps over `threshold_ns`."""
    gaps: list[int] = []
    with placed(Setup("stall probe", receiver_cpu=cpu)):
        clock = time.monotonic_ns
        start = last = clock()
        end = start + int(seconds * 1e9)
        while last < end:
            now = clock()
            if now - last > threshold_ns:
                gaps.append(now - last)
            last = now
    total = last - start
    return Stalls(cpu, total / 1e9, len(gaps), 100.0 * sum(gaps) / total, max(gaps, default=0) / 1e3)


@contextmanager
def placed(setup: Setup) -> Iterator[None]:
    """Runs the block with this process pinned and scheduled as `setup` says for the receiver, then restores both."""
    affinity = os.sched_getaffinity(0)
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        if setup.receiver_cpu is not None:
            os.sched_setaffinity(0, {setup.receiver_cpu})
        if setup.receiver_fifo:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(_FIFO_PRIORITY))
        yield
    finally:
        os.sched_setscheduler(0, policy, param)
        os.sched_setaffinity(0, affinity)


def measure_latency(
    sender: SenderProcess, rate: float, frames: int, trading_date: dt.date, setup: Setup = DEFAULT_SETUP
) -> LatencyRun:
    """One paced tick stream of `frames` frames at `rate` frames/s (0: flat out); RuntimeError on any loss.

    The sender process must have been started pinned as `setup` says (`SenderProcess.start(cpu=...)`).
    """
    feed = Feed(trading_date=trading_date, trade_capacity=max(1 << 10, 1 << (frames - 1).bit_length()))
    reader = feed.trades_reader()
    with tempfile.TemporaryDirectory() as tmp:
        stamps_path = Path(tmp) / "sent.npy"
        url = sender.stream_url("tick", frames, rate, stamps_path, setup.spin_ns)
        offset = _wall_minus_monotonic()
        with placed(setup):
            client = asyncio.run(_receive(url, feed, setup.receiver_polls))
        drift = abs(_wall_minus_monotonic() - offset)
        if drift > _OFFSET_TOLERANCE_NS:
            raise RuntimeError(f"latency run: the wall clock moved {drift} ns against CLOCK_MONOTONIC")
        texts = int(client.stream.stats()["text_messages"])
        if texts != frames + 2:
            raise RuntimeError(f"latency run: received {texts - 2} of {frames} frames")
        sent = np.load(stamps_path)
    if client.stream.stats()["rows"] != frames:
        raise RuntimeError(f"latency run: {client.stream.stats()['rows']} rows written for {frames} frames")
    rows, lost = reader.read()
    if lost or len(rows) != frames:
        raise RuntimeError(f"latency run: ring holds {len(rows)} rows (lost {lost}) for {frames} frames")
    before, after = np.array(client.before, np.int64), np.array(client.after, np.int64)
    recv_time = rows["recv_time"] - offset
    read = np.searchsorted(before, recv_time, side="right") - 1
    if read.min() < 0 or not np.all(recv_time <= after[read]) or not np.all(recv_time >= sent):
        raise RuntimeError("latency run: stamps out of order: the two processes are not on one clock")
    seconds = (sent[-1] - sent[0]) / 1e9
    achieved = (frames - 1) / seconds if seconds > 0 else float("inf")
    return LatencyRun(rate, achieved, after[read] - sent, len(np.unique(read)))
