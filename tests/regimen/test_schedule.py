"""When visits are due and whether a moment is inside a visit's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from irlink.regimen.model import Visits
from irlink.regimen.schedule import due, on_time, window

WEEKLY = Visits(count=7, interval="1w", window="1d")
FIRST = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_visit_n_is_due_n_minus_one_intervals_after_the_first_began() -> None:
    assert due(WEEKLY, FIRST, 1) == FIRST
    assert due(WEEKLY, FIRST, 2) == FIRST + timedelta(weeks=1)
    assert due(WEEKLY, FIRST, 7) == FIRST + timedelta(weeks=6)


def test_the_first_visit_may_be_any_time() -> None:
    first = window(WEEKLY, None, 1)
    assert (first.due, first.opens, first.closes) == (None, None, None)
    assert first.contains(datetime(1999, 1, 1, tzinfo=UTC))
    assert window(WEEKLY, FIRST, 1).due is None


def test_a_later_visit_before_the_first_began_is_any_time_too() -> None:
    assert window(WEEKLY, None, 3).due is None


def test_the_window_is_either_side_of_the_due_time_ends_included() -> None:
    third = window(WEEKLY, FIRST, 3)
    assert third.due == FIRST + timedelta(weeks=2)
    assert third.opens == third.due - timedelta(days=1)
    assert third.closes == third.due + timedelta(days=1)
    assert on_time(WEEKLY, FIRST, 3, third.opens)
    assert on_time(WEEKLY, FIRST, 3, third.closes)


@pytest.mark.parametrize("off", [timedelta(days=1, seconds=1), timedelta(days=-1, seconds=-1)])
def test_a_moment_past_either_end_of_the_window_is_late_or_early(off: timedelta) -> None:
    assert not on_time(WEEKLY, FIRST, 2, due(WEEKLY, FIRST, 2) + off)


def test_a_visit_without_a_window_is_on_time_only_when_due() -> None:
    daily = Visits(count=3, interval="1d")
    at = due(daily, FIRST, 2)
    assert on_time(daily, FIRST, 2, at)
    assert not on_time(daily, FIRST, 2, at + timedelta(seconds=1))
