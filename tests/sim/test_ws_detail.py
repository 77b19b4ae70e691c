"""`/ws` over a real socket: init, subscribe/unsubscribe, presets, caps, every error code, query, heartbeats."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
from kfeed.sim import DEFAULT_KEY

OK = {"message": "ok"}
TICK_KEYS = {"preset", "isuSrtCd", "trdPrc", "trdvol", "trdTm", "accTrdvol", "accTrdval"}
QUOTE_KEYS = {"preset", "isuSrtCd", "accTrdvol", "askStep1BstordPrc", "askStep1BstordRqty", "bidStep1BstordPrc",
              "bidStep1BstordRqty"}  # fmt: skip


async def kospi_codes(sim, http, count: int) -> list[str]:
    async with http.get(sim.url + "/v2/market/stocks/kospi/lists", headers={"apikey": DEFAULT_KEY}) as r:
        return [row["isuSrtCd"] for row in (await r.json())["isuLists"][:count]]


async def subscribe_ok(client, preset: str, code: str, **extra) -> dict:
    """Subscribe, assert ok, return the state push that must follow at once."""
    request_id = await client.send("subscribe", {"preset": preset, "isuSrtCd": code, **extra})
    assert await client.reply_to(request_id) == {"jsonrpc": "2.0", "id": request_id, "result": OK}
    snapshot = await client.recv()
    assert snapshot["method"] == "push" and "id" not in snapshot
    return snapshot["params"]


async def test_init_required_and_bad_key_closes(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws", init=False)
    answer = await client.call("subscribe", {"preset": "tick", "isuSrtCd": "005930"})
    assert answer["error"]["code"] == 13001 and answer["id"] == 1
    answer = await client.call("heartbeat")
    assert answer["error"]["code"] == 13001
    answer = await client.init(key="l7xx" + "e" * 32)
    assert answer["error"]["code"] == 13001
    closing = await asyncio.wait_for(client.ws.receive(), 5)
    assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1008)


async def test_presets_push_state_then_live(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws/")
    tick = await subscribe_ok(client, "tick", "005930")
    assert set(tick) == TICK_KEYS and tick["preset"] == "tick" and tick["isuSrtCd"] == "005930"
    quote = await subscribe_ok(client, "quote", "005930")
    assert set(quote) == QUOTE_KEYS
    tick10 = await subscribe_ok(client, "tick10", "005930")
    assert len(tick10) == 15 and "lstAskbidTpCd" in tick10
    quote10 = await subscribe_ok(client, "quote10", "005930")
    assert "askStep10BstordPrc" in quote10 and "deemTrdPrc" in quote10
    index = await subscribe_ok(client, "index", "K1")
    assert {"isuSrtCd", "trdTm", "trdPrc", "cmpprevddTpCd", "accTrdvol"} <= set(index)
    seen: set[str] = set()
    async with asyncio.timeout(20):
        while not {"tick", "quote", "tick10", "quote10"} <= seen:
            frame = await client.recv(20)
            assert frame["method"] == "push" and frame["params"]["isuSrtCd"] in ("005930", "K1")
            seen.add(frame["params"]["preset"])


async def test_change_pushes_only_changed_items(sim_factory, ws_connect):
    sim = await sim_factory(speed=10.0)
    client = await ws_connect(sim.ws_url + "/ws")
    items = ["trdPrc", "accTrdvol", "askStep1BstordPrc"]
    first = await subscribe_ok(client, "change", "005930", items=items)
    assert set(first) == {"isuCd", "isuSrtCd", *items} and first["isuCd"] == "KR7005930003"
    last = dict(first)
    async with asyncio.timeout(20):
        for _ in range(10):
            frame = (await client.recv(20))["params"]
            assert "preset" not in frame and frame["isuSrtCd"] == "005930"
            changed = set(frame) - {"isuCd", "isuSrtCd"}
            assert changed and changed <= set(items)
            assert all(frame[k] != last[k] for k in changed)
            last.update(frame)
    bad = await client.call("subscribe", {"preset": "change", "isuSrtCd": "000660", "items": ["trdPrc", "nope"]})
    assert bad["error"]["code"] == 10050


async def test_error_codes(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws")
    cases = [
        ({"preset": "tick", "isuSrtCd": "999999"}, 10040),
        ({"preset": "tick", "isuSrtCd": "K1"}, 10040),
        ({"preset": "index", "isuSrtCd": "005930"}, 10040),
        ({"preset": "ticks", "isuSrtCd": "005930"}, 10000),
        ({"isuSrtCd": "005930"}, 10000),
        ({"preset": "change", "isuSrtCd": "005930"}, 10050),
    ]
    for params, code in cases:
        answer = await client.call("subscribe", params)
        assert answer["error"]["code"] == code, params
    answer = await client.call("unsubscribe", {"preset": "tick", "isuSrtCd": "005930"})
    assert answer["error"]["code"] == 20057
    answer = await client.call("frobnicate", {})
    assert answer["error"]["code"] == 47 and answer["id"]


async def test_bad_frames_get_47_and_keep_the_session(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws")
    await client.ws.send_str("{not json")
    assert (await client.recv())["error"]["code"] == 47
    await client.ws.send_str('{"jsonrpc":"1.0","id":9,"method":"heartbeat"}')
    not_json_rpc = {"code": 47, "message": "정상적인 JSON-RPC 형식이 아닙니다"}
    assert await client.recv() == {"jsonrpc": "2.0", "id": 9, "error": not_json_rpc}
    await client.ws.send_str("[1, 2, 3]")
    assert (await client.recv())["error"]["code"] == 47
    await client.ws.send_str('{"jsonrpc":"2.0","id":10,"method":5}')
    assert (await client.recv())["id"] == 10
    huge = {"jsonrpc": "2.0", "id": 11, "method": "heartbeat", "pad": "x" * 70_000}
    await client.ws.send_str(orjson.dumps(huge).decode())
    answer = await client.recv()
    assert answer["error"]["code"] == 47
    assert await client.call("heartbeat") == {"jsonrpc": "2.0", "id": 2, "result": OK}


async def test_resubscribe_idempotent_unsubscribe_all_and_cap(sim_factory, ws_connect, http):
    sim = await sim_factory(max_subscriptions=4)
    client = await ws_connect(sim.ws_url + "/ws")
    codes = await kospi_codes(sim, http, 3)
    await subscribe_ok(client, "tick", codes[0])
    await subscribe_ok(client, "tick", codes[0])
    await subscribe_ok(client, "quote", codes[0])
    await subscribe_ok(client, "tick", codes[1])
    await subscribe_ok(client, "tick", codes[2])
    over = await client.call("subscribe", {"preset": "quote", "isuSrtCd": codes[2]})
    assert over["error"]["code"] == 20056
    assert (await client.call("unsubscribe", {"isuSrtCd": codes[0]}))["result"] == OK
    assert (await client.call("unsubscribe", {"isuSrtCd": codes[0]}))["error"]["code"] == 20057
    await subscribe_ok(client, "quote", codes[2])


async def test_default_cap_is_200_pairs(sim, ws_connect, http):
    client = await ws_connect(sim.ws_url + "/ws")
    codes = await kospi_codes(sim, http, 101)
    for code in codes[:100]:
        for preset in ("tick", "quote"):
            await client.send("subscribe", {"preset": preset, "isuSrtCd": code})
    over = await client.call("subscribe", {"preset": "tick", "isuSrtCd": codes[100]}, timeout=20)
    assert over["error"]["code"] == 20056


async def test_sandbox_20_subscriptions_and_one_session(sim_factory, ws_connect, http):
    sim = await sim_factory(sandbox=True)
    client = await ws_connect(sim.ws_url + "/ws")
    codes = await kospi_codes(sim, http, 21)
    for code in codes[:20]:
        await client.send("subscribe", {"preset": "tick", "isuSrtCd": code})
    over = await client.call("subscribe", {"preset": "tick", "isuSrtCd": codes[20]}, timeout=20)
    assert over["error"]["code"] == 20056
    second = await ws_connect(sim.ws_url + "/ws", init=False)
    answer = await second.init()
    assert answer["error"]["code"] == 20056
    closing = await asyncio.wait_for(second.ws.receive(), 5)
    assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1008)


async def test_query_returns_the_rest_body(sim, ws_connect, http):
    client = await ws_connect(sim.ws_url + "/ws")
    answer = await client.call("query", {"uri": "/v2/market/stocks/kospi/005930/master"})
    async with http.get(sim.url + "/v2/market/stocks/kospi/005930/master", headers={"apikey": DEFAULT_KEY}) as r:
        assert answer["result"] == (await r.json())["result"]
    lists = await client.call("query", {"uri": "/v2/market/futures/kospi200/lists"})
    assert "isuLists" in lists["result"]
    bad = await client.call("query", {"uri": "/v2/market/stocks/kospi/999999/price"})
    assert bad["error"]["code"] == 10040 and bad["id"] == 4
    missing = await client.call("query", {"uri": "/v2/market/stocks/kospi/005930/intraday?inddCycleTpCd=60"})
    assert missing["error"]["code"] == 10020
    nowhere = await client.call("query", {"uri": "/nowhere"})
    assert nowhere["error"]["code"] == 404


async def test_heartbeats_both_ways_and_dead_peer_drop(sim_factory, ws_connect):
    sim = await sim_factory(heartbeat_interval=0.2)
    client = await ws_connect(sim.ws_url + "/ws")
    assert await client.call("heartbeat") == {"jsonrpc": "2.0", "id": 2, "result": OK}
    beat = await client.recv(2)
    assert beat["method"] == "heartbeat" and isinstance(beat["id"], int)
    await client.ws.send_str(orjson.dumps({"jsonrpc": "2.0", "id": beat["id"], "result": OK}).decode())
    beats = 0
    async with asyncio.timeout(5):
        while True:
            msg = await client.ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            assert orjson.loads(msg.data)["method"] == "heartbeat"
            beats += 1
    assert beats == 3 and client.ws.close_code == 1008


async def test_slow_consumer_dropped_others_unaffected(sim_factory, ws_connect, http, caplog):
    sim = await sim_factory(start="10:00:00", speed=10.0, send_queue_limit=256 * 1024)
    codes = await kospi_codes(sim, http, 100)
    fast = await ws_connect(sim.ws_url + "/ws")
    slow = await ws_connect(sim.ws_url + "/ws", max_msg_size=0)
    for code in codes:
        await slow.send("subscribe", {"preset": "quote10", "isuSrtCd": code})
    await subscribe_ok(fast, "tick", "005930")
    # The slow client never reads; its queue passes the limit and the server drops it while `fast` keeps flowing.
    async with asyncio.timeout(30):
        while len(sim.hub.connections) > 1:
            frame = await fast.recv(10)
            assert frame["params"]["isuSrtCd"] == "005930"
    assert any("slow consumer" in r.getMessage() for r in caplog.records)
    assert (await fast.recv(10))["method"] == "push"


async def test_wrong_types_get_protocol_errors_never_a_crash(sim, ws_connect, caplog):
    client = await ws_connect(sim.ws_url + "/ws")
    frames = [
        ({"jsonrpc": "2.0", "id": {"x": 1}, "method": "heartbeat"}, None, 47),
        ({"jsonrpc": "2.0", "id": 5, "method": "subscribe", "params": ["tick", "005930"]}, 5, 47),
        ({"jsonrpc": "2.0", "id": 6, "method": "subscribe", "params": {"preset": 7, "isuSrtCd": "005930"}}, 6, 10000),
        ({"jsonrpc": "2.0", "id": 7, "method": "subscribe", "params": {"preset": "tick", "isuSrtCd": 5930}}, 7, 10040),
        ({"jsonrpc": "2.0", "id": 8, "method": "change", "params": None}, 8, 47),
        ({"jsonrpc": "2.0", "id": 9, "method": "unsubscribe", "params": {"preset": "tick"}}, 9, 47),
        ({"jsonrpc": "2.0", "id": 10, "method": "query", "params": {"uri": 42}}, 10, 47),
        ({"jsonrpc": "2.0", "id": "s", "method": "subscribe",
          "params": {"preset": "change", "isuSrtCd": "005930", "items": "trdPrc"}}, "s", 10050),
    ]  # fmt: skip
    for frame, request_id, code in frames:
        await client.ws.send_str(orjson.dumps(frame).decode())
        answer = await client.recv()
        assert answer["error"]["code"] == code, frame
        assert answer.get("id") == request_id
    await client.ws.send_bytes(b"\xff\xfe binary garbage")
    assert (await client.recv())["error"]["code"] == 47
    assert (await client.call("heartbeat"))["result"] == OK
    bad = await ws_connect(sim.ws_url + "/ws", init=False)
    assert (await bad.init(key="l7xx" + "9" * 32))["error"]["code"] == 13001
    assert all(DEFAULT_KEY not in r.getMessage() and "9" * 32 not in r.getMessage() for r in caplog.records)
