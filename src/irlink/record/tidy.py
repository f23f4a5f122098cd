"""The session log as tidy tables, for R, pandas or a spreadsheet (:mod:`irlink.record.export`).

One table per kind: ``devices``, ``connections``, ``sessions``, ``samples``, ``events``,
``commands``, ``security_events``. ``samples`` is in long form: one row per port per
status sample, the device's own values repeated on each. Every table has a header row; units are in
column names (``remaining_s``, ``pad_temp_c``); temperatures are degrees Celsius as
numbers; times are ISO 8601 UTC (``..._utc``) and also the log's raw milliseconds
since 1970 (``..._ms``); flags are ``true``/``false``; an unknown value is an empty
cell (``null`` in JSON), and so is the ``sham`` of a device in a blinded study (masked).
Rows are streamed: a year of samples is never in memory at once.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from irlink.protocol.messages import DeviceState, FaultFlags, Mode, PortState
from irlink.protocol.plain import plain_enum
from irlink.record.queries import sessions, to_ms
from irlink.record.samples import read_samples
from irlink.record.store import SessionLog

__all__ = ["COLUMNS", "JSON_COLUMNS", "TABLES", "tables", "utc"]

Row = dict[str, Any]

COLUMNS: dict[str, tuple[str, ...]] = {
    "devices": (
        "device_id", "family", "model", "serial", "simulated", "firmware_version",
        "hardware_version", "first_seen_utc", "first_seen_ms", "last_seen_utc", "last_seen_ms",
        "info",
    ),
    "connections": (
        "connection_id", "device_id", "device_serial", "address", "link", "opened_at_utc",
        "opened_at_ms", "closed_at_utc", "closed_at_ms", "close_reason", "firmware_version",
        "protocol", "host", "user", "pid", "irlink_version",
    ),
    "sessions": (
        "log_session_id", "device_id", "device_serial", "device_model", "device_simulated",
        "port", "session_id",
        "source", "started_at_utc", "started_at_ms", "ended_at_utc", "ended_at_ms",
        "times_estimated", "planned_s", "delivered_s", "intensity", "mode", "pulse_hz",
        "setpoint_c", "sham", "override", "outcome", "end_reason", "end_seen", "boot_count",
        "log_index",
    ),
    "samples": (
        "connection_id", "device_id", "device_serial", "sample_id", "at_utc", "at_ms",
        "mono_ms", "pushed", "device_state", "battery_pct", "battery_v", "charger",
        "board_temp_c", "device_faults", "uptime_s", "boot_count", "port", "log_session_id",
        "session_id", "port_state", "pad_present", "pad_type", "duration_s", "remaining_s",
        "intensity", "mode", "pulse_hz", "sham", "setpoint_c", "pad_temp_c", "skin_temp_c",
        "port_faults", "override", "starts_left",
    ),
    "events": (
        "event_id", "connection_id", "device_id", "device_serial", "at_utc", "at_ms", "mono_ms",
        "kind", "port", "session_id", "data",
    ),
    "commands": (
        "command_id", "connection_id", "device_id", "device_serial", "at_utc", "at_ms",
        "mono_ms", "name", "port", "args", "outcome", "code", "detail", "result", "user",
        "host", "pid",
    ),
    "security_events": (
        "security_event_id", "connection_id", "device_id", "device_serial", "at_utc", "at_ms",
        "mono_ms", "address", "kind", "detail", "data", "user", "host", "pid",
    ),
}  # fmt: skip
TABLES = tuple(COLUMNS)
JSON_COLUMNS = frozenset({"info", "data", "args", "result"})  # JSON text in a CSV cell


def utc(ms: int | None) -> str | None:
    """A log time as ISO 8601 UTC with milliseconds: ``2026-12-02T09:30:00.000Z``."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _c(dc: int | None) -> float | None:
    return None if dc is None else dc / 10


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _faults(value: int) -> str:
    # Names, not the bit mask: "none" rather than an empty cell, which would mean unknown.
    return "|".join(plain_enum(FaultFlags(value))) or "none"


def _named(enum: Any, value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return str(enum(value).name.lower())
    except ValueError:
        return str(value)  # a state this version does not name


@dataclass
class _Scope:
    """What the filters select: the devices, their connections, a time span."""

    devices: dict[int, str]  # device id: serial
    connections: dict[int, int]  # connection id: device id
    low: int
    high: int  # exclusive


def _scope(
    log: SessionLog, serial: str | None, since: datetime | None, until: datetime | None
) -> _Scope:
    low = -(2**62) if since is None else to_ms(since)
    high = 2**62 if until is None else to_ms(until)
    devices = dict(
        log.db.execute(
            "SELECT id, serial FROM devices WHERE ? IS NULL OR serial = ? ORDER BY id",
            (serial, serial),
        ).fetchall()
    )
    connections = {
        connection: device
        for connection, device, opened, closed in log.db.execute(
            "SELECT id, device_id, opened_at_ms, closed_at_ms FROM connections ORDER BY id"
        )
        if device in devices and opened < high and (closed is None or closed >= low)
    }
    return _Scope(devices, connections, low, high)


def tables(
    log: SessionLog,
    *,
    serial: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[tuple[str, Iterator[Row]]]:
    """Each table's name and its rows (dicts in :data:`COLUMNS` order), filtered as
    :func:`~irlink.record.queries.sessions` is: by device serial, and by time from
    ``since`` up to (not including) ``until``. Consume each table's rows before the next."""
    scope = _scope(log, serial, since, until)
    yield "devices", _devices(log, scope)
    yield "connections", _connections(log, scope)
    yield "sessions", _sessions(log, serial, since, until)
    yield "samples", _samples(log, scope)
    yield "events", _events(log, scope)
    yield "commands", _commands(log, scope)
    yield "security_events", _security_events(log, scope, serial)


def _devices(log: SessionLog, scope: _Scope) -> Iterator[Row]:
    for row in log.db.execute(
        "SELECT id, family, model, serial, simulated = 1, firmware_version, hardware_version, "
        "first_seen_at_ms, last_seen_at_ms, info FROM devices ORDER BY id"
    ):
        if row[0] in scope.devices:
            yield dict(
                zip(
                    COLUMNS["devices"],
                    (*row[:7], utc(row[7]), row[7], utc(row[8]), row[8], row[9]),
                    strict=True,
                )
            )


def _connections(log: SessionLog, scope: _Scope) -> Iterator[Row]:
    for row in log.db.execute(
        "SELECT id, device_id, address, link, opened_at_ms, closed_at_ms, close_reason, "
        "firmware_version, protocol, host, user, pid, irlink_version FROM connections ORDER BY id"
    ):
        if row[0] not in scope.connections:
            continue
        at, closed = row[4], row[5]
        values = (
            row[0],
            row[1],
            scope.devices[row[1]],
            row[2],
            row[3],
            utc(at),
            at,
            utc(closed),
            closed,
            *row[6:],
        )
        yield dict(zip(COLUMNS["connections"], values, strict=True))


def _sessions(
    log: SessionLog, serial: str | None, since: datetime | None, until: datetime | None
) -> Iterator[Row]:
    for kept in sessions(log, serial=serial, since=since, until=until):
        started = None if kept.started_at is None else to_ms(kept.started_at)
        ended = None if kept.ended_at is None else to_ms(kept.ended_at)
        yield dict(zip(COLUMNS["sessions"], (
            kept.id, kept.device_id, kept.serial, kept.model, kept.simulated, kept.port,
            kept.session_id,
            kept.source, utc(started), started, utc(ended), ended, kept.times_estimated,
            kept.duration_s, kept.delivered_s, kept.intensity, kept.mode, kept.pulse_hz,
            kept.setpoint_c, kept.sham, kept.override, kept.outcome, kept.end_reason,
            kept.end_seen, kept.boot_count, kept.log_index,
        ), strict=True))  # fmt: skip


class _SessionFinder:
    """The log's session a port sample belongs to: the device's session ids are reused."""

    def __init__(self, log: SessionLog) -> None:
        self._starts: dict[tuple[int, int, int], tuple[list[int], list[int]]] = {}
        for row_id, device, port, session_id, start in log.db.execute(
            "SELECT id, device_id, port, session_id, coalesce(started_at_ms, ended_at_ms, 0) "
            "FROM sessions ORDER BY 5, id"
        ):
            times, ids = self._starts.setdefault((device, port, session_id), ([], []))
            times.append(start)
            ids.append(row_id)

    def find(self, device: int, port: int, session_id: int, at: int) -> int | None:
        found = self._starts.get((device, port, session_id))
        if not session_id or found is None:
            return None
        times, ids = found
        return ids[max(bisect.bisect_right(times, at) - 1, 0)]


def _samples(log: SessionLog, scope: _Scope) -> Iterator[Row]:
    finder = _SessionFinder(log)
    names = COLUMNS["samples"]
    for sample in read_samples(log.db, list(scope.connections), scope.low, scope.high - 1):
        v = sample.values
        device = scope.connections[sample.connection_id]
        mv = v["battery_mv"]
        head = (
            sample.connection_id, device, scope.devices[device], v["id"], utc(v["at_ms"]),
            v["at_ms"], v["mono_ms"], bool(v["pushed"]), _named(DeviceState, v["state"]),
            v["battery_pct"], None if mv is None else mv / 1000, _flag(v["charger"]),
            _c(v["board_dc"]), _faults(v["faults"]), v["uptime_s"], v["boot_count"],
        )  # fmt: skip
        for p in sample.ports:
            session = finder.find(device, p["port"], p["session_id"], v["at_ms"])
            yield dict(zip(names, (*head, p["port"], session, p["session_id"],
                _named(PortState, p["state"]), bool(p["pad_present"]),
                p["pad_type"], p["duration_s"], p["remaining_s"], p["intensity"],
                _named(Mode, p["mode"]), p["pulse_hz"], _flag(p["sham"]), _c(p["setpoint_dc"]),
                _c(p["temp_dc"]), _c(p["skin_dc"]), _faults(p["faults"]), _flag(p["override"]),
                p["starts_left"],
            ), strict=True))  # fmt: skip


def _timed(log: SessionLog, scope: _Scope, sql: str) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (id, connection_id, at_ms, ...) of the scope's connections and span."""
    for row in log.db.execute(
        sql + " WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id", (scope.low, scope.high)
    ):
        if row[1] in scope.connections:
            yield row


def _events(log: SessionLog, scope: _Scope) -> Iterator[Row]:
    sql = "SELECT id, connection_id, at_ms, mono_ms, kind, port, session_id, data FROM events"
    for row in _timed(log, scope, sql):
        device = scope.connections[row[1]]
        yield dict(
            zip(
                COLUMNS["events"],
                (row[0], row[1], device, scope.devices[device], utc(row[2]), *row[2:]),
                strict=True,
            )
        )


def _commands(log: SessionLog, scope: _Scope) -> Iterator[Row]:
    who = {row[0]: row[1:] for row in log.db.execute("SELECT id, user, host, pid FROM connections")}
    sql = (
        "SELECT id, connection_id, at_ms, mono_ms, name, args, outcome, code, detail, result "
        "FROM commands"
    )
    for row in _timed(log, scope, sql):
        device = scope.connections[row[1]]
        port = json.loads(row[5]).get("port")
        values = (
            row[0],
            row[1],
            device,
            scope.devices[device],
            utc(row[2]),
            *row[2:5],
            port,
            *row[5:],
            *who[row[1]],
        )
        yield dict(zip(COLUMNS["commands"], values, strict=True))


def _security_events(log: SessionLog, scope: _Scope, serial: str | None) -> Iterator[Row]:
    """Security events of the scope's devices and span; one with no device row recorded (a
    device refused before its link was) counts by the serial it names."""
    if not log.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'security_events'").fetchone():
        return  # a log read before it was brought to schema 3
    for row in log.db.execute(
        "SELECT id, connection_id, device_id, serial, at_ms, mono_ms, address, kind, detail, "
        "data, user, host, pid FROM security_events WHERE at_ms >= ? AND at_ms < ? "
        "ORDER BY at_ms, id",
        (scope.low, scope.high),
    ):
        device, named = row[2], row[3]
        if device is not None:
            if device not in scope.devices:
                continue
            named = scope.devices[device]
        elif serial is not None and named != serial:
            continue
        values = (*row[:3], named, utc(row[4]), *row[4:])
        yield dict(zip(COLUMNS["security_events"], values, strict=True))
