"""The endpoint families of the REST client: ``client.stocks``, ``.multiquote``, ``.futures``, ``.options``, ``.index``.

Each method calls one endpoint of :mod:`kfeed.rest.endpoints` and decodes it through its mapping table: single
records to :mod:`kfeed.rest.records` dataclasses, lists and history-like rows to numpy structured arrays of
:mod:`kfeed.rest.dtypes`. History, intraday and foreign-holding rows are paged past the 100-row cap and returned
**oldest first**; multiquote calls are split into batches of 20 codes sent concurrently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from kfeed.errors import RestError
from kfeed.rest import dtypes, lenient
from kfeed.rest.columns import Table, rows_of
from kfeed.rest.endpoints import Endpoint, check_segment, endpoint
from kfeed.rest.paging import page_backwards
from kfeed.rest.records import (
    Close,
    DerivativeMaster,
    DerivativePrice,
    ExpectedIndex,
    IndexMarketCap,
    IndexQuote,
    IndexSummary,
    InvestorFlows,
    IssueList,
    MarketSnapshot,
    Nav,
    OrderBook,
    Price,
    StockMaster,
    TradeRanking,
    decode,
)
from kfeed.rest.transport import QueryValue

if TYPE_CHECKING:
    from kfeed.rest.client import RestClient

__all__ = ["MULTIQUOTE_BATCH", "Derivatives", "Indices", "Multiquote", "Stocks"]

MULTIQUOTE_BATCH = 20
"""Codes per multiquote request (the vendor's cap)."""

DayLike = dt.date | str | int
"""A date as ``datetime.date``, ``"YYYYMMDD"``, ``"YYYY-MM-DD"`` or ``20240102``."""
ClockLike = dt.time | str | int
"""A time of day as ``datetime.time``, ``"HHMM"``, ``"HHMMSS"``, ``"HH:MM[:SS]"`` or ``930`` (HHMM)."""
Period = Literal["D", "W", "M"]
"""History period: daily, weekly or monthly rows (W and M labelled by the period's last business day)."""
Cycle = Literal[10, 60, 600]
"""Intraday bar length in seconds."""

_R = TypeVar("_R")
_DAY_END = 23 * 3600 + 59 * 60 + 59


def _seconds(value: ClockLike) -> int:
    """Seconds since midnight of a caller-supplied time of day (ValueError if invalid)."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    digits = str(value).replace(":", "").strip()
    if not digits.isdigit() or len(digits) not in (3, 4, 5, 6):
        raise ValueError(f"not a time of day: {value!r}")
    digits = digits.zfill(4 if len(digits) <= 4 else 6)
    hours, minutes = int(digits[:2]), int(digits[2:4])
    seconds = int(digits[4:6]) if len(digits) == 6 else 0
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"not a time of day: {value!r}")
    return hours * 3600 + minutes * 60 + seconds


def _yyyymmdd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


class _Family:
    """Shared plumbing: path building, record decoding, paged history and intraday."""

    _prefix: str
    _hhmmss: bool = False

    def __init__(self, client: RestClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    @property
    def _day(self) -> dt.date:
        return self._client.trading_date

    def _ep(self, operation: str) -> Endpoint:
        return endpoint(f"{self._prefix}.{operation}")

    async def _get(self, operation: str, params: dict[str, QueryValue] | None, **parts: str) -> Any:
        return await self._client.result(self._ep(operation).format(**parts), **(params or {}))

    async def _record(self, cls: type[_R], table: Table, operation: str, **parts: str) -> _R:
        return decode(cls, table, await self._get(operation, None, **parts), self._day)

    async def _history(
        self,
        market: str,
        code: str,
        start: DayLike,
        end: DayLike | None,
        *,
        period: str,
        limit: int | None,
    ) -> np.ndarray:
        if period not in ("D", "W", "M"):
            raise ValueError(f"period must be 'D', 'W' or 'M', not {period!r}")
        first, last = lenient.parse_day(start), lenient.parse_day(end) if end is not None else self._day
        path = self._ep("history").format(market=market, code=code)

        async def fetch(cursor: dt.date, count: int) -> np.ndarray:
            params: dict[str, QueryValue] = {
                "trnsmCycleTpCd": period,
                "inqStrtDd": _yyyymmdd(first),
                "inqEndDd": _yyyymmdd(cursor),
                "reqCnt": count,
            }
            return dtypes.HISTORY.array(rows_of(await self._client.result(path, **params), "hisLists"), self._day)

        return await page_backwards(
            fetch,
            end=last,
            key="date",
            cursor_for=lambda oldest: _day_cursor(oldest, first),
            limit=limit,
            empty=np.zeros(0, dtypes.HISTORY.dtype),
        )

    async def _intraday(
        self,
        market: str,
        code: str,
        *,
        cycle: int,
        day: DayLike | None,
        start: ClockLike | None,
        end: ClockLike | None,
        limit: int | None,
    ) -> np.ndarray:
        if cycle not in (10, 60, 600):
            raise ValueError(f"cycle must be 10, 60 or 600 seconds, not {cycle!r}")
        date = lenient.parse_day(day) if day is not None else self._day
        first = _seconds(start) if start is not None else 0
        last = _seconds(end) if end is not None else _DAY_END
        if first > last:
            raise ValueError("start is after end")
        unit = 1 if self._hhmmss else 60
        last = last - last % unit
        path = self._ep("intraday").format(market=market, code=code)
        midnight = lenient.day_start_ns(date)

        def clock(seconds: int) -> str:
            hours, rest = divmod(seconds, 3600)
            text = f"{hours:02d}{rest // 60:02d}"
            return text + f"{rest % 60:02d}" if self._hhmmss else text

        async def fetch(cursor: int, count: int) -> np.ndarray:
            params: dict[str, QueryValue] = {
                "inddCycleTpCd": cycle,
                "inqStrtDd": _yyyymmdd(date),
                "strtTm": clock(first),
                "endTm": clock(cursor),
                "reqCnt": count,
            }
            return dtypes.INTRADAY.array(rows_of(await self._client.result(path, **params), "hisLists"), date)

        def cursor_for(oldest_ns: Any) -> int | None:
            seconds = math.ceil((int(oldest_ns) - midnight) / (unit * 10**9)) * unit
            return seconds if seconds > first else None

        return await page_backwards(
            fetch,
            end=last,
            key="end_time",
            cursor_for=cursor_for,
            limit=limit,
            empty=np.zeros(0, dtypes.INTRADAY.dtype),
        )


def _day_cursor(oldest: np.datetime64, first: dt.date) -> dt.date | None:
    day = oldest.item() if isinstance(oldest, np.datetime64) else None
    return day if isinstance(day, dt.date) and day > first else None


class _Series(_Family):
    """Families whose instruments have intraday bars and daily history: stocks, futures, options and indices."""

    async def intraday(
        self,
        market: str,
        code: str,
        *,
        cycle: Cycle = 60,
        day: DayLike | None = None,
        start: ClockLike | None = None,
        end: ClockLike | None = None,
        limit: int | None = None,
    ) -> np.ndarray:
        """Bars of ``cycle`` seconds on ``day`` (default: the trading date) between ``start`` and ``end``, oldest first.

        Paged past the 100-row cap; ``limit`` keeps the newest ``limit`` bars.
        """
        return await self._intraday(market, code, cycle=cycle, day=day, start=start, end=end, limit=limit)

    async def history(
        self,
        market: str,
        code: str,
        start: DayLike,
        end: DayLike | None = None,
        *,
        period: Period = "D",
        limit: int | None = None,
    ) -> np.ndarray:
        """Daily/weekly/monthly rows from ``start`` to ``end`` (default: the trading date), oldest first, paged.

        Futures rows carry open interest.
        """
        return await self._history(market, code, start, end, period=period, limit=limit)


class Stocks(_Series):
    """``/v2/market/stocks/{market}/...``: ``market`` is ``kospi``, ``kosdaq`` or ``konex``; ``code`` a short code."""

    _prefix = "stocks"

    async def lists(self, market: str) -> IssueList:
        """Every issue of ``market`` with its ISIN and names."""
        return IssueList.from_wire(await self._get("lists", None, market=market), self._day)

    async def master(self, market: str, code: str) -> StockMaster:
        """The issue's master record."""
        return await self._record(StockMaster, dtypes.STOCK_MASTER, "master", market=market, code=code)

    async def selective_master(self, market: str, code: str, fields: Sequence[str]) -> dict[str, Any]:
        """Only the asked master items, by English name (any column of :data:`~kfeed.rest.dtypes.SELECTIVE_MASTER`)."""
        columns = {column.name: column for column in dtypes.SELECTIVE_MASTER.columns}
        unknown = [name for name in fields if name not in columns]
        if unknown or not fields:
            raise ValueError(f"unknown or no selective master fields {unknown}; known: {sorted(columns)}")
        params: dict[str, QueryValue] = {columns[name].wire[0]: None for name in fields}
        body = await self._get("selectivemaster", params, market=market, code=code)
        values = dtypes.SELECTIVE_MASTER.values(body if isinstance(body, Mapping) else {}, self._day)
        return {name: values[name] for name in fields}

    async def close_price(self, market: str, code: str) -> Close:
        """The day's close (released after 15:40 KST; earlier the vendor answers HTTP 400 → RestError)."""
        return await self._record(Close, dtypes.CLOSE, "closeprice", market=market, code=code)

    async def price(self, market: str, code: str) -> Price:
        """The last trade and the day's summary."""
        return await self._record(Price, dtypes.PRICE, "price", market=market, code=code)

    async def orderbook(self, market: str, code: str) -> OrderBook:
        """The 10-level book (LP quotes excluded)."""
        return await self._record(OrderBook, dtypes.ORDERBOOK_STOCK, "orderbook", market=market, code=code)

    async def investors(self, market: str, code: str) -> InvestorFlows:
        """The issue's trading by investor type (after 15:30 KST)."""
        return InvestorFlows.from_wire(await self._get("investors", None, market=market, code=code), self._day)

    async def market_investors(self, market: str) -> InvestorFlows:
        """The whole market's trading by investor type (after 15:40 KST)."""
        return InvestorFlows.from_wire(await self._get("market_investors", None, market=market), self._day)

    async def market_index(self, market: str) -> IndexSummary:
        """The market's main index (KOSPI or KOSDAQ) with its day summary."""
        return await self._record(IndexSummary, dtypes.INDEX_SUMMARY, "index", market=market)

    async def close_nav(self, market: str, code: str) -> Nav:
        """An ETF's closing NAV (after 16:00 KST)."""
        return await self._record(Nav, dtypes.NAV, "closenav", market=market, code=code)

    async def short_selling(self, market: str, code: str, start: DayLike, end: DayLike | None = None) -> np.ndarray:
        """Daily short sales and lending balance from ``start`` to ``end`` (default: the trading date), oldest first."""
        params: dict[str, QueryValue] = {
            "inqStrtDd": _yyyymmdd(lenient.parse_day(start)),
            "inqEndDd": _yyyymmdd(lenient.parse_day(end) if end is not None else self._day),
        }
        body = await self._get("shortsell", params, market=market, code=code)
        rows = dtypes.SHORT_SELLING.array(rows_of(body, "hisLists"), self._day)
        return rows[np.argsort(rows["date"], kind="stable")]

    async def trade_ranking(self, market: str, code: str) -> TradeRanking:
        """The top five member firms on each side (``traderanking``, or the vendor's ``traderaking`` spelling)."""
        ep = self._ep("traderanking")
        for index, template in enumerate(ep.paths):
            try:
                body = await self._client.result(ep.format(template, market=market, code=code))
            except RestError as exc:
                if exc.status == 404 and exc.code is None and index + 1 < len(ep.paths):
                    continue
                raise
            return decode(TradeRanking, dtypes.TRADE_RANKING, body, self._day)
        raise AssertionError("unreachable: the last spelling returns or raises")

    async def foreign_history(
        self, market: str, code: str, start: DayLike, end: DayLike | None = None, *, limit: int | None = None
    ) -> np.ndarray:
        """Daily foreign holdings from ``start`` to ``end`` (default: the trading date), oldest first, paged."""
        first, last = lenient.parse_day(start), lenient.parse_day(end) if end is not None else self._day
        path = self._ep("foreignhistory").format(market=market, code=code)

        async def fetch(cursor: dt.date, count: int) -> np.ndarray:
            params: dict[str, QueryValue] = {
                "inqStrtDd": _yyyymmdd(first),
                "inqEndDd": _yyyymmdd(cursor),
                "reqCnt": count,
            }
            body = await self._client.result(path, **params)
            return dtypes.FOREIGN_HOLDING.array(rows_of(body, "hisLists"), self._day)

        return await page_backwards(
            fetch,
            end=last,
            key="date",
            cursor_for=lambda oldest: _day_cursor(oldest, first),
            limit=limit,
            empty=np.zeros(0, dtypes.FOREIGN_HOLDING.dtype),
        )


class Multiquote(_Family):
    """``/v2/market/multiquote/stocks/{market}/...``: whole-market snapshots and many-code quotes."""

    _prefix = "multiquote"

    async def lists(self, market: str) -> MarketSnapshot:
        """Every issue's last price and day totals (regenerated by the vendor every second)."""
        body = await self._get("lists", None, market=market)
        return MarketSnapshot.from_wire(body, dtypes.MARKET_SNAPSHOT, self._day)

    async def ohlc_lists(self, market: str) -> MarketSnapshot:
        """Every issue's open, high, low and last price."""
        body = await self._get("ohlclists", None, market=market)
        return MarketSnapshot.from_wire(body, dtypes.OHLC_SNAPSHOT, self._day)

    async def prices(self, market: str, codes: Iterable[str]) -> np.ndarray:
        """:data:`~kfeed.rest.dtypes.PRICE` rows for any number of codes (batches of 20, concurrent)."""
        return await self._batched("price", market, codes, dtypes.PRICE)

    async def orderbooks(self, market: str, codes: Iterable[str]) -> np.ndarray:
        """:data:`~kfeed.rest.dtypes.ORDERBOOK_STOCK` rows for any number of codes (batches of 20, concurrent)."""
        return await self._batched("orderbook", market, codes, dtypes.ORDERBOOK_STOCK)

    async def _batched(self, operation: str, market: str, codes: Iterable[str], table: Table) -> np.ndarray:
        wanted = [code.strip() for code in codes]
        for code in wanted:
            check_segment("code", code)
        path = self._ep(operation).format(market=market)
        batches = [wanted[i : i + MULTIQUOTE_BATCH] for i in range(0, len(wanted), MULTIQUOTE_BATCH)]

        async def one(batch: list[str]) -> np.ndarray:
            async with self._client.limiter:
                body = await self._client.result(path, isuCd=",".join(batch))
            return table.array(rows_of(body, "isulist", "isuLists"), self._day)

        parts = await asyncio.gather(*(one(batch) for batch in batches))
        return np.concatenate(parts) if parts else np.zeros(0, table.dtype)


class Derivatives(_Series):
    """``/v2/market/futures/{market}/...`` or ``/v2/market/options/{market}/...`` (``market`` e.g. ``kospi200``).

    Codes are 8-character short codes (``101N6000``); ``history`` also accepts continuous codes (``K2FA001``).
    """

    _hhmmss = True

    def __init__(self, client: RestClient, kind: Literal["futures", "options"]) -> None:
        super().__init__(client)
        self._prefix = kind

    async def lists(self, market: str) -> IssueList:
        """Every listed contract of ``market``."""
        return IssueList.from_wire(await self._get("lists", None, market=market), self._day)

    async def master(self, market: str, code: str) -> DerivativeMaster:
        """The contract's master record."""
        return await self._record(DerivativeMaster, dtypes.DERIVATIVE_MASTER, "master", market=market, code=code)

    async def close_price(self, market: str, code: str) -> Close:
        """The day's close (released after 15:50 KST)."""
        return await self._record(Close, dtypes.CLOSE, "closeprice", market=market, code=code)

    async def price(self, market: str, code: str) -> DerivativePrice:
        """The last trade and the day's summary."""
        return await self._record(DerivativePrice, dtypes.DERIVATIVE_PRICE, "price", market=market, code=code)

    async def orderbook(self, market: str, code: str) -> OrderBook:
        """The 5-level book with order counts."""
        return await self._record(OrderBook, dtypes.ORDERBOOK_DERIVATIVE, "orderbook", market=market, code=code)


class Indices(_Series):
    """``/v2/market/index/{market}/{code}/...``: ``market`` e.g. ``kospi``, ``kosdaq``; ``code`` ``K1``, ``Q1``, ...

    Index volumes are in thousands of shares and values in millions of KRW.
    """

    _prefix = "index"

    async def close_index(self, market: str, code: str) -> IndexSummary:
        """The index's close and day summary (after 15:40 KST)."""
        return await self._record(IndexSummary, dtypes.INDEX_SUMMARY, "closeindex", market=market, code=code)

    async def index(self, market: str, code: str) -> IndexQuote:
        """The index's current value."""
        return await self._record(IndexQuote, dtypes.INDEX_QUOTE, "index", market=market, code=code)

    async def expected_index(self, market: str, code: str) -> ExpectedIndex:
        """The index's expected value during a single-price auction (``prospectindex``)."""
        return await self._record(ExpectedIndex, dtypes.EXPECTED_INDEX, "prospectindex", market=market, code=code)

    async def market_cap(self, market: str, code: str) -> IndexMarketCap:
        """The index's constituent count, listed shares and capitalisation."""
        return await self._record(IndexMarketCap, dtypes.INDEX_MARKET_CAP, "marketcap", market=market, code=code)

    async def investors(self, market: str, code: str) -> InvestorFlows:
        """Trading in the index's constituents by investor type."""
        return InvestorFlows.from_wire(await self._get("investors", None, market=market, code=code), self._day)
