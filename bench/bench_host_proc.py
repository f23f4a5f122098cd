"""What bench_host.py reads about processes and the machine: CPU time, memory, load.

Linux only: it reads /proc.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

START_S = 30.0  # a server that has not printed its addresses by then has failed
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(command: list[str], count: int) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start a server process, read its ``count`` pty paths (last word of each line), stop it."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    watchdog = threading.Timer(START_S, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().split()[-1:] for _ in range(count)]
        watchdog.cancel()
        if not all(lines) or process.poll() is not None:
            raise RuntimeError(f"{' '.join(command[:4])} did not start (exit {process.poll()})")
        yield process, [line[0] for line in lines]
    finally:
        watchdog.cancel()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_s() -> float:
    """This process's CPU time, user and system, all threads; children excluded."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_cpu_s(pid: int) -> float:
    """A running child's CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S


def rss_bytes() -> int:
    """Resident set size of this process."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def machine() -> str:
    """CPU model, cores, memory, Python and the date, for RESULTS.md."""
    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{models[0] if models else platform.processor()} ({platform.machine()}), "
        f"{os.cpu_count()} cores, {mem_kib / 2**20:.0f} GiB, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def _busy_s() -> float:
    """CPU time every core has spent on anything but idling, since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) * TICK_S


def _ours_s() -> float:
    """CPU time of this process and of every child it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return cpu_s() + children.ru_utime + children.ru_stime


@dataclass
class OtherLoad:
    """How busy everything else kept the machine while the benchmark ran (in cores).

    Read it after every server has been waited for, so their CPU time counts as ours.
    Kernel workers moving pty bytes count as others: a quiet machine reads about 0.01.
    """

    start: tuple[float, float, float] = field(
        default_factory=lambda: (time.perf_counter(), _busy_s(), _ours_s())
    )

    def cores(self) -> float:
        wall, busy, ours = self.start
        return ((_busy_s() - busy) - (_ours_s() - ours)) / (time.perf_counter() - wall)
