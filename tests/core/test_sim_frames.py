"""Frames from the simulator over a real socket, through the compiled extension: no rejects, books equal the last
pushed orderbook, and closed bars equal the simulator's REST intraday bars."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pandas as pd
from core_frames import exchange_ns
from kfeed import Feed
from kfeed.sim import DEFAULT_KEY

DATE = "20261125"


async def raw_frames(ws: aiohttp.ClientWebSocketResponse, done, timeout: float = 30.0) -> list[bytes]:
    """Text frames as bytes until `done(decoded)` is true for one of them."""
    frames = []
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            frames.append(msg.data.encode())
            if done(orjson.loads(msg.data)):
                return frames


def hhmm_label(end_ns: int) -> int:
    """REST `inddTm` (HHMMSSmm of the bar's end) for an end time in ns on DATE."""
    seconds = (end_ns - exchange_ns(0)) // 10**9
    hh, rest = divmod(seconds, 3600)
    mm, ss = divmod(rest, 60)
    return ((hh * 100 + mm) * 100 + ss) * 100


async def test_ws_ksp_trades_and_bars_equal_rest_intraday(sim_factory, ws_connect, http):
    sim = await sim_factory(start="08:59:50", speed=20.0, rate=0.1, date=DATE)
    client = await ws_connect(sim.ws_url + "/ws_ksp")
    horizon = 9_011_000

    def past_horizon(frame: object) -> bool:
        return isinstance(frame, list) and any(horizon <= int(t["trdTm"]) < 24_000_000 for t in frame)

    frames = await raw_frames(client.ws, past_horizon)
    feed = Feed(trading_date=DATE)
    trades = feed.trades_reader()
    readers = {interval: feed.bars(interval).reader() for interval in ("10s", "1m")}
    assert feed.ingest_many(frames) > 0
    stats = feed.stats()
    assert sum(stats["rejects"].values()) == 0 and stats["late_bar_trades"] == 0
    sent = [t for f in frames for t in orjson.loads(f) if int(t["trdTm"]) < 24_000_000]
    rows, lost = trades.read()
    assert lost == 0 and len(rows) == len(sent)
    assert [feed.symbol(int(s)) for s in rows["symbol"]] == [t["isuSrtCd"] for t in sent]
    assert rows["price"].tolist() == [float(t["trdPrc"]) for t in sent]
    assert rows["time"].tolist() == [exchange_ns(int(t["trdTm"])) for t in sent]

    busiest = pd.Series([t["isuSrtCd"] for t in sent]).value_counts().index[:4]
    for interval, cycle in (("10s", 10), ("1m", 60)):
        closed = pd.DataFrame(readers[interval].read()[0])
        closed["code"] = [feed.symbol(int(s)) for s in closed["symbol"]]
        for code in busiest:
            ours = closed[closed["code"] == code]
            params = {"inddCycleTpCd": str(cycle), "strtTm": "0900", "endTm": "0902", "reqCnt": "100"}
            url = f"{sim.url}/v2/market/stocks/kospi/{code}/intraday"
            async with http.get(url, params=params, headers={"apikey": DEFAULT_KEY}) as r:
                if r.status != 200:  # a KOSDAQ code
                    url = url.replace("/kospi/", "/kosdaq/")
            async with http.get(url, params=params, headers={"apikey": DEFAULT_KEY}) as r:
                served = list(reversed((await r.json())["result"]["hisLists"]))
            last_closed_end = int(ours["end"].max())
            served = [row for row in served if int(row["inddTm"]) <= hhmm_label(last_closed_end)]
            got = [
                (hhmm_label(int(b.end)), b.open, b.high, b.low, b.close, b.volume, b.value) for b in ours.itertuples()
            ]
            want = [
                (
                    int(row["inddTm"]),
                    float(row["inddOpnprc"]),
                    float(row["inddHgprc"]),
                    float(row["inddLwprc"]),
                    float(row["inddClsprc"]),
                    int(row["inddTrdvol"]),
                    float(row["inddTrdval"]),
                )
                for row in served
            ]
            assert got == want, (code, interval)


async def test_ws_detail_pushes_apply_without_rejects_and_books_match(sim_factory, http):
    sim = await sim_factory(start="09:00:00", speed=10.0, date=DATE)
    codes = ["005930", "000660"]
    async with http.ws_connect(sim.ws_url + "/ws") as ws:
        request_id = 1
        await ws.send_bytes(
            orjson.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "init",
                    "params": {"key": DEFAULT_KEY, "membername": "kfeed tests"},
                }
            )
        )
        for code in codes:
            for preset in ("tick", "quote10"):
                request_id += 1
                body = {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "method": "subscribe",
                    "params": {"preset": preset, "isuSrtCd": code},
                }
                await ws.send_str(orjson.dumps(body).decode())
        last_quote: dict[str, dict] = {}
        ticks_seen = set()

        def enough(frame: object) -> bool:
            if isinstance(frame, dict) and frame.get("method") == "push":
                params = frame["params"]
                if params["preset"] == "quote10":
                    last_quote[params["isuSrtCd"]] = params
                elif int(params["trdvol"]) > 0:  # not the pre-open state push (trdTm 0)
                    ticks_seen.add(params["isuSrtCd"])
            return len(last_quote) == len(codes) and ticks_seen == set(codes)

        frames = await raw_frames(ws, enough)
    feed = Feed(trading_date=DATE)
    for frame in frames:
        feed.ingest(frame)
    stats = feed.stats()
    assert sum(v for k, v in stats["rejects"].items() if k != "duplicate") == 0, stats["reject_samples"]
    results = [e for e in feed.drain_events() if e[0] == "result"]
    assert sorted(e[1] for e in results) == list(range(1, request_id + 1))
    for code, params in last_quote.items():
        book = feed.book(code)
        for n in range(1, 11):
            assert book["ask_price"][n - 1] == float(params[f"askStep{n}BstordPrc"])
            assert book["bid_qty"][n - 1] == int(params[f"bidStep{n}BstordRqty"])
        assert book["ask_total"] == int(params["askordTotRqty"])
        assert feed.last_acc_volume(code) > 0
