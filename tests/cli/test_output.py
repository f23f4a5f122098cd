"""Output for scripts: a closed pipe ends quietly, lines are never wrapped, counts are kept.

Through the installed ``irlink``, whose stdout is a pipe here, as in a script.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess

from irlink.cli.common import EXIT_PIPE
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer
from tests.cli.proc import SCRIPT, START_S, irlink, read_until, simulator, started
from tests.cli.schema import check_lines


def closed_after_first_line(*args: str) -> tuple[int, str]:
    """Run ``irlink ARGS``, read its first line, close the pipe: its exit code and stderr."""
    with started(*args) as proc:
        read_until(proc, b"\n")
        assert proc.stdout is not None
        proc.stdout.close()  # as `| head -1` does once it has its line
        proc.wait(timeout=START_S)  # stderr is a few lines: the pipe cannot fill
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
    return proc.returncode, err


def test_a_closed_pipe_ends_a_json_watch_quietly_with_141() -> None:
    code, err = closed_after_first_line("-d", "sim://waistband?speed=60", "--json", "status", "-w")
    assert code == EXIT_PIPE, err
    assert err == ""


def test_a_closed_pipe_ends_a_text_watch_quietly_with_141() -> None:
    code, err = closed_after_first_line("-d", "sim://waistband?speed=60", "status", "--watch")
    assert code == EXIT_PIPE, err
    assert err == ""


def test_a_closed_pipe_during_start_wait_says_what_it_leaves_running() -> None:
    with simulator() as path:
        args = ("-d", path, "--json", "start", "--duration", "10m", "--wait", "--no-heartbeat")
        code, err = closed_after_first_line(*args)
        assert code == EXIT_PIPE, err
        assert "Traceback" not in err
        assert "stdout was closed: session " in err
        assert "is still running on port 1" in err
        [port] = json.loads(irlink("-d", path, "--json", "status").stdout)["ports"]
        assert port["state"] == "running"


def test_a_table_piped_to_a_file_is_not_wrapped_at_80_columns() -> None:
    sim = SimulatedDevice("multiport", clock=ManualClock())
    with serve_in_thread(PtyServer(sim)) as server:
        irlink("-d", server.path, "session", "set", "--mode", "pulsed", "--hz", "73")
        irlink("-d", server.path, "start")
        sim.clock.advance(65)
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        done = subprocess.run(
            [SCRIPT, "-d", server.path, "status"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=START_S,
        )
    rows = [line for line in done.stdout.splitlines() if line.lstrip().startswith(("1 ", "2 "))]
    assert len(rows) == 2, done.stdout
    for row in rows:  # each port whole on its line: state, time left, setting, temperatures
        assert len(row) > 80
        assert "running" in row
        assert "of 30m" in row
        assert "73 Hz" in row
        assert row.count("°C") == 2


def test_status_watch_count_prints_n_reports_in_text_as_in_json() -> None:
    address = "sim://waistband?speed=600"
    text = irlink("-d", address, "status", "--watch", "--count", "3")
    assert text.returncode == 0, text.stderr
    reports = [line for line in text.stdout.splitlines() if "battery" in line]
    assert len(reports) == 3, text.stdout
    as_json = irlink("-d", address, "--json", "status", "--watch", "--count", "3")
    parsed = [json.loads(line) for line in as_json.stdout.splitlines()]
    check_lines(parsed)
    assert [line["type"] for line in parsed].count("status_update") == 3
    one = irlink("-d", address, "status", "--watch", "--count", "1")
    assert len(one.stdout.splitlines()) == 1


def test_ctrl_c_exits_130_with_a_json_error_line_last() -> None:
    with started("-d", "sim://waistband?speed=60", "--json", "status", "--watch") as proc:
        read_until(proc, b'"type": "status_update"')
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=START_S)
    assert proc.returncode == 130
    last = json.loads(out.decode().splitlines()[-1])
    check_lines([last])
    assert (last["type"], last["code"], last["message"]) == ("error", 130, "interrupted")
