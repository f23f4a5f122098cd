"""``session set`` changes only what it is given: every other setting is the port's own.

In process against simulated devices on a pty (their state carries from command to
command, as a real device's does), and through the installed ``irlink``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from irlink.cli.settings import Given, merged, port_override
from irlink.model import Info, PortStatus
from irlink.protocol.messages import Mode
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer
from irlink.sync import connect as connect_blocking
from tests.cli.proc import irlink as installed
from tests.cli.proc import json_lines, simulator
from tests.cli.schema import check_lines
from tests.cli.test_commands import irlink, lines


@pytest.fixture(params=["waistband"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[SimulatedDevice, str]]:
    """A simulated device of the family the test names, on a pty: it and its path.

    ``firmat-1.0`` is a heated wrap that speaks IRLink 1.0, whose status lacks override.
    """
    family, _, revision = request.param.partition("-")
    minor = 0 if revision == "1.0" else 1
    sim = SimulatedDevice(family, clock=ManualClock(), protocol_minor=minor)
    with serve_in_thread(PtyServer(sim)) as server:
        yield sim, server.path


def port_now(path: str, number: int = 1) -> dict[str, object]:
    """What port ``number`` reports it is set to."""
    [status] = lines(irlink("-d", path, "--json", "status"))
    ports: list[dict[str, object]] = status["ports"]
    return ports[number - 1]


def test_a_duration_alone_keeps_a_sham_session_sham_at_its_level(
    served: tuple[SimulatedDevice, str],
) -> None:
    sim, path = served
    assert irlink("-d", path, "session", "set", "--sham", "--intensity", "3").exit_code == 0
    result = irlink("-d", path, "session", "set", "--duration", "40m")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip()
        == "port 1: next session 40m, intensity 3, continuous, sham (no output)"
    )
    port = port_now(path)
    assert (port["sham"], port["intensity"], port["duration"]) == (True, 3, 2400)
    irlink("-d", path, "start", "-p", "1")
    assert not sim.output_on(1)  # the blinded arm got no output


def test_no_sham_turns_sham_off_and_says_real_output(served: tuple[SimulatedDevice, str]) -> None:
    _, path = served
    irlink("-d", path, "session", "set", "--sham", "--intensity", "2")
    [configured] = lines(irlink("-d", path, "--json", "session", "set", "--no-sham"))
    assert (configured["sham"], configured["intensity"]) == (False, 2)
    human = irlink("-d", path, "session", "set", "--duration", "20m")
    assert human.stdout.strip().endswith("intensity 2, continuous, real output")
    assert port_now(path)["sham"] is False


def test_a_pulsed_port_keeps_its_rate_and_continuous_drops_it(
    served: tuple[SimulatedDevice, str],
) -> None:
    _, path = served
    irlink("-d", path, "session", "set", "--mode", "pulsed", "--hz", "73")
    assert irlink("-d", path, "session", "set", "--intensity", "2").exit_code == 0
    assert (port_now(path)["mode"], port_now(path)["pulse_hz"]) == ("pulsed", 73)
    [configured] = lines(irlink("-d", path, "--json", "session", "set", "--mode", "continuous"))
    assert (configured["mode"], configured["pulse_hz"], configured["intensity"]) == (
        "continuous",
        None,
        2,
    )


def test_a_value_refused_by_the_limits_changes_nothing(served: tuple[SimulatedDevice, str]) -> None:
    _, path = served
    irlink("-d", path, "session", "set", "--sham", "--duration", "20m")
    result = irlink("-d", path, "session", "set", "--duration", "2h")
    assert result.exit_code == 2
    assert (port_now(path)["duration"], port_now(path)["sham"]) == (1200, True)


@pytest.mark.parametrize("served", ["multiport"], indirect=True)
def test_every_port_keeps_its_own_settings_with_port_0(served: tuple[SimulatedDevice, str]) -> None:
    _, path = served
    irlink("-d", path, "session", "set", "-p", "1", "--mode", "pulsed", "--hz", "73")
    irlink("-d", path, "session", "set", "-p", "2", "--intensity", "1", "--duration", "40m")
    result = irlink("-d", path, "--json", "session", "set", "--duration", "25m")
    assert result.exit_code == 0, result.output
    configured = lines(result)
    assert [(c["port"], c["duration"], c["mode"], c["pulse_hz"]) for c in configured] == [
        (1, 1500, "pulsed", 73),
        (2, 1500, "continuous", None),
    ]
    text = irlink("-d", path, "session", "set", "--intensity", "1").stdout.splitlines()
    assert text == [
        "port 1: next session 25m, intensity 1, pulsed 73 Hz, real output",
        "port 2: next session 25m, intensity 1, continuous, real output",
    ]


@pytest.mark.parametrize("served", ["firmat"], indirect=True)
def test_a_kept_hot_setpoint_keeps_its_override_as_the_port_reports_it(
    served: tuple[SimulatedDevice, str],
) -> None:
    """1.1: the port says it was configured with --override, so a change of length keeps
    it (issue 12.6: start --duration on such a mat works)."""
    sim, path = served
    hot = irlink("-d", path, "session", "set", "--setpoint", "56", "--override")
    assert hot.exit_code == 0, hot.output
    kept = irlink("-d", path, "--json", "session", "set", "--duration", "30m")
    assert kept.exit_code == 0, kept.output
    [configured] = lines(kept)
    assert (configured["setpoint_c"], configured["override"], configured["duration"]) == (
        56.0,
        True,
        1800,
    )
    started = irlink("-d", path, "start", "--duration", "20m")
    assert started.exit_code == 0, started.output
    port = port_now(path)
    assert (port["state"], port["setpoint_c"], port["override"], port["duration"]) == (
        "running",
        56.0,
        True,
        1200,
    )
    irlink("-d", path, "stop")
    assert not sim.output_on(1)


@pytest.mark.parametrize("served", ["firmat-1.0"], indirect=True)
def test_a_kept_hot_setpoint_is_refused_without_override_never_allowed_by_irlink(
    served: tuple[SimulatedDevice, str],
) -> None:
    _, path = served
    hot = irlink("-d", path, "--json", "session", "set", "--setpoint", "56", "--override")
    [configured] = lines(hot)
    assert (configured["setpoint_c"], configured["override"]) == (56.0, True)
    assert (
        "setpoint 56 °C (with --override)"
        in irlink("-d", path, "session", "set", "--setpoint", "56", "--override").stdout
    )
    before = port_now(path)["duration"]
    # A 1.0 port cannot say it allows 56 °C: without --override, keeping it is refused.
    refused = irlink("-d", path, "--json", "session", "set", "--duration", "30m")
    assert refused.exit_code == 2
    [error] = lines(refused)
    assert error["type"] == "error"
    assert error["option"] == "--setpoint"
    assert "pass --override" in error["message"]
    assert "kept as no --setpoint was given" in error["message"]
    assert port_now(path)["duration"] == before  # nothing was sent
    started = irlink("-d", path, "start", "--duration", "30m")  # keeps it too: refused
    assert started.exit_code == 2
    assert "start takes no --override" in started.stderr
    again = irlink("-d", path, "session", "set", "--duration", "30m", "--override")
    assert again.exit_code == 0, again.output
    off = irlink("-d", path, "session", "set", "--no-override")
    assert off.exit_code == 2
    assert "--setpoint 56 °C is above 49 °C" in off.stderr
    cool = irlink("-d", path, "session", "set", "--setpoint", "43", "--no-override")
    assert (
        cool.stdout.strip()
        == "port 1: next session 30m, setpoint 43 °C (no override), continuous, real output"
    )


def _info_and_port(family: str) -> tuple[Info, PortStatus]:
    with connect_blocking(f"sim://{family}") as device:
        return device.info, device.status().port(1)


def test_an_override_that_cannot_be_read_is_sent_off_never_invented() -> None:
    info, port = _info_and_port("firmat?protocol=1.0")
    assert port_override(port) is None  # a 1.0 device's status does not carry it
    session = merged(info, port, Given(duration=timedelta(minutes=20)))
    assert (session.override, session.setpoint_c, session.duration) == (
        False,
        port.setpoint_c,
        timedelta(minutes=20),
    )
    assert merged(info, port, Given(override=True)).override is True
    assert merged(info, port, Given(mode="pulsed")).mode is Mode.PULSED


def test_the_installed_irlink_keeps_sham_when_only_the_duration_changes() -> None:
    with simulator() as path:
        first = installed("-d", path, "session", "set", "--sham", "--intensity", "3")
        assert first.returncode == 0, first.stderr
        result = installed("-d", path, "--json", "session", "set", "--duration", "40m")
        assert result.returncode == 0, result.stderr
        [configured] = json_lines(result.stdout)
        check_lines([configured])
        assert (configured["sham"], configured["intensity"], configured["duration"]) == (
            True,
            3,
            2400,
        )
        text = installed("-d", path, "session", "set", "--no-sham")
        assert (
            text.stdout.strip() == "port 1: next session 40m, intensity 3, continuous, real output"
        )
