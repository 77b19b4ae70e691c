"""Session health: a small state machine that callbacks and awaiters can follow."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable

__all__ = ["Health", "HealthMonitor"]

log = logging.getLogger("kfeed.health")


class Health(enum.StrEnum):
    """How far the session's data can be trusted right now."""

    CONNECTING = "connecting"
    """Not yet live: snapshot, connect, init and subscribe are under way."""
    LIVE = "live"
    """Every stream is connected and subscribed, and no repair is pending."""
    RECOVERING = "recovering"
    """A stream is reconnecting or a detected gap is being repaired from REST."""
    DEGRADED = "degraded"
    """A stream keeps failing (auth refused, subscriptions refused, or reconnects exhausted): data may be stale."""
    CLOSED = "closed"
    """The session was closed."""


class HealthMonitor:
    """Holds the current :class:`Health`, calls listeners on every change, and lets coroutines wait for a state."""

    def __init__(self) -> None:
        self._state = Health.CONNECTING
        self._reason = "starting"
        self._listeners: list[Callable[[Health, str], None]] = []
        self._waiters: list[tuple[frozenset[Health], asyncio.Future[Health]]] = []
        self.transitions = 0
        """How many times the state changed."""

    @property
    def state(self) -> Health:
        """The current state."""
        return self._state

    @property
    def reason(self) -> str:
        """Why the session is in its current state."""
        return self._reason

    def subscribe(self, listener: Callable[[Health, str], None]) -> Callable[[], None]:
        """Calls ``listener(state, reason)`` on every change; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def set(self, state: Health, reason: str) -> None:
        """Moves to ``state``; a no-op when already there."""
        if state == self._state:
            return
        if self._state == Health.CLOSED:
            return
        log.info("health %s -> %s (%s)", self._state, state, reason)
        self._state, self._reason = state, reason
        self.transitions += 1
        for listener in list(self._listeners):
            try:
                listener(state, reason)
            except Exception:
                log.exception("health listener failed")
        waiting, self._waiters = self._waiters, []
        for wanted, future in waiting:
            if future.done():
                continue
            if state in wanted:
                future.set_result(state)
            else:
                self._waiters.append((wanted, future))

    async def wait_for(self, *states: Health, timeout: float | None = None) -> Health:
        """Returns once the state is one of ``states`` (at once if it already is; a state held only briefly still
        counts); raises ``TimeoutError`` after ``timeout`` seconds."""
        if self._state in states:
            return self._state
        future: asyncio.Future[Health] = asyncio.get_running_loop().create_future()
        self._waiters.append((frozenset(states), future))
        return await asyncio.wait_for(future, timeout)
