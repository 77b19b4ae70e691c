"""The 40 live Koscom REST endpoints (protocol §5): path templates, query parameters, envelope and result kinds.

``selectivereal`` is left out: the vendor struck it out as not offered. The vendor's URI table spells stocks'
member ranking ``traderaking`` while its pages spell ``traderanking``; the endpoint lists both and the client tries
them in that order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

__all__ = ["ENDPOINTS", "Endpoint", "Envelope", "check_segment", "endpoint"]

Envelope = Literal["result", "bare"]
"""``result``: the body is ``{"jsonrpc": "2.0", "result": {...}}``; ``bare``: the body is the object itself."""

_SEGMENT = re.compile(r"[0-9A-Za-z_]{1,32}(\*[0-9]{1,4})?")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint: ``name`` (``family.operation``), its path template(s), query parameters and result kind.

    ``params`` are the wire query parameters the client sends; ``result`` names the Python type it decodes to.
    ``paged`` endpoints return at most 100 rows per call and are paged backwards by the client.
    """

    name: str
    paths: tuple[str, ...]
    envelope: Envelope
    result: str
    params: tuple[str, ...] = ()
    paged: bool = False

    @property
    def path(self) -> str:
        """The primary path template (``{market}``, ``{code}`` placeholders)."""
        return self.paths[0]

    def format(self, template: str | None = None, **parts: str) -> str:
        """The path with ``parts`` filled in; each part must be a plain path segment (ValueError otherwise)."""
        for key, value in parts.items():
            check_segment(key, value)
        return (template or self.path).format(**{key: quote(value, safe="*") for key, value in parts.items()})


def check_segment(what: str, value: str) -> None:
    """Raise ValueError unless ``value`` is a plain market name or code (letters, digits, ``_``, a ``*NNN`` suffix)."""
    if not isinstance(value, str) or _SEGMENT.fullmatch(value) is None:
        raise ValueError(f"{what} {value!r} is not a valid market name or code")


_STOCKS = "/v2/market/stocks/{market}"
_STOCK = _STOCKS + "/{code}"
_MULTI = "/v2/market/multiquote/stocks/{market}"
_INDEX = "/v2/market/index/{market}/{code}"
_HISTORY_PARAMS = ("trnsmCycleTpCd", "inqStrtDd", "inqEndDd", "reqCnt")
_INTRADAY_PARAMS = ("inddCycleTpCd", "inqStrtDd", "strtTm", "endTm", "reqCnt")
_RANGE_PARAMS = ("inqStrtDd", "inqEndDd")


def _e(
    name: str, path: str, envelope: Envelope, result: str, params: tuple[str, ...] = (), *, paged: bool = False
) -> Endpoint:
    return Endpoint(name, (path,), envelope, result, params, paged)


def _derivative(kind: str) -> list[Endpoint]:
    base = f"/v2/market/{kind}/{{market}}"
    return [
        _e(f"{kind}.lists", base + "/lists", "bare", "IssueList"),
        _e(f"{kind}.master", base + "/{code}/master", "result", "DerivativeMaster"),
        _e(f"{kind}.closeprice", base + "/{code}/closeprice", "result", "Close"),
        _e(f"{kind}.price", base + "/{code}/price", "result", "DerivativePrice"),
        _e(f"{kind}.orderbook", base + "/{code}/orderbook", "result", "OrderBook"),
        _e(f"{kind}.intraday", base + "/{code}/intraday", "result", "INTRADAY array", _INTRADAY_PARAMS, paged=True),
        _e(f"{kind}.history", base + "/{code}/history", "result", "HISTORY array", _HISTORY_PARAMS, paged=True),
    ]


ENDPOINTS: tuple[Endpoint, ...] = (
    _e("multiquote.lists", _MULTI + "/lists", "bare", "MarketSnapshot"),
    _e("multiquote.ohlclists", _MULTI + "/ohlclists", "bare", "MarketSnapshot"),
    _e("multiquote.price", _MULTI + "/price", "result", "PRICE array", ("isuCd",)),
    _e("multiquote.orderbook", _MULTI + "/orderbook", "result", "ORDERBOOK_STOCK array", ("isuCd",)),
    _e("stocks.lists", _STOCKS + "/lists", "bare", "IssueList"),
    _e("stocks.master", _STOCK + "/master", "result", "StockMaster"),
    _e("stocks.selectivemaster", _STOCK + "/selectivemaster", "result", "dict", ("<item>",)),
    _e("stocks.closeprice", _STOCK + "/closeprice", "result", "Close"),
    _e("stocks.price", _STOCK + "/price", "result", "Price"),
    _e("stocks.orderbook", _STOCK + "/orderbook", "result", "OrderBook"),
    _e("stocks.investors", _STOCK + "/investors", "result", "InvestorFlows"),
    _e("stocks.market_investors", _STOCKS + "/investors", "result", "InvestorFlows"),
    _e("stocks.index", _STOCKS + "/index", "result", "IndexSummary"),
    _e("stocks.closenav", _STOCK + "/closenav", "result", "Nav"),
    _e("stocks.shortsell", _STOCK + "/shortsell", "result", "SHORT_SELLING array", _RANGE_PARAMS),
    _e("stocks.intraday", _STOCK + "/intraday", "result", "INTRADAY array", _INTRADAY_PARAMS, paged=True),
    Endpoint("stocks.traderanking", (_STOCK + "/traderanking", _STOCK + "/traderaking"), "result", "TradeRanking"),
    _e(
        "stocks.foreignhistory",
        _STOCK + "/foreignhistory",
        "result",
        "FOREIGN_HOLDING array",
        (*_RANGE_PARAMS, "reqCnt"),
        paged=True,
    ),
    _e("stocks.history", _STOCK + "/history", "result", "HISTORY array", _HISTORY_PARAMS, paged=True),
    *_derivative("futures"),
    *_derivative("options"),
    _e("index.closeindex", _INDEX + "/closeindex", "result", "IndexSummary"),
    _e("index.index", _INDEX + "/index", "result", "IndexQuote"),
    _e("index.prospectindex", _INDEX + "/prospectindex", "result", "ExpectedIndex"),
    _e("index.marketcap", _INDEX + "/marketcap", "result", "IndexMarketCap"),
    _e("index.investors", _INDEX + "/investors", "result", "InvestorFlows"),
    _e("index.intraday", _INDEX + "/intraday", "result", "INTRADAY array", _INTRADAY_PARAMS, paged=True),
    _e("index.history", _INDEX + "/history", "result", "HISTORY array", _HISTORY_PARAMS, paged=True),
)
"""Every live endpoint, in the vendor's table order."""

_BY_NAME = {e.name: e for e in ENDPOINTS}


def endpoint(name: str) -> Endpoint:
    """The endpoint called ``name`` (e.g. ``"stocks.price"``); KeyError if there is none."""
    return _BY_NAME[name]
