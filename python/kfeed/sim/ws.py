"""WebSocket side of the simulator: `/ws` (per-symbol JSON-RPC sessions) and `/ws_ksp`|`/ws_kdq` (all trades).

- `Connection` owns one socket's bounded send queue and writer task, so a slow or dead client never blocks the
  engine or other clients: past `send_queue_limit` pending bytes it is closed with 1008 and logged.
- `Hub` is the `MarketSink` the engine feeds: each push body is built and serialized once per event and the same
  bytes are queued to every subscriber; `change` pushes are diffed per subscription.
- `/ws_ksp`|`/ws_kdq` frames are cut by exchange time, so the same seed gives the same frames whatever the wall
  clock did: a frame is flushed when 50 trades are pending, or once exchange time (a later trade, or the engine's
  step time) is 100 ms or more past the oldest pending trade.
- Requests larger than `MAX_REQUEST_BYTES` (64 KiB) get error 47 and the session stays open; aiohttp closes the
  socket with 1009 only past `MAX_FRAME_BYTES` (1 MiB), so a huge frame cannot exhaust memory.
- Heartbeats: after `heartbeat_interval` seconds without a frame from the client the server sends
  `{"jsonrpc":"2.0","id":n,"method":"heartbeat"}`; any client frame (a reply included) resets the count, and a
  session that lets 3 go unanswered is closed. Client heartbeats get `{"message":"ok"}` with the same id.
- Market-operation signals go to `/ws_ksp`|`/ws_kdq` only, as an element with code K1|Q1 and `trdTm` = the signal.
- Policy closes (bad key, a second sandbox session, slow consumer, 3 missed heartbeats) use close code 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from kfeed.sim import krx
from kfeed.sim.auth import KeyCheck
from kfeed.sim.faults import SUBSCRIPTION_REFUSED, FaultController
from kfeed.sim.market import Trade
from kfeed.sim.rest import RestReply

if TYPE_CHECKING:
    from kfeed.sim.market import IndexState, Issue, Market
    from kfeed.sim.records import Records

__all__ = [
    "DETAIL_PRESETS",
    "MAX_FRAME_BYTES",
    "MAX_REQUEST_BYTES",
    "Connection",
    "Hub",
    "SessionLimits",
    "TradeBatcher",
    "WsContext",
    "WsErrors",
    "serve_detail",
    "serve_market",
]

log = logging.getLogger("kfeed.sim.ws")

MAX_REQUEST_BYTES = 64 * 1024
MAX_FRAME_BYTES = 1024 * 1024
MARKET_FRAME_TRADES = 50
MARKET_FLUSH_CENTISECONDS = 10
MISSED_HEARTBEATS = 3
CLOSE_GRACE = 2.0
DETAIL_PRESETS = frozenset({"tick", "quote", "tick10", "quote10", "index", "change"})
STREAM_MARKETS = {"/ws_ksp": "kospi", "/ws_kdq": "kosdaq"}
_SIGNAL_CODES = {"kospi": "K1", "kosdaq": "Q1"}
_OK = {"message": "ok"}


class WsErrors:
    """The JSON-RPC error codes and messages of protocol §3.2."""

    NOT_JSON_RPC = (47, "정상적인 JSON-RPC 형식이 아닙니다")
    BAD_CLIENT = (13001, "고객정보가 일치하지 않습니다")
    UNKNOWN_PRESET = (10000, "존재하지 않는 preset 입니다")
    UNKNOWN_CODE = (10040, "종목코드가 존재 하지 않습니다")
    UNKNOWN_ITEM = (10050, "존재하지 않는 항목입니다")
    TOO_MANY = (20056, "생성 가능한 항목 수를 초과하였습니다")
    NOT_SUBSCRIBED = (20057, "구독하지 않은 항목입니다")
    TOO_MANY_SESSIONS = (20056, "생성 가능한 세션 수를 초과하였습니다")
    REFUSED = (SUBSCRIPTION_REFUSED, "구독 요청이 거부되었습니다")


def reply(request_id: Any, result: Any) -> bytes:
    """A JSON-RPC response frame."""
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})


def error(request_id: Any, code: int, message: str) -> bytes:
    """A JSON-RPC error frame, with the request's id when it had a usable one."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "error": {"code": code, "message": message}}
    if request_id is not None:
        body["id"] = request_id
    return orjson.dumps(body)


def push(params: dict[str, Any]) -> bytes:
    """A `push` notification frame (no id)."""
    return orjson.dumps({"jsonrpc": "2.0", "method": "push", "params": params})


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Per-server WebSocket settings."""

    max_subscriptions: int
    heartbeat_interval: float
    send_queue_limit: int
    sandbox: bool


class Connection:
    """One WebSocket: a bounded send queue drained by its own writer task."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, faults: FaultController, limit: int) -> None:
        self.path = request.path.rstrip("/") or "/"
        self.ws = ws
        self._transport = request.transport
        self._faults = faults
        self._limit = limit
        self._queue: deque[tuple[bytes, bool]] = deque()
        self._pending = 0
        self._wakeup = asyncio.Event()
        self._duplicates = 0
        self.closed = False
        self._closing: asyncio.Task[None] | None = None
        self.peer = request.remote or "?"
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def send(self, frame: bytes, data: bool = False) -> None:
        """Queue a frame; `data` marks market data (what `duplicate` repeats). Overflow drops the connection."""
        if self.closed:
            return
        self._pending += len(frame)
        if self._pending > self._limit:
            log.warning(
                "slow consumer %s on %s: %d bytes pending; closing with 1008", self.peer, self.path, self._pending
            )
            self._pending = 0
            self._queue.clear()
            self.close(WSCloseCode.POLICY_VIOLATION, "slow consumer", flush=False)
            return
        self._queue.append((frame, data))
        self._wakeup.set()

    def close(self, code: int, message: str, flush: bool = True) -> None:
        """Stop accepting frames and close the socket with `code`, after what is queued unless `flush` is False."""
        if self.closed:
            return
        self.closed = True
        if not flush:
            self._writer.cancel()
        self._wakeup.set()
        self._closing = asyncio.get_running_loop().create_task(self._close(code, message))

    async def _close(self, code: int, message: str) -> None:
        # A peer that does not read can block the close handshake forever: the transport is aborted after
        # CLOSE_GRACE seconds whatever happens here (aborting a closed transport does nothing).
        asyncio.get_running_loop().call_later(CLOSE_GRACE, self.abort)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._writer)
        try:
            await self.ws.close(code=code, message=message.encode())
        except (ConnectionError, RuntimeError):
            self.abort()

    async def wait_closed(self) -> None:
        """Wait until a close started by `close` has finished (at most `CLOSE_GRACE` seconds)."""
        if self._closing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._closing)

    def abort(self) -> None:
        """Drop the connection at once, without a close frame."""
        self.closed = True
        self._writer.cancel()
        if self._transport is not None:
            self._transport.abort()

    def detach(self) -> None:
        """The socket is gone: stop the writer and drop whatever is queued."""
        self.closed = True
        self._writer.cancel()
        self._queue.clear()
        self._pending = 0

    def send_malformed(self, count: int) -> None:
        """Queue `count` frames of truncated JSON shaped like this channel's data."""
        sample = (
            b'[{"isuSrtCd":"005930","trdPrc":"7'
            if self.path in STREAM_MARKETS
            else b'{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":'
        )
        for _ in range(count):
            self.send(sample, data=True)

    def duplicate_next(self, count: int) -> None:
        """Send each of the next `count` data frames twice."""
        self._duplicates += count

    async def _write_loop(self) -> None:
        try:
            while True:
                while not self._queue:
                    if self.closed:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                stall = self._faults.stall_remaining()
                if stall > 0:
                    await asyncio.sleep(stall)
                    continue
                frame, data = self._queue.popleft()
                self._pending -= len(frame)
                await self.ws.send_frame(frame, WSMsgType.TEXT)
                if data and self._duplicates > 0:
                    self._duplicates -= 1
                    await self.ws.send_frame(frame, WSMsgType.TEXT)
        except (ConnectionError, RuntimeError) as exc:
            log.info("send to %s on %s failed: %s", self.peer, self.path, exc)
            self.closed = True


@dataclass(slots=True)
class ChangeSubscription:
    """One `change` subscription: the requested items and the values last sent."""

    items: tuple[str, ...]
    last: dict[str, Any]


class DetailSession:
    """One `/ws` session: its subscriptions, keyed by (preset, code)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.keys: set[tuple[str, str]] = set()
        self.changes: dict[str, ChangeSubscription] = {}


class TradeBatcher:
    """Cuts one market's trades into `/ws_ksp`|`/ws_kdq` frames by exchange time (see the module docstring)."""

    def __init__(self, emit: Callable[[list[dict[str, str]]], None]) -> None:
        self._emit = emit
        self._pending: list[dict[str, str]] = []
        self._oldest = 0

    def add(self, hhmmssmm: int, element: dict[str, str]) -> None:
        """Add one element stamped with exchange time `hhmmssmm`, flushing first or after as the rule says."""
        now = krx.hhmmssmm_to_cs(hhmmssmm)
        if self._pending and now - self._oldest >= MARKET_FLUSH_CENTISECONDS:
            self.flush()
        if not self._pending:
            self._oldest = now
        self._pending.append(element)
        if len(self._pending) >= MARKET_FRAME_TRADES:
            self.flush()

    def flush_due(self, hhmmssmm: int) -> None:
        """Flush when exchange time `hhmmssmm` is 100 ms or more past the oldest pending element."""
        if self._pending and krx.hhmmssmm_to_cs(hhmmssmm) - self._oldest >= MARKET_FLUSH_CENTISECONDS:
            self.flush()

    def flush(self) -> None:
        """Send whatever is pending now, whatever its age."""
        if self._pending:
            batch, self._pending = self._pending, []
            self._emit(batch)


class Hub:
    """The engine's `MarketSink`: fans each event out to the sessions that asked for it."""

    def __init__(self, market: Market, records: Records) -> None:
        self._market = market
        self._records = records
        self._subs: dict[tuple[str, str], set[DetailSession]] = {}
        self._streams: dict[str, set[Connection]] = {"kospi": set(), "kosdaq": set()}
        self._batchers = {m: TradeBatcher(functools.partial(self._emit, m)) for m in ("kospi", "kosdaq")}
        self.connections: set[Connection] = set()
        self.detail_sessions: set[DetailSession] = set()

    # --- registry ---------------------------------------------------------------------------------------------------

    def add(self, session: DetailSession, key: tuple[str, str]) -> None:
        """Register a (preset, code) subscription."""
        session.keys.add(key)
        self._subs.setdefault(key, set()).add(session)

    def remove(self, session: DetailSession, key: tuple[str, str]) -> None:
        """Drop a (preset, code) subscription."""
        session.keys.discard(key)
        if key[0] == "change":
            session.changes.pop(key[1], None)
        subscribers = self._subs.get(key)
        if subscribers is not None:
            subscribers.discard(session)
            if not subscribers:
                del self._subs[key]

    def forget(self, session: DetailSession) -> None:
        """Drop every subscription of a closed session."""
        for key in list(session.keys):
            self.remove(session, key)
        self.detail_sessions.discard(session)

    def add_stream(self, market: str, conn: Connection) -> None:
        """Register a `/ws_ksp`|`/ws_kdq` listener."""
        self._streams[market].add(conn)

    def remove_stream(self, market: str, conn: Connection) -> None:
        """Unregister a `/ws_ksp`|`/ws_kdq` listener."""
        self._streams[market].discard(conn)

    # --- MarketSink -------------------------------------------------------------------------------------------------

    def on_trade(self, issue: Issue, trade: Trade) -> None:
        """A trade: tick/tick10/change subscribers, and the market's all-trades stream."""
        code = issue.code
        subs = self._subs
        if ("tick", code) in subs:
            self._fan(("tick", code), push({"preset": "tick", **self._records.push_tick(issue, trade)}))
        if ("tick10", code) in subs:
            self._fan(("tick10", code), push({"preset": "tick10", **self._records.push_tick10(issue)}))
        if ("change", code) in subs:
            self._change(issue)
        if issue.market in self._batchers:
            self._stream_trade(issue.market, trade.time, self._records.market_trade(issue, trade))

    def on_quote(self, issue: Issue) -> None:
        """A book change: quote/quote10/change subscribers."""
        code = issue.code
        subs = self._subs
        if ("quote", code) in subs:
            self._fan(("quote", code), push({"preset": "quote", **self._records.push_quote(issue)}))
        if ("quote10", code) in subs:
            self._fan(("quote10", code), push({"preset": "quote10", **self._records.push_quote10(issue)}))
        if ("change", code) in subs:
            self._change(issue)

    def on_index(self, index: IndexState) -> None:
        """An index value: index subscribers."""
        key = ("index", index.code)
        if key in self._subs:
            self._fan(key, push({"preset": "index", **self._records.push_index(index)}))

    def on_signal(self, market: str, value: int) -> None:
        """A market-operation signal: an element with `trdTm` = the signal on that market's stream (code K1/Q1)."""
        if market in self._batchers:
            element = {"isuSrtCd": _SIGNAL_CODES[market], "trdPrc": "0", "trdVol": "0", "trdTm": str(value)}
            self._stream_trade(market, self._market.now, element)

    # --- fan-out ----------------------------------------------------------------------------------------------------

    def _fan(self, key: tuple[str, str], frame: bytes) -> None:
        for session in self._subs[key]:
            session.conn.send(frame, data=True)

    def _change(self, issue: Issue) -> None:
        values = self._records.change_items(issue)
        for session in self._subs[("change", issue.code)]:
            sub = session.changes[issue.code]
            changed = {k: values[k] for k in sub.items if values.get(k) != sub.last.get(k)}
            if changed:
                sub.last.update(changed)
                session.conn.send(push({"isuCd": issue.isin, "isuSrtCd": issue.code, **changed}), data=True)

    def _stream_trade(self, market: str, hhmmssmm: int, element: dict[str, str]) -> None:
        self._batchers[market].add(hhmmssmm, element)

    def flush_due(self, hhmmssmm: int) -> None:
        """Flush each market's pending trades once exchange time is 100 ms past the oldest of them."""
        for batcher in self._batchers.values():
            batcher.flush_due(hhmmssmm)

    def flush_all(self) -> None:
        """Send every market's pending trades at once (the market is being frozen)."""
        for batcher in self._batchers.values():
            batcher.flush()

    def _emit(self, market: str, elements: list[dict[str, str]]) -> None:
        listeners = self._streams[market]
        if listeners:
            frame = orjson.dumps(elements)
            for conn in listeners:
                conn.send(frame, data=True)


class _Channel:
    """Receive loop shared by every WebSocket path: size and JSON checks, heartbeats both ways."""

    def __init__(self, conn: Connection, limits: SessionLimits) -> None:
        self.conn = conn
        self.limits = limits
        self._last_inbound = time.monotonic()
        self._missed = 0
        self._heartbeat_id = 0

    async def heartbeat_loop(self) -> None:
        """Send a heartbeat after each idle interval; close after `MISSED_HEARTBEATS` go unanswered."""
        interval = self.limits.heartbeat_interval
        while not self.conn.closed:
            wait = self._last_inbound + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self._missed >= MISSED_HEARTBEATS:
                log.warning("%s on %s missed %d heartbeats; closing", self.conn.peer, self.conn.path, self._missed)
                self.conn.close(WSCloseCode.POLICY_VIOLATION, "heartbeat timeout")
                return
            self._missed += 1
            self._heartbeat_id += 1
            self.conn.send(orjson.dumps({"jsonrpc": "2.0", "id": self._heartbeat_id, "method": "heartbeat"}))
            self._last_inbound = time.monotonic()

    def decode(self, msg: Any) -> tuple[Any, str, Any] | None:
        """Parse one inbound message into (id, method, params); None when it was answered or needs no answer."""
        self._last_inbound = time.monotonic()
        self._missed = 0
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            return None
        data = msg.data
        if len(data) > MAX_REQUEST_BYTES:
            self.conn.send(error(None, *WsErrors.NOT_JSON_RPC))
            return None
        try:
            frame = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.conn.send(error(None, *WsErrors.NOT_JSON_RPC))
            return None
        if not isinstance(frame, dict):
            self.conn.send(error(None, *WsErrors.NOT_JSON_RPC))
            return None
        raw_id = frame.get("id")
        valid_id = raw_id is None or (isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool))
        request_id = raw_id if valid_id else None
        method = frame.get("method")
        if frame.get("jsonrpc") != "2.0" or not valid_id:
            self.conn.send(error(request_id, *WsErrors.NOT_JSON_RPC))
            return None
        if method is None and ("result" in frame or "error" in frame):
            return None  # a reply to one of our heartbeats
        if not isinstance(method, str):
            self.conn.send(error(request_id, *WsErrors.NOT_JSON_RPC))
            return None
        return request_id, method, frame.get("params")

    def check_init(self, request_id: Any, params: Any, keys: KeyCheck) -> bool:
        """Answer an `init`; False (after error 13001 and a 1008 close) when the key or params are bad."""
        key = params.get("key") if isinstance(params, dict) else None
        member = params.get("membername") if isinstance(params, dict) else None
        if not isinstance(key, str) or not keys.accepts(key) or not isinstance(member, str):
            self.conn.send(error(request_id, *WsErrors.BAD_CLIENT))
            self.conn.close(WSCloseCode.POLICY_VIOLATION, "bad key")
            return False
        return True


def _no_trade(price: dict[str, Any]) -> Trade:
    """A stand-in trade carrying the current state (trdTm 0) for the `tick` snapshot of an issue that has not traded."""
    return Trade(price["trdTm"], price["trdPrc"], price["trdvol"], price["accTrdvol"], price.get("accTrdval", 0), 0)


def _query_reply(request_id: Any, answer: RestReply) -> bytes:
    body = answer.body
    if answer.status == 200:
        result = body["result"] if isinstance(body, dict) and body.keys() == {"jsonrpc", "result"} else body
        return reply(request_id, result)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return error(request_id, err.get("code", answer.status), err.get("message", ""))
    message = (body.get("message") or body.get("error") or "") if isinstance(body, dict) else body
    return error(request_id, answer.status, str(message))


class _DetailHandler:
    """The JSON-RPC request handlers of one `/ws` session."""

    def __init__(
        self,
        channel: _Channel,
        hub: Hub,
        market: Market,
        records: Records,
        faults: FaultController,
        query: Callable[[str], RestReply],
    ) -> None:
        self.channel = channel
        self.conn = channel.conn
        self.session = DetailSession(channel.conn)
        self.hub = hub
        self.market = market
        self.records = records
        self.faults = faults
        self.query = query

    def handle(self, request_id: Any, method: str, params: Any) -> None:
        """Dispatch one request after `init`."""
        send = self.conn.send
        if method == "heartbeat":
            send(reply(request_id, _OK))
        elif method == "subscribe":
            self.subscribe(request_id, params)
        elif method == "unsubscribe":
            self.unsubscribe(request_id, params)
        elif method == "query":
            uri = params.get("uri") if isinstance(params, dict) else None
            if not isinstance(uri, str):
                send(error(request_id, *WsErrors.NOT_JSON_RPC))
            else:
                send(_query_reply(request_id, self.query(uri)))
        elif method == "init":
            send(reply(request_id, _OK))
        else:
            send(error(request_id, *WsErrors.NOT_JSON_RPC))

    def subscribe(self, request_id: Any, params: Any) -> None:
        """Validate, register, answer ok, then push the current state."""
        send = self.conn.send
        if not isinstance(params, dict):
            send(error(request_id, *WsErrors.NOT_JSON_RPC))
            return
        preset, raw_code = params.get("preset"), params.get("isuSrtCd")
        if not isinstance(preset, str) or preset not in DETAIL_PRESETS:
            send(error(request_id, *WsErrors.UNKNOWN_PRESET))
            return
        target = self._resolve(preset, raw_code)
        if target is None:
            send(error(request_id, *WsErrors.UNKNOWN_CODE))
            return
        items: tuple[str, ...] = ()
        if preset == "change":
            raw_items = params.get("items")
            valid = self.records.change_item_names(target)
            if (
                not isinstance(raw_items, list)
                or not raw_items
                or not all(isinstance(i, str) and i in valid for i in raw_items)
            ):
                send(error(request_id, *WsErrors.UNKNOWN_ITEM))
                return
            items = tuple(dict.fromkeys(raw_items))
        if self.faults.take_refusal():
            send(error(request_id, *WsErrors.REFUSED))
            return
        key = (preset, target.code)
        if key not in self.session.keys and len(self.session.keys) >= self.channel.limits.max_subscriptions:
            send(error(request_id, *WsErrors.TOO_MANY))
            return
        self.hub.add(self.session, key)
        send(reply(request_id, _OK))
        send(self._snapshot(preset, target, items), data=True)

    def _resolve(self, preset: str, raw_code: Any) -> Any:
        if not isinstance(raw_code, str) or not raw_code:
            return None
        return self.market.index(raw_code) if preset == "index" else self.market.issue(raw_code)

    def _snapshot(self, preset: str, target: Any, items: tuple[str, ...]) -> bytes:
        records = self.records
        if preset == "tick":
            trades = self.market.trades(target.code)
            body = records.push_tick(target, trades[-1] if trades else _no_trade(records.push_tick10(target)))
        elif preset == "quote":
            body = records.push_quote(target)
        elif preset == "tick10":
            body = records.push_tick10(target)
        elif preset == "quote10":
            body = records.push_quote10(target)
        elif preset == "index":
            body = records.push_index(target)
        else:
            values = records.change_items(target)
            current = {k: values[k] for k in items}
            self.session.changes[target.code] = ChangeSubscription(items, dict(current))
            return push({"isuCd": target.isin, "isuSrtCd": target.code, **current})
        return push({"preset": preset, **body})

    def unsubscribe(self, request_id: Any, params: Any) -> None:
        """Cancel one (preset, code) or, without `preset`, every subscription of the code."""
        send = self.conn.send
        if not isinstance(params, dict) or not isinstance(params.get("isuSrtCd"), str):
            send(error(request_id, *WsErrors.NOT_JSON_RPC))
            return
        raw_code: str = params["isuSrtCd"]
        preset = params.get("preset")
        if preset is not None and (not isinstance(preset, str) or preset not in DETAIL_PRESETS):
            send(error(request_id, *WsErrors.UNKNOWN_PRESET))
            return
        code = raw_code.split("*", 1)[0]
        if preset is None:
            keys = [key for key in self.session.keys if key[1] == code]
        else:
            keys = [(preset, code)] if (preset, code) in self.session.keys else []
        if not keys:
            send(error(request_id, *WsErrors.NOT_SUBSCRIBED))
            return
        for key in keys:
            self.hub.remove(self.session, key)
        send(reply(request_id, _OK))


@dataclass(frozen=True, slots=True)
class WsContext:
    """Everything a WebSocket handler needs from the server."""

    hub: Hub
    market: Market
    records: Records
    faults: FaultController
    keys: KeyCheck
    limits: SessionLimits
    query: Callable[[str], RestReply]


async def _open(request: web.Request, ctx: WsContext) -> tuple[web.WebSocketResponse, Connection]:
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, autoping=True)
    await ws.prepare(request)
    conn = Connection(ws, request, ctx.faults, ctx.limits.send_queue_limit)
    ctx.hub.connections.add(conn)
    return ws, conn


async def _finish(ctx: WsContext, conn: Connection, heartbeat: asyncio.Task[None]) -> None:
    heartbeat.cancel()
    ctx.hub.connections.discard(conn)
    conn.detach()


async def serve_detail(request: web.Request, ctx: WsContext) -> web.WebSocketResponse:
    """Run one `/ws` session until the peer leaves or is dropped."""
    ws, conn = await _open(request, ctx)
    channel = _Channel(conn, ctx.limits)
    heartbeat = asyncio.get_running_loop().create_task(channel.heartbeat_loop())
    handler: _DetailHandler | None = None
    try:
        async for msg in ws:
            decoded = channel.decode(msg)
            if decoded is None or conn.closed:
                continue
            request_id, method, params = decoded
            if handler is not None:
                handler.handle(request_id, method, params)
            elif method != "init":
                conn.send(error(request_id, *WsErrors.BAD_CLIENT))
            elif channel.check_init(request_id, params, ctx.keys):
                if ctx.limits.sandbox and ctx.hub.detail_sessions:
                    conn.send(error(request_id, *WsErrors.TOO_MANY_SESSIONS))
                    conn.close(WSCloseCode.POLICY_VIOLATION, "sandbox allows one session")
                    continue
                handler = _DetailHandler(channel, ctx.hub, ctx.market, ctx.records, ctx.faults, ctx.query)
                ctx.hub.detail_sessions.add(handler.session)
                conn.send(reply(request_id, _OK))
    finally:
        if handler is not None:
            ctx.hub.forget(handler.session)
        await _finish(ctx, conn, heartbeat)
    return ws


async def serve_market(request: web.Request, ctx: WsContext) -> web.WebSocketResponse:
    """Run one `/ws_ksp`|`/ws_kdq` session: after `init`, every trade of the market."""
    market = STREAM_MARKETS[request.path.rstrip("/")]
    ws, conn = await _open(request, ctx)
    channel = _Channel(conn, ctx.limits)
    heartbeat = asyncio.get_running_loop().create_task(channel.heartbeat_loop())
    initialised = False
    try:
        async for msg in ws:
            decoded = channel.decode(msg)
            if decoded is None or conn.closed:
                continue
            request_id, method, params = decoded
            if not initialised:
                if method != "init":
                    conn.send(error(request_id, *WsErrors.BAD_CLIENT))
                elif channel.check_init(request_id, params, ctx.keys):
                    initialised = True
                    conn.send(reply(request_id, _OK))
                    ctx.hub.add_stream(market, conn)
            elif method in ("heartbeat", "init"):
                conn.send(reply(request_id, _OK))
            else:
                conn.send(error(request_id, *WsErrors.NOT_JSON_RPC))
    finally:
        ctx.hub.remove_stream(market, conn)
        await _finish(ctx, conn, heartbeat)
    return ws
