"""The native core of kfeed (Rust, pyo3): frames in, zero-copy numpy rings, books and bars out."""

import datetime
from collections.abc import Iterable
from typing import Any, ClassVar, final

import numpy as np

__all__ = [
    "BAR_BACKFILLED",
    "BAR_DTYPE",
    "BAR_GAP",
    "BOOK_DTYPE",
    "QUOTE_DTYPE",
    "TRADE_DTYPE",
    "TRADE_GAP",
    "TRADE_INDEX",
    "TRADE_NO_QTY",
    "Bars",
    "Feed",
    "FeedStream",
    "RingReader",
    "__version__",
    "encode_frame",
]

__version__: str
"""The version of the compiled extension."""

TRADE_DTYPE: np.dtype[np.void]
"""Trades ring rows: seq u8, time i8 (ns since epoch), recv_time i8, symbol u4, price f8, qty i8, side i1, flags u1."""
QUOTE_DTYPE: np.dtype[np.void]
"""Quotes ring rows: seq, time, recv_time, symbol, ask/bid price f8[10], ask/bid qty i8[10], totals i8, levels u1."""
BOOK_DTYPE: np.dtype[np.void]
"""Book rows (one per symbol id): time, symbol, the book fields of QUOTE_DTYPE, updates u8."""
BAR_DTYPE: np.dtype[np.void]
"""Bar rows: symbol u4, start/end i8 (ns), open/high/low/close f8, volume i8, value f8, trades u4, flags u1."""

TRADE_GAP: int
"""Trade flag: a gap in the symbol's cumulative volume was detected just before this trade."""
TRADE_INDEX: int
"""Trade flag: an index print."""
TRADE_NO_QTY: int
"""Trade flag: the frame carried no per-print quantity (qty is 0)."""
BAR_GAP: int
"""Bar flag: a gap in the feed was detected inside the bar, so it may miss trades."""
BAR_BACKFILLED: int
"""Bar flag: the bar was replaced from REST intraday data."""

_Frame = bytes | bytearray | memoryview

@final
class RingReader:
    """An independent cursor over one ring (trades, quotes or closed bars) of a Feed.

    A view returned by `read` is zero-copy and read-only; it stays valid memory for the life of the Feed, and shows
    the rows it was handed until the writer laps them (`capacity` rows later). Check with `overwritten()` (or, for
    trades and quotes, the `seq` column) before trusting an old view. Reading while `Feed.ingest_many` runs in
    another thread raises RuntimeError.
    """

    def read(self, max_rows: int | None = None) -> tuple[np.ndarray[Any, np.dtype[np.void]], int]:
        """The next contiguous run of new rows (call again after a wrap), and the rows lost to overwrite since the
        previous read. Overwritten rows are never returned."""
    def overwritten(self) -> int:
        """How many rows of the last view returned by `read` have since been overwritten (0: all still intact)."""
    @property
    def lost(self) -> int:
        """Rows lost to overwrite over the reader's whole life."""
    @property
    def position(self) -> int:
        """Sequence of the next row this reader will get."""

@final
class Bars:
    """The bars of one interval: the open bar per symbol and a ring of closed bars."""

    @property
    def interval(self) -> str:
        """The interval name: "10s", "1m" or "10m"."""
    @property
    def current(self) -> np.ndarray[Any, np.dtype[np.void]]:
        """The open bar of every known symbol id (BAR_DTYPE, read-only view; trades == 0: no open bar).

        A strided view: a symbol's open bars of the three intervals sit side by side in memory. Use
        ``np.ascontiguousarray`` where a contiguous copy is needed.
        """
    def reader(self) -> RingReader:
        """A reader of the closed bars, starting at the current write position."""

@final
class Feed:
    """The feed handler core: WebSocket text frames in; trades and quotes rings, books, bars, counters and events out.

    Every buffer is allocated at construction and never reallocated. `time` fields are ns since the Unix epoch in
    exchange time (the trading date plus the frame's HHMMSSmm in KST). Bad frames are counted in `stats()`, never
    raised, and change nothing.
    """

    intervals: ClassVar[list[tuple[str, int]]]
    """Bar intervals kept: (name, seconds)."""

    def __new__(
        cls,
        trade_capacity: int = 1048576,
        quote_capacity: int = 262144,
        symbol_capacity: int = 8192,
        bar_capacity: int = 65536,
        trading_date: str | datetime.date | None = None,
        bar_close_delay: float = 1.0,
    ) -> Feed:
        """A feed; `trading_date` is "YYYYMMDD", a date, or None for today in KST. A bar closes once exchange time
        is `bar_close_delay` seconds past its end, so trades batched late by a market-wide stream still land in it."""
    def ingest(self, frame: _Frame, recv_time: int | None = None) -> int:
        """Parses and applies one frame; returns the rows written (0 if rejected). `recv_time` ns, default now."""
    def ingest_many(self, frames: Iterable[_Frame]) -> int:
        """Parses and applies frames in order with the GIL released, each as `ingest` would (pipelined: a frame's
        rows are fetched into cache while the next frame is parsed); returns the rows written."""
    def apply_record(self, preset: str, record: _Frame, recv_time: int | None = None) -> int:
        """Applies a bare REST record as a push of `preset` ("tick10" price, "quote10" orderbook, "index").

        Returns the rows written; 0 for a duplicate trade. Raises kfeed.errors.ProtocolError for any other reject.
        """
    def add_symbols(self, codes: Iterable[str]) -> None:
        """Adds codes ahead of the stream (a `*NNN` suffix is stripped); kfeed.errors.CapacityError (a ValueError)
        when the table is full."""
    def seed_acc_volume(self, code: str, acc: int) -> None:
        """Records a cumulative volume known from REST (e.g. a price snapshot) for `code`, added if new, so the next
        streamed tick is checked for duplicates and gaps against it without applying the snapshot's trade. Never
        lowers what is known. ValueError for acc < 0, CapacityError for a full symbol table."""
    def symbol_id(self, code: str) -> int:
        """The dense id of `code`; KeyError if unknown."""
    def symbol(self, id: int) -> str:
        """The code of symbol `id`; IndexError if none."""
    @property
    def symbols(self) -> list[str]:
        """Every known code, in id order."""
    @property
    def trading_date(self) -> datetime.date:
        """The trading date `time` fields are based on (settable: "YYYYMMDD", a date, or None for today in KST)."""
    @trading_date.setter
    def trading_date(self, value: str | datetime.date | None) -> None: ...
    def trades_reader(self) -> RingReader:
        """A reader of the trades ring (TRADE_DTYPE), starting at the current write position."""
    def quotes_reader(self) -> RingReader:
        """A reader of the quotes ring (QUOTE_DTYPE), starting at the current write position."""
    @property
    def books(self) -> np.ndarray[Any, np.dtype[np.void]]:
        """Current books, one BOOK_DTYPE row per known symbol id (read-only view; fetch again after new symbols)."""
    def book(self, code: str) -> np.void:
        """The book row of `code`, a read-only view; KeyError if unknown."""
    def bars(self, interval: str) -> Bars:
        """Bars of `interval`: "10s", "1m" or "10m"."""
    @property
    def last_update(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Receive time (ns) of the last applied row per known symbol id; 0 = never (read-only view)."""
    def mark_bars(self, interval: str, code: str, start_ns: int, end_ns: int, flags: int) -> int:
        """ORs `flags` (e.g. BAR_GAP) into the bars of `code` overlapping [start_ns, end_ns): the open one and the
        closed ones still in the ring, in place. Returns how many bars were marked."""
    def replace_bars(self, interval: str, code: str, bars: np.ndarray[Any, np.dtype[np.void]]) -> int:
        """Puts bars of `code` repaired from REST (BAR_DTYPE rows; `symbol` ignored) in place, flagged
        BAR_BACKFILLED with BAR_GAP cleared: each overwrites the closed bar with its start still in the ring, or
        the open bar with its start, or is appended to the closed ring (readers see it as new). Returns how many
        were written; ValueError (nothing written) if a bar is not one aligned interval or has no trade."""
    def mark_window(self, start_ns: int, end_ns: int, flags: int, codes: Iterable[str] | None = None) -> int:
        """ORs `flags` into every bar of `codes` (all symbols when None) overlapping [start_ns, end_ns), in every
        interval, open and closed (still in the ring); one pass per interval. Returns how many bars were marked."""
    def mark_market_partial_until(self, ns: int, codes: Iterable[str]) -> None:
        """From now on, flags BAR_GAP on every bar of `codes` (added if new) starting before `ns` that a market-wide
        trade lands in: their market's stream was not live for part of such a bar (session start, or the end of an
        outage). CapacityError when a new code does not fit."""
    def skip_market_trades(self, codes: Iterable[str]) -> None:
        """Marks codes whose trades come from a per-symbol tick/tick10 subscription: their copies on the market-wide
        streams (/ws_ksp, /ws_kdq) are skipped and counted, so no trade is counted twice."""
    @property
    def exchange_time(self) -> int:
        """The latest exchange time seen from any symbol, ns since the Unix epoch (0 before the first)."""
    def last_acc_volume(self, code: str) -> int | None:
        """Cumulative volume of the last tick/tick10 trade of `code`, or None; KeyError if unknown."""
    def stats(self) -> dict[str, Any]:
        """Counters: frames, trades, quotes, index, signals, replies, gaps, duplicates, bars_closed,
        market_trades_skipped, late_bar_trades, events_dropped, panics, rejects {reason: count},
        reject_samples {reason: bytes}."""
    def drain_events(self) -> list[tuple[Any, ...]]:
        """Takes the queued events, oldest first: ("result", id, text_bytes), ("error", id, code, message),
        ("heartbeat", id), ("signal", code, value, time_ns),
        ("gap", code, expected_acc, got_acc, since_ns), where since_ns is the exchange time of the symbol's last
        trade before the gap: trades after it may be missing."""

@final
class FeedStream:
    """The receive side of one WebSocket connection feeding a Feed, one call per socket read.

    The caller's asyncio ``BufferedProtocol`` reads socket bytes straight into `buffer()` (the free tail of a fixed
    2 MiB receive buffer allocated once) and reports the count to `received`, which deframes every complete server
    frame (RFC 6455, client side) and applies each text message as the Feed's ingest would (a read's messages
    pipelined, as in `Feed.ingest_many`). Fragmented text messages are
    reassembled (up to 1 MiB); binary messages are counted and skipped. Anything Python must act on is flagged by
    `needs_attention` and taken with `take_attention`. After a protocol error or a close frame, further bytes are
    ignored.
    """

    def __new__(cls, feed: Feed) -> FeedStream:
        """A stream applying messages to `feed`."""
    @property
    def feed(self) -> Feed:
        """The feed the messages are applied to."""
    def buffer(self) -> memoryview:
        """A writable memoryview of the free tail of the receive buffer (at least 256 KiB), for
        ``BufferedProtocol.get_buffer``; it keeps this object alive and its memory never moves."""
    def received(self, nbytes: int, recv_time: int | None = None) -> int:
        """Marks `nbytes` of `buffer()` as received, deframes and applies every complete text message (stamped
        `recv_time` ns, default now); returns the rows applied. ValueError if `nbytes` exceeds the free space."""
    def stop_applying(self) -> None:
        """From now on text messages are still deframed (a close frame, pings and protocol errors are still seen)
        but no longer applied to the feed; they are counted in ``stats()["discarded"]``. For a connection being
        closed, whose late data a new connection will bring again."""
    @property
    def needs_attention(self) -> bool:
        """True when messages applied no rows (replies, server requests, rejects: drain the feed's events), binary
        messages arrived, pings await pongs, a close frame arrived or a protocol error was found."""
    def take_attention(self) -> tuple[int, int, list[bytes], tuple[int, str] | None, str | None]:
        """Takes what needs attention since the last call: (texts_without_rows, binary_messages, ping payloads to
        answer, close frame (code, reason) or None, protocol error message or None); each is reported once."""
    @property
    def error(self) -> str | None:
        """The WebSocket protocol error the stream stopped at, or None."""
    @property
    def error_close_code(self) -> int | None:
        """The close code to answer the protocol error with (1009 too large, 1002 otherwise), or None."""
    def check(self) -> None:
        """Raises kfeed.errors.ProtocolError if the server broke the WebSocket protocol."""
    @property
    def close_frame(self) -> tuple[int, str] | None:
        """The close frame received, as (code, reason) (code 1005 when it had none), or None."""
    @property
    def messages(self) -> int:
        """Complete messages received, text and binary."""
    def stats(self) -> dict[str, int]:
        """Counters: bytes, text_messages, binary_messages, rows, discarded (text messages after
        ``stop_applying``), pings, pings_dropped, pongs."""

def encode_frame(opcode: int, payload: _Frame, mask: bytes) -> bytes:
    """One masked client frame with FIN set: `opcode` 1 text, 2 binary, 8 close, 9 ping or 10 pong; `mask` is the
    4-byte masking key. ValueError for another opcode or a control payload over 125 bytes."""
