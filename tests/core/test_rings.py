"""Ring readers: contiguous runs, overwrite and loss accounting, independent cursors, lapped views."""

from __future__ import annotations

import numpy as np
from core_frames import DATE, tick
from kfeed import Feed


def ticks(feed: Feed, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        feed.ingest(tick("005930", 9_000_000 + i, 1000 + i, 1, i + 1))


def test_reader_starts_at_the_write_position_and_reads_in_contiguous_runs():
    feed = Feed(trading_date=DATE, trade_capacity=8)
    ticks(feed, 3)
    reader = feed.trades_reader()
    assert reader.position == 3
    ticks(feed, 7, start=3)  # seqs 3..9 fill slots 3..7 then wrap to 0..1
    first, lost = reader.read()
    assert lost == 0 and first["seq"].tolist() == [3, 4, 5, 6, 7]
    second, lost = reader.read()
    assert lost == 0 and second["seq"].tolist() == [8, 9]
    empty, lost = reader.read()
    assert len(empty) == 0 and lost == 0 and empty.dtype == first.dtype


def test_overwritten_rows_are_counted_lost_and_never_returned():
    feed = Feed(trading_date=DATE, trade_capacity=8)
    reader = feed.trades_reader()
    ticks(feed, 20)
    rows, lost = reader.read()
    assert lost == 12
    assert rows["seq"].tolist() == [12, 13, 14, 15]
    assert rows["price"].tolist() == [1012.0, 1013.0, 1014.0, 1015.0]
    rows, lost = reader.read()
    assert lost == 0 and rows["seq"].tolist() == [16, 17, 18, 19]
    assert reader.lost == 12 and reader.position == 20


def test_max_rows_limits_a_read():
    feed = Feed(trading_date=DATE, trade_capacity=16)
    reader = feed.trades_reader()
    ticks(feed, 10)
    assert reader.read(max_rows=4)[0]["seq"].tolist() == [0, 1, 2, 3]
    assert reader.read(max_rows=100)[0]["seq"].tolist() == [4, 5, 6, 7, 8, 9]


def test_readers_are_independent():
    feed = Feed(trading_date=DATE, trade_capacity=8)
    fast, slow = feed.trades_reader(), feed.trades_reader()
    ticks(feed, 5)
    assert len(fast.read()[0]) == 5
    ticks(feed, 5, start=5)
    assert fast.read()[0]["seq"].tolist() == [5, 6, 7]
    rows, lost = slow.read()
    assert lost == 2 and rows["seq"].tolist() == [2, 3, 4, 5, 6, 7]


def test_a_lapped_view_is_detected():
    feed = Feed(trading_date=DATE, trade_capacity=8)
    reader = feed.trades_reader()
    ticks(feed, 4)
    rows, _ = reader.read()
    kept = np.array(rows, copy=True)
    assert reader.overwritten() == 0
    ticks(feed, 5, start=4)  # seq 8 overwrites slot 0 (seq 0)
    assert reader.overwritten() == 1
    assert rows["seq"][0] == 8 and (rows["seq"][1:] == kept["seq"][1:]).all()
    ticks(feed, 10, start=9)
    assert reader.overwritten() == 4


def test_quotes_ring_has_its_own_sequence():
    feed = Feed(trading_date=DATE, quote_capacity=4)
    reader = feed.quotes_reader()
    for i in range(6):
        feed.ingest(
            b'{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"005930","askStep1BstordPrc":%d}}'
            % (100 + i)
        )
    rows, lost = reader.read()
    assert lost == 2 and rows["seq"].tolist() == [2, 3]
    assert rows["ask_price"][:, 0].tolist() == [102.0, 103.0]


def test_closed_bar_ring_overwrite():
    feed = Feed(trading_date=DATE, bar_capacity=2)
    reader = feed.bars("10s").reader()
    for i in range(5):
        feed.ingest(tick("005930", 9_000_000 + 1000 * i, 100 + i, 1, i + 1))
    rows, lost = reader.read()
    assert lost == 2 and rows["open"].tolist() == [102.0, 103.0]


def test_ingest_many_matches_ingest():
    frames = [tick("005930", 9_000_000 + i, 1000 + i, 1, i + 1) for i in range(100)]
    one, many = Feed(trading_date=DATE), Feed(trading_date=DATE)
    for f in frames:
        one.ingest(f, recv_time=0)
    assert many.ingest_many(frames) == 100
    r1, r2 = one.trades_reader(), many.trades_reader()
    assert r1.position == r2.position == 100
    np.testing.assert_array_equal(one.books, many.books)
    np.testing.assert_array_equal(one.bars("10s").current, many.bars("10s").current)
    assert many.last_update[0] > 0
