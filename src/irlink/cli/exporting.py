"""What ``irlink log export`` and ``irlink study export`` share: where ``--out`` points, the
writing, and saying what was written.

A format that writes several files takes a folder; ``jsonl`` takes a file, or ``-`` for
stdout, which then holds the rows alone while what was written is said on stderr.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from irlink.cli import values
from irlink.cli.common import Options, emit, fail

if TYPE_CHECKING:
    from irlink.record.export import Written

__all__ = ["check_folder", "format_option", "out_option", "say_written", "write_out"]


def out_option(folders: str) -> Any:
    """The ``--out PATH`` option: a folder for the ``folders`` formats, a file or - for jsonl."""
    return typer.Option(
        "--out",
        "-o",
        metavar="PATH",
        help=f"Where: a folder for {folders} (made if missing); a file for jsonl, or - for "
        "stdout (then stdout holds the rows, and what was written is said on stderr).",
        show_default=False,
    )


def format_option(explained: str, *choices: str) -> Any:
    """The ``--format FORMAT`` option, one of ``choices``."""
    return typer.Option(
        "--format", metavar="FORMAT", help=explained, parser=values.choice(*choices)
    )


def _rows(count: int) -> str:
    return f"{count} row" + ("" if count == 1 else "s")


def check_folder(out: str, form: str, why: str) -> None:
    """One ``error:`` line if ``--out`` cannot be the folder that ``form`` writes into."""
    if out == "-" or (Path(out).exists() and not Path(out).is_dir()):
        fail(f"--out {out!r} is not a folder: {form} {why}", option="--out")


def write_out(
    out: str,
    to_folder: Callable[[str], list[Written]] | None,
    to_stream: Callable[[TextIO], list[Written]],
) -> list[Written]:
    """Export into the folder ``out`` (``to_folder``), else as lines to the file ``out`` or
    stdout (``to_stream``); a file that cannot be written is one ``error:`` line."""
    try:
        if to_folder is not None:
            return to_folder(out)
        if out == "-":
            return to_stream(sys.stdout)
        with open(out, "w", encoding="utf-8") as stream:
            return to_stream(stream)
    except BrokenPipeError:
        raise  # the reader of stdout left (`| head`): a quiet end, as for any command
    except OSError as exc:
        fail(f"--out {out!r} cannot be written: {exc.strerror or exc}", option="--out")


def say_written(
    opts: Options, out: str, written: list[Written], kind: str, line: Callable[[Written], Any]
) -> None:
    """Say what each table written holds: a ``kind`` line (made by ``line``) or a sentence;
    on stderr alone when stdout holds the rows."""
    for each in written:
        if out == "-":
            typer.echo(f"{each.table}: {_rows(each.rows)}", err=True)
            continue
        text = f"{each.table}: {_rows(each.rows)} to {each.path or out}"
        emit(opts, kind, line(each), functools.partial(typer.echo, text))
