"""Reading the security events back (``irlink log security``): verifies, refusals, drops.

A log older than schema 3 has none (its ``security_events`` table comes when it is next
opened for writing); read only, it answers with no rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from irlink.journal import SecurityKind
from irlink.record.queries import to_ms, when
from irlink.record.store import SessionLog

__all__ = ["KINDS", "SecurityRow", "security_events"]

KINDS = tuple(str(kind) for kind in SecurityKind)


@dataclass(frozen=True, slots=True)
class SecurityRow:
    """A security event the log keeps (``irlink log security``).

    ``kind`` is one of :data:`KINDS`; ``data`` the rest (a pairing id, a device id,
    counts of frames dropped; never a key or a code). ``serial`` is the device's when
    known; ``device_id`` and ``connection_id`` are the log's rows (None: none recorded for
    it, as for a device refused before its link was recorded).
    """

    id: int
    at: datetime
    kind: str
    serial: str | None
    address: str
    detail: str
    data: dict[str, Any]
    device_id: int | None
    connection_id: int | None
    user: str
    host: str
    pid: int


def security_events(
    log: SessionLog,
    *,
    serial: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
) -> list[SecurityRow]:
    """The security events kept, oldest first; filtered by the device's serial, time from
    ``since`` up to (not including) ``until``, and kind."""
    db = log.db
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'security_events'").fetchone() is None:
        return []
    where: list[str] = []
    args: list[object] = []
    if serial is not None:
        where.append("coalesce(e.serial, d.serial) = ?")
        args.append(serial)
    if since is not None:
        where.append("e.at_ms >= ?")
        args.append(to_ms(since))
    if until is not None:
        where.append("e.at_ms < ?")
        args.append(to_ms(until))
    if kind is not None:
        where.append("e.kind = ?")
        args.append(kind)
    sql = (
        "SELECT e.id, e.at_ms, e.kind, coalesce(e.serial, d.serial), e.address, e.detail, "
        "e.data, e.device_id, e.connection_id, e.user, e.host, e.pid "
        "FROM security_events e LEFT JOIN devices d ON d.id = e.device_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY e.at_ms, e.id"
    )
    out = []
    for row in db.execute(sql, args).fetchall():
        at = when(row[1])
        assert at is not None
        out.append(
            SecurityRow(
                id=row[0],
                at=at,
                kind=row[2],
                serial=row[3],
                address=row[4],
                detail=row[5],
                data=json.loads(row[6]),
                device_id=row[7],
                connection_id=row[8],
                user=row[9],
                host=row[10],
                pid=row[11],
            )
        )
    return out
