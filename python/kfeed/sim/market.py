"""The market engine: a deterministic, event-driven model of one KRX trading day.

Exchange time advances in 10 ms steps (one `trdTm` hundredth). Arrivals of market events are a Poisson process whose
intensity follows the intraday U (protocol §9 load profile) scaled by `rate`; the arrival times, the instrument
(Zipf-like popularity) and every detail of an event are drawn in sequence from one `random.Random` seeded from
(seed, trading date, start), so the event sequence never depends on how the wall clock drove `advance`.

Sessions (stocks): 08:30 opening call (expected prices, no trades) → 09:00 uncross burst (one trade and one book
update per issue within the first second) → continuous → 15:20 closing call → 15:30 uncross burst → 15:40–16:00
post-close trades at the close → 16:00–18:00 after-hours single-price auctions every 10 minutes within ±10 % of the
close. Futures and options: 08:30 call, 08:45 uncross, continuous to 15:35, closing call, 15:45 uncross.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, overload

from kfeed.krx_calendar import last_session_day
from kfeed.sim import krx
from kfeed.sim.clock import KST, SimClock
from kfeed.sim.universe import TYPICAL_TRADE_NOTIONAL, IndexState, Issue, TradeLog, Universe, option_value

__all__ = ["Market", "MarketSink", "Trade", "TradeView"]


@dataclass(frozen=True, slots=True)
class Trade:
    """One trade, as the exchange printed it."""

    time: int  # HHMMSSmm
    price: float  # int-valued for stocks; 2-dp points for derivatives
    qty: int
    acc_volume: int  # cumulative day volume after this trade
    acc_value: int  # cumulative day value after this trade (KRW; derivatives price*qty*multiplier)
    side: int  # +1 buy-initiated, -1 sell-initiated


class MarketSink(Protocol):
    """Receives the engine's events; the issue's state is current during each call."""

    def on_trade(self, issue: Issue, trade: Trade) -> None:
        """A trade printed."""

    def on_quote(self, issue: Issue) -> None:
        """The issue's book (or expected price) changed."""

    def on_index(self, index: IndexState) -> None:
        """An index value was recomputed and published."""

    def on_signal(self, market: str, value: int) -> None:
        """A market-operation signal (`trdTm`-style, e.g. 31000000) for 'kospi'|'kosdaq'|'futures'|'options'."""


class TradeView(Sequence[Trade]):
    """Read-only sequence view of one issue's trades so far (Trade objects built on access)."""

    __slots__ = ("_issue", "_log")

    def __init__(self, issue: Issue) -> None:
        self._issue = issue
        self._log: TradeLog = issue.trade_log

    def __len__(self) -> int:
        return len(self._log)

    @overload
    def __getitem__(self, index: int) -> Trade: ...
    @overload
    def __getitem__(self, index: slice) -> list[Trade]: ...
    def __getitem__(self, index: int | slice) -> Trade | list[Trade]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        log = self._log
        return Trade(
            krx.cs_to_hhmmssmm(log.time[index]),
            self._issue.display(log.price[index]),
            log.qty[index],
            log.acc_volume[index],
            log.acc_value[index],
            log.side[index],
        )

    def __iter__(self) -> Iterator[Trade]:
        for i in range(len(self)):
            yield self[i]


# Stock message intensity (messages/s market-wide at rate 1) as (start cs, end cs, msgs/s at start, at end).
_Side = tuple[list[int], list[int], list[int]]
"""One side of a book: its prices, quantities and order counts, best level first."""

_STOCK_PROFILE = (
    (krx.cs_of(9, 0, 1), krx.cs_of(9, 5), 9_000.0, 7_000.0),
    (krx.cs_of(9, 5), krx.cs_of(9, 30), 4_000.0, 1_800.0),
    (krx.cs_of(9, 30), krx.cs_of(11, 30), 1_600.0, 1_400.0),
    (krx.cs_of(11, 30), krx.cs_of(13, 0), 1_100.0, 1_100.0),
    (krx.cs_of(13, 0), krx.cs_of(14, 30), 1_300.0, 1_600.0),
    (krx.cs_of(14, 30), krx.cs_of(15, 20), 1_800.0, 3_500.0),
)
_MID_SESSION = 1_500.0
_STOCK_CALL_MSGS = 200.0
_STOCK_CLOSE_CALL_MSGS = 600.0
_POST_CLOSE_MSGS = 40.0
_AFTER_HOURS_MSGS = 30.0
_AFTER_HOURS_AUCTION_ISSUES = 150
_DERIV_MSGS = 400.0
_DERIV_CALL_MSGS = 60.0
_TRADE_SHARE = 1.0 / 3.0  # of arrivals in continuous trading: each trade also moves the book → trade:quote ≈ 1:3


class Market:
    """The simulated market of one trading day (see the module docstring for the sessions).

    A market started after 09:00 begins its record at the start time: trades(), cumulative volumes, open/high/low
    and the indices' published values cover only what happened from `start` on, and there is no opening uncross.
    """

    def __init__(
        self,
        seed: int = 7,
        trading_date: datetime.date | None = None,
        start: datetime.time = datetime.time(9, 0),
        speed: float = 1.0,
        rate: float = 1.0,
    ) -> None:
        if not rate >= 0:
            raise ValueError(f"rate must be non-negative, got {rate}")
        self.calendar_date = trading_date or datetime.datetime.now(KST).date()
        """The exchange's today, after which every date is in the future: today in KST when the simulator runs
        today's session or, on a day without one, the last (the default), else the configured trading date."""
        trading_date = trading_date or last_session_day(self.calendar_date)
        self.seed = seed
        self.rate = float(rate)
        self.clock = SimClock(trading_date, start, speed)
        self.universe = Universe(seed, trading_date)
        start_cs = self.clock.start_cs
        self._rng = random.Random(f"market:{seed}:{trading_date.isoformat()}:{start_cs}")
        self._rnd = self._rng.random
        self._next_cs = start_cs
        self._now_cs = start_cs - 1
        issues = self.universe.all()
        self._stocks = [i for i in issues if not i.derivative]
        self._derivs = [i for i in issues if i.derivative]
        self._indices = self.universe.indices()
        self._k200 = self.universe.kospi200
        weights = self.universe.popularity
        self._stock_cum = list(itertools.accumulate(weights[i.uid] for i in self._stocks))
        deriv_weights = [_deriv_weight(n, i, self._k200.base) for n, i in enumerate(self._derivs)]
        self._deriv_cum = list(itertools.accumulate(deriv_weights))
        self._schedule: dict[int, list[tuple[int, Issue]]] = {}
        self._stock_rate = 0.0
        self._deriv_rate = 0.0
        self._stock_next = math.inf
        self._deriv_next = math.inf
        self._stock_phase = krx.stock_state(start_cs)
        self._deriv_phase = krx.derivative_state(start_cs)
        self._started = False
        for issue in issues:
            mean_qty = _mean_qty(issue)
            issue.depth = max(2, int(4 * mean_qty))
            if issue.kind == "future":
                issue.reference = float(issue.base)
            elif not issue.derivative:
                issue.reference = issue.base * (1 + self._rng.gauss(0.0, 0.015))
            self._rebuild(issue, issue.base)
            if start_cs > krx.CLOSE_UNCROSS + 100 and not issue.derivative:
                issue.close = issue.base  # started after the close: no regular session today, the base stands
            if _in_call(start_cs, issue.derivative):
                issue.expected = issue.base

    # ------------------------------------------------------------------------------------------------ public API
    def advance(self, sink: MarketSink) -> int:
        """Run every 10 ms step up to the clock's current exchange time; returns the number of events emitted."""
        return self._run(self.clock.cs(), sink)

    def advance_to(self, hhmmssmm: int, sink: MarketSink) -> int:
        """Run every step up to and including `hhmmssmm` (deterministic; for tests and pre-generation)."""
        return self._run(krx.hhmmssmm_to_cs(hhmmssmm), sink)

    def issue(self, code: str) -> Issue | None:
        """Any stock/future/option by short code; a `*NNN` suffix is stripped."""
        return self.universe.get(code.split("*", 1)[0])

    def index(self, code: str) -> IndexState | None:
        """An index ("K1", "Q1", "K51", ...)."""
        return self.universe.index(code)

    def trades(self, code: str) -> Sequence[Trade]:
        """Every trade of the day so far for `code` (empty for an unknown code)."""
        issue = self.issue(code)
        return TradeView(issue) if issue is not None else ()

    def state(self, market: str) -> int:
        """`mkStatTpCd` of 'kospi'|'kosdaq'|'futures'|'options' at the last processed step."""
        if market in ("futures", "options"):
            return krx.derivative_state(self._now_cs)
        return krx.stock_state(self._now_cs)

    @property
    def now(self) -> int:
        """`HHMMSSmm` of the step being processed, or of the last processed one between calls."""
        return krx.cs_to_hhmmssmm(max(self._now_cs, 0))

    @property
    def now_cs(self) -> int:
        """Centiseconds since midnight of the last processed step."""
        return self._now_cs

    @property
    def trading_date(self) -> datetime.date:
        """The simulated trading date."""
        return self.clock.trading_date

    # ------------------------------------------------------------------------------------------------ stepping
    def _run(self, target: int, sink: MarketSink) -> int:
        events = 0
        cs = self._next_cs
        schedule = self._schedule
        while cs <= target:
            self._now_cs = cs
            if cs % 100 == 0 or not self._started:
                self._started = True
                events += self._second(cs, sink)
            batch = schedule.pop(cs, None)
            if batch is not None:
                events += self._run_batch(cs, batch, sink)
            step_end = cs + 1
            while self._stock_next < step_end:
                events += self._stock_event(cs, sink)
                self._stock_next += -math.log(1.0 - self._rnd()) / self._stock_rate
            while self._deriv_next < step_end:
                events += self._deriv_event(cs, sink)
                self._deriv_next += -math.log(1.0 - self._rnd()) / self._deriv_rate
            cs = step_end
        self._next_cs = cs
        return events

    def _second(self, cs: int, sink: MarketSink) -> int:
        """Once per exchange second: session changes, bursts, signals, index publication, arrival intensities."""
        events = 0
        self._stock_phase = krx.stock_state(cs)
        self._deriv_phase = krx.derivative_state(cs)
        if cs == krx.OPEN_CALL:
            for issue in self._stocks:
                issue.expected = issue.base
        if cs == krx.DERIV_OPEN_CALL:
            for issue in self._derivs:
                issue.expected = issue.base
        if cs == krx.STOCK_CLOSE_CALL:
            for issue in self._stocks:
                issue.expected, issue.expected_volume, issue.reference = issue.price, 0, float(issue.price)
        if cs == krx.DERIV_CLOSE_CALL:
            for issue in self._derivs:
                issue.expected, issue.expected_volume, issue.reference = issue.price, 0, float(issue.price)
        if cs in (krx.OPEN_UNCROSS, krx.CLOSE_UNCROSS):
            self._schedule_burst(cs, [i for i in self._stocks if i.expected], _UNCROSS)
        if cs in (krx.DERIV_OPEN_UNCROSS, krx.DERIV_CLOSE_UNCROSS):
            self._schedule_burst(cs, [i for i in self._derivs if i.expected], _UNCROSS)
        if krx.POST_CLOSE_END < cs <= krx.AFTER_HOURS_END and (cs - krx.POST_CLOSE_END) % 60_000 == 0:
            self._schedule_auction(cs)
        if cs == krx.CLOSE_UNCROSS + 100:
            for issue in self._stocks:
                issue.close = issue.price
            events += self._signal(sink, ("kospi", "kosdaq"), 31_000_000)
        elif cs == krx.POST_CLOSE_END:
            events += self._signal(sink, ("kospi", "kosdaq"), 41_000_000)
        elif cs == krx.AFTER_HOURS_END + 100:
            events += self._signal(sink, ("kospi", "kosdaq"), 81_000_000)
        elif cs == krx.DERIV_CLOSE_UNCROSS + 100:
            events += self._signal(sink, ("futures", "options"), 31_000_000)
        if krx.OPEN_UNCROSS < cs <= krx.CLOSE_UNCROSS + 100:
            events += self._publish_indices(cs, sink)
        stock_rate = _stock_msgs(cs) * self.rate / 100.0
        if self._stock_phase in (krx.MarketState.CONTINUOUS, krx.MarketState.POST_CLOSE):
            stock_rate *= 0.75  # a trade arrival emits a trade and a quote
        deriv_rate = _deriv_msgs(cs) * self.rate / 100.0
        if self._deriv_phase == krx.MarketState.CONTINUOUS:
            deriv_rate *= 0.75
        self._stock_rate, self._deriv_rate = stock_rate, deriv_rate
        self._stock_next = cs - math.log(1.0 - self._rnd()) / stock_rate if stock_rate > 0 else math.inf
        self._deriv_next = cs - math.log(1.0 - self._rnd()) / deriv_rate if deriv_rate > 0 else math.inf
        return events

    def _signal(self, sink: MarketSink, markets: tuple[str, ...], value: int) -> int:
        for market in markets:
            sink.on_signal(market, value)
        return len(markets)

    def _publish_indices(self, cs: int, sink: MarketSink) -> int:
        for index in self._indices:
            value = round(index.cap / index.divisor, 2)
            if not index.open:
                index.open = index.high = index.low = value
            elif value > index.high:
                index.high = value
            elif value < index.low:
                index.low = value
            index.value = value
            index.history.append((cs, value, index.acc_volume, index.acc_value))
            sink.on_index(index)
        return len(self._indices)

    def _schedule_burst(self, cs: int, issues: list[Issue], kind: int) -> None:
        """Spread one event per issue over the first second, in a seeded random order."""
        self._rng.shuffle(issues)
        n = len(issues)
        for k, issue in enumerate(issues):
            self._schedule.setdefault(cs + k * 100 // n, []).append((kind, issue))

    def _schedule_auction(self, cs: int) -> None:
        """An after-hours single-price auction: a popularity-weighted set of stocks trades once."""
        count = min(len(self._stocks), int(_AFTER_HOURS_AUCTION_ISSUES * self.rate))
        total = self._stock_cum[-1]
        chosen = {self._stocks[bisect.bisect(self._stock_cum, self._rnd() * total)].uid: None for _ in range(count)}
        issues = [self.universe.all()[uid] for uid in chosen]
        self._schedule_burst(cs, issues, _AUCTION)

    def _run_batch(self, cs: int, batch: list[tuple[int, Issue]], sink: MarketSink) -> int:
        events = 0
        rnd = self._rnd
        for kind, issue in batch:
            if kind == _UNCROSS:
                price = issue.expected
                qty = issue.expected_volume or 1 + int(-math.log(1.0 - rnd()) * _mean_qty(issue) * 3)
                issue.expected = issue.expected_volume = 0
                self._trade(issue, cs, price, qty, 1, sink)
                self._rebuild(issue, price)
            else:
                close = issue.official_close
                price = issue.expected or close
                qty = 1 + int(-math.log(1.0 - rnd()) * _mean_qty(issue))
                issue.expected = issue.expected_volume = 0
                self._trade(issue, cs, price, qty, 1 if price >= close else -1, sink)
            issue.quote_time = cs
            sink.on_quote(issue)
            events += 2
        return events

    # ------------------------------------------------------------------------------------------------ events
    def _stock_event(self, cs: int, sink: MarketSink) -> int:
        rnd = self._rnd
        issue = self._stocks[bisect.bisect(self._stock_cum, rnd() * self._stock_cum[-1])]
        phase = self._stock_phase
        if phase == krx.MarketState.CONTINUOUS:
            return self._continuous(issue, cs, sink)
        if phase in (krx.MarketState.OPENING_CALL, krx.MarketState.CLOSING_CALL):
            return self._call_quote(issue, cs, sink)
        if phase == krx.MarketState.POST_CLOSE:
            if rnd() < _TRADE_SHARE and issue.last:
                qty = 1 + int(-math.log(1.0 - rnd()) * _mean_qty(issue))
                self._trade(issue, cs, issue.official_close, qty, 1 if rnd() < 0.5 else -1, sink)
                issue.after_hours_ask = max(0, issue.after_hours_ask - qty)
            else:
                issue.after_hours_ask += int(rnd() * issue.depth)
                issue.after_hours_bid += int(rnd() * issue.depth)
                issue.quote_time = cs
                sink.on_quote(issue)
                return 1
            issue.quote_time = cs
            sink.on_quote(issue)
            return 2
        if phase == krx.MarketState.AFTER_HOURS:
            close = issue.official_close
            low, high = _after_hours_band(issue, close)
            issue.expected = self._drift(issue, issue.expected or close, close, low, high)
            issue.expected_volume += 1 + int(rnd() * issue.depth)
            issue.after_hours_bid += int(rnd() * issue.depth)
            issue.quote_time = cs
            sink.on_quote(issue)
            return 1
        return 0

    def _deriv_event(self, cs: int, sink: MarketSink) -> int:
        rnd = self._rnd
        issue = self._derivs[bisect.bisect(self._deriv_cum, rnd() * self._deriv_cum[-1])]
        phase = self._deriv_phase
        if phase == krx.MarketState.CONTINUOUS:
            self._update_derivative_reference(issue)
            return self._continuous(issue, cs, sink)
        if phase in (krx.MarketState.OPENING_CALL, krx.MarketState.CLOSING_CALL):
            return self._call_quote(issue, cs, sink)
        return 0

    def _update_derivative_reference(self, issue: Issue) -> None:
        """Futures follow K51 with their opening basis; options follow their model value at the current K51."""
        k200 = self._k200.cap / self._k200.divisor
        if issue.kind == "future":
            issue.reference = k200 * 100 + issue.base - self._k200.base * 100
        else:
            years = max((issue.expiry - self.clock.trading_date).days, 1) / 365 if issue.expiry else 1 / 365
            issue.reference = max(1.0, option_value(issue.kind, k200, issue.strike / 100, years) * 100)

    def _call_quote(self, issue: Issue, cs: int, sink: MarketSink) -> int:
        """A call-auction book change: the expected price drifts a tick around its anchor, expected volume grows."""
        rnd = self._rnd
        issue.expected = self._drift(issue, issue.expected or issue.price, round(issue.reference), issue.lower,
                                     issue.upper)  # fmt: skip
        issue.expected_volume += 1 + int(rnd() * issue.depth / 4)
        self._rebuild(issue, issue.expected)
        issue.quote_time = cs
        sink.on_quote(issue)
        return 1

    def _drift(self, issue: Issue, price: int, anchor: int, low: int, high: int) -> int:
        """One step of a tick-sized random walk that leans back towards `anchor`, kept inside [low, high]."""
        r = self._rnd()
        up, down = (0.05, 0.35) if price > anchor else (0.35, 0.05) if price < anchor else (0.2, 0.2)
        if r < up and price < high:
            price = krx.tick_up(price, issue.tick)
        elif up <= r < up + down and price > low:
            price = krx.tick_down(price, issue.tick)
        return min(max(price, low), high)

    def _continuous(self, issue: Issue, cs: int, sink: MarketSink) -> int:
        rnd = self._rnd
        if rnd() >= _TRADE_SHARE:
            self._quote_change(issue, cs)
            sink.on_quote(issue)
            return 1
        mid = issue.bid_prices[0] or issue.ask_prices[0]
        reference = issue.reference
        pressure = (mid - reference) / (reference * 0.0125) if issue.scale == 1 else (mid - reference) / 20.0
        p_buy = min(0.9, max(0.1, 0.5 - 0.1 * pressure))
        buy = rnd() < p_buy
        if buy and issue.ask_qtys[0] == 0:
            buy = False
        elif not buy and issue.bid_qtys[0] == 0:
            buy = True
        wanted = 1 + int(-math.log(1.0 - rnd()) * _mean_qty(issue))
        if buy:
            price = issue.ask_prices[0]
            qty = min(wanted, issue.ask_qtys[0])
            issue.ask_qtys[0] -= qty
            if issue.ask_qtys[0] == 0:
                self._lift_ask(issue, price)
        else:
            price = issue.bid_prices[0]
            qty = min(wanted, issue.bid_qtys[0])
            issue.bid_qtys[0] -= qty
            if issue.bid_qtys[0] == 0:
                self._hit_bid(issue, price)
        self._trade(issue, cs, price, qty, 1 if buy else -1, sink)
        issue.quote_time = cs
        sink.on_quote(issue)
        return 2

    def _quote_change(self, issue: Issue, cs: int) -> None:
        rnd = self._rnd
        level = min(int(-math.log(1.0 - rnd()) * 2.5), issue.levels - 1)
        if rnd() < 0.5:
            prices, qtys, counts = issue.ask_prices, issue.ask_qtys, issue.ask_counts
        else:
            prices, qtys, counts = issue.bid_prices, issue.bid_qtys, issue.bid_counts
        if prices[level] == 0:
            level = 0
        if prices[level]:
            qtys[level] = max(1, qtys[level] + int((rnd() - 0.45) * issue.depth))
            if issue.scale != 1:
                counts[level] = max(1, min(qtys[level], counts[level] + (1 if rnd() < 0.55 else -1)))
        issue.quote_time = cs

    def _lift_ask(self, issue: Issue, price: int) -> None:
        """The best ask was taken out: asks shift up a tick, a new best bid appears at the old ask."""
        last = issue.ask_prices[-1]
        far = last + issue.tick(last) if last else 0
        asks = (issue.ask_prices, issue.ask_qtys, issue.ask_counts)
        bids = (issue.bid_prices, issue.bid_qtys, issue.bid_counts)
        self._take_best(issue, asks, far if far and far <= issue.upper else 0, bids, price)

    def _hit_bid(self, issue: Issue, price: int) -> None:
        """The best bid was taken out: bids shift down a tick, a new best ask appears at the old bid."""
        last = issue.bid_prices[-1]
        far = last - issue.tick(last - 1) if last else 0
        bids = (issue.bid_prices, issue.bid_qtys, issue.bid_counts)
        asks = (issue.ask_prices, issue.ask_qtys, issue.ask_counts)
        self._take_best(issue, bids, far if far and far >= issue.lower else 0, asks, price)

    def _take_best(self, issue: Issue, taken: _Side, far: int, other: _Side, price: int) -> None:
        """Removes the best level of side `taken`, adds level `far` (0: none within the limits) at its far end, and
        puts a new best level at `price` on side `other`, whose last level drops off."""
        rnd = self._rnd
        counted = issue.scale != 1
        prices, qtys, counts = taken
        prices.pop(0)
        qtys.pop(0)
        counts.pop(0)
        if far:
            prices.append(far)
            qtys.append(1 + int(rnd() * 2 * issue.depth))
            counts.append(1 + int(rnd() * 8) if counted else 0)
        else:
            prices.append(0)
            qtys.append(0)
            counts.append(0)
        other_prices, other_qtys, other_counts = other
        other_prices.insert(0, price)
        other_prices.pop()
        other_qtys.insert(0, 1 + int(rnd() * issue.depth))
        other_qtys.pop()
        other_counts.insert(0, 1 + int(rnd() * 4) if counted else 0)
        other_counts.pop()

    def _rebuild(self, issue: Issue, bid1: int) -> None:
        """A fresh book: best bid `bid1`, every level one tick apart, nothing outside the daily limits."""
        rnd = self._rnd
        tick, upper, lower, depth, counted = issue.tick, issue.upper, issue.lower, issue.depth, issue.scale != 1
        bid1 = min(max(bid1, issue.lower), issue.upper)
        price = bid1
        for k in range(issue.levels):
            if price >= lower and price > 0:
                issue.bid_prices[k] = price
                issue.bid_qtys[k] = 1 + int(rnd() * 2 * depth)
                issue.bid_counts[k] = 1 + int(rnd() * 8) if counted else 0
                price -= tick(price - 1)
            else:
                issue.bid_prices[k] = issue.bid_qtys[k] = issue.bid_counts[k] = 0
        price = bid1 + tick(bid1)
        for k in range(issue.levels):
            if price <= upper:
                issue.ask_prices[k] = price
                issue.ask_qtys[k] = 1 + int(rnd() * 2 * depth)
                issue.ask_counts[k] = 1 + int(rnd() * 8) if counted else 0
                price += tick(price)
            else:
                issue.ask_prices[k] = issue.ask_qtys[k] = issue.ask_counts[k] = 0

    def _trade(self, issue: Issue, cs: int, price: int, qty: int, side: int, sink: MarketSink) -> None:
        previous = issue.last or issue.base
        issue.acc_volume += qty
        issue.acc_value += price * qty * issue.value_mult
        if issue.open:
            if price > issue.high:
                issue.high = price
            elif price < issue.low:
                issue.low = price
        else:
            issue.open = issue.high = issue.low = price
        issue.last = price
        issue.last_qty = qty
        issue.last_side = side
        issue.last_time = cs
        issue.trade_log.append(cs, price, qty, side, issue.acc_volume, issue.acc_value)
        if issue.index_ids:
            delta = (price - previous) * issue.shares
            value = price * qty
            indices = self._indices
            for uid in issue.index_ids:
                index = indices[uid]
                index.cap += delta
                index.acc_volume += qty
                index.acc_value += value
        sink.on_trade(
            issue, Trade(krx.cs_to_hhmmssmm(cs), issue.display(price), qty, issue.acc_volume, issue.acc_value, side)
        )


_UNCROSS = 0
_AUCTION = 1


def _in_call(cs: int, derivative: bool) -> bool:
    """Whether `cs` lies in a call auction of the instrument's market, its uncross instant included."""
    if derivative:
        return (
            krx.DERIV_OPEN_CALL <= cs <= krx.DERIV_OPEN_UNCROSS or krx.DERIV_CLOSE_CALL <= cs <= krx.DERIV_CLOSE_UNCROSS
        )
    return krx.OPEN_CALL <= cs <= krx.OPEN_UNCROSS or krx.STOCK_CLOSE_CALL <= cs <= krx.CLOSE_UNCROSS


def _stock_msgs(cs: int) -> float:
    """Stock messages/s market-wide at rate 1: the intraday U in continuous trading, flat rates elsewhere."""
    state = krx.stock_state(cs)
    if state == krx.MarketState.CONTINUOUS:
        for start, end, first, last in _STOCK_PROFILE:
            if start <= cs < end:
                return first + (last - first) * (cs - start) / (end - start)
        return 0.0  # 09:00:00–09:00:01 belongs to the uncross burst
    if state == krx.MarketState.OPENING_CALL:
        return _STOCK_CALL_MSGS
    if state == krx.MarketState.CLOSING_CALL:
        return _STOCK_CLOSE_CALL_MSGS
    if state == krx.MarketState.POST_CLOSE:
        return _POST_CLOSE_MSGS
    if state == krx.MarketState.AFTER_HOURS and cs < krx.AFTER_HOURS_END:
        return _AFTER_HOURS_MSGS
    return 0.0


def _deriv_msgs(cs: int) -> float:
    """Futures and options messages/s at rate 1, shaped like the stock U in continuous trading."""
    state = krx.derivative_state(cs)
    if state == krx.MarketState.CONTINUOUS:
        if cs < krx.DERIV_OPEN_UNCROSS + 100:
            return 0.0
        if cs < krx.OPEN_UNCROSS:
            return _DERIV_MSGS
        return _DERIV_MSGS * max(_stock_msgs(cs), _MID_SESSION) / _MID_SESSION
    if state in (krx.MarketState.OPENING_CALL, krx.MarketState.CLOSING_CALL):
        return _DERIV_CALL_MSGS
    return 0.0


def _mean_qty(issue: Issue) -> float:
    if issue.kind == "future":
        return 3.0
    if issue.derivative:
        return 10.0
    return max(1.0, TYPICAL_TRADE_NOTIONAL / issue.base)


def _deriv_weight(position: int, issue: Issue, k200: float) -> float:
    """Activity weight: the front future dominates; options fade with distance from the money."""
    if issue.kind == "future":
        return 40.0 / (1 + 8 * position)
    return 2.0 / (1 + abs(issue.strike - k200 * 100) / 250)


def _after_hours_band(issue: Issue, close: int) -> tuple[int, int]:
    """(low, high) of after-hours single-price trading: ±10 % of the close, on the grid, inside the daily limits."""
    high = min(krx.round_down_to_tick(close * 11 // 10, issue.tick), issue.upper)
    low = max(krx.round_up_to_tick(-(-close * 9 // 10), issue.tick), issue.lower)
    return low, high
