"""What every device command shares: global options, exit codes, errors, output.

Commands import irlink's library inside their bodies, through :func:`run`, so that
``irlink --help`` loads typer and nothing else.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO, TypeVar

import typer

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.protocol.messages import ErrorCode
    from irlink.record.store import SessionLog

T = TypeVar("T")

# Exit codes, documented in the README and `irlink --help`.
EXIT_OK = 0
EXIT_REFUSED = 1  # the device refused (its error code is in the message)
EXIT_USAGE = 2  # a bad option, value or address
EXIT_NO_DEVICE = 3  # no device found, or the connection failed or was lost
EXIT_TIMEOUT = 4  # the device did not answer in time
EXIT_ENDED_EARLY = 5  # the session ended early: it did not complete
EXIT_FAULTS_REMAIN = 6  # clear-fault: a fault is still active afterwards
EXIT_RECORD = 7  # the session log could not be (fully) written; the device's work went on
EXIT_BUG = 70  # irlink itself failed (a bug; -v shows where)
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_PIPE = 141  # stdout was closed (`irlink ... | head -1`): 128 + SIGPIPE, as the shell says


@dataclass
class Options:
    """The global options, from the command line or their environment variables."""

    device: str = "auto"
    timeout: float = 1.0
    json: bool = False
    verbose: int = 0
    trace: str | None = None  # a file that records every frame (--trace, IRLINK_TRACE)
    db: str | None = None  # the session log (--db, IRLINK_DB); None: the user's data folder
    log: bool = True  # record into the session log (--no-log, IRLINK_NO_LOG turn it off)


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


class Failure(Exception):
    """How a command ends when it cannot do what was asked: one ``error:`` line on stderr
    (and with ``--json`` an ``error`` line on stdout) and the exit ``code``.

    ``device_code`` is the device's error code when it refused; ``option`` the option
    (or environment variable) at fault, when one is.
    """

    def __init__(
        self,
        message: str,
        code: int = EXIT_USAGE,
        *,
        device_code: ErrorCode | None = None,
        option: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.device_code = device_code
        self.option = option


def fail(message: str, code: int = EXIT_USAGE, *, option: str | None = None) -> NoReturn:
    """End the command: one line on stderr (and a JSON line with ``--json``), exit ``code``."""
    raise Failure(message, code, option=option)


def setup_logging(verbose: int) -> None:
    """Warnings by default; -v info, -vv debug; always on stderr."""
    import logging  # noqa: PLC0415  (not needed by `irlink --help`)

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="irlink: %(message)s", stream=sys.stderr)
    # A sim:// device's own audit trail (what it refused, for authentication) is the
    # device's business: -v shows it, and `irlink sim serve` prints it.
    logging.getLogger("irlink.sim.guard").setLevel(logging.ERROR if verbose == 0 else level)


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
        from irlink.cli.recording import open_recording  # noqa: PLC0415

        with contextlib.ExitStack() as stack:
            recording = open_recording(opts, stack)
            link = link_options(opts, opts.device, stack, recording.log)
            async with irlink.connect(opts.device, **link) as linked:
                result = await body(linked, opts)
            recording.check()
            return result

    return guarded(opts, connected)


TRACE_VERBOSITY = 3  # -vvv: every frame on stderr too


def link_options(
    opts: Options, address: str, stack: contextlib.ExitStack, log: SessionLog | None
) -> dict[str, Any]:
    """What a command's ``irlink.connect(address)`` takes besides the address: no
    reconnection, the trace, the session log ``log``, and the blinding of a device in a
    blinded study (:mod:`irlink.cli.blinding`)."""
    from irlink.cli.blinding import CommandBlind  # noqa: PLC0415

    return {
        "timeout": opts.timeout,
        "reconnect": None,
        "trace": trace_sink(opts, stack),
        "log": log,
        "blind": CommandBlind(opts, address, log),
    }


def trace_sink(opts: Options, stack: contextlib.ExitStack) -> Callable[[str], None] | None:
    """Where the frames go: the ``--trace`` file (appended to), and stderr with -vvv."""
    streams: list[TextIO] = []
    if opts.trace:
        try:
            streams.append(stack.enter_context(open(opts.trace, "a", encoding="utf-8")))  # noqa: SIM115
        except OSError as exc:
            fail(
                f"--trace {opts.trace!r} cannot be written: {exc.strerror or exc}", option="--trace"
            )
    if opts.verbose >= TRACE_VERBOSITY:
        streams.append(sys.stderr)
    if not streams:
        return None

    def write(line: str) -> None:
        for stream in streams:
            stream.write(line + "\n")
            stream.flush()  # as each frame passes: a trace is read while a device misbehaves

    return write


def guarded(opts: Options, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` on a new event loop: expected errors and Ctrl-C become a :class:`Failure`."""
    import asyncio  # noqa: PLC0415  (a fifth of `irlink --help`'s start-up otherwise)

    try:
        return asyncio.run(_awaited(work))
    except KeyboardInterrupt:
        raise Failure("interrupted", EXIT_INTERRUPTED) from None
    except (Failure, BrokenPipeError):
        raise
    except Exception as exc:
        if opts.verbose:
            import logging  # noqa: PLC0415

            logging.getLogger("irlink.cli").error("details", exc_info=exc)
        from irlink.cli.words import failure  # noqa: PLC0415

        raise failure(exc) from None


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def emit(opts: Options, kind: str, value: Any, human: Callable[[], None]) -> None:
    """One result: a JSON line on stdout with ``--json``, else ``human()`` prints it."""
    if opts.json:
        write_json(kind, value)
    else:
        human()


def write_json(kind: str, value: Any) -> None:
    """One ``--json`` line of ``kind`` on stdout, written at once."""
    import json  # noqa: PLC0415

    from irlink.cli.jsonlines import line  # noqa: PLC0415

    sys.stdout.write(json.dumps(line(kind, value)) + "\n")
    sys.stdout.flush()
