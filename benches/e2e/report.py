"""Figures as "median (min–max)" over runs, the machine they were measured on, and the results file.

Each benchmark section stores its markdown (with the load average it ran under) in a JSON cache, so a section can
be rerun alone; `write_results` renders every stored section into `benches/RESULTS.md`, and `write_readme` puts
the summary table between `<!-- e2e-bench:start -->` and `<!-- e2e-bench:end -->` in the README.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "README_END",
    "README_START",
    "SECTIONS",
    "fmt",
    "load_average",
    "machine",
    "spread",
    "store_section",
    "write_readme",
    "write_results",
]

README_START = "<!-- e2e-bench:start -->"
README_END = "<!-- e2e-bench:end -->"
SECTIONS = ("transport", "throughput", "latency", "memory", "replay")
"""Section names, in the order the results file shows them."""


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def fmt(values: Sequence[float], digits: int = 0, scale: float = 1.0) -> str:
    """`median (min–max)` of `values` / `scale`, with thousands separators."""
    median, low, high = (v / scale for v in spread(values))
    return f"{median:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def load_average() -> str:
    """The 1/5/15-minute load averages."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    """Cores and CPU model (from /proc/cpuinfo), kernel and Python."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores, {model}, Linux {platform.release()}, Python {platform.python_version()} "
        f"({platform.python_implementation()})"
    )


def store_section(cache: Path, name: str, markdown: str, summary: list[tuple[str, str, str]], load: str) -> None:
    """Store one section's markdown, its README summary rows (measure, figure, goal) and the load it ran under."""
    data = json.loads(cache.read_text()) if cache.exists() else {}
    data[name] = {
        "markdown": markdown,
        "summary": summary,
        "load": load,
        "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def _sections(cache: Path) -> dict[str, dict[str, Any]]:
    return json.loads(cache.read_text()) if cache.exists() else {}


def write_results(cache: Path, out: Path, command: str) -> None:
    """Render every stored section into `out`."""
    data = _sections(cache)
    lines = [
        "# kfeed end-to-end benchmarks",
        "",
        f"Written by `{command}`; every figure is the median (min–max) of the runs stated.",
        f"Machine: {machine()}. The machine is shared, so each section states the load average (1/5/15 min)",
        "at its end.",
        "",
    ]
    for name in SECTIONS:
        if name in data:
            section = data[name]
            lines += [
                str(section["markdown"]).rstrip(),
                "",
                f"_Measured {section['measured']}, load {section['load']}._",
                "",
            ]
    out.write_text("\n".join(lines))


def write_readme(cache: Path, readme: Path) -> None:
    """Replace the summary table between the README markers; ValueError if the markers are missing."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} markers")
    rows = ["| Measure | Result, median (min–max) | Goal |", "|---|---|---|"]
    data = _sections(cache)
    for name in SECTIONS:
        if name in data:
            rows += [f"| {measure} | {figure} | {goal} |" for measure, figure, goal in data[name]["summary"]]
    table = "\n".join([f"Measured on {machine()}; details in `benches/RESULTS.md`.", "", *rows])
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{table}\n{README_END}{tail}")
