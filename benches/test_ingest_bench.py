"""Python-level ingest benchmarks: kfeed against json, orjson and msgspec each feeding numpy as a user would.

Every contender gets the same frames: a stream of stock tick pushes, a stream of quote10 pushes, and `/ws_ksp`
arrays of 50 all-string trades. The baselines decode each frame and write the fields into preallocated numpy
columns (a trades ring, or a per-symbol book), which is the best plain Python does; kfeed does the same work plus
all three bar intervals and per-symbol state. One round ingests the whole stream into fresh state, so divide the
time by the stream length (in `extra_info`) for the per-frame cost. pytest-benchmark prints each group's ratios
to the fastest in parentheses. The `call` group measures the cost of one `Feed.ingest` call from Python on a
small frame, given bytes and given a memoryview.

Run: `.venv/bin/python -m pytest benches/test_ingest_bench.py --benchmark-enable -q`
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np
import orjson
import pytest
from kfeed import Feed

SYMBOLS = [f"{100 + 5 * i:06d}" for i in range(2000)]
FRAMES = 20_000
ARRAY_LEN = 50
ROUNDS = 15


def hhmmssmm(cs: int) -> int:
    """`HHMMSSmm` for `cs` hundredths after 09:00:00.00."""
    seconds, hundredths = divmod(9 * 360_000 + cs, 100)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return ((hh * 100 + mm) * 100 + ss) * 100 + hundredths


def make_ticks(rng: random.Random) -> list[bytes]:
    acc = dict.fromkeys(SYMBOLS, 0)
    out = []
    for n in range(FRAMES):
        code = rng.choice(SYMBOLS)
        qty = rng.randrange(1, 500)
        acc[code] += qty
        price = 50_000 + 100 * rng.randrange(50)
        params = {
            "preset": "tick", "isuSrtCd": code, "trdPrc": price, "trdvol": qty, "accTrdvol": acc[code],
            "accTrdval": acc[code] * price, "trdTm": hhmmssmm(n // 4),
        }  # fmt: skip
        out.append(orjson.dumps({"jsonrpc": "2.0", "method": "push", "params": params}))
    return out


def make_quote10s(rng: random.Random) -> list[bytes]:
    out = []
    for _ in range(FRAMES):
        mid = 50_000 + 100 * rng.randrange(50)
        params: dict[str, Any] = {
            "preset": "quote10",
            "isuSrtCd": rng.choice(SYMBOLS),
            "accTrdvol": rng.randrange(10**6),
        }
        for n in range(1, 11):
            params[f"askStep{n}BstordPrc"] = mid + 100 * n
            params[f"askStep{n}BstordRqty"] = rng.randrange(5000)
            params[f"bidStep{n}BstordPrc"] = mid - 100 * (n - 1)
            params[f"bidStep{n}BstordRqty"] = rng.randrange(5000)
        params["askordTotRqty"] = sum(params[f"askStep{n}BstordRqty"] for n in range(1, 11))
        params["bidordTotRqty"] = sum(params[f"bidStep{n}BstordRqty"] for n in range(1, 11))
        out.append(orjson.dumps({"jsonrpc": "2.0", "method": "push", "params": params}))
    return out


def make_ksp(rng: random.Random) -> list[bytes]:
    return [
        orjson.dumps(
            [
                {
                    "isuSrtCd": rng.choice(SYMBOLS),
                    "trdPrc": str(1000 + 5 * rng.randrange(1000)),
                    "trdVol": str(rng.randrange(1, 300)),
                    "trdTm": str(hhmmssmm(n * 5)),
                }
                for _ in range(ARRAY_LEN)
            ]
        )
        for n in range(FRAMES // ARRAY_LEN)
    ]


_RNG = random.Random(20261125)
STREAMS = {"tick": make_ticks(_RNG), "quote10": make_quote10s(_RNG), "ws_ksp": make_ksp(_RNG)}
ROWS = {"tick": FRAMES, "quote10": FRAMES, "ws_ksp": FRAMES}


def hhmmssmm_to_ns(t: int) -> int:
    hh, rest = divmod(t, 1_000_000)
    mm, rest = divmod(rest, 10_000)
    ss, cs = divmod(rest, 100)
    return ((hh * 60 + mm) * 60 + ss) * 1_000_000_000 + cs * 10_000_000


class NumpyState:
    """What a Python user keeps: a symbol dict, a trades ring as numpy columns, and per-symbol books."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.pos = 0
        n = 1 << 16
        self.time = np.zeros(n, np.int64)
        self.symbol = np.zeros(n, np.uint32)
        self.price = np.zeros(n, np.float64)
        self.qty = np.zeros(n, np.int64)
        self.ask_price = np.zeros((len(SYMBOLS), 10))
        self.ask_qty = np.zeros((len(SYMBOLS), 10), np.int64)
        self.bid_price = np.zeros((len(SYMBOLS), 10))
        self.bid_qty = np.zeros((len(SYMBOLS), 10), np.int64)
        self.totals = np.zeros((len(SYMBOLS), 2), np.int64)

    def sid(self, code: str) -> int:
        sid = self.ids.get(code)
        if sid is None:
            sid = self.ids[code] = len(self.ids)
        return sid

    def trade(self, code: str, time: int, price: float, qty: int) -> None:
        i = self.pos & 0xFFFF
        self.time[i] = hhmmssmm_to_ns(time)
        self.symbol[i] = self.sid(code)
        self.price[i] = price
        self.qty[i] = qty
        self.pos += 1


ASK_PRICE = [f"askStep{n}BstordPrc" for n in range(1, 11)]
ASK_QTY = [f"askStep{n}BstordRqty" for n in range(1, 11)]
BID_PRICE = [f"bidStep{n}BstordPrc" for n in range(1, 11)]
BID_QTY = [f"bidStep{n}BstordRqty" for n in range(1, 11)]


def dict_consumer(loads: Callable[[bytes], Any]) -> dict[str, Callable[[NumpyState, list[bytes]], None]]:
    """Consumers for a decoder that returns plain dicts/lists (json, orjson)."""

    def ticks(state: NumpyState, frames: list[bytes]) -> None:
        for frame in frames:
            p = loads(frame)["params"]
            state.trade(p["isuSrtCd"], int(p["trdTm"]), float(p["trdPrc"]), int(p["trdvol"]))

    def quote10s(state: NumpyState, frames: list[bytes]) -> None:
        for frame in frames:
            p = loads(frame)["params"]
            sid = state.sid(p["isuSrtCd"])
            state.ask_price[sid] = [p[k] for k in ASK_PRICE]
            state.ask_qty[sid] = [p[k] for k in ASK_QTY]
            state.bid_price[sid] = [p[k] for k in BID_PRICE]
            state.bid_qty[sid] = [p[k] for k in BID_QTY]
            state.totals[sid] = (p["askordTotRqty"], p["bidordTotRqty"])

    def ksp(state: NumpyState, frames: list[bytes]) -> None:
        for frame in frames:
            for t in loads(frame):
                state.trade(t["isuSrtCd"], int(t["trdTm"]), float(t["trdPrc"]), int(t["trdVol"]))

    return {"tick": ticks, "quote10": quote10s, "ws_ksp": ksp}


class TickParams(msgspec.Struct):
    isuSrtCd: str
    trdPrc: float
    trdvol: int
    trdTm: int
    accTrdvol: int = 0
    accTrdval: int = 0


class TickPush(msgspec.Struct):
    params: TickParams


Quote10Params = msgspec.defstruct(
    "Quote10Params",
    [("isuSrtCd", str), ("askordTotRqty", int), ("bidordTotRqty", int)]
    + [(k, float) for k in ASK_PRICE + BID_PRICE]
    + [(k, int) for k in ASK_QTY + BID_QTY],
)
Quote10Push = msgspec.defstruct("Quote10Push", [("params", Quote10Params)])


class KspTrade(msgspec.Struct):
    isuSrtCd: str
    trdPrc: str
    trdVol: str
    trdTm: str


def msgspec_consumer() -> dict[str, Callable[[NumpyState, list[bytes]], None]]:
    """Consumers using msgspec typed decoders (the fastest plain-Python route)."""
    tick_decoder = msgspec.json.Decoder(TickPush)
    quote_decoder = msgspec.json.Decoder(Quote10Push)
    ksp_decoder = msgspec.json.Decoder(list[KspTrade])

    def ticks(state: NumpyState, frames: list[bytes]) -> None:
        for frame in frames:
            p = tick_decoder.decode(frame).params
            state.trade(p.isuSrtCd, p.trdTm, p.trdPrc, p.trdvol)

    def quote10s(state: NumpyState, frames: list[bytes]) -> None:
        for frame in frames:
            p = quote_decoder.decode(frame).params
            sid = state.sid(p.isuSrtCd)
            state.ask_price[sid] = [getattr(p, k) for k in ASK_PRICE]
            state.ask_qty[sid] = [getattr(p, k) for k in ASK_QTY]
            state.bid_price[sid] = [getattr(p, k) for k in BID_PRICE]
            state.bid_qty[sid] = [getattr(p, k) for k in BID_QTY]
            state.totals[sid] = (p.askordTotRqty, p.bidordTotRqty)

    def ksp(state: NumpyState, frames: list[bytes]) -> None:
        for frame in frames:
            for t in ksp_decoder.decode(frame):
                state.trade(t.isuSrtCd, int(t.trdTm), float(t.trdPrc), int(t.trdVol))

    return {"tick": ticks, "quote10": quote10s, "ws_ksp": ksp}


BASELINES = {"json": dict_consumer(json.loads), "orjson": dict_consumer(orjson.loads), "msgspec": msgspec_consumer()}


def fresh_feed() -> tuple[tuple[Feed], dict[str, Any]]:
    feed = Feed(trade_capacity=1 << 16, quote_capacity=1 << 16, symbol_capacity=4096, bar_capacity=1 << 14)
    return (feed,), {}


def check_applied(feed: Feed, kind: str) -> None:
    stats = feed.stats()
    assert sum(stats["rejects"].values()) == 0, stats["rejects"]
    assert stats["trades"] + stats["quotes"] == ROWS[kind]


@pytest.mark.parametrize("kind", list(STREAMS))
def test_kfeed_ingest_many(benchmark, kind):
    frames = STREAMS[kind]
    benchmark.group = kind
    benchmark.extra_info["rows"] = ROWS[kind]
    benchmark.pedantic(lambda feed: feed.ingest_many(frames), setup=fresh_feed, rounds=ROUNDS, warmup_rounds=1)
    feed = fresh_feed()[0][0]
    feed.ingest_many(frames)
    check_applied(feed, kind)


@pytest.mark.parametrize("kind", list(STREAMS))
def test_kfeed_ingest_loop(benchmark, kind):
    frames = STREAMS[kind]
    benchmark.group = kind
    benchmark.extra_info["rows"] = ROWS[kind]

    def run(feed: Feed) -> None:
        ingest = feed.ingest
        for frame in frames:
            ingest(frame)

    benchmark.pedantic(run, setup=fresh_feed, rounds=ROUNDS, warmup_rounds=1)


@pytest.mark.parametrize("decoder", list(BASELINES))
@pytest.mark.parametrize("kind", list(STREAMS))
def test_baseline(benchmark, kind, decoder):
    frames = STREAMS[kind]
    consume = BASELINES[decoder][kind]
    benchmark.group = kind
    benchmark.extra_info["rows"] = ROWS[kind]
    benchmark.pedantic(lambda: consume(NumpyState(), frames), rounds=ROUNDS if decoder != "json" else 5)
    state = NumpyState()
    consume(state, frames)
    assert state.pos == ROWS[kind] or kind == "quote10"


CALL_FRAME = (
    b'{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"005930","askStep1BstordPrc":2465000,'
    b'"askStep1BstordRqty":144,"bidStep1BstordPrc":2464000,"bidStep1BstordRqty":298}}'
)


@pytest.mark.parametrize("wrap", [bytes, memoryview], ids=["bytes", "memoryview"])
def test_ingest_call_cost(benchmark, wrap):
    feed = Feed(quote_capacity=1 << 10)
    frame = wrap(CALL_FRAME)
    benchmark.group = "call"
    assert benchmark(feed.ingest, frame) == 1
