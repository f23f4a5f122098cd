"""Reading the session log back: devices, sessions (filtered), one session whole, its samples."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from irlink.record.samples import SampleRow, read_samples
from irlink.record.store import RecordError, SessionLog

__all__ = [
    "DeviceRow",
    "SessionDetail",
    "SessionRow",
    "devices",
    "session",
    "session_samples",
    "sessions",
]


def when(ms: int | None) -> datetime | None:
    """A log time (UTC milliseconds) as an aware datetime."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def to_ms(at: datetime) -> int:
    """An aware datetime as a log time; a naive one is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """A device the log has seen, with what it advertised when last seen."""

    id: int
    family: str
    model: str
    serial: str
    firmware_version: str
    hardware_version: str
    first_seen: datetime
    last_seen: datetime
    connections: int
    sessions: int
    info: dict[str, Any]
    simulated: bool = False  # irlink's simulator, not a real device


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session as kept: planned settings, when it ran, how it ended, what it delivered.

    ``source`` is ``live`` (seen while it ran) or ``recovered`` (known only from the
    device's usage log); ``end_seen`` says the same of its end. ``delivered_s`` is the
    device's own count; None while not known. Times are None when unknown, and
    ``times_estimated`` when reckoned from the device's uptime.
    """

    id: int
    device_id: int
    family: str
    model: str
    serial: str
    port: int
    session_id: int
    source: str
    started_at: datetime | None
    ended_at: datetime | None
    times_estimated: bool
    duration_s: int | None
    intensity: int | None
    mode: str | None
    pulse_hz: int | None
    setpoint_c: float | None
    sham: bool | None
    override: bool | None
    end_reason: str | None
    end_seen: str | None
    delivered_s: int | None
    boot_count: int | None
    log_index: int | None
    simulated: bool = False  # on irlink's simulator, not a real device

    @property
    def outcome(self) -> str:
        """``completed``, ``ended early`` (any other end), or ``end unknown`` (none seen yet)."""
        if self.end_reason is None:
            return "end unknown"
        return "completed" if self.end_reason == "completed" else "ended early"


@dataclass(frozen=True, slots=True)
class SessionDetail:
    """One session whole: its row, and what its connections recorded while it ran."""

    session: SessionRow
    events: list[dict[str, Any]]
    commands: list[dict[str, Any]]
    samples: int
    summary: dict[str, Any]  # per measured value: min, max, mean, first, last over its samples


_SESSION_SELECT = (
    "SELECT s.id, s.device_id, d.family, d.model, d.serial, s.port, s.session_id, s.source, "
    "s.started_at_ms, s.ended_at_ms, s.times_estimated, s.duration_s, s.intensity, s.mode, "
    "s.pulse_hz, s.setpoint_dc, s.sham, s.override, s.end_reason, s.end_seen, s.delivered_s, "
    "s.boot_count, s.log_index, d.simulated FROM sessions s JOIN devices d ON d.id = s.device_id"
)


def _session_row(row: Sequence[Any]) -> SessionRow:
    def flag(value: int | None) -> bool | None:
        return None if value is None else bool(value)

    return SessionRow(
        id=row[0],
        device_id=row[1],
        family=row[2],
        model=row[3],
        serial=row[4],
        port=row[5],
        session_id=row[6],
        source=row[7],
        started_at=when(row[8]),
        ended_at=when(row[9]),
        times_estimated=bool(row[10]),
        duration_s=row[11],
        intensity=row[12],
        mode=row[13],
        pulse_hz=row[14],
        setpoint_c=None if row[15] is None else row[15] / 10,
        sham=flag(row[16]),
        override=flag(row[17]),
        end_reason=row[18],
        end_seen=row[19],
        delivered_s=row[20],
        boot_count=row[21],
        log_index=row[22],
        simulated=bool(row[23]),
    )


def devices(log: SessionLog) -> list[DeviceRow]:
    """Every device the log has seen, the most recently seen first."""
    rows = log.db.execute(
        "SELECT d.id, d.family, d.model, d.serial, d.firmware_version, d.hardware_version, "
        "d.first_seen_at_ms, d.last_seen_at_ms, d.info, "
        "(SELECT count(*) FROM connections c WHERE c.device_id = d.id), "
        "(SELECT count(*) FROM sessions s WHERE s.device_id = d.id), d.simulated "
        "FROM devices d ORDER BY d.last_seen_at_ms DESC, d.id"
    ).fetchall()
    out = []
    for row in rows:
        first, last = when(row[6]), when(row[7])
        assert first is not None
        assert last is not None
        out.append(
            DeviceRow(
                id=row[0],
                family=row[1],
                model=row[2],
                serial=row[3],
                firmware_version=row[4],
                hardware_version=row[5],
                first_seen=first,
                last_seen=last,
                connections=row[9],
                sessions=row[10],
                info=json.loads(row[8]),
                simulated=bool(row[11]),
            )
        )
    return out


ENDINGS = ("completed", "early", "unknown")  # what --ended filters on, besides a reason


def sessions(
    log: SessionLog,
    *,
    serial: str | None = None,
    port: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ended: str | None = None,
) -> list[SessionRow]:
    """The sessions kept, oldest first; filtered by device serial, port, start time (a
    session with no known start counts by its end) and how it ended: ``completed``,
    ``early`` (any other end), ``unknown`` (no end seen), or an end reason such as ``stopped``.
    """
    where: list[str] = []
    args: list[object] = []
    if serial is not None:
        where.append("d.serial = ?")
        args.append(serial)
    if port is not None:
        where.append("s.port = ?")
        args.append(port)
    moment = "coalesce(s.started_at_ms, s.ended_at_ms)"
    if since is not None:
        where.append(f"{moment} >= ?")
        args.append(to_ms(since))
    if until is not None:
        where.append(f"{moment} < ?")
        args.append(to_ms(until))
    if ended == "completed":
        where.append("s.end_reason = 'completed'")
    elif ended == "early":
        where.append("s.end_reason <> 'completed'")
    elif ended == "unknown":
        where.append("s.end_reason IS NULL")
    elif ended is not None:
        where.append("s.end_reason = ?")
        args.append(ended)
    sql = _SESSION_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY {moment} IS NULL, {moment}, s.id"
    return [_session_row(row) for row in log.db.execute(sql, args).fetchall()]


def session(log: SessionLog, number: int) -> SessionDetail:
    """Session ``number`` (its row id in the log): settings, events, commands, samples summed up."""
    row = log.db.execute(_SESSION_SELECT + " WHERE s.id = ?", (number,)).fetchone()
    if row is None:
        raise RecordError(
            f"the session log {log.path} has no session {number}: `irlink log sessions` lists them"
        )
    kept = _session_row(row)
    low, high = _span(kept)
    connections = _connections(log, kept, low, high)
    marks = ",".join("?" * len(connections)) or "NULL"
    events = [
        {"at": when(at), "kind": kind, "port": p, "session_id": sid, **json.loads(data)}
        for at, kind, p, sid, data in log.db.execute(
            "SELECT at_ms, kind, port, session_id, data FROM events "
            f"WHERE connection_id IN ({marks}) AND at_ms BETWEEN ? AND ? ORDER BY at_ms, id",
            (*connections, low, high),
        )
        if p in (None, 0, kept.port)
    ]
    commands = [
        {
            "at": when(at),
            "name": name,
            "args": json.loads(args),
            "outcome": outcome,
            "code": code,
            "detail": detail,
            "by": f"{user}@{host} (pid {pid})",  # who asked: the process that sent it
        }
        for at, name, args, outcome, code, detail, user, host, pid in log.db.execute(
            "SELECT m.at_ms, m.name, m.args, m.outcome, m.code, m.detail, c.user, c.host, c.pid "
            f"FROM commands m JOIN connections c ON c.id = m.connection_id "
            f"WHERE m.connection_id IN ({marks}) AND m.at_ms BETWEEN ? AND ? "
            "ORDER BY m.at_ms, m.id",
            (*connections, low - SET_UP_MS, high + ANSWERED_MS),
        )
        if json.loads(args).get("port", 0) in (0, kept.port)
    ]
    samples = list(session_samples(log, kept))
    return SessionDetail(kept, events, commands, len(samples), _summary(samples, kept.port))


# A session's commands: those that set it up just before it started, and those answered
# just after it ended (a stop is recorded when its answer comes, after the device's event).
SET_UP_MS = 60_000
ANSWERED_MS = 2_000


def session_samples(log: SessionLog, kept: SessionRow) -> Iterator[SampleRow]:
    """The status samples recorded while ``kept`` ran (every port's; the caller picks)."""
    low, high = _span(kept)
    if kept.started_at is None:
        return iter(())
    return read_samples(log.db, _connections(log, kept, low, high), low, high)


def _span(kept: SessionRow) -> tuple[int, int]:
    """The times the session covers: start to end, or to its start plus its plan if open."""
    start = kept.started_at or kept.ended_at
    if start is None:
        return 0, -1
    low = to_ms(start)
    if kept.ended_at is not None:
        return low, to_ms(kept.ended_at)
    return low, low + 1000 * max(kept.duration_s or 0, 0) + 60_000


def _connections(log: SessionLog, kept: SessionRow, low: int, high: int) -> list[int]:
    return [
        row[0]
        for row in log.db.execute(
            "SELECT id FROM connections WHERE device_id = ? AND opened_at_ms <= ? "
            "AND (closed_at_ms IS NULL OR closed_at_ms >= ?) ORDER BY opened_at_ms",
            (kept.device_id, high, low),
        )
    ]


_MEASURED = (("temp_dc", "pad_temp_c"), ("skin_dc", "skin_temp_c"))


def _summary(samples: list[SampleRow], port: int) -> dict[str, Any]:
    values: dict[str, list[float]] = {"pad_temp_c": [], "skin_temp_c": [], "battery_pct": []}
    for sample in samples:
        if sample.values["battery_pct"] is not None:
            values["battery_pct"].append(sample.values["battery_pct"])
        for each in sample.ports:
            if each["port"] != port:
                continue
            for column, name in _MEASURED:
                if each[column] is not None:
                    values[name].append(each[column] / 10)
    return {
        name: {
            "min": min(v),
            "max": max(v),
            "mean": round(sum(v) / len(v), 1),
            "first": v[0],
            "last": v[-1],
        }
        for name, v in values.items()
        if v
    }
