"""One study read from the session log into plain values, masked while it is blinded.

The study store and the runner write a study's tables (:mod:`irlink.record.schema`,
version 2); this module only reads them. While the study is blinded nothing it returns
holds an arm's name or says which arm is the sham: each participant's ``group`` is the
letter sealed for their arm (``A``, ``B``), their ``arm`` is None, and a text that
names an arm (the regimen's title or an item's label; a reason or a remark someone
wrote) is left out (:mod:`~irlink.regimen.results.masking`). A participant
unblinded alone, in an emergency, stays under their letter too: the analysis stays
blinded until the whole study is. Once the study is unblinded, ``group`` and ``arm``
are the arm's name.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from irlink.record.queries import when
from irlink.record.store import RecordError, SessionLog
from irlink.regimen.files import RegimenError, parse_regimen
from irlink.regimen.model import Regimen
from irlink.regimen.results.masking import hider, labels, masker, reference, shown_order
from irlink.regimen.results.records import (
    Answer,
    Item,
    Participant,
    StudyData,
    Visit,
    VisitSession,
)

__all__ = ["StudyNotFound", "read_study", "study_names"]


class StudyNotFound(RecordError):
    """The session log has no study of that name."""


def study_names(db: sqlite3.Connection) -> list[str]:
    """The names of the studies (and courses) the log holds, oldest first."""
    if not _has_studies(db):
        return []
    return [row[0] for row in db.execute("SELECT name FROM studies ORDER BY created_at_ms, id")]


def read_study(log: SessionLog, name: str) -> StudyData:
    """The study ``name`` in ``log``, masked while blinded; :class:`StudyNotFound` if absent."""
    with log.reading() as db:
        row = (
            db.execute(
                "SELECT id, name, kind, regimen, blinded, unblinded_at_ms, synthetic, sealed, "
                "created_at_ms FROM studies WHERE name = ?",
                (name,),
            ).fetchone()
            if _has_studies(db)
            else None
        )
        if row is None:
            known = ", ".join(study_names(db)) or "none yet"
            raise StudyNotFound(
                f"the session log {log.path} has no study named {name!r} (it has: {known}); "
                "see `irlink study status` for the studies it holds"
            )
        study_id, regimen = row[0], _regimen(row[1], row[3])
        blinded = bool(row[4])
        letters = labels(row[1], regimen, blinded, row[7])
        masked = masker(regimen, blinded)
        return StudyData(
            name=row[1],
            kind=row[2],
            regimen=regimen.name,
            title=masked(regimen.title) if regimen.title else None,
            blinded=blinded,
            synthetic=bool(row[6]),
            placebo_credible=None if regimen.study is None else regimen.study.sham_credible,
            created=_at(row[8]),
            unblinded_at=when(row[5]),
            visit_count=regimen.visits.count,
            interval=regimen.visits.interval,
            window=regimen.visits.window,
            groups=tuple(letters[arm.name] for arm in shown_order(regimen, letters, blinded)),
            reference=reference(regimen, letters, blinded),
            items=tuple(
                Item(
                    m.id,
                    m.kind,
                    masked(m.label) or m.id,
                    m.when,
                    tuple(n for n in range(1, regimen.visits.count + 1) if m.asked_at(n)),
                    m.needed,
                )
                for m in regimen.measures
            ),
            participants=_participants(db, study_id, regimen, letters, blinded),
        )


def _has_studies(db: sqlite3.Connection) -> bool:
    # A log of schema version 1, opened for reading, is not migrated: it has no studies.
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'studies'")
    return found.fetchone() is not None


def _at(ms: int) -> datetime:
    moment = when(ms)
    assert moment is not None
    return moment


def _regimen(study: str, text: str) -> Regimen:
    try:
        return parse_regimen(text, f"the regimen of study {study}")
    except RegimenError as exc:
        raise RecordError(
            f"the regimen kept with study {study} cannot be read: {exc}; the log was written "
            "by another irlink version, or altered: upgrade irlink"
        ) from None


def _participants(
    db: sqlite3.Connection,
    study_id: int,
    regimen: Regimen,
    labels: dict[str, str],
    blinded: bool,
) -> tuple[Participant, ...]:
    hide = hider(regimen, blinded)
    visits = _visits(db, study_id, hide)
    only = regimen.arms[0].name if len(regimen.arms) == 1 else None  # a course: one arm
    found = []
    for row in db.execute(
        "SELECT p.id, p.code, p.stratum, p.enrolled_at_ms, p.withdrawn_at_ms, "
        "p.withdrawn_reason, p.unblinded_at_ms, a.arm FROM participants p "
        "LEFT JOIN allocation a ON a.study_id = p.study_id AND a.stratum = p.stratum "
        "AND a.position = p.position WHERE p.study_id = ? ORDER BY p.enrolled_at_ms, p.id",
        (study_id,),
    ):
        arm = row[7] or only
        if arm not in labels:
            raise RecordError(
                f"participant {row[1]} has no arm in the allocation list (stratum {row[2]!r}); "
                "the log was altered: restore it from a backup"
            )
        found.append(
            Participant(
                code=row[1],
                stratum=row[2],
                group=labels[arm],
                arm=None if blinded else arm,
                enrolled=_at(row[3]),
                withdrawn=when(row[4]),
                withdrawn_reason=hide(row[5]),
                unblinded=row[6] is not None,
                visits=tuple(visits.get(row[0], ())),
            )
        )
    return tuple(found)


def _visits(
    db: sqlite3.Connection, study_id: int, hide: Callable[[str | None], str | None]
) -> dict[int, list[Visit]]:
    """Every participant's visits, by participant id, in visit order."""
    mine = "SELECT id FROM participants WHERE study_id = ?"
    sessions: defaultdict[int, list[VisitSession]] = defaultdict(list)
    for row in db.execute(
        "SELECT visit_id, port, session_id, planned_s, delivered_s, end_reason "
        f"FROM visit_sessions WHERE visit_id IN (SELECT id FROM visits WHERE participant_id "
        f"IN ({mine})) ORDER BY visit_id, port",
        (study_id,),
    ):
        sessions[row[0]].append(VisitSession(*row[1:]))
    answers: defaultdict[int, list[Answer]] = defaultdict(list)
    for row in db.execute(
        "SELECT visit_id, item, phase, score, text, at_ms FROM measures WHERE visit_id IN "
        f"(SELECT id FROM visits WHERE participant_id IN ({mine})) ORDER BY visit_id, at_ms, id",
        (study_id,),
    ):
        answers[row[0]].append(Answer(row[1], row[2], row[3], hide(row[4]), _at(row[5])))
    visits: defaultdict[int, list[Visit]] = defaultdict(list)
    for row in db.execute(
        "SELECT id, participant_id, number, state, due_at_ms, started_at_ms, ended_at_ms, "
        f"on_time, override_reason, outcome FROM visits WHERE participant_id IN ({mine}) "
        "ORDER BY participant_id, number",
        (study_id,),
    ):
        visits[row[1]].append(
            Visit(
                number=row[2],
                state=row[3],
                due=when(row[4]),
                started=_at(row[5]),
                ended=when(row[6]),
                on_time=bool(row[7]),
                override_reason=hide(row[8] or None),
                outcome=row[9],
                sessions=tuple(sessions.get(row[0], ())),
                answers=tuple(answers.get(row[0], ())),
            )
        )
    return visits
