"""kfeed: a Koscom Open API market-data feed handler with zero-copy numpy rings, books and bars."""

from kfeed._kfeed import (
    BAR_BACKFILLED,
    BAR_DTYPE,
    BAR_GAP,
    BOOK_DTYPE,
    QUOTE_DTYPE,
    TRADE_DTYPE,
    TRADE_GAP,
    TRADE_INDEX,
    TRADE_NO_QTY,
    Bars,
    Feed,
    FeedStream,
    RingReader,
    __version__,
)
from kfeed.channel import ChannelPolicy
from kfeed.health import Health
from kfeed.session import Session, SessionOptions, connect
from kfeed.wsclient import WebSocketClient

__all__ = [
    "BAR_BACKFILLED",
    "BAR_DTYPE",
    "BAR_GAP",
    "BOOK_DTYPE",
    "QUOTE_DTYPE",
    "TRADE_DTYPE",
    "TRADE_GAP",
    "TRADE_INDEX",
    "TRADE_NO_QTY",
    "Bars",
    "ChannelPolicy",
    "Feed",
    "FeedStream",
    "Health",
    "RingReader",
    "Session",
    "SessionOptions",
    "WebSocketClient",
    "__version__",
    "connect",
]
