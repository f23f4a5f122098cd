"""Many devices from one process, for bench_host.py: memory per device, 1 Hz polling.

The devices are simulators served by one ``irlink sim serve`` process; this process only
holds the host's side, so what is measured here is the host library.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc
from contextlib import AsyncExitStack
from dataclasses import dataclass

import irlink
from bench_host_proc import child_cpu_s, cpu_s, rss_bytes

REOPEN_TRIES, REOPEN_WAIT_S = 40, 0.05


@dataclass
class Memory:
    """Growth per connected device: resident set, and the bytes tracemalloc traced."""

    devices: int
    rss_per_device: float
    traced_per_device: float


@dataclass
class Polling:
    """Every device's status read once a second: outcomes and this process's CPU."""

    seconds: float
    polls: int
    failures: int
    cpu_share: float  # of one core
    cpu_per_poll_us: float
    median_ms: float
    max_ms: float
    simulator_cpu_share: float  # for context; not part of the host's figure


async def connect_again(stack: AsyncExitStack, path: str) -> irlink.Device:
    """Connect to ``path``, kept open until ``stack`` closes, even if just closed here.

    irlink's close returns before pyserial-asyncio-fast has closed the port (it does that
    in an executor), and until it has, the port's exclusive lock reads as "in use".
    """
    for _ in range(REOPEN_TRIES - 1):
        try:
            return await stack.enter_async_context(irlink.connect(path, reconnect=None))
        except irlink.ConnectError:
            await asyncio.sleep(REOPEN_WAIT_S)
    return await stack.enter_async_context(irlink.connect(path, reconnect=None))


async def memory_and_polling(
    paths: list[str], simulator_pid: int, seconds: int
) -> tuple[Memory, Polling]:
    """Bytes per connected device (RSS, then traced), then every device polled at 1 Hz."""
    async with AsyncExitStack() as stack:
        device = await connect_again(stack, paths[0])
        await device.status()  # first-use costs (imports, caches) are not per device
    gc.collect()
    before = rss_bytes()
    async with AsyncExitStack() as stack:
        for path in paths:
            await connect_again(stack, path)
        gc.collect()
        rss = (rss_bytes() - before) / len(paths)
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    async with AsyncExitStack() as stack:
        devices = [await connect_again(stack, path) for path in paths]
        gc.collect()
        traced = (tracemalloc.get_traced_memory()[0] - start) / len(paths)
        tracemalloc.stop()
        polling = await poll(devices, simulator_pid, seconds)
    return Memory(len(paths), rss, traced), polling


async def poll(devices: list[irlink.Device], simulator_pid: int, seconds: int) -> Polling:
    """``status()`` of every device once a second, all at each tick, for ``seconds``."""

    async def one(device: irlink.Device) -> int:
        start = time.perf_counter_ns()
        await device.status()
        return time.perf_counter_ns() - start

    latencies: list[int] = []
    failures = 0
    gc.collect()
    cpu, sim_cpu, start = cpu_s(), child_cpu_s(simulator_pid), time.perf_counter()
    for tick in range(seconds):
        await asyncio.sleep(max(0.0, start + tick - time.perf_counter()))
        for outcome in await asyncio.gather(*map(one, devices), return_exceptions=True):
            if isinstance(outcome, int):
                latencies.append(outcome)
            else:
                failures += 1
    await asyncio.sleep(max(0.0, start + seconds - time.perf_counter()))
    wall = time.perf_counter() - start
    cpu, sim_cpu = cpu_s() - cpu, child_cpu_s(simulator_pid) - sim_cpu
    polls = len(latencies) + failures
    return Polling(
        seconds=wall,
        polls=polls,
        failures=failures,
        cpu_share=cpu / wall,
        cpu_per_poll_us=cpu / polls * 1e6,
        median_ms=statistics.median(latencies) / 1e6 if latencies else float("nan"),
        max_ms=max(latencies) / 1e6 if latencies else float("nan"),
        simulator_cpu_share=sim_cpu / wall,
    )
