"""``irlink study create``, ``enrol``, ``status``, ``list``, ``withdraw``, ``miss``,
``unblind`` and ``audit``: a study's participants, kept in the session log.

These commands talk to no device: they read and write the session log (``--db``,
``IRLINK_DB``, as ``irlink log`` does; ``--no-log`` does not apply, the log is their
subject). No output names a participant's arm while the study is blinded, except what
``unblind`` reveals, which is kept in the audit trail with who, where and why.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli.common import EXIT_RECORD, JsonHere, Options, emit, fail, options

if TYPE_CHECKING:
    from irlink.record.store import SessionLog
    from irlink.regimen.studies import StudyRecord

__all__ = ["register", "study_log"]

StudyName = Annotated[
    str, typer.Argument(metavar="STUDY", help="The study's name (`irlink study list`).")
]
Code = Annotated[
    str,
    typer.Argument(metavar="CODE", help="The participant's pseudonymous code, e.g. P07."),
]
Reason = Annotated[
    str, typer.Option("--reason", metavar="TEXT", help="Why: kept in the audit trail.")
]


@contextlib.contextmanager
def study_log(opts: Options, *, write: bool = False) -> Iterator[SessionLog]:
    """The session log (read-only unless ``write``); a study refused ends the command (exit
    2), a log that cannot be written too (exit 7)."""
    import sqlite3  # noqa: PLC0415

    from irlink.record.store import RecordError, RecordingFailed, SessionLog  # noqa: PLC0415
    from irlink.regimen.studies import StudyError  # noqa: PLC0415

    try:
        log = SessionLog.open(opts.db, readonly=not write)
    except RecordingFailed as exc:
        fail(f"{exc}; nothing was changed", EXIT_RECORD, option="--db")
    except RecordError as exc:
        fail(str(exc), option="--db")
    try:
        yield log
    except StudyError as exc:
        fail(str(exc))
    except RecordingFailed as exc:
        fail(str(exc), EXIT_RECORD, option="--db")
    except sqlite3.Error as exc:
        if "no such table" in str(exc):  # a log written before irlink kept studies
            fail(
                f"the session log {log.path} has no studies yet: `irlink study create "
                "REGIMEN.yaml` creates one",
                option="--db",
            )
        fail(f"cannot read the session log {log.path}: {exc}", option="--db")
    finally:
        log.close()


def _study(log: SessionLog, name: str) -> StudyRecord:
    from irlink.regimen.studies import find_study  # noqa: PLC0415

    return find_study(log, name)


def create(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="REGIMEN",
            help="The regimen file (YAML), or an example's name (`irlink regimen examples`).",
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", metavar="NAME", help="The study's name (default: the regimen's name)."
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """Create a study from a regimen file, and seal its allocation list (never shown); a
    regimen without `study:` makes a course, one person's regimen."""
    opts = options(ctx, json=json_here)
    from irlink.cli.regimen_check import load  # noqa: PLC0415
    from irlink.cli.study_lines import study_line  # noqa: PLC0415
    from irlink.cli.study_view import created_text  # noqa: PLC0415
    from irlink.regimen.overview import slots  # noqa: PLC0415
    from irlink.regimen.studies import create_study  # noqa: PLC0415

    where, text, _ = load(opts, source)
    with study_log(opts, write=True) as log:
        study = create_study(log, text, source=where, name=name)
        line = study_line(study, slots(log, study), 0)
    emit(opts, "study", line, functools.partial(typer.echo, created_text(line)))


def _strata(given: list[str]) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for item in given:
        factor, equals, level = item.partition("=")
        if not (equals and factor.strip() and level.strip()):
            fail(f"--stratum {item!r} is not FACTOR=LEVEL (e.g. site=a)", option="--stratum")
        chosen[factor.strip()] = level.strip()
    return chosen


def enrol(
    ctx: typer.Context,
    study: StudyName,
    code: Code,
    stratum: Annotated[
        list[str] | None,
        typer.Option(
            "--stratum",
            metavar="FACTOR=LEVEL",
            help="The participant's level of each stratification factor (repeat per factor).",
            show_default=False,
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """Enrol a participant: they take the next slot of their stratum's sealed list. The arm
    is not shown, to anyone."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_lines import Enrolled  # noqa: PLC0415
    from irlink.regimen.studies import enrol as enrol_in  # noqa: PLC0415

    chosen = _strata(stratum or [])
    with study_log(opts, write=True) as log:
        record = _study(log, study)
        person = enrol_in(log, record, code, stratum=chosen)
    line = Enrolled(record.name, person.code, person.stratum, person.enrolled)
    said = f"enrolled {person.code} in {record.name}"
    said += f" (stratum {person.stratum})" if person.stratum else ""
    emit(opts, "enrolled", line, functools.partial(typer.echo, f"{said}; first visit: any time"))


def status(ctx: typer.Context, study: StudyName, json_here: JsonHere = False) -> None:
    """Show where each participant is: visits done, the next one, when it is due, missed
    visits and deviations. No arm while the study is blinded."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_lines import participant_line, study_line  # noqa: PLC0415
    from irlink.regimen.overview import progress, slots  # noqa: PLC0415

    now = datetime.now(UTC)
    with study_log(opts) as log:
        record = _study(log, study)
        rows = progress(log, record, now)
        head = study_line(record, slots(log, record), len(rows))
    if not opts.json:
        from irlink.cli.study_view import print_status  # noqa: PLC0415

        print_status(head, record, rows, now)
        return
    emit(opts, "study", head, lambda: None)
    for row in rows:
        emit(opts, "participant", participant_line(record.name, row), lambda: None)


def list_studies(ctx: typer.Context, json_here: JsonHere = False) -> None:
    """List every study and course in the session log."""
    opts = options(ctx, json=json_here)
    from pathlib import Path  # noqa: PLC0415

    from irlink.cli.study_lines import study_line  # noqa: PLC0415
    from irlink.record.store import default_path  # noqa: PLC0415
    from irlink.regimen.overview import slots, studies  # noqa: PLC0415
    from irlink.regimen.studies import participants  # noqa: PLC0415

    path = Path(opts.db).expanduser() if opts.db else default_path()
    lines = []
    if path.is_file():  # no log yet: no studies yet, rather than an error
        with study_log(opts) as log:
            lines = [study_line(s, slots(log, s), len(participants(log, s))) for s in studies(log)]
    if not opts.json:
        from irlink.cli.study_view import print_studies  # noqa: PLC0415

        print_studies(lines, path)
        return
    for line in lines:
        emit(opts, "study", line, lambda: None)


def withdraw(
    ctx: typer.Context, study: StudyName, code: Code, reason: Reason, json_here: JsonHere = False
) -> None:
    """Withdraw a participant: no further visits; what was recorded stays."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_lines import Withdrawn  # noqa: PLC0415
    from irlink.regimen.studies import withdraw as withdraw_from  # noqa: PLC0415

    with study_log(opts, write=True) as log:
        record = _study(log, study)
        person = withdraw_from(log, record, code, reason)
    at = person.withdrawn or datetime.now(UTC)
    line = Withdrawn(record.name, person.code, at, reason)
    said = f"withdrew {person.code} from {record.name} ({reason}); what was recorded stays"
    emit(opts, "withdrawn", line, functools.partial(typer.echo, said))


def miss(
    ctx: typer.Context, study: StudyName, code: Code, reason: Reason, json_here: JsonHere = False
) -> None:
    """Record the participant's due visit as missed (they did not come): kept, never
    filled in."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_lines import Missed  # noqa: PLC0415
    from irlink.regimen.studies import find_participant  # noqa: PLC0415
    from irlink.regimen.visits import miss_visit  # noqa: PLC0415

    now = datetime.now(UTC)
    with study_log(opts, write=True) as log:
        record = _study(log, study)
        number = miss_visit(log, record, find_participant(log, record, code), reason, now)
    said = f"recorded visit {number} of {code} in {record.name} as missed ({reason})"
    line = Missed(record.name, code, number, now, reason)
    emit(opts, "missed", line, functools.partial(typer.echo, said))


def audit(ctx: typer.Context, study: StudyName, json_here: JsonHere = False) -> None:
    """Show the study's audit trail: when, who, on which host, what, for whom and why."""
    opts = options(ctx, json=json_here)
    from irlink.regimen.overview import audit_trail  # noqa: PLC0415

    with study_log(opts) as log:
        entries = audit_trail(log, _study(log, study))
    if not opts.json:
        from irlink.cli.study_view import print_audit  # noqa: PLC0415

        print_audit(entries)
        return
    for entry in entries:
        emit(opts, "audit", entry, lambda: None)


def register(app: typer.Typer) -> None:
    """Add these commands to ``irlink study``."""
    from irlink.cli.study_unblind import unblind  # noqa: PLC0415  (it imports this module)

    app.command("create")(create)
    app.command("enrol")(enrol)
    app.command("status")(status)
    app.command("list")(list_studies)
    app.command("withdraw")(withdraw)
    app.command("miss")(miss)
    app.command("unblind")(unblind)
    app.command("audit")(audit)
