"""Mapping tables and numpy dtypes of every Koscom REST record, with plain-English field names.

This module is the only place in :mod:`kfeed.rest` where the vendor's field names appear. Units: stock prices are
KRW, derivative and index prices are points; ``time``/``end_time`` are nanoseconds since the Unix epoch (exchange
time in KST, so ``arr["end_time"].view("datetime64[ns]")`` works), 0 when the vendor sent no time; dates are
``datetime64[D]``; ``change_type`` is the vendor's code (1 upper limit, 2 up, 3 unchanged, 4 lower limit, 5 down);
``change`` is the difference to the previous close as sent (unsigned; its direction is ``change_type``); ``side`` is
+1 buy-initiated, -1 sell-initiated, 0 unknown. Index volumes are in thousands of shares, index values in millions of
KRW. Absent integers are 0, absent floats NaN, absent dates NaT.
"""

from __future__ import annotations

from kfeed.rest.columns import Column, Kind, Table

__all__ = [
    "CLOSE",
    "DERIVATIVE_MASTER",
    "DERIVATIVE_PRICE",
    "EXPECTED_INDEX",
    "FOREIGN_HOLDING",
    "HISTORY",
    "INDEX_MARKET_CAP",
    "INDEX_QUOTE",
    "INDEX_SUMMARY",
    "INTRADAY",
    "INVESTOR_FLOW",
    "INVESTOR_HEADER",
    "ISSUE_LIST",
    "LIST_HEADER",
    "MARKET_SNAPSHOT",
    "NAV",
    "OHLC_SNAPSHOT",
    "ORDERBOOK_DERIVATIVE",
    "ORDERBOOK_STOCK",
    "PRICE",
    "SELECTIVE_MASTER",
    "SHORT_SELLING",
    "STOCK_MASTER",
    "TRADE_RANKING",
]


def _c(name: str, kind: Kind, *wire: str, levels: int = 0, width: int = 64) -> Column:
    return Column(name, kind, wire, levels, width)


_SYMBOL = _c("symbol", "code", "isuSrtCd")
_ISIN = _c("isin", "code", "isuCd")
_TIME = _c("time", "time", "trdTm")
_PRICE = _c("price", "float", "trdPrc")
_VOLUME = _c("volume", "int", "trdvol", "trdVol")
_CHANGE_TYPE = _c("change_type", "int", "cmpprevddTpCd")
_CHANGE = _c("change", "float", "cmpprevddPrc")
_OPEN = _c("open", "float", "opnprc")
_HIGH = _c("high", "float", "hgprc")
_LOW = _c("low", "float", "lwprc")
_ACC_VOLUME = _c("acc_volume", "int", "accTrdvol", "accTrdVol")
_ACC_VALUE = _c("acc_value", "float", "accTrdval", "accTrdVal")
_SIDE = _c("side", "side", "lstAskbidTpCd", "lstTrdTpCd")
_NAME = _c("name", "text", "isuKorNm", width=80)
_SHORT_NAME = _c("short_name", "text", "isuKorAbbrv", "isuKorAbbr", width=80)
_BUSINESS_DAY = ("BzDd", "trdDd")

LIST_HEADER = Table("list header", [_c("trading_date", "day", "trdDd", "BzDd"), _c("time", "hhmmss", "trdTm")])
"""Header of the bare list bodies: the trading date and (multiquote lists) the snapshot time."""

ISSUE_LIST = Table("issue list", [_SYMBOL, _ISIN, _NAME, _SHORT_NAME])
"""Rows of stocks/futures/options ``lists``."""

MARKET_SNAPSHOT = Table("market snapshot", [_SYMBOL, _PRICE, _ACC_VOLUME, _ACC_VALUE])
"""Rows of multiquote ``lists``: every issue's last price and day totals."""

OHLC_SNAPSHOT = Table("ohlc snapshot", [_SYMBOL, _OPEN, _HIGH, _LOW, _c("close", "float", "trdPrc")])
"""Rows of multiquote ``ohlclists``; ``close`` is the last price."""

PRICE = Table(
    "price",
    [
        _SYMBOL,
        _TIME,
        _PRICE,
        _VOLUME,
        _CHANGE_TYPE,
        _CHANGE,
        _OPEN,
        _HIGH,
        _LOW,
        _ACC_VOLUME,
        _ACC_VALUE,
        _SIDE,
        _c("best_ask", "float", "askordPrc_1"),
        _c("best_bid", "float", "bidordPrc_1"),
    ],
)
"""A stock's last trade and day summary (REST ``price``, multiquote ``price`` rows, WS ``tick10``)."""

DERIVATIVE_PRICE = Table(
    "derivative price",
    [
        _SYMBOL,
        _ISIN,
        _TIME,
        _PRICE,
        _VOLUME,
        _OPEN,
        _HIGH,
        _LOW,
        _ACC_VOLUME,
        _ACC_VALUE,
        _SIDE,
        _c("block_volume", "int", "negoBlkAccTrdvol"),
        _c("upper_limit", "float", "realtmUplmtprc"),
        _c("lower_limit", "float", "realtmLwlmtprc"),
        _c("near_leg_price", "float", "nearmmLegPrc"),
        _c("far_leg_price", "float", "farmmLegPrc"),
    ],
)
"""A future's or option's last trade and day summary (REST ``price``); spread-leg prices are futures' (else NaN)."""


def _orderbook(name: str, levels: int) -> Table:
    return Table(
        name,
        [
            _SYMBOL,
            _c("time", "time", "ordAcptTm"),
            _ACC_VOLUME,
            _c("ask_price", "float", "askStep{n}BstordPrc", levels=levels),
            _c("ask_qty", "int", "askStep{n}BstordRqty", levels=levels),
            _c("ask_count", "int", "askStep{n}BstordCnt", levels=levels),
            _c("bid_price", "float", "bidStep{n}BstordPrc", levels=levels),
            _c("bid_qty", "int", "bidStep{n}BstordRqty", levels=levels),
            _c("bid_count", "int", "bidStep{n}BstordCnt", levels=levels),
            _c("ask_total", "int", "askordTotRqty", "askTotOrdRqty"),
            _c("bid_total", "int", "bidordTotRqty", "bidTotOrdRqty"),
            _c("ask_orders", "int", "askValidOrdCnt"),
            _c("bid_orders", "int", "bidValidOrdCnt"),
            _c("after_hours_ask_total", "int", "pstoffhrAskTotOrdRqty"),
            _c("after_hours_bid_total", "int", "pstoffhrBidTotOrdRqty"),
            _c("expected_price", "float", "deemTrdPrc"),
            _c("expected_volume", "int", "deemTrdvol", "deemTrdVol"),
            _c("expected_acc_volume", "int", "deemAccTrdvol", "deemAccTrdVol"),
        ],
    )


ORDERBOOK_STOCK = _orderbook("stock orderbook", 10)
"""A stock's 10-level book (REST ``orderbook``, multiquote ``orderbook`` rows, WS ``quote10``); counts are 0."""

ORDERBOOK_DERIVATIVE = _orderbook("derivative orderbook", 5)
"""A future's or option's 5-level book with order counts (REST ``orderbook``)."""

CLOSE = Table(
    "close",
    [_SYMBOL, _c("close", "float", "trdPrc"), _CHANGE_TYPE, _CHANGE, _OPEN, _HIGH, _LOW, _ACC_VOLUME, _ACC_VALUE],
)
"""The day's closing record (REST ``closeprice``)."""

STOCK_MASTER = Table(
    "stock master",
    [
        _SYMBOL,
        _ISIN,
        _NAME,
        _SHORT_NAME,
        _c("english_name", "text", "isuEngNm", width=80),
        _c("trading_date", "day", "trdDd", "BzDd"),
        _c("security_group", "text", "secugrpId", width=8),
        _c("warning_code", "int", "mktWarnTpCd"),
        _c("halted", "bool", "haltYn"),
        _c("base_price", "float", "basPrc"),
        _c("prev_close", "float", "prevddClsprc"),
        _c("prev_volume", "int", "prevddAccTrdvol"),
        _c("prev_value", "float", "prevddAccTrdval"),
        _c("upper_limit", "float", "uplmtprc"),
        _c("lower_limit", "float", "lwlmtprc"),
        _c("par_value", "float", "parval"),
        _c("listing_date", "day", "listDd"),
        _c("listed_shares", "int", "listShrs"),
        _c("lot_size", "int", "regulssQtyUnit"),
        _c("eps", "float", "eps"),
        _c("bps", "float", "bps"),
        _c("per", "float", "per"),
        _c("pbr", "float", "pbr"),
        _c("dps", "float", "dps"),
        _c("dividend_yield", "float", "divYd"),
        _c("in_kospi", "bool", "kospiYn"),
        _c("in_kospi100", "bool", "kospi100Yn"),
        _c("in_kospi50", "bool", "kospi50Yn"),
        _c("in_krx100", "bool", "krx100IsuYn"),
        _c("in_kospi200", "bool", "kospi200IsuYn"),
        _c("in_kosdaq150", "bool", "kosdaq150IsuYn"),
        _c("english_short_name", "text", "isuEngAbbrv", width=80),
        _c("industry_code", "text", "idxIndCd", width=8),
        _c("is_preferred", "bool", "prfstkYn"),
        _c("is_etf", "bool", "etfYn"),
        _c("administrative", "bool", "adminIsuYn"),
        _c("investment_caution", "bool", "invstCautnYn"),
        _c("investment_warning", "bool", "invstWarnYn"),
        _c("investment_risk", "bool", "invstRiskYn"),
        _c("short_sellable", "bool", "srtsellPsblYn"),
        _c("margin_tradable", "bool", "crdtTrdPsblYn"),
        _c("prev_open", "float", "prevddOpnprc"),
        _c("prev_high", "float", "prevddHgprc"),
        _c("prev_low", "float", "prevddLwprc"),
        _c("prev_change_type", "int", "prevddCmpprevddTpCd"),
        _c("prev_change", "float", "prevddCmpprevddPrc"),
        _c("prev_market_cap", "float", "prevddMktcap"),
        _c("capital", "float", "lstCapitalAmt"),
        _c("substitute_price", "float", "substPrc"),
        _c("foreign_limit_ratio", "float", "fornLmtRt"),
        _c("foreign_limit_qty", "int", "fornLmtQty"),
        _c("settlement_month", "int", "stlmMm"),
    ],
)
"""A stock's master record (REST ``master``); flags are the vendor's Y/N items."""

SELECTIVE_MASTER = Table(
    "selective master",
    [
        *STOCK_MASTER.columns,
        _c("week52_high", "float", "wk52HgstPrc"),
        _c("week52_low", "float", "wk52LwstPrc"),
        _c("week52_high_date", "day", "wk52HgstPrcDd"),
        _c("week52_low_date", "day", "wk52LwstPrcDd"),
        *(_c(f"avg_price_{days}d", "float", f"dd{days}AvgPrc") for days in (5, 20, 60, 120)),
        *(_c(f"avg_volume_{days}d", "int", f"dd{days}AvgTrdVol", f"dd{days}AvgTrdvol") for days in (5, 20, 60, 120)),
        _c("short_volume", "int", "srtsellTrdVol", "srtsellTrdvol"),
        _c("lending_balance", "int", "lendBalQty"),
        _c("floating_shares", "int", "liquShrs"),
        _c("foreign_holdings", "int", "fornHdQty"),
        _c("foreign_ratio", "float", "fornExhRt"),
    ],
)
"""Items a ``selectivemaster`` call can ask for, by English name; the first wire spelling is the one sent."""

DERIVATIVE_MASTER = Table(
    "derivative master",
    [
        _SYMBOL,
        _ISIN,
        _NAME,
        _SHORT_NAME,
        _c("trading_date", "day", *_BUSINESS_DAY),
        _c("listing_date", "day", "listDd"),
        _c("last_trading_date", "day", "lsttrdDd"),
        _c("expiry_date", "day", "expDd"),
        _c("days_to_expiry", "int", "remainDys"),
        _c("underlying", "text", "ulyId", width=16),
        _c("multiplier", "float", "setlmult"),
        _c("base_price", "float", "basPrc"),
        _c("prev_close", "float", "prevddClsprc"),
        _c("prev_open_interest", "int", "prevddOpnintQty"),
        _c("upper_limit", "float", "prcLmtStep1Uplmtprc"),
        _c("lower_limit", "float", "prcLmtStep1Lwlmtprc"),
        _c("strike", "float", "exerPrc"),
        _c("implied_volatility", "float", "impVolt"),
    ],
)
"""A future's or option's master record (REST ``master``); ``strike``/``implied_volatility`` are NaN for futures."""

INVESTOR_HEADER = Table("investor header", [_SYMBOL, _ISIN, _c("time", "hhmmss", "Tm")])
"""Header of the ``investors`` bodies."""

INVESTOR_FLOW = Table(
    "investor flow",
    [
        _c("investor", "int", "invstCd"),
        _c("ask_volume", "int", "askTrdvol", "askTrdVol"),
        _c("ask_value", "float", "askTrdval", "askTrdVal"),
        _c("bid_volume", "int", "bidTrdvol", "bidTrdVol"),
        _c("bid_value", "float", "bidTrdval", "bidTrdVal"),
    ],
)
"""Rows of ``investors``: one per investor type (1 financial investment ... 11 foreigners, 12 total, ...)."""

INDEX_SUMMARY = Table(
    "index summary",
    [
        _SYMBOL,
        _c("issue_count", "int", "isuCnt"),
        _c("value", "float", "trdPrc"),
        _CHANGE_TYPE,
        _CHANGE,
        _OPEN,
        _HIGH,
        _LOW,
        _ACC_VOLUME,
        _ACC_VALUE,
        _c("market_cap", "float", "mktcap"),
        _c("listed_shares", "int", "listShrs"),
    ],
)
"""A market index with its day summary (stocks ``index``, index ``closeindex``)."""

INDEX_QUOTE = Table(
    "index quote",
    [_SYMBOL, _TIME, _c("value", "float", "trdPrc"), _CHANGE_TYPE, _CHANGE, _ACC_VOLUME, _ACC_VALUE],
)
"""An index's current value (index ``index``)."""

EXPECTED_INDEX = Table(
    "expected index",
    [
        _SYMBOL,
        _c("time", "time", "deemTm"),
        _c("value", "float", "deemTrdPrc"),
        _c("change_type", "int", "deemcmpprevddTpCd"),
        _c("change", "float", "deemcmpprevddPrc"),
        _c("acc_volume", "int", "deemAccTrdvol"),
        _c("acc_value", "float", "deemAccTrdval"),
    ],
)
"""An index's expected (auction) value (index ``prospectindex``)."""

INDEX_MARKET_CAP = Table(
    "index market cap",
    [
        _SYMBOL,
        _c("issue_count", "int", "isuCnt"),
        _c("listed_shares", "int", "listShrs"),
        _c("market_cap", "float", "mktcap"),
    ],
)
"""An index's constituents' count, shares and capitalisation (index ``marketcap``)."""

NAV = Table("nav", [_SYMBOL, _c("nav", "float", "nav"), _c("change", "float", "cmpprevddNav")])
"""An ETF's closing net asset value (``closenav``)."""

SHORT_SELLING = Table(
    "short selling",
    [
        _c("date", "day", *_BUSINESS_DAY),
        _c("volume", "int", "srtsellTrdVol", "srtsellTrdvol"),
        _c("value", "float", "srtsellTrdAmt"),
        _c("lending_balance", "int", "lendBalQty"),
        _c("lending_value", "float", "lendBalAmt"),
    ],
)
"""Rows of ``shortsell``: the day's short sales and lending balance."""

FOREIGN_HOLDING = Table(
    "foreign holding",
    [
        _c("date", "day", *_BUSINESS_DAY),
        _c("holdings", "int", "FornHdVol"),
        _c("change", "int", "cmpprevddFornHdVol"),
        _c("ratio", "float", "FornHdVolRt"),
    ],
)
"""Rows of ``foreignhistory``: shares held by foreigners, change and ratio (percent)."""

HISTORY = Table(
    "history",
    [
        _c("date", "day", *_BUSINESS_DAY),
        _OPEN,
        _HIGH,
        _LOW,
        _c("close", "float", "trdPrc"),
        _c("volume", "int", "accTrdvol", "accTrdVol"),
        _c("value", "float", "accTrdval", "accTrdVal"),
        _CHANGE_TYPE,
        _CHANGE,
        _c("open_interest", "int", "opnintQty"),
    ],
)
"""Rows of ``history``: one per day, week or month (labelled by its last business day); open interest is futures'."""

INTRADAY = Table(
    "intraday",
    [
        _c("end_time", "time", "inddTm"),
        _c("open", "float", "inddOpnprc"),
        _c("high", "float", "inddHgprc"),
        _c("low", "float", "inddLwprc"),
        _c("close", "float", "inddClsprc"),
        _c("volume", "int", "inddTrdvol", "inddTrdVol"),
        _c("value", "float", "inddTrdval", "inddTrdVal"),
        _c("acc_volume", "int", "inddAccTrdvol", "inddAccTrdVol"),
        _c("acc_value", "float", "inddAccTrdval", "inddAccTrdVal"),
    ],
)
"""Rows of ``intraday``: bars labelled by their end time (the still-open bar by its last update)."""


def _ranking_side(side: str) -> list[Column]:
    return [
        _c(f"{side}_member", "text", f"{side}TrdMbr{{n}}", levels=5, width=40),
        _c(f"{side}_volume", "int", f"{side}TrdVolMbr{{n}}", f"{side}TrdvolMbr{{n}}", levels=5),
        _c(f"{side}_value", "float", f"{side}TrdAmtMbr{{n}}", levels=5),
        _c(f"{side}_price", "float", f"{side}TrdPrcMbr{{n}}", levels=5),
        _c(f"{side}_weight", "float", f"{side}TrdWtMbr{{n}}", levels=5),
    ]


TRADE_RANKING = Table("trade ranking", [_SYMBOL, *_ranking_side("bid"), *_ranking_side("ask")])
"""The five member firms buying (``bid_*``) and selling (``ask_*``) the most, rank 1 first (``traderanking``)."""
