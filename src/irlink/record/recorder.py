"""The recorder of one device: what the :class:`~irlink.Device` tells its journal, into the log.

Each call queues one write on the log's writer thread and returns its future, which
the device awaits before it hands the same thing to its caller. Sessions are kept as
they become known: from the start the device confirmed, its ``session_started`` event
or a status that shows one running (its start then reckoned from how much has run);
their planned settings from the device's own status, or the configure it confirmed;
their end from its event, or from its usage log when the host missed it (``end_seen``
recovered). Usage-log records are reconciled as the device reads them
(:mod:`irlink.record.reconcile`).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from irlink import __version__
from irlink.events import (
    DeviceEvent,
    LinkDown,
    SessionEnded,
    SessionStarted,
)
from irlink.journal import Command, Outcome, SecurityEvent
from irlink.model import Info, Status, UsageRecord
from irlink.protocol.messages import CapabilityFlags, PortState
from irlink.record import reconcile
from irlink.record.rows import event_row, info_json, link_kind, user_name
from irlink.record.samples import CHUNK, INSERT_PORT, INSERT_SAMPLE, pack, pack_rows, rows_of

if TYPE_CHECKING:
    from irlink.record.store import SessionLog

__all__ = ["DeviceRecorder"]

_ACTIVE = (PortState.RUNNING, PortState.PAUSED)
EARLY_MAX = 1000  # writes kept while the first link is recorded: a few events at most


def _ms(at: datetime | None = None) -> int:
    return time.time_ns() // 1_000_000 if at is None else int(at.timestamp() * 1000)


@dataclass
class _Open:
    """A session of this connection not yet known to have ended."""

    row: int
    settings: bool  # its planned settings are filled in


@dataclass
class DeviceRecorder:
    """Records one device into a :class:`~irlink.record.SessionLog`: its journal.

    Each call stamps the time at once and queues its write; the future it returns is done
    once committed. Everything the recorder remembers is touched only by those writes,
    which the log's writer thread runs one at a time, in order.
    """

    log: SessionLog
    address: str
    device_id: int | None = None
    connection_id: int | None = None
    log_from: int | None = None  # the usage-log index from which records are not reconciled
    boot_count: int | None = None  # as last seen in a status
    uptime_s: int = 0
    _mono0: int = 0
    _raw: int = 0  # samples of this connection not yet packed
    # Those samples' rows as written (samples, port samples), for their chunk; None once a
    # write failed: the rows are then read back from the file.
    _kept: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] | None = None
    _open: dict[tuple[int, int], _Open] = field(default_factory=dict)
    # Sessions seen to end: a status read before the end but delivered after it still shows
    # one running, and must not open it again as a new session.
    _ended_keys: set[tuple[int, int]] = field(default_factory=set)
    # Each port's settings as the last configure the device confirmed set them (wire units).
    _configured: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ports: int = 1  # the device's, as its info said
    _heater: bool = False
    # Writes that came before the first link was recorded (an event while connecting):
    # done once it is, in order.
    _early: list[Callable[[sqlite3.Connection], None]] | None = field(default_factory=list)
    # Security events of a link being set up (rows, and when each came): filed under the
    # connection the next link opens.
    _unlinked: list[tuple[int, int]] = field(default_factory=list)

    # The Journal interface.

    def linked(self, info: Info) -> Future[Any]:
        """A new link: the device's row brought up to date, a connection row opened."""
        now, mono = _ms(), time.monotonic_ns()
        described = info_json(info)
        ports, heater = info.port_count, info.has(CapabilityFlags.HEATER)
        simulated = int(link_kind(self.address) == "sim")  # kept apart from real devices
        found_before: list[tuple[Any, ...]] = []  # what this write found, for its undo

        def work(db: sqlite3.Connection) -> None:
            found_before[:] = [
                (
                    self.connection_id,
                    self.device_id,
                    self.log_from,
                    self._early,
                    self._mono0,
                    self._raw,
                    self._kept,
                    list(self._unlinked),
                )
            ]
            self._close_connection(db, now, "the link was replaced")
            # Not in this transaction's fate: a failure below leaves no connection at all.
            self.connection_id = None
            self._ports, self._heater = ports, heater
            found = db.execute(
                "SELECT id, log_next_index FROM devices WHERE family = ? AND model = ? "
                "AND serial = ? AND simulated = ?",
                (info.family.name.lower(), info.model, info.serial, simulated),
            ).fetchone()
            if found is None:
                device_id = db.execute(
                    "INSERT INTO devices (family, model, serial, simulated, first_seen_at_ms, "
                    "last_seen_at_ms, firmware_version, hardware_version, info) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        info.family.name.lower(),
                        info.model,
                        info.serial,
                        simulated,
                        now,
                        now,
                        info.firmware_version,
                        info.hardware_version,
                        described,
                    ),
                ).lastrowid
                wanted = 0
            else:
                device_id, wanted = found
                db.execute(
                    "UPDATE devices SET last_seen_at_ms = ?, firmware_version = ?, "
                    "hardware_version = ?, info = ? WHERE id = ?",
                    (now, info.firmware_version, info.hardware_version, described, device_id),
                )
            connection_id = db.execute(
                "INSERT INTO connections (device_id, address, link, opened_at_ms, opened_mono_ns,"
                " firmware_version, protocol, info, host, user, pid, irlink_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    device_id,
                    self.address,
                    link_kind(self.address),
                    now,
                    mono,
                    info.firmware_version,
                    f"{info.protocol_version}.{info.protocol_minor}",
                    described,
                    socket.gethostname(),
                    user_name(),
                    os.getpid(),
                    __version__,
                ),
            ).lastrowid
            self.device_id, self.connection_id, self.log_from = device_id, connection_id, wanted
            self._mono0, self._raw, self._kept = mono, 0, ([], [])
            for row, at_ns in self._unlinked:
                db.execute(
                    "UPDATE security_events SET connection_id = ?, device_id = ?, mono_ms = ? "
                    "WHERE id = ?",
                    (connection_id, device_id, self._since_open(at_ns), row),
                )
            self._unlinked = []
            early, self._early = self._early or [], None
            for write in early:
                write(db)

        def undo() -> None:
            # Back to what it found: writes before it, retried alone, go to the connection
            # they were meant for, and those that came before any link wait for it again.
            if found_before:
                (
                    self.connection_id,
                    self.device_id,
                    self.log_from,
                    self._early,
                    self._mono0,
                    self._raw,
                    self._kept,
                    self._unlinked,
                ) = found_before.pop()
            self._forget()

        return self.log.record("connection", work, undo)

    def status(self, status: Status, *, pushed: bool) -> Future[Any]:
        """A sample, and what it shows of sessions."""
        at, mono_ns = _ms(), time.monotonic_ns()
        device, ports = rows_of(status)
        running = [
            (p.port, p.session_id) for p in status.ports if p.state in _ACTIVE and p.session_id
        ]

        def work(db: sqlite3.Connection) -> None:
            connection = self._connection("samples", work)
            if connection is None:
                return
            self.boot_count = status.boot_count
            self.uptime_s = int(status.uptime.total_seconds())
            mono = self._since_open(mono_ns)
            values = (connection, at, mono, pushed, *device)
            sample_id = db.execute(INSERT_SAMPLE, values).lastrowid
            port_rows = [(sample_id, *port) for port in ports]
            db.executemany(INSERT_PORT, port_rows)
            kept_rows = self._kept
            if kept_rows is not None:  # the rows, for the chunk: not read back from the file
                kept_rows[0].append((sample_id, *values[1:]))
                kept_rows[1].extend(port_rows)
            for key in running:
                kept = self._open.get(key)
                if key in self._ended_keys:
                    continue
                if kept is None or not kept.settings:
                    self._session(db, key[0], key[1], at, status)
            self._raw += 1
            if self._raw >= CHUNK:
                if kept_rows is None:  # a write failed since the last chunk: from the file
                    pack(db, connection)
                else:
                    pack_rows(db, connection, *kept_rows)
                self._raw, self._kept = 0, ([], [])

        return self.log.record("samples", work, self._forget)

    def event(self, event: DeviceEvent) -> Future[Any]:
        """An event, and what it changes of sessions and of the connection."""
        kind, port, session_id, data = event_row(event)
        at, mono_ns = _ms(event.at), time.monotonic_ns()
        text = json.dumps(data)

        def work(db: sqlite3.Connection) -> None:
            connection = self._connection("events", work)
            if connection is None:
                return
            mono = self._since_open(mono_ns)
            db.execute(
                "INSERT INTO events (connection_id, at_ms, mono_ms, kind, port, session_id, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (connection, at, mono, kind, port, session_id, text),
            )
            if isinstance(event, SessionStarted):  # the same id again: a new session after all
                self._ended_keys.discard((event.port, event.session_id))
                self._session(db, event.port, event.session_id, at, None, event.duration)
                db.execute(  # its start, exact now if a status had it reckoned
                    "UPDATE sessions SET started_at_ms = ?, times_estimated = 0 WHERE id = ? "
                    "AND times_estimated = 1 AND ended_at_ms IS NULL",
                    (at, self._open[(event.port, event.session_id)].row),
                )
            elif isinstance(event, SessionEnded):
                self._ended(db, event, at)
            elif isinstance(event, LinkDown):
                _mark_closed(db, connection, at, f"link lost: {event.reason}")

        return self.log.record("events", work, self._forget)

    def command(self, command: Command) -> Future[Any]:
        """A command and its outcome: the audit trail."""
        at, mono_ns = _ms(), time.monotonic_ns()
        args = json.dumps(dict(command.args), default=str)
        result = json.dumps(dict(command.result), default=str)
        code = None if command.code is None else command.code.name.lower()
        done = command.outcome == Outcome.DONE

        def work(db: sqlite3.Connection) -> None:
            connection = self._connection("commands", work)
            if connection is None:
                return
            mono = self._since_open(mono_ns)
            db.execute(
                "INSERT INTO commands (connection_id, at_ms, mono_ms, name, args, outcome, code,"
                " detail, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    connection,
                    at,
                    mono,
                    command.name,
                    args,
                    str(command.outcome),
                    code,
                    command.detail,
                    result,
                ),
            )
            port = command.result.get("port", command.args.get("port", 0))
            assert isinstance(port, int)
            ports = range(1, self._ports + 1) if port == 0 else (port,)
            if done and command.name == "configure":
                for each in ports:
                    self._configured[each] = dict(command.result)
            session_id = command.result.get("session_id")
            if done and command.name == "start" and isinstance(session_id, int):
                for each in ports:
                    self._ended_keys.discard((each, session_id))
                    self._session(db, each, session_id, at, None)

        return self.log.record("commands", work, self._forget)

    def usage(self, records: Sequence[UsageRecord]) -> Future[Any]:
        """Usage-log records read from the device: reconciled with the sessions kept."""
        at = _ms()
        read = list(records)

        def work(db: sqlite3.Connection) -> None:
            device_id = self.device_id
            if device_id is None or not read:
                return
            boot, uptime = self.boot_count, self.uptime_s
            ended = set(reconcile.records(db, device_id, read, at, boot, uptime))
            for key, kept in list(self._open.items()):
                if kept.row in ended:
                    del self._open[key]
            top = max(record.log_index for record in read) + 1
            self.log_from = max(self.log_from or 0, top)

        return self.log.record("usage log", work, self._forget)

    def security(self, event: SecurityEvent) -> Future[Any]:
        """A security event: one row, under this link's connection once it is recorded."""
        at, mono_ns = _ms(), time.monotonic_ns()
        data = json.dumps(dict(event.data), default=str)
        simulated = int(link_kind(self.address) == "sim")
        row_of: list[tuple[int, int]] = []

        def work(db: sqlite3.Connection) -> None:
            row_of.clear()
            connection = None if event.before_link else self.connection_id
            device = self.device_id if connection is not None else None
            if device is None and event.serial is not None:
                found = db.execute(
                    "SELECT id FROM devices WHERE serial = ? AND simulated = ? "
                    "ORDER BY last_seen_at_ms DESC LIMIT 1",
                    (event.serial, simulated),
                ).fetchone()
                device = None if found is None else found[0]
            mono = None if connection is None else self._since_open(mono_ns)
            row = db.execute(
                "INSERT INTO security_events (at_ms, mono_ms, device_id, connection_id, "
                "address, serial, kind, detail, data, host, user, pid) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    at,
                    mono,
                    device,
                    connection,
                    self.address,
                    event.serial,
                    str(event.kind),
                    event.detail,
                    data,
                    socket.gethostname(),
                    user_name(),
                    os.getpid(),
                ),
            ).lastrowid
            if event.before_link:
                assert row is not None
                row_of.append((row, mono_ns))
                self._unlinked.extend(row_of)

        def undo() -> None:
            for each in row_of:
                if each in self._unlinked:
                    self._unlinked.remove(each)

        return self.log.record("security", work, undo)

    def closed(self, reason: str) -> Future[Any]:
        """The host closed the device: the connection row closed, its samples packed."""
        at = _ms()

        def work(db: sqlite3.Connection) -> None:
            self._unlinked = []  # no link comes for them now: they stay without one
            self._close_connection(db, at, reason)
            for _ in self._early or ():  # came before a link that never was recorded
                self.log.unrecorded("events")
            self._early = None

        return self.log.record("connection", work)

    # Helpers: run by the writer thread, inside a write.

    def _since_open(self, mono_ns: int) -> int:
        """A monotonic reading as milliseconds since this connection opened."""
        return (mono_ns - self._mono0) // 1_000_000

    def _forget(self) -> None:
        """A write did not commit: the sessions it may have kept are looked up afresh, and
        the next chunk is read from the file."""
        self._open.clear()
        self._kept = None

    def _connection(self, kind: str, write: Callable[[sqlite3.Connection], None]) -> int | None:
        """This link's connection row. None before the first link is recorded (``write`` is
        kept for then), or if its row could not be written (``kind`` counted lost)."""
        if self.connection_id is None:
            if self._early is not None and len(self._early) < EARLY_MAX:
                if write not in self._early:  # tried again after a failed batch: once
                    self._early.append(write)
            else:
                self.log.unrecorded(kind)
        return self.connection_id

    def _close_connection(self, db: sqlite3.Connection, at: int, reason: str) -> None:
        connection = self.connection_id
        if connection is None:
            return
        _mark_closed(db, connection, at, reason)
        pack(db, connection)
        self._raw, self._kept = 0, ([], [])
        self._open.clear()

    def _session(
        self,
        db: sqlite3.Connection,
        port: int,
        session_id: int,
        at: int,
        status: Status | None,
        duration: Any = None,
    ) -> None:
        """Make sure the session is kept; fill in its planned settings from ``status``."""
        key = (port, session_id)
        kept = self._open.get(key)
        if kept is None:
            # Seen before on an earlier link (a drop, a reconnection): the same row.
            found = reconcile.open_session(db, self.device_id, key, self.boot_count, at)
            if found is None:
                # First seen running in a status (another app started it, or a recording
                # began mid-session): its start reckoned from how much of it has run.
                start, estimated = at, 0
                if status is not None:
                    start -= int(status.port(port).elapsed.total_seconds()) * 1000
                    estimated = 1
                row = db.execute(
                    "INSERT INTO sessions (device_id, connection_id, port, session_id, source, "
                    "started_at_ms, times_estimated, boot_count) "
                    "VALUES (?, ?, ?, ?, 'live', ?, ?, ?)",
                    (
                        self.device_id,
                        self.connection_id,
                        port,
                        session_id,
                        start,
                        estimated,
                        self.boot_count,
                    ),
                ).lastrowid
                assert row is not None
                kept = _Open(row, False)
            else:
                kept = _Open(found, False)
            self._open[key] = kept
        asked = self._configured.get(port)
        if asked is not None and status is None and not kept.settings:
            setpoint = asked.get("setpoint_dc")
            db.execute(
                "UPDATE sessions SET duration_s = coalesce(duration_s, ?), "
                "intensity = coalesce(intensity, ?), mode = coalesce(mode, ?), "
                "pulse_hz = coalesce(pulse_hz, ?), setpoint_dc = coalesce(setpoint_dc, ?), "
                "sham = coalesce(sham, ?), override = coalesce(override, ?) WHERE id = ?",
                (
                    asked.get("duration_s"),
                    asked.get("intensity"),
                    asked.get("mode"),
                    asked.get("pulse_hz"),
                    setpoint if self._heater else None,
                    _flag(asked.get("sham")),  # None: masked (a blinded study)
                    int(bool(asked.get("override"))),
                    kept.row,
                ),
            )
        if duration is not None and not kept.settings:
            db.execute(
                "UPDATE sessions SET duration_s = ? WHERE id = ? AND duration_s IS NULL",
                (int(duration.total_seconds()), kept.row),
            )
        if status is not None and not kept.settings:
            p = status.port(port)
            db.execute(
                "UPDATE sessions SET duration_s = ?, intensity = ?, mode = ?, pulse_hz = ?, "
                "setpoint_dc = ?, sham = ?, override = ?, boot_count = ? WHERE id = ?",
                (
                    int(p.duration.total_seconds()),
                    p.intensity,
                    p.mode.name.lower(),
                    p.pulse_hz,
                    None if p.setpoint_c is None else round(p.setpoint_c * 10),
                    _flag(p.sham),
                    _flag(p.override),
                    status.boot_count,
                    kept.row,
                ),
            )
            kept.settings = True

    def _ended(self, db: sqlite3.Connection, event: SessionEnded, at: int) -> None:
        key = (event.port, event.session_id)
        self._ended_keys.add(key)
        kept = self._open.pop(key, None)
        # An end read from the usage log may come after a restart: its session ran in an
        # earlier boot than the one the host sees now.
        boot = None if event.recovered else self.boot_count
        row = (
            kept.row
            if kept is not None
            else reconcile.open_session(db, self.device_id, key, boot, at, ended=True)
        )
        if row is None:  # never seen running: known now from its end alone
            row = db.execute(
                "INSERT INTO sessions (device_id, connection_id, port, session_id, source, "
                "boot_count) VALUES (?, ?, ?, ?, 'live', ?)",
                (self.device_id, self.connection_id, event.port, event.session_id, self.boot_count),
            ).lastrowid
        delivered = None if event.delivered is None else int(event.delivered.total_seconds())
        db.execute(
            "UPDATE sessions SET ended_at_ms = coalesce(ended_at_ms, ?), "
            "end_reason = coalesce(end_reason, ?), end_seen = coalesce(end_seen, ?), "
            "delivered_s = coalesce(delivered_s, ?) WHERE id = ?",
            (
                at,
                event.reason.name.lower(),
                "recovered" if event.recovered else "live",
                delivered,
                row,
            ),
        )


def _flag(value: object) -> int | None:
    """A flag as the log keeps it: 0 or 1, or NULL when not known (a sham masked)."""
    return None if value is None else int(bool(value))


def _mark_closed(db: sqlite3.Connection, connection: int, at: int, reason: str) -> None:
    """Close a connection's row, unless it is closed already (the first reason stands)."""
    db.execute(
        "UPDATE connections SET closed_at_ms = ?, close_reason = ? "
        "WHERE id = ? AND closed_at_ms IS NULL",
        (at, reason, connection),
    )
