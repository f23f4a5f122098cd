"""``irlink log sessions``, ``show``, ``devices``, ``security`` and ``export``: reading the log.

These commands never talk to a device. They open the log (``--db``, ``IRLINK_DB``, else
the user's data folder) for reading only, so they run while other irlink processes
record into it. Text output shows times in this computer's local time zone; ``--json``
lines and exports keep them in UTC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from irlink.cli import values
from irlink.cli.common import EXIT_USAGE, JsonHere, Options, emit, fail, options
from irlink.cli.exporting import check_folder, format_option, out_option, say_written, write_out

if TYPE_CHECKING:
    from irlink.record.store import SessionLog

app = typer.Typer(
    name="log",
    help="Read the session log: sessions, devices, one session whole, security events; export "
    "it as CSV or JSON.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# What --kind of `log security` takes: irlink.journal.SecurityKind's values, written out so
# that `irlink --help` does not import the journal (tests/cli/test_log_security.py checks).
SECURITY_KINDS = (
    "verified",
    "verify_failed",
    "not_paired",
    "key_changed",
    "pairing_removed",
    "downgrade_refused",
    "unsecured",
    "session_lost",
    "frames_dropped",
    "paired",
    "wrong_code",
    "pairing_removed_by_host",
    "info_altered",
)

# What --ended takes: how a session ended, or the device's end reason itself.
ENDINGS = ("completed", "early", "unknown")
REASONS = ("stopped", "fault", "low_battery", "link_lost", "power_loss", "pad_detached", "charger")

Serial = Annotated[
    str | None,
    typer.Option(metavar="S", help="Only the device with this serial number.", show_default=False),
]
Since = Annotated[
    datetime | None,
    typer.Option(
        metavar="DATE",
        help="From this day or time on (2026-12-01, 2026-12-01T09:30; local time unless "
        "a zone is given).",
        parser=values.moment(),
        show_default=False,
    ),
]
Until = Annotated[
    datetime | None,
    typer.Option(
        metavar="DATE",
        help="Before this time; a day counts whole (--until 2026-12-01 includes it).",
        parser=values.moment(end=True),
        show_default=False,
    ),
]


def _number(value: object) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise ValueError(f"{text!r} is not a session's number: `irlink log sessions` lists them")
    return int(text)


@contextlib.contextmanager
def opened(opts: Options) -> Iterator[SessionLog]:
    """The session log, open for reading; one ``error:`` line (exit 2) if it cannot be read."""
    import sqlite3  # noqa: PLC0415

    from irlink.record.store import RecordError, SessionLog  # noqa: PLC0415

    try:
        log = SessionLog.open(opts.db, readonly=True)
    except RecordError as exc:
        fail(str(exc), option="--db")
    try:
        yield log
    except sqlite3.Error as exc:
        fail(f"cannot read the session log {log.path}: {exc}", EXIT_USAGE, option="--db")
    finally:
        log.close()


def sessions(
    ctx: typer.Context,
    serial: Serial = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            metavar="N",
            help="Only sessions on this port.",
            parser=values.whole(1, 255),
            show_default=False,
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    ended: Annotated[
        str | None,
        typer.Option(
            metavar="HOW",
            help="Only sessions that ended so: completed, early (any other end), unknown "
            f"(no end seen yet), or a reason: {', '.join(REASONS)}.",
            parser=values.choice(*ENDINGS, *REASONS),
            show_default=False,
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """List the sessions kept, oldest first: when, device, port, planned and delivered time,
    how each ended. Times are local (UTC with --json)."""
    opts = options(ctx, json=json_here)
    from irlink.cli.logged import logged_session  # noqa: PLC0415
    from irlink.record.queries import sessions as query  # noqa: PLC0415

    _check_range(since, until)
    with opened(opts) as log:
        rows = query(log, serial=serial, port=port, since=since, until=until, ended=ended)
        if opts.json:
            for row in rows:
                emit(opts, "logged_session", logged_session(row), lambda: None)
            return
        from irlink.cli.logview import print_sessions  # noqa: PLC0415
        from irlink.record.queries import devices  # noqa: PLC0415

        undated = 0
        if since is not None or until is not None:  # sessions with no known time: not in it
            undated = sum(
                row.started_at is None and row.ended_at is None
                for row in query(log, serial=serial, port=port, ended=ended)
            )
        serials = sorted({d.serial for d in devices(log)})
        unknown = serial is not None and serial not in serials
        filtered = any(value is not None for value in (serial, port, since, until, ended))
        print_sessions(
            log,
            rows,
            filtered=filtered,
            undated=undated,
            serials=serials if unknown else None,
        )


def _check_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until <= since:
        fail(
            f"the range is empty: --until (up to {until:%Y-%m-%d %H:%M}; a day given to it "
            f"counts whole) is not after --since ({since:%Y-%m-%d %H:%M}); swap them",
            option="--until",
        )


def show(
    ctx: typer.Context,
    number: Annotated[
        int,
        typer.Argument(
            metavar="SESSION",
            help="The session's number in the log (the # of `irlink log sessions`).",
            parser=_number,
        ),
    ],
    json_here: JsonHere = False,
) -> None:
    """Show one session whole: its settings, its commands (who asked, how each ended) and
    events in order, and its status samples summed up."""
    opts = options(ctx, json=json_here)
    from irlink.cli.logged import logged_session, samples_of, timeline  # noqa: PLC0415
    from irlink.record.queries import session  # noqa: PLC0415
    from irlink.record.store import RecordError  # noqa: PLC0415

    with opened(opts) as log:
        try:
            detail = session(log, number)
        except RecordError as exc:
            fail(str(exc))
        if not opts.json:
            from irlink.cli.logview import print_detail  # noqa: PLC0415

            print_detail(detail)
            return
        emit(opts, "logged_session", logged_session(detail.session), lambda: None)
        for item in timeline(detail):
            kind = "logged_event" if hasattr(item, "kind") else "logged_command"
            emit(opts, kind, item, lambda: None)
        emit(opts, "logged_samples", samples_of(detail), lambda: None)


def devices(ctx: typer.Context, json_here: JsonHere = False) -> None:
    """List the devices the log has seen: identity, limits, connections and sessions."""
    opts = options(ctx, json=json_here)
    from irlink.record.queries import devices as query  # noqa: PLC0415

    with opened(opts) as log:
        rows = query(log)
        if opts.json:
            for row in rows:
                emit(opts, "logged_device", row, lambda: None)
            return
        from irlink.cli.logview import print_devices  # noqa: PLC0415

        print_devices(log, rows)


def security(
    ctx: typer.Context,
    serial: Serial = None,
    kind: Annotated[
        str | None,
        typer.Option(
            metavar="KIND",
            help=f"Only events of this kind: {', '.join(SECURITY_KINDS)}.",
            parser=values.choice(*SECURITY_KINDS),
            show_default=False,
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    json_here: JsonHere = False,
) -> None:
    """List the security events kept, oldest first: verifies, refusals, devices run without
    security, frames dropped (counted, never a row a frame), pairings made and removed.
    Never a key or a setup code. Times are local (UTC with --json)."""
    opts = options(ctx, json=json_here)
    from irlink.record.security import security_events  # noqa: PLC0415

    _check_range(since, until)
    with opened(opts) as log:
        rows = security_events(log, serial=serial, since=since, until=until, kind=kind)
        if opts.json:
            for row in rows:
                emit(opts, "logged_security_event", row, lambda: None)
            return
        from irlink.cli.log_security import print_security  # noqa: PLC0415

        filtered = any(value is not None for value in (serial, kind, since, until))
        print_security(log, rows, filtered=filtered)


def export(
    ctx: typer.Context,
    out: Annotated[str, out_option("csv")],
    form: Annotated[
        str,
        format_option(
            "csv: one file per table in the folder --out; jsonl: one JSON object per row, "
            "with its table, in the file --out.",
            "csv",
            "jsonl",
        ),
    ] = "csv",
    serial: Serial = None,
    since: Since = None,
    until: Until = None,
    json_here: JsonHere = False,
) -> None:
    """Export the log as tidy tables for R, pandas or a spreadsheet: devices, connections,
    sessions, samples (one row per port per status), events and commands."""
    opts = options(ctx, json=json_here)
    from irlink.cli.logged import Exported  # noqa: PLC0415
    from irlink.record.export import export_csv, export_jsonl  # noqa: PLC0415

    if form == "csv":
        check_folder(out, form, "writes one file per table")
    _check_range(since, until)
    scope: dict[str, Any] = {"serial": serial, "since": since, "until": until}
    with opened(opts) as log:
        written = write_out(
            out,
            (lambda folder: export_csv(log, folder, **scope)) if form == "csv" else None,
            lambda stream: export_jsonl(log, stream, **scope),
        )
    say_written(
        opts,
        out,
        written,
        "exported",
        lambda each: Exported(form, each.table, str(each.path or out), each.rows),
    )


app.command("sessions")(sessions)
app.command("show")(show)
app.command("devices")(devices)
app.command("security")(security)
app.command("export")(export)
