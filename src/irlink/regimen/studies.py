"""Studies in the session log: create one from a regimen, enrol, withdraw, unblind.

A study is a regimen plus its participants (pseudonymous codes). Its allocation list
is made whole when it is created and sealed: :func:`enrol` takes the next slot of the
participant's stratum without saying which arm it holds. Only :func:`unblind`, which
needs a reason and is kept in the audit trail, reveals arms. A *course* is the same
without arms: one person's regimen (``irlink regimen run``).

Every write goes through the log's writer (:meth:`irlink.record.SessionLog.submit`),
one transaction each; what cannot be written raises :class:`RecordingFailed`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from irlink.errors import IRLinkError
from irlink.record.opening import RecordingFailed
from irlink.record.rows import user_name
from irlink.record.store import SessionLog
from irlink.regimen.allocation import allocation_list, new_seed, strata
from irlink.regimen.files import parse_regimen
from irlink.regimen.model import Regimen

__all__ = [
    "Participant",
    "StudyError",
    "StudyRecord",
    "audit",
    "create_study",
    "enrol",
    "find_participant",
    "find_study",
    "moment",
    "ms",
    "sealed_arm",
    "unblind",
    "withdraw",
]

T = TypeVar("T")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}")


class StudyError(IRLinkError, ValueError):
    """A study operation that cannot be done as asked; the message says what to do."""


@dataclass(frozen=True)
class StudyRecord:
    """A study (or a course) as kept in the log."""

    id: int
    name: str
    kind: str  # study, course
    regimen: Regimen
    created: datetime
    blinded: bool
    unblinded: datetime | None
    synthetic: bool


@dataclass(frozen=True)
class Participant:
    """A participant as an operator may see them: never their arm."""

    id: int
    study_id: int
    code: str
    stratum: str
    enrolled: datetime
    withdrawn: datetime | None
    withdrawn_reason: str | None
    unblinded: datetime | None


def ms(moment: datetime) -> int:
    """Milliseconds since 1970 (UTC), as the log keeps times."""
    return int(moment.timestamp() * 1000)


def moment(at_ms: int | None) -> datetime | None:
    """A time kept in the log, as an aware UTC datetime."""
    return None if at_ms is None else datetime.fromtimestamp(at_ms / 1000, UTC)


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now


def commit(log: SessionLog, kind: str, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` in one write transaction; a :class:`StudyError` it raises comes back
    raised, with nothing written; a log that cannot be written raises RecordingFailed."""

    def attempt(db: sqlite3.Connection) -> tuple[T | None, StudyError | None]:
        db.execute("SAVEPOINT study")
        try:
            result = work(db)
        except StudyError as refused:
            db.execute("ROLLBACK TO study")
            return None, refused
        db.execute("RELEASE study")
        return result, None

    outcome = log.submit(kind, attempt).result()
    if outcome is None:
        raise RecordingFailed(
            f"{log.path}: the study could not be written ({log.failure}); nothing was changed. "
            "Check that the file is writable and the disk has room, then run the command again"
        )
    result, refused = outcome
    if refused is not None:
        raise refused
    return result  # type: ignore[no-any-return]  # None only with refused set


def audit(
    db: sqlite3.Connection,
    study_id: int,
    action: str,
    at: datetime,
    *,
    participant_id: int | None = None,
    reason: str | None = None,
    **data: Any,
) -> None:
    """Add a line to the study's audit trail: who, when, what and why."""
    db.execute(
        "INSERT INTO audit (study_id, participant_id, at_ms, action, reason, user, host, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            study_id,
            participant_id,
            ms(at),
            action,
            reason,
            user_name(),
            socket.gethostname(),
            json.dumps(data, sort_keys=True),
        ),
    )


def create_study(
    log: SessionLog,
    text: str,
    *,
    source: str = "<regimen>",
    name: str | None = None,
    synthetic: bool = False,
    allocation_seed: int | None = None,
    now: datetime | None = None,
) -> StudyRecord:
    """Create a study (or a course) from the regimen file ``text``; its list is made now.

    ``allocation_seed`` makes a synthetic study's list (a rehearsal's) the same on every
    run when the regimen names no seed; a real study's comes from a secret seed.
    """
    if allocation_seed is not None and not synthetic:
        raise StudyError(
            "allocation_seed is for synthetic studies (rehearsals) only: a real study's "
            "allocation list is drawn from a secret seed, or the regimen's own"
        )
    regimen = parse_regimen(text, source)
    at = _now(now)
    title = name or regimen.name
    study = regimen.study
    if study is not None and study.allocation.seed is not None:
        seed = study.allocation.seed
    else:
        seed = new_seed() if allocation_seed is None else allocation_seed
    letters = list("ABCDEFGH"[: len(regimen.arms)])
    random.Random(new_seed()).shuffle(letters)
    sealed = {
        "seed": seed,
        "letters": dict(zip([a.name for a in regimen.arms], letters, strict=True)),
    }

    def work(db: sqlite3.Connection) -> int:
        if db.execute("SELECT 1 FROM studies WHERE name = ?", (title,)).fetchone():
            raise StudyError(
                f"a study named {title} already exists in this log; give another name with "
                "--name, or carry on with it (irlink study status)"
            )
        cursor = db.execute(
            "INSERT INTO studies (name, kind, regimen, regimen_sha256, created_at_ms, blinded, "
            "synthetic, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                "course" if study is None else "study",
                text,
                hashlib.sha256(text.encode()).hexdigest(),
                ms(at),
                int(study is not None and study.blinded),
                int(synthetic),
                json.dumps(sealed),
            ),
        )
        study_id = int(cursor.lastrowid or 0)
        if study is not None:
            for stratum in strata(study.allocation):
                slots = allocation_list(
                    [a.name for a in study.arms],
                    study.ratio,
                    study.allocation.blocks,
                    seed=seed,
                    size=study.allocation.size,
                    stratum=stratum,
                )
                db.executemany(
                    "INSERT INTO allocation VALUES (?, ?, ?, ?, ?)",
                    [(study_id, stratum, s.position, s.block, s.arm) for s in slots],
                )
        audit(db, study_id, "created", at, regimen=regimen.name, synthetic=synthetic)
        return study_id

    commit(log, "study", work)
    return find_study(log, title)


def find_study(log: SessionLog, name: str) -> StudyRecord:
    """The study called ``name``; :class:`StudyError` names the studies there are if none."""
    with log.reading() as db:
        row = db.execute(
            "SELECT id, name, kind, regimen, created_at_ms, blinded, unblinded_at_ms, synthetic "
            "FROM studies WHERE name = ?",
            (name,),
        ).fetchone()
        names = [r[0] for r in db.execute("SELECT name FROM studies ORDER BY id")]
    if row is None:
        known = f"the studies here are {', '.join(names)}" if names else "there is none yet"
        raise StudyError(
            f"no study named {name!r} in {log.path}: {known}; create one with "
            "`irlink study create REGIMEN.yaml`"
        )
    return StudyRecord(
        row[0],
        row[1],
        row[2],
        parse_regimen(row[3], f"study {row[1]}"),
        moment(row[4]) or datetime.now(UTC),
        bool(row[5]),
        moment(row[6]),
        bool(row[7]),
    )


def _participant(row: tuple[Any, ...]) -> Participant:
    return Participant(
        row[0],
        row[1],
        row[2],
        row[3],
        moment(row[4]) or datetime.now(UTC),
        moment(row[5]),
        row[6],
        moment(row[7]),
    )


_PARTICIPANT = (
    "SELECT id, study_id, code, stratum, enrolled_at_ms, withdrawn_at_ms, withdrawn_reason, "
    "unblinded_at_ms FROM participants"
)


def find_participant(log: SessionLog, study: StudyRecord, code: str) -> Participant:
    """Participant ``code`` of ``study``."""
    with log.reading() as db:
        row = db.execute(
            f"{_PARTICIPANT} WHERE study_id = ? AND code = ?", (study.id, code)
        ).fetchone()
    if row is None:
        raise StudyError(
            f"no participant {code} in study {study.name}; enrol them with "
            f"`irlink study enrol {study.name} {code}`, or see `irlink study status {study.name}`"
        )
    return _participant(row)


def participants(log: SessionLog, study: StudyRecord) -> list[Participant]:
    """Every participant of ``study``, in enrolment order."""
    with log.reading() as db:
        rows = db.execute(f"{_PARTICIPANT} WHERE study_id = ? ORDER BY id", (study.id,)).fetchall()
    return [_participant(r) for r in rows]


def check_code(code: str) -> str:
    """A participant code, refused if it could be a name or a date of birth."""
    if not _CODE.match(code) or _DATE.search(code):
        raise StudyError(
            f"participant code {code!r} is refused: use a pseudonymous code such as P07 "
            "(letters, digits, - and _, up to 32), never a name or a date of birth"
        )
    return code


def enrol(
    log: SessionLog,
    study: StudyRecord,
    code: str,
    *,
    stratum: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Participant:
    """Enrol ``code``: they take the next slot of their stratum's sealed list."""
    check_code(code)
    at = _now(now)
    named = _stratum(study, stratum or {})

    def work(db: sqlite3.Connection) -> None:
        if db.execute(
            "SELECT 1 FROM participants WHERE study_id = ? AND code = ?", (study.id, code)
        ).fetchone():
            raise StudyError(f"{code} is already enrolled in {study.name}; each code enrols once")
        position = None
        if study.kind == "study":
            taken = db.execute(
                "SELECT count(*) FROM participants WHERE study_id = ? AND stratum = ?",
                (study.id, named),
            ).fetchone()[0]
            position = taken + 1
            if not db.execute(
                "SELECT 1 FROM allocation WHERE study_id = ? AND stratum = ? AND position = ?",
                (study.id, named, position),
            ).fetchone():
                raise StudyError(
                    f"the allocation list of {study.name} ({named or 'all'}) is used up at "
                    f"{taken} participants; raise allocation.size in the regimen for a new study"
                )
        cursor = db.execute(
            "INSERT INTO participants (study_id, code, stratum, position, enrolled_at_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            (study.id, code, named, position, ms(at)),
        )
        audit(db, study.id, "enrolled", at, participant_id=cursor.lastrowid, stratum=named)

    commit(log, "study", work)
    return find_participant(log, study, code)


def _stratum(study: StudyRecord, given: dict[str, str]) -> str:
    factors = study.regimen.study.allocation.strata if study.regimen.study else {}
    if given and not factors:
        raise StudyError(f"{study.name} is not stratified: leave --stratum out")
    if set(given) != set(factors):
        need = ", ".join(f"--stratum {f}=LEVEL" for f in sorted(factors)) or "no --stratum"
        raise StudyError(f"study {study.name} is stratified by {sorted(factors)}: give {need}")
    for factor, level in given.items():
        if level not in factors[factor]:
            raise StudyError(
                f"{factor}={level} is not a level of {factor}; the levels are "
                f"{', '.join(factors[factor])}"
            )
    return ",".join(f"{f}={given[f]}" for f in sorted(given))


def withdraw(
    log: SessionLog, study: StudyRecord, code: str, reason: str, *, now: datetime | None = None
) -> Participant:
    """Withdraw ``code`` from ``study``: no further visits; what was recorded stays."""
    person = find_participant(log, study, code)
    if not reason.strip():
        raise StudyError("a withdrawal needs a reason; give --reason")
    at = _now(now)

    def work(db: sqlite3.Connection) -> None:
        if person.withdrawn is not None:
            raise StudyError(f"{code} was already withdrawn from {study.name}")
        db.execute(
            "UPDATE participants SET withdrawn_at_ms = ?, withdrawn_reason = ? WHERE id = ?",
            (ms(at), reason, person.id),
        )
        audit(db, study.id, "withdrawn", at, participant_id=person.id, reason=reason)

    commit(log, "study", work)
    return find_participant(log, study, code)


def sealed_arm(db: sqlite3.Connection, participant_id: int) -> str | None:
    """The arm behind a participant's slot; for the runner and unblinding only, never shown."""
    row = db.execute(
        "SELECT a.arm FROM participants p JOIN allocation a ON a.study_id = p.study_id "
        "AND a.stratum = p.stratum AND a.position = p.position WHERE p.id = ?",
        (participant_id,),
    ).fetchone()
    return None if row is None else str(row[0])


def unblind(
    log: SessionLog,
    study: StudyRecord,
    reason: str,
    *,
    code: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Reveal arms, for the whole study or one participant (``code``): code -> arm.

    Whole-study unblinding also writes the sham flag of every visit's session into the
    session log, where it was masked.
    """
    if study.kind != "study":
        raise StudyError(f"{study.name} is a course: it has no arms to unblind")
    if code is None and not study.blinded:
        _not_blinded(study)
    if not reason.strip():
        raise StudyError("unblinding needs a reason (who asked, and why); give --reason")
    person = None if code is None else find_participant(log, study, code)
    at = _now(now)
    shams = {arm.name: arm.sham for arm in study.regimen.arms}

    def work(db: sqlite3.Connection) -> dict[str, str]:
        # Read again here: another process may have unblinded it since ``study`` was read.
        blinded = db.execute("SELECT blinded FROM studies WHERE id = ?", (study.id,)).fetchone()
        if person is None and not blinded[0]:
            _not_blinded(study)
        rows = db.execute(
            "SELECT id, code FROM participants WHERE study_id = ?"
            + ("" if person is None else " AND id = ?"),
            (study.id,) if person is None else (study.id, person.id),
        ).fetchall()
        arms = {code_: sealed_arm(db, pid) or "" for pid, code_ in rows}
        if person is not None:
            db.execute(
                "UPDATE participants SET unblinded_at_ms = coalesce(unblinded_at_ms, ?) "
                "WHERE id = ?",
                (ms(at), person.id),
            )
        else:
            db.execute(
                "UPDATE studies SET blinded = 0, unblinded_at_ms = ? WHERE id = ?",
                (ms(at), study.id),
            )
            code_of = dict(rows)
            # Latest visit first: a device reuses session ids, and a session is the last
            # visit's that began before it on its device (see _fill_sham).
            for visit_id, pid in db.execute(
                "SELECT v.id, v.participant_id FROM visits v JOIN participants p "
                "ON p.id = v.participant_id WHERE p.study_id = ? AND v.device_id IS NOT NULL "
                "ORDER BY v.started_at_ms DESC, v.id DESC",
                (study.id,),
            ).fetchall():
                _fill_sham(db, visit_id, shams.get(arms[code_of[pid]], False))
        audit(
            db,
            study.id,
            "unblinded",
            at,
            participant_id=None if person is None else person.id,
            reason=reason,
            whole=person is None,
        )
        return arms

    return commit(log, "study", work)


def _not_blinded(study: StudyRecord) -> NoReturn:
    if study.blinded:  # unblinded by another process since it was read
        raise StudyError(f"study {study.name} was unblinded meanwhile; nothing more to reveal")
    if study.unblinded is None:
        raise StudyError(
            f"study {study.name} is not blinded (blinded: false in its regimen): its arms "
            f"show in `irlink study status {study.name}`"
        )
    raise StudyError(
        f"study {study.name} was unblinded at {study.unblinded:%Y-%m-%d %H:%M} UTC: its arms "
        f"show in `irlink study status {study.name}`"
    )


def _fill_sham(db: sqlite3.Connection, visit_id: int, sham: bool) -> None:
    """Write the now-known sham flag into the sessions of a visit still masked: those of
    its device, port and session id that began after it (a later visit has taken its own)."""
    db.execute(
        "UPDATE sessions SET sham = ? WHERE sham IS NULL AND id IN ("
        " SELECT s.id FROM visits v JOIN visit_sessions vs ON vs.visit_id = v.id"
        " JOIN sessions s ON s.device_id = v.device_id AND s.port = vs.port"
        " AND s.session_id = vs.session_id AND s.started_at_ms >= v.started_at_ms - 60000"
        " WHERE v.id = ?)",
        (int(sham), visit_id),
    )
