"""The simulator server: one aiohttp app serving REST, `/ws`, `/ws_ksp`, `/ws_kdq`, `/bench` and `/_sim/faults`.

`Simulator` runs in-process on the caller's event loop; `SimProcess` runs `python -m kfeed.sim` in a subprocess
and reads the one URL line it prints when ready. An engine task calls `market.advance(hub)` every ~10 ms of wall
time (at most 1 s of exchange time per call, via `advance_to`, when the market lags its clock, so the event loop
stays responsive under load); the hub fans the events out to the WebSocket sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import select
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field, fields
from types import TracebackType
from typing import Any

import orjson
from aiohttp import WSCloseCode, web
from yarl import URL

from kfeed.sim import krx
from kfeed.sim.auth import (
    DEFAULT_KEY,
    INVALID_KEY_BODY,
    NO_KEY_BODY,
    NO_ROUTE_BODY,
    RATE_LIMIT_BODY,
    DailyQuota,
    KeyCheck,
)
from kfeed.sim.bench import BenchLibrary, serve_bench
from kfeed.sim.faults import FaultController, FaultError, FaultSpec
from kfeed.sim.market import Market
from kfeed.sim.records import Records
from kfeed.sim.rest import RestApi, RestReply
from kfeed.sim.ws import Hub, SessionLimits, WsContext, serve_detail, serve_market

__all__ = ["KEY_ENV", "SimConfig", "SimProcess", "Simulator"]

log = logging.getLogger("kfeed.sim")

KEY_ENV = "KFEED_SIM_KEY"
"""Environment variable `kfeed sim` reads the key from when `--key` is not given (keeps it out of `ps`)."""
ENGINE_STEP = 0.01
ENGINE_MAX_STEP_CS = 100
"""At most this much exchange time (1 s) per engine iteration, so a market behind its clock never blocks the loop."""
SERVER_ERROR_BODY = {"message": "An unexpected error occurred"}
_JSON = "application/json; charset=utf-8"


@dataclass
class SimConfig:
    """Everything a simulator run is configured by; `kfeed sim` flags map one to one onto these fields."""

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    seed: int = 7
    speed: float = 1.0
    start: str = "09:00:00"
    date: str | None = None
    """Trading date `YYYYMMDD`; None: today in KST if a business day, else the previous business day."""
    key: str = field(default=DEFAULT_KEY, repr=False)
    rate: float = 1.0
    sandbox: bool = False
    max_subscriptions: int = 200
    """Cap on (preset, code) pairs per `/ws` session; the sandbox caps it at 20."""
    heartbeat_interval: float = 30.0
    tls_cert: str | None = None
    tls_key: str | None = None
    daily_quota: int = 1_000_000
    send_queue_limit: int = 8 * 1024 * 1024
    """Bytes a WebSocket may have queued before it is dropped as a slow consumer."""
    bench: bool = False
    """Benchmark mode: `/ws`, `/ws_ksp`, `/ws_kdq` stream pre-generated frames (see `kfeed.sim.bench`)."""
    faults: tuple[str, ...] = ()
    """Fault schedule, `KIND[:ARGS]@SECONDS` each (see `FaultSpec`)."""

    def start_time(self) -> dt.time:
        """`start` parsed; raises ValueError."""
        try:
            return dt.time.fromisoformat(self.start)
        except ValueError:
            raise ValueError(f"start must be HH:MM:SS, got {self.start!r}") from None

    def trading_date(self) -> dt.date | None:
        """`date` parsed; raises ValueError."""
        if self.date is None:
            return None
        try:
            return dt.datetime.strptime(self.date, "%Y%m%d").date()
        except ValueError:
            raise ValueError(f"date must be YYYYMMDD, got {self.date!r}") from None

    def fault_specs(self) -> list[FaultSpec]:
        """`faults` parsed; raises FaultError."""
        return [FaultSpec.parse(text) for text in self.faults]

    def validate(self) -> None:
        """Raise ValueError for any setting the simulator cannot run with."""
        self.start_time()
        self.trading_date()
        self.fault_specs()
        if not self.speed > 0:
            raise ValueError("speed must be > 0")
        if not self.rate >= 0:
            raise ValueError("rate must be >= 0")
        if self.max_subscriptions < 1:
            raise ValueError("max_subscriptions must be >= 1")
        if not self.heartbeat_interval > 0:
            raise ValueError("heartbeat_interval must be > 0")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")

    def to_args(self) -> list[str]:
        """The `kfeed sim` arguments for this config, without the key (pass it in `KFEED_SIM_KEY`).

        The port is always passed: the CLI's default (9887) differs from the config's (0, a free port).
        """
        args: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            flag = "--" + f.name.replace("_", "-")
            if f.name == "key" or value is None or (value == f.default and f.name != "port"):
                continue
            if isinstance(value, bool):
                args.append(flag)
            elif f.name == "faults":
                for spec in value:
                    args += ["--fault", spec]
            else:
                args += [flag, str(value)]
        return args


class Simulator:
    """The simulator on the running event loop: `async with Simulator(config) as sim:`; ready once entered."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.config.validate()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ssl: ssl.SSLContext | None = None
        self.url = ""
        self.ws_url = ""
        self.port = 0

    def __repr__(self) -> str:
        return f"Simulator(url={self.url!r}, seed={self.config.seed}, speed={self.config.speed})"

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Build the market, bind the port and start the engine; returns once the server accepts connections."""
        cfg = self.config
        self.market = Market(
            seed=cfg.seed, trading_date=cfg.trading_date(), start=cfg.start_time(), speed=cfg.speed, rate=cfg.rate
        )
        self.records = Records(self.market)
        self.hub = Hub(self.market, self.records)
        self.rest = RestApi(self.records, self.market.clock.trading_date)
        self.quota = DailyQuota(cfg.daily_quota)
        self.faults = FaultController(lambda: self.market.now, lambda: list(self.hub.connections), self._restart)
        self.bench = BenchLibrary(cfg.seed, self.market.clock.trading_date)
        self._keys = KeyCheck(cfg.key)
        limits = SessionLimits(
            max_subscriptions=min(cfg.max_subscriptions, 20) if cfg.sandbox else cfg.max_subscriptions,
            heartbeat_interval=cfg.heartbeat_interval,
            send_queue_limit=cfg.send_queue_limit,
            sandbox=cfg.sandbox,
        )
        self._ws = WsContext(self.hub, self.market, self.records, self.faults, self._keys, limits, self._query)
        if cfg.tls_cert is not None and cfg.tls_key is not None:
            self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ssl.load_cert_chain(cfg.tls_cert, cfg.tls_key)
        self._runner = web.AppRunner(self._app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._listen(cfg.port)
        scheme = "https" if self._ssl else "http"
        self.url = f"{scheme}://{cfg.host}:{self.port}"
        self.ws_url = f"{'wss' if self._ssl else 'ws'}://{cfg.host}:{self.port}"
        if cfg.bench:
            for kind in ("tick", "ksp", "kdq"):
                self.bench.prepare(kind)
        else:
            self._spawn(self._engine())
        for spec in cfg.fault_specs():
            self._spawn(self._scheduled(spec))
        log.info(
            "simulator ready at %s (seed %d, date %s, start %s, speed %g, rate %g%s)",
            self.url,
            cfg.seed,
            self.market.clock.trading_date,
            cfg.start,
            cfg.speed,
            cfg.rate,
            ", bench" if cfg.bench else "",
        )

    async def stop(self) -> None:
        """Stop the engine, close every connection and release the port."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.faults.settled()
        connections = list(self.hub.connections)
        for conn in connections:
            conn.close(WSCloseCode.GOING_AWAY, "simulator stopping", flush=False)
        await asyncio.gather(*(conn.wait_closed() for conn in connections), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def pause(self) -> None:
        """Freezes the market: exchange time stops, no event is generated, pending trade batches are sent now.

        REST then serves a state that no further push will change, so a client can be checked against it.
        """
        self.market.clock.pause()
        self.market.advance(self.hub)
        self.hub.flush_all()
        log.info("market paused at %d", self.market.now)

    def resume(self) -> None:
        """Lets the frozen market run on from where it stopped."""
        self.market.clock.resume()
        log.info("market resumed")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.config.host, port, ssl_context=self._ssl, reuse_address=True)
        await self._site.start()
        self.port = self._runner.addresses[-1][1]

    async def _restart(self, down: float) -> None:
        assert self._runner is not None and self._site is not None
        for conn in list(self.hub.connections):
            conn.abort()
        await self._site.stop()
        server = self._runner.server
        if server is not None:
            for handler in server.connections:
                if handler.transport is not None:
                    handler.transport.abort()
        await asyncio.sleep(down)
        await self._listen(self.port)
        log.warning("fault restart: listening again on port %d", self.port)

    async def _engine(self) -> None:
        market, hub = self.market, self.hub
        while True:
            try:
                behind = krx.hhmmssmm_to_cs(market.clock.hhmmssmm()) - krx.hhmmssmm_to_cs(market.now)
                if behind > ENGINE_MAX_STEP_CS:
                    market.advance_to(krx.cs_to_hhmmssmm(krx.hhmmssmm_to_cs(market.now) + ENGINE_MAX_STEP_CS), hub)
                else:
                    market.advance(hub)
                hub.flush_due(market.now)
            except Exception:
                log.exception("market engine step failed")
            await asyncio.sleep(ENGINE_STEP)

    async def _scheduled(self, spec: FaultSpec) -> None:
        await asyncio.sleep(spec.delay)
        try:
            self.faults.apply(spec.kind, spec.params)
        except FaultError as exc:
            log.error("scheduled fault %s failed: %s", spec.kind, exc)

    # --- HTTP -------------------------------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        ws_paths = {"/ws": self._detail, "/ws_ksp": self._market_stream, "/ws_kdq": self._market_stream}
        for path, handler in ws_paths.items():
            app.router.add_get(path, handler)
            app.router.add_get(path + "/", handler)
        app.router.add_get("/bench", self._bench_stream)
        app.router.add_get("/bench/", self._bench_stream)
        app.router.add_get("/_sim/faults", self._fault_log)
        app.router.add_post("/_sim/faults", self._fault_inject)
        app.router.add_route("*", "/{tail:.*}", self._rest_handler)
        return app

    def _json(self, status: int, body: Any) -> web.Response:
        return web.Response(
            status=status,
            body=orjson.dumps(body),
            content_type="application/json",
            charset="utf-8",
            headers=self.quota.headers(),
        )

    def _authorised_get(self, path: str, query: Any) -> RestReply:
        """Quota, REST faults and the call itself, for a caller whose key is already checked."""
        if not self.quota.take():
            return RestReply(429, RATE_LIMIT_BODY)
        status = self.faults.take_rest_error()
        if status is not None:
            return RestReply(status, RATE_LIMIT_BODY if status == 429 else SERVER_ERROR_BODY)
        try:
            return self.rest.call(path, query)
        except Exception:
            log.exception("REST %s failed", path)
            return RestReply(500, SERVER_ERROR_BODY)

    def _query(self, uri: str) -> RestReply:
        """The WebSocket `query` method: a REST GET by URI on an initialised session."""
        try:
            url = URL(uri)
        except (ValueError, TypeError):
            return RestReply(404, NO_ROUTE_BODY)
        if url.is_absolute() or self.rest.route(url.path) is None:
            return RestReply(404, NO_ROUTE_BODY)
        return self._authorised_get(url.path, url.query)

    async def _rest_handler(self, request: web.Request) -> web.Response:
        if request.method not in ("GET", "HEAD") or self.rest.route(request.path) is None:
            return self._json(404, NO_ROUTE_BODY)
        key = request.query.get("apikey") or request.headers.get("apikey")
        if not key:
            return self._json(401, NO_KEY_BODY)
        if not self._keys.accepts(key):
            return self._json(401, INVALID_KEY_BODY)
        answer = self._authorised_get(request.path, request.query)
        return self._json(answer.status, answer.body)

    async def _detail(self, request: web.Request) -> web.StreamResponse:
        if self.config.bench:
            return await serve_bench(request, self.bench, self._keys, "tick")
        return await serve_detail(request, self._ws)

    async def _market_stream(self, request: web.Request) -> web.StreamResponse:
        if self.config.bench:
            default = "ksp" if request.path.rstrip("/") == "/ws_ksp" else "kdq"
            return await serve_bench(request, self.bench, self._keys, default)
        return await serve_market(request, self._ws)

    async def _bench_stream(self, request: web.Request) -> web.StreamResponse:
        return await serve_bench(request, self.bench, self._keys, "tick")

    async def _fault_log(self, request: web.Request) -> web.Response:
        return self._json(200, [record.to_json() for record in self.faults.log])

    async def _fault_inject(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return self._json(400, {"message": "body must be a JSON object"})
        if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
            return self._json(400, {"message": 'body must be a JSON object with "kind"'})
        params = {k: v for k, v in body.items() if k != "kind"}
        try:
            record = self.faults.apply(body["kind"], params)
        except FaultError as exc:
            return self._json(400, {"message": str(exc)})
        return self._json(200, record.to_json())


class SimProcess:
    """`python -m kfeed.sim` in a subprocess: `with SimProcess.start(config) as proc:`; `proc.url`, `proc.ws_url`."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url
        self.ws_url = url.replace("http", "ws", 1)

    def __repr__(self) -> str:
        return f"SimProcess(pid={self.process.pid}, url={self.url!r})"

    @classmethod
    def start(cls, config: SimConfig | None = None, timeout: float = 15.0) -> SimProcess:
        """Start the subprocess and wait (up to `timeout` s) for its URL line; raises RuntimeError on failure."""
        config = config or SimConfig()
        config.validate()
        env = {**os.environ, KEY_ENV: config.key}
        process = subprocess.Popen(
            [sys.executable, "-m", "kfeed.sim", *config.to_args()], stdout=subprocess.PIPE, env=env
        )
        try:
            line = read_first_line(process, timeout, "simulator")
        except BaseException:
            terminate(process)
            raise
        return cls(process, line)

    def stop(self, timeout: float = 5.0) -> int:
        """Terminate (SIGTERM, then SIGKILL after `timeout` s) and return the exit status."""
        return terminate(self.process, timeout)

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def read_first_line(process: subprocess.Popen[bytes], timeout: float, what: str) -> str:
    """The first line a child process prints on stdout (its URL once ready); RuntimeError if it exits or is late."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"{what} did not print its URL within {timeout} s")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"{what} exited with status {process.wait()} before it was ready")
            buffer += chunk
    return buffer.split(b"\n", 1)[0].decode().strip()


def terminate(process: subprocess.Popen[bytes], timeout: float = 5.0) -> int:
    """Stops a child process (SIGTERM, then SIGKILL after ``timeout`` s), closes its stdout; returns its status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        with contextlib.suppress(OSError):
            process.stdout.close()
    return process.returncode
