"""The irlink command line: `decode` and `--version`, in process and as the installed script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from typer.testing import CliRunner

from irlink import __version__
from irlink.cli import app
from irlink.protocol import Frame, encode_error, encode_frame, encode_message
from irlink.protocol.messages import ErrorCode, ErrorReply, PadAttachedEvent

runner = CliRunner()
GET_STATUS = "02 01 02 01 04 02 2f ac 00"


def test_decode_prints_one_json_object_per_frame() -> None:
    event = encode_message(PadAttachedEvent(port=2, pad_type=1), 5).hex()
    result = runner.invoke(app, ["decode", GET_STATUS, event])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"kind": "request", "seq": 1, "msg_id": 2, "message": "get_status", "fields": {}},
        {
            "kind": "event",
            "seq": 5,
            "msg_id": 0x85,
            "message": "pad_attached",
            "fields": {"port": 2, "pad_type": 1},
        },
    ]


def test_decode_accepts_a_frame_without_its_delimiter_and_reads_stdin() -> None:
    result = runner.invoke(app, ["decode", "-"], input=GET_STATUS[:-3] + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["message"] == "get_status"


def test_decode_reports_a_corrupt_frame_and_exits_1() -> None:
    result = runner.invoke(app, ["decode", GET_STATUS[:-5] + "ad 00"])
    assert result.exit_code == 1
    line = json.loads(result.stdout)
    assert line["error"] == "CrcMismatch"
    assert "received" in line["detail"]


def test_decode_reports_a_frame_the_spec_does_not_allow() -> None:
    kind_9 = encode_frame(Frame(9, 3, 0x02, b"")).hex()
    result = runner.invoke(app, ["decode", kind_9])
    assert result.exit_code == 1
    line = json.loads(result.stdout)
    assert (line["kind"], line["error"]) == (9, "BadFrameKind")


def test_decode_refuses_input_that_is_not_hex_with_the_fix() -> None:
    result = runner.invoke(app, ["decode", "zz"])
    assert result.exit_code == 2
    assert "is not hex; give bytes like '02 01" in result.stderr
    assert "Traceback" not in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"irlink {__version__}"


def test_installed_script_runs_as_a_subprocess() -> None:
    script = shutil.which("irlink") or str(
        __import__("pathlib").Path(sys.executable).with_name("irlink")
    )
    done = subprocess.run(
        [script, "decode", GET_STATUS], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["message"] == "get_status"


def test_decode_names_the_request_an_error_frame_refuses() -> None:
    refusal = encode_error(9, 0x10, ErrorReply(code=ErrorCode.OUT_OF_RANGE, field=1, limit=4))
    result = runner.invoke(app, ["decode", refusal.hex()])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert (line["message"], line["refuses"]) == ("error_reply", "configure")
    assert line["fields"] == {"code": "out_of_range", "field": 1, "limit": 4}


def test_decode_of_delimiters_alone_is_a_usage_error() -> None:
    result = runner.invoke(app, ["decode", "00 00"])
    assert result.exit_code == 2
    assert "only delimiters" in result.stderr
