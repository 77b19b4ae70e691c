"""A session against the simulator over real sockets: snapshot, sharding, live books and bars equal to REST."""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import signal

import numpy as np
import pytest
from kfeed import Feed
from kfeed.errors import AuthError, SubscriptionError
from kfeed.health import Health
from kfeed.session import Session, SessionOptions, connect
from session_support import (
    CALM,
    FAST,
    SYMBOLS,
    assert_books_equal_rest,
    assert_closed_bars_equal_rest,
    drain,
    frozen,
    wait_exchange_minutes,
    wait_until,
)


async def test_live_books_and_bars_equal_rest(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=20.0)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, markets=("kospi",), options=FAST) as session:
        assert session.health == Health.LIVE
        gaps_before_live = session.stats()["gaps"]  # trades between the REST snapshot and the subscribe, repaired
        bars = session.feed.bars("1m").reader()
        await wait_exchange_minutes(session, 3.2)
        await frozen(sim, session)
        await assert_books_equal_rest(session, SYMBOLS)
        assert await assert_closed_bars_equal_rest(session, drain(bars), SYMBOLS) >= 2 * len(SYMBOLS)
        stats = session.stats()
        assert stats["gaps"] == gaps_before_live and stats["reconnects"] == 0
        # The only rejects: each tick subscription's current-state push repeats the trade the snapshot had.
        assert stats["rejects"]["duplicate"] <= len(SYMBOLS)
        assert sum(stats["rejects"].values()) == stats["rejects"]["duplicate"]
        assert stats["trades"] > 0 and stats["quotes"] > 0


async def test_subscriptions_are_sharded_across_sessions_by_the_cap(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0, max_subscriptions=4)
    options = SessionOptions(policy=FAST.policy, max_subscriptions=4)
    async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, options=options) as session:
        assert len(session.channels) == 3
        assert all(len(c.subscriptions) <= 4 for c in session.channels)
        await wait_until(
            lambda: all(int(session.feed.book(code)["updates"]) > 1 for code in SYMBOLS), 20, "books for every shard"
        )


async def test_over_the_servers_cap_is_a_subscription_error(sim_factory) -> None:
    sim = await sim_factory(**CALM, max_subscriptions=4)
    with pytest.raises(SubscriptionError) as info:
        async with connect(sim.url, key=sim.config.key, symbols=SYMBOLS, options=FAST):
            pass
    assert info.value.code == 20056


async def test_unknown_code_is_a_subscription_error(sim_factory) -> None:
    sim = await sim_factory(**CALM)
    with pytest.raises(SubscriptionError) as info:
        async with connect(sim.url, key=sim.config.key, symbols=["999999"], presets=("tick",), options=FAST):
            pass
    assert info.value.code == 10040


async def test_bad_key_is_an_auth_error_without_a_retry_storm(sim_factory) -> None:
    sim = await sim_factory(**CALM)
    session = Session(sim.url, key="l7xx" + "f" * 32, symbols=["005930"], options=FAST)
    with pytest.raises(AuthError):
        await session.start()
    assert session.rest.requests_sent <= 2
    assert session.health == Health.CLOSED


async def test_bad_key_on_the_stream_is_an_auth_error(sim_factory) -> None:
    sim = await sim_factory(**CALM)
    options = SessionOptions(policy=FAST.policy, snapshot=False)
    with pytest.raises(AuthError):
        async with connect(sim.url, key="l7xx" + "e" * 32, symbols=["005930"], options=options):
            pass


async def test_the_key_never_appears_in_logs_reprs_or_errors(sim_factory, caplog: pytest.LogCaptureFixture) -> None:
    sim = await sim_factory(**CALM, speed=10.0)
    caplog.set_level(logging.DEBUG)
    key = sim.config.key
    async with connect(sim.url, key=key, symbols=SYMBOLS[:2], options=FAST) as session:
        sim.faults.drop()
        await session.monitor.wait_for(Health.RECOVERING, timeout=5)
        await session.monitor.wait_for(Health.LIVE, timeout=10)
        texts = [repr(session), repr(session.rest), str(session.stats())]
    wrong = "l7xx" + "d" * 32
    with pytest.raises(AuthError) as info:
        async with connect(sim.url, key=wrong, symbols=["005930"], options=FAST):
            pass
    texts += [str(info.value), repr(info.value)]
    for text in [*texts, caplog.text]:
        assert key not in text
        assert wrong not in text


async def test_the_session_adopts_the_servers_trading_date(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0, date="20260102")
    feed = Feed(trading_date="20260105")
    async with connect(sim.url, key=sim.config.key, symbols=["005930"], options=FAST, feed=feed) as session:
        assert session.feed.trading_date == datetime.date(2026, 1, 2)
        assert session.rest.trading_date == datetime.date(2026, 1, 2)
        await wait_until(lambda: session.feed.exchange_time > 0, 10, "a trade")
        day = np.datetime64(session.feed.exchange_time + 9 * 3600 * 10**9, "ns").astype("datetime64[D]")
        assert str(day) == "2026-01-02"


async def test_sigint_cancels_the_session_unless_the_program_handles_it_and_then_it_is_left_alone(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0)
    loop = asyncio.get_running_loop()
    runners = signal.getsignal(signal.SIGINT)  # the test's asyncio.Runner handles Ctrl-C itself

    async def interrupted_session() -> None:
        async with connect(sim.url, key=sim.config.key, symbols=["005930"], options=FAST):
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(30)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.ensure_future(interrupted_session()), 20)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "the session's handler is removed"
    finally:
        signal.signal(signal.SIGINT, runners)

    interrupts: list[int] = []
    loop.add_signal_handler(signal.SIGINT, lambda: interrupts.append(1))
    try:
        async with connect(sim.url, key=sim.config.key, symbols=["005930"], options=FAST) as session:
            os.kill(os.getpid(), signal.SIGINT)
            await wait_until(lambda: len(interrupts) == 1, 10, "the program's own handler")
            assert session.health == Health.LIVE
        os.kill(os.getpid(), signal.SIGINT)
        await wait_until(lambda: len(interrupts) == 2, 10, "the program's handler, still in place")
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, runners)
    async with connect(sim.url, key=sim.config.key, symbols=["005930"], options=FAST):
        assert signal.getsignal(signal.SIGINT) is runners
    assert signal.getsignal(signal.SIGINT) is runners
