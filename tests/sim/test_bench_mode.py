"""Benchmark mode continues the market from cycle to cycle: a real `Feed` sees no duplicates, gaps or time travel."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from kfeed import Feed
from kfeed.sim import DEFAULT_KEY, krx
from kfeed.sim.auth import KeyCheck
from kfeed.sim.bench import BenchLibrary, generate, serve_bench

SEED = 7
DATE = dt.date(2026, 11, 25)
UNIQUE = 300


@pytest_asyncio.fixture
async def bench_url() -> AsyncIterator[str]:
    """A bench endpoint over a real socket whose cycles hold `UNIQUE` frames."""
    library = BenchLibrary(SEED, DATE, unique={"tick": UNIQUE, "tick10": UNIQUE})
    keys = KeyCheck(DEFAULT_KEY)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve_bench(request, library, keys, "tick")

    app = web.Application()
    app.router.add_get("/bench", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"ws://127.0.0.1:{port}/bench"
    await runner.cleanup()


async def _read(ws_connect, url: str) -> tuple[list[bytes], dict]:
    client = await ws_connect(url)
    payloads: list[bytes] = []
    async with asyncio.timeout(60):
        while True:
            msg = await client.ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT
            if b"bench_done" in msg.data.encode()[:60]:
                return payloads, orjson.loads(msg.data)
            payloads.append(msg.data.encode())


@pytest.mark.parametrize("kind", ["tick", "tick10"])
async def test_cycles_continue_the_market(bench_url, ws_connect, kind):
    frames = 3 * UNIQUE + UNIQUE // 3
    payloads, done = await _read(ws_connect, f"{bench_url}?kind={kind}&frames={frames}")
    assert len(payloads) == frames and done["params"]["frames"] == frames

    feed = Feed(trading_date=DATE)
    for payload in payloads:
        assert feed.ingest(payload) >= 1
    stats = feed.stats()
    assert stats["rejects"]["duplicate"] == 0 and stats["duplicates"] == 0
    assert stats["gaps"] == 0 and stats["trades"] == frames

    records = [orjson.loads(payload)["params"] for payload in payloads]
    generated = [orjson.loads(payload)["params"] for payload in generate(kind, SEED, DATE, UNIQUE).payloads]
    assert records[:UNIQUE] == generated
    last: dict[str, tuple[int, int, int]] = {}
    for record in records:
        assert record["trdTm"] < 24_000_000
        now = (krx.hhmmssmm_to_cs(record["trdTm"]), record["accTrdvol"], record.get("accTrdval", 0))
        before = last.get(record["isuSrtCd"])
        if before is not None:
            assert now[0] >= before[0]
            assert now[1] == before[1] + record["trdvol"]
            assert now[2] > before[2] or "accTrdval" not in record
        last[record["isuSrtCd"]] = now
    for index in (UNIQUE, 2 * UNIQUE, 3 * UNIQUE):
        assert records[index]["isuSrtCd"] == generated[0]["isuSrtCd"]
        assert records[index]["trdTm"] > records[index - 1]["trdTm"]


def test_the_clock_restarts_once_a_cycle_would_reach_midnight():
    frames = generate("tick", SEED, DATE, UNIQUE)
    stream = frames.stream(10**9)
    clock = stream.fields[-1]
    per_day = clock.cycles_per_day

    def times(cycle: int) -> list[int]:
        wire = stream.render(cycle)
        starts = stream.starts
        return [orjson.loads(wire[starts[i] + 2 + 2 * (wire[starts[i] + 1] == 126) : starts[i + 1]])["params"]["trdTm"]
                for i in range(len(stream))]  # fmt: skip

    first, last_of_day, next_day = times(0), times(per_day - 1), times(per_day)
    assert max(last_of_day) < 24_000_000
    assert krx.hhmmssmm_to_cs(max(last_of_day)) + clock.span_cs >= krx.cs_of(24, 0)
    assert next_day == first


async def test_a_stream_too_long_for_64_bit_totals_is_refused(bench_url, ws_connect):
    client = await ws_connect(f"{bench_url}?kind=tick&frames={10**18}")
    answer = await client.recv(30)
    assert answer["error"]["code"] == 47 and "past 2**63 - 1" in answer["error"]["message"]
