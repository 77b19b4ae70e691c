"""Bad frames are counted by reason with a bounded sample kept, and touch no ring, book, bar or symbol."""

from __future__ import annotations

import pytest
from core_frames import DATE, assert_same_state, market_array, quote10, snapshot, tick
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kfeed import Feed
from kfeed.errors import CapacityError

TICK = b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"%s","trdPrc":%s,"trdvol":%s,"accTrdvol":%s,"trdTm":%s}}'  # noqa: E501


def bad_tick(price: bytes = b"70000", qty: bytes = b"1", acc: bytes = b"999", time: bytes = b"9000500") -> bytes:
    return TICK % (b"005930", price, qty, acc, time)


BAD_FRAMES = {
    "truncated": (bad_tick()[:40], "malformed"),
    "not JSON": (b"hello", "malformed"),
    "empty": (b"", "malformed"),
    "nested deeply": (b"[" * 10_000 + b"]" * 10_000, "too_deep"),
    "nested deeply inside params": (
        b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","x":' + b"[" * 200 + b"]" * 200 + b"}}",
        "too_deep",
    ),
    "huge": (b" " * ((1 << 20) + 1), "too_large"),
    "too many trades": (market_array([("005930", 1, 1, 9_000_500)] * 2000), "too_large"),
    "object as price": (bad_tick(price=b"{}"), "wrong_type"),
    "list as price": (bad_tick(price=b"[1]"), "wrong_type"),
    "NaN": (bad_tick(price=b'"NaN"'), "bad_number"),
    "infinite": (bad_tick(price=b"1e999"), "bad_number"),
    "negative price": (bad_tick(price=b"-5"), "bad_number"),
    "negative quantity": (bad_tick(qty=b"-1"), "bad_number"),
    "overflowing quantity": (bad_tick(qty=b"99999999999999999999999"), "bad_number"),
    "not numeric": (bad_tick(price=b'"abc"'), "bad_number"),
    "bad time": (bad_tick(time=b"9606000"), "bad_time"),
    "missing price": (
        b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdvol":1,"trdTm":9000000}}',
        "missing_field",
    ),
    "unknown preset": (
        b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick99","isuSrtCd":"005930"}}',
        "unknown_preset",
    ),
    "duplicate key": (
        b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":1,"trdPrc":2,'
        b'"trdvol":1,"trdTm":9000000}}',
        "duplicate_key",
    ),
    "bad code": (TICK % (b"00-930", b"1", b"1", b"1", b"9000000"), "bad_code"),
    "code too long": (TICK % (b"0059300059300", b"1", b"1", b"1", b"9000000"), "bad_code"),
    "not a protocol frame": (b'{"hello":1}', "not_protocol"),
    "a bare number": (b"42", "not_protocol"),
    "replayed tick": (tick("005930", 9_000_000, 70_000, 5, 10), "duplicate"),
    "older tick": (tick("005930", 9_000_000, 70_000, 5, 7), "duplicate"),
}


def busy_feed(symbol_capacity: int = 16) -> Feed:
    """A feed with trades, quotes, books and open bars already in it."""
    feed = Feed(trading_date=DATE, symbol_capacity=symbol_capacity, trade_capacity=64, quote_capacity=64)
    feed.ingest(tick("005930", 9_000_000, 70_000, 10, 10))
    feed.ingest(tick("000660", 9_000_100, 150_000, 3, 3))
    feed.ingest(quote10("005930", [(70_100, 5)], [(70_000, 6)]))
    return feed


@pytest.mark.parametrize(("frame", "reason"), BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
def test_bad_frame_is_counted_and_changes_nothing(frame, reason):
    feed = busy_feed()
    before = snapshot(feed)
    trades, quotes = feed.trades_reader(), feed.quotes_reader()
    assert feed.ingest(frame) == 0
    after = snapshot(feed)
    assert_same_state(before, after)
    assert trades.read()[0].size == 0 and quotes.read()[0].size == 0
    stats = feed.stats()
    assert stats["rejects"][reason] == 1
    assert sum(stats["rejects"].values()) == 1
    assert stats["reject_samples"][reason] == frame[:256]
    assert stats["frames"] == 4
    assert feed.drain_events() == []


def test_symbol_capacity_rejects_the_whole_frame():
    feed = busy_feed(symbol_capacity=3)
    before = snapshot(feed)
    frame = market_array([("005930", 70_000, 1, 9_000_500), ("035420", 1, 1, 9_000_500), ("051910", 1, 1, 9_000_500)])
    assert feed.ingest(frame) == 0
    assert_same_state(before, snapshot(feed))
    assert feed.stats()["rejects"]["symbol_capacity"] == 1
    assert feed.symbols == ["005930", "000660"]
    assert feed.ingest(market_array([("035420", 1, 1, 9_000_500)])) == 1
    assert feed.symbols == ["005930", "000660", "035420"]


def test_the_last_sample_of_each_reason_is_kept_and_bounded():
    feed = busy_feed()
    feed.ingest(b"first bad")
    long_bad = b"x" * 5000
    feed.ingest(long_bad)
    feed.ingest(b"[" * 300)
    stats = feed.stats()
    assert stats["rejects"]["malformed"] == 2
    assert stats["reject_samples"]["malformed"] == long_bad[:256]
    assert set(stats["reject_samples"]) == {"malformed", "too_deep"}


def test_apply_record_raises_protocol_error_but_duplicates_are_quiet():
    import kfeed.errors

    feed = busy_feed()
    with pytest.raises(kfeed.errors.ProtocolError, match="bad_number"):
        feed.apply_record("tick10", b'{"isuSrtCd":"005930","trdPrc":-1,"trdvol":1,"trdTm":9000000}')
    assert (
        feed.apply_record("tick10", b'{"isuSrtCd":"005930","trdPrc":1,"trdvol":1,"accTrdvol":10,"trdTm":9000000}') == 0
    )
    assert feed.stats()["duplicates"] == 1
    with pytest.raises(ValueError, match="preset"):
        feed.apply_record("quote", b"{}")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from(
        [
            tick("005930", 9_000_500, 70_100, 2, 12),
            quote10("000660", [(150_100, 1)], [(150_000, 2)]),
            market_array([("035420", 200_000, 3, 9_000_500), ("005930", 70_000, 1, 9_000_500)]),
        ]
    ),
    edits=st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=0, max_size=3)), min_size=1, max_size=4),
)
def test_mutated_frames_never_raise_and_a_rejected_one_changes_nothing(base, edits):
    frame = bytearray(base)
    for at, data in edits:
        at = min(at, len(frame))
        frame[at : at + len(data)] = data
    feed = busy_feed()
    before = snapshot(feed)
    rejects_before = sum(feed.stats()["rejects"].values())
    rows = feed.ingest(bytes(frame))
    if sum(feed.stats()["rejects"].values()) > rejects_before:
        assert rows == 0
        assert_same_state(before, snapshot(feed))
    else:
        assert feed.stats()["trades"] + feed.stats()["quotes"] == before["rows"][0] + before["rows"][1] + rows


def test_seeded_cumulative_volume_from_rest_guards_the_stream():
    feed = Feed(trading_date=DATE)
    feed.seed_acc_volume("005930", 10)
    assert feed.last_acc_volume("005930") == 10 and feed.stats()["trades"] == 0
    assert feed.ingest(tick("005930", 9_000_000, 70_000, 5, 10)) == 0  # the snapshot's own trade, replayed
    assert feed.ingest(tick("005930", 9_000_100, 70_000, 5, 15)) == 1
    assert feed.stats()["gaps"] == 0 and feed.stats()["duplicates"] == 1
    with pytest.raises(ValueError):
        feed.seed_acc_volume("005930", -1)


def test_a_full_symbol_table_is_a_capacity_error():
    feed = Feed(trading_date=DATE, symbol_capacity=2)
    feed.add_symbols(["005930", "000660"])
    with pytest.raises(CapacityError, match="capacity 2"):
        feed.add_symbols(["035420"])
    assert feed.symbols == ["005930", "000660"]
