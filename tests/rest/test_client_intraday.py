"""Intraday bars paged past the 100-row cap against a fast-running simulator, and the blocking client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest_asyncio
from kfeed.rest import RestClient, SyncRestClient, dtypes
from kfeed.sim import DEFAULT_KEY, SimConfig, SimProcess

WINDOW_END = 9_250_000  # the market runs to 09:25:00; the test reads bars ending by 09:20:00


@pytest_asyncio.fixture
async def busy(sim_factory):
    """A simulator whose market ran 09:00-09:25 (deterministically) and then stands still."""
    sim = await sim_factory(seed=7, start="09:00:00", speed=0.001, rate=0.02)
    sim.market.advance_to(WINDOW_END, sim.hub)
    return sim


def busiest(sim: Any, issues: list[Any]) -> str:
    return max(issues, key=lambda issue: len(sim.market.trades(issue.code))).code


async def raw_bars(client: RestClient, path: str, day: dt.date, windows: list[tuple[str, str]]) -> list[Any]:
    """Bars from several small raw calls (each under the cap), merged by end time, oldest first."""
    merged: dict[int, Any] = {}
    for start, end in windows:
        body = await client.raw(
            path, inddCycleTpCd=10, inqStrtDd=day.strftime("%Y%m%d"), strtTm=start, endTm=end, reqCnt=100
        )
        rows = body["result"]["hisLists"]
        assert len(rows) < 100
        for row in rows:
            merged[int(row["inddTm"])] = row
    return [merged[key] for key in sorted(merged)]


def assert_same_bars(bars: np.ndarray, raw: list[Any], day: dt.date) -> None:
    expected = dtypes.INTRADAY.array(raw, day)
    assert len(bars) == len(expected) > 100
    for name in ("end_time", "open", "high", "low", "close", "volume", "acc_volume"):
        np.testing.assert_array_equal(bars[name], expected[name], err_msg=name)
    assert np.all(np.diff(bars["end_time"]) > 0)


async def test_intraday_pages_past_100_bars(busy):
    day = busy.market.trading_date
    async with RestClient(busy.url, key=DEFAULT_KEY, trading_date=day) as client:
        code = busiest(busy, busy.market.universe.stocks("kospi")[:40])
        bars = await client.stocks.intraday("kospi", code, cycle=10, start="0900", end="0920")
        windows = [(f"09{m:02d}", f"09{m + 5:02d}") for m in range(0, 20, 5)]
        assert_same_bars(bars, await raw_bars(client, f"/v2/market/stocks/kospi/{code}/intraday", day, windows), day)
        assert bars["end_time"][-1] <= np.datetime64(f"{day}T00:20:00", "ns").astype(np.int64)
        assert np.array_equal(await client.stocks.intraday("kospi", code, cycle=10, start="0900", end="0920",
                                                           limit=30), bars[-30:])  # fmt: skip

        future = busiest(busy, busy.market.universe.futures())
        bars = await client.futures.intraday("kospi200", future, cycle=10, start="090000", end="092000")
        windows = [(f"09{m:02d}00", f"09{m + 5:02d}00") for m in range(0, 20, 5)]
        path = f"/v2/market/futures/kospi200/{future}/intraday"
        assert_same_bars(bars, await raw_bars(client, path, day, windows), day)

        index = await client.index.intraday("kospi", "K1", cycle=10, start="0900", end="0920")
        assert len(index) > 100 and np.all(np.diff(index["end_time"]) > 0)


def test_sync_client_against_a_simulator_process():
    with (
        SimProcess.start(SimConfig(seed=7, start="18:05:00")) as proc,
        SyncRestClient(proc.url, key=DEFAULT_KEY) as client,
    ):
        price = client.stocks.price("kospi", "005930")
        raw = client.raw("/v2/market/stocks/kospi/005930/price")["result"]
        assert (price.symbol, price.price, price.acc_volume) == ("005930", float(raw["trdPrc"]), raw["accTrdvol"])
        codes = [row["isuSrtCd"] for row in client.raw("/v2/market/stocks/kospi/lists")["isuLists"][:25]]
        assert client.multiquote.prices("kospi", codes)["symbol"].tolist() == codes
        assert client.requests_sent == 5
        assert "l7xx" not in repr(client) and DEFAULT_KEY not in repr(client.stocks)
    client.close()
