"""The device's usage log against the sessions kept: each session once, its end never lost.

The device logs every session that ends, with its own count of what it delivered but
no wall-clock time. Each record read is matched to the session it describes: by its
log index, boot and uptime when it was matched before (nothing to do), else by port and
session id to a session seen live and not yet matched (its end filled in if the host
missed it: ``end_seen`` recovered), else it is a session the host never saw (the host
was off, or the link down the whole time) and is kept as ``source`` recovered, with
times reckoned from the device's uptime when it ended in the boot the host sees now.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from irlink.model import UsageRecord

__all__ = ["open_session", "records"]

DAY_MS = 86_400_000


def open_session(
    db: sqlite3.Connection,
    device_id: int | None,
    key: tuple[int, int],
    boot_count: int | None,
    at_ms: int,
    *,
    ended: bool = False,
) -> int | None:
    """The row of the session ``key`` (port, session id) on this device in boot
    ``boot_count`` (any boot if None), started in the last day, still open (or, with
    ``ended``, whether or not it ended: the usage log may have told its end first); None
    if there is none."""
    boot = "" if boot_count is None else "AND (boot_count IS NULL OR boot_count = ?) "
    found = db.execute(
        "SELECT id FROM sessions WHERE device_id = ? AND port = ? AND session_id = ? "
        f"{'' if ended else 'AND end_reason IS NULL '}{boot}"
        "AND (started_at_ms IS NULL OR started_at_ms >= ?) ORDER BY id DESC LIMIT 1",
        (device_id, key[0], key[1], *(() if boot_count is None else (boot_count,)), at_ms - DAY_MS),
    ).fetchone()
    return None if found is None else int(found[0])


def records(
    db: sqlite3.Connection,
    device_id: int,
    read: Sequence[UsageRecord],
    now_ms: int,
    boot_count: int | None,
    uptime_s: int,
) -> list[int]:
    """Reconcile the usage-log records ``read``; returns the rows of the sessions they ended.

    ``boot_count`` and ``uptime_s`` are the device's as last seen at ``now_ms``: a record
    from the same boot ended ``uptime_s - ended_uptime_s`` seconds before then.
    """
    ended: list[int] = []
    top = 0
    for record in read:
        top = max(top, record.log_index + 1)
        if _known(db, device_id, record):
            continue
        end_ms = None
        if boot_count is not None and record.boot_count == boot_count:
            end_ms = now_ms - max(0, uptime_s - int(record.ended_uptime.total_seconds())) * 1000
        row = _unmatched_session(db, device_id, record)
        if row is None:
            ended.append(_recovered(db, device_id, record, end_ms))
            continue
        db.execute(
            "UPDATE sessions SET log_index = ?, log_ended_uptime_s = ?, boot_count = ?, "
            "times_estimated = CASE WHEN ended_at_ms IS NULL AND ? IS NOT NULL THEN 1 "
            "ELSE times_estimated END, ended_at_ms = coalesce(ended_at_ms, ?), "
            "end_reason = coalesce(end_reason, ?), end_seen = coalesce(end_seen, 'recovered'), "
            "delivered_s = coalesce(delivered_s, ?), duration_s = coalesce(duration_s, ?), "
            "intensity = coalesce(intensity, ?), mode = coalesce(mode, ?), "
            "pulse_hz = coalesce(pulse_hz, ?), setpoint_dc = coalesce(setpoint_dc, ?), "
            "sham = coalesce(sham, ?) WHERE id = ?",
            (
                record.log_index,
                int(record.ended_uptime.total_seconds()),
                record.boot_count,
                end_ms,
                end_ms,
                record.end_reason.name.lower(),
                int(record.delivered.total_seconds()),
                *_settings(record),
                row,
            ),
        )
        ended.append(row)
    if top:
        db.execute(
            "UPDATE devices SET log_next_index = max(log_next_index, ?) WHERE id = ?",
            (top, device_id),
        )
    return ended


def _settings(record: UsageRecord) -> tuple[object, ...]:
    setpoint = None if record.setpoint_c is None else round(record.setpoint_c * 10)
    return (
        int(record.planned.total_seconds()),
        record.intensity,
        record.mode.name.lower(),
        record.pulse_hz,
        setpoint,
        None if record.sham is None else int(record.sham),  # None: masked (a blinded study)
    )


def _known(db: sqlite3.Connection, device_id: int, record: UsageRecord) -> bool:
    """Whether this very record was reconciled before (index, boot, uptime and id agree)."""
    return (
        db.execute(
            "SELECT 1 FROM sessions WHERE device_id = ? AND log_index = ? AND boot_count = ? "
            "AND log_ended_uptime_s = ? AND port = ? AND session_id = ?",
            (
                device_id,
                record.log_index,
                record.boot_count,
                int(record.ended_uptime.total_seconds()),
                record.port,
                record.session_id,
            ),
        ).fetchone()
        is not None
    )


def _unmatched_session(db: sqlite3.Connection, device_id: int, record: UsageRecord) -> int | None:
    """The newest session seen live with this record's port and id, in its boot, unmatched."""
    found = db.execute(
        "SELECT id FROM sessions WHERE device_id = ? AND port = ? AND session_id = ? "
        "AND log_index IS NULL AND source = 'live' "
        "AND (boot_count IS NULL OR boot_count = ?) ORDER BY id DESC LIMIT 1",
        (device_id, record.port, record.session_id, record.boot_count),
    ).fetchone()
    return None if found is None else int(found[0])


def _recovered(
    db: sqlite3.Connection, device_id: int, record: UsageRecord, end_ms: int | None
) -> int:
    """Keep a session the host never saw, known only from its usage-log record."""
    start_ms = None if end_ms is None else end_ms - int(record.delivered.total_seconds()) * 1000
    row = db.execute(
        "INSERT INTO sessions (device_id, connection_id, port, session_id, source, "
        "started_at_ms, ended_at_ms, times_estimated, duration_s, intensity, mode, pulse_hz, "
        "setpoint_dc, sham, end_reason, end_seen, delivered_s, boot_count, log_index, "
        "log_ended_uptime_s) VALUES (?, NULL, ?, ?, 'recovered', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "'recovered', ?, ?, ?, ?)",
        (
            device_id,
            record.port,
            record.session_id,
            start_ms,
            end_ms,
            int(end_ms is not None),
            *_settings(record),
            record.end_reason.name.lower(),
            int(record.delivered.total_seconds()),
            record.boot_count,
            record.log_index,
            int(record.ended_uptime.total_seconds()),
        ),
    ).lastrowid
    assert row is not None
    return row
