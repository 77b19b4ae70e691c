"""Lenient scalar coercion for Koscom REST values (protocol §6, §7).

The vendor sends numbers as strings and strings as numbers, drops leading zeros from codes and times, and appends
``*NNN`` suffixes to codes. Every converter here accepts all of those forms and maps a missing or empty value to a
fixed default instead of raising: ``0`` for integers, NaN for floats, ``""`` for text, NaT for dates.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kfeed.kst import KST, KST_OFFSET_NS

__all__ = [
    "KST",
    "SIGNAL_THRESHOLD",
    "clock_ns",
    "day_start_ns",
    "hhmmss_to_ns",
    "hhmmssmm_to_ns",
    "parse_day",
    "to_bool",
    "to_code",
    "to_day",
    "to_float",
    "to_int",
    "to_side",
    "to_text",
]

SIGNAL_THRESHOLD = 24_000_000
"""``trdTm`` values at or above this are market-operation signals (``31000000`` = regular close), not times."""

_EPOCH_DAY = dt.date(1970, 1, 1)
_NS_PER_DAY = 86_400 * 10**9


def to_float(value: Any) -> float:
    """A float from a number or numeric text (``"38,600"`` and ``" 308.70 "`` included); NaN when absent."""
    if value is None or isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "")
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def to_int(value: Any) -> int:
    """An integer from a number or numeric text (``"+350"``, ``"1,000"``, ``"12.0"``); 0 when absent or not numeric."""
    if value is None:
        return 0
    if isinstance(value, int):
        return int(value)
    number = to_float(value)
    if math.isnan(number) or math.isinf(number):
        return 0
    return int(number)


def to_text(value: Any) -> str:
    """Text from text or a number; ``""`` when absent."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def to_code(value: Any) -> str:
    """A short code: the ``*NNN`` suffix stripped, and a code sent as a number (``5930``) zero-padded to 6 digits."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):06d}"
    text = str(value).strip()
    star = text.find("*")
    if star >= 0:
        text = text[:star]
    if text.isdigit() and len(text) < 6:
        text = text.zfill(6)
    return text


def to_bool(value: Any) -> bool:
    """A flag from ``"Y"``/``"N"``, ``1``/``0`` or ``true``/``false``; False when absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return to_text(value).upper() in {"Y", "1", "TRUE", "T"}


def to_side(value: Any) -> int:
    """The aggressor side from ``lstAskbidTpCd``/``lstTrdTpCd``: vendor 1 → -1 (sell-initiated), 2 → +1, else 0."""
    code = to_int(value)
    if code == 1:
        return -1
    if code == 2:
        return 1
    return 0


def to_day(value: Any) -> dt.date | None:
    """A calendar date from ``YYYYMMDD`` as a number or text (``"2024-01-02"`` too); None when absent or invalid."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.date):
        return value
    digits = "".join(ch for ch in to_text(value) if ch.isdigit())
    if len(digits) != 8:
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def parse_day(value: dt.date | str | int) -> dt.date:
    """A caller-supplied date (``date``, ``"YYYYMMDD"``, ``"YYYY-MM-DD"`` or ``20240102``); ValueError if invalid."""
    day = to_day(value)
    if day is None:
        raise ValueError(f"not a date: {value!r}")
    return day


def day_start_ns(day: dt.date) -> int:
    """Nanoseconds since the Unix epoch at 00:00 KST of ``day``."""
    return (day - _EPOCH_DAY).days * _NS_PER_DAY - KST_OFFSET_NS


def clock_ns(value: Any) -> int:
    """Nanoseconds since midnight from ``HHMMSSmm`` (a number or text, leading zero optional); -1 if not a time.

    Zero (no trade yet) and market-operation signals (≥ 24000000) are not times.
    """
    number = to_int(value)
    if number <= 0 or number >= SIGNAL_THRESHOLD:
        return -1
    hours, rest = divmod(number, 1_000_000)
    minutes, rest = divmod(rest, 10_000)
    seconds, hundredths = divmod(rest, 100)
    if minutes >= 60 or seconds >= 60:
        return -1
    return ((hours * 60 + minutes) * 60 + seconds) * 10**9 + hundredths * 10**7


def hhmmssmm_to_ns(value: Any, day: dt.date) -> int:
    """Nanoseconds since the Unix epoch of the KST time ``HHMMSSmm`` on ``day``; 0 when it is not a time."""
    offset = clock_ns(value)
    if offset < 0:
        return 0
    return day_start_ns(day) + offset


def hhmmss_to_ns(value: Any, day: dt.date) -> int:
    """Nanoseconds since the Unix epoch of the KST time ``HHMMSS`` (no hundredths) on ``day``; 0 if not a time."""
    number = to_int(value)
    if number <= 0 or number >= SIGNAL_THRESHOLD // 100:
        return 0
    return hhmmssmm_to_ns(number * 100, day)
