"""When each visit of a course is due, and whether a moment is inside its window.

Visit 1 may happen any time after enrolment; visit n (n > 1) is due ``(n - 1)``
intervals after visit 1 started, and is on time within ``window`` either side.

>>> from datetime import datetime, timedelta, timezone
>>> from irlink.regimen.model import Visits
>>> weekly = Visits(count=7, interval="7d", window="1d")
>>> first = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
>>> due(weekly, first, 2)
datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.timezone.utc)
>>> on_time(weekly, first, 2, datetime(2026, 1, 13, 8, tzinfo=timezone.utc))
True
>>> on_time(weekly, first, 2, datetime(2026, 1, 14, 9, tzinfo=timezone.utc))
False
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irlink.regimen.model import Visits

__all__ = ["Window", "due", "on_time", "window"]


@dataclass(frozen=True)
class Window:
    """When a visit is due, and the earliest and latest moments it is on time."""

    number: int
    due: datetime | None  # None for visit 1: any time
    opens: datetime | None
    closes: datetime | None

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` is on time for this visit."""
        if self.opens is None or self.closes is None:
            return True
        return self.opens <= moment <= self.closes


def due(visits: Visits, first: datetime, number: int) -> datetime:
    """When visit ``number`` is due, given that visit 1 started at ``first``."""
    return first + visits.interval * (number - 1)


def window(visits: Visits, first: datetime | None, number: int) -> Window:
    """Visit ``number``'s window (``first``: when visit 1 started, None if not yet)."""
    if number == 1 or first is None:
        return Window(number, None, None, None)
    when = due(visits, first, number)
    return Window(number, when, when - visits.window, when + visits.window)


def on_time(visits: Visits, first: datetime | None, number: int, moment: datetime) -> bool:
    """Whether visit ``number`` at ``moment`` is inside its window."""
    return window(visits, first, number).contains(moment)
