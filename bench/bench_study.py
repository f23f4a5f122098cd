"""Study rehearsal: the 2006 trial's shape end to end, with and without recording (issue 14).

    python bench/bench_study.py [--participants N] [--rounds R] [--profile]

The shipped ``gale-2006`` example rehearsed by :func:`irlink.regimen.rehearsal.simulate`
(what ``irlink study simulate`` runs): a SYNTHETIC study created, 40 participants
enrolled, and every one of their 7 weekly visits run through the runner
(``run_visit``): the before-session answers, the waistband configured from the sealed
arm, a 30-minute session followed to its end on a simulated device of its own, reached
through irlink's real front end (a Transport over the simulator's in-process link, the
codec, a blinded :class:`irlink.Device`), with its status pushed every second and
recorded by the real recorder into a fresh session log, then the after-session
answers and the visit's end. Nobody misses a visit or withdraws here (the outcome
model's rates set to 0), so the shape is exactly the trial's: 280 visits, 280 sessions,
280 x 1,801 samples (1,800 pushed, one read on connecting).

Baseline, in the same run: the same rehearsal with the recording off (no journal on
the devices; the study, visits and answers still written). Rounds alternate which goes
first (on, off; off, on; ...). Wall and process CPU time (all threads) of each whole
rehearsal; the counts are asserted. Target: under 60 s of wall time with recording.
With ``--profile`` it only profiles one rehearsal with recording (cProfile, the event
loop's thread).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_host_proc import OtherLoad, cpu_s, machine
from irlink.record import SessionLog
from irlink.regimen import example
from irlink.regimen.rehearsal import Rehearsal, simulate
from irlink.regimen.synthetic import OutcomeModel

TARGET_S = 60.0
SAMPLES_A_SESSION = 1801  # 30 minutes at 1 Hz, and the status read on connecting
EVERY_VISIT = OutcomeModel(missed=0.0, dropout=0.0)
MiB = 2**20


@dataclass
class Run:
    """One whole rehearsal: what it did and what it cost."""

    recorded: bool
    done: Rehearsal
    wall_s: float
    cpu_s: float
    log_bytes: int


def rehearse(folder: Path, participants: int, *, record: bool) -> Run:
    """Rehearse gale-2006 into a fresh log in ``folder``; check what it did."""
    path = folder / f"study-{'on' if record else 'off'}-{time.monotonic_ns()}.db"
    text = example("gale-2006").read_text(encoding="utf-8")
    with SessionLog.open(path) as log:
        cpu, wall = cpu_s(), time.perf_counter()
        done = asyncio.run(
            simulate(text, log=log, participants=participants, seed=2006, record=record,
                     model=EVERY_VISIT)
        )  # fmt: skip
        wall, cpu = time.perf_counter() - wall, cpu_s() - cpu
    size = path.stat().st_size
    for file in folder.glob(f"{path.name}*"):
        file.unlink()
    check(done, participants, record=record)
    return Run(record, done, wall, cpu, size)


def check(done: Rehearsal, participants: int, *, record: bool) -> None:
    """The trial's shape: every visit completed, every session (and sample) recorded."""
    visits = participants * 7
    assert done.synthetic
    assert (done.visits_completed, done.visits_missed, done.withdrawn) == (visits, 0, 0), done
    assert (done.sessions, done.delivered_s) == (visits, visits * 1800), done
    expected = (visits, visits * SAMPLES_A_SESSION) if record else (0, 0)
    assert (done.recorded_sessions, done.recorded_samples) == expected, done


def profile(folder: Path, participants: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    rehearse(folder, participants, record=True)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="irlink-study-"))
    if args.profile:
        profile(folder, args.participants)
        return 0
    load = OtherLoad()
    runs: list[Run] = []
    for round_ in range(args.rounds):
        for record in (True, False) if round_ % 2 == 0 else (False, True):
            runs.append(rehearse(folder, args.participants, record=record))
            last = runs[-1]
            print(
                f"round {round_ + 1}, recording {'on' if record else 'off'}: "
                f"{last.wall_s:.1f} s wall, {last.cpu_s:.1f} s CPU",
                file=sys.stderr,
            )
    report(runs, args.participants, load.cores())
    on = statistics.median(r.wall_s for r in runs if r.recorded)
    return 0 if on < TARGET_S else 1


def report(runs: list[Run], participants: int, others: float) -> None:
    on = [r for r in runs if r.recorded]
    off = [r for r in runs if not r.recorded]
    base_wall = statistics.median(r.wall_s for r in off)
    base_cpu = statistics.median(r.cpu_s for r in off)
    print(f"machine: {machine()}; other work meanwhile: {others:.2f} cores\n")
    print(
        "| gale-2006, "
        f"{participants} participants | sessions | samples | log | wall best | wall median | "
        "CPU median | wall ratio (median) | CPU ratio (median) | µs a sample (wall) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for label, group in (("recording off (baseline)", off), ("**recording on**", on)):
        wall = statistics.median(r.wall_s for r in group)
        cpu = statistics.median(r.cpu_s for r in group)
        done = group[0].done
        samples = on[0].done.recorded_samples
        print(
            f"| {label} | {done.recorded_sessions:,} | {done.recorded_samples:,} | "
            f"{group[0].log_bytes / MiB:.1f} MiB | {min(r.wall_s for r in group):.1f} s | "
            f"{wall:.1f} s | {cpu:.1f} s | {wall / base_wall:.2f}x | {cpu / base_cpu:.2f}x | "
            f"{wall / samples * 1e6:.0f} |"
        )
    median = statistics.median(r.wall_s for r in on)
    verdict = "met" if median < TARGET_S else "NOT met"
    print(f"\ntarget under {TARGET_S:.0f} s with recording (median): {verdict}, {median:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
