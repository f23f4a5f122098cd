"""Faults through the device's hardware verbs: heat, emitters, sensors, pads, charger, battery.

protocols/README.md sections 7.4 and 7.6; DOMAIN.md "Faults and what a real device does"
and safety rules 3, 4 and 7.
"""

from __future__ import annotations

from typing import Any

import pytest

from irlink.protocol.messages import (
    ChargerConnectedEvent,
    ChargerDisconnectedEvent,
    ClearFaultRequest,
    ClearFaultResponse,
    ConfigureRequest,
    DeviceState,
    EndReason,
    ErrorCode,
    FaultClearedEvent,
    FaultFlags,
    FaultRaisedEvent,
    GetInfoRequest,
    LowBatteryEvent,
    PadAttachedEvent,
    PadDetachedEvent,
    PauseRequest,
    PortState,
    SessionEndedEvent,
    StartRequest,
)
from irlink.spec.devices import DeviceProfile
from tests.sim.rig import PROFILES, Rig, make_rig
from tests.sim.rig import configure as rig_configure

FIRMAT = PROFILES["firmat"]
NO_READING = -32768
F = FaultFlags


def configure(**fields: Any) -> ConfigureRequest:
    """The shared configure, with an hour's session unless told otherwise."""
    return rig_configure(**{"duration_s": 3600, **fields})


@pytest.fixture
def wb() -> Rig:
    rig = make_rig("waistband")
    rig.host.ok(configure())
    return rig


@pytest.fixture
def mp() -> Rig:
    """The multiport with both ports running session 1."""
    rig = make_rig("multiport")
    rig.host.ok(configure(port=0, intensity=1))
    rig.start(1, port=0)
    rig.host.take_events()
    return rig


def faults_and_ends(rig: Rig) -> list[Any]:
    """The fault and session_ended events so far, in order."""
    return [
        e
        for e in rig.host.take_events()
        if isinstance(e, FaultRaisedEvent | FaultClearedEvent | SessionEndedEvent)
    ]


# Over-temperature (7.4, DOMAIN rule 3).


def overheat(rig: Rig) -> int:
    """Put outside heat on a running waistband until it trips; seconds to the trip."""
    rig.device.add_heat(1, 150)  # a blanket over the belt
    return rig.run_until_not_running()


def test_outside_heat_trips_over_temperature_and_ends_the_session(wb: Rig) -> None:
    wb.start(5)
    wb.clock.advance(600)
    assert wb.port().skin_temp_dc <= PROFILES["waistband"].physics.thermal.normal_skin_max_dc
    wb.host.take_events()
    seconds = overheat(wb)
    skin = wb.port().skin_temp_dc
    assert 430 <= skin <= 432  # noticed within a physics step of the trip
    assert faults_and_ends(wb) == [
        FaultRaisedEvent(port=1, fault=F.OVER_TEMPERATURE),
        SessionEndedEvent(port=1, session_id=5, reason=EndReason.FAULT, delivered_s=600 + seconds),
    ]
    assert not wb.device.output_on(1)
    assert wb.records()[0].end_reason == EndReason.FAULT


def test_over_temperature_is_judged_at_the_skin_side_not_the_element() -> None:
    rig = make_rig("firmat")
    rig.host.ok(configure(intensity=0, setpoint_dc=430))
    rig.start(1)
    rig.clock.advance(1800)  # settled: element 43 degC, skin 38 degC
    port = rig.port()
    assert abs(port.temp_dc - 430) <= 2
    assert port.temp_dc - port.skin_temp_dc == 50
    rig.device.add_heat(1, 300)  # covered by a duvet: the element heads for 53 degC
    hottest_running = 0
    for _ in range(3600):
        rig.clock.advance(1)
        if rig.device.port_state(1) != PortState.RUNNING:
            break
        hottest_running = max(hottest_running, rig.port().temp_dc)
    assert hottest_running >= 470  # the element read well above 43 degC and ran on
    port = rig.port()
    assert port.faults == F.OVER_TEMPERATURE
    assert 430 <= port.skin_temp_dc <= 432
    assert 480 <= port.temp_dc <= 482


def test_over_temperature_latches_until_clear_fault_once_cool(wb: Rig) -> None:
    wb.start(5)
    overheat(wb)
    wb.host.take_events()
    wb.device.add_heat(1, 0)  # the blanket comes off
    wb.clock.advance(30)
    assert wb.port().skin_temp_dc >= 410
    wb.host.ok(ClearFaultRequest(port=1))  # still hot: does nothing
    assert wb.host.take_events(FaultClearedEvent) == []
    assert wb.port().faults == F.OVER_TEMPERATURE
    wb.clock.advance(600)
    cool = wb.port()
    assert cool.skin_temp_dc < 410
    assert cool.faults == F.OVER_TEMPERATURE  # latched: cooling alone does not clear it
    assert (cool.state, wb.status().state) == (PortState.FAULT, DeviceState.FAULT)
    assert wb.host.refused(StartRequest(port=1, session_id=6)) == (
        ErrorCode.OVER_TEMPERATURE,
        0,
        0,
    )
    wb.host.ok(ClearFaultRequest(port=1))
    assert wb.host.take_events(FaultClearedEvent) == [
        FaultClearedEvent(port=1, fault=F.OVER_TEMPERATURE)
    ]
    assert wb.port().state == PortState.IDLE
    assert not wb.device.output_on(1)  # clearing never restarts output
    wb.start(6)
    assert wb.device.port_state(1) == PortState.RUNNING


def test_over_temperature_trips_on_an_idle_port_too(wb: Rig) -> None:
    wb.device.add_heat(1, 150)
    for _ in range(600):
        wb.clock.advance(1)
        if wb.device.port_state(1) == PortState.FAULT:
            break
    assert 430 <= wb.port().skin_temp_dc <= 431
    assert wb.host.take_events() == [FaultRaisedEvent(port=1, fault=F.OVER_TEMPERATURE)]


# The burn-dose guard (DOMAIN rule 4) on the firmat.


def test_at_a_high_setpoint_with_override_the_skin_trip_comes_first() -> None:
    # Setpoints above 49 degC put the skin above the 43 degC trip at steady state, and the
    # skin passes 43 degC during warm-up long before the dose nears a quarter of a burn.
    rig = make_rig("firmat")
    rig.host.ok(configure(intensity=0, setpoint_dc=700, override=True))
    rig.start(1)
    seconds = rig.run_until_not_running()
    assert seconds <= 120
    assert faults_and_ends(rig) == [
        FaultRaisedEvent(port=1, fault=F.OVER_TEMPERATURE),
        SessionEndedEvent(port=1, session_id=1, reason=EndReason.FAULT, delivered_s=seconds),
    ]
    assert rig.device.hardware.ports[0].burn.dose < 0.01
    assert rig.port().faults == F.OVER_TEMPERATURE


def trip_raised_to(dc: int) -> DeviceProfile:
    """The firmat with its skin trip raised, so that the burn-dose guard acts first."""
    info = FIRMAT.info.model_copy(update={"temp_trip_dc": dc})
    return FIRMAT.model_copy(update={"info": info})


def test_the_burn_dose_guard_ends_a_session_below_the_skin_trip() -> None:
    rig = make_rig(trip_raised_to(480))
    assert rig.host.ok(GetInfoRequest()).temp_trip_dc == 480
    rig.host.ok(configure(intensity=0, setpoint_dc=520, override=True))  # skin 47 degC
    rig.start(1)
    hottest_skin = 0.0
    seconds = 0
    while rig.device.port_state(1) == PortState.RUNNING:
        rig.clock.advance(1)
        seconds += 1
        hottest_skin = max(hottest_skin, rig.device.hardware.ports[0].thermal.skin_dc)
        assert seconds < 7200
    assert hottest_skin < 480
    # At 47 degC a burn takes 6 h / 2^3 = 2700 s; a quarter of it is 675 s, plus warm-up.
    assert 675 < seconds < 675 + 600
    burn = rig.device.hardware.ports[0].burn
    assert 0.25 <= burn.dose < 0.25 + 1 / burn.t_burn_s(480)
    assert faults_and_ends(rig) == [
        FaultRaisedEvent(port=1, fault=F.BURN_DOSE),
        SessionEndedEvent(port=1, session_id=1, reason=EndReason.FAULT, delivered_s=seconds),
    ]
    assert rig.records()[0].end_reason == EndReason.FAULT


def test_the_burn_dose_fault_latches_and_clear_fault_resets_the_sum() -> None:
    rig = make_rig(trip_raised_to(480))
    rig.host.ok(configure(intensity=0, setpoint_dc=520, override=True))
    rig.start(1)
    rig.run_until_not_running()
    rig.host.take_events()
    assert rig.host.refused(StartRequest(port=1, session_id=2)) == (
        ErrorCode.OVER_TEMPERATURE,
        0,
        0,
    )
    rig.host.ok(ClearFaultRequest(port=1))  # the skin is still hot
    assert rig.host.take_events(FaultClearedEvent) == []
    rig.clock.advance(1800)
    assert rig.port().faults == F.BURN_DOSE
    rig.host.ok(ClearFaultRequest(port=1))
    assert rig.host.take_events(FaultClearedEvent) == [FaultClearedEvent(port=1, fault=F.BURN_DOSE)]
    assert rig.device.hardware.ports[0].burn.dose == 0
    rig.start(2)
    assert rig.device.port_state(1) == PortState.RUNNING


# Emitters and sensors: that port stops, the others run on.


def test_an_emitter_failure_stops_only_that_port(mp: Rig) -> None:
    mp.clock.advance(60)
    mp.device.set_emitter(2, False)
    assert faults_and_ends(mp) == [
        FaultRaisedEvent(port=2, fault=F.EMITTER_FAILURE),
        SessionEndedEvent(port=2, session_id=1, reason=EndReason.FAULT, delivered_s=60),
    ]
    assert not mp.device.output_on(2)
    assert mp.device.port_state(2) == PortState.FAULT
    assert mp.port(2).faults == F.EMITTER_FAILURE
    assert mp.device.port_state(1) == PortState.RUNNING
    assert mp.device.output_on(1)
    assert mp.status().state == DeviceState.RUNNING
    assert mp.host.refused(StartRequest(port=2, session_id=2)) == (
        ErrorCode.FAULT_ACTIVE,
        0,
        F.EMITTER_FAILURE,
    )


def test_an_emitter_failure_clears_when_mended(mp: Rig) -> None:
    mp.device.set_emitter(2, False)
    mp.host.take_events()
    mp.clock.advance(60)
    assert mp.port(2).faults == F.EMITTER_FAILURE
    mp.device.set_emitter(2, True)
    assert mp.host.take_events(FaultClearedEvent) == [
        FaultClearedEvent(port=2, fault=F.EMITTER_FAILURE)
    ]
    assert mp.device.port_state(2) == PortState.IDLE
    assert not mp.device.output_on(2)  # mending never restarts output
    mp.start(2, port=2)
    assert mp.device.output_on(2)


def test_a_start_on_a_failed_emitter_ends_at_once_with_the_fault() -> None:
    rig = make_rig("multiport")
    rig.host.ok(configure(port=0, intensity=1))
    rig.device.set_emitter(1, False)
    rig.start(3, port=1)
    assert faults_and_ends(rig) == [
        FaultRaisedEvent(port=1, fault=F.EMITTER_FAILURE),
        SessionEndedEvent(port=1, session_id=3, reason=EndReason.FAULT, delivered_s=0),
    ]
    assert not rig.device.output_on(1)


@pytest.mark.parametrize(
    ("state", "flag"), [("open", F.SENSOR_OPEN), ("short", F.SENSOR_SHORT)], ids=["open", "short"]
)
def test_a_broken_sensor_raises_its_fault_and_stops_that_port(
    mp: Rig, state: Any, flag: FaultFlags
) -> None:
    mp.clock.advance(30)
    mp.device.set_sensor(1, state)
    assert faults_and_ends(mp) == [
        FaultRaisedEvent(port=1, fault=flag),
        SessionEndedEvent(port=1, session_id=1, reason=EndReason.FAULT, delivered_s=30),
    ]
    port = mp.port(1)
    assert (port.temp_dc, port.skin_temp_dc) == (NO_READING, NO_READING)
    assert (port.state, port.faults) == (PortState.FAULT, flag)
    assert not mp.device.output_on(1)
    assert mp.device.output_on(2)
    assert mp.port(2).temp_dc != NO_READING
    assert mp.host.refused(StartRequest(port=1, session_id=2)) == (ErrorCode.FAULT_ACTIVE, 0, flag)
    mp.device.set_sensor(1, "ok")
    assert mp.host.take_events(FaultClearedEvent) == [FaultClearedEvent(port=1, fault=flag)]
    assert mp.port(1).temp_dc != NO_READING
    assert mp.device.port_state(1) == PortState.IDLE


# Pads (multiport).


def test_unplugging_a_pad_ends_that_ports_session_and_the_other_runs_on(mp: Rig) -> None:
    mp.clock.advance(120)
    mp.device.unplug_pad(2)
    events = mp.host.take_events()
    assert (
        SessionEndedEvent(port=2, session_id=1, reason=EndReason.PAD_DETACHED, delivered_s=120)
        in events
    )
    assert PadDetachedEvent(port=2) in events
    assert not any(isinstance(e, SessionEndedEvent) and e.port == 1 for e in events)
    assert not mp.device.output_on(2)
    port = mp.port(2)
    assert (port.state, port.pad_present, port.pad_type) == (PortState.NO_PAD, False, 0)
    assert mp.device.port_state(1) == PortState.RUNNING
    assert mp.device.output_on(1)
    assert mp.host.refused(StartRequest(port=2, session_id=2)) == (ErrorCode.NO_PAD, 0, 0)
    assert [r.end_reason for r in mp.records()] == [EndReason.PAD_DETACHED]


@pytest.mark.parametrize("pad_type", [1, 2])
def test_plugging_a_pad_reports_its_type(mp: Rig, pad_type: int) -> None:
    mp.device.unplug_pad(2)
    mp.host.take_events()
    mp.device.plug_pad(2, pad_type)
    assert mp.host.take_events() == [PadAttachedEvent(port=2, pad_type=pad_type)]
    port = mp.port(2)
    assert (port.state, port.pad_present, port.pad_type) == (PortState.IDLE, True, pad_type)
    assert not mp.device.output_on(2)  # a pad plugged in never starts output
    mp.start(2, port=2)
    assert mp.device.output_on(2)


def test_a_smaller_pad_draws_less_power() -> None:
    powers = {}
    for pad_type in (1, 2):
        rig = make_rig("multiport")
        rig.device.unplug_pad(1)
        rig.device.plug_pad(1, pad_type)
        rig.host.ok(configure(port=1, intensity=1))
        rig.start(1)
        rig.clock.advance(1)
        powers[pad_type] = rig.device.hardware.ports[0].power_mw
    pads = {pad.id: pad for pad in PROFILES["multiport"].physics.pads}
    assert powers == {1: pads[1].drive_mw, 2: pytest.approx(pads[2].drive_mw)}


# The charger.


@pytest.mark.parametrize("paused", [False, True])
def test_connecting_the_charger_ends_sessions_with_reason_charger(wb: Rig, paused: bool) -> None:
    wb.start(4)
    wb.clock.advance(100)
    if paused:
        wb.host.ok(PauseRequest(port=1))
    wb.host.take_events()
    wb.device.set_charger(True)
    assert wb.host.take_events() == [
        ChargerConnectedEvent(),
        SessionEndedEvent(port=1, session_id=4, reason=EndReason.CHARGER, delivered_s=100),
    ]
    assert not wb.device.output_on(1)
    status = wb.status()
    assert (status.state, status.charger_connected) == (DeviceState.CHARGING, True)


def test_no_start_while_charging_and_starts_again_once_unplugged(wb: Rig) -> None:
    wb.device.set_battery(50)
    wb.device.set_charger(True)
    assert wb.host.refused(StartRequest(port=1, session_id=1)) == (ErrorCode.CHARGING, 0, 0)
    wb.clock.advance(1080)  # a tenth of the charge time
    assert wb.status().battery_pct == 60
    wb.device.set_charger(False)
    assert wb.host.take_events() == [ChargerConnectedEvent(), ChargerDisconnectedEvent()]
    assert wb.status().state == DeviceState.IDLE
    wb.start(1)
    assert wb.device.port_state(1) == PortState.RUNNING


# The battery (DOMAIN rule 7).


def test_low_battery_warns_once_then_stops_output_at_the_cutoff() -> None:
    rig = make_rig("waistband", battery_pct=16)
    rig.host.ok(configure(duration_s=3600, intensity=3))
    rig.start(9)
    seconds = rig.run_until_not_running()
    events = rig.host.take_events()
    warnings = [e for e in events if isinstance(e, LowBatteryEvent)]
    assert len(warnings) == 1
    assert warnings[0].battery_pct == 15
    spec = PROFILES["waistband"].physics.battery
    assert spec.empty_mv < warnings[0].battery_mv < spec.full_mv
    assert [e for e in events if isinstance(e, FaultRaisedEvent | SessionEndedEvent)] == [
        FaultRaisedEvent(port=0, fault=F.BATTERY_CUTOFF),
        SessionEndedEvent(port=1, session_id=9, reason=EndReason.LOW_BATTERY, delivered_s=seconds),
    ]
    status = rig.status()
    assert status.battery_pct == 5
    assert (status.faults, status.state) == (F.BATTERY_CUTOFF, DeviceState.FAULT)
    assert not rig.device.output_on(1)
    # 10 % of a 58.6 kJ pack at 4.05 W: about 24 minutes.
    assert abs(seconds - 0.10 * 58608 / 4.05) <= 15
    assert rig.host.refused(StartRequest(port=1, session_id=10)) == (ErrorCode.LOW_BATTERY, 0, 0)
    assert rig.records()[0].end_reason == EndReason.LOW_BATTERY


def test_low_battery_warns_again_only_after_a_charge(wb: Rig) -> None:
    wb.device.set_battery(15)
    wb.device.set_battery(12)
    assert len(wb.host.take_events(LowBatteryEvent)) == 1
    wb.device.set_charger(True)
    wb.clock.advance(1080)  # +10 %
    wb.device.set_charger(False)
    wb.device.set_battery(14)
    assert [e.battery_pct for e in wb.host.take_events(LowBatteryEvent)] == [14]


@pytest.mark.parametrize(("pct", "code"), [(14, ErrorCode.LOW_BATTERY), (15, None)])
def test_no_start_below_battery_start_pct(wb: Rig, pct: int, code: ErrorCode | None) -> None:
    wb.device.set_battery(pct)
    request = StartRequest(port=1, session_id=1)
    if code is None:
        wb.host.ok(request)
    else:
        assert wb.host.refused(request) == (code, 0, 0)


def test_the_charger_lifts_the_battery_cutoff(wb: Rig) -> None:
    wb.device.set_battery(4)
    assert wb.host.take_events(FaultRaisedEvent) == [
        FaultRaisedEvent(port=0, fault=F.BATTERY_CUTOFF)
    ]
    wb.device.set_charger(True)
    wb.clock.advance(1)  # noticed at the next physics step
    assert wb.host.take_events(FaultClearedEvent) == [
        FaultClearedEvent(port=0, fault=F.BATTERY_CUTOFF)
    ]
    assert wb.status().faults == 0


# Internal fault: device level, every port.


def test_an_internal_fault_stops_every_port_until_cleared_on_port_0(mp: Rig) -> None:
    mp.clock.advance(45)
    mp.device.internal_fault()
    assert faults_and_ends(mp) == [
        FaultRaisedEvent(port=0, fault=F.INTERNAL),
        SessionEndedEvent(port=1, session_id=1, reason=EndReason.FAULT, delivered_s=45),
        SessionEndedEvent(port=2, session_id=1, reason=EndReason.FAULT, delivered_s=45),
    ]
    assert not mp.device.output_on(1)
    assert not mp.device.output_on(2)
    status = mp.status()
    assert (status.state, status.faults) == (DeviceState.FAULT, F.INTERNAL)
    assert [p.state for p in status.ports] == [PortState.FAULT, PortState.FAULT]
    assert mp.host.refused(StartRequest(port=1, session_id=2)) == (
        ErrorCode.FAULT_ACTIVE,
        0,
        F.INTERNAL,
    )
    # A port's clear does not reach the device's fault, and says it is still active.
    assert mp.host.ok(ClearFaultRequest(port=1)) == ClearFaultResponse(
        cleared=F(0), remaining=F.INTERNAL
    )
    assert mp.status().faults == F.INTERNAL
    mp.host.ok(ClearFaultRequest(port=0))
    assert mp.host.take_events(FaultClearedEvent) == [FaultClearedEvent(port=0, fault=F.INTERNAL)]
    assert mp.status().state == DeviceState.IDLE
    assert not mp.device.output_on(1)
    mp.start(2, port=0)
    assert mp.device.output_on(1)
    assert mp.device.output_on(2)


def test_clear_fault_with_nothing_to_clear_changes_nothing(wb: Rig) -> None:
    wb.host.ok(ClearFaultRequest(port=0))
    wb.host.ok(ClearFaultRequest(port=1))
    assert wb.host.take_events() == []
    assert wb.status().state == DeviceState.IDLE
