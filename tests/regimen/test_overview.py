"""Where each participant is: visits done, the next one and its window, missed, deviations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from irlink.record.store import SessionLog
from irlink.regimen.overview import Progress, progress
from irlink.regimen.studies import (
    StudyRecord,
    create_study,
    enrol,
    find_participant,
    find_study,
    unblind,
    withdraw,
)
from irlink.regimen.visits import begin_visit, due_visit, end_visit, miss_visit
from tests.regimen.conftest import TRIAL

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK, DAY = timedelta(weeks=1), timedelta(days=1)


def visit(log: SessionLog, study: StudyRecord, code: str, at: datetime, *, end: bool = True,
          override: str | None = None) -> None:  # fmt: skip
    """Run participant ``code``'s due visit at ``at`` (ended unless ``end`` is false)."""
    person = find_participant(log, study, code)
    due = due_visit(log, study, person)
    visit_id = begin_visit(
        log, study, person, due, at, address="sim://waistband", override=override
    )
    if end:
        end_visit(log, study.id, person.id, visit_id, "completed", "", at + timedelta(minutes=30))


def only(log: SessionLog, study: StudyRecord, now: datetime) -> Progress:
    [row] = progress(log, study, now)
    return row


def test_a_new_participant_is_due_now_for_visit_one_any_time(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01", now=T0)
    row = only(log, study, T0)
    assert (row.state, row.next_visit, row.done, row.total) == ("due_now", 1, 0, 7)
    assert row.window is not None
    assert row.window.due is None
    assert row.arm is None


def test_the_next_visit_is_upcoming_then_due_then_overdue(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01", now=T0)
    visit(log, study, "P01", T0)
    row = only(log, study, T0 + DAY)
    assert (row.state, row.next_visit, row.done) == ("upcoming", 2, 1)
    assert row.window is not None
    assert (row.window.due, row.window.opens, row.window.closes) == (
        T0 + WEEK, T0 + WEEK - DAY, T0 + WEEK + DAY,
    )  # fmt: skip
    assert only(log, study, T0 + WEEK - DAY).state == "due_now"
    assert only(log, study, T0 + WEEK + DAY + timedelta(seconds=1)).state == "overdue"


def test_a_visit_begun_and_not_ended_is_in_progress(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01", now=T0)
    visit(log, study, "P01", T0, end=False)
    row = only(log, study, T0 + timedelta(minutes=5))
    assert (row.state, row.next_visit, row.done) == ("in_progress", 1, 0)


def test_missed_visits_and_deviations_are_counted(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    person = enrol(log, study, "P01", now=T0)
    visit(log, study, "P01", T0)
    miss_visit(log, study, person, "ill", T0 + WEEK)
    visit(log, study, "P01", T0 + 2 * WEEK + 3 * DAY, override="came late: the bus")
    row = only(log, study, T0 + 2 * WEEK + 3 * DAY)
    assert (row.done, row.missed, row.deviations, row.next_visit) == (2, 1, 1, 4)


def test_a_participant_with_every_visit_is_done(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01", now=T0)
    for number in range(7):
        visit(log, study, "P01", T0 + number * WEEK)
    row = only(log, study, T0 + 7 * WEEK)
    assert (row.state, row.done, row.next_visit, row.window) == ("done", 7, None, None)


def test_a_withdrawn_participant_has_no_next_visit(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01", now=T0)
    withdraw(log, study, "P01", "moved")
    row = only(log, study, T0)
    assert (row.state, row.next_visit) == ("withdrawn", None)


def test_arms_show_only_once_the_study_is_unblinded(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01", now=T0)
    unblind(log, study, "emergency", code="P01")
    assert only(log, find_study(log, study.name), T0).arm is None
    arms = unblind(log, study, "analysis")
    assert only(log, find_study(log, study.name), T0).arm == arms["P01"]
