"""A supervised stream: keeps one :class:`~kfeed.link.Link` connected, subscribed and answering heartbeats.

A channel owns one stream path and its share of the subscriptions (at most the per-session cap). It reconnects with
jittered exponential backoff, resubscribes, and tells the session about every outage so the session can repair.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kfeed._kfeed import Feed
from kfeed.errors import AuthError, SessionError, SubscriptionError
from kfeed.link import Link
from kfeed.rest.retry import RetryPolicy

__all__ = ["Channel", "ChannelPolicy", "Outage"]

log = logging.getLogger("kfeed.channel")

PERMANENT_REFUSALS = frozenset({10000, 10040, 10050})
"""Subscribe errors that retrying cannot fix (unknown preset, unknown code, unknown item): such a pair is dropped on
a resubscribe instead of keeping its whole connection down; any other refusal is retried with the connection."""


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """Timing of heartbeats, dead-peer detection and reconnects."""

    heartbeat_interval: float = 5.0
    """Seconds between the client's heartbeat requests."""
    missed_heartbeats: int = 3
    """Unanswered heartbeats after which the peer is declared dead."""
    stall_timeout: float | None = 30.0
    """Seconds without any data frame after which a subscribed stream is declared stalled; None disables."""
    request_timeout: float = 5.0
    """Seconds to wait for any reply."""
    reconnect: RetryPolicy = field(default_factory=lambda: RetryPolicy(base_delay=0.1, max_delay=5.0))
    """Jittered exponential backoff between reconnect attempts (the REST client's policy, reused)."""
    degraded_after: int = 4
    """Consecutive failed connects after which the session reports degraded."""


@dataclass(frozen=True, slots=True)
class Outage:
    """A span during which a channel was not receiving; trades in it may be lost."""

    path: str
    started: float
    """Wall time (``time.time()``) the link was lost."""
    ended: float
    """Wall time the channel was subscribed again."""
    reason: str
    exchange_time: int
    """The feed's exchange time (ns since the epoch) when the link was lost: bars from here on may miss trades."""


class Channel:
    """One stream path with its subscriptions, kept alive until :meth:`stop`."""

    def __init__(
        self,
        feed: Feed,
        ws_url: str,
        path: str,
        subscriptions: Sequence[tuple[str, str]],
        *,
        key: str,
        member: str,
        policy: ChannelPolicy,
        ssl_context: ssl.SSLContext | None,
        on_state: Callable[[Channel, str, str], None],
        on_outage: Callable[[Outage, Sequence[tuple[str, str]]], Awaitable[None]],
        on_event: Callable[[tuple[Any, ...]], None],
    ) -> None:
        self.feed = feed
        self.path = path
        self.url = ws_url.rstrip("/") + path
        self.subscriptions = list(subscriptions)
        """(preset, code) pairs this channel holds, within the per-session cap."""
        self.reconnects = 0
        """Successful reconnects after the first connect."""
        self.failures = 0
        """Consecutive failed connect attempts."""
        self.dead_peers = 0
        """Times the peer stopped answering heartbeats."""
        self.stalls = 0
        """Times the stream went silent past the stall timeout."""
        self.refused: list[tuple[tuple[str, str], int]] = []
        """(preset, code) pairs the server refused for good on a resubscribe, with the error code; dropped."""
        self.last_data_time = 0
        """The feed's exchange time (ns) when this link last brought data."""
        self.state = "connecting"
        self.link: Link | None = None
        self._key = key
        self._member = member
        self._policy = policy
        self._ssl = ssl_context
        self._on_state = on_state
        self._on_outage = on_outage
        self._on_event = on_event
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._fatal: BaseException | None = None

    def __repr__(self) -> str:
        return f"Channel({self.url!r}, {self.state}, {len(self.subscriptions)} subscriptions)"

    def start(self) -> None:
        """Starts the supervisor task."""
        self._task = asyncio.get_running_loop().create_task(self._supervise(), name=f"kfeed{self.path}")

    async def wait_ready(self, timeout: float) -> None:
        """Returns once the first connect has subscribed everything; raises what made it fail."""
        ready = asyncio.ensure_future(self._ready.wait())
        assert self._task is not None
        _done, _ = await asyncio.wait({ready, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._fatal is not None:
            raise self._fatal
        if not self._ready.is_set():
            raise SessionError(f"{self.url} was not ready within {timeout} s ({self.state})")

    async def stop(self) -> None:
        """Stops reconnecting and closes the link."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.link is not None:
            self.link.close()

    def _set_state(self, state: str, reason: str) -> None:
        self.state = state
        self._on_state(self, state, reason)

    async def _supervise(self) -> None:
        lost_at: float | None = None
        lost_reason = ""
        lost_exchange_time = 0
        while True:
            try:
                link = await self._connect()
            except AuthError as exc:
                self._fatal = exc
                self._set_state("failed", str(exc))
                return
            except SubscriptionError as exc:
                if not self._ready.is_set():
                    self._fatal = exc
                    self._set_state("failed", str(exc))
                    return
                await self._back_off(f"resubscribe refused: {exc}")
                continue
            except SessionError as exc:
                await self._back_off(str(exc))
                continue
            self.failures = 0
            if lost_at is not None:
                self.reconnects += 1
                outage = Outage(self.path, lost_at, time.time(), lost_reason, lost_exchange_time)
                await self._on_outage(outage, self.subscriptions)
            self._ready.set()
            self._set_state("live", "subscribed")
            lost_reason = await self._watch(link)
            lost_at = time.time()
            lost_exchange_time = self.last_data_time
            link.close()
            self._set_state("recovering", lost_reason)

    async def _connect(self) -> Link:
        self.link = None
        link = await Link.open(
            self.feed,
            self.url,
            key=self._key,
            member=self._member,
            request_timeout=self._policy.request_timeout,
            ssl_context=self._ssl,
            on_event=self._on_event,
        )
        try:
            # Every subscription is sent at once and the replies awaited together: a reconnect costs one round trip,
            # not one per subscription (up to 200 on a link).
            pairs = list(self.subscriptions)
            outcomes = await asyncio.gather(*(link.subscribe(*pair) for pair in pairs), return_exceptions=True)
            for pair, outcome in zip(pairs, outcomes, strict=True):
                if isinstance(outcome, SubscriptionError):
                    if not self._ready.is_set() or outcome.code not in PERMANENT_REFUSALS:
                        raise outcome
                    log.error("%s: dropping %s %s for good: %s", self.url, pair[0], pair[1], outcome)
                    self.subscriptions.remove(pair)
                    self.refused.append((pair, outcome.code))
                elif isinstance(outcome, BaseException):
                    raise outcome
        except BaseException:
            link.close()
            raise
        self.link = link
        return link

    async def _back_off(self, reason: str) -> None:
        self.failures += 1
        state = "degraded" if self.failures >= self._policy.degraded_after else "recovering"
        self._set_state(state, reason)
        delay = self._policy.reconnect.backoff(self.failures - 1)
        log.info("%s: reconnecting in %.2f s (%s)", self.url, delay, reason)
        await asyncio.sleep(delay)

    async def _watch(self, link: Link) -> str:
        """Heartbeats until the link dies; returns why it was given up.

        ``last_data_time`` tracks the feed's exchange time when this link last brought data: an outage starts there.
        A link is stalled when it brings nothing for ``stall_timeout`` while the exchange clock moves on from other
        streams; a quiet market (nothing moves anywhere) is left to the heartbeat's dead-peer check.
        """
        policy = self._policy
        missed = 0
        last_data = link.data_frames
        last_data_at = time.monotonic()
        self.last_data_time = self.feed.exchange_time
        while link.is_open:
            closed = asyncio.ensure_future(link.wait_closed())
            done, _ = await asyncio.wait({closed}, timeout=policy.heartbeat_interval)
            closed.cancel()
            if done:
                break
            if link.data_frames != last_data:
                last_data = link.data_frames
                last_data_at = time.monotonic()
                self.last_data_time = self.feed.exchange_time
            elif (
                policy.stall_timeout is not None
                and time.monotonic() - last_data_at > policy.stall_timeout
                and self.feed.exchange_time > self.last_data_time
            ):
                self.stalls += 1
                return f"no data for {policy.stall_timeout} s while other streams moved on (stalled)"
            try:
                await link.request("heartbeat")
                missed = 0
            except SessionError:
                if not link.is_open:
                    break
                missed += 1
                log.warning("%s: heartbeat %d/%d unanswered", self.url, missed, policy.missed_heartbeats)
                if missed >= policy.missed_heartbeats:
                    self.dead_peers += 1
                    return f"{missed} heartbeats unanswered (dead peer)"
        return f"connection closed (code {link.close_code})"
