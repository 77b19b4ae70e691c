"""Frame sources in their own processes: the benchmark sender and the simulator in benchmark mode.

Both print one URL line when ready and speak the same benchmark protocol, so a `Source` is just a process and the
URL of one stream.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kfeed.sim import SimConfig, SimProcess
from kfeed.sim.server import read_first_line, terminate

from benches.e2e.frames import BENCH_DATE, BENCH_SEED

__all__ = ["REPO", "SenderProcess", "Source", "sim_source"]

REPO = Path(__file__).resolve().parents[2]


class SenderProcess:
    """`python -m benches.e2e.sender` in a subprocess: `with SenderProcess.start() as sender:`; `sender.url`."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    @classmethod
    def start(cls, timeout: float = 30.0, cpu: int | None = None) -> SenderProcess:
        """Start the sender (pinned to core `cpu` if given) and wait for its URL line; RuntimeError if it does not
        come within `timeout` s."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "benches.e2e.sender"]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=REPO)
        try:
            url = read_first_line(process, timeout, "sender")
        except BaseException:
            terminate(process)
            raise
        return cls(process, url)

    def stream_url(
        self,
        kind: str,
        frames: int,
        rate: float | None = None,
        stamps: Path | None = None,
        spin_ns: int | None = None,
    ) -> str:
        """The URL of one stream: flat out, or paced at `rate` frames/s (0: as fast as possible) with stamps, the
        sender spinning for the last `spin_ns` before each frame is due (default 50 µs; 0 never spins)."""
        url = f"{self.url}/stream?kind={kind}&frames={frames}"
        if rate is not None:
            url += f"&rate={rate:g}"
        if stamps is not None:
            url += f"&stamps={stamps}"
        if spin_ns is not None:
            url += f"&spin={spin_ns}"
        return url

    def stop(self) -> None:
        """Terminate the sender."""
        terminate(self.process)

    def __enter__(self) -> SenderProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class Source:
    """A running frame source: call `url(kind, frames)` for one benchmark stream."""

    name: str
    base: str

    def url(self, kind: str, frames: int) -> str:
        """The stream of `frames` frames of `kind`."""
        return f"{self.base}/bench?kind={kind}&frames={frames}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sim_source() -> tuple[SimProcess, Source]:
    """The simulator in benchmark mode (same seed and date as `frames`) on a free port, and its stream source.

    The port is chosen here because `SimConfig(port=0)` is not passed on to `kfeed sim`, whose own default is fixed.
    """
    config = SimConfig(port=_free_port(), seed=BENCH_SEED, date=BENCH_DATE.strftime("%Y%m%d"), bench=True)
    proc = SimProcess.start(config, timeout=60)
    return proc, Source("simulator --bench", proc.ws_url)
