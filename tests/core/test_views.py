"""Dtypes generated from the Rust rows, zero-copy read-only views, and the accepted frame types."""

from __future__ import annotations

import kfeed
import kfeed.errors
import numpy as np
import pytest
from core_frames import DATE, exchange_ns, quote10, tick
from kfeed import BAR_DTYPE, BOOK_DTYPE, QUOTE_DTYPE, TRADE_DTYPE, Feed


def test_dtype_fields_and_types():
    assert TRADE_DTYPE.names == ("seq", "time", "recv_time", "symbol", "price", "qty", "side", "flags")
    assert [TRADE_DTYPE[n].str for n in TRADE_DTYPE.names] == ["<u8", "<i8", "<i8", "<u4", "<f8", "<i8", "|i1", "|u1"]
    book_fields = ("ask_price", "ask_qty", "bid_price", "bid_qty", "ask_total", "bid_total", "levels")
    assert QUOTE_DTYPE.names == ("seq", "time", "recv_time", "symbol", *book_fields)
    assert QUOTE_DTYPE["ask_price"].shape == (10,) and QUOTE_DTYPE["bid_qty"].base == np.dtype("<i8")
    assert BOOK_DTYPE.names == ("time", "symbol", *book_fields, "updates")
    assert BAR_DTYPE.names == (
        "symbol",
        "start",
        "end",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "value",
        "trades",
        "flags",
    )
    assert BAR_DTYPE["trades"] == np.dtype("<u4") and BAR_DTYPE["flags"] == np.dtype("u1")


def test_time_views_as_datetime64():
    feed = Feed(trading_date=DATE)
    reader = feed.trades_reader()
    feed.ingest(tick("005930", 14_412_034, 2_465_000, 2, 2))
    rows, _ = reader.read()
    stamp = rows["time"].view("datetime64[ns]")[0]
    assert stamp == np.datetime64("2026-11-25T05:41:20.340", "ns")
    assert rows["time"][0] == exchange_ns(14_412_034)


def test_views_are_zero_copy_read_only_and_own_their_feed():
    feed = Feed(trading_date=DATE)
    feed.ingest(quote10("005930", [(101.0, 1)], [(100.0, 2)]))
    books_a, books_b = feed.books, feed.books
    assert np.shares_memory(books_a, books_b)
    assert books_a.base is feed
    assert not books_a.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        books_a["ask_price"][0, 0] = 1.0
    feed.ingest(quote10("005930", [(102.0, 1)], [(100.0, 2)]))
    assert books_a["ask_price"][0, 0] == 102.0  # a live view, not a copy
    row = feed.book("005930")
    assert row["ask_price"][0] == 102.0 and row["levels"] == 10


def test_current_bars_are_live_read_only_views_of_every_symbol():
    feed = Feed(trading_date=DATE)
    feed.ingest(tick("005930", 9_000_000, 100, 1, 1))
    feed.ingest(tick("000660", 9_000_100, 200, 2, 2))
    views = [feed.bars(interval).current for interval in ("10s", "1m", "10m")]
    assert feed.books.flags.c_contiguous and not views[0].flags.c_contiguous  # strided, the rest contiguous
    for view in views:
        assert view.dtype == BAR_DTYPE and view.base is feed and not view.flags.writeable
        assert view["symbol"].tolist() == [0, 1] and view["close"].tolist() == [100.0, 200.0]
    feed.ingest(tick("000660", 9_000_200, 210, 3, 5))
    for view in views:
        assert view["close"].tolist() == [100.0, 210.0]  # live, not copies
        assert view["volume"].tolist() == [1, 5] and view["high"][1] == 210.0


def test_views_keep_the_feed_alive():
    feed = Feed(trading_date=DATE, trade_capacity=8)
    reader = feed.trades_reader()
    feed.ingest(tick("005930", 9_000_000, 100, 1, 1))
    rows, _ = reader.read()
    del feed, reader
    assert rows["price"][0] == 100.0


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_ingest_accepts_bytes_like(wrap):
    feed = Feed(trading_date=DATE)
    assert feed.ingest(wrap(tick("005930", 9_000_000, 100, 1, 1))) == 1
    assert feed.ingest_many([wrap(tick("005930", 9_000_001, 101, 1, 2))]) == 1
    assert feed.last_acc_volume("005930") == 2


def test_ingest_reads_a_memoryview_slice_without_copying_the_rest():
    frame = tick("005930", 9_000_000, 100, 1, 1)
    buffer = bytearray(b"xxxx" + frame + b"yyyy")
    feed = Feed(trading_date=DATE)
    assert feed.ingest(memoryview(buffer)[4 : 4 + len(frame)]) == 1


def test_ingest_refuses_non_bytes():
    feed = Feed(trading_date=DATE)
    with pytest.raises(TypeError):
        feed.ingest(tick("005930", 9_000_000, 100, 1, 1).decode())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        feed.ingest(memoryview(np.arange(4, dtype=np.int64)[::2]))


def test_constructor_arguments_are_validated():
    with pytest.raises(ValueError):
        Feed(trade_capacity=0)
    with pytest.raises(ValueError):
        Feed(trading_date="2026-11-25")
    feed = Feed(trading_date="20240229")
    assert str(feed.trading_date) == "2024-02-29"
    feed.trading_date = "20261125"
    assert feed.trading_date.isoformat() == "2026-11-25"


def test_symbols_are_dense_ids_in_order_of_first_sight():
    feed = Feed(trading_date=DATE, symbol_capacity=3)
    feed.add_symbols(["000660", "005930*001"])
    assert feed.symbols == ["000660", "005930"]
    assert feed.symbol_id("005930") == 1 and feed.symbol(0) == "000660"
    with pytest.raises(KeyError):
        feed.symbol_id("035420")
    with pytest.raises(IndexError):
        feed.symbol(7)
    feed.add_symbols(["035420"])
    with pytest.raises(ValueError, match="full"):
        feed.add_symbols(["051910"])
    with pytest.raises(ValueError, match="invalid"):
        feed.add_symbols(["00-593"])


def test_package_exports():
    assert set(kfeed.__all__) >= {"Feed", "TRADE_DTYPE", "QUOTE_DTYPE", "BOOK_DTYPE", "BAR_DTYPE"}
    assert kfeed.errors.ProtocolError.__module__ == "kfeed.errors"
