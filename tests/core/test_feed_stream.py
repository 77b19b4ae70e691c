"""FeedStream: WebSocket bytes written into its receive buffer come out as rows in the feed, one call per read."""

from __future__ import annotations

import gc

import numpy as np
import orjson
import pytest
from core_frames import DATE, tick
from kfeed import Feed
from kfeed._kfeed import FeedStream, encode_frame
from kfeed.errors import ProtocolError
from ws_frames import frame


def text(payload: bytes) -> bytes:
    return frame(1, payload)


def deliver(stream: FeedStream, data: bytes, recv_time: int | None = None) -> int:
    """Writes `data` into the stream's buffer, as a socket read would, and reports it."""
    buf = stream.buffer()
    buf[: len(data)] = data
    return stream.received(len(data), recv_time)


TICKS = [tick("005930", 9_000_000 + i * 100, 70_000 + 10 * i, i + 1, 100 + i) for i in range(50)]


def test_one_read_of_many_frames_applies_every_trade() -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    reader = feed.trades_reader()
    assert deliver(stream, b"".join(text(t) for t in TICKS), recv_time=123) == len(TICKS)
    rows, lost = reader.read()
    assert lost == 0
    np.testing.assert_array_equal(rows["price"], [70_000 + 10 * i for i in range(50)])
    np.testing.assert_array_equal(rows["qty"], [i + 1 for i in range(50)])
    assert (rows["recv_time"] == 123).all()
    assert not stream.needs_attention
    assert stream.messages == 50
    assert stream.stats()["rows"] == 50


def test_frames_split_across_reads_are_applied_once_complete() -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    wire = b"".join(text(t) for t in TICKS[:5])
    rows = [deliver(stream, wire[i : i + 13]) for i in range(0, len(wire), 13)]
    assert sum(rows) == 5
    assert rows.count(0) > 0  # most reads end inside a frame and apply nothing yet
    assert feed.stats()["trades"] == 5
    assert stream.stats()["bytes"] == len(wire)


def test_buffer_is_a_writable_view_of_at_least_256_kib() -> None:
    stream = FeedStream(Feed())
    buf = stream.buffer()
    assert isinstance(buf, memoryview)
    assert not buf.readonly
    assert buf.nbytes >= 256 * 1024


def test_a_buffer_keeps_its_stream_alive() -> None:
    stream = FeedStream(Feed())
    buf = stream.buffer()
    del stream
    gc.collect()
    buf[:4] = b"live"
    assert bytes(buf[:4]) == b"live"


def test_reporting_more_bytes_than_the_buffer_holds_is_refused() -> None:
    stream = FeedStream(Feed())
    with pytest.raises(ValueError, match="free"):
        stream.received(stream.buffer().nbytes + 1)


def test_replies_pings_and_binaries_need_attention_once() -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    reply = orjson.dumps({"jsonrpc": "2.0", "id": 7, "result": {"message": "ok"}})
    data = text(TICKS[0]) + text(reply) + frame(9, b"are you there") + frame(2, b"\x00\x01") + frame(10, b"")
    assert deliver(stream, data) == 1
    assert stream.needs_attention
    assert stream.take_attention() == (1, 1, [b"are you there"], None, None)
    assert not stream.needs_attention
    assert stream.take_attention() == (0, 0, [], None, None)
    assert feed.drain_events() == [("result", 7, b'{"message":"ok"}')]
    stats = stream.stats()
    assert (stats["text_messages"], stats["binary_messages"], stats["pings"], stats["pongs"]) == (2, 1, 1, 1)


def test_a_fragmented_message_is_reassembled_around_a_ping() -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    whole = TICKS[3]
    data = frame(1, whole[:20], fin=False) + frame(9, b"p") + frame(0, whole[20:40], fin=False) + frame(0, whole[40:])
    assert deliver(stream, data) == 1
    assert stream.take_attention()[2] == [b"p"]
    assert feed.stats()["trades"] == 1


def test_a_close_frame_is_reported_and_later_bytes_ignored() -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    assert deliver(stream, frame(8, (1001).to_bytes(2, "big") + b"going away") + text(TICKS[0])) == 0
    assert stream.needs_attention
    assert stream.take_attention()[3] == (1001, "going away")
    assert stream.close_frame == (1001, "going away")
    assert not stream.needs_attention
    assert deliver(stream, text(TICKS[1])) == 0
    assert feed.stats()["trades"] == 0


def test_after_stop_applying_messages_are_counted_not_applied_and_a_close_is_still_seen() -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    assert deliver(stream, text(TICKS[0])) == 1
    stream.stop_applying()
    late = text(TICKS[1]) + text(b'{"jsonrpc":"2.0","id":7,"result":{}}') + frame(9, b"p")
    assert deliver(stream, late + frame(8, (1000).to_bytes(2, "big"))) == 0
    assert feed.stats()["trades"] == 1 and feed.drain_events() == []
    assert stream.stats()["discarded"] == 2 and stream.stats()["rows"] == 1
    texts, _, pings, close, _ = stream.take_attention()
    assert (texts, pings, close) == (0, [b"p"], (1000, ""))


@pytest.mark.parametrize(
    ("data", "message", "code"),
    [
        (frame(1, b"{}", mask=b"abcd"), "masked", 1002),
        (frame(1, b"{}", rsv=4), "reserved bits", 1002),
        (frame(3, b""), "unknown opcode 3", 1002),
        (frame(9, b"x", fin=False), "fragmented control", 1002),
        (frame(0, b"x"), "continuation", 1002),
        (frame(1, b"a", fin=False) + frame(1, b"b"), "before the fragmented one finished", 1002),
        (bytes([0x81, 127]) + (2 << 20).to_bytes(8, "big"), "too large", 1009),
    ],
    ids=["masked", "rsv", "opcode", "fragmented-ping", "continuation", "interrupted", "oversize"],
)
def test_protocol_errors_are_typed_and_poison_the_stream(data: bytes, message: str, code: int) -> None:
    feed = Feed(trading_date=DATE)
    stream = FeedStream(feed)
    deliver(stream, data)
    assert stream.needs_attention
    error = stream.take_attention()[4]
    assert error is not None and message in error
    assert stream.error == error
    assert stream.error_close_code == code
    with pytest.raises(ProtocolError, match=f"close code {code}"):
        stream.check()
    assert deliver(stream, text(TICKS[0])) == 0
    assert feed.stats()["trades"] == 0
    assert not stream.needs_attention


def test_encode_frame_masks_like_rfc_6455() -> None:
    assert encode_frame(1, b"Hello", b"\x37\xfa\x21\x3d") == bytes.fromhex("818537fa213d7f9f4d5158")
    long = encode_frame(10, bytearray(b"x" * 125), b"\x00\x00\x00\x00")
    assert long[:2] == bytes([0x8A, 0x80 | 125])
    big = encode_frame(1, memoryview(b"y" * 70_000), b"\x01\x02\x03\x04")
    assert big[1] == 0x80 | 127 and int.from_bytes(big[2:10], "big") == 70_000


@pytest.mark.parametrize(("opcode", "payload"), [(0, b""), (3, b""), (9, b"z" * 126)])
def test_encode_frame_refuses_bad_opcodes_and_long_controls(opcode: int, payload: bytes) -> None:
    with pytest.raises(ValueError):
        encode_frame(opcode, payload, b"\x00\x00\x00\x00")
