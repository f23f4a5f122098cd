"""What ``irlink study status`` prints: when each participant's next visit is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from irlink.cli.study_lines import study_line
from irlink.cli.study_view import print_status
from irlink.record.store import SessionLog
from irlink.regimen import example
from irlink.regimen.overview import progress, slots
from irlink.regimen.studies import create_study, enrol, find_participant, withdraw
from irlink.regimen.visits import begin_visit, due_visit, end_visit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("later", "said"),
    [
        (timedelta(hours=1), "in 7 days"),
        (timedelta(days=5, hours=20), "in 1 day"),
        (timedelta(days=6, hours=23), "due now"),
        (timedelta(days=8, hours=1), "overdue"),
    ],
)
def test_the_next_visit_is_said_in_days_hours_due_now_or_overdue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], later: timedelta, said: str
) -> None:
    with SessionLog.open(tmp_path / "log.db") as log:
        study = create_study(log, example("gale-2006").read_text(encoding="utf-8"))
        enrol(log, study, "P01", now=T0)
        enrol(log, study, "P02", now=T0)
        withdraw(log, study, "P02", "moved", now=T0)
        person = find_participant(log, study, "P01")
        visit = begin_visit(log, study, person, due_visit(log, study, person), T0, address="sim://")
        end_visit(log, study.id, person.id, visit, "completed", "", T0 + timedelta(minutes=30))
        rows = progress(log, study, T0 + later)
        print_status(study_line(study, slots(log, study), 2), study, rows, T0 + later)
    printed = capsys.readouterr().out.splitlines()
    [first] = [line for line in printed if line.startswith("P01")]
    [second] = [line for line in printed if line.startswith("P02")]
    assert said in first
    assert "1/7" in first
    assert "± 1w" not in first
    assert "± 1d" in first
    assert "withdrawn" in second
