"""The `kfeed` command line: one function per subcommand, registered in `SUBCOMMANDS`.

To add a subcommand, write `add_<name>(subparsers)` that creates its parser and sets `run=<function>`, and append
it to `SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

Subparsers = Any  # argparse's private _SubParsersAction
log = logging.getLogger("kfeed.cli")


# --- kfeed sim ------------------------------------------------------------------------------------------------------


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `kfeed sim` (and `python -m kfeed.sim`); each maps onto a `SimConfig` field."""
    from kfeed.sim.server import SimConfig

    d = SimConfig()
    parser.add_argument("--host", default=d.host, help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=9887, help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--seed", type=int, default=d.seed, help="market seed (default %(default)s)")
    parser.add_argument("--speed", type=float, default=d.speed, help="exchange seconds per wall second")
    parser.add_argument("--start", default=d.start, help="exchange time to start at, HH:MM:SS (default %(default)s)")
    parser.add_argument("--date", default=None, help="trading date YYYYMMDD (default: today's or the last session)")
    parser.add_argument("--key", default=None, help="the accepted API key (default: $KFEED_SIM_KEY or the built-in)")
    parser.add_argument("--rate", type=float, default=d.rate, help="message intensity multiplier")
    parser.add_argument("--sandbox", action="store_true", help="20 subscriptions and one /ws session per key")
    parser.add_argument("--max-subscriptions", type=int, default=d.max_subscriptions, help="cap per /ws session")
    parser.add_argument("--heartbeat-interval", type=float, default=d.heartbeat_interval, help="idle seconds")
    parser.add_argument("--daily-quota", type=int, default=d.daily_quota, help="REST calls per day")
    parser.add_argument("--send-queue-limit", type=int, default=d.send_queue_limit, help="bytes per WS queue")
    parser.add_argument("--tls-cert", default=None, help="PEM certificate: serve https/wss")
    parser.add_argument("--tls-key", default=None, help="PEM private key for --tls-cert")
    parser.add_argument("--bench", action="store_true", help="benchmark mode (see kfeed.sim.bench)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:ARGS]@SECONDS",
        help="inject a fault SECONDS of wall time after start, e.g. drop@30, stall:5@10, rest_error:503,2@12",
    )


def sim_config_from_args(args: argparse.Namespace) -> Any:
    """A `SimConfig` from parsed `kfeed sim` arguments."""
    from kfeed.sim.auth import DEFAULT_KEY
    from kfeed.sim.server import KEY_ENV, SimConfig

    return SimConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        speed=args.speed,
        start=args.start,
        date=args.date,
        key=args.key or os.environ.get(KEY_ENV) or DEFAULT_KEY,
        rate=args.rate,
        sandbox=args.sandbox,
        max_subscriptions=args.max_subscriptions,
        heartbeat_interval=args.heartbeat_interval,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        daily_quota=args.daily_quota,
        send_queue_limit=args.send_queue_limit,
        bench=args.bench,
        faults=tuple(args.fault),
    )


async def _serve(config: Any) -> None:
    from kfeed.sim.server import Simulator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Simulator(config) as sim:
        sys.stdout.write(sim.url + "\n")
        sys.stdout.flush()
        await stop.wait()
        log.info("stopping")


def run_sim(args: argparse.Namespace) -> int:
    """`kfeed sim`: serve until SIGINT/SIGTERM; print the base URL on stdout once ready."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = sim_config_from_args(args)
        config.validate()
    except ValueError as exc:
        print(f"kfeed sim: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config))
    except OSError as exc:
        print(f"kfeed sim: {exc}", file=sys.stderr)
        return 1
    return 0


def add_sim(subparsers: Subparsers) -> None:
    """Register `kfeed sim`."""
    parser = subparsers.add_parser("sim", help="run the Koscom-compatible exchange simulator")
    add_sim_arguments(parser)
    parser.set_defaults(run=run_sim)


# --- kfeed sim-fault ------------------------------------------------------------------------------------------------


def run_sim_fault(args: argparse.Namespace) -> int:
    """`kfeed sim-fault`: inject one fault into a running simulator (or print its fault log) and print the record."""
    from kfeed.sim.faults import fault_log_over_http, inject_over_http

    try:
        if args.kind == "log":
            status, body = fault_log_over_http(args.url)
        else:
            params = {name: getattr(args, name) for name in args.fault_params if getattr(args, name) is not None}
            status, body = inject_over_http(args.url, args.kind, **params)
    except (urllib.error.URLError, OSError) as exc:
        print(f"kfeed sim-fault: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False))
    return 0 if status == 200 else 1


def add_sim_fault(subparsers: Subparsers) -> None:
    """Register `kfeed sim-fault --url URL KIND ...`."""
    parser = subparsers.add_parser("sim-fault", help="inject a fault into a running simulator")
    parser.add_argument("--url", required=True, help="the simulator's base URL, e.g. http://127.0.0.1:9887")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    specs: list[tuple[str, str, list[tuple[str, type, Any]]]] = [
        ("drop", "close WebSocket connections abruptly", [("--path", str, None)]),
        ("stall", "stop sending on every WebSocket for SECONDS", [("seconds", float, None)]),
        ("malformed", "send malformed frames", [("--count", int, None)]),
        ("duplicate", "send the next data frames twice", [("--count", int, None)]),
        ("refuse_subscriptions", "refuse the next subscribes", [("--count", int, None)]),
        ("rest_error", "answer the next REST calls with STATUS", [("status", int, None), ("--count", int, None)]),
        ("restart", "drop everything and listen again", [("--down", float, None)]),
    ]
    for kind, text, options in specs:
        sub = kinds.add_parser(kind, help=text)
        for flag, kind_type, default in options:
            sub.add_argument(flag, type=kind_type, default=default)
        sub.set_defaults(fault_params=[flag.lstrip("-") for flag, _, _ in options])
    kinds.add_parser("log", help="print the fault log").set_defaults(fault_params=[])
    parser.set_defaults(run=run_sim_fault)


# --- kfeed watch / kfeed rest --------------------------------------------------------------------------------------

KEY_ENV_CLIENT = "KFEED_KEY"
"""Environment variable the client commands read the API key from (so it stays off the command line)."""


def _client_key(args: argparse.Namespace) -> str | None:
    key: str | None = args.key or os.environ.get(KEY_ENV_CLIENT)
    if key is None:
        print(f"kfeed {args.command}: give --key or set ${KEY_ENV_CLIENT}", file=sys.stderr)
    return key


def _add_client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:9887", help="server base URL (default %(default)s)")
    parser.add_argument("--key", default=None, help=f"API key (default: ${KEY_ENV_CLIENT})")


def run_watch(args: argparse.Namespace) -> int:
    """`kfeed watch`: a live view of a session until Ctrl-C (or --seconds)."""
    from kfeed.errors import KfeedError
    from kfeed.watch import watch

    key = _client_key(args)
    if key is None:
        return 2
    symbols = [s for s in args.symbols.split(",") if s]
    presets = [p for p in args.presets.split(",") if p]
    markets = [m for m in args.markets.split(",") if m]
    try:
        asyncio.run(watch(args.url, key=key, symbols=symbols, presets=presets, markets=markets, seconds=args.seconds))
    except KfeedError as exc:
        print(f"kfeed watch: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 130
    return 0


def add_watch(subparsers: Subparsers) -> None:
    """Register `kfeed watch`."""
    parser = subparsers.add_parser("watch", help="live terminal view: trades, a book, 1-min bars, health")
    _add_client_arguments(parser)
    parser.add_argument("--symbols", required=True, help="comma-separated short codes; the first is shown in detail")
    parser.add_argument("--presets", default="tick,quote10", help="comma-separated presets (default %(default)s)")
    parser.add_argument("--markets", default="", help="market-wide trade streams: kospi,kosdaq")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    parser.set_defaults(run=run_watch)


def _keyword(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, int(value) if value.isdigit() and not value.startswith("0") else value


def run_rest(args: argparse.Namespace) -> int:
    """`kfeed rest FAMILY METHOD ARGS...`: one REST query, printed as a table."""
    from kfeed.errors import KfeedError
    from kfeed.rest import SyncRestClient
    from kfeed.table import print_result

    key = _client_key(args)
    if key is None:
        return 2
    with SyncRestClient(args.url, key=key) as client:
        family = getattr(client, args.family, None)
        method = getattr(family, args.method, None) if family is not None else None
        if method is None or args.method.startswith("_"):
            print(f"kfeed rest: no method {args.family}.{args.method}", file=sys.stderr)
            return 2
        try:
            result = method(*args.args, **dict(args.option))
        except (KfeedError, TypeError, ValueError) as exc:
            print(f"kfeed rest: {exc}", file=sys.stderr)
            return 1
    print_result(result, title=f"{args.family}.{args.method}")
    return 0


def add_rest(subparsers: Subparsers) -> None:
    """Register `kfeed rest`."""
    parser = subparsers.add_parser(
        "rest",
        help="one REST query printed as a table, e.g. `kfeed rest stocks price kospi 005930`",
        description="FAMILY is stocks, multiquote, futures, options or index; METHOD one of its methods "
        "(see kfeed.rest); positional ARGS and -o NAME=VALUE options are passed to it.",
    )
    _add_client_arguments(parser)
    parser.add_argument("family", choices=("stocks", "multiquote", "futures", "options", "index"))
    parser.add_argument("method")
    parser.add_argument("args", nargs="*")
    parser.add_argument("-o", "--option", type=_keyword, action="append", default=[], metavar="NAME=VALUE")
    parser.set_defaults(run=run_rest)


# --- registry -------------------------------------------------------------------------------------------------------

SUBCOMMANDS: list[Callable[[Subparsers], None]] = [add_sim, add_sim_fault, add_watch, add_rest]
"""Every subcommand's registration function, in help order."""


def build_parser() -> argparse.ArgumentParser:
    """The `kfeed` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="kfeed", description="Koscom Open API market-data feed handler")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in SUBCOMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kfeed` console script."""
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
