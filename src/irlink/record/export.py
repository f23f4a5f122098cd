"""The session log exported: one CSV file per table, or every table as JSON lines.

The tables and their columns are :mod:`irlink.record.tidy`'s: a header row, units in
column names, times as ISO 8601 UTC and as milliseconds, an empty cell for unknown.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from irlink.record.store import SessionLog
from irlink.record.tidy import COLUMNS, JSON_COLUMNS, tables

__all__ = ["Written", "export_csv", "export_jsonl", "write_csv"]


@dataclass(frozen=True, slots=True)
class Written:
    """One table exported: its name, where it went (None: a stream), and its row count."""

    table: str
    path: Path | None
    rows: int


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def export_csv(
    log: SessionLog,
    folder: str | Path,
    *,
    serial: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Written]:
    """Write one CSV file per table into ``folder`` (made if missing): ``sessions.csv``, ...

    RFC 4180 (a header row, fields quoted when they need it, CRLF line ends), UTF-8.
    """
    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    written = []
    with log.reading():
        for name, rows in tables(log, serial=serial, since=since, until=until):
            path = where / f"{name}.csv"
            written.append(Written(name, path, write_csv(path, COLUMNS[name], rows)))
    return written


def write_csv(path: Path, header: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` (dicts in ``header``'s order) to the CSV file ``path``; how many.

    RFC 4180 (a header row, fields quoted when they need it, CRLF line ends), UTF-8; an
    unknown value (None) is an empty cell, a flag ``true`` or ``false``.
    """
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(value) for value in row.values()])
            count += 1
    return count


def export_jsonl(
    log: SessionLog,
    stream: TextIO,
    *,
    serial: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Written]:
    """Write every table's rows to ``stream``, one JSON object a line, ``table`` first."""
    written = []
    with log.reading():
        for name, rows in tables(log, serial=serial, since=since, until=until):
            count = 0
            for row in rows:
                for column in JSON_COLUMNS & row.keys():
                    row[column] = json.loads(row[column])  # an object, not a string of one
                stream.write(json.dumps({"table": name, **row}) + "\n")
                count += 1
            written.append(Written(name, None, count))
    return written
