"""Full-day capture: a simulated trading day of the whole market as length-prefixed raw frames, and its replay.

The capture holds what a whole-market client receives from the simulator: every stock trade in the
`/ws_ksp`|`/ws_kdq` arrays (cut by the server's own `TradeBatcher`), market-operation signals in those arrays, a
`tick` push for every derivative trade (derivatives are not on the market streams), an `index` push for every
index value, and a `quote10` push for every book change of `quote_symbols` stocks spread evenly over the activity
ranks (default 20, the sandbox's subscription cap; None: every issue). quote10 frames are ~1.2 KB and the
simulator's 20 busiest stocks alone change books ~500 times a second (~23 GB a day), so the whole market's books,
or the busiest ones', would make a capture of tens of GB; the spread keeps it to about 1 GB. Frames are
built by the simulator's `Records` exactly as its server builds them, from a private `Market` advanced in 100 ms
steps of exchange time.

File format: a sequence of records, each a 4-byte little-endian payload length followed by the payload (one
WebSocket text frame's bytes). `replay` reads the file 64 MiB at a time, cuts each read into memoryviews and hands
them to one `Feed.ingest_many` call.
"""

from __future__ import annotations

import datetime as dt
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from kfeed import Feed
from kfeed.sim import krx
from kfeed.sim.market import Market, Trade
from kfeed.sim.records import Records
from kfeed.sim.universe import IndexState, Issue
from kfeed.sim.ws import TradeBatcher, push

__all__ = ["CaptureSummary", "ReplayResult", "iter_chunks", "read_frames", "record_day", "replay"]

_LENGTH = struct.Struct("<I")
_STEP_CS = 10
"""Exchange time per `advance_to` step (the server's engine flushes trade batches at least this often)."""
_SIGNAL_CODES = {"kospi": "K1", "kosdaq": "Q1"}
_FLUSH_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CaptureSummary:
    """What one capture holds."""

    frames: int
    payload_bytes: int
    trades: int
    quotes: int
    indices: int
    seconds: float
    """Wall time taken to simulate and write it."""


class _CaptureSink:
    """A `MarketSink` that renders every event as the server would and appends length-prefixed frames to a file."""

    def __init__(self, records: Records, out: Path, quoted: set[str] | None) -> None:
        self._records = records
        self._quoted = quoted
        self._file = out.open("wb")
        self._buffer = bytearray()
        self.frames = 0
        self.payload_bytes = 0
        self.trades = 0
        self.quotes = 0
        self.indices = 0
        self._batchers = {m: TradeBatcher(self._emit_array) for m in _SIGNAL_CODES}

    def _write(self, payload: bytes) -> None:
        self._buffer += _LENGTH.pack(len(payload))
        self._buffer += payload
        self.frames += 1
        self.payload_bytes += len(payload)
        if len(self._buffer) >= _FLUSH_BYTES:
            self._file.write(self._buffer)
            self._buffer.clear()

    def _emit_array(self, elements: list[dict[str, str]]) -> None:
        self._write(orjson.dumps(elements))

    def on_trade(self, issue: Issue, trade: Trade) -> None:
        self.trades += 1
        batcher = self._batchers.get(issue.market)
        if batcher is not None:
            batcher.add(trade.time, self._records.market_trade(issue, trade))
        else:
            self._write(push({"preset": "tick", **self._records.push_tick(issue, trade)}))

    def on_quote(self, issue: Issue) -> None:
        if self._quoted is not None and issue.code not in self._quoted:
            return
        self.quotes += 1
        self._write(push({"preset": "quote10", **self._records.push_quote10(issue)}))

    def on_index(self, index: IndexState) -> None:
        self.indices += 1
        self._write(push({"preset": "index", **self._records.push_index(index)}))

    def on_signal(self, market: str, value: int) -> None:
        batcher = self._batchers.get(market)
        if batcher is not None:
            element = {"isuSrtCd": _SIGNAL_CODES[market], "trdPrc": "0", "trdVol": "0", "trdTm": str(value)}
            batcher.add(self._records.market.now, element)

    def flush_due(self, hhmmssmm: int) -> None:
        for batcher in self._batchers.values():
            batcher.flush_due(hhmmssmm)

    def close(self) -> None:
        for batcher in self._batchers.values():
            batcher.flush()
        self._file.write(self._buffer)
        self._buffer.clear()
        self._file.close()


def record_day(
    out: Path,
    *,
    seed: int = 7,
    trading_date: dt.date = dt.date(2026, 11, 25),
    start: dt.time = dt.time(8, 30),
    end: dt.time = dt.time(18, 0),
    quote_symbols: int | None = 20,
) -> CaptureSummary:
    """Simulate the whole market from `start` to `end` and write every frame to `out` (replaced if present)."""
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(out.suffix + ".partial")
    market = Market(seed=seed, trading_date=trading_date, start=start)
    quoted = None
    if quote_symbols is not None:
        weights = market.universe.popularity
        stocks = sorted(market.universe.stocks(), key=lambda issue: -weights[issue.uid])
        step = max(1, len(stocks) // max(1, quote_symbols))
        quoted = {issue.code for issue in stocks[::step][:quote_symbols]}
    sink = _CaptureSink(Records(market), partial, quoted)
    first = krx.cs_of(start.hour, start.minute, start.second) + _STEP_CS
    last = krx.cs_of(end.hour, end.minute, end.second)
    try:
        for cs in range(first, last + 1, _STEP_CS):
            target = krx.cs_to_hhmmssmm(cs)
            market.advance_to(target, sink)
            sink.flush_due(target)
    finally:
        sink.close()
    partial.replace(out)
    return CaptureSummary(
        sink.frames, sink.payload_bytes, sink.trades, sink.quotes, sink.indices, time.perf_counter() - started
    )


def read_frames(data: bytes | memoryview) -> tuple[list[memoryview], int]:
    """Cut whole frames off the front of `data` (no copies): the frames, and the offset where a partial one starts."""
    view = memoryview(data)
    frames: list[memoryview] = []
    append = frames.append
    unpack = _LENGTH.unpack_from
    pos, size = 0, len(view)
    while pos + 4 <= size:
        (length,) = unpack(view, pos)
        end = pos + 4 + length
        if end > size:
            break
        append(view[pos + 4 : end])
        pos = end
    return frames, pos


def iter_chunks(path: Path, chunk_bytes: int = _CHUNK_BYTES) -> Iterator[list[memoryview]]:
    """The frames of a capture, a read of about `chunk_bytes` at a time; ValueError if it ends inside a frame."""
    carry = b""
    with path.open("rb") as f:
        while block := f.read(chunk_bytes):
            data = carry + block if carry else block
            frames, used = read_frames(data)
            carry = data[used:]
            if frames:
                yield frames
    if carry:
        raise ValueError(f"{path} ends inside a frame ({len(carry)} bytes left over)")


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """One replay of a capture into a fresh Feed."""

    frames: int
    rows: int
    ingest_seconds: float
    """Time inside `Feed.ingest_many` only."""
    total_seconds: float
    """Reading the file, cutting it into frames and ingesting."""
    stats: dict[str, Any]


def replay(path: Path, trading_date: dt.date, chunk_bytes: int = _CHUNK_BYTES) -> ReplayResult:
    """Replay a capture into a fresh Feed: one `Feed.ingest_many` call per read of about `chunk_bytes`."""
    started = time.perf_counter()
    feed = Feed(trading_date=trading_date)
    ingest_many = feed.ingest_many
    frames = rows = 0
    ingest_seconds = 0.0
    for chunk in iter_chunks(path, chunk_bytes):
        t0 = time.perf_counter()
        rows += ingest_many(chunk)
        ingest_seconds += time.perf_counter() - t0
        frames += len(chunk)
    total = time.perf_counter() - started
    return ReplayResult(frames, rows, ingest_seconds, total, feed.stats())
