"""The 40 live REST endpoints of protocol §5: routing, query-parameter validation and envelopes.

Routing and validation live here; the records themselves come from `Records`. `RestApi.call` is shared by the
HTTP handler and the WebSocket `query` method, so both answer a path identically.

Parameter errors the vendor leaves undocumented get these simulator choices, as HTTP 400 with the vendor's
JSON-RPC error body `{"jsonrpc":"2.0","error":{"code":...,"message":...}}`:

- code 10020: a required parameter is missing (the message names it);
- code 10030: a parameter has a bad value: a date that is not a valid `YYYYMMDD`, `reqCnt` not a positive integer,
  `inddCycleTpCd` not 10/60/600, `trnsmCycleTpCd` not D/W/M, `strtTm`/`endTm` not `HHMM`/`HHMMSS`, or more than 20
  `isuCd` codes.

`reqCnt` above 100 is not an error: it is capped at 100, as the vendor does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kfeed.sim.records import RecordError, Records

__all__ = [
    "BAD_PARAMETER",
    "MAX_CODES",
    "MAX_ROWS",
    "MISSING_PARAMETER",
    "ParameterError",
    "RestApi",
    "RestReply",
]

MAX_ROWS = 100
"""History-like endpoints return at most this many rows per call."""
MAX_CODES = 20
"""Multiquote price/orderbook accept at most this many codes."""
MISSING_PARAMETER = 10020
BAD_PARAMETER = 10030

STOCK_MARKETS = frozenset({"kospi", "kosdaq", "konex"})
DERIVATIVE_MARKETS = frozenset(
    {
        "kospi200",
        "mini_kospi200",
        "kosdaq150",
        "sector",
        "vix",
        "stock",
        "usd",
        "yen",
        "euro",
        "ktb3",
        "ktb5",
        "ktb10",
        "lean_hogs",
        "cme_kospi200",
        "eurostoxx",
    }
)
_INDEX_MARKET = re.compile(r"[a-z][a-z0-9_]{0,31}")
_CODE = re.compile(r"[0-9A-Za-z]{1,12}(\*[0-9]{1,4})?")
_TIME = re.compile(r"\d{4}(\d{2})?")
_INTRADAY_CYCLES = frozenset({10, 60, 600})
_HISTORY_CYCLES = frozenset({"D", "W", "M"})
_API_KEY_PARAM = "apikey"


class ParameterError(Exception):
    """A missing or malformed query parameter; answered as HTTP 400 with a vendor-style JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class RestReply:
    """One REST answer: the HTTP status and the JSON body exactly as it goes on the wire."""

    status: int
    body: Any


Query = Mapping[str, str]
Handler = Callable[[Query], Any]


def _required(query: Query, name: str) -> str:
    value = query.get(name)
    if value is None or value == "":
        raise ParameterError(MISSING_PARAMETER, f"필수 입력 항목이 누락되었습니다: {name}")
    return value


def _bad(name: str) -> ParameterError:
    return ParameterError(BAD_PARAMETER, f"입력 값이 올바르지 않습니다: {name}")


def parse_date(query: Query, name: str, default: dt.date | None = None) -> dt.date:
    """A `YYYYMMDD` parameter; `default` when absent, else a missing-parameter error."""
    raw = query.get(name)
    if (raw is None or raw == "") and default is not None:
        return default
    raw = _required(query, name)
    if len(raw) != 8 or not raw.isdigit():
        raise _bad(name)
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        raise _bad(name) from None


def parse_count(query: Query) -> int:
    """`reqCnt`: a positive integer, capped at 100; 100 when absent."""
    raw = query.get("reqCnt")
    if raw is None or raw == "":
        return MAX_ROWS
    if not raw.isdigit() or int(raw) < 1:
        raise _bad("reqCnt")
    return min(int(raw), MAX_ROWS)


def parse_time(query: Query, name: str) -> int:
    """`strtTm`/`endTm` as `HHMM` or `HHMMSS`, returned as an `HHMMSS` int (`HHMM` becomes `HHMM00`)."""
    raw = _required(query, name)
    if _TIME.fullmatch(raw) is None:
        raise _bad(name)
    hh, mm = int(raw[:2]), int(raw[2:4])
    ss = int(raw[4:6]) if len(raw) == 6 else 0
    if hh > 23 or mm > 59 or ss > 59:
        raise _bad(name)
    return hh * 10000 + mm * 100 + ss


def parse_intraday_cycle(query: Query) -> int:
    """`inddCycleTpCd`: bar length in seconds, one of 10, 60, 600."""
    raw = _required(query, "inddCycleTpCd")
    if not raw.isdigit() or int(raw) not in _INTRADAY_CYCLES:
        raise _bad("inddCycleTpCd")
    return int(raw)


def parse_history_cycle(query: Query) -> str:
    """`trnsmCycleTpCd`: D, W or M."""
    raw = _required(query, "trnsmCycleTpCd")
    if raw not in _HISTORY_CYCLES:
        raise _bad("trnsmCycleTpCd")
    return raw


def parse_codes(query: Query) -> list[str]:
    """`isuCd`: 1 to 20 comma-separated short codes."""
    raw = _required(query, "isuCd")
    codes = [code.strip() for code in raw.split(",")]
    if any(_CODE.fullmatch(code) is None for code in codes):
        raise _bad("isuCd")
    if len(codes) > MAX_CODES:
        raise ParameterError(BAD_PARAMETER, f"입력 값이 올바르지 않습니다: isuCd (최대 {MAX_CODES}종목)")
    return codes


def selected_items(query: Query) -> list[str]:
    """selectivemaster's bare keys (`?prevddClsprc&wk52HgstPrc`), in request order, without `apikey`."""
    items = [name for name in dict.fromkeys(query) if name != _API_KEY_PARAM]
    if not items:
        raise ParameterError(MISSING_PARAMETER, "필수 입력 항목이 누락되었습니다: 조회 항목")
    return items


class RestApi:
    """Maps `/v2/market/...` paths onto `Records`; knows which bodies are bare and which are enveloped."""

    def __init__(self, records: Records, trading_date: dt.date) -> None:
        self._records = records
        self._trading_date = trading_date

    def route(self, path: str) -> tuple[Handler, bool] | None:
        """The handler for `path` and whether its body is bare; None when no route matches (a 404)."""
        parts = path.rstrip("/").split("/")
        if len(parts) < 5 or parts[0] != "" or parts[1] != "v2" or parts[2] != "market":
            return None
        family, rest = parts[3], parts[4:]
        if family == "stocks":
            return self._stock_route(rest)
        if family == "multiquote":
            return self._multiquote_route(rest)
        if family in ("futures", "options"):
            return self._derivative_route(family, rest)
        if family == "index":
            return self._index_route(rest)
        return None

    def call(self, path: str, query: Query) -> RestReply:
        """Answer one authorised GET: the record (enveloped unless bare) or the vendor error it raised."""
        found = self.route(path)
        if found is None:
            return RestReply(404, {"message": "no Route matched with those values"})
        handler, bare = found
        try:
            result = handler(query)
        except ParameterError as exc:
            return RestReply(400, {"jsonrpc": "2.0", "error": {"code": exc.code, "message": exc.message}})
        except RecordError as exc:
            return RestReply(exc.status, exc.body)
        return RestReply(200, result if bare else {"jsonrpc": "2.0", "result": result})

    # --- route tables -------------------------------------------------------------------------------------------

    def _stock_route(self, rest: list[str]) -> tuple[Handler, bool] | None:
        r = self._records
        if not rest or rest[0] not in STOCK_MARKETS:
            return None
        mkt = rest[0]
        if len(rest) == 2:
            market_wide: dict[str, tuple[Handler, bool]] = {
                "lists": (lambda q: r.stock_lists(mkt), True),
                "investors": (lambda q: r.market_investors(mkt), False),
                "index": (lambda q: r.market_index(mkt), False),
            }
            return market_wide.get(rest[1])
        if len(rest) != 3 or _CODE.fullmatch(rest[1]) is None:
            return None
        code, op = rest[1], rest[2]
        per_code: dict[str, Handler] = {
            "master": lambda q: r.master(mkt, code),
            "selectivemaster": lambda q: r.selectivemaster(mkt, code, selected_items(q)),
            "closeprice": lambda q: r.closeprice(mkt, code),
            "price": lambda q: r.price(mkt, code),
            "orderbook": lambda q: r.orderbook(mkt, code),
            "investors": lambda q: r.investors(mkt, code),
            "closenav": lambda q: r.closenav(mkt, code),
            "shortsell": lambda q: r.shortsell(mkt, code, parse_date(q, "inqStrtDd"), parse_date(q, "inqEndDd")),
            "intraday": lambda q: self._intraday("stocks", mkt, code, q),
            "traderanking": lambda q: r.traderanking(mkt, code),
            "traderaking": lambda q: r.traderanking(mkt, code),
            "foreignhistory": lambda q: r.foreignhistory(
                mkt, code, parse_date(q, "inqStrtDd"), parse_date(q, "inqEndDd"), parse_count(q)
            ),
            "history": lambda q: self._history("stocks", mkt, code, q),
        }
        handler = per_code.get(op)
        return None if handler is None else (handler, False)

    def _multiquote_route(self, rest: list[str]) -> tuple[Handler, bool] | None:
        r = self._records
        if len(rest) != 3 or rest[0] != "stocks" or rest[1] not in STOCK_MARKETS:
            return None
        mkt = rest[1]
        table: dict[str, tuple[Handler, bool]] = {
            "lists": (lambda q: r.multiquote_lists(mkt), True),
            "ohlclists": (lambda q: r.multiquote_ohlclists(mkt), True),
            "price": (lambda q: r.multiquote_price(mkt, parse_codes(q)), False),
            "orderbook": (lambda q: r.multiquote_orderbook(mkt, parse_codes(q)), False),
        }
        return table.get(rest[2])

    def _derivative_route(self, kind: str, rest: list[str]) -> tuple[Handler, bool] | None:
        r = self._records
        if not rest or rest[0] not in DERIVATIVE_MARKETS:
            return None
        mkt = rest[0]
        if len(rest) == 2:
            return (lambda q: r.deriv_lists(kind, mkt), True) if rest[1] == "lists" else None
        if len(rest) != 3 or _CODE.fullmatch(rest[1]) is None:
            return None
        code, op = rest[1], rest[2]
        table: dict[str, Handler] = {
            "master": lambda q: r.deriv_master(kind, mkt, code),
            "closeprice": lambda q: r.deriv_closeprice(kind, mkt, code),
            "price": lambda q: r.deriv_price(kind, mkt, code),
            "orderbook": lambda q: r.deriv_orderbook(kind, mkt, code),
            "intraday": lambda q: self._intraday(kind, mkt, code, q),
            "history": lambda q: self._history(kind, mkt, code, q),
        }
        handler = table.get(op)
        return None if handler is None else (handler, False)

    def _index_route(self, rest: list[str]) -> tuple[Handler, bool] | None:
        r = self._records
        if len(rest) != 3 or _INDEX_MARKET.fullmatch(rest[0]) is None or _CODE.fullmatch(rest[1]) is None:
            return None
        mkt, code, op = rest
        table: dict[str, Handler] = {
            "closeindex": lambda q: r.closeindex(mkt, code),
            "index": lambda q: r.index_index(mkt, code),
            "prospectindex": lambda q: r.prospectindex(mkt, code),
            "marketcap": lambda q: r.marketcap(mkt, code),
            "investors": lambda q: r.index_investors(mkt, code),
            "intraday": lambda q: self._intraday("index", mkt, code, q),
            "history": lambda q: self._history("index", mkt, code, q),
        }
        handler = table.get(op)
        return None if handler is None else (handler, False)

    def _intraday(self, kind: str, mkt: str, code: str, query: Query) -> Any:
        cycle = parse_intraday_cycle(query)
        day = parse_date(query, "inqStrtDd", default=self._trading_date)
        start, end = parse_time(query, "strtTm"), parse_time(query, "endTm")
        return self._records.intraday(kind, mkt, code, cycle, day, start, end, parse_count(query))

    def _history(self, kind: str, mkt: str, code: str, query: Query) -> Any:
        cycle = parse_history_cycle(query)
        start, end = parse_date(query, "inqStrtDd"), parse_date(query, "inqEndDd")
        return self._records.history(kind, mkt, code, cycle, start, end, parse_count(query))
