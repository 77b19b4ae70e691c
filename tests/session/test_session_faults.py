"""Every fault the simulator can inject, one by one: the session survives it with no silently wrong state.

After each fault and its recovery the market is frozen and the stream drained; then every subscribed book equals
REST ``orderbook`` and every closed bar equals REST ``intraday``. Trades lost in an outage show up as gaps.
"""

from __future__ import annotations

import asyncio

import numpy as np
import orjson
from kfeed import BAR_GAP, Feed
from kfeed.health import Health, HealthMonitor
from kfeed.repair import Repairer
from kfeed.rest import RestClient
from kfeed.session import connect
from session_support import (
    CALM,
    FAST,
    SYMBOLS,
    assert_books_equal_rest,
    assert_closed_bars_equal_rest,
    drain,
    exchange_ns,
    frozen,
    wait_exchange_minutes,
    wait_until,
)


async def _verify(sim, session, bars_reader) -> None:
    await frozen(sim, session)
    await wait_until(lambda: not session.repairer.pending, 10, "repairs to finish")
    await session.sync()
    await assert_books_equal_rest(session, SYMBOLS)
    await assert_closed_bars_equal_rest(session, drain(bars_reader), SYMBOLS)


async def test_drop_reconnects_reports_gaps_and_repairs(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, markets=("kospi",), options=FAST) as session:
        bars = session.feed.bars("1m").reader()
        trades = session.feed.trades_reader()
        await wait_until(lambda: session.feed.stats()["trades"] > 50, 10, "trades")
        sim.faults.drop()
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=10)
        stats = session.stats()
        assert stats["reconnects"] >= 2  # the /ws and the /ws_ksp channels both came back
        assert stats["outages"] >= 2
        await wait_exchange_minutes(session, 2.2)
        await _verify(sim, session, bars)
        assert [r.kind for r in sim.faults.log] == ["drop"]
        received = drain(trades)
        gapped = {code for code, _ in session.repairer.gaps}
        for code in SYMBOLS:
            mine = received[received["symbol"] == session.feed.symbol_id(code)]
            first = int(mine["time"].min())
            truth = [t for t in sim.market.trades(code) if exchange_ns(session, t.time) >= first]
            assert len(mine) <= len(truth)
            if len(mine) < len(truth):
                assert code in gapped, f"{code} lost {len(truth) - len(mine)} trades without a reported gap"


async def test_stall_is_detected_as_a_dead_peer(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=2.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, options=FAST) as session:
        bars = session.feed.bars("1m").reader()
        await wait_until(lambda: session.feed.stats()["trades"] > 20, 10, "trades")
        sim.faults.stall(4.0)
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        assert session.stats()["dead_peers"] + session.stats()["stalls"] >= 1
        await session.monitor.wait_for(Health.LIVE, timeout=15)
        await _verify(sim, session, bars)


async def test_malformed_frames_are_counted_not_applied(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, options=FAST) as session:
        bars = session.feed.bars("1m").reader()
        await wait_until(lambda: session.feed.stats()["trades"] > 20, 10, "trades")
        sim.faults.malformed(5)
        await wait_until(lambda: sum(session.feed.stats()["rejects"].values()) >= 5, 10, "five rejects")
        assert session.health == Health.LIVE
        assert session.stats()["reconnects"] == 0
        await _verify(sim, session, bars)


async def test_duplicate_frames_are_not_counted_twice(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, options=FAST) as session:
        bars = session.feed.bars("1m").reader()
        await wait_until(lambda: session.feed.stats()["trades"] > 20, 10, "trades")
        before = session.feed.stats()["duplicates"]
        sim.faults.duplicate(20)
        await wait_until(lambda: session.feed.stats()["duplicates"] > before, 10, "a duplicate to be caught")
        await wait_exchange_minutes(session, 2.2)
        await _verify(sim, session, bars)


async def test_refused_resubscribe_is_retried_until_it_succeeds(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS[:2], options=FAST) as session:
        sim.faults.refuse_subscriptions(2)
        sim.faults.drop()
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=15)
        assert session.stats()["reconnects"] >= 1


async def test_rest_errors_during_the_snapshot_are_retried(sim_factory) -> None:
    sim = await sim_factory(**CALM)
    sim.faults.rest_error(503, 2)
    sim.faults.rest_error(429, 1)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS[:2], options=FAST) as session:
        assert session.health == Health.LIVE
    assert [r.kind for r in sim.faults.log] == ["rest_error", "rest_error"]


async def test_server_restart_is_survived(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, options=FAST) as session:
        bars = session.feed.bars("1m").reader()
        await wait_until(lambda: session.feed.stats()["trades"] > 20, 10, "trades")
        sim.faults.restart(0.5)
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=15)
        await _verify(sim, session, bars)


async def test_an_index_session_survives_a_drop_and_backfills_its_bars(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, symbols=["K1", "Q1"], presets=("index",), options=FAST) as session:
        await wait_until(lambda: session.feed.stats()["index"] > 5, 10, "index prints")
        sim.faults.drop()
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=10)
        await wait_until(lambda: session.stats()["repairs"] >= 2, 10, "both indices repaired")
        assert session.stats()["repair_failures"] == 0


async def test_an_outage_of_the_market_stream_flags_the_bars_it_left_short(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, markets=("kospi",), options=FAST) as session:
        await wait_until(lambda: session.feed.stats()["trades"] > 200, 10, "market-wide trades")
        sim.faults.drop("/ws_ksp")
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=10)
        await wait_until(lambda: session.stats()["bars_flagged"] > 0, 5, "flagged bars")
        current = session.feed.bars("10m").current
        flagged = current[(current["trades"] > 0) & (current["flags"] & BAR_GAP != 0)]
        assert len(flagged) > 0
        outage = session.outages[-1]
        assert all(int(bar["end"]) > outage.exchange_time for bar in flagged)


async def test_an_outage_of_one_market_stream_flags_no_bar_of_the_other_market(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, markets=("kospi", "kosdaq"), options=FAST) as session:
        feed = session.feed
        closed = feed.bars("10s").reader()
        await wait_until(lambda: feed.stats()["trades"] > 200, 10, "market-wide trades")
        live_at = feed.exchange_time  # the start's partial mark is at or before this
        await wait_until(lambda: feed.exchange_time > live_at + 30 * 10**9, 10, "30 s of exchange time")
        sim.faults.drop("/ws_kdq")
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=10)
        recovered_at = feed.exchange_time
        await wait_until(lambda: feed.exchange_time > recovered_at + 5 * 10**9, 10, "trades after the recovery")
        bars = np.concatenate([drain(closed), feed.bars("10s").current])
        bars = bars[(bars["trades"] > 0) & (bars["flags"] & BAR_GAP != 0)]
        market = [session.repairer.markets[feed.symbol(int(i))] for i in bars["symbol"]]
        kospi = bars[np.array(market) == "kospi"]
        kosdaq = bars[np.array(market) == "kosdaq"]
        assert np.all(kospi["start"] < live_at), "a KOSPI bar flagged for the KOSDAQ stream's outage"
        assert np.any(kosdaq["start"] >= live_at), "the KOSDAQ bars the outage left short are flagged"


async def test_a_repair_takes_books_from_rest_but_never_a_cumulative_volume(sim_factory) -> None:
    """REST runs ahead of trades still in flight on the stream: taking its volume would refuse them as duplicates."""
    sim = await sim_factory(**CALM, speed=20.0)
    feed = Feed()
    async with RestClient(sim.url, key=sim.config.key) as rest:
        repairer = Repairer(feed, rest, HealthMonitor(), close_delay=1.0)
        await repairer.snapshot(["005930"], ["tick", "quote10"])
        seeded = feed.last_acc_volume("005930")
        assert seeded is not None
        deadline = asyncio.get_running_loop().time() + 20
        while (await rest.stocks.price("kospi", "005930")).acc_volume <= seeded + 1:
            assert asyncio.get_running_loop().time() < deadline, "the simulator's volume never moved"
            await asyncio.sleep(0.05)
        quotes = feed.stats()["quotes"]
        repairer.repair_all(["005930"])
        await repairer.settle()
        assert repairer.repairs == 1 and feed.stats()["quotes"] > quotes, "the book was taken again"
        assert feed.last_acc_volume("005930") == seeded
    late = {"isuSrtCd": "005930", "trdPrc": 70_000, "trdvol": 1, "accTrdvol": seeded + 1, "trdTm": 10_000_100}
    frame = orjson.dumps({"jsonrpc": "2.0", "method": "push", "params": {"preset": "tick", **late}})
    assert feed.ingest(frame) == 1, "a trade the stream brings after the repair is applied"
    assert feed.stats()["rejects"]["duplicate"] == 0
