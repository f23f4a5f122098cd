"""A study's data as tidy tables, in CSV files or JSON lines, for R, pandas or a spreadsheet.

Three tables: ``participants`` (one row each), ``visits`` (one row per participant and
visit: its times, whether on time, the dose planned and delivered, the outcome) and
``measures`` (one row per participant, visit and item answered: a score or a text).
Every row names its study and its ``origin``: ``SYNTHETIC`` for a rehearsal made by
``irlink study simulate``, never evidence, else ``recorded``. ``arm`` is the sealed
letter while the study is blinded, the arm's name once it is unblinded. Times are ISO
8601 UTC; an unknown value is an empty cell (``null`` in JSON); a missing visit or
score has no row, and nothing is filled in.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from irlink.record.export import Written, write_csv
from irlink.record.queries import to_ms
from irlink.record.tidy import utc
from irlink.regimen.results.records import StudyData

__all__ = ["COLUMNS", "export_csv", "export_jsonl", "origin", "tables"]

Row = dict[str, Any]

COLUMNS: dict[str, tuple[str, ...]] = {
    "participants": (
        "study", "origin", "participant", "stratum", "arm", "enrolled_utc", "withdrawn_utc",
        "withdrawn_reason", "visits_done",
    ),
    "visits": (
        "study", "origin", "participant", "arm", "visit", "state", "due_utc", "started_utc",
        "ended_utc", "on_time", "override_reason", "outcome", "sessions", "planned_s",
        "delivered_s",
    ),
    "measures": (
        "study", "origin", "participant", "arm", "visit", "item", "kind", "phase", "score",
        "text", "at_utc",
    ),
}  # fmt: skip


def origin(study: StudyData) -> str:
    """Where the data come from, in every row: SYNTHETIC (a rehearsal) or recorded."""
    return "SYNTHETIC" if study.synthetic else "recorded"


def _utc(at: datetime | None) -> str | None:
    return None if at is None else utc(to_ms(at))


def tables(study: StudyData) -> list[tuple[str, list[Row]]]:
    """Each table's name and its rows (dicts in :data:`COLUMNS` order)."""
    kinds = {item.id: item.kind for item in study.items}
    head = (study.name, origin(study))
    participants: list[tuple[Any, ...]] = []
    visits: list[tuple[Any, ...]] = []
    measures: list[tuple[Any, ...]] = []
    for p in study.participants:
        participants.append((*head, p.code, p.stratum, p.group, _utc(p.enrolled),
                             _utc(p.withdrawn), p.withdrawn_reason,
                             sum(v.done for v in p.visits)))  # fmt: skip
        for v in p.visits:
            visits.append((*head, p.code, p.group, v.number, v.state, _utc(v.due),
                _utc(v.started), _utc(v.ended), v.on_time, v.override_reason, v.outcome,
                len(v.sessions), v.planned_s, v.delivered_s,
            ))  # fmt: skip
            for a in v.answers:
                kind = kinds.get(a.item, "nrs" if a.score is not None else "text")
                measures.append((*head, p.code, p.group, v.number, a.item, kind, a.phase,
                                 a.score, a.text, _utc(a.at)))  # fmt: skip
    found = {"participants": participants, "visits": visits, "measures": measures}
    return [
        (name, [dict(zip(COLUMNS[name], row, strict=True)) for row in rows])
        for name, rows in found.items()
    ]


def export_csv(study: StudyData, folder: str | Path) -> list[Written]:
    """Write ``participants.csv``, ``visits.csv`` and ``measures.csv`` into ``folder``."""
    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    return [
        Written(name, where / f"{name}.csv", write_csv(where / f"{name}.csv", COLUMNS[name], rows))
        for name, rows in tables(study)
    ]


def export_jsonl(study: StudyData, stream: TextIO) -> list[Written]:
    """Write every table's rows to ``stream``, one JSON object a line, ``table`` first."""
    written = []
    for name, rows in tables(study):
        for row in rows:
            stream.write(json.dumps({"table": name, **row}) + "\n")
        written.append(Written(name, None, len(rows)))
    return written
