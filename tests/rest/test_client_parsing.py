"""Decoding of the vendor's documented REST shapes (protocol §5-§7) into records and numpy arrays."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
from kfeed.rest import dtypes, lenient
from kfeed.rest.columns import rows_of
from kfeed.rest.endpoints import ENDPOINTS, check_segment, endpoint
from kfeed.rest.records import (
    RECORD_TABLES,
    InvestorFlows,
    IssueList,
    MarketSnapshot,
    OrderBook,
    Price,
    StockMaster,
    TradeRanking,
    decode,
)

DAY = dt.date(2024, 1, 2)
KST_MIDNIGHT_NS = int(np.datetime64("2024-01-01T15:00:00", "ns").astype(np.int64))

VENDOR_PRICE = {
    "isuSrtCd": "005930",
    "trdPrc": 38600,
    "cmpprevddTpCd": "2",
    "opnprc": 38250,
    "hgprc": 38900,
    "lwprc": 38200,
    "accTrdvol": 2829006,
    "trdTm": 9544500,
    "trdvol": 76,
    "accTrdval": 108981501200,
    "cmpprevddPrc": 350,
    "bidordPrc_1": 38600,
    "askordPrc_1": 38650,
    "lstAskbidTpCd": 1,
}


def test_vendor_price_example_decodes_to_english_fields():
    price = decode(Price, dtypes.PRICE, VENDOR_PRICE, DAY)
    assert price == Price(
        symbol="005930",
        time=KST_MIDNIGHT_NS + ((9 * 60 + 54) * 60 + 45) * 10**9,
        price=38600.0,
        volume=76,
        change_type=2,
        change=350.0,
        open=38250.0,
        high=38900.0,
        low=38200.0,
        acc_volume=2829006,
        acc_value=108981501200.0,
        side=-1,
        best_ask=38650.0,
        best_bid=38600.0,
    )
    assert str(np.datetime64(price.time, "ns")) == "2024-01-02T00:54:45.000000000"


def test_numbers_as_strings_and_strings_as_numbers_give_the_same_record():
    stringly = {key: str(value) for key, value in VENDOR_PRICE.items()}
    stringly["isuSrtCd"] = 5930
    stringly["trdTm"] = "09544500"
    stringly["accTrdval"] = "108,981,501,200"
    assert decode(Price, dtypes.PRICE, stringly, DAY) == decode(Price, dtypes.PRICE, VENDOR_PRICE, DAY)


def test_key_spelling_variants_suffix_order_and_unknown_keys():
    variant = dict(reversed(list(VENDOR_PRICE.items())))
    variant["trdVol"] = variant.pop("trdvol")
    variant["lstTrdTpCd"] = 2
    del variant["lstAskbidTpCd"]
    variant["isuSrtCd"] = "005930*001"
    variant["someNewVendorKey"] = {"nested": [1, 2]}
    price = decode(Price, dtypes.PRICE, variant, DAY)
    assert (price.symbol, price.volume, price.side) == ("005930", 76, 1)


def test_missing_and_garbage_values_get_defaults_not_exceptions():
    price = decode(Price, dtypes.PRICE, {"isuSrtCd": "000660", "trdPrc": "", "trdvol": None, "trdTm": "abc"}, DAY)
    assert price.symbol == "000660"
    assert math.isnan(price.price) and math.isnan(price.open)
    assert (price.volume, price.time, price.side, price.acc_volume) == (0, 0, 0, 0)
    assert decode(Price, dtypes.PRICE, ["not", "an", "object"], DAY).symbol == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0, -1), (31000000, -1), (9000000, 9 * 3600 * 10**9), ("15300000", 15.5 * 3600 * 10**9), (9100099, None)],
)
def test_clock_rejects_signals_and_zero(raw, expected):
    if expected is None:
        expected = (9 * 3600 + 10 * 60) * 10**9 + 99 * 10**7
    assert lenient.clock_ns(raw) == expected


def test_orderbook_levels_stock_and_derivative_spellings():
    stock = {"isuSrtCd": "005930", "accTrdvol": 10, "askordTotRqty": 500, "bidordTotRqty": "600"}
    for n in range(1, 11):
        stock[f"askStep{n}BstordPrc"] = 70000 + 100 * n
        stock[f"askStep{n}BstordRqty"] = n
        stock[f"bidStep{n}BstordPrc"] = str(70000 - 100 * (n - 1))
        stock[f"bidStep{n}BstordRqty"] = 10 * n
    book = decode(OrderBook, dtypes.ORDERBOOK_STOCK, stock, DAY)
    assert book.levels == 10
    np.testing.assert_array_equal(book.ask_price, 70000 + 100 * np.arange(1, 11))
    np.testing.assert_array_equal(book.bid_qty, 10 * np.arange(1, 11))
    assert (book.ask_total, book.bid_total) == (500, 600)
    assert not book.ask_price.flags.writeable

    derivative = {"isuSrtCd": "101N6000", "askTotOrdRqty": 7, "bidTotOrdRqty": 8, "ordAcptTm": "13000000"}
    for n in range(1, 6):
        derivative[f"askStep{n}BstordPrc"] = 300.0 + 0.05 * n
        derivative[f"askStep{n}BstordCnt"] = n
    book = decode(OrderBook, dtypes.ORDERBOOK_DERIVATIVE, derivative, DAY)
    assert book.levels == 5
    np.testing.assert_array_equal(book.ask_count, np.arange(1, 6))
    assert (book.ask_total, book.bid_total) == (7, 8)
    assert book.time == KST_MIDNIGHT_NS + 13 * 3600 * 10**9


def test_bare_list_body_with_isulists_and_isulist():
    body = {
        "trdDd": "20240102",
        "mktEndTm": "153000",
        "isuLists": [
            {"isuSrtCd": "005930", "isuCd": "KR7005930003", "isuKorNm": "삼성전자", "isuKorAbbr": "삼성전자"},
            {"isuSrtCd": "000660", "isuCd": "KR7000660001", "isuKorNm": "SK하이닉스", "isuKorAbbrv": "SK하이닉스"},
        ],
    }
    listing = IssueList.from_wire(body, DAY)
    assert listing.trading_date == DAY
    assert listing.rows.dtype == dtypes.ISSUE_LIST.dtype
    assert listing.rows["symbol"].tolist() == ["005930", "000660"]
    assert listing.rows["short_name"].tolist() == ["삼성전자", "SK하이닉스"]
    assert rows_of({"isulist": body["isuLists"]}, "isuLists", "isulist") == body["isuLists"]
    assert rows_of([{"a": 1}, 5, "x"]) == [{"a": 1}]
    assert rows_of({"isuLists": "oops"}, "isuLists") == []


def test_multiquote_snapshot_dates_its_time_by_its_own_date():
    body = {"trdDd": "20240103", "trdTm": "101500", "isuLists": [{"isuSrtCd": "005930", "trdPrc": "70000"}]}
    snapshot = MarketSnapshot.from_wire(body, dtypes.MARKET_SNAPSHOT, DAY)
    assert snapshot.trading_date == dt.date(2024, 1, 3)
    assert str(np.datetime64(snapshot.time, "ns")) == "2024-01-03T01:15:00.000000000"
    assert snapshot.rows["price"].tolist() == [70000.0]
    assert math.isnan(snapshot.rows["acc_value"][0]) and snapshot.rows["acc_volume"][0] == 0


def test_history_rows_are_columnwise_with_dates():
    rows = [
        {"BzDd": 20240102, "trdPrc": 100, "opnprc": 90, "hgprc": 110, "lwprc": 80, "accTrdvol": 5, "accTrdval": 500},
        {"trdDd": "20231229", "trdPrc": "95", "accTrdVol": "7"},
    ]
    arr = dtypes.HISTORY.array(rows, DAY)
    assert arr["date"].tolist() == [dt.date(2024, 1, 2), dt.date(2023, 12, 29)]
    assert arr["close"].tolist() == [100.0, 95.0]
    assert arr["volume"].tolist() == [5, 7]
    assert arr["open_interest"].tolist() == [0, 0]


def test_intraday_end_time_in_ns_since_epoch():
    rows = [{"inddTm": "9100000", "inddOpnprc": 1, "inddHgprc": 2, "inddLwprc": 1, "inddClsprc": 2, "inddTrdvol": 3}]
    arr = dtypes.INTRADAY.array(rows, DAY)
    assert str(arr["end_time"].view("datetime64[ns]")[0]) == "2024-01-02T00:10:00.000000000"


def test_investors_and_trade_ranking():
    body = {
        "Tm": "153000",
        "isuSrtCd": "K1",
        "invstLists": [{"invstCd": "01", "askTrdvol": "5", "bidTrdval": 7.5}, {"invstCd": 11, "askTrdvol": 9}],
    }
    flows = InvestorFlows.from_wire(body, DAY)
    assert flows.symbol == "K1"
    assert flows.rows["investor"].tolist() == [1, 11]
    assert flows.rows["ask_volume"].tolist() == [5, 9]

    ranking_body = {"isuSrtCd": "005930"}
    for k in range(1, 6):
        ranking_body[f"bidTrdMbr{k}"] = f"member {k}"
        ranking_body[f"bidTrdVolMbr{k}"] = str(100 - k)
        ranking_body[f"askTrdWtMbr{k}"] = 1.5 * k
    ranking = decode(TradeRanking, dtypes.TRADE_RANKING, ranking_body, DAY)
    assert ranking.bid_member.tolist() == [f"member {k}" for k in range(1, 6)]
    assert ranking.bid_volume.tolist() == [99, 98, 97, 96, 95]
    assert ranking.ask_weight.tolist() == [1.5, 3.0, 4.5, 6.0, 7.5]


def test_master_flags_and_dates():
    master = decode(
        StockMaster,
        dtypes.STOCK_MASTER,
        {"isuSrtCd": "005930", "haltYn": "N", "kospiYn": "Y", "listDd": "19750611", "listShrs": "5969782550"},
        DAY,
    )
    assert (master.halted, master.in_kospi, master.listing_date) == (False, True, dt.date(1975, 6, 11))
    assert master.listed_shares == 5969782550 and master.trading_date is None


def test_every_record_mirrors_its_table_and_no_wire_name_leaks():
    for cls, table in RECORD_TABLES.items():
        names = [field.name for field in dataclasses.fields(cls)]
        assert tuple(names) == table.names
        assert all(name == name.lower() for name in names), cls
    for table in vars(dtypes).values():
        if isinstance(table, dtypes.Table):
            assert all(name == name.lower() for name in table.dtype.names), table


def test_forty_endpoints_both_ranking_spellings_and_safe_segments():
    assert len(ENDPOINTS) == 40
    assert len({e.name for e in ENDPOINTS}) == 40
    ranking = endpoint("stocks.traderanking")
    assert [p.rsplit("/", 1)[1] for p in ranking.paths] == ["traderanking", "traderaking"]
    assert ranking.format(market="kospi", code="005930") == "/v2/market/stocks/kospi/005930/traderanking"
    assert {e.envelope for e in ENDPOINTS if e.path.endswith("lists")} == {"bare"}
    check_segment("code", "005930*001")
    for bad in ("../x", "005930,000660", "a b", "", "x?apikey=1"):
        with pytest.raises(ValueError):
            check_segment("code", bad)
