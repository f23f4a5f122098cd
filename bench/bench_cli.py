"""Command-line start-up: `irlink --help` against `python -c "import typer"`, and `irlink status`.

    python bench/bench_cli.py [--rounds N] [--imports]

Every figure is one process started and waited for (wall time, fork to exit), run by
this venv's Python and its ``irlink`` console script, in interleaved rounds whose order
turns each round, after one warm-up run of each (so .pyc files and the page cache are
warm, as on a second use):
1. baseline: ``python -c "import typer"``, what any typer command line pays;
2. ``irlink --help``; target: at most 1.5x the baseline (ratio of medians and of bests);
3. ``irlink -d sim://waistband status``: start, a simulated waistband on a pty in the same
   process, connect, one status, close; a figure, not a target;
4. ``python -c pass``, the interpreter alone, to show what typer itself costs.
Also the CPU time (user + system) of each process. With ``--imports`` it prints the
modules ``irlink --help`` imports beyond typer's, from ``-X importtime`` (cumulative µs).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_host_proc import OtherLoad, machine

PYTHON = sys.executable
IRLINK = str(Path(sys.executable).with_name("irlink"))
TARGET = 1.5

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    'python -c "import typer"': [PYTHON, "-c", "import typer"],
    "irlink --help": [IRLINK, "--help"],
    "irlink -d sim://waistband status": [IRLINK, "-d", "sim://waistband", "status"],
}
BASELINE = 'python -c "import typer"'
SUBJECT = "irlink --help"


@dataclass
class Runs:
    """Wall and CPU time of each run of one command, in seconds, and its failures."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run_once(command: list[str], runs: Runs) -> None:
    """Start ``command``, wait for it, record its wall and CPU time (or why it failed)."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    _, stderr = process.communicate(timeout=60)
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if process.returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines() or ["(no message)"]
        runs.failed.append(f"exit {process.returncode}: {lines[-1]}")
        return
    runs.wall.append(wall)
    runs.cpu.append(cpu)


def _children_cpu() -> float:
    """User + system time of every child waited for so far (one child runs at a time)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(rounds: int) -> dict[str, Runs]:
    """Every command once to warm up, then ``rounds`` interleaved rounds, order turning."""
    results = {name: Runs() for name in COMMANDS}
    names = list(COMMANDS)
    for name in names:
        run_once(COMMANDS[name], Runs())
    for i in range(rounds):
        turn = i % len(names)
        for name in names[turn:] + names[:turn]:
            run_once(COMMANDS[name], results[name])
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(results: dict[str, Runs], rounds: int) -> bool:
    """Print the table for bench/RESULTS.md; True if the target is met."""
    base = results[BASELINE]
    print(f"{rounds} interleaved rounds, one process per run (wall time, fork to exit)")
    print("| | median | best | CPU (median) | vs import typer (median) | (best) |")
    print("|---|--:|--:|--:|--:|--:|")
    for name, runs in results.items():
        if not runs.wall:
            print(f"| {name} | failed: {runs.failed[0]} | | | | |")
            continue
        median, best = statistics.median(runs.wall), min(runs.wall)
        ratio_median = median / statistics.median(base.wall)
        ratio_best = best / min(base.wall)
        label = f"**{name}**" if name == SUBJECT else name
        print(
            f"| {label} | {ms(median)} | {ms(best)} | {ms(statistics.median(runs.cpu))} "
            f"| {ratio_median:.2f}x | {ratio_best:.2f}x |"
        )
    for name, runs in results.items():
        if runs.failed:
            print(f"WARNING: {name} failed {len(runs.failed)} time(s): {runs.failed[0]}")
    help_runs = results[SUBJECT]
    if not help_runs.wall:
        return False
    ratio = statistics.median(help_runs.wall) / statistics.median(base.wall)
    best = min(help_runs.wall) / min(base.wall)
    met = ratio <= TARGET and best <= TARGET
    print(
        f"target: irlink --help at most {TARGET}x import typer: "
        f"{'met' if met else 'NOT met'} ({ratio:.2f}x median, {best:.2f}x best)"
    )
    return met


def imported(code: str) -> dict[str, tuple[int, int]]:
    """Module name to (self, cumulative) import µs, from ``python -X importtime -c CODE``."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    modules = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.split(":", 1)[1].split("|")
        modules[name.strip()] = (int(self_us), int(cumulative))
    return modules


def show_imports() -> None:
    """The modules `irlink --help` imports that `import typer` does not, slowest first."""
    help_code = "import sys; sys.argv = ['irlink', '--help']; from irlink.cli import main; main()"
    baseline = imported("import typer")
    extra = {n: us for n, us in imported(help_code).items() if n not in baseline}
    total = sum(self_us for self_us, _ in extra.values())
    print(f"modules irlink --help imports beyond typer's: {len(extra)}, {total / 1000:.1f} ms")
    print("  (cumulative counts whatever a module imported first, typer's modules included)")
    print("     self  cumulative  module")
    for name, (self_us, cumulative) in sorted(extra.items(), key=lambda item: -item[1][0]):
        print(f"  {self_us / 1000:5.1f} ms  {cumulative / 1000:7.1f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (30)")
    parser.add_argument(
        "--imports", action="store_true", help="also list what --help imports beyond typer"
    )
    args = parser.parse_args()
    if not Path(IRLINK).exists():
        sys.exit(f"no irlink console script beside {PYTHON}: pip install -e . in this venv")
    load = OtherLoad()
    results = measure(args.rounds)
    others = load.cores()
    print(f"machine: {machine()}")
    print(f"CPU used by everything else while this ran: {others:.2f} cores")
    if others > 0.2:
        print("WARNING: the machine was not quiet; the figures are disturbed")
    met = report(results, args.rounds)
    if args.imports or not met:
        show_imports()


if __name__ == "__main__":
    main()
