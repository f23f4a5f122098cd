"""The irlink command line: one module per command group.

Only typer is imported here; each command loads the library, the simulator, bleak or
rich inside its own body, so ``irlink --help`` starts fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from irlink import __version__
from irlink.cli import (
    decode,
    log,
    look,
    pair,
    pairings,
    regimen,
    report,
    session,
    sim,
    study,
    values,
)
from irlink.cli.common import Options, setup_logging
from irlink.cli.exits import Group

EPILOG = (
    "Exit codes: 0 done, 1 the device refused (its error code is in the message), "
    "2 usage error, 3 no device found or the connection failed, 4 timeout, "
    "5 the session ended early: it did not complete, 6 a fault is still active after "
    "clear-fault, 7 the session log could not be written (the device's work went on), "
    "70 a bug in irlink, 130 interrupted, "
    "141 stdout was closed (irlink ... | head)."
)

app = typer.Typer(
    name="irlink",
    help="Talk to infrared therapy devices over serial and Bluetooth LE.",
    epilog=EPILOG,
    cls=Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irlink {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    device: Annotated[
        str,
        typer.Option(
            "--device",
            "-d",
            envvar="IRLINK_DEVICE",
            metavar="ADDRESS",
            help="The device: /dev/ttyACM0, COM3, socket://host:port, ble://AA:BB:..., "
            "sim://waistband, or auto (the one device found).",
        ),
    ] = "auto",
    timeout: Annotated[
        float,
        typer.Option(
            envvar="IRLINK_TIMEOUT",
            metavar="S",
            help="Seconds to wait for each answer (0.01 to 600).",
            parser=values.number(0.01, 600, " seconds", closed=True),
        ),
    ] = 1.0,
    json: Annotated[
        bool,
        typer.Option(
            "--json",
            envvar="IRLINK_JSON",
            help="One JSON object per line on stdout (see `irlink schema`); logs on stderr.",
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, envvar="IRLINK_VERBOSE", help="More detail on stderr."
        ),
    ] = 0,
    trace: Annotated[
        str | None,
        typer.Option(
            "--trace",
            envvar="IRLINK_TRACE",
            metavar="FILE",
            help="Append every frame sent and received to FILE, with its time and meaning "
            "(`irlink decode --file FILE` reads it back); -vvv shows them on stderr.",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="IRLINK_DB",
            metavar="FILE",
            help="The session log every device command records into (default: "
            "sessions.db in your data folder; `irlink log` reads it).",
            show_default=False,
        ),
    ] = None,
    no_log: Annotated[
        bool,
        typer.Option(
            "--no-log",
            envvar="IRLINK_NO_LOG",
            help="Do not record this command in the session log.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Talk to infrared therapy devices over serial and Bluetooth LE."""
    ctx.obj = Options(
        device=device,
        timeout=timeout,
        json=json,
        verbose=verbose,
        trace=trace,
        db=db,
        log=not no_log,
    )
    setup_logging(verbose)


def _demo(
    ctx: typer.Context,
    speed: Annotated[
        float,
        typer.Option(
            metavar="N",
            help="Simulated seconds per real second (1 to 3600).",
            parser=values.number(1, 3600, closed=True),
        ),
    ] = 120.0,
) -> None:
    """Run a short session on a simulated waistband, with the live view: no hardware needed."""
    from irlink.cli.demo import demo  # noqa: PLC0415

    demo(ctx, speed)


def _command(name: str, function: Any, help_text: str | None = None) -> None:
    app.command(name, help=help_text)(function)


_command("scan", look.scan)
_command("info", look.info)
_command("status", look.status)
_command("start", session.start)
_command("stop", session.stop, "Stop the session on a port (0: every port); output ends at once.")
_command("pause", session.pause, "Pause a session: output and the device's timer stop together.")
_command("resume", session.resume, "Resume a paused session where it stopped.")
_command("clear-fault", session.clear_fault)
_command("usage", look.usage)
_command("demo", _demo)
_command("decode", decode.decode)
_command("report", report.report)
_command("schema", look.schema)
_command("pair", pair.pair)
app.add_typer(session.app, name="session")
app.add_typer(sim.app, name="sim")
app.add_typer(log.app, name="log")
app.add_typer(regimen.app, name="regimen")
app.add_typer(study.app, name="study")
app.add_typer(pairings.app, name="pairings")


def main() -> None:
    """Entry point of the ``irlink`` console script."""
    app()
