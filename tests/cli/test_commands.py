"""Every device command through typer's runner, against a simulated device on a pty.

The device is served in a thread on a manual clock, so its state carries from one
command to the next (as a real device's does between invocations) and the test moves
its time. Every ``--json`` line is checked against the published schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from irlink.cli import app
from irlink.protocol.messages import PortState
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer
from tests.cli.schema import check_lines

runner = CliRunner()


@pytest.fixture
def multiport() -> Iterator[tuple[SimulatedDevice, str]]:
    """A simulated two-port controller on a pty: the device and its address."""
    sim = SimulatedDevice("multiport", clock=ManualClock())
    with serve_in_thread(PtyServer(sim)) as server:
        yield sim, server.path


def irlink(*args: str, env: dict[str, str] | None = None) -> Any:
    """``irlink ARGS`` in process; the result has exit_code, stdout and stderr."""
    return runner.invoke(app, list(args), env=env)


def lines(result: Any) -> list[dict[str, Any]]:
    """The --json lines of a result, each checked against the published schema."""
    parsed = [json.loads(text) for text in result.stdout.splitlines()]
    check_lines(parsed)
    return parsed


def test_info_names_the_device_and_its_limits(multiport: tuple[SimulatedDevice, str]) -> None:
    sim, path = multiport
    result = irlink("-d", path, "info")
    assert result.exit_code == 0, result.output
    assert sim.serial in result.stdout
    assert "multiport" in result.stdout.lower()
    [info] = lines(irlink("-d", path, "--json", "info"))
    assert info["type"] == "info"
    assert (info["family"], info["serial"], info["port_count"]) == ("multiport", sim.serial, 2)
    assert info["session_max"] == sim.hardware.profile.info.session_max_s


def test_status_reports_every_port(multiport: tuple[SimulatedDevice, str]) -> None:
    _, path = multiport
    result = irlink("-d", path, "status")
    assert result.exit_code == 0, result.output
    [status] = lines(irlink("-d", path, "--json", "status"))
    assert status["type"] == "status"
    assert [p["port"] for p in status["ports"]] == [1, 2]
    assert {p["state"] for p in status["ports"]} == {"idle"}


def test_a_session_is_set_started_paused_resumed_and_stopped(
    multiport: tuple[SimulatedDevice, str],
) -> None:
    sim, path = multiport
    assert isinstance(sim.clock, ManualClock)
    args = ["--port", "2", "--duration", "20m", "--intensity", "1", "--mode", "pulsed"]
    result = irlink("-d", path, "--json", "session", "set", *args, "--hz", "73")
    assert result.exit_code == 0, result.output
    [configured] = lines(result)
    assert configured["type"] == "configured"
    assert (configured["port"], configured["duration"], configured["mode"]) == (2, 1200, "pulsed")

    [started] = lines(irlink("-d", path, "--json", "start", "--port", "2"))
    assert started["type"] == "started"
    assert sim.port_state(2) is PortState.RUNNING
    sim.clock.advance(60)
    assert lines(irlink("-d", path, "--json", "pause", "-p", "2")) == [
        {"type": "done", "command": "pause", "port": 2}
    ]
    assert sim.port_state(2) is PortState.PAUSED
    assert irlink("-d", path, "resume", "-p", "2").exit_code == 0
    assert sim.port_state(2) is PortState.RUNNING
    result = irlink("-d", path, "stop", "-p", "2")
    assert result.exit_code == 0, result.output
    assert "stopped port 2" in result.stdout
    assert sim.port_state(2) is PortState.IDLE

    [record] = lines(irlink("-d", path, "--json", "usage"))
    assert record["type"] == "usage_record"
    assert (record["session_id"], record["port"]) == (started["session_id"], 2)
    assert record["end_reason"] == "stopped"
    assert record["delivered"] == 60


def test_start_with_a_duration_changes_only_the_length() -> None:
    """A sham session stays sham (a blinded arm must not get output), and so on."""
    sim = SimulatedDevice("waistband", clock=ManualClock())
    with serve_in_thread(PtyServer(sim)) as server:
        _start_with_a_duration_on(sim, server.path)


def _start_with_a_duration_on(sim: SimulatedDevice, path: str) -> None:
    args = ["--port", "1", "--duration", "20m", "--intensity", "2", "--mode", "pulsed"]
    assert irlink("-d", path, "session", "set", *args, "--hz", "73", "--sham").exit_code == 0
    result = irlink("-d", path, "start", "--port", "1", "--duration", "15m")
    assert result.exit_code == 0, result.output
    assert "started session" in result.stdout
    assert sim.remaining_s(1) == 15 * 60
    [status] = lines(irlink("-d", path, "--json", "status"))
    port = status["ports"][0]
    assert (port["sham"], port["intensity"], port["mode"], port["pulse_hz"]) == (
        True,
        2,
        "pulsed",
        73,
    )
    assert not sim.output_on(1)


def test_clear_fault_clears_a_latched_fault_once_the_cause_is_gone(
    multiport: tuple[SimulatedDevice, str],
) -> None:
    sim, path = multiport
    assert isinstance(sim.clock, ManualClock)
    sim.add_heat(1, 300)  # a covered pad: it overheats and the device latches the fault
    sim.clock.advance(900)
    [hot] = lines(irlink("-d", path, "--json", "status"))
    assert "over_temperature" in hot["ports"][0]["faults"]
    result = irlink("-d", path, "start", "-p", "1")
    _one_clear_line(result, 1, "over_temperature")
    sim.add_heat(1, 0)
    sim.clock.advance(3600)  # cool again, but the fault stays until cleared
    [before] = lines(irlink("-d", path, "--json", "status"))
    assert before["ports"][0]["state"] == "fault"
    assert irlink("-d", path, "clear-fault", "-p", "1").exit_code == 0
    [after] = lines(irlink("-d", path, "--json", "status"))
    assert after["ports"][0]["faults"] == []


def test_the_device_comes_from_irlink_device_in_the_environment(
    multiport: tuple[SimulatedDevice, str],
) -> None:
    sim, path = multiport
    [info] = lines(irlink("--json", "info", env={"IRLINK_DEVICE": path}))
    assert info["serial"] == sim.serial


def test_a_simulated_device_is_an_address_too() -> None:
    [status] = lines(irlink("-d", "sim://firmat?battery=40", "--json", "status"))
    assert 35 <= status["battery_pct"] <= 40  # as set, less the sag of the idle load
    assert [port["state"] for port in status["ports"]] == ["idle"]


# Exit codes: every one provoked, each with one clear line and no traceback.


def _one_clear_line(result: Any, code: int, *says: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    error = result.stderr.strip().splitlines()
    assert len(error) == 1, result.stderr
    for text in says:
        assert text in error[0]


def test_a_refusal_exits_1_with_the_devices_error_code(
    multiport: tuple[SimulatedDevice, str],
) -> None:
    sim, path = multiport
    sim.unplug_pad(1)
    result = irlink("-d", path, "start", "-p", "1")
    _one_clear_line(result, 1, "refused start: no_pad", "pad")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["session", "set", "--duration", "30 minutes"], "write it like 90s, 30m"),
        (["start", "--duration", "-5m"], "--duration"),
        (["session", "set", "--port", "1", "--intensity", "99"], "intensity"),
        (["session", "set", "--port", "1", "--duration", "9h"], "duration"),
        (["session", "set", "--mode", "strobe"], "continuous or pulsed"),
        (["start", "-p", "7"], "port"),
        (["start", "--stop-on-exit"], "--stop-on-exit needs --wait"),
    ],
)
def test_a_bad_value_exits_2_and_says_what_to_write(
    multiport: tuple[SimulatedDevice, str], args: list[str], says: str
) -> None:
    sim, path = multiport
    result = irlink("-d", path, *args)
    _one_clear_line(result, 2, says)
    assert sim.port_state(1) is PortState.IDLE  # nothing reached the device's output


def test_a_bad_address_exits_2_and_lists_the_forms() -> None:
    _one_clear_line(irlink("-d", "bogus://x", "info"), 2, "sim://")


def test_a_missing_port_exits_3() -> None:
    _one_clear_line(irlink("-d", "/dev/irlink-no-such-port", "info"), 3, "no serial port")


def test_a_silent_port_exits_4() -> None:
    master, slave = os.openpty()  # nobody answers on it
    try:
        result = irlink("-d", os.ttyname(slave), "--timeout", "0.05", "info")
    finally:
        os.close(master)
        os.close(slave)
    _one_clear_line(result, 4, "did not answer")


def test_an_unknown_option_is_a_usage_error() -> None:
    result = irlink("status", "--frobnicate")
    assert result.exit_code == 2
    assert "No such option" in result.output


# Following a device: accelerated simulators (600x: ten minutes take a second).


def test_status_watch_reports_until_its_count() -> None:
    result = irlink(
        "--json", "-d", "sim://waistband?speed=600", "status", "--watch", "--count", "3"
    )
    assert result.exit_code == 0, result.output
    updates = [line for line in lines(result) if line["type"] == "status_update"]
    assert len(updates) == 3
    assert updates[-1]["status"]["ports"][0]["port"] == 1
    human = irlink("-d", "sim://waistband?speed=600", "status", "--watch", "--count", "2")
    assert human.exit_code == 0, human.output
    assert "battery" in human.stdout


def test_status_watch_refuses_a_bad_period_before_looking_for_the_device() -> None:
    missing = "/dev/irlink-no-such-port"  # a usage error, not "no device" (3)
    result = irlink("-d", missing, "status", "--watch", "--period", "soon")
    _one_clear_line(result, 2, "--period")
    _one_clear_line(irlink("-d", missing, "status", "--count", "2"), 2, "--count needs --watch")


def test_start_wait_follows_every_port_to_its_end() -> None:
    args = ["--json", "-d", "sim://multiport?speed=600", "start", "--duration", "20m", "--wait"]
    result = irlink(*args)
    assert result.exit_code == 0, result.output
    summaries = [line for line in lines(result) if line["type"] == "summary"]
    assert [(s["port"], s["reason"], s["delivered"]) for s in summaries] == [
        (1, "completed", 1200),
        (2, "completed", 1200),
    ]
    assert not any(s["left_running"] for s in summaries)


def test_the_demo_runs_a_session_and_reports_what_was_delivered() -> None:
    result = irlink("--json", "demo", "--speed", "600")
    assert result.exit_code == 0, result.output
    parsed = lines(result)
    kinds = [line["type"] for line in parsed]
    for kind in ("configured", "started", "session_started", "status_update", "summary"):
        assert kind in kinds
    [record] = [line for line in parsed if line["type"] == "usage_record"]
    assert (record["end_reason"], record["delivered"]) == ("completed", record["planned"])
