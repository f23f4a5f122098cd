"""The irlink command line: one module per command group."""

from __future__ import annotations

from typing import Annotated

import typer

from irlink import __version__
from irlink.cli import decode, sim

app = typer.Typer(
    name="irlink",
    help="Talk to infrared therapy devices over serial and Bluetooth LE.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("decode")(decode.decode)
app.add_typer(sim.app, name="sim")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irlink {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Talk to infrared therapy devices over serial and Bluetooth LE."""


def main() -> None:
    """Entry point of the ``irlink`` console script."""
    app()
