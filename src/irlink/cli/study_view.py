"""What ``irlink study`` prints for people: a study's participants, the studies, the audit.

Times are local, the zone named (``--json`` keeps UTC). No arm column while a study is
blinded. This module loads rich: commands import it inside their bodies only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rich.table import Table
from rich.text import Text

from irlink.cli.logview import local
from irlink.cli.study_lines import StudyLine, Unblinded
from irlink.cli.texts import console
from irlink.regimen.model import format_span
from irlink.regimen.overview import AuditEntry, Progress
from irlink.regimen.studies import StudyRecord

__all__ = ["created_text", "print_audit", "print_status", "print_studies", "unblinded_text"]

_WHEN = {
    "due_now": "due now",
    "overdue": "overdue",
    "in_progress": "in progress",
    "done": "done",
    "withdrawn": "withdrawn",
}
_STYLE = {"overdue": "bold red", "due_now": "green", "withdrawn": "dim", "done": "dim"}


def _minute(at: datetime | None) -> str:
    """A time in the local zone to the minute, named: ``2026-12-02 09:30 CET``."""
    if at is None:
        return "?"
    shown = at.astimezone()
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"


def _slots(line: StudyLine) -> str:
    sizes = sorted(set(line.slots.values()))
    if not sizes:
        return ""
    counted = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]} to {sizes[-1]}"
    strata = len(line.slots)
    where = "per stratum" if strata > 1 else "in one list (not stratified)"
    return f"allocation list sealed: {counted} slots {where}" + (
        f", {strata} strata" if strata > 1 else ""
    )


def _blinding(line: StudyLine) -> str:
    if line.kind != "study":
        return "a course: one person's regimen, no arms"
    if line.blinded:
        return "blinded"
    if line.unblinded_at is None:
        return "not blinded"
    return f"unblinded {_minute(line.unblinded_at)}"


def created_text(line: StudyLine) -> str:
    """What ``study create`` says: the study, its arms and blinding, the sealed list's size."""
    if line.kind != "study":
        return (
            f"created course {line.name} ({line.family}): {_blinding(line)}; enrol its "
            f"participant with `irlink study enrol {line.name} CODE`"
        )
    return (
        f"created study {line.name} ({line.family}): {line.arms} arms, {_blinding(line)}"
        + (", synthetic (a rehearsal, never evidence)" if line.synthetic else "")
        + f"; {_slots(line)}; enrol with `irlink study enrol {line.name} CODE`"
    )


def _head(line: StudyLine) -> Text:
    text = Text(line.name, style="bold")
    text.append(f" · {line.kind} of {line.regimen} ({line.family}) · {_blinding(line)}")
    text.append(f" · {line.participants} participant" + ("s" if line.participants != 1 else ""))
    if line.synthetic:
        text.append(" · synthetic: a rehearsal, never evidence", style="yellow")
    return text


def _when(row: Progress, now: datetime) -> Text:
    word = _WHEN.get(row.state)
    if word is None:  # upcoming: in how long, to the due time
        due = row.window.due if row.window is not None else None
        left = 0.0 if due is None else (due - now).total_seconds()
        days, hours = left / 86400, math.ceil(left / 3600)
        word = (
            f"in {round(days)} day{'s' if round(days) != 1 else ''}"
            if days >= 1
            else (f"in {hours} hour{'s' if hours != 1 else ''}")
        )
    return Text(word, style=_STYLE.get(row.state, ""))


def _due(row: Progress, study: StudyRecord) -> str:
    if row.window is None:
        return ""
    if row.window.due is None:
        return "any time"
    window = study.regimen.visits.window
    return _minute(row.window.due) + (f" ± {format_span(window)}" if window else "")


def print_status(
    line: StudyLine, study: StudyRecord, rows: Sequence[Progress], now: datetime
) -> None:
    """Print the study's line, then a participant a row: no arm column while blinded."""
    out = console()
    out.print(_head(line))
    if not rows:
        out.print(f"no participants yet: `irlink study enrol {line.name} CODE` enrols one")
        return
    arms = line.kind == "study" and not line.blinded
    stratified = any(row.participant.stratum for row in rows)
    table = Table(box=None, pad_edge=False)
    columns = ["participant", *(["stratum"] if stratified else []), "enrolled", "visits"]
    columns += ["next", "due", "when", "missed", "deviations", *(["arm"] if arms else [])]
    for column in columns:
        numeric = column in ("visits", "next", "missed", "deviations")
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        person = row.participant
        table.add_row(
            person.code,
            *([person.stratum] if stratified else []),
            _minute(person.enrolled),
            f"{row.done}/{row.total}",
            "" if row.next_visit is None else str(row.next_visit),
            _due(row, study),
            _when(row, now),
            str(row.missed),
            str(row.deviations),
            *([row.arm or ""] if arms else []),
        )
    out.print(table)
    if line.kind == "study" and line.blinded:
        out.print(Text("arms stay sealed while the study is blinded", style="dim"))


def print_studies(lines: Sequence[StudyLine], path: Path) -> None:
    """Print every study and course in the log: one row each."""
    out = console()
    if not lines:
        out.print(
            f"no studies in the session log {path} yet: `irlink study create REGIMEN.yaml` "
            "creates one"
        )
        return
    table = Table(box=None, pad_edge=False)
    for column in ("study", "kind", "regimen", "created", "blinding", "participants", ""):
        table.add_column(column, justify="right" if column == "participants" else "left")
    for line in lines:
        table.add_row(
            line.name,
            line.kind,
            f"{line.regimen} ({line.family})",
            _minute(line.created_at),
            _blinding(line) if line.kind == "study" else "",
            str(line.participants),
            Text("synthetic", style="yellow") if line.synthetic else "",
        )
    out.print(table)


def print_audit(entries: Sequence[AuditEntry]) -> None:
    """Print the audit trail: time, user, host, action, participant and reason."""
    out = console()
    table = Table(box=None, pad_edge=False)
    for column in ("time", "user", "host", "action", "participant", "reason"):
        table.add_column(column)
    for entry in entries:
        style = "bold" if entry.action in ("unblinded", "deviation", "withdrawn") else ""
        table.add_row(
            local(entry.at),
            entry.user,
            entry.host,
            Text(entry.action, style=style),
            entry.participant or "",
            entry.reason or "",
        )
    out.print(table)


def unblinded_text(line: Unblinded) -> str:
    """What ``study unblind`` says: every arm revealed, and that it was recorded."""
    if line.participant is not None:
        arm = line.arms.get(line.participant, "?")
        return (
            f"{line.participant} of {line.study}: {arm}. Recorded in the audit trail; the "
            "study stays blinded for everyone else"
        )
    revealed = "\n".join(f"  {code}  {arm}" for code, arm in line.arms.items())
    return (
        f"unblinded {line.study}, recorded in the audit trail: "
        f"{len(line.arms)} participant{'s' if len(line.arms) != 1 else ''}"
        + (f"\n{revealed}" if revealed else "")
    )
