"""What ``irlink log`` reports with ``--json``: the session log's rows as published lines.

Times are ISO 8601 in UTC (the text tables show local time); durations are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from irlink.record.queries import SessionDetail, SessionRow

__all__ = [
    "Exported",
    "LoggedCommand",
    "LoggedEvent",
    "LoggedSamples",
    "LoggedSession",
    "Span",
    "ended_word",
    "logged_session",
    "timeline",
]


def ended_word(row: SessionRow) -> str:
    """How a session ended, in ``--ended``'s words: completed, early or unknown."""
    if row.end_reason is None:
        return "unknown"
    return "completed" if row.end_reason == "completed" else "early"


@dataclass(frozen=True, slots=True)
class LoggedSession:
    """A session the log keeps (``irlink log sessions``, first line of ``log show``).

    ``id`` is the log's number for it (``irlink log show ID``); ``session_id`` the
    device's own (reused over time). ``source`` is ``live`` (seen while it ran) or
    ``recovered`` (known only from the device's usage log). ``ended`` is ``completed``,
    ``early`` or ``unknown`` (no end seen yet), ``end_reason`` the device's word for it
    and ``end_seen`` how its end became known. ``delivered`` is the device's own count.
    Times are None when not known, and ``times_estimated`` when reckoned from the
    device's uptime.
    """

    id: int
    family: str
    model: str
    serial: str
    port: int
    session_id: int
    source: str
    started_at: datetime | None
    ended_at: datetime | None
    times_estimated: bool
    planned: timedelta | None
    delivered: timedelta | None
    ended: str
    end_reason: str | None
    end_seen: str | None
    intensity: int | None
    mode: str | None
    pulse_hz: int | None
    setpoint_c: float | None
    sham: bool | None
    override: bool | None
    simulated: bool  # on irlink's simulator (sim://), not a real device


def _seconds(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def logged_session(row: SessionRow) -> LoggedSession:
    """A kept session as its ``logged_session`` line."""
    return LoggedSession(
        id=row.id,
        family=row.family,
        model=row.model,
        serial=row.serial,
        port=row.port,
        session_id=row.session_id,
        source=row.source,
        started_at=row.started_at,
        ended_at=row.ended_at,
        times_estimated=row.times_estimated,
        planned=_seconds(row.duration_s),
        delivered=_seconds(row.delivered_s),
        ended=ended_word(row),
        end_reason=row.end_reason,
        end_seen=row.end_seen,
        intensity=row.intensity,
        mode=row.mode,
        pulse_hz=row.pulse_hz,
        setpoint_c=row.setpoint_c,
        sham=row.sham,
        override=row.override,
        simulated=row.simulated,
    )


@dataclass(frozen=True, slots=True)
class LoggedCommand:
    """``irlink log show``: a command sent to the device while the session was set up or ran.

    ``outcome`` is done, refused (``code`` says why), invalid, unanswered, link_lost or
    not_sent; ``by`` is who asked: user@host and the process id.
    """

    session: int
    at: datetime
    name: str
    port: int | None
    args: dict[str, Any]
    outcome: str
    code: str | None
    detail: str
    by: str


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """``irlink log show``: an event the device reported while the session ran.

    ``kind`` is the event's line kind (session_started, fault_raised, ...), ``data`` the
    rest of what it said.
    """

    session: int
    at: datetime
    kind: str
    port: int | None
    session_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Span:
    """A measured value over a session's samples."""

    min: float
    max: float
    mean: float
    first: float
    last: float


@dataclass(frozen=True, slots=True)
class LoggedSamples:
    """``irlink log show``: the status samples kept while the session ran, summed up.

    Temperatures are the session's port's, in degrees Celsius; None when none was read.
    """

    session: int
    count: int
    pad_temp_c: Span | None
    skin_temp_c: Span | None
    battery_pct: Span | None


@dataclass(frozen=True, slots=True)
class Exported:
    """``irlink log export``: one table written, where (None: stdout) and how many rows."""

    format: str
    table: str
    path: str | None
    rows: int


def timeline(detail: SessionDetail) -> list[LoggedCommand | LoggedEvent]:
    """The session's commands and events, oldest first."""
    number = detail.session.id
    items: list[LoggedCommand | LoggedEvent] = [
        LoggedCommand(
            session=number,
            at=each["at"],
            name=each["name"],
            port=each["args"].get("port"),
            args=each["args"],
            outcome=each["outcome"],
            code=each["code"],
            detail=each["detail"],
            by=each["by"],
        )
        for each in detail.commands
    ]
    fixed = ("at", "kind", "port", "session_id")
    items += [
        LoggedEvent(
            session=number,
            at=each["at"],
            kind=each["kind"],
            port=each["port"],
            session_id=each["session_id"],
            data={key: value for key, value in each.items() if key not in fixed},
        )
        for each in detail.events
    ]
    # A command goes first at the same moment: the start asked, then the device's event.
    return sorted(items, key=lambda item: (item.at, isinstance(item, LoggedEvent)))


def samples_of(detail: SessionDetail) -> LoggedSamples:
    """The session's samples summed up as a ``logged_samples`` line."""

    def span(name: str) -> Span | None:
        found = detail.summary.get(name)
        return None if found is None else Span(**found)

    return LoggedSamples(
        detail.session.id,
        detail.samples,
        span("pad_temp_c"),
        span("skin_temp_c"),
        span("battery_pct"),
    )
