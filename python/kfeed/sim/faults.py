"""Fault injection: drop, stall, malformed, duplicate, refused subscriptions, REST errors and restart.

One `FaultController` per simulator. Tests call its methods directly (`sim.faults.drop()`); the HTTP control
endpoint (`POST /_sim/faults` with `{"kind": ..., **params}`), the `--fault KIND[:ARGS]@SECONDS` schedule of
`kfeed sim` and `kfeed sim-fault` all go through `apply`. Every injected fault is appended to `log` and logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["FAULT_KINDS", "FaultController", "FaultError", "FaultRecord", "FaultSpec", "FaultTarget"]

log = logging.getLogger("kfeed.sim.faults")

FAULT_KINDS = ("drop", "stall", "malformed", "duplicate", "refuse_subscriptions", "rest_error", "restart")
REST_ERROR_STATUSES = frozenset({429, 500, 502, 503, 504})
SUBSCRIPTION_REFUSED = -32000
"""JSON-RPC error code of a subscribe refused by the `refuse_subscriptions` fault (the JSON-RPC server-error range)."""


class FaultError(ValueError):
    """A fault request with an unknown kind or bad parameters."""


class FaultTarget(Protocol):
    """What a fault acts on: one open WebSocket connection."""

    path: str

    def abort(self) -> None:
        """Close the socket at once, without a close frame."""

    def send_malformed(self, count: int) -> None:
        """Queue `count` malformed text frames."""

    def duplicate_next(self, count: int) -> None:
        """Send each of the next `count` data frames twice."""


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """One injected fault: its kind, exchange time (HHMMSSmm), wall time (Unix seconds) and details."""

    kind: str
    at: int
    wall: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as the JSON object `GET /_sim/faults` returns."""
        return {"kind": self.kind, "at": self.at, "wall": self.wall, "details": self.details}


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A fault to inject `delay` seconds of wall time after start: parsed from `KIND[:ARG[,ARG]]@SECONDS`.

    Arguments by kind: `drop:/ws_ksp`, `stall:5`, `malformed:3`, `duplicate:2`, `refuse_subscriptions:4`,
    `rest_error:503,2` (status, count), `restart:0.5` (seconds down). Every argument is optional.
    """

    kind: str
    params: dict[str, Any]
    delay: float = 0.0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse `drop@30`, `stall:5@10`, `rest_error:429,3@12`, ...; raises FaultError."""
        body, sep, when = text.partition("@")
        delay = 0.0
        if sep:
            try:
                delay = float(when)
            except ValueError:
                raise FaultError(f"bad fault time in {text!r}") from None
            if delay < 0:
                raise FaultError(f"negative fault time in {text!r}")
        kind, _, args = body.partition(":")
        values = [a for a in args.split(",") if a] if args else []
        return cls(kind, _params_from_args(kind, values), delay)


def _number(kind: str, raw: str, convert: Callable[[str], Any]) -> Any:
    try:
        return convert(raw)
    except ValueError:
        raise FaultError(f"bad argument {raw!r} for fault {kind!r}") from None


def _params_from_args(kind: str, values: list[str]) -> dict[str, Any]:
    names: dict[str, list[tuple[str, Callable[[str], Any]]]] = {
        "drop": [("path", str)],
        "stall": [("seconds", float)],
        "malformed": [("count", int)],
        "duplicate": [("count", int)],
        "refuse_subscriptions": [("count", int)],
        "rest_error": [("status", int), ("count", int)],
        "restart": [("down", float)],
    }
    if kind not in names:
        raise FaultError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    if len(values) > len(names[kind]):
        raise FaultError(f"too many arguments for fault {kind!r}")
    return {name: _number(kind, raw, convert) for (name, convert), raw in zip(names[kind], values, strict=False)}


class FaultController:
    """Holds the pending fault state the server consults, injects faults and keeps the fault log."""

    def __init__(
        self,
        exchange_time: Callable[[], int],
        connections: Callable[[], Iterable[FaultTarget]],
        restart: Callable[[float], Coroutine[Any, Any, None]],
    ) -> None:
        self._exchange_time = exchange_time
        self._connections = connections
        self._restart = restart
        self._stall_until = 0.0
        self._refusals = 0
        self._rest_status = 0
        self._rest_errors = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.log: list[FaultRecord] = []

    def _record(self, kind: str, **details: Any) -> FaultRecord:
        record = FaultRecord(kind, self._exchange_time(), time.time(), details)
        self.log.append(record)
        log.warning("fault injected: %s %s", kind, details)
        return record

    def _targets(self, path: str | None = None) -> list[FaultTarget]:
        return [c for c in self._connections() if path is None or c.path == path]

    # --- faults ----------------------------------------------------------------------------------------------------

    def drop(self, path: str | None = None) -> FaultRecord:
        """Abort every open WebSocket connection (only those on `path` when given)."""
        targets = self._targets(path)
        for target in targets:
            target.abort()
        return self._record("drop", path=path, connections=len(targets))

    def stall(self, seconds: float) -> FaultRecord:
        """Stop sending on every WebSocket for `seconds`, keeping the sockets open; data queues meanwhile."""
        if not seconds > 0:
            raise FaultError("stall seconds must be > 0")
        self._stall_until = max(self._stall_until, time.monotonic() + seconds)
        return self._record("stall", seconds=seconds)

    def malformed(self, count: int = 1) -> FaultRecord:
        """Send `count` malformed (truncated JSON) frames on every open WebSocket."""
        _positive("malformed", count)
        targets = self._targets()
        for target in targets:
            target.send_malformed(count)
        return self._record("malformed", count=count, connections=len(targets))

    def duplicate(self, count: int = 1) -> FaultRecord:
        """Send each open WebSocket's next `count` data frames twice."""
        _positive("duplicate", count)
        targets = self._targets()
        for target in targets:
            target.duplicate_next(count)
        return self._record("duplicate", count=count, connections=len(targets))

    def refuse_subscriptions(self, count: int = 1) -> FaultRecord:
        """Answer the next `count` subscribe requests (any session) with error -32000."""
        _positive("refuse_subscriptions", count)
        self._refusals += count
        return self._record("refuse_subscriptions", count=count)

    def rest_error(self, status: int = 503, count: int = 1) -> FaultRecord:
        """Answer the next `count` authorised REST calls with HTTP `status` (429 or 500/502/503/504)."""
        if status not in REST_ERROR_STATUSES:
            raise FaultError(f"rest_error status must be one of {sorted(REST_ERROR_STATUSES)}")
        _positive("rest_error", count)
        self._rest_status, self._rest_errors = status, count
        return self._record("rest_error", status=status, count=count)

    def restart(self, down: float = 0.5) -> FaultRecord:
        """Drop every connection, stop listening for `down` seconds, then listen again on the same port.

        Returns at once; `await settled()` waits until the server listens again.
        """
        if down < 0:
            raise FaultError("restart down time must be >= 0")
        record = self._record("restart", down=down)
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self._restart(down))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return record

    def apply(self, kind: str, params: dict[str, Any]) -> FaultRecord:
        """Inject a fault by name with keyword parameters (validated); the entry point for HTTP, CLI and schedule."""
        spec_params = _params_from_args(kind, [])  # validates the kind
        allowed = {
            "drop": {"path"},
            "stall": {"seconds"},
            "malformed": {"count"},
            "duplicate": {"count"},
            "refuse_subscriptions": {"count"},
            "rest_error": {"status", "count"},
            "restart": {"down"},
        }[kind]
        unknown = set(params) - allowed
        if unknown:
            raise FaultError(f"unknown parameters for fault {kind!r}: {sorted(unknown)}")
        spec_params.update(params)
        try:
            method: Callable[..., FaultRecord] = getattr(self, kind)
            if kind == "stall" and "seconds" not in spec_params:
                raise FaultError("stall needs seconds")
            return method(**spec_params)
        except TypeError as exc:
            raise FaultError(f"bad parameters for fault {kind!r}: {exc}") from None

    async def settled(self) -> None:
        """Wait until every fault still in progress (a restart) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- state the server consults ---------------------------------------------------------------------------------

    def stall_remaining(self) -> float:
        """Seconds left of the current stall, 0 when sending is allowed."""
        return max(self._stall_until - time.monotonic(), 0.0)

    def take_refusal(self) -> bool:
        """True (and one refusal used) when this subscribe must be refused."""
        if self._refusals > 0:
            self._refusals -= 1
            return True
        return False

    def take_rest_error(self) -> int | None:
        """The HTTP status this REST call must fail with, or None."""
        if self._rest_errors > 0:
            self._rest_errors -= 1
            return self._rest_status
        return None


def _positive(kind: str, count: int) -> None:
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError(f"{kind} count must be a positive integer")


def _control(request: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def inject_over_http(url: str, kind: str, **params: Any) -> tuple[int, Any]:
    """Injects one fault into the simulator at base ``url`` (``POST /_sim/faults``); returns (status, record)."""
    request = urllib.request.Request(
        url.rstrip("/") + "/_sim/faults",
        data=json.dumps({"kind": kind, **params}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    return _control(request)


def fault_log_over_http(url: str) -> tuple[int, Any]:
    """The fault log of the simulator at base ``url`` (``GET /_sim/faults``); returns (status, records)."""
    return _control(urllib.request.Request(url.rstrip("/") + "/_sim/faults"))
