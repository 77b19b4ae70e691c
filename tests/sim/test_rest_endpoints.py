"""REST over a real socket: every endpoint family's fields and types, envelopes, limits and parameter errors."""

from __future__ import annotations

import aiohttp
import pytest
from kfeed.sim import DEFAULT_KEY

PRICE_KEYS = {
    "isuSrtCd", "trdPrc", "trdvol", "trdTm", "cmpprevddTpCd", "cmpprevddPrc", "opnprc", "hgprc", "lwprc",
    "accTrdvol", "accTrdval", "lstAskbidTpCd", "askordPrc_1", "bidordPrc_1",
}  # fmt: skip
ORDERBOOK_KEYS = (
    {"isuSrtCd", "accTrdvol", "askordTotRqty", "bidordTotRqty", "pstoffhrAskTotOrdRqty", "pstoffhrBidTotOrdRqty"}
    | {"deemTrdPrc", "deemTrdvol", "deemAccTrdvol"}
    | {f"{side}Step{n}Bstord{what}" for side in ("ask", "bid") for n in range(1, 11) for what in ("Prc", "Rqty")}
)
INTRADAY_ROW = {
    "inddTm", "inddOpnprc", "inddHgprc", "inddLwprc", "inddClsprc", "inddTrdvol", "inddTrdval", "inddAccTrdvol",
    "inddAccTrdval",
}  # fmt: skip
HISTORY_ROW = {"BzDd", "trdPrc", "cmpprevddTpCd", "cmpprevddPrc", "opnprc", "hgprc", "lwprc", "accTrdvol", "accTrdval"}
RANKING_KEYS = {
    f"{side}{what}Mbr{k}"
    for k in range(1, 6)
    for side in ("bid", "ask")
    for what in ("Trd", "TrdVol", "TrdAmt", "TrdPrc", "TrdWt")
}


async def get(http: aiohttp.ClientSession, sim_url: str, path: str, **params: str) -> tuple[int, dict, dict]:
    """GET with the default key in a header; (status, body, headers)."""
    async with http.get(sim_url + path, params=params, headers={"apikey": DEFAULT_KEY}) as response:
        return response.status, await response.json(), dict(response.headers)


async def result(http: aiohttp.ClientSession, sim_url: str, path: str, **params: str) -> dict:
    """The `result` of an enveloped 200 answer."""
    status, body, _ = await get(http, sim_url, path, **params)
    assert status == 200, body
    assert set(body) == {"jsonrpc", "result"} and body["jsonrpc"] == "2.0", body
    return body["result"]


async def test_stock_lists_are_bare_and_realistic(sim, http):
    status, body, _ = await get(http, sim.url, "/v2/market/stocks/kospi/lists")
    assert status == 200
    assert "jsonrpc" not in body and {"trdDd", "mktEndTm", "isuLists"} <= set(body)
    kospi = body["isuLists"]
    assert 850 <= len(kospi) <= 1050
    assert all({"isuSrtCd", "isuCd", "isuKorNm", "isuKorAbbr", "map_to"} <= set(row) for row in kospi)
    codes = {row["isuSrtCd"] for row in kospi}
    assert {"005930", "000660", "005380", "035420", "035720", "051910"} <= codes
    _, kosdaq, _ = await get(http, sim.url, "/v2/market/stocks/kosdaq/lists")
    assert 1600 <= len(kosdaq["isuLists"]) <= 1900


async def test_price_and_orderbook_records(sim, http):
    price = await result(http, sim.url, "/v2/market/stocks/kospi/005930/price")
    assert set(price) == PRICE_KEYS
    assert price["isuSrtCd"] == "005930"
    for name in ("trdPrc", "opnprc", "hgprc", "lwprc", "accTrdvol", "accTrdval", "askordPrc_1", "bidordPrc_1"):
        assert isinstance(price[name], int), name
    book = await result(http, sim.url, "/v2/market/stocks/kospi/005930/orderbook")
    assert set(book) == ORDERBOOK_KEYS
    asks = [book[f"askStep{n}BstordPrc"] for n in range(1, 11)]
    bids = [book[f"bidStep{n}BstordPrc"] for n in range(1, 11)]
    assert asks == sorted(asks) and bids == sorted(bids, reverse=True) and bids[0] < asks[0]


async def test_master_selectivemaster_and_closing_data_gate(sim, http):
    master = await result(http, sim.url, "/v2/market/stocks/kospi/005930/master")
    assert {"isuSrtCd", "isuCd", "basPrc", "prevddClsprc", "uplmtprc", "lwlmtprc", "listShrs"} <= set(master)
    assert master["isuCd"] == "KR7005930003"
    chosen = await result(http, sim.url, "/v2/market/stocks/kospi/005930/selectivemaster?prevddClsprc&wk52HgstPrc")
    assert set(chosen) >= {"prevddClsprc", "wk52HgstPrc"} and "listShrs" not in chosen
    status, body, _ = await get(http, sim.url, "/v2/market/stocks/kospi/005930/closeprice")
    assert (status, body) == (400, {"error": "당일 종가 제공 시간이 아닙니다."})


async def test_market_wide_index_traderanking_both_spellings(sim, http):
    index = await result(http, sim.url, "/v2/market/stocks/kospi/index")
    assert {"isuSrtCd", "isuCnt", "trdPrc", "opnprc", "hgprc", "lwprc", "accTrdvol", "mktcap"} <= set(index)
    ranking = await result(http, sim.url, "/v2/market/stocks/kospi/005930/traderanking")
    assert set(ranking) >= RANKING_KEYS
    assert await result(http, sim.url, "/v2/market/stocks/kospi/005930/traderaking") == ranking


async def test_history_rows_newest_first_and_capped(sim, http):
    body = await result(
        http, sim.url, "/v2/market/stocks/kospi/005930/history",
        trnsmCycleTpCd="D", inqStrtDd="20200101", inqEndDd=sim.market.clock.trading_date.strftime("%Y%m%d"),
        reqCnt="500",
    )  # fmt: skip
    rows = body["hisLists"]
    assert len(rows) == 100
    assert all(set(row) >= HISTORY_ROW for row in rows)
    days = [int(row["BzDd"]) for row in rows]
    assert days == sorted(days, reverse=True)
    few = await result(
        http, sim.url, "/v2/market/stocks/kospi/005930/history",
        trnsmCycleTpCd="W", inqStrtDd="20200101", inqEndDd=str(days[0]), reqCnt="3",
    )  # fmt: skip
    assert len(few["hisLists"]) == 3


async def test_foreignhistory_capped_at_100_rows(sim, http):
    end = sim.market.clock.trading_date.strftime("%Y%m%d")
    body = await result(
        http, sim.url, "/v2/market/stocks/kospi/005930/foreignhistory", inqStrtDd="20200101", inqEndDd=end,
        reqCnt="101",
    )  # fmt: skip
    assert len(body["hisLists"]) == 100
    assert {"BzDd", "FornHdVol", "cmpprevddFornHdVol", "FornHdVolRt"} <= set(body["hisLists"][0])


async def test_multiquote_lists_envelopes_and_20_code_cap(sim, http):
    status, lists, _ = await get(http, sim.url, "/v2/market/multiquote/stocks/kospi/lists")
    assert status == 200 and "jsonrpc" not in lists
    assert {"trdDd", "trdTm", "isuLists"} <= set(lists)
    assert {"isuSrtCd", "trdPrc", "accTrdvol", "accTrdval"} <= set(lists["isuLists"][0])
    status, ohlc, _ = await get(http, sim.url, "/v2/market/multiquote/stocks/kospi/ohlclists")
    assert status == 200 and "jsonrpc" not in ohlc
    assert {"isuSrtCd", "opnprc", "hgprc", "lwprc", "trdPrc"} <= set(ohlc["isuLists"][0])
    codes = [row["isuSrtCd"] for row in lists["isuLists"][:21]]
    price = await result(http, sim.url, "/v2/market/multiquote/stocks/kospi/price", isuCd=",".join(codes[:20]))
    assert [row["isuSrtCd"] for row in price["isulist"]] == codes[:20]
    assert all(set(row) == PRICE_KEYS for row in price["isulist"])
    book = await result(http, sim.url, "/v2/market/multiquote/stocks/kospi/orderbook", isuCd=",".join(codes[:2]))
    assert all(set(row) == ORDERBOOK_KEYS for row in book["isulist"])
    status, body, _ = await get(http, sim.url, "/v2/market/multiquote/stocks/kospi/price", isuCd=",".join(codes))
    assert status == 400 and body["error"]["code"] == 10030


async def test_futures_and_options(sim, http):
    for kind in ("futures", "options"):
        status, lists, _ = await get(http, sim.url, f"/v2/market/{kind}/kospi200/lists")
        assert status == 200 and "jsonrpc" not in lists
        code = lists["isuLists"][0]["isuSrtCd"]
        assert len(code) == 8
        master = await result(http, sim.url, f"/v2/market/{kind}/kospi200/{code}/master")
        assert {"isuSrtCd", "isuCd", "expDd", "setlmult", "basPrc", "prcLmtStep1Uplmtprc"} <= set(master)
        price = await result(http, sim.url, f"/v2/market/{kind}/kospi200/{code}/price")
        assert {"isuSrtCd", "trdPrc", "trdvol", "trdTm", "accTrdvol", "realtmUplmtprc"} <= set(price)
        book = await result(http, sim.url, f"/v2/market/{kind}/kospi200/{code}/orderbook")
        assert "askStep5BstordCnt" in book and "askStep6BstordPrc" not in book
        assert {"askTotOrdRqty", "bidTotOrdRqty", "ordAcptTm"} <= set(book)
        status, _, _ = await get(http, sim.url, f"/v2/market/{kind}/kospi200/{code}/closeprice")
        assert status == 400


async def test_index_family(sim, http):
    base = "/v2/market/index/kospi/K1"
    value = await result(http, sim.url, f"{base}/index")
    assert {"isuSrtCd", "trdPrc", "cmpprevddTpCd", "accTrdvol", "trdTm"} <= set(value)
    assert isinstance(value["trdPrc"], float)
    prospect = await result(http, sim.url, f"{base}/prospectindex")
    assert {"isuSrtCd", "deemTm", "deemTrdPrc"} <= set(prospect)
    cap = await result(http, sim.url, f"{base}/marketcap")
    assert {"isuSrtCd", "isuCnt", "listShrs", "mktcap"} <= set(cap)
    end = sim.market.clock.trading_date.strftime("%Y%m%d")
    history = await result(http, sim.url, f"{base}/history", trnsmCycleTpCd="M", inqStrtDd="20200101", inqEndDd=end)
    assert history["hisLists"] and len(history["hisLists"]) <= 100


async def test_released_closing_data_after_hours(sim_factory, http):
    sim = await sim_factory(start="18:30:00", speed=1.0)
    close = await result(http, sim.url, "/v2/market/stocks/kospi/005930/closeprice")
    assert {"isuSrtCd", "trdPrc", "opnprc", "hgprc", "lwprc", "accTrdvol", "accTrdval"} <= set(close)
    investors = await result(http, sim.url, "/v2/market/stocks/kospi/005930/investors")
    codes = {row["invstCd"] for row in investors["invstLists"]}
    assert {"01", "10", "11", "12"} <= codes
    day = sim.market.clock.trading_date.strftime("%Y%m%d")
    short = await result(http, sim.url, "/v2/market/stocks/kospi/005930/shortsell", inqStrtDd="20200101", inqEndDd=day)
    assert {"BzDd", "srtsellTrdVol", "lendBalQty"} <= set(short["hisLists"][0])
    await result(http, sim.url, "/v2/market/stocks/kospi/investors")
    await result(http, sim.url, "/v2/market/index/kospi/K1/closeindex")
    etfs = [r["isuSrtCd"] for r in (await get(http, sim.url, "/v2/market/stocks/kospi/lists"))[1]["isuLists"]]
    navs = []
    for code in etfs:
        status, body, _ = await get(http, sim.url, f"/v2/market/stocks/kospi/{code}/closenav")
        if status == 200:
            navs.append(body["result"])
            break
    assert navs and {"isuSrtCd", "nav", "cmpprevddNav"} <= set(navs[0])


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("intraday", {"inddCycleTpCd": "60", "strtTm": "0900"}, 10020),
        ("intraday", {"inddCycleTpCd": "30", "strtTm": "0900", "endTm": "1000"}, 10030),
        ("intraday", {"inddCycleTpCd": "60", "strtTm": "9am", "endTm": "1000"}, 10030),
        ("intraday", {"inddCycleTpCd": "60", "strtTm": "0900", "endTm": "1000", "inqStrtDd": "20241301"}, 10030),
        ("history", {"trnsmCycleTpCd": "D", "inqStrtDd": "20240101"}, 10020),
        ("history", {"trnsmCycleTpCd": "X", "inqStrtDd": "20240101", "inqEndDd": "20240201"}, 10030),
        ("history", {"trnsmCycleTpCd": "D", "inqStrtDd": "20240101", "inqEndDd": "20240201", "reqCnt": "0"}, 10030),
        ("history", {"trnsmCycleTpCd": "D", "inqStrtDd": "20240301", "inqEndDd": "20240201"}, 20010),
        ("shortsell", {"inqEndDd": "20240201"}, 10020),
        ("selectivemaster", {}, 10020),
    ],
)
async def test_parameter_errors(sim, http, path, params, code):
    status, body, _ = await get(http, sim.url, f"/v2/market/stocks/kospi/005930/{path}", **params)
    assert status == 400
    assert body["jsonrpc"] == "2.0" and body["error"]["code"] == code and body["error"]["message"]


async def test_unknown_code_is_10040(sim, http):
    status, body, _ = await get(http, sim.url, "/v2/market/stocks/kospi/999999/price")
    assert status == 400 and body["error"]["code"] == 10040


async def test_auth_errors_and_rate_limit_headers(sim, http):
    url = sim.url + "/v2/market/stocks/kospi/005930/price"
    async with http.get(url) as r:
        assert (r.status, await r.json()) == (401, {"message": "No API key found in request"})
        assert "X-RateLimit-Remaining-Day" in r.headers
    async with http.get(url, params={"apikey": "l7xx" + "f" * 32}) as r:
        assert (r.status, await r.json()) == (401, {"message": "Invalid authentication credentials"})
    async with http.get(url, params={"apikey": DEFAULT_KEY}) as r:
        assert r.status == 200
        before = int(r.headers["X-RateLimit-Remaining-Day"])
        assert int(r.headers["X-RateLimit-Limit-Day"]) == 1_000_000
    async with http.get(url, headers={"APIKEY": DEFAULT_KEY}) as r:
        assert r.status == 200
        assert int(r.headers["X-RateLimit-Remaining-Day"]) == before - 1
    async with http.get(sim.url + "/v2/market/nothing/here", params={"apikey": DEFAULT_KEY}) as r:
        assert (r.status, await r.json()) == (404, {"message": "no Route matched with those values"})
        assert "X-RateLimit-Limit-Day" in r.headers


async def test_daily_quota_exhaustion(sim_factory, http):
    sim = await sim_factory(daily_quota=2)
    url = sim.url + "/v2/market/stocks/kospi/005930/price"
    statuses = []
    for _ in range(3):
        async with http.get(url, headers={"apikey": DEFAULT_KEY}) as r:
            statuses.append((r.status, await r.json(), r.headers["X-RateLimit-Remaining-Day"]))
    assert [s[0] for s in statuses] == [200, 200, 429]
    assert statuses[2][1] == {"message": "API rate limit exceeded"}
    assert [s[2] for s in statuses] == ["1", "0", "0"]
