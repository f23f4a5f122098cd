"""Host library speed: status round trips over a pty, memory per device, 64 devices at 1 Hz.

    python bench/bench_host.py [--rounds N] [--calls N] [--devices K] [--poll-seconds S]
                               [--quick] [--profile CALLS]

1. ``await device.status()`` over a pty to ``irlink sim serve waistband --pty`` in another
   process, against two baselines measured in the same run, each also through a pty to a
   server in another process (see bench_host_servers.py):
   A. raw echo: a blocking pyserial client writes the get_status request's byte count and
      reads the response's byte count back from a server that only counts bytes;
      target: irlink's median within 2x of it;
   B. pymodbus: an async RTU serial client reads 16 holding registers from a pymodbus
      serial server; target: irlink faster (ratio of medians under 1).
   Two more rows say where irlink's time goes: the least an asyncio client takes to the
   same echo server (the port opened by pyserial, its fd read and written on the loop, as
   irlink's serial transport does), and irlink against a device
   reduced to its codec (no simulated firmware). All run in interleaved rounds, each
   warmed up first; latency per call, with this process's CPU per call.
2. Memory per connected device: K devices connected to K simulators served by one
   ``irlink sim serve`` process; RSS growth, then tracemalloc's traced bytes after gc.
3. Those K devices polled with ``status()`` at 1 Hz: this process's CPU time (user +
   system, simulator excluded) over wall time, and every poll's outcome.
With ``--profile CALLS`` it only profiles CALLS status round trips (cProfile, this side).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import serial

import irlink
from bench_host_fleet import Memory, Polling, memory_and_polling
from bench_host_proc import OtherLoad, machine, served
from irlink.protocol import HostCodec, decode_body, encode_message
from irlink.protocol.messages import GetStatusRequest, GetStatusResponse
from irlink.sim import ManualClock, SimulatedDevice

try:
    from pymodbus import FramerType
    from pymodbus.client import AsyncModbusSerialClient
except ImportError:
    sys.exit("bench_host needs pymodbus for its baseline: pip install pymodbus==3.16.1")

SERVERS = str(Path(__file__).with_name("bench_host_servers.py"))
REGISTERS = 16
BAUDRATE = 115200  # a pty ignores it; given so that no library paces frames by it
WARM_UP = 200  # round trips before each timed round, at least
# The kernel's own pty work (flush_to_ldisc in kworkers) reads as others: about 0.1 core.
QUIET_CORES = 0.25
# The simulators speak IRLink 1.1, plain frames, as for the figures in RESULTS.md: the raw
# pyserial host here speaks plain frames, and the library is compared with it alike.
PLAIN = ["--protocol", "1.1"]


def frames() -> tuple[bytes, bytes]:
    """A get_status request frame and a waistband's get_status response frame."""
    _, request = HostCodec().request(GetStatusRequest())
    device = SimulatedDevice("waistband", clock=ManualClock())
    assert device.firmware is not None
    response = decode_body(GetStatusResponse, device.firmware.status_body())
    return request, encode_message(response, 1)


def irlink_command() -> str:
    """The ``irlink`` script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("irlink")
    return str(beside) if beside.exists() else shutil.which("irlink") or "irlink"


@dataclass
class Subject:
    """One kind of round trip, and the latencies (ns) of its timed rounds."""

    label: str
    sizes: str  # bytes out / bytes in
    call: Callable[[], Any]  # a round trip; a coroutine function when ``aio``
    aio: bool = True
    rounds: list[list[int]] = field(default_factory=list)
    cpu_ns: int = 0

    async def run(self, n: int, *, keep: bool = True) -> None:
        clock, call, times = time.perf_counter_ns, self.call, []
        cpu = time.process_time_ns()
        for _ in range(n):
            start = clock()
            if self.aio:
                await call()
            else:
                call()
            times.append(clock() - start)
        if keep:
            self.cpu_ns += time.process_time_ns() - cpu
            self.rounds.append(times)

    @property
    def calls(self) -> list[int]:
        return [t for r in self.rounds for t in r]

    @property
    def median(self) -> float:
        return statistics.median(self.calls)

    @property
    def best_round(self) -> float:
        """The median of the least-disturbed round."""
        return min(statistics.median(r) for r in self.rounds)

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.calls, n=100)[p - 1]


class _Counted:
    """Completes ``waiter`` once ``size`` bytes have come: the least an asyncio client does."""

    def __init__(self, size: int) -> None:
        self.size, self.pending = size, 0
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.pending += len(data)
        if self.pending >= self.size and self.waiter is not None:
            self.pending -= self.size
            self.waiter.set_result(None)


async def round_trips(
    paths: dict[str, str], request: bytes, reply: bytes, rounds: int, calls: int
) -> list[Subject]:
    """Interleaved rounds of every subject, each round warmed up first."""
    loop = asyncio.get_running_loop()
    async with AsyncExitStack() as stack:
        raw = serial.Serial(paths["echo"], BAUDRATE, timeout=1.0, exclusive=True)
        stack.callback(raw.close)

        def raw_once() -> None:
            raw.write(request)
            if len(raw.read(len(reply))) != len(reply):
                raise RuntimeError("the echo server did not answer")

        counted = _Counted(len(reply))
        floor = serial.Serial(paths["echo2"], BAUDRATE, timeout=0, exclusive=True)
        stack.callback(floor.close)
        fd = floor.fileno()
        loop.add_reader(fd, lambda: counted.data_received(os.read(fd, 4096)))
        stack.callback(loop.remove_reader, fd)

        async def asyncio_once() -> None:
            counted.waiter = loop.create_future()
            os.write(fd, request)
            await counted.waiter

        client = AsyncModbusSerialClient(
            port=paths["modbus"], framer=FramerType.RTU, baudrate=BAUDRATE, timeout=1.0, retries=0
        )
        stack.callback(client.close)
        if not await client.connect():
            raise RuntimeError(f"pymodbus could not open {paths['modbus']}")

        async def modbus_once() -> None:
            answer = await client.read_holding_registers(address=0, count=REGISTERS)
            if answer.isError() or len(answer.registers) != REGISTERS:
                raise RuntimeError(f"pymodbus answered {answer}")

        codec_only = await stack.enter_async_context(
            irlink.connect(paths["device"], reconnect=None)
        )
        simulated = await stack.enter_async_context(irlink.connect(paths["sim"], reconnect=None))
        size = f"{len(request)}/{len(reply)}"
        subjects = [
            Subject("A. raw echo: blocking pyserial, echo server", size, raw_once, aio=False),
            Subject("asyncio floor: the port's fd on the loop, echo server", size, asyncio_once),
            Subject("irlink `status()`, codec-only device", size, codec_only.status),
            Subject("**irlink `status()`, simulator**", size, simulated.status),
            Subject("B. pymodbus RTU `read_holding_registers(16)`", "8/37", modbus_once),
        ]
        for _ in range(rounds):
            for subject in subjects:
                await subject.run(max(WARM_UP, calls // 3), keep=False)
                await subject.run(calls)
    return subjects


def paired(subject: Subject, baseline: Subject) -> float:
    """The median over rounds of subject / baseline, each round's medians: side by side in time."""
    return statistics.median(
        statistics.median(ours) / statistics.median(theirs)
        for ours, theirs in zip(subject.rounds, baseline.rounds, strict=True)
    )


def report(subjects: list[Subject], memory: Memory, polling: Polling) -> None:
    """The tables and verdicts, in the form bench/RESULTS.md keeps them."""
    echo, _, _, ours, modbus = subjects
    per_round = len(ours.rounds[0])
    print(f"\nround trips: {len(ours.rounds)} interleaved rounds of {per_round} calls each")
    print(
        "| | bytes out/in | median | best round | p90 | p99 | CPU here "
        "| vs echo: medians | best rounds | round by round |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for s in subjects:
        print(
            f"| {s.label} | {s.sizes} | {s.median / 1e3:.0f} µs | {s.best_round / 1e3:.0f} µs "
            f"| {s.percentile(90) / 1e3:.0f} µs | {s.percentile(99) / 1e3:.0f} µs "
            f"| {s.cpu_ns / len(s.calls) / 1e3:.0f} µs | {s.median / echo.median:.2f}x "
            f"| {s.best_round / echo.best_round:.2f}x | {paired(s, echo):.2f}x |"
        )
    targets = (
        ("within 2x of raw echo", echo, ours.median <= 2 * echo.median),
        ("faster than pymodbus", modbus, ours.median < modbus.median),
    )
    for target, baseline, met in targets:
        print(
            f"target irlink {target}: {ours.median / baseline.median:.2f}x (medians), "
            f"{ours.best_round / baseline.best_round:.2f}x (best rounds), "
            f"{paired(ours, baseline):.2f}x (round by round): "
            f"{'met' if met else 'NOT met'} on the medians"
        )
    print(
        f"\nmemory per connected device ({memory.devices} devices): "
        f"tracemalloc {memory.traced_per_device / 1024:.1f} KiB, "
        f"RSS {memory.rss_per_device / 1024:.1f} KiB"
    )
    print(
        f"{memory.devices} devices polled at 1 Hz for {polling.seconds:.1f} s: "
        f"{polling.polls} polls, {polling.failures} failed; latency median "
        f"{polling.median_ms:.2f} ms, max {polling.max_ms:.2f} ms; this process "
        f"{polling.cpu_share:.2%} of one core ({polling.cpu_per_poll_us:.0f} µs a poll); "
        f"the simulator process (not counted) {polling.simulator_cpu_share:.1%}"
    )


async def profile(calls: int) -> None:
    """cProfile of ``calls`` status round trips to a simulator, on this side of the pty."""
    profiler = cProfile.Profile()
    with served([irlink_command(), "sim", "serve", "waistband", "--pty", *PLAIN], 1) as (_, (sim,)):
        async with irlink.connect(sim, reconnect=None) as device:
            for _ in range(WARM_UP):
                await device.status()
            profiler.enable()
            for _ in range(calls):
                await device.status()
            profiler.disable()
    stats = pstats.Stats(profiler)
    functions = stats.get_stats_profile().func_profiles
    loops = int(functions["_run_once"].ncalls) if "_run_once" in functions else 0
    print(f"{loops / calls:.1f} event-loop iterations per status() round trip")
    stats.sort_stats("tottime").print_stats(25)


async def run(args: argparse.Namespace) -> None:
    """Every measurement, then the report."""
    if args.profile:
        await profile(args.profile)
        return
    load = OtherLoad()
    request, reply = frames()
    sim, python = irlink_command(), sys.executable
    fleet = [sim, "sim", "serve", *["waistband"] * args.devices, "--pty", *PLAIN]
    with served(fleet, args.devices) as (simulator, paths):
        memory, polling = await memory_and_polling(paths, simulator.pid, args.poll_seconds)
    commands = {
        "echo": [python, SERVERS, "echo", str(len(request)), reply.hex()],
        "echo2": [python, SERVERS, "echo", str(len(request)), reply.hex()],
        "device": [python, SERVERS, "device"],
        "sim": [sim, "sim", "serve", "waistband", "--pty", *PLAIN],
        "modbus": [python, SERVERS, "modbus", str(REGISTERS)],
    }
    with ExitStack() as servers:
        ends = {name: servers.enter_context(served(c, 1))[1][0] for name, c in commands.items()}
        subjects = await round_trips(ends, request, reply, args.rounds, args.calls)
    others = load.cores()
    print(f"machine: {machine()}")
    print(f"CPU used by everything else while this ran: {others:.2f} cores")
    if others > QUIET_CORES:
        print("WARNING: the machine was not quiet; the figures are disturbed")
    report(subjects, memory, polling)


def main() -> None:
    """Run every measurement and print the figures for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (20)")
    parser.add_argument("--calls", type=int, default=500, help="timed round trips a round (500)")
    parser.add_argument("--devices", type=int, default=64, help="devices connected at once (64)")
    parser.add_argument("--poll-seconds", type=int, default=20, help="1 Hz polling window (20)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, 200 calls, 5 s polling")
    parser.add_argument("--profile", type=int, metavar="CALLS", help="only profile CALLS calls")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls, args.poll_seconds = 5, 200, 5
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
