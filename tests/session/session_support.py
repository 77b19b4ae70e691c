"""Helpers for session tests: a frozen-market check that the feed's books and closed bars equal the simulator's REST."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from kfeed import BAR_DTYPE
from kfeed.channel import ChannelPolicy
from kfeed.rest import RetryPolicy
from kfeed.session import Session, SessionOptions
from kfeed.sim import Simulator

SYMBOLS = ("005930", "000660", "005380", "035420", "247540", "086520")
"""KOSPI and KOSDAQ names that trade often in the simulator."""

CALM = {"start": "10:00:00", "rate": 0.5}
"""Simulator settings for session tests: mid-session at half the usual intensity, so that the in-process simulator
and the client share one event loop without starving each other on a loaded 2-core machine."""

FAST = SessionOptions(
    policy=ChannelPolicy(
        heartbeat_interval=0.3,
        missed_heartbeats=3,
        stall_timeout=3.0,
        request_timeout=1.0,
        reconnect=RetryPolicy(base_delay=0.1, max_delay=0.5),
    ),
    market_stall_timeout=3.0,
)
"""Timing that finds a dead peer within about a second, so fault tests stay short."""


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Polls ``predicate`` every 20 ms until it holds; fails the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_exchange_minutes(session: Session, minutes: float, timeout: float = 30.0) -> None:
    """Waits until the feed's exchange clock has moved ``minutes`` past where it is now (or first moves)."""
    await wait_until(lambda: session.feed.exchange_time > 0, timeout, "the first trade")
    target = session.feed.exchange_time + int(minutes * 60e9)
    await wait_until(lambda: session.feed.exchange_time >= target, timeout, f"{minutes} exchange minutes")


def exchange_ns(session: Session, hhmmssmm: int) -> int:
    """A simulator trade time (``HHMMSSmm``) on the session's trading date, as ns since the epoch."""
    day = session.feed.trading_date
    midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    seconds = hhmmssmm // 1_000_000 * 3600 + hhmmssmm // 10_000 % 100 * 60 + hhmmssmm // 100 % 100
    return int(midnight.timestamp()) * 10**9 + seconds * 10**9 + hhmmssmm % 100 * 10**7


def _market_of(code: str) -> str:
    return "kosdaq" if code in ("247540", "086520") else "kospi"


async def assert_books_equal_rest(session: Session, codes: Sequence[str]) -> None:
    """Every book in the feed equals the simulator's REST ``orderbook`` (market frozen, stream drained)."""
    for code in codes:
        rest = await session.rest.stocks.orderbook(_market_of(code), code)
        book = session.feed.book(code)
        levels = rest.levels
        np.testing.assert_array_equal(book["ask_price"][:levels], rest.ask_price, err_msg=f"{code} ask prices")
        np.testing.assert_array_equal(book["ask_qty"][:levels], rest.ask_qty, err_msg=f"{code} ask qty")
        np.testing.assert_array_equal(book["bid_price"][:levels], rest.bid_price, err_msg=f"{code} bid prices")
        np.testing.assert_array_equal(book["bid_qty"][:levels], rest.bid_qty, err_msg=f"{code} bid qty")
        assert int(book["ask_total"]) == rest.ask_total, code
        assert int(book["bid_total"]) == rest.bid_total, code


async def assert_closed_bars_equal_rest(session: Session, closed: np.ndarray, codes: Sequence[str]) -> int:
    """Every closed 1-min bar the feed produced equals REST ``intraday`` for that minute, and every REST bar within
    the span the feed covers is among them; returns bars checked.

    Backfilled corrections supersede the rows they replace: the last row for each (symbol, start) wins.
    """
    checked = 0
    for code in codes:
        sid = session.feed.symbol_id(code)
        mine = closed[closed["symbol"] == sid]
        latest: dict[int, np.void] = {}
        for row in mine:
            latest[int(row["start"])] = row
        rest = await session.rest.stocks.intraday(_market_of(code), code, cycle=60)
        by_end = {int(r["end_time"]): r for r in rest}
        for start, row in sorted(latest.items()):
            ref = by_end.get(int(row["end"]))
            assert ref is not None, f"{code} bar ending {int(row['end'])} is not in REST intraday"
            assert (float(row["open"]), float(row["high"]), float(row["low"]), float(row["close"])) == (
                float(ref["open"]),
                float(ref["high"]),
                float(ref["low"]),
                float(ref["close"]),
            ), f"{code} bar {start} OHLC"
            assert int(row["volume"]) == int(ref["volume"]), f"{code} bar {start} volume"
            checked += 1
        if latest:
            first_end, last_end = min(latest) + 60 * 10**9, max(int(row["end"]) for row in latest.values())
            mine_ends = {int(row["end"]) for row in latest.values()}
            missing = [end for end in by_end if first_end <= end <= last_end and end not in mine_ends]
            assert not missing, f"{code}: REST has bars ending {missing} that the feed never closed"
    return checked


def drain(reader: object) -> np.ndarray:
    """Every row a ring reader has, copied out, in order."""
    chunks = []
    while True:
        rows, _lost = reader.read()  # type: ignore[attr-defined]
        if len(rows) == 0:
            break
        chunks.append(rows.copy())
    return np.concatenate(chunks) if chunks else np.zeros(0, BAR_DTYPE)


async def frozen(sim: Simulator, session: Session) -> None:
    """Freezes the simulated market and waits until the session has applied everything sent before the freeze."""
    sim.pause()
    await session.sync()
