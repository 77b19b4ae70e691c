"""Closed bars equal pandas' resample of the same trades; bars close on any symbol's traffic, with no flat fill."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from core_frames import DATE, exchange_ns, market_array, tick
from kfeed import BAR_BACKFILLED, BAR_DTYPE, BAR_GAP, Feed

CODES = ["005930", "000660", "035420", "035720", "051910"]


def hhmmssmm(cs: int) -> int:
    seconds, hundredths = divmod(cs, 100)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return ((hh * 100 + mm) * 100 + ss) * 100 + hundredths


def random_trades(seed: int) -> list[tuple[str, int, int, int]]:
    """(code, price, qty, HHMMSSmm) over about 25 minutes from 09:00, with quiet stretches and bursts."""
    rng = random.Random(seed)
    cs = 9 * 360_000
    out = []
    for _ in range(3000):
        cs += rng.choice([0, 1, 7, 40, 300, 2500]) if rng.random() < 0.9 else rng.randrange(5000, 20_000)
        out.append(
            (
                rng.choice(CODES[: rng.randrange(1, 6)]),
                1000 + 5 * rng.randrange(200),
                rng.randrange(1, 50),
                hhmmssmm(cs),
            )
        )
    return out


def read_all(reader) -> np.ndarray:
    parts = []
    while len(rows := reader.read()[0]):
        parts.append(np.array(rows))
    return np.concatenate(parts)


def pandas_bars(trades: list[tuple[str, int, int, int]], seconds: int) -> pd.DataFrame:
    df = pd.DataFrame(trades, columns=["symbol", "price", "qty", "hhmmssmm"])
    df["time"] = pd.to_datetime([exchange_ns(t) for t in df["hhmmssmm"]], unit="ns")
    df["price"] = df["price"].astype(float)
    df["value"] = df["price"] * df["qty"]
    grouped = df.set_index("time").groupby("symbol").resample(f"{seconds}s", closed="left", label="left")
    bars = grouped.agg(
        open=("price", "first"), high=("price", "max"), low=("price", "min"), close=("price", "last"),
        volume=("qty", "sum"), value=("value", "sum"), trades=("qty", "count"),
    )  # fmt: skip
    bars = bars[bars["trades"] > 0].reset_index()
    bars["start"] = bars["time"].astype("int64")
    bars["end"] = bars["start"] + seconds * 10**9
    return bars


@pytest.mark.parametrize(("interval", "seconds"), [("10s", 10), ("1m", 60), ("10m", 600)])
@pytest.mark.parametrize(("seed", "delay"), [(5, 0.0), (6, 1.0)])
def test_closed_bars_equal_pandas_resample(interval, seconds, seed, delay):
    trades = random_trades(seed)
    feed = Feed(trading_date=DATE, bar_close_delay=delay)
    reader = feed.bars(interval).reader()
    for i in range(0, len(trades), 50):
        feed.ingest(market_array(trades[i : i + 50]))
    closed = pd.DataFrame(read_all(reader))
    closed["symbol"] = [feed.symbol(int(s)) for s in closed["symbol"]]
    last = exchange_ns(trades[-1][3])
    expected = pandas_bars(trades, seconds)
    expected_closed = expected[expected["end"] + int(delay * 1e9) <= last]
    cols = ["symbol", "start", "end", "open", "high", "low", "close", "volume", "trades"]
    got = closed.sort_values(["start", "symbol"]).reset_index(drop=True)
    want = expected_closed.sort_values(["start", "symbol"]).reset_index(drop=True)
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    np.testing.assert_allclose(got["value"], want["value"], rtol=1e-12)
    assert (got["flags"] == 0).all()
    # The still-open bars equal pandas' last bins.
    current = pd.DataFrame(feed.bars(interval).current)
    current = current[current["trades"] > 0]
    open_bins = expected[expected["end"] > last].sort_values("symbol").reset_index(drop=True)
    assert sorted(feed.symbol(int(s)) for s in current["symbol"]) == list(open_bins["symbol"])
    assert (current["start"].to_numpy() == open_bins["start"].iloc[0]).all()
    assert feed.stats()["bars_closed"] >= len(got)


def test_bar_closes_on_another_symbols_trade_and_gaps_are_flagged():
    feed = Feed(trading_date=DATE)
    bars = feed.bars("10s")
    reader = bars.reader()
    feed.ingest(tick("005930", 9_000_000, 100, 1, 1))
    feed.ingest(tick("005930", 9_000_500, 101, 2, 5))  # gap: 1 + 2 != 5
    assert len(reader.read()[0]) == 0
    feed.ingest(tick("000660", 9_003_000, 50, 1, 1))  # 09:00:30 closes 005930's [09:00:00, 09:00:10)
    (bar,) = reader.read()[0]
    assert feed.symbol(int(bar["symbol"])) == "005930"
    assert (bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"], bar["trades"]) == (
        100,
        101,
        100,
        101,
        3,
        2,
    )
    assert bar["flags"] == BAR_GAP
    assert (bar["start"], bar["end"]) == (exchange_ns(9_000_000), exchange_ns(9_001_000))
    current = bars.current
    assert current["trades"][0] == 0 and current["start"][1] == exchange_ns(9_003_000)
    assert feed.stats()["gaps"] == 1
    # A gap dates from the symbol's previous trade: anything after it may be missing.
    assert feed.drain_events() == [("gap", "005930", 3, 5, exchange_ns(9_000_000))]


def test_late_trade_is_not_put_in_a_closed_bar():
    feed = Feed(trading_date=DATE)
    feed.ingest(market_array([("005930", 100, 1, 9_001_500)]))
    feed.ingest(market_array([("000660", 100, 1, 9_000_500)]))  # its 10 s bar ended before the clock
    assert feed.stats()["late_bar_trades"] == 1  # the 10 s series refused it; 1 min and 10 min took it
    assert feed.bars("10s").current["trades"].tolist() == [1, 0]
    assert feed.bars("1m").current["trades"].tolist() == [1, 1]


def test_mark_and_replace_bars_for_a_rest_backfill():
    feed = Feed(trading_date=DATE)
    reader = feed.bars("1m").reader()
    feed.ingest(tick("005930", 9_000_000, 100, 1, 1))
    feed.ingest(tick("005930", 9_020_000, 104, 1, 9))  # gap: 7 shares missing
    assert feed.mark_bars("1m", "005930", exchange_ns(9_000_000), exchange_ns(9_020_000), BAR_GAP) == 1
    (old,) = reader.read()[0]
    assert old["flags"] == BAR_GAP and old["volume"] == 1
    repaired = np.zeros(2, dtype=BAR_DTYPE)
    for row, (minute, close, volume) in zip(repaired, [(0, 101.0, 5), (1, 102.0, 3)], strict=True):
        row["start"] = exchange_ns(9_000_000 + minute * 10_000)
        row["end"] = exchange_ns(9_010_000 + minute * 10_000)
        row["open"] = row["high"] = row["low"] = row["close"] = close
        row["volume"], row["value"], row["trades"] = volume, close * volume, 2
    assert feed.replace_bars("1m", "005930", repaired) == 2
    assert old["close"] == 101.0 and old["flags"] == BAR_BACKFILLED  # the view handed out sees the repair in place
    (appended,) = reader.read()[0]
    assert appended["start"] == exchange_ns(9_010_000) and appended["flags"] == BAR_BACKFILLED
    bad = repaired.copy()
    bad["end"] += 1
    with pytest.raises(ValueError, match="aligned"):
        feed.replace_bars("1m", "005930", bad)
    empty = repaired.copy()
    empty["trades"][1] = 0
    with pytest.raises(ValueError, match="no trade"):
        feed.replace_bars("1m", "005930", empty)
    with pytest.raises(KeyError):
        feed.mark_bars("1m", "000660", 0, 1, BAR_GAP)
