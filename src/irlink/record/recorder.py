"""The recorder of one device: what the :class:`~irlink.Device` tells its journal, into the log.

Each call is one committed transaction, made before the device hands the same thing
to its caller. Sessions are kept as they become known: from the start the device
confirmed, its ``session_started`` event or a status that shows one running; their
planned settings from the device's own status; their end from its event, or from its
usage log when the host missed it (``end_seen`` recovered). Usage-log records are
reconciled as the device reads them (:mod:`irlink.record.reconcile`).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from irlink import __version__
from irlink.events import (
    DeviceEvent,
    EventsMissed,
    FaultCleared,
    FaultRaised,
    LinkDown,
    LinkRestored,
    LowBattery,
    PadAttached,
    PadDetached,
    Restarted,
    SessionEnded,
    SessionStarted,
)
from irlink.journal import Command
from irlink.model import Info, Status, UsageRecord
from irlink.protocol.messages import PortState
from irlink.record import reconcile
from irlink.record.samples import CHUNK, INSERT_PORT, INSERT_SAMPLE, pack, rows_of

if TYPE_CHECKING:
    from irlink.record.store import SessionLog

__all__ = ["DeviceRecorder", "info_json", "link_kind"]

_ACTIVE = (PortState.RUNNING, PortState.PAUSED)


def _ms(at: datetime | None = None) -> int:
    return time.time_ns() // 1_000_000 if at is None else int(at.timestamp() * 1000)


def link_kind(address: str) -> str:
    """The kind of link an address names: sim, ble, tcp or serial."""
    for prefix, kind in (("sim://", "sim"), ("ble://", "ble"), ("socket://", "tcp")):
        if address.startswith(prefix):
            return kind
    return "serial"


def info_json(info: Info) -> str:
    """What a device advertised, as the JSON the log keeps (durations in seconds)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "total_seconds"):
            return value.total_seconds()
        if hasattr(value, "name") and hasattr(value, "value"):
            return value.name.lower() if value.name else int(value)
        return value

    return json.dumps({key: plain(value) for key, value in asdict(info).items()}, default=str)


@dataclass
class _Open:
    """A session of this connection not yet known to have ended."""

    row: int
    settings: bool  # its planned settings are filled in


@dataclass
class DeviceRecorder:
    """Records one device into a :class:`~irlink.record.SessionLog` (an irlink.journal.Journal)."""

    log: SessionLog
    address: str
    device_id: int | None = None
    connection_id: int | None = None
    boot_count: int | None = None  # as last seen in a status
    uptime_s: int = 0
    log_from: int | None = None  # the usage-log index from which records are not reconciled
    _mono0: int = 0
    _raw: int = 0  # samples of this connection not yet packed
    _open: dict[tuple[int, int], _Open] = field(default_factory=dict)
    _early: list[tuple[str, Any]] = field(default_factory=list)  # told before the first link

    # The Journal interface.

    def linked(self, info: Info) -> None:
        """A new link: the device's row brought up to date, a connection row opened."""
        self._end_connection("the link was replaced")
        now, mono = _ms(), time.monotonic_ns()
        described = info_json(info)

        def work(db: sqlite3.Connection) -> tuple[int, int, int]:
            found = db.execute(
                "SELECT id FROM devices WHERE family = ? AND model = ? AND serial = ?",
                (info.family.name.lower(), info.model, info.serial),
            ).fetchone()
            if found is None:
                device_id = db.execute(
                    "INSERT INTO devices (family, model, serial, first_seen_at_ms, "
                    "last_seen_at_ms, firmware_version, hardware_version, info) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        info.family.name.lower(),
                        info.model,
                        info.serial,
                        now,
                        now,
                        info.firmware_version,
                        info.hardware_version,
                        described,
                    ),
                ).lastrowid
            else:
                device_id = found[0]
                db.execute(
                    "UPDATE devices SET last_seen_at_ms = ?, firmware_version = ?, "
                    "hardware_version = ?, info = ? WHERE id = ?",
                    (now, info.firmware_version, info.hardware_version, described, device_id),
                )
            assert device_id is not None
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
                    _user(),
                    os.getpid(),
                    __version__,
                ),
            ).lastrowid
            assert connection_id is not None
            wanted = db.execute(
                "SELECT log_next_index FROM devices WHERE id = ?", (device_id,)
            ).fetchone()[0]
            return device_id, connection_id, wanted

        done = self.log.write("connection", work)
        if done is None:
            return
        self.device_id, self.connection_id, self.log_from = done
        self._mono0 = mono
        self._raw = 0
        early, self._early = self._early, []
        for kind, value in early:
            if kind == "event":
                self.event(value)
            else:
                self.status(value, pushed=kind == "pushed")

    def status(self, status: Status, *, pushed: bool) -> None:
        """A sample, and what it shows of sessions: one transaction."""
        connection = self.connection_id
        if connection is None:
            self._pending("pushed" if pushed else "read", status)
            return
        self.boot_count = status.boot_count
        self.uptime_s = int(status.uptime.total_seconds())
        device, ports = rows_of(status)
        at, mono = self._now()
        running = [p for p in status.ports if p.state in _ACTIVE and p.session_id]
        need_session = any(
            (p.port, p.session_id) not in self._open
            or not self._open[(p.port, p.session_id)].settings
            for p in running
        )
        pack_now = self._raw + 1 >= CHUNK

        def work(db: sqlite3.Connection) -> bool:
            sample = db.execute(INSERT_SAMPLE, (connection, at, mono, int(pushed), *device))
            db.executemany(INSERT_PORT, [(sample.lastrowid, *port) for port in ports])
            if need_session:
                for port in running:
                    self._session(db, port.port, port.session_id, at, status)
            if pack_now:
                pack(db, connection)
            return True  # written (write's None means lost): the count of raw samples moves

        if self.log.write("samples", work) is not None:
            self._raw = 0 if pack_now else self._raw + 1

    def event(self, event: DeviceEvent) -> None:
        """An event, and what it changes of sessions and of the connection."""
        connection = self.connection_id
        if connection is None:
            self._pending("event", event)
            return
        kind, port, session_id, data = _event_row(event)
        at, mono = _ms(event.at), self._mono()

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO events (connection_id, at_ms, mono_ms, kind, port, session_id, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (connection, at, mono, kind, port, session_id, json.dumps(data)),
            )
            if isinstance(event, SessionStarted):
                self._session(db, event.port, event.session_id, at, None, event.duration)
            elif isinstance(event, SessionEnded):
                self._ended(db, event, at)
            elif isinstance(event, LinkDown):
                db.execute(
                    "UPDATE connections SET closed_at_ms = ?, close_reason = ? "
                    "WHERE id = ? AND closed_at_ms IS NULL",
                    (at, f"link lost: {event.reason}", connection),
                )

        self.log.write("events", work)

    def command(self, command: Command) -> None:
        """A command and its outcome: the audit trail."""
        connection = self.connection_id
        if connection is None:
            return  # nothing is sent before the first link is read
        at, mono = self._now()
        started = (
            command.name == "start"
            and command.outcome == "done"
            and isinstance(command.result.get("session_id"), int)
        )

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO commands (connection_id, at_ms, mono_ms, name, args, outcome, code,"
                " detail, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    connection,
                    at,
                    mono,
                    command.name,
                    json.dumps(dict(command.args), default=str),
                    str(command.outcome),
                    None if command.code is None else command.code.name.lower(),
                    command.detail,
                    json.dumps(dict(command.result), default=str),
                ),
            )
            if started:
                session_id = command.result["session_id"]
                assert isinstance(session_id, int)
                port = command.args.get("port", 0)
                assert isinstance(port, int)
                count = self._port_count(db)
                for each in range(1, count + 1) if port == 0 else (port,):
                    self._session(db, each, session_id, at, None)

        self.log.write("commands", work)

    def usage(self, records: Sequence[UsageRecord]) -> None:
        """Usage-log records read from the device: reconciled with the sessions kept."""
        device_id = self.device_id
        if device_id is None or not records:
            return
        at = _ms()
        boot, uptime = self.boot_count, self.uptime_s

        def work(db: sqlite3.Connection) -> None:
            for session_row in reconcile.records(db, device_id, records, at, boot, uptime):
                for key, kept in list(self._open.items()):
                    if kept.row == session_row:
                        del self._open[key]

        self.log.write("usage log", work)

    def closed(self, reason: str) -> None:
        """The host closed the device: the connection row closed, its samples packed."""
        self._end_connection(reason)

    # Helpers.

    def _end_connection(self, reason: str) -> None:
        connection = self.connection_id
        if connection is None:
            return
        self.connection_id = None
        at = _ms()

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE connections SET closed_at_ms = ?, close_reason = ? "
                "WHERE id = ? AND closed_at_ms IS NULL",
                (at, reason, connection),
            )
            pack(db, connection)

        self.log.write("connection", work)
        self._open.clear()

    def _pending(self, kind: str, value: Any) -> None:
        self._early.append((kind, value))

    def _now(self) -> tuple[int, int]:
        return _ms(), self._mono()

    def _mono(self) -> int:
        return (time.monotonic_ns() - self._mono0) // 1_000_000

    def _port_count(self, db: sqlite3.Connection) -> int:
        info = db.execute("SELECT info FROM devices WHERE id = ?", (self.device_id,)).fetchone()
        count: int = json.loads(info[0])["port_count"]
        return count

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
                row = db.execute(
                    "INSERT INTO sessions (device_id, connection_id, port, session_id, source, "
                    "started_at_ms, boot_count) VALUES (?, ?, ?, ?, 'live', ?, ?)",
                    (self.device_id, self.connection_id, port, session_id, at, self.boot_count),
                ).lastrowid
                assert row is not None
                kept = _Open(row, False)
            else:
                kept = _Open(found, False)
            self._open[key] = kept
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
                    int(p.sham),
                    None if p.override is None else int(p.override),
                    status.boot_count,
                    kept.row,
                ),
            )
            kept.settings = True

    def _ended(self, db: sqlite3.Connection, event: SessionEnded, at: int) -> None:
        key = (event.port, event.session_id)
        kept = self._open.pop(key, None)
        row = (
            kept.row
            if kept is not None
            else reconcile.open_session(db, self.device_id, key, self.boot_count, at)
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


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _event_row(event: DeviceEvent) -> tuple[str, int | None, int | None, dict[str, Any]]:
    """An event as its kind, port, session id and the rest of what it says."""
    match event:
        case SessionStarted():
            return (
                "session_started",
                event.port,
                event.session_id,
                {"duration_s": event.duration.total_seconds()},
            )
        case SessionEnded():
            delivered = None if event.delivered is None else event.delivered.total_seconds()
            return (
                "session_ended",
                event.port,
                event.session_id,
                {
                    "reason": event.reason.name.lower(),
                    "delivered_s": delivered,
                    "recovered": event.recovered,
                },
            )
        case FaultRaised() | FaultCleared():
            kind = "fault_raised" if isinstance(event, FaultRaised) else "fault_cleared"
            names = [f.name.lower() for f in type(event.fault) if f in event.fault and f.name]
            return kind, event.port, None, {"fault": int(event.fault), "faults": names}
        case PadAttached():
            return "pad_attached", event.port, None, {"pad_type": event.pad_type}
        case PadDetached():
            return "pad_detached", event.port, None, {}
        case LowBattery():
            return (
                "low_battery",
                None,
                None,
                {
                    "battery_pct": event.battery_pct,
                    "battery_v": event.battery_v,
                },
            )
        case LinkDown():
            return "link_down", None, None, {"reason": event.reason}
        case LinkRestored():
            return (
                "link_restored",
                None,
                None,
                {
                    "rebooted": event.rebooted,
                    "boot_count": event.status.boot_count,
                },
            )
        case Restarted():
            cause = None if event.cause is None else event.cause.name.lower()
            return "restarted", None, None, {"boot_count": event.boot_count, "cause": cause}
        case EventsMissed():
            return "events_missed", None, None, {"missed": event.missed}
    name = type(event).__name__
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return snake, None, None, {}
