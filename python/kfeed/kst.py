"""Korean exchange time: turning kfeed's ns-since-epoch timestamps into KST wall-clock values for display."""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["KST", "KST_OFFSET_NS", "kst_clock", "kst_datetime64", "kst_time_of_day"]

KST = dt.timezone(dt.timedelta(hours=9), "KST")
"""Korea Standard Time (UTC+9; no daylight saving)."""
KST_OFFSET_NS = 9 * 3_600 * 10**9
"""KST's offset from UTC in ns."""
_NS = 10**9


def kst_datetime64(ns: int) -> np.datetime64:
    """The KST wall-clock time of a timestamp, as a naive ``datetime64[ns]``."""
    return np.datetime64(int(ns) + KST_OFFSET_NS, "ns")


def kst_time_of_day(ns: int) -> dt.time:
    """The KST time of day of a timestamp, to the second."""
    seconds = (int(ns) + KST_OFFSET_NS) // _NS % 86_400
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def kst_clock(ns: int) -> str:
    """The KST time of day of a timestamp as ``HH:MM:SS.mmm``; dashes for 0 (no time)."""
    if ns <= 0:
        return "--:--:--.---"
    ms = (int(ns) + KST_OFFSET_NS) // 1_000_000 % 86_400_000
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
