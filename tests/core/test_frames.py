"""Every frame shape of the protocol reference, through the compiled extension, to the right dtype values."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from core_frames import DATE, book_params, exchange_ns, market_array, push
from kfeed import TRADE_INDEX, TRADE_NO_QTY, Feed

VENDOR_TICK = (
    b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":2465000,'
    b'"trdvol":2,"accTrdvol":251916,"accTrdval":627899637000,"trdTm":14412000}}'
)
VENDOR_QUOTE = (
    b'{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"005930","askStep1BstordPrc":2465000,'
    b'"askStep1BstordRqty":144,"bidStep1BstordPrc":2464000,"bidStep1BstordRqty":298}}'
)
VENDOR_PRICE = {
    "isuSrtCd": "005930", "trdPrc": 38600, "cmpprevddTpCd": "2", "opnprc": 38250, "hgprc": 38900, "lwprc": 38200,
    "accTrdvol": 2829006, "trdTm": 9544500, "trdvol": 76, "accTrdval": 108981501200, "cmpprevddPrc": 350,
    "bidordPrc_1": 38600, "askordPrc_1": 38650, "lstAskbidTpCd": 1,
}  # fmt: skip
VENDOR_KSP = (
    b'[{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"14340400"},'
    b'{"isuSrtCd":"500032","trdPrc":"12760","trdVol":"400","trdTm":"14340400"}]'
)


@pytest.fixture
def feed() -> Feed:
    return Feed(trading_date=DATE, symbol_capacity=64)


def read_all(reader) -> np.ndarray:
    parts = []
    while len(rows := reader.read()[0]):
        parts.append(np.array(rows))
    return np.concatenate(parts) if parts else np.array([])


def test_vendor_tick(feed):
    trades = feed.trades_reader()
    assert feed.ingest(VENDOR_TICK, recv_time=123) == 1
    (row,) = read_all(trades)
    assert feed.symbol(int(row["symbol"])) == "005930"
    assert row["time"] == exchange_ns(14_412_000) and row["recv_time"] == 123
    assert (row["price"], row["qty"], row["side"], row["flags"], row["seq"]) == (2_465_000.0, 2, 0, 0, 0)
    assert feed.last_acc_volume("005930") == 251_916


def test_vendor_quote_is_level_one(feed):
    quotes = feed.quotes_reader()
    assert feed.ingest(VENDOR_QUOTE) == 1
    (row,) = read_all(quotes)
    assert row["ask_price"][0] == 2_465_000.0 and row["ask_qty"][0] == 144
    assert row["bid_price"][0] == 2_464_000.0 and row["bid_qty"][0] == 298
    assert not row["ask_price"][1:].any() and row["levels"] == 10


def test_tick10_is_a_trade_and_best_prices(feed):
    trades, quotes = feed.trades_reader(), feed.quotes_reader()
    assert feed.ingest(push("tick10", **VENDOR_PRICE)) == 2
    (trade,) = read_all(trades)
    assert (trade["price"], trade["qty"], trade["side"]) == (38_600.0, 76, -1)
    assert trade["time"] == exchange_ns(9_544_500)
    (quote,) = read_all(quotes)
    assert quote["ask_price"][0] == 38_650.0 and quote["bid_price"][0] == 38_600.0
    assert quote["ask_qty"][0] == 0 and quote["time"] == trade["time"]


def test_tick10_buy_side_as_string(feed):
    trades = feed.trades_reader()
    feed.ingest(push("tick10", **{**VENDOR_PRICE, "lstAskbidTpCd": "2", "trdTm": "09544500"}))
    assert read_all(trades)[0]["side"] == 1


def test_quote10_stock_ten_levels_and_totals(feed):
    asks = [(70_000.0 + 100 * i, 10 + i) for i in range(10)]
    bids = [(69_900.0 - 100 * i, 20 + i) for i in range(10)]
    quotes = feed.quotes_reader()
    frame = push(
        "quote10", isuSrtCd="005930", accTrdvol=5, **book_params(asks, bids),
        askordTotRqty=999, bidordTotRqty=888, pstoffhrAskTotOrdRqty=0, pstoffhrBidTotOrdRqty=0,
        deemTrdPrc=0, deemTrdvol=0, deemAccTrdvol=0,
    )  # fmt: skip
    assert feed.ingest(frame) == 1
    (row,) = read_all(quotes)
    np.testing.assert_array_equal(row["ask_price"], [p for p, _ in asks])
    np.testing.assert_array_equal(row["bid_qty"], [q for _, q in bids])
    assert (row["ask_total"], row["bid_total"], row["levels"]) == (999, 888, 10)


def test_quote10_derivative_five_levels(feed):
    asks = [(308.7 + 0.05 * i, i + 1) for i in range(5)]
    bids = [(308.65 - 0.05 * i, i + 2) for i in range(5)]
    counts = {f"{s}Step{n}BstordCnt": n for s in ("ask", "bid") for n in range(1, 6)}
    frame = push(
        "quote10", isuSrtCd="101N6000", **book_params(asks, bids), **counts, askTotOrdRqty=15,
        bidTotOrdRqty=20, askValidOrdCnt=3, bidValidOrdCnt=4, ordAcptTm="10150000", deemTrdPrc=0,
    )  # fmt: skip
    assert feed.ingest(frame) == 1
    book = feed.book("101N6000")
    assert book["levels"] == 5
    np.testing.assert_array_equal(book["ask_price"][:5], [float(repr(p)) for p, _ in asks])
    assert not book["ask_price"][5:].any()
    assert (book["ask_total"], book["bid_total"]) == (15, 20)
    assert book["time"] == exchange_ns(10_150_000)


def test_derivative_tick_with_decimal_price(feed):
    trades = feed.trades_reader()
    feed.ingest(push("tick", isuSrtCd="101N6000", trdPrc=308.7, trdvol=3, trdTm=10150012, accTrdvol=3))
    (row,) = read_all(trades)
    assert row["price"] == float("308.7") and row["qty"] == 3


def test_index_print_has_no_quantity(feed):
    trades = feed.trades_reader()
    frame = push(
        "index", isuSrtCd="K1", trdTm=10000000, trdPrc=2409.03, cmpprevddTpCd="2", cmpprevddPrc=1.5,
        accTrdvol=123456, accTrdval=789,
    )  # fmt: skip
    assert feed.ingest(frame) == 1
    (row,) = read_all(trades)
    assert row["price"] == 2409.03 and row["qty"] == 0
    assert row["flags"] == TRADE_INDEX | TRADE_NO_QTY
    assert feed.stats()["index"] == 1 and feed.stats()["trades"] == 0


def test_change_push_has_no_preset(feed):
    trades, quotes = feed.trades_reader(), feed.quotes_reader()
    frame = push(
        None, isuCd="KR7005930003", isuSrtCd="005930", trdPrc=70_000, trdvol=3, trdTm=10000000,
        askStep2BstordPrc=70_200, askStep2BstordRqty=7,
    )  # fmt: skip
    assert feed.ingest(frame) == 2
    assert read_all(trades)[0]["price"] == 70_000.0
    (quote,) = read_all(quotes)
    assert quote["ask_price"][1] == 70_200.0 and quote["ask_qty"][1] == 7 and quote["ask_price"][0] == 0.0


def test_market_trade_arrays(feed):
    trades = feed.trades_reader()
    assert feed.ingest(VENDOR_KSP) == 2
    rows = read_all(trades)
    assert [feed.symbol(int(s)) for s in rows["symbol"]] == ["000210", "500032"]
    np.testing.assert_array_equal(rows["price"], [81_000.0, 12_760.0])
    np.testing.assert_array_equal(rows["qty"], [5, 400])
    np.testing.assert_array_equal(rows["seq"], [0, 1])
    assert (rows["time"] == exchange_ns(14_340_400)).all()


def test_fifty_trade_array_from_kdq(feed):
    trades = feed.trades_reader()
    frame = market_array([(f"{i:06d}", 1000 + i, i + 1, 13_000_000 + i) for i in range(50)])
    assert feed.ingest(frame) == 50
    rows = read_all(trades)
    assert len(rows) == 50 and rows["qty"].sum() == sum(range(1, 51))


def test_suffixed_code_string_numbers_any_key_order_unknown_keys(feed):
    frame = (
        b'{"params":{"trdTm":"09000000","someNewKey":[1,{"x":2}],"trdvol":"3","isuSrtCd":"005930*001",'
        b'"accTrdvol":"3","trdPrc":"70000","preset":"tick"},"method":"push","jsonrpc":"2.0"}'
    )
    assert feed.ingest(frame) == 1
    assert feed.symbols == ["005930"]


def test_signal_is_an_event_not_a_trade(feed):
    feed.ingest(VENDOR_TICK)
    trades = feed.trades_reader()
    assert feed.ingest(push("tick", isuSrtCd="005930", trdPrc=0, trdvol=0, trdTm=31000000, accTrdvol=251916)) == 0
    assert len(read_all(trades)) == 0
    assert feed.drain_events() == [("signal", "005930", 31_000_000, exchange_ns(14_412_000))]
    assert feed.stats()["signals"] == 1


def test_replies_become_events(feed):
    feed.ingest(b'{"jsonrpc":"2.0","id":1,"result":{"message":"ok"}}')
    feed.ingest('{"jsonrpc":"2.0","error":{"message":"정상적인 JSON-RPC 형식이 아닙니다","code":47}}'.encode())
    feed.ingest(b'{"jsonrpc":"2.0","id":9,"error":{"code":10040,"message":"\\uc885\\ubaa9"}}')
    feed.ingest(b'{"jsonrpc":"2.0","id":5,"method":"heartbeat"}')
    events = feed.drain_events()
    assert events[0][:2] == ("result", 1) and orjson.loads(events[0][2]) == {"message": "ok"}
    assert events[1:] == [
        ("error", None, 47, "정상적인 JSON-RPC 형식이 아닙니다"),
        ("error", 9, 10040, "종목"),
        ("heartbeat", 5),
    ]
    assert feed.stats()["replies"] == 4 and feed.drain_events() == []


@pytest.mark.parametrize(
    ("preset", "record"),
    [
        ("tick10", VENDOR_PRICE),
        ("quote10", {"isuSrtCd": "005930", "accTrdvol": 1, **book_params([(101, 1)], [(100, 2)])}),
        ("index", {"isuSrtCd": "K1", "trdPrc": 2409.03, "trdTm": 10000000, "accTrdvol": 5, "accTrdval": 6}),
    ],
)
def test_rest_records_apply_as_pushes(feed, preset, record):
    assert feed.apply_record(preset, orjson.dumps(record)) >= 1
    assert feed.symbols == [record["isuSrtCd"]]
