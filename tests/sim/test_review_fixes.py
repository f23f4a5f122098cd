"""Holes an independent review found, each held shut by a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from irlink.durations import parse_duration
from irlink.protocol import encode_message
from irlink.protocol.framing import FrameDecoder
from irlink.protocol.messages import (
    ClearFaultRequest,
    EndReason,
    ErrorCode,
    FaultClearedEvent,
    FaultFlags,
    FaultRaisedEvent,
    FrameKind,
    GetInfoRequest,
    SessionEndedEvent,
    StartRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.faults import ScenarioError, load_scenario
from irlink.sim.serve import Pipe
from tests.sim.host import TestHost
from tests.sim.rig import configure


def test_a_reboot_does_not_clear_an_over_temperature_latch() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    host = TestHost(device)
    host.ok(StartRequest(port=1, session_id=1))
    device.add_heat(1, 150)
    clock.advance(600)
    assert FaultFlags.OVER_TEMPERATURE in [
        FaultFlags(e.fault) for e in host.take_events() if isinstance(e, FaultRaisedEvent)
    ]
    device.add_heat(1, 0)
    device.reboot()
    code, _, _ = host.refused(StartRequest(port=1, session_id=2))
    assert code == ErrorCode.OVER_TEMPERATURE
    assert not device.output_on(1)
    clock.advance(30 * 60)  # cooled: now clear_fault may clear it, and only then start
    host.ok(ClearFaultRequest(port=1))
    host.ok(StartRequest(port=1, session_id=2))


def test_the_burn_dose_sums_across_sessions_until_it_trips() -> None:
    clock = ManualClock()
    device = SimulatedDevice("firmat", clock=clock)
    host = TestHost(device)
    # Element 47 degC, skin 42 degC: under the 43 degC trip, over the 41 degC normal limit.
    host.ok(configure(duration_s=7200, intensity=0, setpoint_dc=470))
    reasons = []
    for session in range(1, 6):
        host.ok(StartRequest(port=1, session_id=session))
        clock.advance(7200)
        reasons += [EndReason(e.reason) for e in host.take_events(SessionEndedEvent)]
        if reasons[-1] == EndReason.FAULT:
            break
        device.set_charger(True)
        clock.advance(8 * 3600)  # a night off on the charger: the sum does not forget
        device.set_charger(False)
    assert reasons[0] == EndReason.COMPLETED  # one session is well clear of the guard
    assert reasons[-1] == EndReason.FAULT
    assert 3 <= len(reasons) <= 4  # 2 h at 42 degC is 1/12 of a burn: the fourth quarter trips
    assert device.hardware.ports[0].burn.tripped


def test_heat_faults_do_not_clear_without_a_working_sensor() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    host = TestHost(device)
    device.add_heat(1, 150)
    clock.advance(600)
    device.add_heat(1, 0)
    clock.advance(3600)  # cool by now, but the firmware cannot read it:
    device.set_sensor(1, "open")
    host.take_events()
    host.ok(ClearFaultRequest(port=1))
    cleared = [FaultFlags(e.fault) for e in host.take_events(FaultClearedEvent)]
    assert FaultFlags.OVER_TEMPERATURE not in cleared


def test_a_scenario_step_the_hardware_cannot_do_is_skipped_and_time_runs_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\ndoc: d\nsteps:\n  - at: 1m\n    plug_pad: {port: 1}\n", encoding="utf-8"
    )
    clock = ManualClock()
    device = SimulatedDevice("multiport", clock=clock)  # port 1 already has a pad
    host = TestHost(device)
    host.ok(StartRequest(port=1, session_id=1))
    load_scenario(path).apply(device)
    clock.advance(1800)
    assert [EndReason(e.reason) for e in host.take_events(SessionEndedEvent)] == [
        EndReason.COMPLETED
    ]


def test_overlapping_link_cuts_end_with_the_longest() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    device.cut_link(100)
    clock.advance(10)
    device.cut_link(5)
    clock.advance(10)
    assert not device.link_up
    clock.advance(81)
    assert device.link_up


@pytest.mark.parametrize("text", ["99999999999999h", "1e300"])
def test_a_duration_too_long_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


def test_a_scenario_that_cannot_be_read_is_a_clear_error() -> None:
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario("/proc/self/mem")  # a file whose read fails with an OS error


def test_a_huge_scenario_duration_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\ndoc: d\nsteps:\n  - at: 1e300\n    internal_fault: true\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="too long"):
        load_scenario(path)


@pytest.mark.parametrize("minor", [1, 2])  # without security, and with (get_info is plain)
def test_two_links_interleaving_half_frames_are_each_answered(minor: int) -> None:
    """Each link has a receiver of its own: two BLE centrals, or TCP and a pty, each sending
    half a frame in turn must not meet in one COBS buffer."""
    device = SimulatedDevice("waistband", clock=ManualClock(), protocol_minor=minor)
    first, second = Pipe(device), Pipe(device)
    a = encode_message(GetInfoRequest(), 11)
    b = encode_message(GetInfoRequest(), 22)
    first.write(a[:5])
    second.write(b[:7])
    first.write(a[5:])
    second.write(b[7:])
    for pipe, seq in ((first, 11), (second, 22)):
        answers = FrameDecoder().feed(pipe.read_now())
        assert [(f.kind, f.seq) for f in answers if f.kind != FrameKind.EVENT] == [
            (FrameKind.RESPONSE, seq)
        ]
    assert device.firmware is not None
    stats = device.firmware.codec.decoder.stats  # the device's, summed over its links
    assert (stats.frames, stats.dropped) == (2, 0)
    first.write(a[:5])  # half a frame, then the link closes: it goes with the link
    first.link.close()
    second.write(b)
    assert [f.seq for f in FrameDecoder().feed(second.read_now())] == [22]
