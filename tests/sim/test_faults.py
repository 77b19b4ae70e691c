"""Each fault, one by one: a client over a real socket observes it and the fault log records it."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
import pytest
from kfeed.sim import DEFAULT_KEY
from kfeed.sim.faults import FaultError, FaultSpec

PRICE = "/v2/market/stocks/kospi/005930/price"


async def rest_status(http: aiohttp.ClientSession, url: str) -> tuple[int, dict]:
    async with http.get(url + PRICE, headers={"apikey": DEFAULT_KEY}) as r:
        return r.status, await r.json()


async def until_closed(client, timeout: float = 5.0) -> aiohttp.WSMessage:
    """Read (and discard) frames until the socket reports it closed; return that last message."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await client.ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return msg


async def wait_for(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_drop_only_the_matching_path(sim, ws_connect):
    detail = await ws_connect(sim.ws_url + "/ws")
    stream = await ws_connect(sim.ws_url + "/ws_ksp")
    record = sim.faults.drop(path="/ws")
    assert record.kind == "drop" and record.details == {"path": "/ws", "connections": 1}
    msg = await until_closed(detail)
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert detail.ws.close_code != 1000
    assert await stream.call("heartbeat") == {"jsonrpc": "2.0", "id": 2, "result": {"message": "ok"}}
    assert sim.faults.log == [record]


async def test_stall_pauses_sending_and_keeps_the_socket(sim_factory, ws_connect):
    sim = await sim_factory(speed=20.0)
    client = await ws_connect(sim.ws_url + "/ws_ksp")
    await client.recv(10)
    sim.faults.stall(1.0)
    stalled_at = time.monotonic()
    last = stalled_at
    longest_gap = 0.0
    async with asyncio.timeout(10):
        while last - stalled_at < 1.2:
            frame = await client.recv(10)
            now = time.monotonic()
            longest_gap, last = max(longest_gap, now - last), now
            assert isinstance(frame, list)
    assert longest_gap >= 0.8 and not client.ws.closed
    assert sim.faults.log[-1].kind == "stall" and sim.faults.log[-1].details == {"seconds": 1.0}


async def test_malformed_frames(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws_ksp")
    sim.faults.malformed(2)
    bad = 0
    async with asyncio.timeout(10):
        while bad < 2:
            msg = await client.ws.receive()
            try:
                orjson.loads(msg.data)
            except orjson.JSONDecodeError:
                bad += 1
    assert sim.faults.log[-1].details == {"count": 2, "connections": 1}


async def test_duplicate_frames(sim_factory, ws_connect):
    sim = await sim_factory(speed=10.0)
    client = await ws_connect(sim.ws_url + "/ws_ksp")
    sim.faults.duplicate(1)
    first = (await client.ws.receive()).data
    second = (await client.ws.receive()).data
    assert first == second and isinstance(orjson.loads(first), list)
    third = (await client.ws.receive(timeout=10)).data
    assert third != second
    assert sim.faults.log[-1].kind == "duplicate"


async def test_refuse_subscriptions(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws")
    sim.faults.refuse_subscriptions(1)
    refused = await client.call("subscribe", {"preset": "tick", "isuSrtCd": "005930"})
    assert refused["error"]["code"] == -32000 and refused["id"] == 2
    accepted = await client.call("subscribe", {"preset": "tick", "isuSrtCd": "005930"})
    assert accepted["result"] == {"message": "ok"}


@pytest.mark.parametrize(("status", "body"), [(503, {"message": "An unexpected error occurred"}),
                                              (429, {"message": "API rate limit exceeded"})])  # fmt: skip
async def test_rest_errors(sim, http, status, body):
    sim.faults.rest_error(status, 2)
    assert await rest_status(http, sim.url) == (status, body)
    assert (await rest_status(http, sim.url))[0] == status
    assert (await rest_status(http, sim.url))[0] == 200
    assert sim.faults.log[-1].details == {"status": status, "count": 2}


async def test_restart_drops_then_listens_again_on_the_same_port(sim, ws_connect, http):
    client = await ws_connect(sim.ws_url + "/ws")
    port = sim.port
    sim.faults.restart(down=0.5)
    msg = await until_closed(client)
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as fresh:
            await rest_status(fresh, sim.url)
    await sim.faults.settled()
    assert sim.port == port
    async with aiohttp.ClientSession() as fresh:
        assert (await rest_status(fresh, sim.url))[0] == 200
    assert sim.faults.log[-1].kind == "restart"


async def test_http_control_endpoint(sim, http):
    async with http.post(sim.url + "/_sim/faults", json={"kind": "rest_error", "status": 500, "count": 1}) as r:
        assert r.status == 200
        assert (await r.json())["details"] == {"status": 500, "count": 1}
    assert (await rest_status(http, sim.url))[0] == 500
    async with http.post(sim.url + "/_sim/faults", json={"kind": "explode"}) as r:
        assert r.status == 400
    async with http.post(sim.url + "/_sim/faults", json={"kind": "stall", "seconds": "soon"}) as r:
        assert r.status == 400
    async with http.get(sim.url + "/_sim/faults") as r:
        log = await r.json()
    assert [entry["kind"] for entry in log] == ["rest_error"]
    assert {"kind", "at", "wall", "details"} == set(log[0]) and log[0]["at"] >= 9_000_000


async def test_scheduled_fault(sim_factory, http):
    sim = await sim_factory(faults=("rest_error:502,1@0.2",))
    await wait_for(lambda: bool(sim.faults.log))
    assert (await rest_status(http, sim.url))[0] == 502


def test_fault_spec_parsing():
    assert FaultSpec.parse("drop@30") == FaultSpec("drop", {}, 30.0)
    assert FaultSpec.parse("drop:/ws_ksp@1.5") == FaultSpec("drop", {"path": "/ws_ksp"}, 1.5)
    assert FaultSpec.parse("rest_error:429,3@12") == FaultSpec("rest_error", {"status": 429, "count": 3}, 12.0)
    for bad in ("explode@1", "stall:x@1", "drop@-1", "drop@soon", "malformed:1,2@3"):
        with pytest.raises(FaultError):
            FaultSpec.parse(bad)
