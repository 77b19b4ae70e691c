"""Books and quote rows equal an independent pure-Python reconstruction from the same frames."""

from __future__ import annotations

import random

import numpy as np
import orjson
import pytest
from core_frames import DATE, book_params, push
from kfeed import Feed

CODES = {"005930": 10, "000660": 10, "101N6000": 5}


def random_levels(rng: random.Random, mid: float, n: int, tick: float) -> tuple[list, list]:
    asks = [(round(mid + tick * (i + 1), 2), rng.randrange(0, 5000)) for i in range(n)]
    bids = [(round(mid - tick * i, 2), rng.randrange(0, 5000)) for i in range(n)]
    return asks, bids


def random_frame(rng: random.Random, time: int) -> bytes:
    code = rng.choice(list(CODES))
    depth = CODES[code]
    tick = 0.05 if depth == 5 else 100.0
    mid = (300.0 if depth == 5 else 70_000.0) + tick * rng.randrange(-20, 20)
    kind = rng.choice(["quote", "quote10", "tick10", "change"])
    if kind == "quote":
        asks, bids = random_levels(rng, mid, 1, tick)
        return push("quote", isuSrtCd=code, accTrdvol=0, **book_params(asks, bids))
    if kind == "quote10":
        asks, bids = random_levels(rng, mid, depth, tick)
        totals = {"askTotOrdRqty": 11, "bidTotOrdRqty": 12} if depth == 5 else {"askordTotRqty": 1, "bidordTotRqty": 2}
        return push("quote10", isuSrtCd=code, accTrdvol=0, **book_params(asks, bids), **totals)
    if kind == "tick10":
        return push(
            "tick10", isuSrtCd=code, trdPrc=mid, trdvol=1, trdTm=time, askordPrc_1=mid + tick, bidordPrc_1=mid,
            lstAskbidTpCd=rng.choice([1, 2]),
        )  # fmt: skip
    asks, bids = random_levels(rng, mid, depth, tick)
    items = book_params(asks, bids)
    chosen = dict(rng.sample(sorted(items.items()), rng.randrange(1, len(items))))
    return push(None, isuCd="KR7" + code, isuSrtCd=code, **chosen)


class PyBook:
    """A book rebuilt from the decoded JSON, written from the protocol reference without the core's code."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.fields = {name: [0] * 10 for name in ("ask_price", "ask_qty", "bid_price", "bid_qty")}
        self.totals = {"ask_total": 0, "bid_total": 0}

    def apply(self, params: dict) -> None:
        for side in ("ask", "bid"):
            for n in range(1, self.depth + 1):
                if (price := params.get(f"{side}Step{n}BstordPrc")) is not None:
                    self.fields[f"{side}_price"][n - 1] = float(price)
                if (qty := params.get(f"{side}Step{n}BstordRqty")) is not None:
                    self.fields[f"{side}_qty"][n - 1] = int(qty)
            if (best := params.get(f"{side}ordPrc_1")) is not None:
                self.fields[f"{side}_price"][0] = float(best)
            for key in (f"{side}ordTotRqty", f"{side}TotOrdRqty"):
                if key in params:
                    self.totals[f"{side}_total"] = int(params[key])

    def matches(self, row: np.void) -> bool:
        return all(list(row[name]) == values for name, values in self.fields.items()) and all(
            row[name] == value for name, value in self.totals.items()
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_books_equal_python_reconstruction(seed):
    rng = random.Random(seed)
    feed = Feed(trading_date=DATE, quote_capacity=4096)
    quotes = feed.quotes_reader()
    expected = {code: PyBook(depth) for code, depth in CODES.items()}
    for i in range(1500):
        frame = random_frame(rng, 9_000_000 + i)
        params = orjson.loads(frame)["params"]
        book = expected[params["isuSrtCd"]]
        book.apply(params)
        feed.ingest(frame)
        rows, lost = quotes.read()
        assert lost == 0 and len(rows) == 1
        assert feed.symbol(int(rows[0]["symbol"])) == params["isuSrtCd"]
        assert book.matches(rows[0]), (i, frame)
    for code, book in expected.items():
        row = feed.book(code)
        assert book.matches(row) and row["levels"] == CODES[code]
    assert feed.books["updates"].sum() == 1500
