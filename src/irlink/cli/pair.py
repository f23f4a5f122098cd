"""``irlink pair``: pair this host with a device, once, with the setup code on its label.

A device with security (IRLink 1.2) answers only ``get_info`` until a host it is paired
with has verified itself; ``irlink pair`` makes that pairing (SRP-6a with the setup code,
then an exchange of long-term keys) and keeps it in this host's key store, and every
command after it verifies the device with it, on every connection. The code is asked
for without echo when ``--code`` is not given (or read from stdin when it is not a
terminal: ``irlink pair -d X < code.txt``).
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli.common import (
    EXIT_USAGE,
    DeviceHere,
    Failure,
    JsonHere,
    Options,
    emit,
    fail,
    guarded,
    options,
)

if TYPE_CHECKING:
    from irlink.security.codes import SetupCode
    from irlink.security.keystore import Pairing

__all__ = ["pair"]

SHORT_ID = 8  # hex digits of a device id in the text output
_PROMPT = "Setup code (on the device's label, like 123-45-678): "


def pair(
    ctx: typer.Context,
    device: DeviceHere = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            metavar="XXX-XX-XXX",
            help="The device's setup code, from its label (a simulator prints it); asked "
            "for without echo if not given.",
            show_default=False,
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """Pair this host with a device, once, with the setup code on its label; irlink then
    verifies it on every connection. A device paired with another host already accepts
    pairing only while its pairing button is held."""
    opts = options(ctx, device, json_here)
    setup = _setup_code(code)
    from irlink.cli.recording import open_recording  # noqa: PLC0415

    with contextlib.ExitStack() as stack:
        # The pairing made, or a wrong code, among the log's security events (never the code).
        recording = open_recording(opts, stack)

        async def work() -> Pairing:
            from irlink.connector import pair as pair_with  # noqa: PLC0415

            return await pair_with(
                opts.device, setup, timeout=opts.timeout, log=recording.log, notice=_tell
            )

        made = guarded(opts, work)
        _said(opts, made)
        recording.check()


def _said(opts: Options, made: Pairing) -> None:
    """Say what was paired: a line of --json, or a sentence."""
    from irlink.cli.paired import Paired, pairing_line  # noqa: PLC0415

    def human() -> None:
        role = (
            "as an admin (it may list and remove the device's pairings)"
            if made.admin
            else ("not as an admin")
        )
        from irlink.security.keystore import default_path  # noqa: PLC0415

        typer.echo(
            f"paired with {made.model} serial {made.serial} (device id "
            f"{made.device_id.hex()[:SHORT_ID]}), {role}. irlink verifies it on every "
            f"connection from now on; the pairing is kept in {default_path()} "
            "(`irlink pairings list`)."
        )

    emit(opts, "paired", pairing_line(made, Paired), human)


def _tell(line: str) -> None:
    """Say on stderr what pairing waits for (a slow device), with --json too."""
    typer.echo(f"irlink: {line}", err=True)


def _setup_code(given: str | None) -> SetupCode:
    """The code from ``--code``, else asked for (no echo), else a line of stdin."""
    from irlink.security.codes import parse_setup_code  # noqa: PLC0415
    from irlink.security.errors import InvalidSetupCode  # noqa: PLC0415

    option = "--code"
    if given is None:
        option = "the setup code"
        given = _ask()
    try:
        return parse_setup_code(given)
    except InvalidSetupCode as exc:
        raise Failure(str(exc), EXIT_USAGE, option=option) from None


def _ask() -> str:
    if sys.stdin is None or not sys.stdin.isatty():
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line.strip():
            fail(
                "no setup code: give --code XXX-XX-XXX (the code on the device's label), or "
                "run irlink pair at a terminal to be asked for it",
                option="--code",
            )
        return line
    import getpass  # noqa: PLC0415

    try:
        return getpass.getpass(_PROMPT)
    except EOFError:
        fail("no setup code was typed: give --code XXX-XX-XXX", option="--code")
