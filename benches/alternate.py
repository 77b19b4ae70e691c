"""`make fastest-ab BASE=<rev>`: `make fastest` run alternately with the same bench built from another revision.

On a shared host a run's speed drifts by more than most changes move it, so two builds are compared by running them
in turn, ROUNDS times each, and taking the median over the rounds of each stream's fastest pass. The base is built
from a temporary git worktree of BASE with this tree's bench files copied in (the same streams and the same timing
for both), into `target/alternate` so that a later comparison with the same base reuses the build.

Run: `python3 -m benches.alternate --base e8b3436 --rounds 8` (or `make fastest-ab BASE=e8b3436`); `PASSES` sets the
passes per run, as for `make fastest`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The working tree this script belongs to."""

BENCH_FILES = (Path("benches/fastest.rs"), Path("benches/common"))
"""The bench sources copied into the base tree, so that both builds time the same streams the same way."""

FASTEST_TARGET = '\n[[bench]]\nname = "fastest"\nharness = false\n'
"""The `Cargo.toml` entry the fastest bench needs, added to a base older than it."""


def build_fastest(tree: Path, target_dir: Path | None = None) -> Path:
    """Builds the `fastest` bench of `tree` (release profile) and returns its executable."""
    command = ["cargo", "bench", "--no-run", "--bench", "fastest", "--message-format=json-render-diagnostics"]
    if target_dir is not None:
        command += ["--target-dir", str(target_dir)]
    built = subprocess.run(command, cwd=tree, stdout=subprocess.PIPE, text=True)
    if built.returncode != 0:
        sys.exit(f"building the fastest bench in {tree} failed (cargo's messages are above)")
    for line in built.stdout.splitlines():
        message = json.loads(line)
        if (
            message.get("reason") == "compiler-artifact"
            and message["target"]["name"] == "fastest"
            and message.get("executable")
        ):
            return Path(message["executable"])
    sys.exit(f"cargo built no fastest executable in {tree}")


def prepare_base(revision: str, tree: Path) -> None:
    """Checks `revision` out at `tree` (a detached worktree) with this tree's bench files in place."""
    added = subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), revision], cwd=ROOT)
    if added.returncode != 0:
        sys.exit(f"cannot check {revision!r} out (git's message is above)")
    for path in BENCH_FILES:
        source, destination = ROOT / path, tree / path
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)
    manifest = tree / "Cargo.toml"
    if 'name = "fastest"' not in manifest.read_text():
        with manifest.open("a") as out:
            out.write(FASTEST_TARGET)


def fastest_passes(executable: Path) -> dict[str, float]:
    """Runs one `fastest` binary once: each stream's fastest pass, ns per message."""
    output = subprocess.run([str(executable)], stdout=subprocess.PIPE, text=True, check=True).stdout
    passes: dict[str, float] = {}
    for line in output.splitlines()[2:]:
        stream, fastest, _median = line.split()
        passes[stream] = float(fastest)
    return passes


def alternate(builds: dict[str, Path], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Runs the builds in turn, `rounds` times each: per stream and build, the fastest pass of every run."""
    runs: dict[str, dict[str, list[float]]] = {}
    for round_number in range(rounds):
        for label, executable in builds.items():
            print(f"round {round_number + 1}/{rounds}: {label}", file=sys.stderr, flush=True)
            for stream, fastest in fastest_passes(executable).items():
                runs.setdefault(stream, {}).setdefault(label, []).append(fastest)
    return runs


def report(runs: dict[str, dict[str, list[float]]], base: str, rounds: int) -> str:
    """The table of medians (over the runs, of each run's fastest pass), the ratio and the fastest run of each."""
    lines = [
        f"make fastest alternated {rounds} times with {base}: ns per message, median over the runs of each run's "
        "fastest pass (and the fastest run)",
        f"{'stream':<22} {'this tree':>18} {base:>18} {'ratio':>7}",
    ]
    for stream, by_build in runs.items():
        now, then = by_build["this tree"], by_build[base]
        ratio = statistics.median(now) / statistics.median(then)
        lines.append(
            f"{stream:<22} {statistics.median(now):>9.1f} ({min(now):>6.1f})"
            f" {statistics.median(then):>9.1f} ({min(then):>6.1f}) {ratio:>7.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    """Builds both, alternates them and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=8, help="runs of each build (default 8)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    current = build_fastest(ROOT)
    with tempfile.TemporaryDirectory(prefix="kfeed-alternate-") as scratch:
        tree = Path(scratch) / "tree"
        try:
            prepare_base(args.base, tree)
            base = build_fastest(tree, ROOT / "target" / "alternate")
        finally:
            shutil.rmtree(tree, ignore_errors=True)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        runs = alternate({"this tree": current, args.base: base}, args.rounds)
    print(report(runs, args.base, args.rounds))


if __name__ == "__main__":
    main()
