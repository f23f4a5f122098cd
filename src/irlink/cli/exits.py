"""How ``irlink`` ends: one ``error:`` line and a documented exit code, never a traceback.

:class:`Group` is the root command. Every way out passes through its :meth:`Group.main`:
a :class:`~irlink.cli.common.Failure` raised by a command, a value click or typer
refused while reading the command line, a usage error (click's usage text is kept), a
closed stdout. With ``--json`` an error is also an ``error`` line on stdout, so a
pipeline sees it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from irlink.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_USAGE,
    Failure,
    write_json,
)

__all__ = ["Group", "json_wanted", "silence_stdout"]

# Commands that write their own formats and ignore --json.
_OWN_FORMAT = frozenset({"sim", "schema", "decode"})
# Global options that take a value: the word after them is not the command.
_TAKES_VALUE = frozenset({"-d", "--device", "--timeout", "--trace", "--db"})
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})


def json_wanted(args: Sequence[str]) -> bool:
    """Whether this command line asks for JSON lines (``--json`` or ``IRLINK_JSON``).

    Read from the words themselves, because a command line click could not read has
    no parsed options to ask.
    """
    command, wanted, skip = None, False, False
    for arg in args:
        if arg == "--":
            break
        if skip:
            skip = False
        elif arg == "--json":
            wanted = True
        elif command is None and arg in _TAKES_VALUE:
            skip = True
        elif command is None and not arg.startswith("-"):
            command = arg
    wanted = wanted or os.environ.get("IRLINK_JSON", "").strip().lower() in _TRUE
    return wanted and command not in _OWN_FORMAT


def silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone, so that nothing more fails."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing to silence
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def one_line(message: str) -> str:
    """A message of several lines (a list of devices found, a YAML error) as one line."""
    parts = [part.strip() for part in message.splitlines() if part.strip()]
    joined = ""
    for part in parts:
        joined += part if not joined else (" " if joined.endswith(":") else "; ") + part
    return joined


def report(failure: Failure, json: bool) -> int:
    """Say how the command failed (stderr; a JSON line too with ``json``); its exit code."""
    message = one_line(failure.message)
    typer.echo(message if failure.code == EXIT_INTERRUPTED else f"error: {message}", err=True)
    if json:
        from irlink.cli.results import Error  # noqa: PLC0415

        try:
            write_json("error", Error(failure.code, message, failure.device_code, failure.option))
        except BrokenPipeError:
            silence_stdout()
            return EXIT_PIPE
    return failure.code


def source_of(param: Any, ctx: Any) -> str:
    """Where a value came from, as a person typed it: ``--timeout`` or ``IRLINK_TIMEOUT``."""
    if param is None:
        return "a value"
    if getattr(param, "param_type_name", "") == "argument":  # as --help names it: SESSION
        return str(getattr(param, "metavar", None) or str(param.name).upper())
    name, envvar = getattr(param, "name", None), getattr(param, "envvar", None)
    if ctx is not None and name and envvar:
        source = ctx.get_parameter_source(name)
        if getattr(source, "name", "") == "ENVIRONMENT":
            return str(envvar if isinstance(envvar, str) else envvar[0])
    opts = [o for o in getattr(param, "opts", ()) if o.startswith("--")] or param.opts
    return str(opts[0]) if opts else str(name)


_PYDANTIC_PREFIX = "Value error, "  # how typer passes on a parser's ValueError


# A type check typer leaves to pydantic, in the words of a person at a terminal.
_PLAIN = {
    "Input should be a valid integer": "is not a whole number",
    "Input should be a valid boolean": (
        "is not yes or no: give 1, true, yes or on, or 0, false, no or off"
    ),
}


def _plain(message: str, where: str) -> str:
    for generic, said in _PLAIN.items():
        if message.startswith(generic):
            value = os.environ.get(where) if not where.startswith("-") else None
            return f"{value!r} {said}" if value is not None else said
    return message


def _from_typer(error: typer.TyperException) -> Failure:
    """A value or usage error found while reading the command line, as irlink's own."""
    kind = type(error).__name__
    ctx = getattr(error, "ctx", None)
    if isinstance(error, typer.BadParameter) and kind != "MissingParameter":
        where = source_of(error.param, ctx)
        message = _plain(error.message.removeprefix(_PYDANTIC_PREFIX).rstrip("."), where)
        # The value quoted: `--timeout 'abc' is ...`, `IRLINK_TIMEOUT='abc' is ...`.
        argument = getattr(error.param, "param_type_name", "") == "argument"
        quoted = " " if where.startswith("-") or argument else "="
        joint = quoted if message.startswith("'") else ": "
        return Failure(f"{where}{joint}{message}", EXIT_USAGE, option=where)
    if kind == "NoArgsIsHelpError":  # a bare `irlink` or `irlink session`: help is the answer
        typer.echo(error.format_message(), err=True)
        return Failure("nothing to do: the help above says what to give", EXIT_USAGE)
    if ctx is not None:  # click's usage text, kept
        typer.echo(ctx.get_usage(), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            typer.echo(f"Try '{ctx.command_path} --help' for help.\n", err=True)
    return Failure(error.format_message().rstrip("."), EXIT_USAGE)


class Group(TyperGroup):
    """The ``irlink`` command: every error ends as one line and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit (or return, without ``standalone_mode``) its code."""
        words = list(sys.argv[1:] if args is None else args)
        try:
            result = super().main(words, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except Failure as failure:
            code = report(failure, json_wanted(words))
        except typer.TyperException as error:
            code = report(_from_typer(error), json_wanted(words))
        except typer.Abort:
            code = report(Failure("interrupted", EXIT_INTERRUPTED), json_wanted(words))
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a reader that closed stdout ends it quietly (exit 141)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(EXIT_PIPE) from None
