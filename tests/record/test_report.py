"""The HTML report: self-contained, honest about each session, right in its calendar."""

from __future__ import annotations

import math
import re
from datetime import UTC, date
from html import unescape
from pathlib import Path

import pytest

from irlink.record.report import Report, write_report
from irlink.record.store import RecordError, SessionLog


def report_of(log_path: Path, out: Path, **options: object) -> tuple[Report, str]:
    with SessionLog.open(log_path, readonly=True) as log:
        made = write_report(log, out, tz=UTC, **options)  # type: ignore[arg-type]
    return made, out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(four_days_log: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return report_of(four_days_log, tmp_path_factory.mktemp("report") / "report.html")[1]


def session_part(page: str, number: int) -> str:
    """The plot section of session ``number``."""
    start = page.index(f'<div class="session" id="session-{number}">')
    return page[start : page.index("</div>", start)]


def test_the_page_fetches_nothing_when_opened(page: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"@import|@font-face|<script|<link|<img|<iframe", page, re.I)
    assert not re.search(r"url\(\s*[^#\s]", page)  # only the SVG's own clip paths, by id
    assert page.count("<svg") == 3  # the three sessions seen live have plots, inline


def test_the_calendar_shows_each_days_minutes_delivered_against_planned(page: str) -> None:
    days = dict(re.findall(r'title="(\d{4}-\d\d-\d\d): ([^"]*)"', page))
    assert days == {
        "2026-11-20": "1 session(s), 10 of 10 planned minutes delivered",
        "2026-11-21": "1 session(s), 5 of 10 planned minutes delivered",
        "2026-11-22": "1 session(s), 10 of 10 planned minutes delivered",
        "2026-11-23": "1 session(s), 4 of 10 planned minutes delivered",
    }
    assert '<td class="d full" title="2026-11-20' in page
    assert '<td class="d partial" title="2026-11-21' in page
    assert '<td class="d low" title="2026-11-23' in page


def test_the_calendar_marks_early_ends_and_recovered_days(page: str) -> None:
    marks = dict(re.findall(r'title="(\d{4}-\d\d-\d\d)[^"]*">.*?<span class="k">([^<]*)<', page))
    assert marks == {"2026-11-20": "", "2026-11-21": "!", "2026-11-22": "r≈", "2026-11-23": "!"}


def test_the_table_says_how_each_session_ended_and_how_it_is_known(page: str) -> None:
    rows = re.findall(r"<tr class=\"([^\"]*)\"><td class=\"num\">(\d+)</td>(.*?)</tr>", page)
    by_id = {int(number): (classes, cells) for classes, number, cells in rows}
    assert ">completed<" in by_id[1][1]
    assert by_id[2][0] == "early"
    assert "ended early: fault" in by_id[2][1]
    assert "recovered (usage log only)" in by_id[3][1]
    assert "≈ 08:00" in by_id[3][1]  # its start reckoned from the device's uptime
    assert "ended early: stopped" in by_id[4][1]
    assert '<td class="num">4</td><td class="why">' in by_id[4][1]  # delivered 4 of 10


def test_a_plot_marks_the_fault_the_link_loss_and_the_early_end(page: str) -> None:
    faulted = session_part(page, 2)
    assert "fault raised: over temperature" in faulted
    assert "link lost (no samples)" in faulted
    assert "ended early: fault" in faulted
    plain = session_part(page, 1)
    assert "<svg" in plain
    assert "fault raised" not in plain
    assert "link lost" not in plain


def test_a_recovered_session_has_no_plot_and_says_why(page: str) -> None:
    recovered = session_part(page, 3)
    assert "<svg" not in recovered
    assert "known only from the device's usage log" in unescape(recovered)


def test_the_page_prints_on_a4_with_a_page_per_device(page: str) -> None:
    assert "@media print" in page
    assert "size: A4" in page
    assert "section.device + section.device { break-before: page; }" in page


def test_plots_cover_only_the_last_days_asked(four_days_log: Path, tmp_path: Path) -> None:
    made, text = report_of(four_days_log, tmp_path / "r.html", plots_days=2)
    assert (made.sessions, made.plotted) == (4, 2)
    assert (made.plots_from, made.plots_until) == (date(2026, 11, 22), date(2026, 11, 23))
    assert text.count("<svg") == 1  # the 22nd's session has no samples to plot
    assert '<a href="#session-4">plot</a>' in text
    assert '<a href="#session-1">' not in text


def test_since_and_until_are_days_both_included(four_days_log: Path, tmp_path: Path) -> None:
    made, text = report_of(
        four_days_log, tmp_path / "r.html", since=date(2026, 11, 21), until=date(2026, 11, 22)
    )
    assert made.sessions == 2
    assert "2026-11-21:" in text
    assert "2026-11-20:" not in text
    assert "2026-11-23:" not in text


def test_an_empty_log_gives_a_page_that_says_so(tmp_path: Path) -> None:
    SessionLog.open(tmp_path / "empty.db").close()
    made, text = report_of(tmp_path / "empty.db", tmp_path / "r.html")
    assert (made.devices, made.sessions, made.plotted) == (0, 0, 0)
    assert "<b>No sessions</b>" in text
    assert "</html>" in text


def test_an_unknown_serial_is_refused_naming_those_known(
    four_days_log: Path, tmp_path: Path
) -> None:
    with (
        SessionLog.open(four_days_log, readonly=True) as log,
        pytest.raises(RecordError, match=r"no device with serial XX.*WB-0001"),
    ):
        write_report(log, tmp_path / "r.html", serial="XX")
    assert not (tmp_path / "r.html").exists()


def test_an_accelerated_session_plots_against_the_devices_own_clock(tmp_path: Path) -> None:
    import asyncio

    import irlink
    from irlink.events import SessionEnded
    from irlink.record import sessions
    from irlink.record.queries import session_samples
    from irlink.record.report import plots

    async def therapy(log: SessionLog) -> None:
        address = "sim://waistband?speed=600"  # ten minutes in one second of wall time
        async with irlink.connect(address, log=log, status_period=5) as device:
            events = device.events()
            await device.configure(1, duration="10m")
            await device.start(1)
            async for event in events:
                if isinstance(event, SessionEnded):
                    break

    with SessionLog.open(tmp_path / "log.db") as log:
        asyncio.run(therapy(log))
        (kept,) = sessions(log)
        assert kept.started_at is not None
        series = plots.series_of(session_samples(log, kept), kept, kept.started_at)
    # By the wall clock it all happened within a second or two; by the device's, over 9 min.
    assert series.minutes[-1] - series.minutes[0] > 9
    assert not any(math.isnan(v) for v in series.remaining_min)  # evenly spaced: no gaps
