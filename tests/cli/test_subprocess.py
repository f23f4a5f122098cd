"""The installed ``irlink`` as a real process against ``irlink sim serve`` on a pty.

What a person or a script runs: JSON on stdout checked against the published schema,
Ctrl-C (SIGINT) during ``start --wait`` and ``status --watch``, and ``irlink demo``.
Nothing sleeps: each test reads the child's output as it comes, with a deadline.
"""

from __future__ import annotations

import json
import signal

from tests.cli.proc import START_S, irlink, read_until, simulator, started
from tests.cli.schema import check_lines


def test_json_lines_from_the_installed_command_follow_the_schema() -> None:
    with simulator() as path:
        info = irlink("-d", path, "--json", "info")
        status = irlink("-d", path, "--json", "status")
    assert info.returncode == 0, info.stderr
    assert status.returncode == 0, status.stderr
    parsed = [json.loads(x) for x in (info.stdout + status.stdout).splitlines()]
    check_lines(parsed)
    assert [line["type"] for line in parsed] == ["info", "status"]


def test_ctrl_c_during_start_wait_leaves_the_session_running_and_says_so() -> None:
    with simulator() as path:
        args = ["-d", path, "--json", "start", "--duration", "10m", "--wait"]
        with started(*args) as proc:
            read_until(proc, b'"type": "status_update"')  # the session is under way
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=START_S)
        assert proc.returncode == 130, err
        assert b"Traceback" not in err
        assert b"is still running on port 1" in err
        [status] = json.loads(irlink("-d", path, "--json", "status").stdout)["ports"]
        assert status["state"] == "running"
        *_, summary, error = [json.loads(line) for line in out.decode().splitlines()]
        assert (summary["type"], summary["left_running"]) == ("summary", True)
        assert (summary["completed"], summary["reason"]) == (False, None)
        assert (error["type"], error["code"], error["message"]) == ("error", 130, "interrupted")


def test_ctrl_c_with_stop_on_exit_stops_the_session_and_says_so() -> None:
    with simulator() as path:
        args = ["-d", path, "--json", "start", "--duration", "10m", "--wait", "--stop-on-exit"]
        with started(*args) as proc:
            read_until(proc, b'"type": "status_update"')
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=START_S)
        assert proc.returncode == 130, err
        assert b"stopped session" in err
        [status] = json.loads(irlink("-d", path, "--json", "status").stdout)["ports"]
        assert status["state"] == "idle"


def test_ctrl_c_ends_status_watch_cleanly() -> None:
    with simulator() as path, started("-d", path, "--json", "status", "--watch") as proc:
        read_until(proc, b'"type": "status_update"')
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=START_S)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err


def test_start_wait_follows_an_accelerated_session_to_its_summary() -> None:
    with simulator("--speed", "600") as path:
        result = irlink("-d", path, "--json", "start", "--duration", "10m", "--wait")
    assert result.returncode == 0, result.stderr
    parsed = [json.loads(x) for x in result.stdout.splitlines()]
    check_lines(parsed)
    summary = parsed[-1]
    assert summary["type"] == "summary"
    assert (summary["reason"], summary["delivered"], summary["planned"]) == ("completed", 600, 600)


def test_the_demo_runs_with_no_arguments_and_says_what_was_delivered() -> None:
    result = irlink("demo")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "delivered" in result.stdout
    assert "irlink sim serve waistband --pty" in result.stdout
