"""Typed client for the Koscom Open API REST endpoints (all 40 live ones).

``RestClient`` is async (aiohttp); ``SyncRestClient`` wraps it with blocking calls. Single records decode to the
frozen dataclasses of :mod:`kfeed.rest.records`; lists, history, intraday and multiquote rows to numpy structured
arrays whose dtypes and units are described in :mod:`kfeed.rest.dtypes`.
"""

from kfeed.rest.client import RestClient, today_kst
from kfeed.rest.endpoints import ENDPOINTS, Endpoint, endpoint
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
)
from kfeed.rest.retry import RetryPolicy
from kfeed.rest.sync import SyncRestClient

__all__ = [
    "ENDPOINTS",
    "Close",
    "DerivativeMaster",
    "DerivativePrice",
    "Endpoint",
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
    "RestClient",
    "RetryPolicy",
    "StockMaster",
    "SyncRestClient",
    "TradeRanking",
    "endpoint",
    "today_kst",
]
