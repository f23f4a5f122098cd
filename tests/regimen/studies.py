"""Study logs for the results tests: the study tables' rows written directly.

The study store and the runner write these tables in irlink; the results only read
them, so a test writes the rows it needs, as they would, into a real session log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from irlink.record.queries import to_ms
from irlink.record.store import SessionLog
from irlink.regimen import example

__all__ = ["DAY0", "LATER", "PILOT", "StudyLog", "VisitRow"]

DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = DAY0 + timedelta(days=60)  # every course's last window has closed by then

# Three weekly visits, one NRS item before each session and one after the first and last.
PILOT = """\
irlink_regimen: 1
name: pilot
title: Pilot of the active pad
family: waistband
visits: {count: 3, interval: 1w, window: 1d}
session: {duration: 30m, intensity: 2}
measures:
  - {id: pain, label: "Pain now, 0 to 10"}
  - {id: pain_after, label: "Pain after the session, 0 to 10", when: after, visits: [1, 3]}
  - {id: remarks, kind: text, when: after, label: "Anything to tell us?"}
study:
  arms: [{name: active}, {name: inert, sham: true}]
  sham_credible: true
  allocation: {blocks: [2]}
"""


@dataclass
class VisitRow:
    """One visit as the runner would record it."""

    scores: dict[str, int] = field(default_factory=dict)  # before the session
    after: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # asked after
    state: str = "ended"
    outcome: str | None = "completed"
    on_time: bool = True
    override: str | None = None
    planned_s: int = 1800
    delivered_s: int | None = 1800
    at: datetime | None = None  # default: weekly from the first visit


class StudyLog:
    """A session log with one study in it, built row by row."""

    def __init__(
        self,
        path: Path,
        regimen: str | None = None,
        *,
        name: str = "gale",
        blinded: bool = True,
        synthetic: bool = False,
        letters: dict[str, str] | None = None,
    ) -> None:
        SessionLog.open(path).close()  # the schema, as irlink makes it
        self.path = path
        text = regimen or example("gale-2006").read_text(encoding="utf-8")
        arms = ["active", "inert"] if regimen == PILOT else ["infrared", "sham"]
        sealed = {"seed": 1234, "letters": letters or {arms[0]: "B", arms[1]: "A"}}
        with self._db() as db:
            self.study = db.execute(
                "INSERT INTO studies (name, kind, regimen, regimen_sha256, created_at_ms, "
                "blinded, unblinded_at_ms, synthetic, sealed) VALUES (?, 'study', ?, '0', ?, ?, "
                "?, ?, ?)",
                (
                    name,
                    text,
                    to_ms(DAY0) - 86_400_000,
                    int(blinded),
                    None if blinded else to_ms(LATER),
                    int(synthetic),
                    json.dumps(sealed),
                ),
            ).lastrowid
        self.positions = 0

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path)
        try:
            with db:  # one transaction, committed
                yield db
        finally:
            db.close()

    def enrol(
        self,
        code: str,
        arm: str,
        *visits: VisitRow | None,
        withdrawn: tuple[int, str] | None = None,
        unblinded: bool = False,
    ) -> None:
        """Enrol ``code`` in ``arm`` on DAY0 with ``visits`` (None: no row for that visit);
        ``withdrawn``: (days after DAY0, reason)."""
        self.positions += 1
        with self._db() as db:
            db.execute(
                "INSERT INTO allocation VALUES (?, '', ?, 1, ?)", (self.study, self.positions, arm)
            )
            gone = None if withdrawn is None else to_ms(DAY0 + timedelta(days=withdrawn[0]))
            person = db.execute(
                "INSERT INTO participants (study_id, code, stratum, position, enrolled_at_ms, "
                "withdrawn_at_ms, withdrawn_reason, unblinded_at_ms) VALUES (?, ?, '', ?, ?, ?, "
                "?, ?)",
                (
                    self.study,
                    code,
                    self.positions,
                    to_ms(DAY0),
                    gone,
                    None if withdrawn is None else withdrawn[1],
                    to_ms(DAY0 + timedelta(days=3)) if unblinded else None,
                ),
            ).lastrowid
            for number, visit in enumerate(visits, 1):
                if visit is not None:
                    self._visit(db, person, number, visit)

    def _visit(self, db: sqlite3.Connection, person: int | None, number: int, v: VisitRow) -> None:
        start = v.at or DAY0 + timedelta(weeks=number - 1)
        ended = None if v.state != "ended" else to_ms(start + timedelta(minutes=40))
        visit = db.execute(
            "INSERT INTO visits (participant_id, number, state, due_at_ms, started_at_ms, "
            "ended_at_ms, on_time, override_reason, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                person,
                number,
                v.state,
                None if number == 1 else to_ms(DAY0 + timedelta(weeks=number - 1)),
                to_ms(start),
                ended,
                int(v.on_time),
                v.override,
                v.outcome,
            ),
        ).lastrowid
        if v.state == "ended":
            db.execute(
                "INSERT INTO visit_sessions VALUES (?, 1, ?, ?, ?, ?, 1)",
                (visit, 100 + number, v.planned_s, v.delivered_s, "completed"),
            )
        answers = [(item, "before", score, None) for item, score in v.scores.items()]
        answers += [(item, "after", score, None) for item, score in v.after.items()]
        answers += [(item, "after", None, text) for item, text in v.texts.items()]
        for item, phase, score, text in answers:
            db.execute(
                "INSERT INTO measures (visit_id, item, phase, score, text, at_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (visit, item, phase, score, text, to_ms(start)),
            )
