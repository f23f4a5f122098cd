"""Status samples: their rows, packing them into chunks, and reading them back whichever way kept.

A sample is one ``samples`` row (the device) and one ``port_samples`` row per port, in
wire units. :func:`pack_rows` moves a run of a connection's samples into one
``sample_chunks`` row (from the rows the recorder just wrote; :func:`pack` reads them
back from the file): each column as JSON, the first value then the differences (nulls
kept as null), compressed with zlib. A slowly changing column then costs next to
nothing: a year of daily half-hour sessions at 1 Hz on a 2-port device stays a few MiB
instead of some eighty. :func:`read_samples` gives back the same rows from both.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import chain
from operator import sub
from typing import Any

from irlink.model import Status

__all__ = [
    "CHUNK",
    "PORT_COLUMNS",
    "SAMPLE_COLUMNS",
    "SampleRow",
    "pack",
    "pack_rows",
    "read_samples",
    "rows_of",
]

CHUNK = 120  # samples per chunk: two minutes at 1 Hz (a chunk's rows are kept in memory till then)

# Column order of the tables (id and connection_id first in samples; sample_id in ports).
SAMPLE_COLUMNS = (
    "id",
    "at_ms",
    "mono_ms",
    "pushed",
    "state",
    "battery_pct",
    "battery_mv",
    "charger",
    "board_dc",
    "faults",
    "uptime_s",
    "boot_count",
)
PORT_COLUMNS = (
    "sample_id",
    "port",
    "state",
    "pad_present",
    "pad_type",
    "session_id",
    "duration_s",
    "remaining_s",
    "intensity",
    "mode",
    "pulse_hz",
    "sham",
    "setpoint_dc",
    "temp_dc",
    "skin_dc",
    "faults",
    "override",
    "starts_left",
)
INSERT_SAMPLE = (
    "INSERT INTO samples (connection_id, at_ms, mono_ms, pushed, state, battery_pct, battery_mv,"
    " charger, board_dc, faults, uptime_s, boot_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_PORT = f"INSERT INTO port_samples VALUES ({','.join('?' * len(PORT_COLUMNS))})"


_SECOND = timedelta(seconds=1)


def rows_of(status: Status) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """A status as its ``samples`` values (after connection, time and ``pushed``) and the
    ``port_samples`` values of each port (after ``sample_id``), in wire units.

    Written out by hand, as the status path is: this runs for every sample recorded. Enums,
    flags and bools are ints already, and bind as such.
    """
    mv, charger, board = status.battery_v, status.charger_connected, status.board_temp_c
    device = (
        status.state,
        status.battery_pct,
        None if mv is None else round(mv * 1000),
        charger,
        None if board is None else round(board * 10),
        status.faults,
        status.uptime // _SECOND,
        status.boot_count,
    )
    ports = [
        (
            p.port,
            p.state,
            p.pad_present,
            p.pad_type,
            p.session_id,
            p.duration // _SECOND,
            p.remaining // _SECOND,
            p.intensity,
            p.mode,
            p.pulse_hz,
            p.sham,
            None if (setpoint := p.setpoint_c) is None else round(setpoint * 10),
            None if (temp := p.temp_c) is None else round(temp * 10),
            None if (skin := p.skin_temp_c) is None else round(skin * 10),
            p.faults,
            p.override,
            p.starts_left,
        )
        for p in status.ports
    ]
    return device, ports


@dataclass(frozen=True, slots=True)
class SampleRow:
    """One status sample as recorded: the device's values, and each port's."""

    connection_id: int
    values: dict[str, Any]  # SAMPLE_COLUMNS
    ports: list[dict[str, Any]]  # PORT_COLUMNS, one per port


def _deltas(column: Sequence[int | None]) -> list[int | None]:
    nulls = column.count(None)
    if not nulls:  # the common case, done in C: each value less the one before
        return list(map(sub, column, chain((0,), column)))
    if nulls == len(column):  # what the device lacks (a battery, a heater): all null
        return [None] * nulls
    out: list[int | None] = []
    last = 0
    for value in column:
        if value is None:
            out.append(None)
        else:
            out.append(value - last)
            last = value
    return out


def _undeltas(column: Sequence[int | None]) -> list[int | None]:
    out: list[int | None] = []
    last = 0
    for value in column:
        if value is None:
            out.append(None)
        else:
            last += value
            out.append(last)
    return out


def _encode(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> dict[str, list[int | None]]:
    columns = list(zip(*rows, strict=True)) or [() for _ in names]
    return {name: _deltas(column) for name, column in zip(names, columns, strict=True)}


def _decode(columns: dict[str, list[int | None]], names: Sequence[str]) -> list[tuple[Any, ...]]:
    return list(zip(*(_undeltas(columns[name]) for name in names), strict=True))


def pack(db: sqlite3.Connection, connection_id: int, limit: int | None = None) -> int:
    """Move the oldest raw samples of ``connection_id`` (``limit`` of them, or all) into
    one chunk, in the caller's transaction; returns how many moved."""
    cap = -1 if limit is None else limit
    samples = db.execute(
        f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM samples WHERE connection_id = ? "
        "ORDER BY id LIMIT ?",
        (connection_id, cap),
    ).fetchall()
    if not samples:
        return 0
    first, last = samples[0][0], samples[-1][0]
    # By this connection's samples, not by the id range alone: with many devices recorded
    # at once, other connections' samples interleave, hundreds for each of this one's.
    ports = db.execute(
        f"SELECT {', '.join('p.' + name for name in PORT_COLUMNS)} FROM samples s "
        "JOIN port_samples p ON p.sample_id = s.id "
        "WHERE s.connection_id = ? AND s.id BETWEEN ? AND ? ORDER BY s.id, p.port",
        (connection_id, first, last),
    ).fetchall()
    return pack_rows(db, connection_id, samples, ports)


def pack_rows(
    db: sqlite3.Connection,
    connection_id: int,
    samples: Sequence[Sequence[Any]],
    ports: Sequence[Sequence[Any]],
) -> int:
    """Move ``samples`` (rows of SAMPLE_COLUMNS, oldest first, all of ``connection_id``'s
    raw samples from the first to the last) and their ``ports`` into one chunk."""
    if not samples:
        return 0
    document = {"samples": _encode(samples, SAMPLE_COLUMNS), "ports": _encode(ports, PORT_COLUMNS)}
    data = zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)
    db.execute(
        "INSERT INTO sample_chunks (connection_id, first_at_ms, last_at_ms, count, data) "
        "VALUES (?, ?, ?, ?, ?)",
        (connection_id, samples[0][1], samples[-1][1], len(samples), data),
    )
    span = (connection_id, samples[0][0], samples[-1][0])
    db.execute(
        "DELETE FROM port_samples WHERE sample_id IN (SELECT id FROM samples "
        "WHERE connection_id = ? AND id BETWEEN ? AND ?)",
        span,
    )
    db.execute("DELETE FROM samples WHERE connection_id = ? AND id BETWEEN ? AND ?", span)
    return len(samples)


def unpack(data: bytes) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A chunk's samples and port samples, as the rows they were."""
    document = json.loads(zlib.decompress(data))
    return _decode(document["samples"], SAMPLE_COLUMNS), _decode(document["ports"], PORT_COLUMNS)


def read_samples(
    db: sqlite3.Connection,
    connection_ids: Sequence[int],
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> Iterator[SampleRow]:
    """The samples of ``connection_ids`` (between the times, if given), oldest first."""
    low = -(2**62) if since_ms is None else since_ms
    high = 2**62 if until_ms is None else until_ms
    for connection_id in connection_ids:
        chunks = db.execute(
            "SELECT data FROM sample_chunks WHERE connection_id = ? AND last_at_ms >= ? "
            "AND first_at_ms <= ? ORDER BY first_at_ms, id",
            (connection_id, low, high),
        ).fetchall()
        for (data,) in chunks:
            samples, ports = unpack(data)
            yield from _joined(connection_id, samples, ports, low, high)
        samples = db.execute(
            f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM samples WHERE connection_id = ? "
            "AND at_ms BETWEEN ? AND ? ORDER BY id",
            (connection_id, low, high),
        ).fetchall()
        if samples:
            ports = db.execute(
                f"SELECT {', '.join('p.' + name for name in PORT_COLUMNS)} FROM samples s "
                "JOIN port_samples p ON p.sample_id = s.id WHERE s.connection_id = ? "
                "AND s.at_ms BETWEEN ? AND ? ORDER BY s.id, p.port",
                (connection_id, low, high),
            ).fetchall()
            yield from _joined(connection_id, samples, ports, low, high)


def _joined(
    connection_id: int,
    samples: list[tuple[Any, ...]],
    ports: list[tuple[Any, ...]],
    low: int,
    high: int,
) -> Iterator[SampleRow]:
    by_sample: dict[int, list[dict[str, Any]]] = {}
    for row in ports:
        by_sample.setdefault(row[0], []).append(dict(zip(PORT_COLUMNS, row, strict=True)))
    for row in samples:
        if low <= row[1] <= high:
            values = dict(zip(SAMPLE_COLUMNS, row, strict=True))
            yield SampleRow(connection_id, values, by_sample.get(row[0], []))
