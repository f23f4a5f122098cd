"""The command line says what the device says: what clear-fault left, what a device lacks,
and a restart under ``start --wait``. Through the installed ``irlink``, as a real process,
against simulated devices on a pty whose clock the test moves (or, for the restart, a
device served by ``irlink sim serve`` in another process).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer
from tests.cli.proc import irlink, json_lines, simulator
from tests.cli.schema import check_lines

EXIT_ENDED_EARLY, EXIT_FAULTS_REMAIN = 5, 6


@pytest.fixture
def wrap() -> Iterator[tuple[SimulatedDevice, ManualClock, str]]:
    """A heated wrap on a pty, on a manual clock: it, its clock and its path."""
    clock = ManualClock()
    sim = SimulatedDevice("firmat", clock=clock)
    with serve_in_thread(PtyServer(sim)) as server:
        yield sim, clock, server.path


def test_clear_fault_says_a_latch_whose_cause_remains_is_still_active_and_exits_6(
    wrap: tuple[SimulatedDevice, ManualClock, str],
) -> None:
    sim, clock, path = wrap
    sim.add_heat(1, 300)  # a duvet over the wrap: the skin side passes 43 degC
    clock.advance(1800)
    hot = irlink("-d", path, "clear-fault", "-p", "1")
    assert hot.returncode == EXIT_FAULTS_REMAIN, hot.stderr
    assert hot.stdout.startswith("nothing cleared; still active on port 1: over temperature")
    assert "latched until the skin side has cooled" in hot.stdout
    assert "error: a fault is still active after clear-fault" in hot.stderr
    assert "cleared the faults" not in hot.stdout
    as_json = irlink("-d", path, "--json", "clear-fault", "-p", "1")
    assert as_json.returncode == EXIT_FAULTS_REMAIN
    [cleared, error] = json_lines(as_json.stdout)
    check_lines([cleared, error])
    assert cleared["type"] == "cleared"
    assert cleared["cleared"] == []
    assert "over_temperature" in cleared["remaining"]
    assert (error["type"], error["code"]) == ("error", EXIT_FAULTS_REMAIN)
    sim.add_heat(1, 0)
    clock.advance(3600)  # cooled
    done = irlink("-d", path, "clear-fault", "-p", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("port 1: cleared over temperature")
    assert done.stdout.strip().endswith("no fault is active")


def test_a_fault_that_clears_only_by_itself_is_named_with_what_it_needs() -> None:
    clock = ManualClock()
    sim = SimulatedDevice("multiport", clock=clock)
    sim.set_sensor(2, "open")
    with serve_in_thread(PtyServer(sim)) as server:
        result = irlink("-d", server.path, "clear-fault")
    assert result.returncode == EXIT_FAULTS_REMAIN
    assert "still active on port 2: sensor open (clears by itself once the sensor reads" in (
        result.stdout
    )


def test_a_mains_device_shows_no_battery_and_an_empty_port_no_reading() -> None:
    sim = SimulatedDevice("multiport", clock=ManualClock())
    sim.unplug_pad(2)
    with serve_in_thread(PtyServer(sim)) as server:
        text = irlink("-d", server.path, "status")
        [status] = json_lines(irlink("-d", server.path, "--json", "status").stdout)
    check_lines([status])
    assert "battery" not in text.stdout
    assert "-3276" not in text.stdout
    assert "\u2013" in text.stdout  # the dash of no reading
    assert (status["battery_pct"], status["battery_v"], status["charger_connected"]) == (
        None,
        None,
        None,
    )
    empty = status["ports"][1]
    assert (empty["temp_c"], empty["skin_temp_c"], empty["setpoint_c"]) == (None, None, None)
    assert status["ports"][0]["setpoint_c"] is None  # light, no heater


def test_a_light_shows_no_setpoint_and_a_heater_its_setpoint() -> None:
    for family, setpoint in (("waistband", None), ("firmat", 43.0)):
        sim = SimulatedDevice(family, clock=ManualClock())
        with serve_in_thread(PtyServer(sim)) as server:
            [status] = json_lines(irlink("-d", server.path, "--json", "status").stdout)
        assert status["ports"][0]["setpoint_c"] == setpoint


def test_a_restart_under_start_wait_ends_it_early_with_power_loss_not_forever() -> None:
    """The brown-out scenario reboots the device 7 minutes in; the pty stays open."""
    with simulator("--speed", "120", "--scenario", "brownout") as path:
        result = irlink("-d", path, "--json", "start", "--duration", "10m", "--wait")
    assert result.returncode == EXIT_ENDED_EARLY, result.stderr
    lines = json_lines(result.stdout)
    check_lines(lines)
    kinds = [line["type"] for line in lines]
    assert "restarted" in kinds
    [summary] = [line for line in lines if line["type"] == "summary"]
    assert (summary["reason"], summary["completed"]) == ("power_loss", False)
    assert 0 < summary["delivered"] <= 7 * 60
    assert kinds.index("restarted") < kinds.index("summary")


def test_decode_reads_a_1_0_device_s_frames_and_says_which_revision_they_are() -> None:
    from irlink.spec._files import read_yaml

    for vector in read_yaml("vectors/v1_0.yaml"):
        result = irlink("decode", *vector["hex"].split())
        assert result.returncode == 0, result.stdout
        [decoded] = json_lines(result.stdout)
        assert (decoded["minor"], decoded["message"]) == (0, vector["message"])
        assert decoded["fields"] == vector["fields"]


def test_environment_switches_that_are_not_numbers_or_yes_no_say_so_plainly() -> None:
    verbose = irlink("-d", "sim://waistband", "status", env={"IRLINK_VERBOSE": "x"})
    assert verbose.returncode == 2
    assert verbose.stderr.strip() == "error: IRLINK_VERBOSE='x' is not a whole number"
    json = irlink("-d", "sim://waistband", "status", env={"IRLINK_JSON": "maybe"})
    assert json.returncode == 2
    assert "IRLINK_JSON='maybe' is not yes or no" in json.stderr
    assert "Input should" not in verbose.stderr + json.stderr


def test_scan_without_bleak_does_not_claim_it_searched_bluetooth() -> None:
    from unittest import mock

    from tests.cli.test_commands import irlink as in_process

    real = __import__("importlib.util").util.find_spec
    with mock.patch(
        "importlib.util.find_spec", lambda name, *a: None if name == "bleak" else real(name, *a)
    ):
        result = in_process("scan", "--seconds", "0.1")
    assert "BLE not scanned: bleak is not installed; pip install 'irlink[ble]'" in result.stderr
    assert "or BLE" not in result.stdout


def test_session_set_on_every_port_changes_none_while_one_port_runs() -> None:
    from tests.cli.test_commands import irlink as in_process

    sim = SimulatedDevice("multiport", clock=ManualClock())
    with serve_in_thread(PtyServer(sim)) as server:
        assert in_process("-d", server.path, "session", "set", "-p", "2").exit_code == 0
        assert in_process("-d", server.path, "start", "-p", "2").exit_code == 0
        refused = in_process("-d", server.path, "session", "set", "--duration", "40m")
        durations = [sim.firmware.ports[i].config.duration_s for i in (0, 1)]  # type: ignore[union-attr]
    assert refused.exit_code == 1
    assert "port 2 holds session" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert durations == [1800, 1800]  # port 1 was not configured either
