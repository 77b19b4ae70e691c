"""The session: ``kfeed.connect(...)`` from a REST snapshot to live, recovered, verified data.

Lifecycle: REST snapshot (symbol lists, books) → connect and ``init`` every stream → subscribe (sharded across as
many ``/ws`` connections as the per-session cap needs) → heartbeats both ways with dead-peer and stall detection →
reconnect with jittered backoff, resubscribe, and repair what the outage or a detected gap may have lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kfeed._kfeed import BAR_GAP, Feed
from kfeed.channel import Channel, ChannelPolicy, Outage
from kfeed.errors import SessionError
from kfeed.health import Health, HealthMonitor
from kfeed.polling import busy_poll
from kfeed.repair import Repairer
from kfeed.rest import RestClient

__all__ = ["MARKET_STREAMS", "Session", "SessionOptions", "connect"]

log = logging.getLogger("kfeed.session")

MARKET_STREAMS = {"kospi": "/ws_ksp", "kosdaq": "/ws_kdq"}
"""Market name → the path of its all-trades stream."""
_STREAM_MARKETS = {path: market for market, path in MARKET_STREAMS.items()}

_KEPT = 10_000
"""How many outages, gaps and signals are kept for inspection; counters cover all of them."""

_PRESETS = frozenset({"tick", "quote", "tick10", "quote10", "index"})


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Everything about a session that is not what to subscribe to."""

    policy: ChannelPolicy = field(default_factory=ChannelPolicy)
    """Heartbeat, stall and reconnect timing."""
    market_stall_timeout: float | None = 10.0
    """Stall timeout for the market-wide trade streams, which are never quiet while the market is open."""
    max_subscriptions: int = 200
    """Subscriptions per ``/ws`` connection (the vendor's cap; 20 in the sandbox)."""
    snapshot: bool = True
    """Seed symbols and books from REST before streaming, as the vendor advises."""
    connect_timeout: float = 30.0
    """Seconds for the first connect of every stream, snapshot excluded."""
    ssl_context: ssl.SSLContext | None = None
    """TLS settings for wss/https; None uses the default context."""
    feed: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for :class:`kfeed.Feed` when the session creates it."""
    busy_poll: bool = False
    """Keep the event loop polling its sockets while the session runs, instead of sleeping in epoll between reads
    (:func:`kfeed.polling.busy_poll`): lower and steadier latency for a whole core; pin the process to a core of
    its own."""


class Session:
    """A running connection to the Koscom API: one :class:`Feed`, its streams, and their REST repairs.

    Use :func:`connect`. ``session.feed`` is the live Rust feed, ``session.rest`` the REST client,
    ``session.health`` the current :class:`Health`.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str,
        member: str = "kfeed",
        symbols: Iterable[str] = (),
        presets: Sequence[str] = ("tick", "quote10"),
        markets: Sequence[str] = (),
        options: SessionOptions | None = None,
        feed: Feed | None = None,
    ) -> None:
        self.options = options or SessionOptions()
        self.symbols = list(dict.fromkeys(symbols))
        self.presets = tuple(presets)
        self.markets = tuple(markets)
        for preset in self.presets:
            if preset not in _PRESETS:
                raise ValueError(f"unknown preset {preset!r}; expected one of {sorted(_PRESETS)}")
        for market in self.markets:
            if market not in MARKET_STREAMS:
                raise ValueError(f"unknown market stream {market!r}; expected one of {sorted(MARKET_STREAMS)}")
        self.rest_url, self.ws_url = _split_url(url)
        self.feed = feed if feed is not None else Feed(**self.options.feed)
        self.rest = RestClient(self.rest_url, key=key, trading_date=self.feed.trading_date)
        self.monitor = HealthMonitor()
        self.channels: list[Channel] = []
        self.outages: deque[Outage] = deque(maxlen=_KEPT)
        """The latest spans a stream was down, oldest first (the count of all is in ``stats()``)."""
        self.outage_count = 0
        self.bars_flagged = 0
        """Bars flagged ``BAR_GAP`` because an all-trades stream was down while they were open."""
        self.repairer = Repairer(
            self.feed, self.rest, self.monitor, close_delay=float(self.options.feed.get("bar_close_delay", 1.0))
        )
        self._key = key
        self._member = member
        self._pump: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._started_at = 0.0
        self._started = False
        self._events_dropped = 0
        self._partial_markets: set[str] = set()

    def __repr__(self) -> str:
        return (
            f"Session({self.ws_url!r}, key=<redacted>, symbols={len(self.symbols)}, presets={self.presets}, "
            f"markets={self.markets}, health={self.health.value})"
        )

    @property
    def health(self) -> Health:
        """The current health state."""
        return self.monitor.state

    async def start(self) -> None:
        """Snapshots, connects and subscribes everything; returns once live.

        Raises :class:`~kfeed.errors.AuthError` for a refused key and
        :class:`~kfeed.errors.SubscriptionError` for a refused subscription.
        """
        self._started_at = time.time()
        try:
            if self.options.snapshot:
                await self.repairer.snapshot(self.symbols, self.presets)
            if {"tick", "tick10"} & set(self.presets):
                self.feed.skip_market_trades(self.symbols)
            self.channels = self._plan_channels()
            for channel in self.channels:
                channel.start()
            await asyncio.gather(*(c.wait_ready(self.options.connect_timeout) for c in self.channels))
            await self.sync()
            await asyncio.wait_for(self.repairer.settle(), self.options.connect_timeout)
            self.repairer.after_start(self.symbols)
        except TimeoutError:
            await self.close()
            raise SessionError(f"the startup repairs did not finish within {self.options.connect_timeout} s") from None
        except BaseException:
            await self.close()
            raise
        self._started = True
        loop = asyncio.get_running_loop()
        self._pump = loop.create_task(self._pump_events(), name="kfeed-events")
        if self.options.busy_poll:
            self._poller = loop.create_task(busy_poll(lambda: self.health is not Health.CLOSED), name="kfeed-poll")
        self._update_health()

    async def close(self) -> None:
        """Stops every stream and the REST client; safe to call twice."""
        for task in (self._pump, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.gather(*(c.stop() for c in self.channels))
        await self.repairer.stop()
        await self.rest.close()
        self.monitor.set(Health.CLOSED, "closed")

    async def __aenter__(self) -> Session:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def sync(self) -> None:
        """Returns once every frame each stream's server sent before this call has been applied to the feed.

        A heartbeat is answered after everything the server queued before it, so its reply is a barrier.
        """
        await asyncio.gather(*(c.link.request("heartbeat") for c in self.channels if c.link is not None))
        for event in self.feed.drain_events():
            self.repairer.on_event(event)

    def staleness(self, code: str) -> float:
        """Seconds since ``code`` last changed (a trade or book update); ``inf`` if it never has.

        Raises ``KeyError`` for a code the feed does not know.
        """
        last = int(self.feed.last_update[self.feed.symbol_id(code)])
        return float("inf") if last == 0 else max(0.0, time.time() - last / 1e9)

    def stats(self) -> dict[str, Any]:
        """The feed's counters plus the session's: reconnects, gaps, repairs, outages, health, per-stream state."""
        feed_stats = self.feed.stats()
        return {
            **feed_stats,
            "health": self.health.value,
            "health_reason": self.monitor.reason,
            "reconnects": sum(c.reconnects for c in self.channels),
            "dead_peers": sum(c.dead_peers for c in self.channels),
            "stalls": sum(c.stalls for c in self.channels),
            "outages": self.outage_count,
            "repairs": self.repairer.repairs,
            "repair_failures": self.repairer.failures,
            "bars_backfilled": self.repairer.bars_backfilled,
            "bars_deferred": self.repairer.deferred,
            "bars_flagged": self.bars_flagged,
            "streams": {c.url: c.state for c in self.channels},
            "uptime": time.time() - self._started_at if self._started_at else 0.0,
        }

    def _plan_channels(self) -> list[Channel]:
        pairs = [(preset, code) for code in self.symbols for preset in self.presets]
        cap = self.options.max_subscriptions
        plans: list[tuple[str, list[tuple[str, str]], ChannelPolicy]] = [
            ("/ws", pairs[i : i + cap], self.options.policy) for i in range(0, len(pairs), cap)
        ]
        market_policy = replace(self.options.policy, stall_timeout=self.options.market_stall_timeout)
        plans += [(MARKET_STREAMS[m], [], market_policy) for m in self.markets]
        if not plans:
            raise SessionError("nothing to stream: give symbols with presets, or markets")
        return [
            Channel(
                self.feed,
                self.ws_url,
                path,
                subs,
                key=self._key,
                member=self._member,
                policy=policy,
                ssl_context=self.options.ssl_context,
                on_state=self._on_channel_state,
                on_outage=self._on_outage,
                on_event=self.repairer.on_event,
            )
            for path, subs, policy in plans
        ]

    def _on_channel_state(self, channel: Channel, state: str, reason: str) -> None:
        market = _STREAM_MARKETS.get(channel.path)
        if market is not None and state == "live":
            self._partial_markets.add(market)
        self._update_health(reason)

    def _flag_partial_bars(self) -> None:
        """Flags ``BAR_GAP`` on the bars an all-trades stream joined part-way (at the start or after an outage).

        Runs once the feed has an exchange time: bars already open then are flagged, and so is every bar a
        market-wide trade opens later whose start is before that time.
        """
        now = self.feed.exchange_time
        if not self._partial_markets or now == 0:
            return
        markets, self._partial_markets = self._partial_markets, set()
        for market in markets:
            codes = self._market_only_codes(market)
            self.bars_flagged += self.feed.mark_window(0, now, BAR_GAP, codes)
            self.feed.mark_market_partial_until(now, codes)

    def _market_only_codes(self, market: str) -> list[str]:
        """The codes of ``market`` whose trades come only from its all-trades stream."""
        detailed = set(self.symbols) if {"tick", "tick10"} & set(self.presets) else set()
        return [c for c, m in self.repairer.markets.items() if m == market and c not in detailed]

    async def _on_outage(self, outage: Outage, subscriptions: Sequence[tuple[str, str]]) -> None:
        self.outages.append(outage)
        self.outage_count += 1
        log.warning("%s was down %.3f s: %s", outage.path, outage.ended - outage.started, outage.reason)
        market = _STREAM_MARKETS.get(outage.path)
        if market is not None:
            self._flag_market_outage(market, outage)
        await self.repairer.after_outage(outage, sorted({code for _, code in subscriptions}))

    def _flag_market_outage(self, market: str, outage: Outage) -> None:
        """Flags ``BAR_GAP`` on the bars an all-trades stream's outage may have left short.

        Symbols whose trades come from a ``/ws`` tick subscription are unaffected; the rest of the market is too
        large to backfill from REST, so its bars over the outage are flagged instead.
        """
        codes = self._market_only_codes(market)
        self.bars_flagged += self.feed.mark_window(outage.exchange_time, self.feed.exchange_time, BAR_GAP, codes)

    def _update_health(self, reason: str = "") -> None:
        states = [c.state for c in self.channels]
        if self.monitor.state == Health.CLOSED or not self._started:
            return
        if any(s in ("degraded", "failed") for s in states):
            self.monitor.set(Health.DEGRADED, reason or "a stream keeps failing")
        elif any(s != "live" for s in states) or self.repairer.pending:
            self.monitor.set(Health.RECOVERING, reason or "repairing")
        elif states:
            self.monitor.set(Health.LIVE, reason or "all streams subscribed")

    async def _pump_events(self) -> None:
        """Takes gap and signal events the links left in the queue, and keeps health current."""
        while True:
            for event in self.feed.drain_events():
                self.repairer.on_event(event)
            dropped = self.feed.stats()["events_dropped"]
            if dropped != self._events_dropped:
                self._events_dropped = dropped
                log.warning("the feed's event queue overflowed: repairing every subscribed symbol")
                self.repairer.repair_all(self.symbols)
            self._flag_partial_bars()
            await self.repairer.run_pending()
            self._update_health()
            await asyncio.sleep(0.05)


def _split_url(url: str) -> tuple[str, str]:
    """Returns (REST base, WebSocket base) from either an http(s) or a ws(s) URL."""
    url = url.rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a URL: {url!r}")
    secure = scheme in ("https", "wss")
    if scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    for suffix in ("/ws_ksp", "/ws_kdq", "/ws"):
        if rest.endswith(suffix):
            rest = rest[: -len(suffix)]
            break
    return (f"{'https' if secure else 'http'}://{rest}", f"{'wss' if secure else 'ws'}://{rest}")


@contextlib.asynccontextmanager
async def _session_scope(session: Session) -> Any:
    """Starts and closes ``session``; SIGINT cancels the task inside, unless the program already handles SIGINT
    itself (its own handler, or an asyncio one), which is then left in place and untouched."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed = False
    if task is not None and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, task.cancel)
            installed = True
    try:
        await session.start()
        yield session
    finally:
        await session.close()
        if installed:
            loop.remove_signal_handler(signal.SIGINT)


def connect(
    url: str,
    *,
    key: str,
    member: str = "kfeed",
    symbols: Iterable[str] = (),
    presets: Sequence[str] = ("tick", "quote10"),
    markets: Sequence[str] = (),
    options: SessionOptions | None = None,
    feed: Feed | None = None,
) -> contextlib.AbstractAsyncContextManager[Session]:
    """Opens a session: ``async with kfeed.connect(url, key=..., symbols=[...]) as session: ...``.

    ``url`` is the server's base URL, http(s) or ws(s). ``markets`` adds the all-trades streams
    (``"kospi"`` → ``/ws_ksp``, ``"kosdaq"`` → ``/ws_kdq``). SIGINT cancels the session cleanly; a SIGINT handler
    the program set itself (or asyncio.run's) is left in place.
    """
    session = Session(
        url, key=key, member=member, symbols=symbols, presets=presets, markets=markets, options=options, feed=feed
    )
    return _session_scope(session)
