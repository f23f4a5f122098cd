"""What every device command shares: global options, exit codes, errors, output.

Commands import irlink's library inside their bodies, through :func:`run`, so that
``irlink --help`` loads typer and nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from datetime import timedelta

    from irlink.device import Device

T = TypeVar("T")

# Exit codes, documented in the README and `irlink --help`.
EXIT_OK = 0
EXIT_REFUSED = 1  # the device refused (its error code is in the message)
EXIT_USAGE = 2  # a bad option, value or address
EXIT_NO_DEVICE = 3  # no device found, or the connection failed or was lost
EXIT_TIMEOUT = 4  # the device did not answer in time
EXIT_INTERRUPTED = 130  # Ctrl-C


@dataclass
class Options:
    """The global options, from the command line or their environment variables."""

    device: str = "auto"
    timeout: float = 1.0
    json: bool = False
    verbose: int = 0


# The global -d and --json may also follow the command: `irlink status --watch -d PORT`.
DeviceHere = Annotated[
    str | None,
    typer.Option(
        "--device",
        "-d",
        metavar="ADDRESS",
        help="The device, as the global -d (which also reads IRLINK_DEVICE).",
        show_default=False,
    ),
]
JsonHere = Annotated[
    bool, typer.Option("--json", help="One JSON object per line, as the global --json.")
]


def options(ctx: typer.Context, device: str | None = None, json: bool = False) -> Options:
    """This invocation's options: the global ones, with those given after the command."""
    root = ctx.find_root()
    found = root.obj if isinstance(root.obj, Options) else Options()
    if device is None and not json:
        return found
    return replace(found, device=device or found.device, json=found.json or json)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def duration_option(option: str, text: str) -> timedelta:
    """The duration an option gave, or a usage error (exit 2) that says how to write one."""
    from irlink.durations import parse_duration  # noqa: PLC0415

    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def setup_logging(verbose: int) -> None:
    """Warnings by default; -v info, -vv debug; always on stderr."""
    import logging  # noqa: PLC0415  (not needed by `irlink --help`)

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="irlink: %(message)s", stream=sys.stderr)


def exit_code(exc: BaseException) -> int | None:
    """The documented exit code of an expected error; None for a bug (shown in full)."""
    from irlink.errors import (  # noqa: PLC0415  (the library loads only when needed)
        AddressError,
        IRLinkError,
        LimitError,
        RequestTimeout,
        TransportError,
    )
    from irlink.refusals import DeviceRefused  # noqa: PLC0415

    if isinstance(exc, DeviceRefused):
        return EXIT_REFUSED
    if isinstance(exc, AddressError | LimitError):
        return EXIT_USAGE
    if isinstance(exc, RequestTimeout):
        return EXIT_TIMEOUT
    if isinstance(exc, TransportError):
        return EXIT_NO_DEVICE
    if isinstance(exc, IRLinkError):
        return EXIT_NO_DEVICE
    if isinstance(exc, ValueError):
        return EXIT_USAGE  # a bad value the library refused before sending anything
    return None


def run(
    ctx: typer.Context,
    body: Callable[[Device, Options], Awaitable[T]],
    device: str | None = None,
    json: bool = False,
) -> T:
    """Connect to ``--device``, run ``body`` and close; errors become one line and an exit."""
    opts = options(ctx, device, json)

    async def connected() -> T:
        import irlink  # noqa: PLC0415

        async with irlink.connect(opts.device, timeout=opts.timeout, reconnect=None) as linked:
            return await body(linked, opts)

    return guarded(opts, connected)


def guarded(opts: Options, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` on a new event loop: expected errors and Ctrl-C become exit codes."""
    import asyncio  # noqa: PLC0415  (a fifth of `irlink --help`'s start-up otherwise)

    try:
        return asyncio.run(_awaited(work))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        if opts.verbose:
            import logging  # noqa: PLC0415

            logging.getLogger("irlink.cli").exception("details")
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code) from None


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def emit(opts: Options, kind: str, value: Any, human: Callable[[], None]) -> None:
    """One result: a JSON line on stdout with ``--json``, else ``human()`` prints it."""
    if opts.json:
        import json  # noqa: PLC0415

        from irlink.cli.jsonlines import line  # noqa: PLC0415

        sys.stdout.write(json.dumps(line(kind, value)) + "\n")
        sys.stdout.flush()
    else:
        human()
