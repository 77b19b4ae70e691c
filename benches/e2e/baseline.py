"""The pure-Python stack kfeed is compared with: msgspec typed decoding into preallocated numpy state.

`PyFeed` keeps what `kfeed.Feed` keeps, written as a careful Python user would: a dict of symbol ids, a trades
ring and a quotes ring as numpy structured arrays written one row per event, a 10-level book per symbol, the
per-symbol cumulative-volume check that rejects duplicates, and open bars of 10 s, 1 min and 10 min per symbol in
Python lists (cheaper than numpy scalars) with closed bars appended to a numpy ring. Decoding uses msgspec
`Struct`s with the fields in book order, so a book side is one tuple slice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np

__all__ = ["PyFeed"]

_KST = dt.timezone(dt.timedelta(hours=9))
_INTERVALS_NS = (10 * 10**9, 60 * 10**9, 600 * 10**9)

TRADES = np.dtype([("seq", "u8"), ("time", "i8"), ("recv_time", "i8"), ("symbol", "u4"), ("price", "f8"),
                   ("qty", "i8")])  # fmt: skip
QUOTES = np.dtype([("seq", "u8"), ("time", "i8"), ("recv_time", "i8"), ("symbol", "u4"), ("ask_price", "f8", 10),
                   ("bid_price", "f8", 10), ("ask_qty", "i8", 10), ("bid_qty", "i8", 10), ("ask_total", "i8"),
                   ("bid_total", "i8")])  # fmt: skip
BARS = np.dtype([("symbol", "u4"), ("start", "i8"), ("open", "f8"), ("high", "f8"), ("low", "f8"), ("close", "f8"),
                 ("volume", "i8"), ("value", "f8"), ("trades", "u4")])  # fmt: skip


class TickParams(msgspec.Struct):
    """`tick` push params."""

    isuSrtCd: str
    trdPrc: float
    trdvol: int
    trdTm: int
    accTrdvol: int


class TickPush(msgspec.Struct):
    """A `tick` push."""

    params: TickParams


_BOOK_FIELDS = (
    [("isuSrtCd", str)]
    + [(f"askStep{n}BstordPrc", float, 0.0) for n in range(1, 11)]
    + [(f"bidStep{n}BstordPrc", float, 0.0) for n in range(1, 11)]
    + [(f"askStep{n}BstordRqty", int, 0) for n in range(1, 11)]
    + [(f"bidStep{n}BstordRqty", int, 0) for n in range(1, 11)]
    + [("askordTotRqty", int, 0), ("bidordTotRqty", int, 0)]
)
"""Book fields in row order (derivative books have 5 levels, so every level is optional)."""
Quote10Params = msgspec.defstruct("Quote10Params", _BOOK_FIELDS)
Quote10Push = msgspec.defstruct("Quote10Push", [("params", Quote10Params)])


class MarketTrade(msgspec.Struct):
    """One element of a `/ws_ksp` array (every value a string)."""

    isuSrtCd: str
    trdPrc: str
    trdVol: str
    trdTm: str


class PyFeed:
    """Trades and quotes rings, books and bars in numpy, fed by msgspec; see the module docstring."""

    def __init__(
        self,
        trading_date: dt.date,
        trade_capacity: int = 1 << 20,
        quote_capacity: int = 1 << 18,
        symbol_capacity: int = 8192,
        bar_capacity: int = 1 << 16,
    ) -> None:
        self.midnight = int(dt.datetime.combine(trading_date, dt.time(), _KST).timestamp()) * 10**9
        self.ids: dict[str, int] = {}
        self.trades = np.zeros(trade_capacity, TRADES)
        self.quotes = np.zeros(quote_capacity, QUOTES)
        self.books = np.zeros(symbol_capacity, QUOTES)
        self.closed_bars = np.zeros(bar_capacity, BARS)
        self.trade_count = 0
        self.quote_count = 0
        self.bar_count = 0
        self.duplicates = 0
        self.rejects = 0
        self._acc = [0] * symbol_capacity
        self._bars: list[list[list[Any] | None]] = [[None] * symbol_capacity for _ in _INTERVALS_NS]
        self._tick = msgspec.json.Decoder(TickPush)
        self._quote: msgspec.json.Decoder[Any] = msgspec.json.Decoder(Quote10Push)
        self._array = msgspec.json.Decoder(list[MarketTrade])

    def handler(self, kind: str) -> Callable[[Any], None]:
        """The frame handler for a stream of `kind` (tick, quote10, ksp)."""
        return {"tick": self.on_tick, "quote10": self.on_quote10, "ksp": self.on_market_trades}[kind]

    def _sid(self, code: str) -> int:
        sid = self.ids.get(code)
        if sid is None:
            sid = self.ids[code] = len(self.ids)
        return sid

    def _time(self, hhmmssmm: int) -> int:
        hh, rest = divmod(hhmmssmm, 1_000_000)
        mm, rest = divmod(rest, 10_000)
        return self.midnight + ((hh * 60 + mm) * 60) * 10**9 + rest * 10_000_000

    def _trade(self, sid: int, t: int, price: float, qty: int) -> None:
        n = self.trade_count
        self.trades[n % len(self.trades)] = (n, t, time.time_ns(), sid, price, qty)
        self.trade_count = n + 1
        for interval, bars in zip(_INTERVALS_NS, self._bars, strict=True):
            start = t - t % interval
            bar = bars[sid]
            if bar is None or bar[1] != start:
                if bar is not None:
                    self.closed_bars[self.bar_count % len(self.closed_bars)] = tuple(bar)
                    self.bar_count += 1
                bars[sid] = [sid, start, price, price, price, price, qty, price * qty, 1]
            else:
                if price > bar[3]:
                    bar[3] = price
                elif price < bar[4]:
                    bar[4] = price
                bar[5] = price
                bar[6] += qty
                bar[7] += price * qty
                bar[8] += 1

    def on_tick(self, frame: Any) -> None:
        """A `tick` push: duplicate check on cumulative volume, then a trades-ring row and the bars."""
        try:
            p = self._tick.decode(frame).params
        except msgspec.ValidationError:
            self.rejects += 1
            return
        sid = self._sid(p.isuSrtCd)
        if p.accTrdvol <= self._acc[sid]:
            self.duplicates += 1
            return
        self._acc[sid] = p.accTrdvol
        self._trade(sid, self._time(p.trdTm), p.trdPrc, p.trdvol)

    def on_quote10(self, frame: Any) -> None:
        """A `quote10` push: a quotes-ring row and the symbol's book."""
        try:
            p = self._quote.decode(frame).params
        except msgspec.ValidationError:
            self.rejects += 1
            return
        v = msgspec.structs.astuple(p)
        sid = self._sid(p.isuSrtCd)
        n = self.quote_count
        row = (n, 0, time.time_ns(), sid, v[1:11], v[11:21], v[21:31], v[31:41], v[41], v[42])
        self.quotes[n % len(self.quotes)] = row
        self.books[sid] = row
        self.quote_count = n + 1

    def on_market_trades(self, frame: Any) -> None:
        """A `/ws_ksp` array: a trades-ring row and the bars per element."""
        try:
            elements = self._array.decode(frame)
        except msgspec.ValidationError:
            self.rejects += 1
            return
        sid_of = self._sid
        to_time = self._time
        trade = self._trade
        for e in elements:
            trade(sid_of(e.isuSrtCd), to_time(int(e.trdTm)), float(e.trdPrc), int(e.trdVol))
