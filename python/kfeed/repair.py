"""REST snapshots and repairs: seeding the feed before streaming, and mending it after an outage or a gap.

The stream has no sequence numbers. The feed detects loss per symbol from ``accTrdvol`` continuity and queues a
``gap`` event; an outage of a stream is reported by its channel. Either way the affected symbols' books are
re-snapshotted from REST ``orderbook`` and their bars over the loss window are replaced from REST ``intraday``,
flagged as backfilled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson

from kfeed._kfeed import BAR_DTYPE, Feed
from kfeed.channel import Outage
from kfeed.errors import KfeedError
from kfeed.health import HealthMonitor
from kfeed.kst import kst_time_of_day
from kfeed.rest import RestClient

__all__ = ["Repairer"]

log = logging.getLogger("kfeed.repair")

_MULTIQUOTE_BATCH = 20
_KEPT = 10_000
_RECENT_NS = 600 * 1_000_000_000
_BAR_CYCLES = {"10s": 10, "1m": 60, "10m": 600}
_NS = 1_000_000_000


def _bar_end(ns: int, cycle: int) -> int:
    """End of the ``cycle``-second bar containing ``ns``."""
    return ns - ns % (cycle * _NS) + cycle * _NS


def _closed_bars(rows: np.ndarray, cycle: int, closed_before: int, symbol: int) -> np.ndarray:
    """REST intraday rows (labelled by end time) as BAR_DTYPE rows, keeping the bars closed by ``closed_before``.

    A row whose label is not on a bar boundary is the still-open bar (labelled by its last update) and is dropped.
    """
    ends = rows["end_time"].astype(np.int64)
    keep = (ends % (cycle * _NS) == 0) & (ends <= closed_before)
    rows, ends = rows[keep], ends[keep]
    bars = np.zeros(len(rows), BAR_DTYPE)
    bars["symbol"] = symbol
    bars["start"] = ends - cycle * _NS
    bars["end"] = ends
    for name in ("open", "high", "low", "close", "volume", "value"):
        bars[name] = rows[name]
    bars["trades"] = 1
    return bars


def _instrument_path(code: str, markets: dict[str, str]) -> str:
    """The REST path prefix of one instrument, e.g. ``/v2/market/stocks/kospi/005930``."""
    market = markets.get(code)
    if market is None:
        raise KeyError(code)
    if market in ("kospi", "kosdaq"):
        return f"/v2/market/stocks/{market}/{code}"
    kind, _, mkt = market.partition(":")
    return f"/v2/market/{kind}/{mkt}/{code}"


def index_market(code: str) -> str:
    """The REST market of an index code: ``Q...`` indices are KOSDAQ's, the rest (``K1``, ``K51``, ``S50``) KOSPI's."""
    return "index:kosdaq" if code.startswith("Q") else "index:kospi"


class Repairer:
    """Owns every REST call the session makes on the feed's behalf, and counts them."""

    def __init__(self, feed: Feed, rest: RestClient, monitor: HealthMonitor, close_delay: float) -> None:
        self.feed = feed
        self.close_delay_ns = int(close_delay * _NS)
        self.rest = rest
        self.monitor = monitor
        self.markets: dict[str, str] = {}
        """Code → REST market: ``kospi``/``kosdaq`` for stocks, ``futures:kospi200`` etc. for derivatives."""
        self.repairs = 0
        """Symbols repaired (book re-snapshotted and bars backfilled)."""
        self.failures = 0
        """Repairs that failed (and were retried)."""
        self.bars_backfilled = 0
        """Bars replaced from REST intraday."""
        self.gaps: deque[tuple[str, int]] = deque(maxlen=_KEPT)
        """(code, exchange time ns) of the latest gaps the feed reported, oldest first."""
        self.signals: deque[tuple[str, int, int]] = deque(maxlen=_KEPT)
        """(code, value, exchange time ns) of the latest market-operation signals."""
        self.snapshot_time = 0
        """Latest trade time (ns) seen in the REST snapshot: trades before it were not streamed to this session."""
        self._pending: dict[str, int] = {}
        self._deferred: dict[tuple[str, str], tuple[int, int]] = {}
        self._repairing = 0
        self._running: asyncio.Task[None] | None = None

    @property
    def pending(self) -> bool:
        """True while some symbol waits for its book and closed bars to be repaired (routine final backfills of
        bars that were open at a repair do not count)."""
        return bool(self._pending) or self._repairing > 0

    @property
    def deferred(self) -> int:
        """Bars that were still open when their symbol was repaired; each is backfilled again once it closes."""
        return len(self._deferred)

    async def snapshot(self, symbols: Sequence[str], presets: Sequence[str]) -> None:
        """Seeds the symbol table from the REST lists, then books and last trades for ``symbols``."""
        await self._load_lists()
        if "index" in presets:
            for code in symbols:
                self.markets.setdefault(code, index_market(code))
        self.feed.add_symbols(list(self.markets))
        await self._seed(symbols, books="quote10" in presets or "quote" in presets, trades=True)

    async def _load_lists(self) -> None:
        """Loads every code's market, and adopts the server's trading date for the feed and REST."""
        for market in ("kospi", "kosdaq"):
            listing = await self.rest.stocks.lists(market)
            day = listing.trading_date
            if day is not None and day != self.feed.trading_date:
                log.info("adopting the server's trading date %s", day)
                self.feed.trading_date = day
                self.rest.trading_date = day
            self.markets.update(dict.fromkeys(listing.rows["symbol"].tolist(), market))
        for kind, family in (("futures", self.rest.futures), ("options", self.rest.options)):
            listing = await family.lists("kospi200")
            self.markets.update(dict.fromkeys(listing.rows["symbol"].tolist(), f"{kind}:kospi200"))

    async def _seed(self, codes: Iterable[str], *, books: bool, trades: bool) -> None:
        """Seeds books (REST records go to the Rust parser as they are) and, with ``trades``, each code's cumulative
        volume. Only the snapshot before streaming seeds volumes: once a code streams, its stream keeps its own count,
        and a later REST volume (ahead of trades still in flight) would refuse those trades as duplicates."""
        by_market: dict[str, list[str]] = {}
        for code in codes:
            market = self.markets.get(code)
            if market is not None and not market.startswith("index:"):
                by_market.setdefault(market, []).append(code)
        for market, members in by_market.items():
            if market in ("kospi", "kosdaq"):
                if books:
                    for i in range(0, len(members), _MULTIQUOTE_BATCH):
                        prefix = f"/v2/market/multiquote/stocks/{market}"
                        batch = ",".join(members[i : i + _MULTIQUOTE_BATCH])
                        body = await self.rest.result(f"{prefix}/orderbook", isuCd=batch)
                        self._apply_books(body.get("isulist", ()))
                if trades:
                    prices = await self.rest.multiquote.prices(market, members)
                    self._seed_trades(prices["symbol"].tolist(), prices["acc_volume"].tolist(), prices["time"].tolist())
                continue
            kind, _, mkt = market.partition(":")
            family = self.rest.futures if kind == "futures" else self.rest.options
            for code in members:
                if books:
                    self._apply_books([await self.rest.result(f"{_instrument_path(code, self.markets)}/orderbook")])
                if trades:
                    price = await family.price(mkt, code)
                    self._seed_trades([price.symbol], [price.acc_volume], [price.time])

    def _apply_books(self, records: Iterable[Any]) -> None:
        for record in records:
            self.feed.apply_record("quote10", orjson.dumps(record))

    def _seed_trades(self, codes: Sequence[str], acc_volumes: Sequence[int], times: Sequence[int]) -> None:
        for code, acc in zip(codes, acc_volumes, strict=True):
            self.feed.seed_acc_volume(code, acc)
        self.snapshot_time = max([self.snapshot_time, *times])

    def on_event(self, event: tuple[Any, ...]) -> None:
        """Takes a feed event that is not a reply: gaps queue a repair, signals are recorded."""
        kind = event[0]
        if kind == "gap":
            _, code, _expected, _got, at_ns = event
            self.gaps.append((code, at_ns))
            self._pending.setdefault(code, at_ns)
        elif kind == "signal":
            self.signals.append((event[1], event[2], event[3]))
        elif kind == "error":
            log.warning("server error without a request: %s", event)

    def after_start(self, codes: Sequence[str]) -> None:
        """Schedules a backfill of the bars that were already open when streaming began (they miss earlier trades).

        Nothing is scheduled when no trade had happened yet: then the stream has seen the whole day.
        """
        now = max(self.feed.exchange_time, self.snapshot_time)
        if now == 0:
            return
        for code in codes:
            if code in self.markets:
                for interval, cycle in _BAR_CYCLES.items():
                    self._defer(code, interval, now - now % (cycle * _NS), _bar_end(now, cycle))

    def _defer(self, code: str, interval: str, since_ns: int, due_ns: int) -> None:
        """Schedules one final backfill of ``code``'s ``interval`` bars from ``since_ns`` once ``due_ns`` has closed."""
        known = self._deferred.get((code, interval))
        if known is not None:
            since_ns = min(since_ns, known[0])
        self._deferred[(code, interval)] = (since_ns, due_ns)

    def repair_all(self, codes: Sequence[str]) -> None:
        """Queues every code for a repair of its last ten minutes (used when loss may have gone unreported)."""
        since = self.feed.exchange_time - _RECENT_NS
        for code in codes:
            self._pending[code] = min(self._pending.get(code, since), since)

    async def after_outage(self, outage: Outage, codes: Sequence[str]) -> None:
        """Queues every code of a stream that was down; its bars from the outage's start are backfilled."""
        since = outage.exchange_time
        for code in codes:
            self._pending[code] = min(self._pending.get(code, since), since)
        await self.run_pending()

    async def run_pending(self) -> None:
        """Starts repairing the queued symbols (and deferred ones now due) unless a repair is already running."""
        if self._running is not None and not self._running.done():
            return
        now = self.feed.exchange_time - self.close_delay_ns
        if self.feed.exchange_time == 0:
            now = -1
        due = [(key, since) for key, (since, due_ns) in self._deferred.items() if due_ns <= now]
        for key, _ in due:
            del self._deferred[key]
        if self._pending or due:
            work, self._pending = self._pending, {}
            self._running = asyncio.get_running_loop().create_task(self._repair(work, due), name="kfeed-repair")

    async def _repair(self, work: dict[str, int], due: list[tuple[tuple[str, str], int]]) -> None:
        for (code, interval), since_ns in due:
            try:
                await self._backfill(code, interval, since_ns, defer_open=False)
            except KeyError:
                log.warning("cannot backfill %s: its market is unknown", code)
            except (KfeedError, OSError) as exc:
                self.failures += 1
                log.warning("backfill of %s %s failed (%s); will retry", code, interval, exc)
                self._defer(code, interval, since_ns, 0)
        self._repairing = len(work)
        try:
            for code, since_ns in work.items():
                try:
                    await self._repair_one(code, since_ns)
                    self.repairs += 1
                except KeyError:
                    self.failures += 1
                    log.warning("cannot repair %s: its market is unknown", code)
                except (KfeedError, OSError) as exc:
                    self.failures += 1
                    log.warning("repair of %s failed (%s); will retry", code, exc)
                    self._pending.setdefault(code, since_ns)
                    await asyncio.sleep(0.2)
                finally:
                    self._repairing -= 1
        finally:
            self._repairing = 0

    async def _repair_one(self, code: str, since_ns: int) -> None:
        await self._seed([code], books=True, trades=False)
        for interval in _BAR_CYCLES:
            await self._backfill(code, interval, since_ns, defer_open=True)

    async def _backfill(self, code: str, interval: str, since_ns: int, *, defer_open: bool) -> None:
        """Replaces ``code``'s closed ``interval`` bars from ``since_ns`` on.

        With ``defer_open`` the bar still open now (which REST cannot give final values for) gets one more
        backfill once it has closed.
        """
        cycle_ns = _BAR_CYCLES[interval] * _NS
        closed_before = self.feed.exchange_time - self.close_delay_ns
        rows = await self._intraday(code, _BAR_CYCLES[interval], since_ns - cycle_ns)
        bars = _closed_bars(rows, _BAR_CYCLES[interval], closed_before, self.feed.symbol_id(code))
        self.bars_backfilled += self.feed.replace_bars(interval, code, bars)
        if defer_open:
            open_start = closed_before - closed_before % cycle_ns
            self._defer(code, interval, min(since_ns, open_start), open_start + cycle_ns)

    async def _intraday(self, code: str, cycle: int, since_ns: int) -> np.ndarray:
        market = self.markets[code]
        start = kst_time_of_day(max(since_ns, 0))
        if market in ("kospi", "kosdaq"):
            return await self.rest.stocks.intraday(market, code, cycle=cycle, start=start)
        kind, _, mkt = market.partition(":")
        if kind == "index":
            return await self.rest.index.intraday(mkt, code, cycle=cycle, start=start)
        family = self.rest.futures if kind == "futures" else self.rest.options
        return await family.intraday(mkt, code, cycle=cycle, start=start)

    async def settle(self) -> None:
        """Returns once no symbol waits for repair (repairs that fail are retried meanwhile)."""
        while self.pending:
            await self.run_pending()
            if self._running is not None:
                await asyncio.shield(self._running)

    async def stop(self) -> None:
        """Cancels a running repair."""
        if self._running is not None:
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running
