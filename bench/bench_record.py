"""Session log: what recording costs a fleet of devices, and how large the log grows (issue 13).

    python bench/bench_record.py [--devices N] [--span S] [--pairs P] [--rounds R]
                                 [--sessions K] [--quick] [--profile]

The recorder's design: each journal call (on the event loop's thread) stamps the time,
turns the status into rows, builds a ``work`` closure and queues it with
``SessionLog.submit``, returning a ``concurrent.futures.Future``; the log's own writer
thread takes everything queued and commits it in one
``BEGIN IMMEDIATE ... COMMIT``, then completes each future; the Device awaits the
future before it hands the status to its caller.

1. Fleet: N simulated multiport devices (2 ports each) on real time, each reached over
   the simulator's in-process link through irlink's real front end (a Transport, the
   codec, :class:`irlink.Device`), subscribed at ``status_period=1 s`` with a session
   running on both ports, every device recorded by the real DeviceRecorder into one
   SessionLog, and each device's events consumed by a task (``device.events()``), as a
   caller would. The simulators run in this process too, so the cost of recording is
   measured two ways over the same devices: (a) its two parts: on the loop's thread, the
   thread CPU time inside every journal call plus the steps of the coroutine that awaits
   each write's future (``Device._recorded``); on the writer thread, that thread's whole
   CPU time (its own CPU clock, ``pthread_getcpuclockid``); (b) this process's CPU time
   (every thread) over spans with the recorders attached against spans with them detached
   (``device.journal`` set to None), in interleaved pairs. Latency: from the moment a
   status frame's bytes reached the host (the simulator handed them to the link; they wait
   on the event loop as a serial port's bytes would) to the moment the writer completed
   its future (a done-callback, on the writer thread, right after the COMMIT), every
   pushed sample; and from the same moment to the status handed to the consumer.
   Each recorder is first given a share of unpacked samples (device i: i * (CHUNK - 1) / N), so
   that its connections pack a chunk every ``CHUNK`` samples at the steady-state rate, not
   never as they would in the first ten minutes.
2. Recorder against its baseline: the statuses recorded in 1, replayed into a fresh log
   through a DeviceRecorder per device, in two ways: (i) in the fleet's own batches (the
   statuses each of the fleet's transactions held, submitted together, then the last
   one's future waited for) and (ii) all submitted at once, then the last waited for.
   The writer's actual transactions are captured in each recorder round; the floor,
   measured in the same run, writes the same rows with plain ``sqlite3`` in exactly those
   transactions (BEGIN IMMEDIATE; per sample its row and ``executemany`` of its port
   rows, parameters made beforehand; COMMIT), on the calling thread, into a fresh log of
   the same schema and pragmas. Interleaved rounds, best and median, wall time and
   process CPU time per sample. Target: the recorder within 2x.
3. Size: 30-minute sessions on both ports of one multiport device, 1 Hz status pushes on
   a ManualClock through the same Device and recorder, one connection a session (connect,
   start, 1,800 pushes, the end, close); the file's bytes after each session, everything
   submitted written (``log.flush()``) and the WAL checkpointed (TRUNCATE). Once as
   shipped (packed into chunks), once with packing switched off (raw rows). Per
   session-hour and a year of daily 30-minute sessions.
With ``--profile`` it only profiles one replay round of the recorder (cProfile, the
loop's thread and the writer thread apart).
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
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from bench_host_proc import OtherLoad, cpu_s, machine
from factory import trust_this_run
from irlink.device import Device
from irlink.events import DeviceEvent, StatusUpdate
from irlink.journal import Command, SecurityEvent
from irlink.model import Info, Status, UsageRecord
from irlink.record import SessionLog
from irlink.record import recorder as recorder_module
from irlink.record.recorder import DeviceRecorder
from irlink.record.samples import CHUNK, INSERT_PORT, INSERT_SAMPLE, rows_of
from irlink.record.samples import pack as real_pack
from irlink.record.samples import pack_rows as real_pack_rows
from irlink.sim import ManualClock, RealClock, SimulatedDevice
from irlink.transport import pipe
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


class PipeTransport(pipe.PipeTransport):
    """irlink's in-process Transport (:mod:`irlink.transport.pipe`), its frames counted and
    each stamped with the moment it arrived, as a serial port's reader would stamp it."""

    def __init__(self, sim: SimulatedDevice) -> None:
        super().__init__(sim)
        self.frames = 0

    def _arrived(self, data: bytes) -> None:
        assert self._loop is not None
        self._loop.call_soon(self._stamped, data, time.perf_counter_ns())

    def _stamped(self, data: bytes, at_ns: int) -> None:
        global arrived_ns  # noqa: PLW0603  (one loop: the frame being handled)
        self.frames += 1
        arrived_ns = at_ns
        try:
            self._take(data)
        finally:
            arrived_ns = 0


def connector(sim: SimulatedDevice, opened: list[PipeTransport]) -> Callable[[], Any]:
    async def open_pipe() -> Transport:
        transport = PipeTransport(sim)
        await transport.open()
        opened.append(transport)
        return transport

    return open_pipe


@dataclass
class Captured:
    """A status the journal was told of while measuring, and the transaction that wrote it."""

    index: int  # the device's
    status: Status
    pushed: bool
    batch: int = -1  # the writer's transaction (Meter.batch when its future completed)


@dataclass
class Meter:
    """What recording costs while ``on``: loop-thread time, latency, the writer's batches."""

    on: bool = False
    calls: int = 0
    call_cpu_ns: int = 0  # loop thread, inside the journal calls
    call_wall_ns: int = 0
    wait_cpu_ns: int = 0  # loop thread, the steps of the coroutines awaiting the futures
    waits: int = 0
    samples: int = 0
    sample_wall: list[int] = field(default_factory=list)  # per status call
    latency: list[int] = field(default_factory=list)  # arrival to future done, pushed samples
    handed: list[int] = field(default_factory=list)  # arrival to handed to the consumer
    arrivals: dict[int, int] = field(default_factory=dict)  # id(status) -> arrival
    unstamped: int = 0
    captured: list[Captured] = field(default_factory=list)
    batch: int = 0  # transactions the writer began (its thread writes this)
    batch_sizes: list[int] = field(default_factory=list)  # while on

    def reset(self) -> None:
        self.calls = self.call_cpu_ns = self.call_wall_ns = self.wait_cpu_ns = 0
        self.waits = self.samples = self.unstamped = 0
        self.sample_wall.clear()
        self.latency.clear()
        self.handed.clear()
        self.arrivals.clear()
        self.batch_sizes.clear()


def watch_writer(log: SessionLog, meter: Meter | None, sizes: list[int] | None = None) -> None:
    """Count the writer's transactions (and their sizes, into ``sizes`` or the meter's
    while on): ``SessionLog._commit`` wrapped, which its thread looks up at each batch."""
    inner = log._commit

    def commit(db: Any, batch: list[Any]) -> None:
        if meter is not None:
            meter.batch += 1
            if meter.on:
                meter.batch_sizes.append(len(batch))
        if sizes is not None:
            sizes.append(len(batch))
        inner(db, batch)

    log._commit = commit  # type: ignore[method-assign]


def writer_cpu_ns(log: SessionLog) -> int:
    """The CPU time of the log's writer thread so far (its own CPU clock)."""
    writer = log._writer
    assert writer is not None
    assert writer.ident is not None
    return time.clock_gettime_ns(time.pthread_getcpuclockid(writer.ident))


class Timed:
    """A DeviceRecorder with every journal call timed (a :class:`irlink.journal.Journal`)."""

    def __init__(self, inner: DeviceRecorder, meter: Meter, index: int) -> None:
        self.inner, self.meter, self.index = inner, meter, index

    @property
    def log_from(self) -> int | None:
        return self.inner.log_from

    def _timed(self, call: Callable[[], Future[Any]]) -> tuple[Future[Any], int]:
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        written = call()
        end_cpu, end = time.thread_time_ns(), time.perf_counter_ns()
        meter = self.meter
        if meter.on:
            meter.calls += 1
            meter.call_wall_ns += end - wall
            meter.call_cpu_ns += end_cpu - cpu
        return written, end - wall

    def status(self, status: Status, *, pushed: bool) -> Future[Any]:
        arrived = arrived_ns
        written, took = self._timed(lambda: self.inner.status(status, pushed=pushed))
        meter = self.meter
        if not meter.on:
            return written
        meter.samples += 1
        meter.sample_wall.append(took)
        captured = Captured(self.index, status, pushed)
        meter.captured.append(captured)

        def committed(_: Future[Any]) -> None:  # on the writer thread, right after COMMIT
            captured.batch = meter.batch
            if pushed and arrived:
                meter.latency.append(time.perf_counter_ns() - arrived)

        written.add_done_callback(committed)
        if pushed and arrived:
            meter.arrivals[id(status)] = arrived
        elif pushed:
            meter.unstamped += 1
        return written

    def linked(self, info: Info) -> Future[Any]:
        return self._timed(lambda: self.inner.linked(info))[0]

    def event(self, event: DeviceEvent) -> Future[Any]:
        return self._timed(lambda: self.inner.event(event))[0]

    def command(self, command: Command) -> Future[Any]:
        return self._timed(lambda: self.inner.command(command))[0]

    def usage(self, records: Sequence[UsageRecord]) -> Future[Any]:
        return self._timed(lambda: self.inner.usage(records))[0]

    def security(self, event: SecurityEvent) -> Future[Any]:
        return self._timed(lambda: self.inner.security(event))[0]

    def closed(self, reason: str) -> Future[Any]:
        return self._timed(lambda: self.inner.closed(reason))[0]


class Stepped:
    """Await a coroutine, adding the thread CPU time of each of its steps to the meter
    (the time it is suspended, waiting for the writer, is not counted)."""

    def __init__(self, inner: Any, meter: Meter) -> None:
        self.inner, self.meter = inner, meter

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self.inner.__await__()
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            began = time.thread_time_ns()
            try:
                yielded = steps.throw(thrown) if thrown is not None else steps.send(sent)
            except StopIteration as stop:
                self.meter.wait_cpu_ns += time.thread_time_ns() - began
                return stop.value
            self.meter.wait_cpu_ns += time.thread_time_ns() - began
            try:
                sent, thrown = (yield yielded), None
            except BaseException as exc:  # handed on to the coroutine
                sent, thrown = None, exc


class MeteredDevice(Device):
    """A Device whose waits for its journal's futures are timed (the loop thread's part)."""

    meter: Meter

    async def _recorded(self, written: Future[Any]) -> None:
        meter = self.meter
        if not meter.on:
            await super()._recorded(written)
            return
        meter.waits += 1
        await Stepped(super()._recorded(written), meter)


async def consume(device: Device, meter: Meter) -> None:
    """A caller of the device: every event taken, a status's arrival to handing noted."""
    async for event in device.events():
        if isinstance(event, StatusUpdate):
            arrived = meter.arrivals.pop(id(event.status), 0)
            if arrived and meter.on:
                meter.handed.append(time.perf_counter_ns() - arrived)


def prefill(recorder: DeviceRecorder, status: Status, count: int) -> None:
    """Give ``recorder``'s connection ``count`` unpacked samples, as after a while of recording.

    One transaction; the recorder's count of unpacked samples is raised to match (on the
    writer thread, as its own writes do), so it packs its next chunk when a connection
    that had recorded them would.
    """
    device, ports = rows_of(status)
    connection = recorder.connection_id
    at = time.time_ns() // 1_000_000

    def work(db: Any) -> None:
        kept = recorder._kept
        assert kept is not None
        for _ in range(count):
            sample_id = db.execute(INSERT_SAMPLE, (connection, at, 0, 1, *device)).lastrowid
            port_rows = [(sample_id, *port) for port in ports]
            db.executemany(INSERT_PORT, port_rows)
            kept[0].append((sample_id, at, 0, 1, *device))  # as its own writes keep them
            kept[1].extend(port_rows)
        recorder._raw += count

    recorder.log.write("samples", work)


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
    call_cpu_s: float
    call_wall_s: float
    wait_cpu_s: float
    writer_cpu_s: float


@dataclass
class Fleet:
    devices: int
    spans: list[Span]
    latency_ms: list[float]
    handed_ms: list[float]
    call_ms: list[float]
    batch_sizes: list[int]
    unstamped: int
    packs: int
    infos: list[Info]
    first: list[Status]
    captured: list[Captured]
    lost: int


async def start_device(
    sim: SimulatedDevice, index: int, log: SessionLog, meter: Meter, opened: list[PipeTransport]
) -> tuple[Device, Timed]:
    address = f"sim://{FAMILY}?serial={sim.serial}"
    journal = Timed(log.journal(address), meter, index)
    device = MeteredDevice(
        connector(sim, opened), address=address, reconnect=None, status_period=1, journal=journal
    )
    device.meter = meter
    await device.__aenter__()
    for port in (1, 2):
        await device.configure(port, **SESSION)
    await device.start(0)
    return device, journal


async def fleet(count: int, span_s: float, pairs: int, folder: Path) -> Fleet:
    """Every device connected and recording, then spans with and without the recorders."""
    meter = Meter()
    log = SessionLog.open(folder / "fleet.db")
    watch_writer(log, meter)
    sims = [SimulatedDevice(FAMILY, clock=RealClock(1), serial=f"B{i:04d}") for i in range(count)]
    running = [asyncio.ensure_future(sim.run()) for sim in sims]
    opened: list[PipeTransport] = []
    devices: list[Device] = []
    journals: list[Timed] = []
    consumers: list[asyncio.Future[None]] = []
    try:
        for i, sim in enumerate(sims):
            device, journal = await start_device(sim, i, log, meter, opened)
            devices.append(device)
            journals.append(journal)
            consumers.append(asyncio.ensure_future(consume(device, meter)))
        first = [await device.status() for device in devices]
        for i, journal in enumerate(journals):
            prefill(journal.inner, first[i], share(i, count))
        chunks_before = log.db.execute("SELECT count(*) FROM sample_chunks").fetchone()[0]
        await asyncio.sleep(2)  # every subscription settled into its 1 s rhythm
        spans: list[Span] = []
        latency: list[int] = []
        handed: list[int] = []
        call: list[int] = []
        sizes: list[int] = []
        unstamped = 0
        for pair in range(pairs):
            for recording in (True, False) if pair % 2 == 0 else (False, True):
                for device, journal in zip(devices, journals, strict=True):
                    device.journal = journal if recording else None
                await asyncio.sleep(0.5)  # frames already on their way land in the old mode
                log.flush()  # and what they queued is written
                meter.reset()
                meter.on = recording
                frames = sum(t.frames for t in opened)
                gc.collect()
                cpu, wall, writer = cpu_s(), time.perf_counter(), writer_cpu_ns(log)
                await asyncio.sleep(span_s)
                wall, cpu = time.perf_counter() - wall, cpu_s() - cpu
                writer = writer_cpu_ns(log) - writer
                meter.on = False
                spans.append(
                    Span(
                        recording,
                        wall,
                        cpu,
                        sum(t.frames for t in opened) - frames,
                        meter.samples,
                        meter.call_cpu_ns / 1e9,
                        meter.call_wall_ns / 1e9,
                        meter.wait_cpu_ns / 1e9,
                        writer / 1e9,
                    )
                )
                log.flush()  # the span's last futures done: their latencies noted
                latency += meter.latency
                handed += meter.handed
                call += meter.sample_wall
                sizes += meter.batch_sizes
                unstamped += meter.unstamped
        for device, journal in zip(devices, journals, strict=True):
            device.journal = journal
        log.flush()
        packs = log.db.execute("SELECT count(*) FROM sample_chunks").fetchone()[0] - chunks_before
        infos = [device.info for device in devices]
    finally:
        for device in devices:
            await device.close()
        await asyncio.gather(*consumers, return_exceptions=True)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        lost = sum(log.lost.values())
        log.close()
    return Fleet(
        count,
        spans,
        [ns / 1e6 for ns in latency],
        [ns / 1e6 for ns in handed],
        [ns / 1e6 for ns in call],
        sizes,
        unstamped,
        packs,
        infos,
        first,
        meter.captured,
        lost,
    )


# 2. The recorder against plain sqlite3.


def fresh_log(
    folder: Path, name: str, infos: Sequence[Info], first: Sequence[Status]
) -> tuple[SessionLog, list[Any]]:
    """A new log with one device and connection per info, prefilled as in 1 (not timed):
    each recorder told of its device's first status, so it knows the running sessions,
    as the fleet's did, then given its share of unpacked samples."""
    path = folder / name
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    log = SessionLog.open(path)
    recorders = []
    for i, info in enumerate(infos):
        recorder = log.journal(f"sim://{FAMILY}?serial=B{i:04d}")
        recorder.linked(info)
        recorder.status(first[i], pushed=False)
        recorders.append(recorder)
    for i, recorder in enumerate(recorders):
        prefill(recorder, first[i], share(i, len(recorders)))
    log.flush()
    return log, recorders


def fleet_batches(captured: Sequence[Captured]) -> list[list[Captured]]:
    """The captured statuses grouped as the fleet's writer committed them."""
    groups: list[list[Captured]] = []
    last = None
    for each in captured:
        if each.batch != last or not groups:
            groups.append([])
            last = each.batch
        groups[-1].append(each)
    return groups


@dataclass
class Round:
    wall_ns: float  # per sample
    cpu_ns: float  # per sample, this process (every thread)
    writer_ns: float = 0.0  # per sample, the log's writer thread (the recorder's)
    pack_ns: float = 0.0  # per sample, of which packing chunks (the writer's thread time)


def recorder_round(
    folder: Path,
    infos: Sequence[Info],
    first: Sequence[Status],
    groups: Sequence[Sequence[Captured]],
    sizes: list[int],
    profilers: tuple[cProfile.Profile, cProfile.Profile] | None = None,
) -> Round:
    """Per sample: the statuses through a DeviceRecorder per device, a group submitted
    together and then waited for; the writer's transactions go into ``sizes``."""
    log, recorders = fresh_log(folder, "replay.db", infos, first)
    if profilers is not None:
        loop_profile, writer_profile = profilers
        inner = log._commit

        def profiled(db: Any, batch: list[Any]) -> None:
            writer_profile.enable()  # cProfile hooks the thread that enables it
            try:
                inner(db, batch)
            finally:
                writer_profile.disable()

        log._commit = profiled  # type: ignore[method-assign]
        loop_profile.enable()
    watch_writer(log, None, sizes)
    samples = sum(len(group) for group in groups)
    packing = [0]

    def timed_pack_rows(db: Any, connection: int, samples: Any, ports: Any) -> int:
        began = time.thread_time_ns()
        try:
            return real_pack_rows(db, connection, samples, ports)
        finally:
            packing[0] += time.thread_time_ns() - began

    def timed_pack(db: Any, connection: int, limit: int | None = None) -> int:
        began = time.thread_time_ns()
        try:
            return real_pack(db, connection, limit)
        finally:
            packing[0] += time.thread_time_ns() - began

    gc.collect()
    writer = writer_cpu_ns(log)
    cpu, start = cpu_s(), time.perf_counter_ns()
    with (
        mock.patch.object(recorder_module, "pack", timed_pack),
        mock.patch.object(recorder_module, "pack_rows", timed_pack_rows),
    ):
        for group in groups:
            for each in group:
                written = recorders[each.index].status(each.status, pushed=each.pushed)
            written.result()  # written in order: the last done, all done
    took, cpu = time.perf_counter_ns() - start, cpu_s() - cpu
    writer = writer_cpu_ns(log) - writer
    if profilers is not None:
        profilers[0].disable()
    assert not log.lost, log.lost
    log.close()
    return Round(took / samples, cpu * 1e9 / samples, writer / samples, packing[0] / samples)


def baseline_rows(captured: Sequence[Captured]) -> list[tuple[tuple[Any, ...], list[Any]]]:
    """What the recorder writes for each captured status (connection ids as in fresh_log)."""
    at = time.time_ns() // 1_000_000
    rows = []
    for n, each in enumerate(captured):
        device, ports = rows_of(each.status)
        rows.append(((each.index + 1, at + n, n, int(each.pushed), *device), ports))
    return rows


def baseline_round(
    folder: Path,
    infos: Sequence[Info],
    first: Sequence[Status],
    rows: Sequence[Any],
    sizes: Sequence[int],
) -> Round:
    """Per sample: plain sqlite3, the same rows in transactions of ``sizes``."""
    log, _ = fresh_log(folder, "baseline.db", infos, first)
    assert sum(sizes) == len(rows), (sum(sizes), len(rows))
    db = log.db  # the log's reading connection: given the pragmas of its writer's
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    gc.collect()
    cpu, start = cpu_s(), time.perf_counter_ns()
    at = 0
    for size in sizes:
        db.execute("BEGIN IMMEDIATE")
        for sample, ports in rows[at : at + size]:
            sample_id = db.execute(INSERT_SAMPLE, sample).lastrowid
            db.executemany(INSERT_PORT, [(sample_id, *port) for port in ports])
        db.execute("COMMIT")
        at += size
    took, cpu = time.perf_counter_ns() - start, cpu_s() - cpu
    log.close()
    return Round(took / len(rows), cpu * 1e9 / len(rows))


@dataclass
class Replay:
    way: str
    samples: int
    recorder: list[Round]
    baseline: list[Round]
    sizes: list[int]  # the transactions of the last recorder round


def replay(folder: Path, found: Fleet, rounds: int) -> list[Replay]:
    rows = baseline_rows(found.captured)
    ways = {
        "the fleet's batches": fleet_batches(found.captured),
        "all at once": [found.captured],
    }
    results = [Replay(way, len(rows), [], [], []) for way in ways]
    for _ in range(rounds):
        for result, groups in zip(results, ways.values(), strict=True):
            # Recorder and baseline alternate (each baseline round right after the recorder
            # round whose transactions it repeats, so each sits between two of the other).
            sizes: list[int] = []
            recorded = recorder_round(folder, found.infos, found.first, groups, sizes)
            base = baseline_round(folder, found.infos, found.first, rows, sizes)
            result.recorder.append(recorded)
            result.baseline.append(base)
            result.sizes = sizes
    return results


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
    """The file's size, everything submitted written and the WAL checkpointed into it,
    and the bytes of its free pages."""
    log.flush()
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
        log.flush()
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


def spread(values: Sequence[float], unit: str, digits: int = 2) -> str:
    if not values:
        return "none"
    return (
        f"p50 {pct(values, 0.5):.{digits}f} {unit}, p99 {pct(values, 0.99):.{digits}f} {unit}, "
        f"max {max(values):.{digits}f} {unit}"
    )


def report_fleet(found: Fleet) -> None:
    on = [s for s in found.spans if s.recording]
    off = [s for s in found.spans if not s.recording]
    wall_on = sum(s.wall_s for s in on)
    samples = sum(s.samples for s in on)
    calls = sum(s.call_cpu_s for s in on)
    waits = sum(s.wait_cpu_s for s in on)
    writer = sum(s.writer_cpu_s for s in on)
    total = calls + waits + writer
    share_on = sum(s.cpu_s for s in on) / wall_on
    share_off = sum(s.cpu_s for s in off) / sum(s.wall_s for s in off)
    print(f"\n1. Fleet: {found.devices} {FAMILY} devices (2 ports, both running), 1 Hz pushes")
    print(
        "| span | recording | wall | process CPU | share of a core | writer thread CPU | "
        "frames/s | samples/s |"
    )
    print("|--:|---|--:|--:|--:|--:|--:|--:|")
    for n, s in enumerate(found.spans, 1):
        print(
            f"| {n} | {'yes' if s.recording else 'no'} | {s.wall_s:.1f} s | {s.cpu_s:.2f} s | "
            f"{s.cpu_s / s.wall_s:.1%} | {s.writer_cpu_s:.2f} s | {s.frames / s.wall_s:.0f} | "
            f"{s.samples / s.wall_s:.0f} |"
        )

    def part(seconds: float) -> str:
        return f"{seconds / wall_on:.2%} of a core ({seconds / samples * 1e6:.0f} µs a sample)"

    difference = share_on - share_off
    print(f"samples recorded in the recording spans: {samples:,} ({samples / wall_on:.0f}/s)")
    print(f"(a) loop thread, inside the journal calls: {part(calls)}")
    print(f"    loop thread, awaiting the futures (Device._recorded's steps): {part(waits)}")
    print(f"    writer thread (its CPU clock): {part(writer)}")
    print(f"    sum: {part(total)}")
    print(
        f"    wall time inside the journal calls: "
        f"{sum(s.call_wall_s for s in on) / wall_on:.2%} of the loop"
    )
    print(
        f"(b) process CPU with the recorders {share_on:.1%}, without {share_off:.1%}: "
        f"recording costs {difference:.2%} of a core "
        f"({difference * wall_on / samples * 1e6:.0f} µs a sample)"
    )
    worse = max(total / wall_on, difference)
    print(f"    target at most {CPU_TARGET:.0%} of one core: {verdict(worse <= CPU_TARGET)}")
    lat = found.latency_ms
    print(
        f"arrival to commit (future done), {len(lat):,} pushed samples: {spread(lat, 'ms')} "
        f"(unstamped: {found.unstamped}); target p99 under {P99_TARGET_MS:.0f} ms: "
        f"{verdict(pct(lat, 0.99) < P99_TARGET_MS)}"
    )
    print(
        f"arrival to handed to the caller, {len(found.handed_ms):,}: "
        f"{spread(found.handed_ms, 'ms')}"
    )
    print(f"the journal's status call alone: {spread(found.call_ms, 'ms', 3)}")
    sizes = found.batch_sizes
    print(
        f"the writer's transactions while recording: {len(sizes):,}, writes in each: "
        f"mean {statistics.mean(sizes):.2f}, p50 {pct(sizes, 0.5)}, p99 {pct(sizes, 0.99)}, "
        f"max {max(sizes)}; chunks packed meanwhile: {found.packs}; writes lost: {found.lost}"
    )


def report_replay(results: Sequence[Replay]) -> None:
    print(f"\n2. Recorder vs plain sqlite3, {results[0].samples:,} samples a round, per sample")
    print(
        "| submitted | transactions (writes each) | | wall best | wall median | "
        "ratio best | ratio median | CPU median | CPU ratio median |"
    )
    print("|---|---|---|--:|--:|--:|--:|--:|--:|")
    for result in results:
        rec, base = result.recorder, result.baseline
        batches = f"{len(result.sizes):,} ({statistics.mean(result.sizes):.1f})"
        bw = [r.wall_ns for r in base]
        rw = [r.wall_ns for r in rec]
        bc = statistics.median(r.cpu_ns for r in base)
        rc = statistics.median(r.cpu_ns for r in rec)
        rwr = statistics.median(r.writer_ns for r in rec)
        rpk = statistics.median(r.pack_ns for r in rec)
        print(
            f"| {result.way} | {batches} | plain sqlite3 | {min(bw) / 1e3:.1f} µs | "
            f"{statistics.median(bw) / 1e3:.1f} µs | 1.00x | 1.00x | {bc / 1e3:.1f} µs | 1.00x |"
        )
        median = statistics.median(rw) / statistics.median(bw)
        print(
            f"| | | DeviceRecorder.status | {min(rw) / 1e3:.1f} µs | "
            f"{statistics.median(rw) / 1e3:.1f} µs | {min(rw) / min(bw):.2f}x | {median:.2f}x | "
            f"{rc / 1e3:.1f} µs (writer {rwr / 1e3:.1f}, packing {rpk / 1e3:.1f}) | "
            f"{rc / bc:.2f}x ({(rc - rpk) / bc:.2f}x without packing) |"
        )
        print(
            f"| | | target within {RATIO_TARGET:.0f}x (wall, median): "
            f"{verdict(median <= RATIO_TARGET)} |"
        )


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
    profilers = (cProfile.Profile(), cProfile.Profile())
    groups = fleet_batches(found.captured)
    recorder_round(folder, found.infos, found.first, groups, [], profilers)
    for name, profiler in zip(("loop thread", "writer thread"), profilers, strict=True):
        print(f"\n{name}, one replay round in the fleet's batches:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


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
        print(f"command: python {' '.join(sys.argv)}")
        print(f"CPU used by everything else while this ran: {others:.2f} cores")
        print(f"took {time.perf_counter() - started:.0f} s")
        report_fleet(found)
        report_replay(result)
        report_size(raw, packed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Run every measurement and print the figures for bench/RESULTS.md."""
    trust_this_run()  # the simulators are paired with this run (bench/factory.py)
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
