"""`/ws_ksp`, `/ws_kdq` over real sockets: frame shape, KRX rules on pushed data, and REST intraday ground truth."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import orjson
from kfeed.sim import DEFAULT_KEY


def stock_tick(price: int) -> int:
    """KRX stock tick size since 2023-01-25 (protocol §9), written out independently of the simulator."""
    for bound, tick in ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100), (500_000, 500)):
        if price < bound:
            return tick
    return 1_000


def isin_check_digit(body: str) -> int:
    """ISO 6166 check digit (Luhn over the letters-as-numbers expansion)."""
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def centiseconds(hhmmssmm: int) -> int:
    hh, rest = divmod(hhmmssmm, 1_000_000)
    mm, rest = divmod(rest, 10_000)
    ss, cs = divmod(rest, 100)
    return ((hh * 60 + mm) * 60 + ss) * 100 + cs


def hhmmssmm(cs: int) -> int:
    seconds, hundredths = divmod(cs, 100)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return ((hh * 100 + mm) * 100 + ss) * 100 + hundredths


async def collect_frames(client, until_time: int, timeout: float = 30.0) -> list[list[dict]]:
    """Read `/ws_ksp` data frames until one carries a trade at or after `until_time` (HHMMSSmm)."""
    frames = []
    async with asyncio.timeout(timeout):
        while True:
            frame = await client.recv(timeout)
            assert isinstance(frame, list), frame
            frames.append(frame)
            if any(int(t["trdTm"]) >= until_time for t in frame if int(t["trdTm"]) < 24_000_000):
                return frames


async def test_ksp_frames_shape_and_krx_rules(sim_factory, ws_connect, http):
    sim = await sim_factory(start="08:59:59", speed=5.0)
    ksp = await ws_connect(sim.ws_url + "/ws_ksp")
    kdq = await ws_connect(sim.ws_url + "/ws_kdq/")
    frames = await collect_frames(ksp, 9_000_500)
    kdq_frames = await collect_frames(kdq, 9_000_500)
    trades = [t for f in frames for t in f]
    assert all(1 <= len(f) <= 50 for f in frames) and any(len(f) == 50 for f in frames)
    assert all(set(t) == {"isuSrtCd", "trdPrc", "trdVol", "trdTm"} for t in trades)
    assert all(isinstance(v, str) for t in trades for v in t.values())
    async with http.get(sim.url + "/v2/market/stocks/kospi/lists", headers={"apikey": DEFAULT_KEY}) as r:
        kospi = {row["isuSrtCd"]: row for row in (await r.json())["isuLists"]}
    assert {t["isuSrtCd"] for t in trades if int(t["trdTm"]) < 24_000_000} <= set(kospi)
    assert not {t["isuSrtCd"] for f in kdq_frames for t in f} & set(kospi)
    for row in kospi.values():
        assert row["isuCd"].startswith("KR7") and isin_check_digit(row["isuCd"][:11]) == int(row["isuCd"][11])
    by_code = defaultdict(list)
    for t in trades:
        by_code[t["isuSrtCd"]].append(int(t["trdPrc"]))
    for code in sorted(by_code)[:25]:
        async with http.get(f"{sim.url}/v2/market/stocks/kospi/{code}/master", headers={"apikey": DEFAULT_KEY}) as r:
            master = (await r.json())["result"]
        etf = master["secugrpId"] in ("EF", "EN", "EW")
        for price in by_code[code]:
            assert master["lwlmtprc"] <= price <= master["uplmtprc"], (code, price)
            assert price % (5 if etf else stock_tick(price)) == 0, (code, price)


async def test_tick_accumulates_volume(sim_factory, ws_connect):
    sim = await sim_factory(start="08:59:59", speed=5.0)
    client = await ws_connect(sim.ws_url + "/ws")
    await client.call("subscribe", {"preset": "tick", "isuSrtCd": "005930"})
    snapshot = (await client.recv())["params"]
    acc = snapshot["accTrdvol"]
    async with asyncio.timeout(20):
        for _ in range(20):
            tick = (await client.recv(20))["params"]
            assert tick["accTrdvol"] == acc + tick["trdvol"]
            assert tick["trdPrc"] % stock_tick(tick["trdPrc"]) == 0
            acc = tick["accTrdvol"]


async def test_rest_intraday_equals_bars_from_ws_ksp(sim_factory, ws_connect, http):
    sim = await sim_factory(start="08:59:50", speed=20.0, rate=0.1)
    client = await ws_connect(sim.ws_url + "/ws_ksp")
    frames = await collect_frames(client, 9_011_000)
    trades = [t for f in frames for t in f if int(t["trdTm"]) < 24_000_000]
    assert int(trades[0]["trdTm"]) == 9_000_000
    by_code: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for t in trades:
        by_code[t["isuSrtCd"]].append((centiseconds(int(t["trdTm"])), int(t["trdPrc"]), int(t["trdVol"])))
    horizon = centiseconds(9_011_000)
    busiest = sorted(by_code, key=lambda c: -len(by_code[c]))[:5]
    for cycle in (10, 60):
        for code in busiest:
            expected = []
            acc = 0
            bars: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
            for cs, price, qty in by_code[code]:
                bars[cs // (cycle * 100)].append((cs, price, qty))
            for slot in sorted(bars):
                rows = bars[slot]
                acc += sum(q for _, _, q in rows)
                end = (slot + 1) * cycle * 100
                if end <= horizon:
                    prices = [p for _, p, _ in rows]
                    expected.append({
                        "inddTm": hhmmssmm(end), "inddOpnprc": prices[0], "inddHgprc": max(prices),
                        "inddLwprc": min(prices), "inddClsprc": prices[-1], "inddTrdvol": sum(q for *_, q in rows),
                        "inddTrdval": sum(p * q for _, p, q in rows), "inddAccTrdvol": acc,
                    })  # fmt: skip
            params = {"inddCycleTpCd": str(cycle), "strtTm": "0900", "endTm": "0902", "reqCnt": "100"}
            url = f"{sim.url}/v2/market/stocks/kospi/{code}/intraday"
            async with http.get(url, params=params, headers={"apikey": DEFAULT_KEY}) as r:
                rows = (await r.json())["result"]["hisLists"]
            served = [{k: row[k] if k != "inddTm" else int(row[k]) for k in expected[0]} for row in reversed(rows)]
            served = [row for row in served if row["inddTm"] <= hhmmssmm(horizon)]
            assert served == expected, (code, cycle)


async def test_same_seed_same_frames_and_rest(sim_factory, ws_connect, http):
    a = await sim_factory(start="08:59:58", speed=2.0)
    b = await sim_factory(start="08:59:58", speed=2.0)
    clients = await asyncio.gather(ws_connect(a.ws_url + "/ws_ksp"), ws_connect(b.ws_url + "/ws_ksp"))
    got = await asyncio.gather(*(collect_frames(c, 9_000_300) for c in clients))
    frames_a, frames_b = ([orjson.dumps(f) for f in frames] for frames in got)
    assert len(frames_a) >= 20 and frames_a[:20] == frames_b[:20]
    for path in ("/v2/market/stocks/kosdaq/lists", "/v2/market/stocks/kospi/000660/master"):
        bodies = []
        for sim in (a, b):
            async with http.get(sim.url + path, headers={"apikey": DEFAULT_KEY}) as r:
                bodies.append(await r.read())
        assert bodies[0] == bodies[1]


async def test_stream_needs_init_and_answers_heartbeats(sim, ws_connect):
    client = await ws_connect(sim.ws_url + "/ws_kdq", init=False)
    answer = await client.call("heartbeat")
    assert answer["error"]["code"] == 13001
    await client.init()
    beat = await client.call("heartbeat")
    assert beat["result"] == {"message": "ok"}
    wrong = await client.call("subscribe", {"preset": "tick", "isuSrtCd": "005930"})
    assert wrong["error"]["code"] == 47


async def test_close_signal_on_the_market_streams(sim_factory, ws_connect):
    sim = await sim_factory(start="15:29:58", speed=2.0)
    ksp = await ws_connect(sim.ws_url + "/ws_ksp")
    signals = []
    async with asyncio.timeout(20):
        while not signals:
            signals = [t for t in await ksp.recv(20) if int(t["trdTm"]) >= 24_000_000]
    assert signals == [{"isuSrtCd": "K1", "trdPrc": "0", "trdVol": "0", "trdTm": "31000000"}]
