"""Typed single records returned by the REST client: small frozen dataclasses with English field names.

Units and conventions are those of :mod:`kfeed.rest.dtypes` (each class's fields are exactly the columns of its
mapping table there). Book levels and member rankings are read-only numpy arrays, level or rank 1 first; array
fields are left out of ``==`` (numpy compares elementwise), so compare them with ``numpy.array_equal``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import numpy as np

from kfeed.rest import dtypes
from kfeed.rest.columns import Table, rows_of

__all__ = [
    "Close",
    "DerivativeMaster",
    "DerivativePrice",
    "ExpectedIndex",
    "IndexMarketCap",
    "IndexQuote",
    "IndexSummary",
    "InvestorFlows",
    "IssueList",
    "MarketSnapshot",
    "Nav",
    "OrderBook",
    "Price",
    "StockMaster",
    "TradeRanking",
    "decode",
]

_R = TypeVar("_R")


def decode(cls: type[_R], table: Table, record: Any, day: dt.date) -> _R:
    """Build ``cls`` from one wire ``record`` through its mapping ``table`` (a non-object record reads as empty)."""
    mapping = record if isinstance(record, Mapping) else {}
    return cls(**table.values(mapping, day))


@dataclass(frozen=True, slots=True)
class Price:
    """A stock's last trade and day summary (``price``; WS ``tick10``)."""

    symbol: str
    time: int
    price: float
    volume: int
    change_type: int
    change: float
    open: float
    high: float
    low: float
    acc_volume: int
    acc_value: float
    side: int
    best_ask: float
    best_bid: float


@dataclass(frozen=True, slots=True)
class DerivativePrice:
    """A future's or option's last trade and day summary (``price``)."""

    symbol: str
    isin: str
    time: int
    price: float
    volume: int
    open: float
    high: float
    low: float
    acc_volume: int
    acc_value: float
    side: int
    block_volume: int
    upper_limit: float
    lower_limit: float
    near_leg_price: float
    far_leg_price: float


@dataclass(frozen=True, slots=True)
class OrderBook:
    """A book: 10 levels for stocks, 5 with order counts for derivatives (``orderbook``; WS ``quote10``).

    ``time`` is the derivative book's order-acceptance time (0 for stocks); ``expected_*`` are the single-price
    auction's indicative values.
    """

    symbol: str
    time: int
    acc_volume: int
    ask_price: np.ndarray = field(compare=False)
    ask_qty: np.ndarray = field(compare=False)
    ask_count: np.ndarray = field(compare=False)
    bid_price: np.ndarray = field(compare=False)
    bid_qty: np.ndarray = field(compare=False)
    bid_count: np.ndarray = field(compare=False)
    ask_total: int
    bid_total: int
    ask_orders: int
    bid_orders: int
    after_hours_ask_total: int
    after_hours_bid_total: int
    expected_price: float
    expected_volume: int
    expected_acc_volume: int

    @property
    def levels(self) -> int:
        """Number of book levels (10 for stocks, 5 for derivatives)."""
        return len(self.ask_price)


@dataclass(frozen=True, slots=True)
class Close:
    """The day's closing record (``closeprice``)."""

    symbol: str
    close: float
    change_type: int
    change: float
    open: float
    high: float
    low: float
    acc_volume: int
    acc_value: float


@dataclass(frozen=True, slots=True)
class StockMaster:
    """A stock's master record (``master``): identity, limits, listing and valuation figures, index membership."""

    symbol: str
    isin: str
    name: str
    short_name: str
    english_name: str
    trading_date: dt.date | None
    security_group: str
    warning_code: int
    halted: bool
    base_price: float
    prev_close: float
    prev_volume: int
    prev_value: float
    upper_limit: float
    lower_limit: float
    par_value: float
    listing_date: dt.date | None
    listed_shares: int
    lot_size: int
    eps: float
    bps: float
    per: float
    pbr: float
    dps: float
    dividend_yield: float
    in_kospi: bool
    in_kospi100: bool
    in_kospi50: bool
    in_krx100: bool
    in_kospi200: bool
    in_kosdaq150: bool
    english_short_name: str
    industry_code: str
    is_preferred: bool
    is_etf: bool
    administrative: bool
    investment_caution: bool
    investment_warning: bool
    investment_risk: bool
    short_sellable: bool
    margin_tradable: bool
    prev_open: float
    prev_high: float
    prev_low: float
    prev_change_type: int
    prev_change: float
    prev_market_cap: float
    capital: float
    substitute_price: float
    foreign_limit_ratio: float
    foreign_limit_qty: int
    settlement_month: int


@dataclass(frozen=True, slots=True)
class DerivativeMaster:
    """A future's or option's master record (``master``)."""

    symbol: str
    isin: str
    name: str
    short_name: str
    trading_date: dt.date | None
    listing_date: dt.date | None
    last_trading_date: dt.date | None
    expiry_date: dt.date | None
    days_to_expiry: int
    underlying: str
    multiplier: float
    base_price: float
    prev_close: float
    prev_open_interest: int
    upper_limit: float
    lower_limit: float
    strike: float
    implied_volatility: float


@dataclass(frozen=True, slots=True)
class IndexSummary:
    """A market index with its day summary (stocks ``index``; index ``closeindex``)."""

    symbol: str
    issue_count: int
    value: float
    change_type: int
    change: float
    open: float
    high: float
    low: float
    acc_volume: int
    acc_value: float
    market_cap: float
    listed_shares: int


@dataclass(frozen=True, slots=True)
class IndexQuote:
    """An index's current value (index ``index``)."""

    symbol: str
    time: int
    value: float
    change_type: int
    change: float
    acc_volume: int
    acc_value: float


@dataclass(frozen=True, slots=True)
class ExpectedIndex(IndexQuote):
    """An index's expected value during a single-price auction (index ``prospectindex``): the fields of an
    :class:`IndexQuote`, with ``time`` the time of the expectation."""


@dataclass(frozen=True, slots=True)
class IndexMarketCap:
    """An index's constituent count, listed shares and capitalisation (index ``marketcap``)."""

    symbol: str
    issue_count: int
    listed_shares: int
    market_cap: float


@dataclass(frozen=True, slots=True)
class Nav:
    """An ETF's closing net asset value and its change (``closenav``)."""

    symbol: str
    nav: float
    change: float


@dataclass(frozen=True, slots=True)
class TradeRanking:
    """The five member firms buying (``bid_*``) and selling (``ask_*``) the most, rank 1 first (``traderanking``)."""

    symbol: str
    bid_member: np.ndarray = field(compare=False)
    bid_volume: np.ndarray = field(compare=False)
    bid_value: np.ndarray = field(compare=False)
    bid_price: np.ndarray = field(compare=False)
    bid_weight: np.ndarray = field(compare=False)
    ask_member: np.ndarray = field(compare=False)
    ask_volume: np.ndarray = field(compare=False)
    ask_value: np.ndarray = field(compare=False)
    ask_price: np.ndarray = field(compare=False)
    ask_weight: np.ndarray = field(compare=False)


@dataclass(frozen=True, slots=True)
class InvestorFlows:
    """Trading by investor type (``investors``); ``rows`` has the :data:`~kfeed.rest.dtypes.INVESTOR_FLOW` dtype.

    ``symbol`` is the issue (or ``K1``/``Q1`` for a market), ``time`` the vendor's stamp (0 when absent).
    """

    symbol: str
    isin: str
    time: int
    rows: np.ndarray = field(compare=False)

    @classmethod
    def from_wire(cls, body: Any, day: dt.date) -> InvestorFlows:
        """Decode an ``investors`` result."""
        header = dtypes.INVESTOR_HEADER.values(body if isinstance(body, Mapping) else {}, day)
        rows = dtypes.INVESTOR_FLOW.array(rows_of(body, "invstLists", "invstList"), day)
        return cls(header["symbol"], header["isin"], header["time"], rows)


@dataclass(frozen=True, slots=True)
class IssueList:
    """A market's issues (``lists``): ``rows`` has the :data:`~kfeed.rest.dtypes.ISSUE_LIST` dtype."""

    trading_date: dt.date | None
    rows: np.ndarray = field(compare=False)

    @classmethod
    def from_wire(cls, body: Any, day: dt.date) -> IssueList:
        """Decode a bare ``lists`` body."""
        header = dtypes.LIST_HEADER.values(body if isinstance(body, Mapping) else {}, day)
        return cls(header["trading_date"], dtypes.ISSUE_LIST.array(rows_of(body, "isuLists", "isulist"), day))


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """Every issue of a market at one instant (multiquote ``lists`` or ``ohlclists``).

    ``rows`` has the :data:`~kfeed.rest.dtypes.MARKET_SNAPSHOT` or :data:`~kfeed.rest.dtypes.OHLC_SNAPSHOT` dtype;
    ``time`` is the snapshot time (0 when the body has none).
    """

    trading_date: dt.date | None
    time: int
    rows: np.ndarray = field(compare=False)

    @classmethod
    def from_wire(cls, body: Any, table: Table, day: dt.date) -> MarketSnapshot:
        """Decode a bare multiquote list body through ``table``; its times are dated by the body's own date."""
        mapping = body if isinstance(body, Mapping) else {}
        trading_date = dtypes.LIST_HEADER.values(mapping, day)["trading_date"]
        header = dtypes.LIST_HEADER.values(mapping, trading_date or day)
        return cls(trading_date, header["time"], table.array(rows_of(body, "isuLists", "isulist"), day))


def _check_fields(cls: type, table: Table) -> None:
    names = tuple(f.name for f in fields(cls))
    if names != table.names:
        raise TypeError(f"{cls.__name__} fields {names} differ from table {table.name!r} columns {table.names}")


RECORD_TABLES: dict[type, Table] = {
    Price: dtypes.PRICE,
    DerivativePrice: dtypes.DERIVATIVE_PRICE,
    Close: dtypes.CLOSE,
    StockMaster: dtypes.STOCK_MASTER,
    DerivativeMaster: dtypes.DERIVATIVE_MASTER,
    IndexSummary: dtypes.INDEX_SUMMARY,
    IndexQuote: dtypes.INDEX_QUOTE,
    ExpectedIndex: dtypes.EXPECTED_INDEX,
    IndexMarketCap: dtypes.INDEX_MARKET_CAP,
    Nav: dtypes.NAV,
    TradeRanking: dtypes.TRADE_RANKING,
    OrderBook: dtypes.ORDERBOOK_STOCK,
}
"""Each single-record class and the mapping table its fields mirror (checked at import)."""

for _cls, _table in RECORD_TABLES.items():
    _check_fields(_cls, _table)
_check_fields(OrderBook, dtypes.ORDERBOOK_DERIVATIVE)
