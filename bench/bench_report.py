"""`irlink report` on a year: the size of a year's session log, and the time to report it.

    python bench/bench_report.py [--log PATH] [--rebuild] [--rounds N]

Builds the year log of :mod:`yearlog` (365 daily 30-minute sessions at 1 Hz on a 2-port
multiport, recorded through the real recorder) at ``--log``, or reuses it; then times
``write_report`` on it, the whole page, in fresh rounds: with the default plots (the
last 14 days), with none, and with a month's. Prints a markdown table. Target: the
default report in under 10 s; the log under 50 MiB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

from bench_host_proc import machine
from irlink.record.report import PLOTS_DAYS, write_report
from irlink.record.store import SessionLog
from yearlog import build_year

TARGET_S = 10.0
LOG_LIMIT_MIB = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "irlink-year.db")
    parser.add_argument("--rebuild", action="store_true", help="build the year log anew")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.rebuild or not args.log.exists():
        began = time.perf_counter()
        build_year(args.log)
        print(f"built {args.log} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    size = args.log.stat().st_size / 2**20
    print(f"machine: {machine()}\n")
    print("| plots | sessions | plotted | page (MiB) | report (median s) | best s |")
    print("|---|--:|--:|--:|--:|--:|")
    out = Path(tempfile.mkdtemp()) / "report.html"
    for days in (PLOTS_DAYS, 0, 31):
        times = []
        for _ in range(args.rounds):
            began = time.perf_counter()
            with SessionLog.open(args.log, readonly=True) as log:
                made = write_report(log, out, plots_days=days, tz=UTC)
            times.append(time.perf_counter() - began)
        page = out.stat().st_size / 2**20
        label = f"last {days} days" if days else "none"
        label += " (default)" if days == PLOTS_DAYS else ""
        print(
            f"| {label} | {made.sessions} | {made.plotted} | {page:.2f} | "
            f"{statistics.median(times):.2f} | {min(times):.2f} |"
        )
    print(f"\nyear log: {size:.1f} MiB (limit {LOG_LIMIT_MIB:.0f} MiB); target {TARGET_S:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
