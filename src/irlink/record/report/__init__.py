"""The session log as one self-contained HTML page a clinician can open offline and print.

Per device: its totals, an adherence calendar (each day's minutes delivered against
planned) and a table of every session in the range; then, for the sessions of the
last ``plots_days`` days of the range, plots over time of remaining time, pad and
skin temperature, intensity and battery, with faults and link losses marked. Plots
cost a tenth of a second each, so a year of sessions gets its calendar and table
whole and plots for its last two weeks unless asked otherwise. Needs matplotlib (the
``report`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from html import escape
from pathlib import Path

from irlink.record.blinding import study_device_ids
from irlink.record.queries import DeviceRow, SessionRow, devices, session, session_samples, sessions
from irlink.record.report import page, plots
from irlink.record.report.calendar import calendar_html, day_of, days
from irlink.record.report.plots import ReportUnavailable
from irlink.record.store import RecordError, SessionLog

__all__ = ["PLOTS_DAYS", "Report", "ReportUnavailable", "write_report"]

PLOTS_DAYS = 14  # plots for the sessions of the range's last two weeks, by default


@dataclass(frozen=True, slots=True)
class Report:
    """What :func:`write_report` wrote: where, and how much of the log it covers."""

    path: Path
    devices: int
    sessions: int
    plotted: int  # sessions drawn in plots
    plots_from: date | None  # the first day whose sessions have plots (None: no plots)
    plots_until: date | None


def write_report(
    log: SessionLog,
    path: str | Path,
    *,
    serial: str | None = None,
    since: date | None = None,
    until: date | None = None,
    plots_days: int = PLOTS_DAYS,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> Report:
    """Write the report of ``log`` to ``path``: its sessions from ``since`` to ``until``
    (days in ``tz``, both included), of the device ``serial`` or of every device.

    ``tz`` is the zone the page shows times and counts days in (default: this host's).
    Raises :class:`ReportUnavailable` without matplotlib, :class:`RecordError` for a
    serial the log has not seen.
    """
    plots.require()
    zone = tz or datetime.now().astimezone().tzinfo
    assert zone is not None
    made = (now or datetime.now(zone)).astimezone(zone)
    known = devices(log)
    if serial is not None:
        known = [d for d in known if d.serial == serial]
        if not known:
            seen = ", ".join(sorted({d.serial for d in devices(log)})) or "none yet"
            raise RecordError(
                f"the session log {log.path} has no device with serial {serial} (it has: {seen})"
            )
    low = None if since is None else datetime.combine(since, time(), zone)
    high = None if until is None else datetime.combine(until + timedelta(days=1), time(), zone)
    rows = sessions(log, serial=serial, since=low, until=high)
    by_device: dict[int, list[SessionRow]] = {}
    for row in rows:
        by_device.setdefault(row.device_id, []).append(row)
    dated = [d for d in (day_of(r, zone) for r in rows) if d is not None]
    last = until or (max(dated) if dated else None)
    first_plot = None if last is None or plots_days <= 0 else last - timedelta(plots_days - 1)
    plotted: set[int] = set()
    if first_plot is not None and last is not None:
        for row in rows:
            when = day_of(row, zone)
            if when is not None and first_plot <= when <= last:
                plotted.add(row.id)
    body = [_header(log, made, zone, since, until, rows, first_plot, last, plotted, plots_days)]
    shown = [d for d in known if d.id in by_device]
    studied = study_device_ids(log.db)
    for device in shown:
        kept = by_device[device.id]
        section = _device(log, device, kept, plotted, zone, since, until, device.id in studied)
        body.append(section)
    quiet = [d for d in known if d.id not in by_device]
    if quiet:
        names = ", ".join(f"{d.model} serial {d.serial}" for d in quiet)
        body.append(f'<p class="note">Also in the log, with no sessions here: {escape(names)}.</p>')
    target = Path(path)
    _write(target, page.document(f"irlink report · {made:%Y-%m-%d}", body))
    return Report(
        target,
        len(shown),
        len(rows),
        len(plotted),
        first_plot if plotted else None,
        last if plotted else None,
    )


def _header(
    log: SessionLog,
    made: datetime,
    zone: tzinfo,
    since: date | None,
    until: date | None,
    rows: Sequence[SessionRow],
    first_plot: date | None,
    last: date | None,
    plotted: set[int],
    plots_days: int,
) -> str:
    span = (
        "every session in the log"
        if since is None and until is None
        else f"sessions from {since or 'the first'} to {until or 'the last'}"
    )
    offset = made.strftime("%z")
    zone_name = f"{made.tzname()} (UTC{offset[:3]}:{offset[3:]})"
    lines = [
        "<header><h1>Infrared therapy sessions</h1>",
        f'<p class="meta">Made {made:%Y-%m-%d %H:%M} by irlink from the session log '
        f"<code>{escape(str(log.path))}</code>. Covers {span}. Times and days are in "
        f"{escape(zone_name)}.</p>",
    ]
    if not rows:
        lines.append('<p class="warn"><b>No sessions</b>: the log has none in this range.</p>')
    elif plotted:
        lines.append(
            f'<p class="meta">Plots over time are drawn for the {len(plotted)} session(s) that '
            f"started in the last {plots_days} day(s) of the range, {first_plot} to {last} "
            "(each linked from its table row); the calendar and the tables cover every "
            "session. <code>irlink report --plots-days N</code> draws more or fewer.</p>"
        )
    else:
        lines.append('<p class="meta">No plots over time: none asked for (--plots-days 0).</p>')
    return "".join(lines) + "</header>"


def _device(
    log: SessionLog,
    device: DeviceRow,
    kept: list[SessionRow],
    plotted: set[int],
    zone: tzinfo,
    since: date | None,
    until: date | None,
    studied: bool,
) -> str:
    totals = days(kept, zone)
    parts = [f'<section class="device">{page.device_header(device, kept, zone)}']
    if totals:
        first = since or min(totals)
        last = until or max(totals)
        parts.append(f"<h3>Adherence, {first} to {last}</h3>{calendar_html(totals, first, last)}")
    undated = sum(1 for s in kept if day_of(s, zone) is None)
    if undated:
        parts.append(
            f'<p class="note">{undated} session(s) have no known time (recovered from the '
            "device's usage log, from a boot the host never saw): they are in the table, "
            "not in the calendar.</p>"
        )
    table = page.session_table(kept, plotted, zone, studied=studied)
    parts.append(f"<h3>Sessions</h3>{table}")
    mine = [s for s in kept if s.id in plotted]
    if mine:
        parts.append(f'<div class="plots"><h3>Plots: the last {len(mine)} session(s)</h3>')
        parts.extend(_plot(log, s, zone) for s in mine)
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _plot(log: SessionLog, kept: SessionRow, zone: tzinfo) -> str:
    if kept.source == "recovered" or kept.started_at is None:
        return page.no_plot(
            kept,
            "No plot: the host did not see this session run; it is known only from the "
            "device's usage log (what it planned and delivered, not how it went).",
            zone,
        )
    series = plots.series_of(session_samples(log, kept), kept, kept.started_at)
    if not series.minutes:
        return page.no_plot(kept, "No plot: no status samples were recorded while it ran.", zone)
    events = session(log, kept.id).events
    return page.session_figure(kept, plots.session_svg(kept, series, events, zone), zone)


def _write(target: Path, text: str) -> None:
    """Write the page whole or not at all: a reader never sees half of it."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
