"""Fault scenarios: bad files are refused clearly; each shipped one does what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from irlink.protocol.messages import (
    ClearFaultRequest,
    EndReason,
    FaultClearedEvent,
    FaultFlags,
    FaultRaisedEvent,
    GetStatusRequest,
    LowBatteryEvent,
    PadAttachedEvent,
    PortState,
    ReadUsageLogRequest,
    SessionEndedEvent,
    StartRequest,
    SubscribeRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.faults import (
    ACTIONS,
    SCENARIOS_DIR,
    ScenarioError,
    load_scenario,
    scenario_names,
)
from tests.sim.host import TestHost


def running(family: str) -> tuple[ManualClock, SimulatedDevice, TestHost]:
    """A device of ``family`` with a session running on every port."""
    clock = ManualClock()
    device = SimulatedDevice(family, clock=clock)
    host = TestHost(device)
    host.ok(StartRequest(port=0, session_id=1))
    host.take_events()
    return clock, device, host


def ended(host: TestHost) -> dict[int, EndReason]:
    """The end reason of each port's session so far."""
    return {e.port: EndReason(e.reason) for e in host.take_events(SessionEndedEvent)}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ndoc: y\nsteps:\n  - at: 1m\n", "exactly one action (found: none)"),
        (
            "name: x\ndoc: y\nsteps:\n  - at: 1m\n    heat: {port: 1, rise_dc: 5}\n"
            "    charger: {connected: true}\n",
            "found: heat, charger",
        ),
        ("name: x\ndoc: y\nsteps:\n  - at: soon\n    internal_fault: true\n", "not a duration"),
        ("name: x\ndoc: y\nsteps:\n  - at: 1m\n    explode: {}\n", "steps.0.explode: Extra"),
        (
            "name: x\ndoc: y\nsteps:\n  - at: 2m\n    internal_fault: true\n"
            "  - at: 1m\n    internal_fault: true\n",
            "time order",
        ),
        ("name: x\ndoc: y\nsteps: []\n", "steps"),
        ("name: x\ndoc: y\nsteps:\n  - at: 1m\n    heat: {port: 9, rise_dc: 5}\n", "port"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_scenario_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_scenario_names_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError, match="overtemp"):
        load_scenario("no-such-scenario")


def test_a_scenario_for_another_family_is_refused_before_anything_is_scheduled() -> None:
    device = SimulatedDevice("waistband")
    with pytest.raises(ScenarioError, match="for multiport, not the waistband"):
        load_scenario("pad_unplug").apply(device)


def test_a_step_on_a_port_the_device_lacks_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ndoc: y\nsteps:\n  - at: 1s\n    heat: {port: 2, rise_dc: 5}\n")
    with pytest.raises(ScenarioError, match=r"port 2 does not exist; the waistband has 1\.\.1"):
        load_scenario(path).apply(SimulatedDevice("waistband"))


def test_a_battery_step_on_a_mains_device_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ndoc: y\nsteps:\n  - at: 1s\n    battery: {pct: 5}\n")
    with pytest.raises(ScenarioError, match="the multiport runs from mains"):
        load_scenario(path).apply(SimulatedDevice("multiport"))


def test_every_shipped_scenario_loads_and_documents_itself() -> None:
    names = scenario_names()
    assert len(names) >= 8
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert len(scenario.doc) > 40


def test_step_times_count_from_when_the_scenario_is_applied() -> None:
    clock, device, host = running("waistband")
    clock.advance(100)
    load_scenario("overtemp").apply(device)  # blanket at +2 min
    clock.advance(119)
    assert host.take_events(FaultRaisedEvent) == []
    assert device.hardware.ports[0].extra_rise_dc == 0
    clock.advance(1)
    assert device.hardware.ports[0].extra_rise_dc == 150


def test_overtemp_trips_latches_and_clears_once_cool() -> None:
    clock, device, host = running("waistband")
    load_scenario("overtemp").apply(device)
    clock.advance(10 * 60)
    assert ended(host) == {1: EndReason.FAULT}
    assert device.port_state(1) == PortState.FAULT
    host.ok(ClearFaultRequest(port=1))
    assert host.take_events(FaultClearedEvent) == []  # still under the blanket: still hot
    clock.advance(25 * 60)  # blanket off at 20 min, then it cools
    host.ok(ClearFaultRequest(port=1))
    cleared = host.take_events(FaultClearedEvent)
    assert [FaultFlags(e.fault) for e in cleared] == [FaultFlags.OVER_TEMPERATURE]
    assert device.port_state(1) == PortState.IDLE


def test_pad_unplug_ends_only_that_port_and_the_new_pad_reports_its_type() -> None:
    clock, device, host = running("multiport")
    load_scenario("pad_unplug").apply(device)
    clock.advance(7 * 60)
    assert ended(host) == {2: EndReason.PAD_DETACHED}
    assert device.port_state(1) == PortState.RUNNING
    assert [e.pad_type for e in host.take_events(PadAttachedEvent)] == [2]


def test_emitter_failure_stops_that_port_and_clears_when_mended() -> None:
    clock, device, host = running("multiport")
    load_scenario("emitter_failure").apply(device)
    clock.advance(4 * 60)
    assert ended(host) == {1: EndReason.FAULT}
    assert device.port_state(2) == PortState.RUNNING
    clock.advance(7 * 60)
    cleared = host.take_events(FaultClearedEvent)
    assert [FaultFlags(e.fault) for e in cleared] == [FaultFlags.EMITTER_FAILURE]


def test_sensor_fault_blanks_the_reading_and_stops_output() -> None:
    clock, device, host = running("firmat")
    load_scenario("sensor_fault").apply(device)
    clock.advance(61)
    assert ended(host) == {1: EndReason.FAULT}
    port = host.ok(GetStatusRequest()).ports[0]
    assert (port.temp_dc, port.skin_temp_dc) == (-32768, -32768)
    assert FaultFlags.SENSOR_OPEN in FaultFlags(port.faults)
    assert not device.output_on(1)


def test_low_battery_warns_then_cuts_off_with_reason_low_battery() -> None:
    clock, device, host = running("waistband")
    load_scenario("low_battery").apply(device)
    clock.advance(3 * 60)
    assert ended(host) == {1: EndReason.LOW_BATTERY}
    raised = [FaultFlags(e.fault) for e in host.take_events(FaultRaisedEvent)]
    assert raised == [FaultFlags.BATTERY_CUTOFF]
    assert [e.battery_pct for e in host.take_events(LowBatteryEvent)] == [15]


def test_charger_ends_the_session_and_blocks_starts_while_connected() -> None:
    clock, device, host = running("firmat")
    load_scenario("charger").apply(device)
    clock.advance(6 * 60)
    assert ended(host) == {1: EndReason.CHARGER}
    code, _, _ = host.refused(StartRequest(port=1, session_id=2))
    assert code.name == "CHARGING"
    clock.advance(10 * 60)
    host.ok(StartRequest(port=1, session_id=2))


def test_brownout_restarts_with_output_off_and_logs_power_loss() -> None:
    clock, device, host = running("waistband")
    load_scenario("brownout").apply(device)
    clock.advance(7 * 60 + 1)
    assert not device.powered
    assert not device.output_on(1)
    clock.advance(3)
    assert device.powered
    assert device.port_state(1) == PortState.IDLE
    log = host.ok(ReadUsageLogRequest(from_index=0, max_count=8)).records
    assert [(r.end_reason, r.delivered_s) for r in log] == [(EndReason.POWER_LOSS, 420)]


def test_link_drop_loses_bytes_both_ways_but_the_session_runs_on() -> None:
    clock, device, host = running("waistband")
    host.ok(SubscribeRequest(period_ms=1000))
    load_scenario("link_drop").apply(device)
    clock.advance(2 * 60)
    host.pipe.read_now()
    assert host.pipe.down
    host.pipe.write(b"\x00garbage\x00")
    assert host.pipe.link.stats.bytes_lost_while_down == 9  # host to device
    clock.advance(5)  # five status events, sent into the void
    assert host.pipe.read_now() == b""
    assert host.pipe.link.stats.bytes_lost_while_down > 9  # device to host
    assert device.port_state(1) == PortState.RUNNING
    clock.advance(40)
    assert device.link_up
    assert host.ok(GetStatusRequest()).ports[0].state == PortState.RUNNING


def test_noisy_link_damages_bytes_and_frames_then_cleans_up() -> None:
    clock, device, host = running("waistband")
    load_scenario("noisy_link").apply(device)
    clock.advance(0)
    for _ in range(300):
        host.pipe.write(host.codec.request(GetStatusRequest())[1])
        clock.advance(0.05)  # the 20 ms of latency passes
        host.pump()
    stats = host.pipe.link.stats
    assert stats.bits_flipped > 0
    assert stats.frames_dropped > 0
    clock.advance(10 * 60)
    host.codec.decoder.feed(b"\0")  # a frame whose delimiter the noise flipped: resynchronise
    assert host.ok(GetStatusRequest()).ports[0].state == PortState.RUNNING


def test_busy_log_refuses_reads_for_its_duration() -> None:
    clock, device, host = running("waistband")
    load_scenario("busy_log").apply(device)
    clock.advance(31)
    code, _, _ = host.refused(ReadUsageLogRequest(from_index=0, max_count=1))
    assert code.name == "BUSY"
    clock.advance(2)
    host.ok(ReadUsageLogRequest(from_index=0, max_count=1))


def test_the_scenario_readme_documents_every_action_and_scenario_and_its_example_runs() -> None:
    text = (SCENARIOS_DIR / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\w+)` \|", text, re.MULTILINE)
    assert sorted(set(documented)) == sorted({*ACTIONS, *scenario_names()})
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], "scenarios/README.md", "exec"), {})
