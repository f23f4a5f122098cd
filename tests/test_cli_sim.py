"""``irlink sim serve``: a real subprocess served to pyserial, and its usage errors."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import serial
from typer.testing import CliRunner

from irlink.cli import app
from irlink.protocol.messages import GetInfoRequest
from tests.sim.serve.serialhost import SerialHost

runner = CliRunner()
SCRIPT = str(Path(sys.executable).with_name("irlink"))
START_S = 30  # a cold interpreter importing pydantic on a busy CI machine


@contextmanager
def serving(devices: int, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], list[list[str]]]]:
    """Start ``irlink sim serve ARGS``; yield it and its device lines once it prints them."""
    proc = subprocess.Popen(
        [SCRIPT, "sim", "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        out = b""
        while out.count(b"\n") < devices:
            # Raw reads on the pipe: a buffered readline could hide a line from select.
            ready, _, _ = select.select([proc.stdout], [], [], START_S)
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            assert chunk, f"irlink sim serve printed no address: {out!r}"
            out += chunk
        yield proc, [line.split() for line in out.decode().splitlines()]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=START_S)


def test_serve_pty_subprocess_answers_pyserial_and_stops_cleanly_on_sigint() -> None:
    with serving(1, "waistband", "--pty", "--serial", "0100") as (proc, lines):
        [[family, serial_no, path]] = lines
        assert (family, serial_no) == ("waistband", "0100")
        assert path.startswith("/dev/")
        with serial.Serial(path, timeout=5) as port:
            assert SerialHost(port).ok(GetInfoRequest()).serial == "0100"
        proc.send_signal(signal.SIGINT)
        _, raw_err = proc.communicate(timeout=10)
        err = raw_err.decode()
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert err.strip().splitlines()[-1] == "irlink sim: stopped; 1 device(s) closed"


def test_serve_tcp_subprocess_with_a_scenario_stops_cleanly_on_sigterm() -> None:
    args = ("waistband", "multiport", "--tcp", "0", "--speed", "60", "--scenario", "overtemp")
    with serving(2, *args) as (proc, lines):
        assert [line[:2] for line in lines] == [["waistband", "0001"], ["multiport", "0002"]]
        for _, serial_no, url in lines:
            assert url.startswith("socket://127.0.0.1:")
            with serial.serial_for_url(url, timeout=5) as port:
                assert SerialHost(port).ok(GetInfoRequest()).serial == serial_no
        proc.send_signal(signal.SIGTERM)
        _, raw_err = proc.communicate(timeout=10)
        err = raw_err.decode()
        assert proc.returncode == 0, err
        assert "scenario overtemp started on 2 device(s)" in err
        assert "stopped; 2 device(s) closed" in err


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["toaster"], "unknown device family 'toaster'; choose from waistband, multiport, firmat"),
        (["waistband", "--pty", "--tcp", "7000"], "give one of them, not both"),
        (["waistband", "--tcp", "http"], "--tcp 'http' is not a port"),
        (["waistband", "firmat", "--tcp", "65535"], "fits 2 device(s)"),
        (["waistband", "--speed", "0"], "--speed '0' is not a number above 0 and at most 3600"),
        (["waistband", "--speed", "1e9"], "--speed '1e9' is not a number above 0 and at most 3600"),
        (["waistband", "--speed", "fast"], "--speed 'fast' is not a number above 0"),
        (["waistband", "--serial", "x" * 25], "is not 1..24 printable ASCII characters"),
        (["waistband", "--scenario", "no-such.yaml"], "no scenario file 'no-such.yaml'"),
    ],
)
def test_bad_input_is_one_line_naming_the_problem_and_exit_2(args: list[str], problem: str) -> None:
    result = runner.invoke(app, ["sim", "serve", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert problem in line


def test_a_scenario_for_another_family_is_refused_before_serving(tmp_path: Path) -> None:
    scenario = tmp_path / "unplug.yaml"
    scenario.write_text(
        "name: unplug\ndoc: a pad comes out\nsteps:\n  - at: 1m\n    unplug_pad: {port: 1}\n"
    )
    result = runner.invoke(app, ["sim", "serve", "waistband", "--scenario", str(scenario)])
    assert result.exit_code == 2
    assert "emitters are built in" in result.stderr
    assert result.stdout == ""


def test_a_taken_tcp_port_is_named_with_the_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["sim", "serve", "firmat", "--tcp", str(port)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()[-1:]
    assert f"cannot serve on socket://127.0.0.1:{port}" in line
    assert "choose another --tcp PORT, or 0 for free ports" in line
    assert result.stdout == ""
