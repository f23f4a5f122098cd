"""``irlink decode``: what IRLink frames captured from a link mean.

Frames come as hex (arguments, or ``-`` for stdin) or as a trace that ``--trace`` or
``-vvv`` wrote (``--file FILE``, or a trace on stdin): each trace line's frame is
decoded, with its time and direction; other lines (logs around a trace) are skipped.
The codec (and pydantic under it) loads inside the command, so registering it costs
``irlink --help`` nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from irlink.cli.common import EXIT_USAGE, fail

EXIT_MALFORMED = 1
EXAMPLE = "02 01 02 01 04 02 2f ac 00"


def decode(
    frames: Annotated[
        list[str] | None,
        typer.Argument(
            help="Frame bytes as hex (spaces allowed; frames split at 00), or - for stdin.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            help="Read frames from FILE (- for stdin): a trace from --trace or -vvv, or hex.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print each frame as one JSON object per line: kind, seq, message and fields.

    From a trace, each line also has the frame's time (``at``) and ``direction``
    (``send``: host to device, ``recv``: device to host). Exits 1 if any frame is
    malformed (it is printed with the error), 2 on input that is neither hex nor a trace.
    """
    text = _input(frames, file)
    from irlink.trace import describe_frame, is_trace, read_trace  # noqa: PLC0415

    if is_trace(text):
        try:
            items = [
                ({"at": f.at, "direction": f.direction}, packet)
                for f in read_trace(text)
                for packet in _packets(f.data)
            ]
        except ValueError as exc:
            fail(str(exc))
        if not items:
            fail("the trace holds no frames")
    else:
        items = [({}, packet) for packet in _packets(_hex(text))]
        if not items:
            fail("only delimiters (00) were given; pass whole frames")
    ok = True
    for where, packet in items:
        result: dict[str, Any] = where | describe_frame(packet)
        ok &= "error" not in result
        typer.echo(json.dumps(result))
    if not ok:
        raise typer.Exit(EXIT_MALFORMED)


def _input(frames: list[str] | None, file: str | None) -> str:
    if file is not None and frames:
        fail("give frames as arguments or --file, not both", option="--file")
    if file == "-" or frames == ["-"]:
        return sys.stdin.read()
    if file is not None:
        try:
            with open(file, encoding="utf-8", errors="replace") as stream:
                return stream.read()
        except OSError as exc:
            fail(f"--file {file!r} cannot be read: {exc.strerror or exc}", option="--file")
    if not frames:
        fail(f"no frames given; pass bytes as hex like '{EXAMPLE}', or --file FILE")
    return " ".join(frames)


def _hex(text: str) -> bytes:
    cleaned = "".join(text.split()).removeprefix("0x")
    try:
        data = bytes.fromhex(cleaned)
    except ValueError:
        fail(f"{text.strip()[:40]!r} is not hex; give bytes like '{EXAMPLE}'", EXIT_USAGE)
    if not data:
        fail("no bytes given; pass frame bytes as hex")
    return data


def _packets(data: bytes) -> list[bytes]:
    """The frames in ``data``, without their delimiters; a last one may lack its own."""
    if not data.endswith(b"\x00"):
        data += b"\x00"  # a single frame pasted without its delimiter
    return [p for p in data.split(b"\x00")[:-1] if p]
