"""See the wire: every frame traced as it passes, and ``irlink decode`` reading it back.

The tracer itself (frames cut at their delimiter, a partial frame held until the rest
comes), the library's ``irlink.connect(trace=...)``, and the command line's
``--trace FILE``, ``IRLINK_TRACE`` and ``-vvv`` through the installed ``irlink``.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

import irlink
from irlink.protocol import encode_message
from irlink.protocol.messages import GetStatusRequest, PadAttachedEvent
from irlink.trace import FrameTracer, is_trace, read_trace
from tests.cli.proc import irlink as installed
from tests.cli.proc import simulator

GET_STATUS = bytes.fromhex("02 01 02 01 04 02 2f ac 00")
TIME = "2026-06-01T10:00:00.000001Z"


def tracer() -> tuple[FrameTracer, list[str]]:
    """A tracer on a fixed clock, and the lines it wrote."""
    written: list[str] = []
    return FrameTracer(written.append, clock=lambda: TIME), written


def test_a_frame_is_written_when_its_delimiter_passes_not_before() -> None:
    trace, written = tracer()
    trace.sent(GET_STATUS[:3])
    trace.sent(GET_STATUS[3:-1])
    assert written == []  # a partial frame waits for the rest
    trace.sent(GET_STATUS[-1:])
    assert written == [f"{TIME} send {GET_STATUS.hex(' ')}  # request seq 1: get_status {{}}"]


def test_each_frame_of_a_chunk_is_a_line_of_its_own_with_its_meaning() -> None:
    trace, written = tracer()
    event = encode_message(PadAttachedEvent(port=2, pad_type=1), 5)
    trace.received(event + event[:4])
    assert written == [
        f'{TIME} recv {event.hex(" ")}  # event seq 5: pad_attached {{"port": 2, "pad_type": 1}}'
    ]
    trace.received(event[4:])
    assert len(written) == 2
    trace.received(b"\x05\x01\x02\x00")  # not a frame: said so, in one line
    assert "malformed" in written[-1]


def test_what_never_got_its_delimiter_is_written_when_the_link_closes() -> None:
    trace, written = tracer()
    trace.received(GET_STATUS[:4])
    trace.closed("/dev/pts/9")
    assert (
        written[0]
        == f"{TIME} recv 02 01 02 01  # incomplete: no 00 delimiter before the link closed"
    )
    assert written[1] == f"# {TIME} link to /dev/pts/9 closed"


def test_a_text_stream_gets_a_line_per_frame() -> None:
    stream = io.StringIO()
    FrameTracer(stream).sent(GET_STATUS + GET_STATUS)
    assert stream.getvalue().count("\n") == 2


def test_the_library_traces_every_frame_of_a_connection_in_order() -> None:
    async def traced() -> list[str]:
        written: list[str] = []
        async with irlink.connect("sim://waistband", trace=written.append) as device:
            await device.status()
        return written

    written = asyncio.run(traced())
    assert written[0].startswith("# ")
    assert written[0].endswith("opened")
    assert written[-1].endswith("closed")
    frames = list(read_trace("\n".join(written)))
    assert [f.direction for f in frames[:4]] == ["send", "recv", "send", "recv"]
    assert "get_info" in written[1]
    assert " send " in written[1]
    # In the verified session the status crosses sealed; a note says what each carries.
    status = encode_message(GetStatusRequest(), 2)
    assert not any(f.data == status for f in frames)
    assert any("sealed counter" in line and "# request seq" in line for line in written)
    notes = [line for line in written if line.startswith("# ") and "carries" in line]
    assert any("get_status" in line and " send " in line for line in notes)
    assert any("response seq" in line and " recv " in line for line in notes)


def test_read_trace_skips_other_lines_and_names_a_broken_one() -> None:
    text = f"irlink: opened /dev/pts/5\n# note\n{TIME} send {GET_STATUS.hex(' ')}  # meaning\n"
    assert is_trace(text)
    assert [f.data for f in read_trace(text)] == [GET_STATUS]
    assert not is_trace(GET_STATUS.hex(" "))
    with pytest.raises(ValueError, match="line 1 starts like a trace line"):
        list(read_trace(f"{TIME} send zz"))


def test_trace_file_records_every_frame_and_decode_reads_it_back(tmp_path: Path) -> None:
    log = tmp_path / "trace.log"
    with simulator() as path:
        result = installed("-d", path, "--trace", str(log), "status")
        assert result.returncode == 0, result.stderr
        again = installed("-d", path, "status", env={"IRLINK_TRACE": str(log)})
        assert again.returncode == 0, again.stderr
    text = log.read_text()
    assert text.count("link to") == 4  # two connections, appended: opened and closed each
    frames = list(read_trace(text))
    assert len(frames) >= 8
    decoded = installed("decode", "--file", str(log))
    assert decoded.returncode == 0, decoded.stderr
    lines = [json.loads(line) for line in decoded.stdout.splitlines()]
    assert len(lines) == len(frames)
    assert (lines[0]["direction"], lines[0]["message"], lines[0]["kind"]) == (
        "send",
        "get_info",
        "request",
    )
    assert lines[1]["direction"] == "recv"
    assert lines[0]["at"] == frames[0].at
    from_stdin = installed("decode", "-", stdin=text)
    assert from_stdin.stdout == decoded.stdout


def test_vvv_shows_every_frame_on_stderr_in_a_form_decode_reads() -> None:
    result = installed("-vvv", "-d", "sim://waistband", "status")
    assert result.returncode == 0, result.stderr
    frames = list(read_trace(result.stderr))  # log lines around them are skipped
    assert [f.direction for f in frames[:2]] == ["send", "recv"]
    decoded = installed("decode", "--file", "-", stdin=result.stderr)
    assert decoded.returncode == 0, decoded.stderr
    assert len(decoded.stdout.splitlines()) == len(frames)


def test_decode_of_a_trace_with_a_broken_line_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "bad.log"
    log.write_text(f"{TIME} send 02 01 zz\n")
    result = installed("decode", "--file", str(log))
    assert result.returncode == 2
    assert result.stderr.startswith("error: line 1 starts like a trace line")


def test_the_trace_modules_examples_run() -> None:
    import doctest

    import irlink.trace

    result = doctest.testmod(irlink.trace, raise_on_error=True)
    assert result.attempted >= 3


def test_the_demo_is_traced_too(tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    result = installed("--trace", str(log), "demo", "--speed", "600")
    assert result.returncode == 0, result.stderr
    assert any("start" in line and " send " in line for line in log.read_text().splitlines())
