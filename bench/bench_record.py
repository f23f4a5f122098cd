"""Session log: what recording costs a fleet of devices, and how large the log grows (issue 13).

    python bench/bench_record.py [--devices N] [--span S] [--pairs P] [--rounds R]
                                 [--sessions K] [--quick] [--profile]

1. Fleet: N simulated multiport devices (2 ports each) on real time, each reached over
   the simulator's in-process link through irlink's real front end (a Transport, the
   codec, :class:`irlink.Device`), subscribed at ``status_period=1 s`` with a session
   running on both ports, every device recorded by the real DeviceRecorder into one
   SessionLog. The simulators run in this process too, so the cost of recording is
   measured two ways over the same devices: (a) the time spent inside the journal calls
   (thread CPU time and wall time, every call wrapped); (b) this process's CPU time over
   spans with the recorders attached against spans with them detached (``device.journal``
   set to None), in interleaved pairs. Latency: from the moment a status frame's bytes
   reached the host (the simulator handed them to the link; they wait on the event loop
   as a serial port's bytes would) to the end of its COMMIT, every pushed sample.
   Each recorder is first given a share of unpacked samples (device i: i * 599 / N), so
   that its connections pack a chunk every 600 samples at the steady-state rate, not
   never as they would in the first ten minutes.
2. Recorder against its baseline: the statuses recorded in 1, replayed into a fresh log
   through a DeviceRecorder per device, against the floor measured in the same run:
   plain ``sqlite3`` with the same rows (parameters made beforehand) in the same
   transactions (BEGIN IMMEDIATE; the sample row; ``executemany`` of its port rows;
   COMMIT) into a fresh log of the same schema and pragmas. Interleaved rounds, best and
   median, time per sample. Target: the recorder within 2x.
3. Size: 30-minute sessions on both ports of one multiport device, 1 Hz status pushes on
   a ManualClock through the same Device and recorder, one connection a session (connect,
   start, 1,800 pushes, the end, close); the file's bytes after each session with the WAL
   checkpointed (TRUNCATE). Once as shipped (packed into chunks), once with packing
   switched off (raw rows). Per session-hour and a year of daily 30-minute sessions.
With ``--profile`` it only profiles one replay round of the recorder (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from bench_host_proc import OtherLoad, cpu_s, machine
from irlink.device import Device
from irlink.errors import TransportError
from irlink.events import DeviceEvent
from irlink.journal import Command
from irlink.model import Info, Status, UsageRecord
from irlink.record import SessionLog
from irlink.record import recorder as recorder_module
from irlink.record.recorder import DeviceRecorder
from irlink.record.samples import CHUNK, INSERT_PORT, INSERT_SAMPLE, rows_of
from irlink.sim import ManualClock, RealClock, SimulatedDevice
from irlink.sim.link import Link
from irlink.transport.base import Transport

FAMILY = "multiport"  # 2 ports
SESSION = {"duration": "30m", "intensity": 1, "mode": "pulsed", "pulse_hz": 73}
SESSION_S = 1800
CPU_TARGET = 0.10  # of one core
P99_TARGET_MS = 50.0
RATIO_TARGET = 2.0
YEAR_TARGET = 50 * 2**20
MiB = 2**20

# The loop time (perf_counter_ns) at which the bytes being handed to a Device arrived;
# 0 outside a delivery. One event loop, one thread: what the journal sees is this frame's.
arrived_ns = 0


class PipeTransport(Transport):
    """irlink's Transport over a simulator's in-process link: no fd, no thread, no pty.

    Bytes the device sends are handed to the event loop (``call_soon``), stamped with the
    moment they arrived, and read from there, as a serial port's reader reads its fd.
    """

    def __init__(self, sim: SimulatedDevice) -> None:
        super().__init__(f"pipe://{sim.serial}")
        self._sim = sim
        self._link: Link | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.frames = 0

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._link = self._sim.open_link(self._arrived, self._down)

    def _arrived(self, data: bytes) -> None:
        assert self._loop is not None
        self._loop.call_soon(self._take, data, time.perf_counter_ns())

    def _take(self, data: bytes, at_ns: int) -> None:
        global arrived_ns  # noqa: PLW0603  (one loop: the frame being handled)
        self.frames += 1
        arrived_ns = at_ns
        try:
            self._deliver(data)
        finally:
            arrived_ns = 0

    def _down(self) -> None:
        self._went_down(TransportError(f"{self.address}: the simulator cut the link"))

    async def write(self, data: bytes) -> None:
        self._check_open()
        assert self._link is not None
        self._link.write(data)

    def try_write(self, data: bytes) -> bool:
        if self.closed.is_set() or self._link is None:
            return False
        self._link.write(data)
        return True

    async def close(self) -> None:
        if self._link is not None:
            self._link.close()
        await super().close()


def connector(sim: SimulatedDevice, opened: list[PipeTransport]) -> Callable[[], Any]:
    async def open_pipe() -> Transport:
        transport = PipeTransport(sim)
        await transport.open()
        opened.append(transport)
        return transport

    return open_pipe


@dataclass
class Meter:
    """What the journal calls cost while ``on``: counts, wall and thread CPU time, latency."""

    on: bool = False
    calls: int = 0
    wall_ns: int = 0
    cpu_ns: int = 0
    samples: int = 0
    sample_wall: list[int] = field(default_factory=list)  # per status call
    latency: list[int] = field(default_factory=list)  # arrival to commit, pushed samples
    unstamped: int = 0
    captured: list[tuple[int, Status, bool]] = field(default_factory=list)

    def reset(self) -> None:
        self.calls = self.wall_ns = self.cpu_ns = self.samples = self.unstamped = 0
        self.sample_wall.clear()
        self.latency.clear()


class Timed:
    """A DeviceRecorder with every journal call timed (a :class:`irlink.journal.Journal`)."""

    def __init__(self, inner: DeviceRecorder, meter: Meter, index: int) -> None:
        self.inner, self.meter, self.index = inner, meter, index

    @property
    def log_from(self) -> int | None:
        return self.inner.log_from

    def _timed(self, call: Callable[[], None]) -> int:
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        call()
        end_cpu, end = time.thread_time_ns(), time.perf_counter_ns()
        meter = self.meter
        if meter.on:
            meter.calls += 1
            meter.wall_ns += end - wall
            meter.cpu_ns += end_cpu - cpu
        return end - wall

    def status(self, status: Status, *, pushed: bool) -> None:
        arrived = arrived_ns
        took = self._timed(lambda: self.inner.status(status, pushed=pushed))
        meter = self.meter
        if meter.on:
            meter.samples += 1
            meter.sample_wall.append(took)
            meter.captured.append((self.index, status, pushed))
            if pushed and arrived:
                meter.latency.append(time.perf_counter_ns() - arrived)
            elif pushed:
                meter.unstamped += 1

    def linked(self, info: Info) -> None:
        self._timed(lambda: self.inner.linked(info))

    def event(self, event: DeviceEvent) -> None:
        self._timed(lambda: self.inner.event(event))

    def command(self, command: Command) -> None:
        self._timed(lambda: self.inner.command(command))

    def usage(self, records: Sequence[UsageRecord]) -> None:
        self._timed(lambda: self.inner.usage(records))

    def closed(self, reason: str) -> None:
        self._timed(lambda: self.inner.closed(reason))


def prefill(recorder: DeviceRecorder, status: Status, count: int) -> None:
    """Give ``recorder``'s connection ``count`` unpacked samples, as after a while of recording.

    One transaction; the recorder's count of unpacked samples is set to match, so it
    packs its next chunk when a connection that had recorded them would.
    """
    device, ports = rows_of(status)
    connection = recorder.connection_id
    at = time.time_ns() // 1_000_000

    def work(db: Any) -> None:
        for _ in range(count):
            sample = db.execute(INSERT_SAMPLE, (connection, at, 0, 1, *device))
            db.executemany(INSERT_PORT, [(sample.lastrowid, *port) for port in ports])

    recorder.log.write("samples", work)
    recorder._raw += count


def share(index: int, devices: int) -> int:
    """Device ``index``'s unpacked samples to start with: phases spread over a chunk."""
    return index * (CHUNK - 1) // devices


# 1. The fleet.


@dataclass
class Span:
    recording: bool
    wall_s: float
    cpu_s: float
    frames: int
    samples: int
    journal_cpu_s: float
    journal_wall_s: float


@dataclass
class Fleet:
    devices: int
    spans: list[Span]
    latency_ms: list[float]
    call_ms: list[float]
    unstamped: int
    packs: int
    infos: list[Info]
    first: list[Status]
    captured: list[tuple[int, Status, bool]]
    lost: int


async def start_device(
    sim: SimulatedDevice, index: int, log: SessionLog, meter: Meter, opened: list[PipeTransport]
) -> tuple[Device, Timed]:
    address = f"sim://{FAMILY}?serial={sim.serial}"
    journal = Timed(log.journal(address), meter, index)
    device = Device(
        connector(sim, opened), address=address, reconnect=None, status_period=1, journal=journal
    )
    await device.__aenter__()
    for port in (1, 2):
        await device.configure(port, **SESSION)
    await device.start(0)
    return device, journal


async def fleet(count: int, span_s: float, pairs: int, folder: Path) -> Fleet:
    """Every device connected and recording, then spans with and without the recorders."""
    meter = Meter()
    log = SessionLog.open(folder / "fleet.db")
    sims = [SimulatedDevice(FAMILY, clock=RealClock(1), serial=f"B{i:04d}") for i in range(count)]
    running = [asyncio.ensure_future(sim.run()) for sim in sims]
    opened: list[PipeTransport] = []
    devices: list[Device] = []
    journals: list[Timed] = []
    try:
        for i, sim in enumerate(sims):
            device, journal = await start_device(sim, i, log, meter, opened)
            devices.append(device)
            journals.append(journal)
        first = [await device.status() for device in devices]
        for i, journal in enumerate(journals):
            prefill(journal.inner, first[i], share(i, count))
        chunks_before = log.db.execute("SELECT count(*) FROM sample_chunks").fetchone()[0]
        await asyncio.sleep(2)  # every subscription settled into its 1 s rhythm
        spans: list[Span] = []
        latency: list[int] = []
        call: list[int] = []
        unstamped = 0
        for pair in range(pairs):
            for recording in (True, False) if pair % 2 == 0 else (False, True):
                for device, journal in zip(devices, journals, strict=True):
                    device.journal = journal if recording else None
                await asyncio.sleep(0.5)  # frames already on their way land in the old mode
                meter.reset()
                meter.on = recording
                frames = sum(t.frames for t in opened)
                gc.collect()
                cpu, wall = cpu_s(), time.perf_counter()
                await asyncio.sleep(span_s)
                wall, cpu = time.perf_counter() - wall, cpu_s() - cpu
                meter.on = False
                spans.append(
                    Span(
                        recording,
                        wall,
                        cpu,
                        sum(t.frames for t in opened) - frames,
                        meter.samples,
                        meter.cpu_ns / 1e9,
                        meter.wall_ns / 1e9,
                    )
                )
                latency += meter.latency
                call += meter.sample_wall
                unstamped += meter.unstamped
        for device, journal in zip(devices, journals, strict=True):
            device.journal = journal
        packs = log.db.execute("SELECT count(*) FROM sample_chunks").fetchone()[0] - chunks_before
        infos = [device.info for device in devices]
    finally:
        for device in devices:
            await device.close()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        lost = sum(log.lost.values())
        log.close()
    return Fleet(
        count,
        spans,
        [ns / 1e6 for ns in latency],
        [ns / 1e6 for ns in call],
        unstamped,
        packs,
        infos,
        first,
        meter.captured,
        lost,
    )


# 2. The recorder against plain sqlite3.


def fresh_log(folder: Path, name: str, infos: Sequence[Info]) -> tuple[SessionLog, list[Any]]:
    """A new log with one device and connection per info (not timed), prefilled as in 1."""
    path = folder / name
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    log = SessionLog.open(path)
    recorders = []
    for i, info in enumerate(infos):
        recorder = log.journal(f"sim://{FAMILY}?serial=B{i:04d}")
        recorder.linked(info)
        recorders.append(recorder)
    return log, recorders


def recorder_round(
    folder: Path, infos: Sequence[Info], first: Sequence[Status], captured: Sequence[Any]
) -> float:
    """ns per sample: the captured statuses through a DeviceRecorder per device."""
    log, recorders = fresh_log(folder, "replay.db", infos)
    for i, recorder in enumerate(recorders):
        prefill(recorder, first[i], share(i, len(recorders)))
    gc.collect()
    start = time.perf_counter_ns()
    for index, status, pushed in captured:
        recorders[index].status(status, pushed=pushed)
    took = time.perf_counter_ns() - start
    assert not log.lost, log.lost
    log.close()
    return took / len(captured)


def baseline_rows(captured: Sequence[Any]) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """What the recorder writes for each captured status (connection ids as in fresh_log)."""
    at = time.time_ns() // 1_000_000
    rows = []
    for n, (index, status, pushed) in enumerate(captured):
        device, ports = rows_of(status)
        rows.append(((index + 1, at + n, n, int(pushed), *device), ports))
    return rows


def baseline_round(
    folder: Path, infos: Sequence[Info], first: Sequence[Status], rows: Sequence[Any]
) -> float:
    """ns per sample: plain sqlite3, the same rows in the same transactions."""
    log, recorders = fresh_log(folder, "baseline.db", infos)
    for i, recorder in enumerate(recorders):
        prefill(recorder, first[i], share(i, len(recorders)))
    db = log.db
    gc.collect()
    start = time.perf_counter_ns()
    for sample, ports in rows:
        db.execute("BEGIN IMMEDIATE")
        sample_id = db.execute(INSERT_SAMPLE, sample).lastrowid
        db.executemany(INSERT_PORT, [(sample_id, *port) for port in ports])
        db.execute("COMMIT")
    took = time.perf_counter_ns() - start
    log.close()
    return took / len(rows)


@dataclass
class Replay:
    samples: int
    recorder_ns: list[float]
    baseline_ns: list[float]


def replay(folder: Path, found: Fleet, rounds: int) -> Replay:
    rows = baseline_rows(found.captured)
    recorder_ns: list[float] = []
    baseline_ns: list[float] = []
    for r in range(rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        for ours in order:
            if ours:
                recorder_ns.append(recorder_round(folder, found.infos, found.first, found.captured))
            else:
                baseline_ns.append(baseline_round(folder, found.infos, found.first, rows))
    return Replay(len(rows), recorder_ns, baseline_ns)


# 3. Size.


async def one_session(sim: SimulatedDevice, clock: ManualClock, log: SessionLog) -> None:
    """Connect, start both ports for 30 minutes, 1 Hz pushes until it ends, close."""
    address = f"sim://{FAMILY}?serial={sim.serial}"
    device = Device(
        connector(sim, []),
        address=address,
        reconnect=None,
        status_period=1,
        journal=log.journal(address),
    )
    await device.__aenter__()
    try:
        for port in (1, 2):
            await device.configure(port, **SESSION)
        await device.start(0)
        for _ in range(SESSION_S + 2):
            clock.advance(1)
            for _ in range(3):  # the pushed frame is read and recorded
                await asyncio.sleep(0)
        await device.status()
    finally:
        await device.close()


def file_bytes(log: SessionLog) -> tuple[int, int]:
    """The file's size with the WAL checkpointed into it, and the bytes of its free pages."""
    log.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    free = log.db.execute("PRAGMA freelist_count").fetchone()[0]
    size = log.db.execute("PRAGMA page_size").fetchone()[0]
    return os.path.getsize(log.path), free * size


@dataclass
class Size:
    packed: bool
    after: list[int]  # file bytes after each session
    free: list[int]
    samples: int
    chunks: int


async def size(folder: Path, sessions: int, *, packed: bool) -> Size:
    path = folder / ("size-packed.db" if packed else "size-raw.db")
    clock = ManualClock()
    sim = SimulatedDevice(FAMILY, clock=clock, serial="S0001")
    after: list[int] = []
    free: list[int] = []
    unpacked = mock.patch.multiple(recorder_module, CHUNK=2**62, pack=lambda *_a, **_k: 0)
    with nullcontext() if packed else unpacked, SessionLog.open(path) as log:
        for _ in range(sessions):
            await one_session(sim, clock, log)
            clock.advance(86_400 - SESSION_S - 2)  # the next day's session
            total, unused = file_bytes(log)
            after.append(total)
            free.append(unused)
        samples = log.db.execute("SELECT count(*) FROM samples").fetchone()[0]
        chunked = log.db.execute("SELECT coalesce(sum(count), 0) FROM sample_chunks").fetchone()[0]
        chunks = log.db.execute("SELECT count(*) FROM sample_chunks").fetchone()[0]
        assert not log.lost, log.lost
    return Size(packed, after, free, samples + chunked, chunks)


# Report.


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report_fleet(found: Fleet) -> float:
    on = [s for s in found.spans if s.recording]
    off = [s for s in found.spans if not s.recording]
    wall_on = sum(s.wall_s for s in on)
    samples = sum(s.samples for s in on)
    inside = sum(s.journal_cpu_s for s in on) / wall_on
    inside_wall = sum(s.journal_wall_s for s in on) / wall_on
    share_on = sum(s.cpu_s for s in on) / wall_on
    share_off = sum(s.cpu_s for s in off) / sum(s.wall_s for s in off)
    print(f"\n1. Fleet: {found.devices} {FAMILY} devices (2 ports, both running), 1 Hz pushes")
    print("| span | recording | wall | process CPU | share of a core | frames/s | samples/s |")
    print("|--:|---|--:|--:|--:|--:|--:|")
    for n, s in enumerate(found.spans, 1):
        print(
            f"| {n} | {'yes' if s.recording else 'no'} | {s.wall_s:.1f} s | {s.cpu_s:.2f} s | "
            f"{s.cpu_s / s.wall_s:.1%} | {s.frames / s.wall_s:.0f} | {s.samples / s.wall_s:.0f} |"
        )
    difference = share_on - share_off
    print(f"samples recorded in the recording spans: {samples:,} ({samples / wall_on:.0f}/s)")
    print(
        f"(a) inside the journal calls: thread CPU {inside:.2%} of a core "
        f"({sum(s.journal_cpu_s for s in on) / samples * 1e6:.0f} µs a sample), wall "
        f"{inside_wall:.2%}"
    )
    print(
        f"(b) process CPU with the recorders {share_on:.1%}, without {share_off:.1%}: "
        f"recording costs {difference:.2%} of a core "
        f"({difference * wall_on / samples * 1e6:.0f} µs a sample)"
    )
    worse = max(inside, difference)
    print(f"    target at most {CPU_TARGET:.0%} of one core: {verdict(worse <= CPU_TARGET)}")
    lat = found.latency_ms
    print(
        f"arrival to commit, {len(lat):,} pushed samples: p50 {pct(lat, 0.5):.2f} ms, "
        f"p99 {pct(lat, 0.99):.2f} ms, max {max(lat):.2f} ms "
        f"(unstamped: {found.unstamped}); target p99 under {P99_TARGET_MS:.0f} ms: "
        f"{verdict(pct(lat, 0.99) < P99_TARGET_MS)}"
    )
    calls = found.call_ms
    print(
        f"the journal's status call alone: p50 {pct(calls, 0.5):.3f} ms, "
        f"p99 {pct(calls, 0.99):.3f} ms, max {max(calls):.2f} ms; chunks packed meanwhile: "
        f"{found.packs}; writes lost: {found.lost}"
    )
    return inside


def report_replay(result: Replay) -> None:
    rec, base = result.recorder_ns, result.baseline_ns
    print(f"\n2. Recorder vs plain sqlite3, {result.samples:,} samples a round, {len(rec)} rounds")
    print("| | best | median | ratio (best) | ratio (median) |")
    print("|---|--:|--:|--:|--:|")
    print(
        f"| plain sqlite3 (baseline) | {min(base) / 1e3:.1f} µs | "
        f"{statistics.median(base) / 1e3:.1f} µs | 1.00x | 1.00x |"
    )
    best = min(rec) / min(base)
    median = statistics.median(rec) / statistics.median(base)
    print(
        f"| DeviceRecorder.status | {min(rec) / 1e3:.1f} µs | "
        f"{statistics.median(rec) / 1e3:.1f} µs | {best:.2f}x | {median:.2f}x |"
    )
    print(f"target within {RATIO_TARGET:.0f}x: {verdict(median <= RATIO_TARGET)}")


def report_size(raw: Size, packed: Size) -> None:
    print("\n3. Size: one multiport device, both ports, daily 30-minute sessions, 1 Hz")
    print(
        "| stored | file after 1 session | after 2 (a session-hour) | used bytes a further "
        "session-hour | samples | chunks | free pages at end | a year (365 x 0.5 h) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for s in (raw, packed):
        sessions = len(s.after)
        used = [total - free for total, free in zip(s.after, s.free, strict=True)]
        per_session = (used[-1] - used[0]) / (sessions - 1)
        # The file at the end, and the bytes each further session adds to what is used
        # (free pages, left where packed rows were, are reused, never more than a few).
        year = s.after[-1] + per_session * (365 - sessions)
        print(
            f"| {'packed (as shipped)' if s.packed else 'raw rows'} | {s.after[0]:,} B | "
            f"{s.after[1]:,} B | {2 * per_session:,.0f} B | {s.samples:,} | {s.chunks} | "
            f"{s.free[-1]:,} B | {year / MiB:.1f} MiB |"
        )
        if s.packed:
            print(f"target a year under 50 MiB: {verdict(year < YEAR_TARGET)}")


async def profile(folder: Path, devices: int, span_s: float) -> None:
    found = await fleet(devices, span_s, 1, folder)
    profiler = cProfile.Profile()
    log, recorders = fresh_log(folder, "profile.db", found.infos)
    for i, recorder in enumerate(recorders):
        prefill(recorder, found.first[i], share(i, len(recorders)))
    profiler.enable()
    for index, status, pushed in found.captured:
        recorders[index].status(status, pushed=pushed)
    profiler.disable()
    log.close()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench_record-"))
    try:
        if args.profile:
            await profile(folder, args.devices, args.span)
            return
        load = OtherLoad()
        started = time.perf_counter()
        found = await fleet(args.devices, args.span, args.pairs, folder)
        result = replay(folder, found, args.rounds)
        raw = await size(folder, args.sessions, packed=False)
        packed = await size(folder, args.sessions, packed=True)
        others = load.cores()
        print(f"machine: {machine()}")
        print(f"CPU used by everything else while this ran: {others:.2f} cores")
        print(f"took {time.perf_counter() - started:.0f} s")
        report_fleet(found)
        report_replay(result)
        report_size(raw, packed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Run every measurement and print the figures for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=256, help="devices recorded at once (256)")
    parser.add_argument("--span", type=float, default=15, help="seconds a span (15)")
    parser.add_argument("--pairs", type=int, default=2, help="pairs of spans, with and without (2)")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved replay rounds (6)")
    parser.add_argument("--sessions", type=int, default=6, help="30-minute sessions sized (6)")
    parser.add_argument("--quick", action="store_true", help="32 devices, 5 s spans, 3 rounds")
    parser.add_argument("--profile", action="store_true", help="only profile a replay round")
    args = parser.parse_args()
    if args.quick:
        args.devices, args.span, args.pairs, args.rounds, args.sessions = 32, 5, 1, 3, 3
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
