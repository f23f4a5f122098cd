"""Frames dropped for security are reported a few times a link, never once a frame.

:class:`irlink.dropped.DropTally` on a clock the test moves, its timers kept in a list
the test runs when they are due: an hour of frames thrown at a link in a verified
session makes one report a minute at most, with the counts since the last, and the
link's totals when it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from irlink.connection import LinkStats
from irlink.dropped import REPORT_EVERY_S, DropTally


@dataclass
class Timer:
    when: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class Clock:
    now: float = 1000.0
    timers: list[Timer] = field(default_factory=list)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move on, running each timer that falls due on the way."""
        self.now += seconds
        for timer in list(self.timers):
            if timer.when <= self.now and not timer.cancelled:
                self.timers.remove(timer)
                timer.callback()


def tally() -> tuple[DropTally, LinkStats, Clock, list[tuple[dict[str, object], bool]]]:
    stats, clock = LinkStats(), Clock()
    reports: list[tuple[dict[str, object], bool]] = []
    dropped = DropTally(
        stats,
        lambda data, final: reports.append((data, final)),
        clock=lambda: clock.now,
        call_at=clock.call_at,
    )
    return dropped, stats, clock, reports


def drop(dropped: DropTally, stats: LinkStats, kind: str, n: int = 1) -> None:
    for _ in range(n):
        setattr(stats, kind, getattr(stats, kind) + 1)
        dropped.dropped()


def test_an_hour_of_forged_frames_makes_one_report_a_minute_and_the_totals_at_the_end() -> None:
    dropped, stats, clock, reports = tally()
    for _ in range(60 * 60):  # a frame a second for an hour
        drop(dropped, stats, "forged")
        clock.advance(1)
    assert len(reports) == 61  # the first at once, then one a minute
    assert reports[0] == (
        {"forged": 1, "replayed": 0, "plain": 0, "total": {"forged": 1, "replayed": 0, "plain": 0}},
        False,
    )
    # The first minute's report counts the frames since the first (its own report).
    assert [data["forged"] for data, _ in reports[1:]] == [59] + [60] * 59
    dropped.link_ended()
    data, final = reports[-1]
    assert final
    assert data["total"] == {"forged": 3600, "replayed": 0, "plain": 0}
    assert data["forged"] == 0  # the last minute was reported as it ended
    assert sum(int(d["forged"]) for d, _ in reports) == 3600  # each frame counted once


def test_each_kind_is_counted_apart_and_a_quiet_link_reports_nothing_more() -> None:
    dropped, stats, clock, reports = tally()
    drop(dropped, stats, "replayed")
    drop(dropped, stats, "forged", 5)
    drop(dropped, stats, "plain_dropped", 3)
    assert len(reports) == 1
    clock.advance(REPORT_EVERY_S)
    assert reports[1][0] == {
        "forged": 5,
        "replayed": 0,
        "plain": 3,
        "total": {"forged": 5, "replayed": 1, "plain": 3},
    }
    clock.advance(10 * REPORT_EVERY_S)  # nothing dropped since: no report
    assert len(reports) == 2
    drop(dropped, stats, "forged")  # a minute and more since the last: at once
    assert len(reports) == 3


def test_a_link_that_dropped_nothing_reports_nothing_and_the_next_link_counts_afresh() -> None:
    dropped, stats, clock, reports = tally()
    dropped.link_ended()
    assert reports == []
    drop(dropped, stats, "forged", 4)
    dropped.link_ended()  # the due report is not made twice: the totals say it
    assert [final for _, final in reports] == [False, True]
    assert reports[-1][0]["forged"] == 3
    clock.advance(REPORT_EVERY_S)
    assert len(reports) == 2  # the timer was cancelled with the link
    drop(dropped, stats, "forged")  # a new link: its first drop is reported at once
    dropped.link_ended()
    assert reports[2][0]["total"] == {"forged": 1, "replayed": 0, "plain": 0}
    assert reports[3] == (
        {"forged": 0, "replayed": 0, "plain": 0, "total": {"forged": 1, "replayed": 0, "plain": 0}},
        True,
    )
