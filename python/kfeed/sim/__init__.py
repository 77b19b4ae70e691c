"""kfeed's Koscom-compatible exchange simulator: REST and WebSocket on one port, deterministic from a seed.

`Simulator` runs in-process (`async with Simulator(SimConfig(...)) as sim:`), `SimProcess` as a subprocess
(`with SimProcess.start(SimConfig(...)) as proc:`); `kfeed sim` and `python -m kfeed.sim` run it from a shell.
"""

from kfeed.sim.auth import DEFAULT_KEY
from kfeed.sim.faults import FaultController, FaultRecord, FaultSpec
from kfeed.sim.server import SimConfig, SimProcess, Simulator

__all__ = ["DEFAULT_KEY", "FaultController", "FaultRecord", "FaultSpec", "SimConfig", "SimProcess", "Simulator"]
