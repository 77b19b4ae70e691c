"""Past and derived data: daily/weekly/monthly history, foreign holdings, short selling, investor flows, member
rankings, and the intraday-bar rule.

History is generated lazily per instrument, deterministic per (seed, code): a backward random walk over business
days that ends at the instrument's base price (the previous close) on the business day before the trading date.
"""

from __future__ import annotations

import datetime
import functools
import math
import random
import zlib
from collections.abc import Iterable
from typing import NamedTuple

from kfeed.sim import krx
from kfeed.sim.universe import IndexState, Issue

__all__ = [
    "INVESTOR_CODES",
    "MEMBERS",
    "Bar",
    "DayRow",
    "aggregate",
    "daily_rows",
    "index_daily_rows",
    "intraday_bars",
    "investor_split",
    "member_ranking",
]

HISTORY_DAYS = 750
"""Business days of history kept per instrument (about three years)."""

INVESTOR_CODES = tuple(f"{n:02d}" for n in range(1, 17))
MEMBERS = (
    "키움증권", "미래에셋증권", "한국투자증권", "NH투자증권", "삼성증권", "KB증권", "신한투자증권", "모간스탠리",
    "메릴린치", "JP모간", "골드만삭스", "UBS", "씨티그룹", "대신증권", "하나증권", "유안타증권",
)  # fmt: skip


class DayRow(NamedTuple):
    """One business day of an instrument (prices in units; index volume/value in shares/KRW)."""

    day: datetime.date
    open: int
    high: int
    low: int
    close: int
    volume: int
    value: int
    foreign_held: int
    short_volume: int
    lending_balance: int
    open_interest: int


class Bar(NamedTuple):
    """One intraday bar: `label` is the end time (cs) of a closed bar, or the last update of the still-open one."""

    label: int
    open: float
    high: float
    low: float
    close: float
    volume: int
    value: int
    acc_volume: int
    acc_value: int


def _rng(seed: int, code: str) -> random.Random:
    return random.Random(zlib.crc32(f"history:{seed}:{code}".encode()))


@functools.lru_cache(maxsize=128)
def daily_rows(seed: int, issue: Issue, trading_date: datetime.date) -> tuple[DayRow, ...]:
    """Business days before `trading_date` since listing, oldest first (recently asked instruments are cached;
    any other is regenerated, identically)."""
    days = [d for d in krx.calendar().last_n_before(trading_date, HISTORY_DAYS) if d >= issue.list_date]
    rng = _rng(seed, issue.code)
    tick = issue.tick
    close = issue.base
    mean_volume = float(issue.typical_volume) if issue.scale == 1 else 50_000.0 if issue.kind == "future" else 5_000.0
    held_ratio = rng.uniform(0.02, 0.55)
    rows: list[DayRow] = []
    for day in reversed(days):
        move = rng.gauss(0.0, 0.018)
        open_ = _grid(close * (1 - move * rng.random()), tick)
        high = max(open_, close, _grid(max(open_, close) * (1 + abs(rng.gauss(0, 0.008))), tick))
        low = min(open_, close, _grid(min(open_, close) * (1 - abs(rng.gauss(0, 0.008))), tick))
        volume = max(1, int(mean_volume * math.exp(rng.gauss(0, 0.5))))
        value = volume * (open_ + high + low + close) // 4 * issue.value_mult
        held = int(issue.shares * held_ratio)
        held_ratio = min(0.95, max(0.0, held_ratio + rng.gauss(0, 0.002)))
        short = int(volume * rng.uniform(0.0, 0.08)) if issue.scale == 1 else 0
        lending = int(issue.shares * rng.uniform(0.0, 0.03)) if issue.scale == 1 else 0
        interest = int(rng.uniform(50_000, 300_000)) if issue.kind == "future" else 0
        rows.append(DayRow(day, open_, high, low, close, volume, value, held, short, lending, interest))
        close = _grid(close / (1 + move), tick)
    rows.reverse()
    return tuple(rows)


@functools.lru_cache(maxsize=16)
def index_daily_rows(seed: int, index: IndexState, trading_date: datetime.date) -> tuple[DayRow, ...]:
    """An index's business days before `trading_date`, oldest first (prices in hundredths of a point)."""
    days = krx.calendar().last_n_before(trading_date, HISTORY_DAYS)
    rng = _rng(seed, index.code)
    close = round(index.base * 100)
    rows: list[DayRow] = []
    for day in reversed(days):
        move = rng.gauss(0.0, 0.011)
        open_ = round(close * (1 - move * rng.random()))
        high = max(open_, close) + round(abs(rng.gauss(0, 0.004)) * close)
        low = min(open_, close) - round(abs(rng.gauss(0, 0.004)) * close)
        volume = int(len(index.constituents) * 400 * math.exp(rng.gauss(0, 0.3)))  # thousands of shares
        value = int(volume * 30 * math.exp(rng.gauss(0, 0.2)))  # millions of KRW
        rows.append(DayRow(day, open_, high, low, close, volume, value, 0, 0, 0, 0))
        close = round(close / (1 + move))
    rows.reverse()
    return tuple(rows)


def aggregate(rows: Iterable[DayRow], cycle: str) -> list[DayRow]:
    """Daily rows (oldest first) as 'D', 'W' (ISO week) or 'M' rows, each labelled by its last business day."""
    if cycle == "D":
        return list(rows)
    periods: dict[tuple[int, int], list[DayRow]] = {}
    for row in rows:
        key = tuple(row.day.isocalendar())[:2] if cycle == "W" else (row.day.year, row.day.month)
        periods.setdefault(key, []).append(row)  # type: ignore[arg-type]
    out = []
    for group in periods.values():
        last = group[-1]
        out.append(
            DayRow(
                last.day,
                group[0].open,
                max(r.high for r in group),
                min(r.low for r in group),
                last.close,
                sum(r.volume for r in group),
                sum(r.value for r in group),
                last.foreign_held,
                sum(r.short_volume for r in group),
                last.lending_balance,
                last.open_interest,
            )
        )
    return out


def intraday_bars(
    points: Iterable[tuple[int, float, int, int]], cycle_cs: int, now_cs: int, start_cs: int, end_cs: int
) -> list[Bar]:
    """The vendor's intraday bars, newest first.

    `points` are (time cs, price, acc_volume, acc_value) in time order. A point at t belongs to the bar
    [start, start + cycle) with start = t - t % cycle (clock-aligned). A bar is closed once exchange time `now_cs`
    has reached its end and is then labelled by its end; the still-open bar is labelled by its last update. Bars with
    no point do not exist. A bar is in the window when start_cs <= its start and its label <= end_cs.
    """
    bars: list[Bar] = []
    current = -1
    o = h = lo = c = 0.0
    last_cs = acc_vol = acc_val = before_vol = before_val = 0
    prev_vol = prev_val = 0

    def close_bar() -> None:
        end = current + cycle_cs
        label = end if now_cs >= end else last_cs
        if current >= start_cs and label <= end_cs:
            bars.append(Bar(label, o, h, lo, c, acc_vol - before_vol, acc_val - before_val, acc_vol, acc_val))

    for cs, price, volume, value in points:
        bucket = cs - cs % cycle_cs
        if bucket != current:
            if current >= 0:
                close_bar()
            current = bucket
            o = h = lo = price
            before_vol, before_val = prev_vol, prev_val
        elif price > h:
            h = price
        elif price < lo:
            lo = price
        c = price
        last_cs, acc_vol, acc_val = cs, volume, value
        prev_vol, prev_val = volume, value
    if current >= 0:
        close_bar()
    bars.reverse()
    return bars


def investor_split(seed: int, code: str, volume: int, value: int) -> dict[str, tuple[int, int, int, int]]:
    """Per investor code: (ask volume, ask value, bid volume, bid value) of a day's `volume`/`value`.

    Leaf groups (01–07, 09, 10, 13, 14, 15) split the total on each side; 08 = institutions (01–07 + 13),
    11 = foreigners (14 + 15), 16 = other (09), 12 = grand total.
    """
    rng = _rng(seed, "investors:" + code)
    leaves = ("01", "02", "03", "04", "05", "06", "07", "09", "10", "13", "14", "15")
    out: dict[str, tuple[int, int, int, int]] = {}
    sides = []
    for _side in range(2):
        weights = [rng.uniform(0.2, 1.0) * (6.0 if leaf == "10" else 2.5 if leaf == "14" else 1.0) for leaf in leaves]
        total = sum(weights)
        vols = [int(volume * w / total) for w in weights]
        vols[leaves.index("10")] += volume - sum(vols)
        vals = [int(value * w / total) for w in weights]
        vals[leaves.index("10")] += value - sum(vals)
        sides.append((vols, vals))
    for n, leaf in enumerate(leaves):
        out[leaf] = (sides[0][0][n], sides[0][1][n], sides[1][0][n], sides[1][1][n])

    def total_of(codes: tuple[str, ...]) -> tuple[int, int, int, int]:
        rows = [out[c] for c in codes]
        return (sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows))

    out["08"] = total_of(("01", "02", "03", "04", "05", "06", "07", "13"))
    out["11"] = total_of(("14", "15"))
    out["16"] = out["09"]
    out["12"] = (volume, value, volume, value)
    return {code: out[code] for code in INVESTOR_CODES}


def member_ranking(seed: int, code: str, volume: int, value: int) -> list[tuple[str, int, int, str, int, int]]:
    """Top five members: (bid member, bid volume, bid value, ask member, ask volume, ask value), largest first."""
    rng = _rng(seed, "members:" + code)
    bid_members = rng.sample(MEMBERS, 5)
    ask_members = rng.sample(MEMBERS, 5)
    shares = sorted((rng.uniform(0.03, 0.3) for _ in range(10)), reverse=True)
    bid_shares, ask_shares = shares[0::2], shares[1::2]
    return [
        (
            bid_members[k],
            int(volume * bid_shares[k]),
            int(value * bid_shares[k]),
            ask_members[k],
            int(volume * ask_shares[k]),
            int(value * ask_shares[k]),
        )
        for k in range(5)
    ]


def _grid(price: float, tick: krx.TickFn) -> int:
    return max(tick(1), krx.round_down_to_tick(max(1, int(price)), tick))
