"""The adherence calendar: month grids, each day coloured by the minutes delivered against planned.

A session counts on the day it started (its end when only that is known), in the
report's time zone; delivered is the device's own count. A day is marked when one of
its sessions ended early, was known only from the device's usage log, or has times
reckoned from the device's uptime.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from html import escape

from irlink.record.queries import SessionRow

__all__ = ["Day", "calendar_html", "day_of", "days"]

FULL = 0.999  # delivered/planned from which a day counts as all delivered (rounding)
HALF = 0.5


@dataclass
class Day:
    """One day's sessions of a device: minutes planned and delivered, and what to mark."""

    planned_s: int = 0
    delivered_s: int = 0
    sessions: int = 0
    early: bool = False  # a session ended early
    recovered: bool = False  # a session known only from the usage log
    estimated: bool = False  # a session's times reckoned from the device's uptime
    unknown: bool = False  # a session whose end (or delivered count) is not known

    @property
    def ratio(self) -> float | None:
        """Delivered over planned; None when nothing was planned."""
        return None if self.planned_s <= 0 else self.delivered_s / self.planned_s

    @property
    def shade(self) -> str:
        """The colour class: full, partial (at least half), low, none, or open (no end yet)."""
        ratio = self.ratio
        if ratio is None:
            return "open"
        if ratio >= FULL:
            return "full"
        if self.unknown and self.delivered_s == 0:
            return "open"
        if ratio >= HALF:
            return "partial"
        return "low" if ratio > 0 else "none"


def day_of(kept: SessionRow, tz: tzinfo) -> date | None:
    """The local day a session counts on; None when neither its start nor its end is known."""
    at = kept.started_at or kept.ended_at
    return None if at is None else at.astimezone(tz).date()


def days(kept: Iterable[SessionRow], tz: tzinfo) -> dict[date, Day]:
    """Each day's totals, for the sessions with a known day."""
    out: dict[date, Day] = {}
    for each in kept:
        when = day_of(each, tz)
        if when is None:
            continue
        day = out.setdefault(when, Day())
        day.sessions += 1
        day.planned_s += each.duration_s or 0
        day.delivered_s += each.delivered_s or 0
        day.early = day.early or each.outcome == "ended early"
        day.recovered = day.recovered or each.source == "recovered"
        day.estimated = day.estimated or each.times_estimated
        day.unknown = day.unknown or each.delivered_s is None
    return out


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:.0f}"


def _cell(when: date, day: Day | None) -> str:
    if day is None:
        return f'<td class="d"><span class="n">{when.day}</span></td>'
    marks = (
        ("!" if day.early else "") + ("r" if day.recovered else "") + ("≈" if day.estimated else "")
    )
    delivered = "?" if day.unknown and day.delivered_s == 0 else _minutes(day.delivered_s)
    title = (
        f"{when:%Y-%m-%d}: {day.sessions} session(s), {delivered} of "
        f"{_minutes(day.planned_s)} planned minutes delivered"
    )
    return (
        f'<td class="d {day.shade}" title="{escape(title)}"><span class="n">{when.day}</span>'
        f'<span class="k">{escape(marks)}</span>'
        f'<span class="m">{delivered}<small>/{_minutes(day.planned_s)}</small></span></td>'
    )


def _month(year: int, month: int, totals: dict[date, Day]) -> str:
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    rows = []
    for week in weeks:
        cells = "".join(
            _cell(d, totals.get(d)) if d.month == month else '<td class="x"></td>' for d in week
        )
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"))
    in_month = [d for d in totals if (d.year, d.month) == (year, month)]
    planned = sum(totals[d].planned_s for d in in_month)
    delivered = sum(totals[d].delivered_s for d in in_month)
    share = f", {100 * delivered / planned:.0f}%" if planned else ""
    caption = (
        f"{calendar.month_name[month]} {year}"
        f"<small>{len(in_month)} days, {_minutes(delivered)}/{_minutes(planned)} min{share}</small>"
    )
    return (
        f'<table class="month"><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def calendar_html(totals: dict[date, Day], first: date, last: date) -> str:
    """Month grids from ``first``'s month to ``last``'s, and the key to their colours."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(_month(year, month, totals))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    key = (
        '<p class="key"><span class="sw full"></span>all planned minutes delivered '
        '<span class="sw partial"></span>at least half '
        '<span class="sw low"></span>less than half '
        '<span class="sw none"></span>none '
        '<span class="sw open"></span>not known yet. '
        "In each day: minutes delivered (the device's count) / planned, summed over its "
        "sessions and ports. <b>!</b> a session ended early, <b>r</b> a session known only "
        "from the device's usage log, <b>≈</b> times estimated from the device's uptime.</p>"
    )
    return f'<div class="calendar">{"".join(months)}</div>{key}'
