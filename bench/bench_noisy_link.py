"""A noisy link never becomes an outage (issue 12, point 19): the figures, against a clean link.

    python bench/bench_noisy_link.py [--requests N] [--seeds K] [--timeout S]

The workload of ``tests/host/noisy.py``: N mixed requests (status, configure, start,
stop; one start in each cycle of eight) through ``irlink.connect`` to a simulated
multiport on a pty, every answer checked against the simulator's own state and every
session against its usage log. Impaired as the issue measured it, 1 % of bytes with a
flipped bit and 5 % of frames lost, both ways, from the first byte; K runs with damage
seeded 12, 13, ... Each noisy run is paired with the baseline, measured in the same
run just before it: the same workload on an unimpaired link. Reported per run and in
all: requests completed, answers the device contradicts, sessions reported against
those the device ran (duplicates, missing, phantoms), links lost and restored, whether
the last requests went through and the link is up at the end, tries per request, and
the wall time per completed request, noisy over clean. Then ``--connects`` first
connections over the same link, each a new Device that knows nothing of the link yet.

Each try waits ``--timeout`` (10 ms, as the test does; the simulator answers in about
0.1 ms), and the time per completed request on the noisy link is mostly those waits:
at irlink's default of 1 s it would be about 100 times as long.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.host.noisy

from tests.host.noisy import FAMILY, NOISY, Figures, run_workload, unlimited

import irlink
from bench_host_proc import OtherLoad, machine
from factory import trust_this_run
from irlink.errors import IRLinkError
from irlink.sim import Impairment, SimulatedDevice
from irlink.sim.serve.tcp import TcpServer

QUIET_CORES = 0.25  # more CPU than this used by others while measuring: disturbed


@dataclass
class Run:
    """A noisy run and its clean baseline."""

    seed: int
    noisy: Figures
    clean: Figures


def row(label: str, noisy: Figures, clean: Figures) -> str:
    """One line of the table: the noisy figures, the clean time and the ratio."""
    sessions = f"{noisy.duplicates}/{noisy.missing}/{noisy.phantoms}"
    if not noisy.completed:  # nothing to time
        per, ratio = "-", "-"
    else:
        per = f"{noisy.per_completed_s * 1e3:.2f} ms"
        ratio = f"{noisy.per_completed_s / clean.per_completed_s:.0f}x"
    outage = "no" if noisy.connected_at_end and not noisy.failed_in_a_row_at_end else "YES"
    return (
        f"| {label} | {noisy.completed:,} / {noisy.requests:,} | {noisy.completion:.2%} "
        f"| {len(noisy.wrong)} | {noisy.sessions_reported} | {sessions} "
        f"| {noisy.links_lost} / {noisy.links_restored} | {outage} "
        f"| {noisy.tries / noisy.requests:.2f} | {per} "
        f"| {clean.per_completed_s * 1e3:.3f} ms | {ratio} |"
    )


def total(figures: list[Figures]) -> Figures:
    """The figures of several runs as one."""
    whole = Figures(connected_at_end=all(f.connected_at_end for f in figures))
    for f in figures:
        for name in (
            "requests",
            "completed",
            "sessions_reported",
            "duplicates",
            "missing",
            "phantoms",
            "links_lost",
            "links_restored",
            "failed_in_a_row_at_end",
            "tries",
            "seconds_completed",
            "seconds",
        ):
            setattr(whole, name, getattr(whole, name) + getattr(f, name))
        whole.failures += f.failures
        whole.wrong += f.wrong
    return whole


async def workload(requests: int, impairment: Impairment | None, timeout: float) -> Figures:
    """One run; a connection that fails is a run in which nothing completed."""
    try:
        return await run_workload(requests, impairment, timeout=timeout)
    except IRLinkError as exc:
        return Figures(requests=requests, failures=[f"connection: {exc}"])


async def measure(requests: int, seeds: int, timeout: float) -> list[Run]:
    """Each seed's noisy run, after its clean baseline."""
    runs = []
    for seed in range(NOISY.seed, NOISY.seed + seeds):
        clean = await workload(requests, None, timeout)
        noisy_link = Impairment(NOISY.corrupt_rate, NOISY.drop_rate, seed=seed)
        noisy = await workload(requests, noisy_link, timeout)
        runs.append(Run(seed, noisy, clean))
        print(f"seed {seed}: {noisy.completed}/{noisy.requests} in {noisy.seconds:.1f} s")
    return runs


@dataclass
class Connections:
    """First connections over the noisy link: how many were tried, and the failures."""

    tried: int = 0
    failed: list[str] = field(default_factory=list)


async def first_connections(count: int, timeout: float) -> Connections:
    """``count`` connections in a row, each a new Device with no history of the link.

    Over TCP (the pty server looks for a new host only every 50 ms), to a multiport
    whose log holds a full page of records, damaged as the workload is (seed 12).
    """
    sim = SimulatedDevice(unlimited(FAMILY))
    connections = Connections()
    async with TcpServer(sim) as tcp:
        async with irlink.connect(tcp.url, reconnect=None) as device:
            await device.configure(1, duration="10m")
            for session_id in range(1, 9):
                await device.start(1, session_id=session_id)
                await device.stop(1)
        sim.impair(NOISY)
        for _ in range(count):
            connections.tried += 1
            try:
                async with irlink.connect(tcp.url, timeout=timeout, reconnect=None):
                    pass
            except IRLinkError as exc:
                connections.failed.append(f"{type(exc).__name__}: {exc}")
    return connections


def report(runs: list[Run], timeout: float) -> None:
    """The table, in the form bench/RESULTS.md keeps it."""
    print(f"\n1 % of bytes flipped, 5 % of frames lost, both ways; {timeout * 1e3:g} ms a try")
    print(
        "| run | completed | rate | wrong | sessions reported | duplicates/missing/phantoms "
        "| links lost / restored | outage at end | tries sent a request | per completed request "
        "| clean link | noisy / clean |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for run in runs:
        print(row(f"seed {run.seed}", run.noisy, run.clean))
    print(
        row(
            "**all**",
            total([run.noisy for run in runs]),
            total([run.clean for run in runs]),
        )
    )
    for run in runs:
        for failure in run.noisy.failures + run.noisy.wrong:
            print(f"seed {run.seed}: {failure}")


def main() -> None:
    """Measure and print the figures for bench/RESULTS.md."""
    trust_this_run()  # the simulators are paired with this run (bench/factory.py)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests a run (2000)")
    parser.add_argument("--seeds", type=int, default=5, help="noisy runs, each seeded (5)")
    parser.add_argument("--timeout", type=float, default=0.01, help="seconds a try (0.01)")
    parser.add_argument("--connects", type=int, default=400, help="first connections to make (400)")
    args = parser.parse_args()
    load = OtherLoad()
    runs = asyncio.run(measure(args.requests, args.seeds, args.timeout))
    connections = asyncio.run(first_connections(args.connects, args.timeout))
    others = load.cores()
    uname = subprocess.run(["uname", "-a"], check=True, capture_output=True, text=True).stdout
    uname = uname.strip()
    print(f"\nmachine: {machine()}\nuname -a: {uname}")
    print(f"CPU used by everything else while this ran: {others:.2f} cores")
    if others > QUIET_CORES:
        print("WARNING: the machine was not quiet; the times are disturbed")
    report(runs, args.timeout)
    print(
        f"\nfirst connections over the same link: {connections.tried - len(connections.failed)}"
        f" of {connections.tried} made"
    )
    for failure in connections.failed:
        print(f"  {failure}")


if __name__ == "__main__":
    main()
