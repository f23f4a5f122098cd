"""The recorder: what a Device hands its caller is in the log already, sessions kept once."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import irlink
from irlink.events import LinkDown, LinkRestored, SessionEnded, SessionStarted, StatusUpdate
from irlink.record import SessionLog, sessions
from irlink.record.samples import CHUNK, read_samples
from irlink.refusals import NoSession
from tests.host.links import connected, run

QUICK = 0.2


@contextmanager
def one_failing_batch(log: SessionLog) -> Iterator[None]:
    """The writes made inside go to the writer as one batch with a write that cannot be done
    (the writer is held until then): the batch fails, and each write is tried alone."""
    release = threading.Event()
    log.submit("rows", lambda _db: release.wait(5))
    yield

    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO no_such_table VALUES (1)")

    log.submit("rows", broken)
    release.set()
    log.flush()


async def a_multiport_status() -> tuple[irlink.Info, irlink.Status]:
    """A multiport's info and a status of it, both ports idle, to record by hand."""
    async with connected("multiport") as host:
        return host.device.info, await host.device.status()


def count(db: Path, table: str, where: str = "1") -> int:
    with sqlite3.connect(db) as plain:
        value: int = plain.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    return value


def test_every_status_handed_to_the_caller_is_already_committed(tmp_path: Path) -> None:
    path = tmp_path / "log.db"

    async def body() -> None:
        with SessionLog.open(path) as log:
            async with connected("multiport", log=log) as host:
                base = count(path, "samples")
                for number in range(1, 6):
                    await host.device.status()
                    # Read by another connection, as another process would: committed.
                    assert count(path, "samples") == base + number
                await host.device.subscribe(1)
                host.clock.advance(3)
                pushed = await host.wait_for(StatusUpdate)
                assert count(path, "samples", "pushed = 1") >= 1
                assert pushed.status.boot_count == 1

    run(body())


def test_a_live_session_is_kept_with_its_settings_end_and_delivered_dose(tmp_path: Path) -> None:
    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected("multiport", log=log) as host:
                device = host.device
                await device.configure(2, duration="20m", intensity=1, mode="pulsed", pulse_hz=73)
                session_id = await device.start(2)
                await host.wait_for(SessionStarted)
                host.clock.advance(300)
                await device.stop(2)
                ended = await host.wait_for(SessionEnded)
                kept = sessions(log)
                assert len(kept) == 1
                row = kept[0]
                assert (row.port, row.session_id, row.source) == (2, session_id, "live")
                assert (row.duration_s, row.intensity, row.mode, row.pulse_hz) == (
                    1200,
                    1,
                    "pulsed",
                    73,
                )
                assert (row.end_reason, row.end_seen, row.outcome) == (
                    "stopped",
                    "live",
                    "ended early",
                )
                assert ended.delivered is not None
                assert row.delivered_s == ended.delivered.total_seconds() == 300
                assert row.sham is False

    run(body())


def test_commands_are_audited_with_their_outcome_and_refusal_code(tmp_path: Path) -> None:
    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected("waistband", log=log) as host:
                with pytest.raises(NoSession):
                    await host.device.resume(1)
                with pytest.raises(irlink.LimitError):
                    await host.device.configure(1, duration="5h")
                await host.device.configure(1, duration="10m")
            rows = log.db.execute(
                "SELECT name, outcome, code, args FROM commands ORDER BY id"
            ).fetchall()
            connection = log.db.execute("SELECT host, user, irlink_version FROM connections")
            host_name, user, version = connection.fetchone()
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("resume", "refused", "no_session"),
            ("configure", "invalid", None),
            ("configure", "done", None),
        ]
        assert json.loads(rows[2][3])["duration_s"] == 600  # "10m", in seconds
        assert host_name
        assert user
        assert version == irlink.__version__

    run(body())


def test_samples_read_back_the_same_after_they_are_packed_into_chunks(tmp_path: Path) -> None:
    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected("multiport", log=log) as host:
                await host.device.configure(0, duration="20m", intensity=1)
                await host.device.start(0)
                seen = []
                for _ in range(CHUNK + 25):
                    host.clock.advance(1)
                    seen.append(await host.device.status())
            chunks = log.db.execute("SELECT sum(count) FROM sample_chunks").fetchone()[0]
            raw = log.db.execute("SELECT count(*) FROM samples").fetchone()[0]
            connection = log.db.execute("SELECT id FROM connections").fetchone()[0]
            back = list(read_samples(log.db, [connection]))
        assert raw == 0  # closing packed the rest
        assert chunks == len(back) >= len(seen)
        tail = back[-len(seen) :]
        for status, sample in zip(seen, tail, strict=True):
            assert sample.values["uptime_s"] == status.uptime.total_seconds()
            assert [p["remaining_s"] for p in sample.ports] == [
                p.remaining.total_seconds() for p in status.ports
            ]
            assert [p["temp_dc"] for p in sample.ports] == [
                None if p.temp_c is None else round(p.temp_c * 10) for p in status.ports
            ]

    run(body())


def test_a_session_that_ended_while_the_link_was_down_is_kept_once_recovered(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected("waistband", "socket", log=log, timeout=QUICK) as host:
                device, sim, clock = host.device, host.sim, host.clock
                await device.configure(duration="10m", intensity=1)
                session_id = await device.start()
                clock.advance(60)
                sim.cut_link(600)
                await host.wait_for(LinkDown)
                clock.advance(600)
                await host.wait_for(SessionEnded)
                await host.wait_for(LinkRestored)
                await device.usage_log()  # read again: still one session
            kept = sessions(log)
            links = log.db.execute("SELECT close_reason FROM connections ORDER BY id").fetchall()
            kinds = [r[0] for r in log.db.execute("SELECT kind FROM events ORDER BY id")]
        assert [(s.session_id, s.source, s.end_seen, s.delivered_s) for s in kept] == [
            (session_id, "live", "recovered", 600)
        ]
        assert kept[0].log_index is not None
        assert len(links) == 2
        assert links[0][0].startswith("link lost")
        assert "link_down" in kinds
        assert "link_restored" in kinds

    run(body())


def test_sessions_the_host_never_saw_are_recovered_once_across_host_restarts(
    tmp_path: Path,
) -> None:
    from irlink.sim import ManualClock, SimulatedDevice

    path = tmp_path / "log.db"
    sim = SimulatedDevice("waistband", clock=ManualClock())

    async def host_run(*, record: bool, start: bool) -> None:
        # A new SessionLog each time: an irlink process (or host) started afresh.
        with SessionLog.open(path) as log:
            async with connected("waistband", "socket", sim=sim, log=log if record else None) as h:
                if start:
                    await h.device.configure(duration="10m", intensity=2)
                    await h.device.start()

    async def body() -> None:
        await host_run(record=True, start=True)  # the host leaves; the device runs on
        sim.clock.advance(700)  # the session ends while no host listens
        await host_run(record=False, start=True)  # another app, which keeps no record
        sim.clock.advance(700)
        await host_run(record=True, start=False)  # learns both ends from the usage log
        await host_run(record=True, start=False)  # and the next time, nothing new

    run(body())
    with SessionLog.open(path) as log:
        # In the device's log order (a manual clock makes simulated and wall time differ).
        kept = sorted(sessions(log), key=lambda s: s.log_index or 0)
        estimated = [s.times_estimated for s in kept]
    assert [(s.source, s.end_seen, s.end_reason, s.delivered_s) for s in kept] == [
        ("live", "recovered", "completed", 600),
        ("recovered", "recovered", "completed", 600),
    ]
    assert estimated == [True, True]  # ends reckoned from the device's uptime
    assert kept[1].intensity == 2


def test_a_connection_s_samples_are_packed_every_chunk_while_it_stays_open(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        info, status = await a_multiport_status()
        with SessionLog.open(tmp_path / "log.db") as log:
            recorder = log.journal("sim://multiport")
            recorder.linked(info)
            for _ in range(2 * CHUNK + 5):
                recorder.status(status, pushed=True)
            log.flush()
            chunks = log.db.execute("SELECT count FROM sample_chunks ORDER BY id").fetchall()
            raw = log.db.execute("SELECT count(*) FROM samples").fetchone()[0]
            kept = list(read_samples(log.db, [recorder.connection_id or 0]))
        assert chunks == [(CHUNK,), (CHUNK,)]
        assert raw == 5
        assert len(kept) == 2 * CHUNK + 5

    run(body())


def test_a_chunk_keeps_its_own_connection_s_ports_when_devices_interleave(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        info, status = await a_multiport_status()
        with SessionLog.open(tmp_path / "log.db") as log:
            recorders = [log.journal(f"sim://multiport?serial={n}") for n in (1, 2)]
            for recorder in recorders:
                recorder.linked(info)
            for _ in range(CHUNK):
                for recorder in recorders:
                    recorder.status(status, pushed=True)
            log.flush()
            for recorder in recorders:
                kept = list(read_samples(log.db, [recorder.connection_id or 0]))
                assert len(kept) == CHUNK
                assert all(len(sample.ports) == 2 for sample in kept)
            assert log.db.execute("SELECT count(*) FROM port_samples").fetchone()[0] == 0

    run(body())


@pytest.mark.parametrize("checkpointed", [True, False], ids=["logged", "cut before a checkpoint"])
def test_a_restart_while_the_link_is_down_keeps_the_session_once(
    tmp_path: Path, checkpointed: bool
) -> None:
    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected("waistband", "socket", log=log, timeout=QUICK) as host:
                device, sim, clock = host.device, host.sim, host.clock
                await device.configure(duration="30m", intensity=1)
                session_id = await device.start()
                # A device writes its progress to flash every 10 s: a restart before the
                # first write leaves no record of the session at all.
                clock.advance(120 if checkpointed else 5)
                await host.settle()
                sim.reboot(off_s=5)  # the TCP bridge stays up; the device goes quiet
                with pytest.raises(irlink.RequestTimeout):
                    await device.status()
                await host.wait_for(LinkDown)
                clock.advance(5)
                await host.wait_for(LinkRestored)
                ended = await host.wait_for(SessionEnded)
                await device.status()
            kept = sessions(log)
        assert [(s.session_id, s.end_reason, s.end_seen) for s in kept] == [
            (session_id, "power_loss", "recovered")
        ]
        assert kept[0].delivered_s == (
            None if ended.delivered is None else ended.delivered.total_seconds()
        )

    run(body())


def test_a_simulated_device_is_recorded_as_one_and_kept_apart_from_real_ones(
    tmp_path: Path,
) -> None:
    from irlink.record import devices

    async def body(log: SessionLog) -> None:
        async with irlink.connect("sim://waistband?speed=600", log=log) as device:
            await device.status()
        # A real device of the same model and serial, on a serial port.
        async with connected("waistband", log=log) as host:
            await host.device.status()

    with SessionLog.open(tmp_path / "log.db") as log:
        run(body(log))
        seen = sorted((d.serial, d.simulated) for d in devices(log))
        links = [row[0] for row in log.db.execute("SELECT link FROM connections ORDER BY id")]
        addresses = [row[0] for row in log.db.execute("SELECT address FROM connections")]
    assert seen == [("0001", False), ("0001", True)]
    assert links == ["sim", "serial"]
    assert addresses[0] == "sim://waistband?speed=600"


def test_after_a_failed_batch_a_chunk_holds_exactly_what_was_committed(tmp_path: Path) -> None:
    async def body() -> None:
        info, status = await a_multiport_status()
        with SessionLog.open(tmp_path / "log.db") as log:
            recorder = log.journal("sim://multiport")
            recorder.linked(info)
            with one_failing_batch(log):
                for _ in range(10):
                    recorder.status(status, pushed=True)
            for _ in range(CHUNK):
                recorder.status(status, pushed=True)
            log.flush()
            chunks = log.db.execute("SELECT sum(count) FROM sample_chunks").fetchone()[0]
            raw = log.db.execute("SELECT count(*) FROM samples").fetchone()[0]
            kept = list(read_samples(log.db, [recorder.connection_id or 0]))
            lost = dict(log.lost)
        assert lost == {"rows": 1}
        assert len(kept) == 10 + CHUNK  # every sample once, none made up, none lost
        assert chunks  # a chunk was packed since, read back from the file
        assert chunks + raw == len(kept)
        assert len({sample.values["id"] for sample in kept}) == len(kept)

    run(body())


def test_a_failed_batch_with_a_reconnection_keeps_each_write_on_its_own_connection(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        info, status = await a_multiport_status()
        with SessionLog.open(tmp_path / "log.db") as log:
            recorder = log.journal("sim://multiport")
            recorder.linked(info)
            log.flush()
            first = recorder.connection_id
            with one_failing_batch(log):
                recorder.status(status, pushed=True)  # on the first link
                recorder.linked(info)  # the link dropped and came back
                recorder.status(status, pushed=True)  # on the second
            second = recorder.connection_id
            on_first = len(list(read_samples(log.db, [first or 0])))
            on_second = len(list(read_samples(log.db, [second or 0])))
            closed = log.db.execute(
                "SELECT close_reason FROM connections WHERE id = ?", (first,)
            ).fetchone()
            lost = dict(log.lost)
        assert first != second
        assert (on_first, on_second) == (1, 1)
        assert closed == ("the link was replaced",)
        assert lost == {"rows": 1}

    run(body())


def test_an_event_before_the_first_link_is_written_once_after_a_failed_batch(
    tmp_path: Path,
) -> None:
    from irlink.events import PadAttached

    async def body() -> None:
        info, _ = await a_multiport_status()
        with SessionLog.open(tmp_path / "log.db") as log:
            recorder = log.journal("sim://multiport")
            with one_failing_batch(log):
                recorder.event(PadAttached(port=1, pad_type=0))  # while the link is read
                recorder.linked(info)
            kinds = [row[0] for row in log.db.execute("SELECT kind FROM events")]
            lost = dict(log.lost)
        assert kinds == ["pad_attached"]
        assert lost == {"rows": 1}

    run(body())
