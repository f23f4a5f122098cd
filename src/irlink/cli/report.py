"""``irlink report``: the session log as one HTML page to open offline or print.

It reads the log (``--db``, ``IRLINK_DB``, else the user's data folder) without
writing to it, and needs matplotlib for its plots (the ``report`` extra): without it
the command says how to install it, in one line.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli import values
from irlink.cli.common import EXIT_USAGE, JsonHere, emit, fail, options

if TYPE_CHECKING:
    from irlink.cli.results import Reported

__all__ = ["DEFAULT_OUT", "report"]

DEFAULT_OUT = "irlink-report.html"
PLOTS_DAYS_MAX = 3660


def report(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help=f"The HTML file to write (replaced if there); default {DEFAULT_OUT} here.",
            show_default=False,
        ),
    ] = Path(DEFAULT_OUT),
    serial: Annotated[
        str | None,
        typer.Option(
            metavar="SERIAL", help="Only the device with this serial.", show_default=False
        ),
    ] = None,
    since: Annotated[
        date | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Only sessions that started on this day or later (local time).",
            parser=values.day,
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        date | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Only sessions that started on this day or earlier (local time).",
            parser=values.day,
            show_default=False,
        ),
    ] = None,
    plots_days: Annotated[
        int,
        typer.Option(
            "--plots-days",
            metavar="N",
            help="Plot over time the sessions of the last N days of the range (0: none); "
            "every session is in the calendar and the table either way.",
            parser=values.whole(0, PLOTS_DAYS_MAX),
        ),
    ] = 14,
    json_here: JsonHere = False,
) -> None:
    """Write an HTML report of the session log: adherence calendar, sessions, plots."""
    opts = options(ctx, json=json_here)
    if since is not None and until is not None and until < since:
        fail(f"--until {until} is before --since {since}", option="--until")
    from irlink.record.report import ReportUnavailable, write_report  # noqa: PLC0415
    from irlink.record.report.plots import require  # noqa: PLC0415
    from irlink.record.store import RecordError, SessionLog  # noqa: PLC0415

    try:
        require()
    except ReportUnavailable as exc:
        fail(str(exc))
    try:
        log = SessionLog.open(opts.db, readonly=True)
    except RecordError as exc:
        fail(str(exc), option="--db")
    try:
        with log:
            made = write_report(
                log, out, serial=serial, since=since, until=until, plots_days=plots_days
            )
    except RecordError as exc:
        fail(str(exc), EXIT_USAGE, option="--serial" if serial else "--db")
    except OSError as exc:
        fail(f"--out {str(out)!r} cannot be written: {exc.strerror or exc}", option="--out")
    from irlink.cli.results import Reported  # noqa: PLC0415

    result = Reported(
        str(made.path.resolve()),
        made.devices,
        made.sessions,
        made.plotted,
        None if made.plots_from is None else made.plots_from.isoformat(),
        None if made.plots_until is None else made.plots_until.isoformat(),
    )
    emit(opts, "report", result, lambda: typer.echo(_said(result)))


def _said(result: Reported) -> str:
    if not result.sessions:
        return f"wrote {result.path}: the session log has no sessions to report here"
    plots = (
        f"plots of the {result.plotted} session(s) from {result.plots_from} to {result.plots_until}"
        if result.plotted
        else "no plots"
    )
    return (
        f"wrote {result.path}: {result.sessions} session(s) of {result.devices} device(s); "
        f"{plots}. Open it in a browser, or print it."
    )
