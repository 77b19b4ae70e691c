"""Every live endpoint against the simulator over a real socket: typed results equal the raw JSON they came from.

The simulator's market is driven deterministically from 15:39 to 18:05 KST (trades of the post-close and after-hours
sessions) and then stands still (its clock runs at 1/1000 speed), so typed and raw calls see the same state, and
every closing-time endpoint is released.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from kfeed.rest import RestClient, dtypes
from kfeed.rest.columns import Column, Table
from kfeed.rest.records import RECORD_TABLES

KST_OFFSET = np.timedelta64(9, "h")


def expected_value(column: Column, raw: Any, day: dt.date) -> Any:
    """The value a column must hold for the wire value ``raw``, computed independently of the client's decoder."""
    kind = column.kind
    if kind == "int":
        return int(float(str(raw)))
    if kind == "float":
        return float(str(raw))
    if kind == "code":
        return f"{raw:06d}" if isinstance(raw, int) else str(raw).split("*")[0]
    if kind == "text":
        return str(raw)
    if kind == "day":
        return dt.datetime.strptime(str(raw), "%Y%m%d").date()
    if kind == "bool":
        return raw in ("Y", "y", 1, "1", True)
    if kind == "side":
        return {1: -1, 2: 1}.get(int(raw), 0)
    if kind == "hhmmss":
        return expected_value(Column(column.name, "time", ()), int(raw) * 100, day)
    if kind == "time":
        value = int(raw)
        if value <= 0 or value >= 24_000_000:
            return 0
        text = f"{value:08d}"
        stamp = np.datetime64(f"{day.isoformat()}T{text[:2]}:{text[2:4]}:{text[4:6]}.{text[6:]}", "ns") - KST_OFFSET
        return int(stamp.astype(np.int64))
    raise AssertionError(kind)


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(actual, np.generic):
        actual = actual.item()
    return actual == expected


def assert_matches(get: Any, table: Table, raw: Mapping[str, Any], day: dt.date, *, at_least: int) -> None:
    """Every column whose wire key is in ``raw`` equals the independently converted raw value."""
    lower = {key.lower(): key for key in raw}
    checked = 0
    for column in table.columns:
        for level in range(column.levels or 1):
            names = [w.format(n=level + 1) for w in column.wire] if column.levels else list(column.wire)
            key = next((lower[n.lower()] for n in names if n.lower() in lower), None)
            if key is None or raw[key] is None:
                continue
            value = get(column.name)
            actual = value[level] if column.levels else value
            expected = expected_value(column, raw[key], day)
            assert same(actual, expected), f"{table.name}.{column.name}[{level}]: {actual!r} != {expected!r} ({key})"
            checked += 1
    assert checked >= at_least, f"{table.name}: only {checked} wire keys found in {sorted(raw)}"


def assert_record(record: Any, raw_result: Mapping[str, Any], day: dt.date, at_least: int) -> None:
    table = RECORD_TABLES[type(record)] if type(record).__name__ != "OrderBook" or record.levels == 10 else None
    table = table or dtypes.ORDERBOOK_DERIVATIVE
    assert_matches(lambda name: getattr(record, name), table, raw_result, day, at_least=at_least)


def assert_rows(rows: np.ndarray, table: Table, raw_rows: list[Mapping[str, Any]], day: dt.date, at_least: int):
    assert rows.dtype == table.dtype
    assert len(rows) == len(raw_rows) > 0
    for row, raw in zip(rows, raw_rows, strict=True):
        assert_matches(lambda name, row=row: row[name], table, raw, day, at_least=at_least)


@pytest_asyncio.fixture
async def late(sim_factory):
    """A simulator whose market ran 15:39-18:05 (post-close and after-hours trades) and then stands still."""
    sim = await sim_factory(seed=7, start="15:39:00", speed=0.001, rate=0.02)
    sim.market.advance_to(18_050_000, sim.hub)
    return sim


@pytest_asyncio.fixture
async def client(late, key):
    async with RestClient(late.url, key=key, trading_date=late.market.trading_date) as rest:
        yield rest


def codes_of(sim: Any, market: str, count: int) -> list[str]:
    return [issue.code for issue in sim.market.universe.stocks(market)[:count]]


async def test_stock_single_records(late, client):
    day = late.market.trading_date
    code = "005930"
    base = f"/v2/market/stocks/kospi/{code}"
    cases = [
        (client.stocks.master("kospi", code), "master", 20),
        (client.stocks.close_price("kospi", code), "closeprice", 8),
        (client.stocks.price("kospi", code), "price", 12),
        (client.stocks.orderbook("kospi", code), "orderbook", 40),
        (client.stocks.trade_ranking("kospi", code), "traderanking", 30),
    ]
    for call, operation, at_least in cases:
        record = await call
        raw = (await client.raw(f"{base}/{operation}"))["result"]
        assert_record(record, raw, day, at_least)
    assert (await client.raw(f"{base}/traderaking"))["result"] == raw
    price = await client.stocks.price("kospi", code)
    assert price.acc_volume > 0 and price.side != 0 and price.time > 0, "the market must have traded"

    summary = await client.stocks.market_index("kospi")
    assert_record(summary, (await client.raw("/v2/market/stocks/kospi/index"))["result"], day, 8)

    etf = next(i.code for i in late.market.universe.stocks("kospi") if i.kind == "etf")
    nav = await client.stocks.close_nav("kospi", etf)
    assert_record(nav, (await client.raw(f"/v2/market/stocks/kospi/{etf}/closenav"))["result"], day, 2)


async def test_selective_master_asks_only_the_named_items(late, client):
    values = await client.stocks.selective_master("kospi", "005930", ["prev_close", "week52_high", "listed_shares"])
    raw = (await client.raw("/v2/market/stocks/kospi/005930/selectivemaster", prevddClsprc=None, wk52HgstPrc=None,
                            listShrs=None))["result"]  # fmt: skip
    assert set(raw) >= {"prevddClsprc", "wk52HgstPrc", "listShrs"}
    assert values == {
        "prev_close": float(raw["prevddClsprc"]),
        "week52_high": float(raw["wk52HgstPrc"]),
        "listed_shares": int(raw["listShrs"]),
    }
    with pytest.raises(ValueError, match="unknown"):
        await client.stocks.selective_master("kospi", "005930", ["prevddClsprc"])


async def test_investors_issue_market_and_index(late, client):
    day = late.market.trading_date
    for flows, path in [
        (await client.stocks.investors("kospi", "005930"), "/v2/market/stocks/kospi/005930/investors"),
        (await client.stocks.market_investors("kospi"), "/v2/market/stocks/kospi/investors"),
        (await client.index.investors("kospi", "K1"), "/v2/market/index/kospi/K1/investors"),
    ]:
        raw = (await client.raw(path))["result"]
        assert flows.symbol == str(raw["isuSrtCd"])
        assert_rows(flows.rows, dtypes.INVESTOR_FLOW, raw["invstLists"], day, at_least=5)


async def test_lists_are_bare_and_complete(late, client):
    day = late.market.trading_date
    listing = await client.stocks.lists("kosdaq")
    raw = await client.raw("/v2/market/stocks/kosdaq/lists")
    assert "jsonrpc" not in raw and listing.trading_date == expected_value(Column("d", "day", ()), raw["trdDd"], day)
    assert len(listing.rows) == len(late.market.universe.stocks("kosdaq")) > 1000
    assert_rows(listing.rows, dtypes.ISSUE_LIST, raw["isuLists"], day, at_least=4)

    for kind in ("futures", "options"):
        family = getattr(client, kind)
        listing = await family.lists("kospi200")
        raw = await client.raw(f"/v2/market/{kind}/kospi200/lists")
        assert_rows(listing.rows, dtypes.ISSUE_LIST, raw["isuLists"], day, at_least=3)

    snapshot = await client.multiquote.lists("kospi")
    raw = await client.raw("/v2/market/multiquote/stocks/kospi/lists")
    assert_rows(snapshot.rows, dtypes.MARKET_SNAPSHOT, raw["isuLists"], day, at_least=4)
    assert snapshot.time == expected_value(Column("t", "time", ()), int(raw["trdTm"]) * 100, day)
    ohlc = await client.multiquote.ohlc_lists("kospi")
    raw = await client.raw("/v2/market/multiquote/stocks/kospi/ohlclists")
    assert_rows(ohlc.rows, dtypes.OHLC_SNAPSHOT, raw["isuLists"], day, at_least=5)


async def test_multiquote_batches_of_twenty(late, client):
    day = late.market.trading_date
    codes = codes_of(late, "kospi", 45)
    before = client.requests_sent
    prices = await client.multiquote.prices("kospi", codes)
    assert client.requests_sent - before == 3
    assert prices["symbol"].tolist() == codes
    books = await client.multiquote.orderbooks("kospi", codes)
    assert books["symbol"].tolist() == codes and books["ask_price"].shape == (45, 10)
    raw_prices: list[Any] = []
    raw_books: list[Any] = []
    for i in range(0, 45, 20):
        joined = ",".join(codes[i : i + 20])
        raw_prices += (await client.raw("/v2/market/multiquote/stocks/kospi/price", isuCd=joined))["result"]["isulist"]
        raw_books += (await client.raw("/v2/market/multiquote/stocks/kospi/orderbook", isuCd=joined))["result"][
            "isulist"
        ]
    assert_rows(prices, dtypes.PRICE, raw_prices, day, at_least=12)
    assert_rows(books, dtypes.ORDERBOOK_STOCK, raw_books, day, at_least=40)
    assert len(await client.multiquote.prices("kospi", [])) == 0


@pytest.mark.parametrize("kind", ["futures", "options"])
async def test_derivative_single_records(late, client, kind):
    day = late.market.trading_date
    universe = late.market.universe
    code = (universe.futures() if kind == "futures" else universe.options())[0].code
    family = getattr(client, kind)
    base = f"/v2/market/{kind}/kospi200/{code}"
    for record, operation, at_least in [
        (await family.master("kospi200", code), "master", 12),
        (await family.close_price("kospi200", code), "closeprice", 8),
        (await family.price("kospi200", code), "price", 10),
        (await family.orderbook("kospi200", code), "orderbook", 30),
    ]:
        assert_record(record, (await client.raw(f"{base}/{operation}"))["result"], day, at_least)
    book = await family.orderbook("kospi200", code)
    assert book.levels == 5


async def test_index_single_records(late, client):
    day = late.market.trading_date
    for record, operation, at_least in [
        (await client.index.close_index("kospi", "K1"), "closeindex", 8),
        (await client.index.index("kospi", "K1"), "index", 6),
        (await client.index.expected_index("kospi", "K1"), "prospectindex", 5),
        (await client.index.market_cap("kospi", "K1"), "marketcap", 4),
    ]:
        assert_record(record, (await client.raw(f"/v2/market/index/kospi/K1/{operation}"))["result"], day, at_least)


async def test_history_is_paged_oldest_first_without_duplicates(late, client):
    day = late.market.trading_date
    start = day - dt.timedelta(days=400)
    rows = await client.stocks.history("kospi", "005930", start)
    dates = rows["date"].astype("datetime64[D]")
    assert len(rows) > 200
    assert np.all(np.diff(dates.astype(np.int64)) > 0)
    assert rows["date"][-1].item() <= day and rows["date"][0].item() >= start

    raw_days: list[Any] = []
    window_end = day
    while window_end >= start:
        window_start = max(start, window_end - dt.timedelta(days=90))
        raw = await client.raw(
            "/v2/market/stocks/kospi/005930/history",
            trnsmCycleTpCd="D",
            inqStrtDd=window_start.strftime("%Y%m%d"),
            inqEndDd=window_end.strftime("%Y%m%d"),
            reqCnt=100,
        )
        raw_days += raw["result"]["hisLists"]
        window_end = window_start - dt.timedelta(days=1)
    raw_days.sort(key=lambda r: str(r.get("BzDd", r.get("trdDd"))))
    assert_rows(rows, dtypes.HISTORY, raw_days, day, at_least=7)

    newest = await client.stocks.history("kospi", "005930", start, limit=150)
    assert np.array_equal(newest, rows[-150:])
    weekly = await client.stocks.history("kospi", "005930", start, period="W")
    assert 50 < len(weekly) < 60
    future = await client.futures.history("kospi200", "K2FA001", start)
    assert len(future) == len(rows) and np.all(future["open_interest"] >= 0)
    index = await client.index.history("kospi", "K1", start, day)
    assert len(index) == len(rows)


async def test_foreign_history_and_short_selling(late, client):
    day = late.market.trading_date
    start = day - dt.timedelta(days=300)
    rows = await client.stocks.foreign_history("kospi", "005930", start)
    assert len(rows) > 100 and np.all(np.diff(rows["date"].astype(np.int64)) > 0)
    raw = await client.raw(
        "/v2/market/stocks/kospi/005930/foreignhistory",
        inqStrtDd=start.strftime("%Y%m%d"),
        inqEndDd=day.strftime("%Y%m%d"),
        reqCnt=100,
    )
    assert_rows(rows[-100:], dtypes.FOREIGN_HOLDING, raw["result"]["hisLists"][::-1], day, at_least=4)

    short_start = day - dt.timedelta(days=20)
    shorts = await client.stocks.short_selling("kospi", "005930", short_start)
    raw = await client.raw(
        "/v2/market/stocks/kospi/005930/shortsell",
        inqStrtDd=short_start.strftime("%Y%m%d"),
        inqEndDd=day.strftime("%Y%m%d"),
    )
    raw_rows = sorted(raw["result"]["hisLists"], key=lambda r: str(r.get("BzDd", r.get("trdDd"))))
    assert_rows(shorts, dtypes.SHORT_SELLING, raw_rows, day, at_least=4)
