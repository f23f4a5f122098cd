"""``irlink decode``: what IRLink frames captured from a link mean.

The codec (and pydantic under it) loads inside :func:`_describe`, so registering this
command costs ``irlink --help`` nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

EXIT_MALFORMED = 1
EXIT_USAGE = 2


def decode(
    frames: Annotated[
        list[str],
        typer.Argument(
            help="Frame bytes as hex (spaces allowed; frames split at 00), or - for stdin.",
            show_default=False,
        ),
    ],
) -> None:
    """Print each frame as one JSON object per line: kind, seq, message and fields.

    Exits 1 if any frame is malformed (it is printed with the error), 2 on input that is
    not hex.
    """
    text = sys.stdin.read() if frames == ["-"] else " ".join(frames)
    cleaned = "".join(text.split()).removeprefix("0x")
    try:
        data = bytes.fromhex(cleaned)
    except ValueError:
        example = "02 01 02 01 04 02 2f ac 00"
        typer.echo(
            f"error: {text.strip()[:40]!r} is not hex; give bytes like '{example}'", err=True
        )
        raise typer.Exit(EXIT_USAGE) from None
    if not data:
        typer.echo("error: no bytes given; pass frame bytes as hex", err=True)
        raise typer.Exit(EXIT_USAGE)
    if not data.endswith(b"\x00"):
        data += b"\x00"  # a single frame pasted without its delimiter
    packets = [p for p in data.split(b"\x00")[:-1] if p]
    if not packets:
        typer.echo("error: only delimiters (00) were given; pass whole frames", err=True)
        raise typer.Exit(EXIT_USAGE)
    ok = True
    for packet in packets:
        result = _describe(packet)
        ok &= "error" not in result
        typer.echo(json.dumps(result))
    if not ok:
        raise typer.Exit(EXIT_MALFORMED)


def _describe(packet: bytes) -> dict[str, Any]:

    from irlink.protocol import MessageError, decode_frame, decode_message  # noqa: PLC0415
    from irlink.protocol.errors import FrameError  # noqa: PLC0415
    from irlink.protocol.messages import REQUESTS, ErrorReply, FrameKind  # noqa: PLC0415
    from irlink.protocol.plain import to_plain  # noqa: PLC0415

    try:
        frame = decode_frame(packet)
    except FrameError as exc:
        return {"hex": (packet + b"\x00").hex(" "), "error": type(exc).__name__, "detail": str(exc)}
    known = FrameKind._value2member_map_.get(frame.kind)
    kind = known.name.lower() if isinstance(known, FrameKind) else frame.kind
    out: dict[str, Any] = {"kind": kind, "seq": frame.seq, "msg_id": frame.msg_id}
    try:
        message = decode_message(frame)
    except MessageError as exc:
        return out | {"error": type(exc).__name__, "detail": str(exc)}
    if isinstance(message, ErrorReply):
        refused = REQUESTS.get(frame.msg_id)
        out |= {"message": "error_reply", "refuses": refused.NAME if refused else frame.msg_id}
        return out | {"fields": to_plain(message)}
    return out | {"message": type(message).NAME, "fields": to_plain(message)}
