"""Korea Exchange market rules: tick sizes, price limits, ISINs, session times and times of day; the trading calendar
is :mod:`kfeed.krx_calendar`'s (re-exported here).

Times of day are handled as *centiseconds since midnight* (`cs`, one `trdTm` hundredth) inside the simulator and
converted to the vendor's `HHMMSSmm` integers at the edge.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from kfeed.krx_calendar import BusinessCalendar, calendar

__all__ = [
    "AFTER_HOURS_END",
    "CLOSE_UNCROSS",
    "DERIV_CLOSE_CALL",
    "DERIV_CLOSE_UNCROSS",
    "DERIV_OPEN_CALL",
    "DERIV_OPEN_UNCROSS",
    "OPEN_CALL",
    "OPEN_UNCROSS",
    "POST_CLOSE",
    "POST_CLOSE_END",
    "STOCK_CLOSE_CALL",
    "BusinessCalendar",
    "MarketState",
    "calendar",
    "cs_of",
    "cs_to_hhmmssmm",
    "derivative_state",
    "hhmmssmm_to_cs",
    "isin_check_digit",
    "option_tick",
    "price_limits",
    "stock_isin",
    "stock_state",
    "stock_tick",
    "tick_down",
    "tick_up",
]

CS_PER_SECOND = 100

TickFn = Callable[[int], int]
"""A tick-size rule: grid step at a price (prices in integer units: KRW, or hundredths of a point)."""


def cs_of(hours: int, minutes: int, seconds: int = 0, hundredths: int = 0) -> int:
    """Centiseconds since midnight of a time of day."""
    return ((hours * 60 + minutes) * 60 + seconds) * CS_PER_SECOND + hundredths


def cs_to_hhmmssmm(cs: int) -> int:
    """`HHMMSSmm` integer of a centisecond time of day (9000000 for 09:00:00.00)."""
    seconds, hundredths = divmod(cs, CS_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return ((hour * 100 + minute) * 100 + second) * 100 + hundredths


def hhmmssmm_to_cs(value: int) -> int:
    """Centiseconds since midnight of an `HHMMSSmm` integer; raises ValueError on an impossible time."""
    hour, rest = divmod(value, 1_000_000)
    minute, rest = divmod(rest, 10_000)
    second, hundredths = divmod(rest, 100)
    if not (0 <= hour < 24 and minute < 60 and second < 60) or value < 0:
        raise ValueError(f"not an HHMMSSmm time of day: {value}")
    return cs_of(hour, minute, second, hundredths)


OPEN_CALL = cs_of(8, 30)
DERIV_OPEN_CALL = cs_of(8, 30)
DERIV_OPEN_UNCROSS = cs_of(8, 45)
OPEN_UNCROSS = cs_of(9, 0)
STOCK_CLOSE_CALL = cs_of(15, 20)
CLOSE_UNCROSS = cs_of(15, 30)
DERIV_CLOSE_CALL = cs_of(15, 35)
POST_CLOSE = cs_of(15, 40)
DERIV_CLOSE_UNCROSS = cs_of(15, 45)
POST_CLOSE_END = cs_of(16, 0)
AFTER_HOURS_END = cs_of(18, 0)


class MarketState:
    """`mkStatTpCd` values (protocol §6)."""

    NONE = 0
    OPENING_CALL = 1
    CONTINUOUS = 2
    VOLATILITY_INTERRUPTION = 3
    CLOSING_CALL = 4
    POST_CLOSE = 5
    AFTER_HOURS = 6
    CLOSED = 9


def stock_state(cs: int) -> int:
    """`mkStatTpCd` of the stock markets at a time of day (uncross instants belong to the session they open)."""
    if cs < OPEN_CALL:
        return MarketState.NONE
    if cs < OPEN_UNCROSS:
        return MarketState.OPENING_CALL
    if cs < STOCK_CLOSE_CALL:
        return MarketState.CONTINUOUS
    if cs < CLOSE_UNCROSS:
        return MarketState.CLOSING_CALL
    if cs < POST_CLOSE:
        return MarketState.NONE
    if cs < POST_CLOSE_END:
        return MarketState.POST_CLOSE
    if cs <= AFTER_HOURS_END:
        return MarketState.AFTER_HOURS
    return MarketState.CLOSED


def derivative_state(cs: int) -> int:
    """`mkStatTpCd` of the KOSPI200 futures and options markets at a time of day."""
    if cs < DERIV_OPEN_CALL:
        return MarketState.NONE
    if cs < DERIV_OPEN_UNCROSS:
        return MarketState.OPENING_CALL
    if cs < DERIV_CLOSE_CALL:
        return MarketState.CONTINUOUS
    if cs < DERIV_CLOSE_UNCROSS:
        return MarketState.CLOSING_CALL
    return MarketState.CLOSED


_STOCK_TICK_BOUNDS = (2_000, 5_000, 20_000, 50_000, 200_000, 500_000)
_STOCK_TICKS = (1, 5, 10, 50, 100, 500, 1_000)


def stock_tick(price: int) -> int:
    """KRX stock tick size (KRW) for a price, table in force since 2023-01-25."""
    return _STOCK_TICKS[bisect.bisect_right(_STOCK_TICK_BOUNDS, price)]


def etf_tick(price: int) -> int:
    """ETF/ETN/ELW tick size: 5 KRW at every price."""
    return 5


def future_tick(price: int) -> int:
    """KOSPI200 futures tick: 0.05 points, in hundredths of a point."""
    return 5


def option_tick(price: int) -> int:
    """KOSPI200 options tick in hundredths of a point: 0.01 below 10 points, 0.05 at or above."""
    return 1 if price < 1_000 else 5


def tick_up(price: int, tick: TickFn) -> int:
    """The next price on the grid above `price` (which must be on the grid)."""
    return price + tick(price)


def tick_down(price: int, tick: TickFn) -> int:
    """The next price on the grid below `price` (which must be on the grid)."""
    return price - tick(price - 1)


def round_down_to_tick(price: int, tick: TickFn) -> int:
    """The highest grid price at or below `price`."""
    step = tick(price)
    return price - price % step


def round_up_to_tick(price: int, tick: TickFn) -> int:
    """The lowest grid price at or above `price`."""
    down = round_down_to_tick(price, tick)
    return down if down == price else tick_up(down, tick)


def price_limits(base: int, tick: TickFn, percent: int = 30) -> tuple[int, int]:
    """(upper, lower) daily limits: `base` ± `percent` %, truncated inwards onto the tick grid (exact integers).

    >>> price_limits(53_000, stock_tick)
    (68900, 37100)
    """
    upper = round_down_to_tick(base * (100 + percent) // 100, tick)
    lower = round_up_to_tick(max(1, -(-base * (100 - percent) // 100)), tick)
    return upper, lower


def isin_check_digit(body: str) -> int:
    """ISO 6166 check digit of the first 11 ISIN characters (letters count as 10..35, then Luhn)."""
    digits = "".join(str(int(ch, 36)) for ch in body.upper())
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


_PREFERRED_ISIN_DIGIT = {"5": "1", "7": "2", "9": "3", "K": "4", "L": "5", "M": "6"}


def stock_isin(code: str, preferred: bool = False) -> str:
    """ISIN of a stock/ETF short code: `KR7` + code + `00` + check; a preferred share maps its last code
    character to its class digit (`005935` → `KR7005931001`)."""
    body_code = code[:5] + _PREFERRED_ISIN_DIGIT[code[5]] if preferred else code
    body = "KR7" + body_code + "00"
    return body + str(isin_check_digit(body))


def derivative_isin(code: str) -> str:
    """ISIN of an 8-character derivative short code: `KR4` + code + check digit."""
    body = "KR4" + code
    return body + str(isin_check_digit(body))


_YEAR_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # KRX skips I, O and U; A is 2006 and the cycle repeats


def derivative_year_letter(year: int) -> str:
    """KRX year letter of a derivative code (2018 → N, 2024 → V, 2026 → X)."""
    return _YEAR_LETTERS[(year - 2006) % len(_YEAR_LETTERS)]


def derivative_month_letter(month: int) -> str:
    """KRX month character of a derivative code: 1–9, then A, B, C."""
    return "123456789ABC"[month - 1]
