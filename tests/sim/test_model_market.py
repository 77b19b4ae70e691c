"""The market engine: KRX price rules on every trade and book, cumulative volumes, sessions, bursts, indices, load
profile and determinism."""

import datetime
import itertools
import os
import subprocess
import sys
from collections import Counter

import pytest
from kfeed.sim import krx
from kfeed.sim.clock import SimClock
from kfeed.sim.market import Market
from kfeed.sim.universe import Issue

DAY = datetime.date(2026, 11, 26)


class CheckingSink:
    """Records every event and checks the KRX invariants at the moment each one is emitted."""

    def __init__(self, market):
        self.market = market
        self.events = []
        self.acc = {}
        self.problems = []

    def on_trade(self, issue, trade):
        self.events.append(("trade", issue.code, trade.time, trade.price, trade.qty, trade.acc_volume, trade.acc_value))
        units = round(trade.price * issue.scale)
        if units % issue.tick(units) or not issue.lower <= units <= issue.upper:
            self.problems.append(("trade off grid/limits", issue.code, units, issue.lower, issue.upper))
        volume, value = self.acc.get(issue.code, (0, 0))
        volume, value = volume + trade.qty, value + units * trade.qty * issue.value_mult
        if (volume, value) != (trade.acc_volume, trade.acc_value):
            self.problems.append(("acc mismatch", issue.code, volume, trade.acc_volume, value, trade.acc_value))
        self.acc[issue.code] = (volume, value)

    def on_quote(self, issue: Issue):
        self.events.append(("quote", issue.code, issue.quote_time, tuple(issue.ask_prices), tuple(issue.bid_qtys)))
        for side, prices, step in (("ask", issue.ask_prices, 1), ("bid", issue.bid_prices, -1)):
            live = [p for p in prices if p]
            if prices[: len(live)] != live:
                self.problems.append(("gap in book", issue.code, side, prices))
            for p in live:
                if p % issue.tick(p) or not issue.lower <= p <= issue.upper:
                    self.problems.append(("level off grid/limits", issue.code, side, p))
            for a, b in itertools.pairwise(live):
                nxt = krx.tick_up(a, issue.tick) if step > 0 else krx.tick_down(a, issue.tick)
                if b != nxt:
                    self.problems.append(("levels not consecutive", issue.code, side, prices))
        if issue.ask_prices[0] and issue.bid_prices[0] and issue.ask_prices[0] <= issue.bid_prices[0]:
            self.problems.append(("crossed book", issue.code, issue.ask_prices[0], issue.bid_prices[0]))

    def on_index(self, index):
        self.events.append(("index", index.code, self.market.now_cs, index.value))
        expected = round(sum((i.last or i.base) * i.shares for i in index.constituents) / index.divisor, 2)
        if abs(expected - index.value) > 0.011:
            self.problems.append(("index not from constituents", index.code, expected, index.value))

    def on_signal(self, market, value):
        self.events.append(("signal", market, self.market.now_cs, value))

    def trades(self, code=None):
        return [e for e in self.events if e[0] == "trade" and (code is None or e[1] == code)]


def run(start, until, rate=0.1, seed=7):
    market = Market(seed=seed, trading_date=DAY, start=start, rate=rate)
    sink = CheckingSink(market)
    emitted = market.advance_to(until, sink)
    assert emitted == len(sink.events)
    return market, sink


@pytest.fixture(scope="module")
def opening():
    return run(datetime.time(8, 59, 50), 9_003_000)


@pytest.fixture(scope="module")
def closing():
    return run(datetime.time(15, 19, 50), 15_410_000, rate=0.2)


def test_every_trade_and_level_obeys_tick_grid_limits_and_cumulative_sums(opening, closing):
    for _market, sink in (opening, closing):
        assert sink.problems == []
        assert len(sink.trades()) > 3_000


def test_trade_log_equals_what_the_sink_saw(opening):
    market, sink = opening
    seen = [(e[2], e[3], e[4], e[5], e[6]) for e in sink.trades("005930")]
    logged = [(t.time, t.price, t.qty, t.acc_volume, t.acc_value) for t in market.trades("005930")]
    assert logged == seen
    assert market.issue("005930").acc_volume == sum(t.qty for t in market.trades("005930"))
    assert market.trades("NOPE00") == ()


def test_no_stock_trades_during_the_opening_call_then_a_burst_at_the_uncross(opening):
    market, sink = opening
    stock_codes = {i.code for i in market.universe.stocks()}
    stock_trades = [e for e in sink.trades() if e[1] in stock_codes]
    assert min(e[2] for e in stock_trades) >= 9_000_000
    burst = {e[1] for e in stock_trades if e[2] < 9_000_100}
    assert len(burst) >= 0.95 * len(stock_codes)
    first = {}
    for e in stock_trades:
        first.setdefault(e[1], e)
    assert all(e[2] < 9_000_100 for e in first.values()), "each issue's first trade is its opening uncross"
    quoted = {e[1] for e in sink.events if e[0] == "quote" and 9_000_000 <= krx.cs_to_hhmmssmm(e[2]) < 9_000_100}
    assert len(quoted) >= 0.95 * len(stock_codes)


def test_a_market_started_at_0900_begins_with_the_uncross_burst():
    market, sink = run(datetime.time(9, 0), 9_000_099)
    uncrossed = {e[1] for e in sink.trades() if not market.issue(e[1]).derivative}
    assert len(uncrossed) == len(market.universe.stocks())
    assert all(market.issue(code).expected == 0 for code in uncrossed)


def test_the_opening_call_quotes_expected_prices():
    market, sink = run(datetime.time(8, 29, 59), 8_590_000)
    assert [e for e in sink.trades() if not market.issue(e[1]).derivative] == []
    assert min(e[2] for e in sink.trades()) >= 8_450_000
    assert market.state("kospi") == krx.MarketState.OPENING_CALL
    quoted = [market.issue(e[1]) for e in sink.events if e[0] == "quote" and not market.issue(e[1]).derivative]
    assert quoted and all(i.expected and i.lower <= i.expected <= i.upper for i in quoted)


def test_closing_call_has_no_trades_and_ends_in_an_uncross_burst_and_signals(closing):
    market, sink = closing
    stock_codes = {i.code for i in market.universe.stocks()}
    during_call = [e for e in sink.trades() if e[1] in stock_codes and 15_200_000 <= e[2] < 15_300_000]
    assert during_call == []
    burst = {e[1] for e in sink.trades() if e[1] in stock_codes and 15_300_000 <= e[2] < 15_300_100}
    assert len(burst) >= 0.95 * len(stock_codes)
    signals = [(e[1], e[3]) for e in sink.events if e[0] == "signal"]
    assert ("kospi", 31_000_000) in signals and ("kosdaq", 31_000_000) in signals
    post_close = [e for e in sink.trades() if e[1] in stock_codes and e[2] >= 15_400_000]
    assert post_close and all(e[3] == market.trades(e[1])[len(market.trades(e[1])) - 1].price for e in post_close)
    assert market.state("kospi") == krx.MarketState.POST_CLOSE


def test_after_hours_auctions_stay_within_ten_percent_of_the_close():
    market, sink = run(datetime.time(15, 59, 58), 16_200_100, rate=1.0)
    trades = sink.trades()
    assert {e[2] // 100 for e in trades} <= {161_000, 162_000}
    assert len({e[1] for e in trades}) > 50
    assert ("kospi", 41_000_000) in [(e[1], e[3]) for e in sink.events if e[0] == "signal"]
    for e in trades:
        issue = market.issue(e[1])
        close = issue.official_close
        assert close * 0.9 <= e[3] <= close * 1.1
    assert sink.problems == []


def test_derivatives_trade_from_0845_with_their_own_ticks(opening):
    market, sink = run(datetime.time(8, 44, 58), 8_450_500, rate=0.5)
    derivative_trades = [e for e in sink.trades() if market.issue(e[1]).derivative]
    assert derivative_trades and min(e[2] for e in derivative_trades) >= 8_450_000
    assert all(e[1] not in {i.code for i in market.universe.stocks()} for e in sink.trades())
    future = market.issue(market.universe.futures()[0].code)
    assert future.levels == 5 and all(c > 0 for c in future.ask_counts)
    assert sink.problems == []


def test_indices_are_published_every_second_from_constituents(opening):
    market, sink = opening
    k1 = [e for e in sink.events if e[0] == "index" and e[1] == "K1"]
    assert [e[2] for e in k1] == list(range(krx.cs_of(9, 0, 1), krx.cs_of(9, 0, 30) + 1, 100))
    assert all(round(e[3], 2) == e[3] for e in k1)
    k200 = market.index("K51")
    assert k200.acc_volume == sum(i.acc_volume for i in k200.constituents)


def test_a_market_started_mid_session_records_from_its_start():
    market, sink = run(datetime.time(10, 0), 10_000_500, rate=0.5)
    assert sink.trades() and min(e[2] for e in sink.trades()) >= 10_000_000
    issue = market.issue("005930")
    assert issue.acc_volume == sum(t.qty for t in market.trades("005930"))
    assert sink.problems == []


def test_same_seed_same_events_however_the_steps_are_chunked():
    one_shot = run(datetime.time(8, 59, 59), 9_000_300, rate=0.2)[1].events
    market = Market(seed=7, trading_date=DAY, start=datetime.time(8, 59, 59), rate=0.2)
    sink = CheckingSink(market)
    for stop in (8_595_950, 9_000_000, 9_000_001, 9_000_137, 9_000_300):
        market.advance_to(stop, sink)
    assert sink.events == one_shot
    other_seed = run(datetime.time(8, 59, 59), 9_000_300, rate=0.2, seed=8)[1].events
    assert other_seed != one_shot


def test_load_profile_mid_session_and_at_the_open():
    mid_market, mid = run(datetime.time(11, 0), 11_001_000, rate=1.0)
    stocks = {i.code for i in mid_market.universe.stocks()}
    kinds = Counter(e[0] for e in mid.events if e[1] in stocks)
    per_second = (kinds["trade"] + kinds["quote"]) / 10
    assert 1_000 <= per_second <= 2_000
    assert 0.25 <= kinds["trade"] / kinds["quote"] <= 0.42
    busiest = Counter(e[1] for e in mid.events if e[0] in ("trade", "quote") and e[1] in stocks).most_common(1)[0]
    assert busiest[0] == "005930" and 50 <= busiest[1] / 10 <= 200
    _, open_sink = run(datetime.time(9, 0, 1), 9_000_600, rate=1.0)
    opening_rate = sum(1 for e in open_sink.events if e[0] in ("trade", "quote") and e[1] in stocks) / 5
    assert 5 * per_second <= opening_rate <= 10 * per_second * 1.2


def test_rate_scales_activity():
    _, low = run(datetime.time(11, 0), 11_000_500, rate=0.1)
    _, high = run(datetime.time(11, 0), 11_000_500, rate=1.0)
    assert 6 < len(high.events) / len(low.events) < 14


def test_clock_runs_speed_times_wall_time_from_start():
    now = [100.0]
    clock = SimClock(DAY, datetime.time(8, 59, 50), speed=10.0, wall=lambda: now[0])
    assert clock.hhmmssmm() == 8_595_000
    now[0] += 1.5
    assert clock.hhmmssmm() == 9_000_500
    midnight_kst = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    assert clock.exchange_ns() == int(midnight_kst.timestamp()) * 10**9 + (9 * 3600 + 5) * 10**9
    with pytest.raises(ValueError):
        SimClock(DAY, datetime.time(9), speed=0)


def test_default_trading_date_is_a_business_day():
    market = Market(seed=1)
    assert krx.calendar().is_business_day(market.trading_date)


def test_futures_follow_kospi200_with_their_basis():
    market, sink = run(datetime.time(9, 0, 1), 9_013_000, rate=0.1)
    assert sink.problems == []
    k200 = market.index("K51")
    for future in market.universe.futures()[:2]:
        basis = future.base / 100 - k200.base
        mid = (future.ask_prices[0] + future.bid_prices[0]) / 200
        assert len(market.trades(future.code)) > 20
        assert abs(mid - (k200.current() + basis)) < 1.0, future


DIGEST_SCRIPT = """
import datetime, hashlib
from kfeed.sim.market import Market
class Sink:
    def __init__(self): self.h = hashlib.sha256()
    def on_trade(self, issue, trade): self.h.update(repr((issue.code, trade)).encode())
    def on_quote(self, issue): self.h.update(repr((issue.code, issue.ask_prices, issue.bid_qtys)).encode())
    def on_index(self, index): self.h.update(repr((index.code, index.value)).encode())
    def on_signal(self, market, value): self.h.update(repr((market, value)).encode())
sink = Sink()
Market(seed=7, trading_date=datetime.date(2026, 11, 26), start=datetime.time(8, 59, 59), rate=0.2).advance_to(
    9_000_200, sink)
print(sink.h.hexdigest())
"""


def test_the_event_sequence_does_not_depend_on_the_process_hash_seed():
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1
