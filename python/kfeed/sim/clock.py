"""The simulator's exchange clock: Korean time of day on a trading date, running `speed` times the wall clock."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from kfeed.sim import krx

__all__ = ["KST", "SimClock"]

KST = datetime.timezone(datetime.timedelta(hours=9), "KST")
_LAST_CS = krx.cs_of(23, 59, 59, 99)


class SimClock:
    """Exchange time (KST) that runs `speed` times faster than the wall clock from `start` on `trading_date`.

    Time stops at 23:59:59.99 of the trading date: the simulator models one day.
    """

    def __init__(
        self,
        trading_date: datetime.date,
        start: datetime.time,
        speed: float = 1.0,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.trading_date = trading_date
        self.speed = float(speed)
        self.start_cs = krx.cs_of(start.hour, start.minute, start.second, start.microsecond // 10_000)
        self._wall = wall
        self._wall0 = wall()
        self._paused_at: float | None = None
        midnight = datetime.datetime.combine(trading_date, datetime.time(0), KST)
        self._midnight_ns = int(midnight.timestamp()) * 1_000_000_000

    @property
    def paused(self) -> bool:
        """True while the clock is stopped by :meth:`pause`."""
        return self._paused_at is not None

    def pause(self) -> None:
        """Stops exchange time where it is; a no-op when already paused."""
        if self._paused_at is None:
            self._paused_at = self._wall()

    def resume(self) -> None:
        """Lets exchange time run on from where :meth:`pause` stopped it."""
        if self._paused_at is not None:
            self._wall0 += self._wall() - self._paused_at
            self._paused_at = None

    def _elapsed(self) -> float:
        now = self._wall() if self._paused_at is None else self._paused_at
        return (now - self._wall0) * self.speed

    def cs(self) -> int:
        """Centiseconds since midnight of the current exchange time."""
        return min(self.start_cs + int(self._elapsed() * 100), _LAST_CS)

    def exchange_ns(self) -> int:
        """Exchange time as ns since the Unix epoch (KST = UTC+9)."""
        elapsed_ns = int(self._elapsed() * 1e9)
        return self._midnight_ns + min(self.start_cs * 10_000_000 + elapsed_ns, _LAST_CS * 10_000_000)

    def hhmmssmm(self) -> int:
        """Time of day as `HHMMSSmm`, e.g. 9000000 for 09:00:00.00."""
        return krx.cs_to_hhmmssmm(self.cs())
