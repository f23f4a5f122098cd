"""``irlink study unblind``: reveal arms, for the whole study or one participant, on purpose.

Unblinding cannot be undone. At a terminal irlink asks why (unless ``--reason``) and
asks for the study's name to be typed back (unless ``--yes``); elsewhere both must be
given. Who, on which host, when and why go into the study's audit trail.
"""

from __future__ import annotations

import functools
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from irlink.cli.common import JsonHere, emit, fail, options
from irlink.cli.study_admin import StudyName, study_log

__all__ = ["at_terminal", "unblind"]


def at_terminal() -> bool:
    """Whether a person is there to answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _reason(given: str | None) -> str:
    if given is not None:
        return given
    if not at_terminal():
        fail(
            "unblinding needs a reason (who asked, and why): give --reason TEXT",
            option="--reason",
        )
    said: str = typer.prompt("Why unblind? (who asked, and why)", err=True)
    return said


def _confirm(study: str, what: str, yes: bool) -> None:
    if yes:
        return
    if not at_terminal():
        fail(
            f"unblinding reveals {what} for good, and is recorded: run it at a terminal to "
            "confirm, or add --yes (in a script)",
            option="--yes",
        )
    typed: str = typer.prompt(
        f"This reveals {what} to you, for good, and records it. Type the study name "
        f"({study}) to confirm",
        default="",
        show_default=False,
        err=True,
    )
    if typed.strip() != study:
        fail(f"not confirmed: {typed.strip()!r} is not {study!r}; nothing was revealed")


def unblind(
    ctx: typer.Context,
    study: StudyName,
    participant: Annotated[
        str | None,
        typer.Option(
            "--participant",
            metavar="CODE",
            help="Reveal only this participant's arm (an emergency); the study stays blinded.",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            metavar="TEXT",
            help="Who asked, and why: kept in the audit trail (asked for at a terminal).",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask to confirm (for scripts).")
    ] = False,
    json_here: JsonHere = False,
) -> None:
    """Reveal arms: the whole study (for the analysis), or one participant with
    --participant (an emergency). Asks to confirm; recorded with who, when and why."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_lines import Unblinded  # noqa: PLC0415
    from irlink.cli.study_view import unblinded_text  # noqa: PLC0415
    from irlink.regimen.studies import find_participant, find_study  # noqa: PLC0415
    from irlink.regimen.studies import unblind as reveal  # noqa: PLC0415

    now = datetime.now(UTC)
    with study_log(opts, write=True) as log:
        record = find_study(log, study)
        if participant is not None:
            find_participant(log, record, participant)
        what = f"the arm of {participant}" if participant else f"every arm of {record.name}"
        if record.kind == "study" and (participant is not None or record.blinded):
            reason = _reason(reason)
            _confirm(record.name, what, yes)
        arms = reveal(log, record, reason or "", code=participant, now=now)
    line = Unblinded(record.name, participant, now, reason or "", arms)
    emit(opts, "unblinded", line, functools.partial(typer.echo, unblinded_text(line)))
