"""What IRLink 1.1 added to the device's behaviour, and what a 1.0 device does instead.

protocols/README.md 7.3 (booted), 7.4 (clear_fault's answer), 7.6 (the order of the state
checks), 7.8 (starts_left), 7.9 (the log beyond its end), 7.11 (the settings before the
first configure), section 5 (no reading) and section 11 (a 1.0 device's layouts).
"""

from __future__ import annotations

import pytest

from irlink.protocol import FrameDecoder, decode_message
from irlink.protocol.messages import (
    BootedEvent,
    ClearFaultRequest,
    ClearFaultResponse,
    ErrorCode,
    FaultFlags,
    GetInfoRequest,
    HeartbeatRequest,
    Mode,
    PauseRequest,
    PortState,
    ReadUsageLogRequest,
    ResetCause,
    ResumeRequest,
    StartRequest,
    StatusEvent,
    StopRequest,
    SubscribeRequest,
)
from irlink.sim.firmware import NO_DAILY_LIMIT
from irlink.sim.serve import Pipe
from tests.sim.rig import PROFILES, Rig, configure, make_rig

F = FaultFlags
E = ErrorCode
NO_READING = -32768


# 7.3: every boot is announced, and resets what it must.


def test_booted_is_the_first_frame_after_a_boot_with_counter_0_and_its_cause() -> None:
    # 1.1: a device with security (1.2) sends it on no link, a boot ending every session
    # (tests/security/test_device_security.py).
    rig = make_rig("waistband", protocol_minor=1)
    listener = Pipe(rig.device)  # a UART: the link stays up across the reboot
    rig.device.reboot(cause=ResetCause.WATCHDOG)
    [frame] = FrameDecoder().feed(listener.read_now())
    assert frame.seq == 0
    assert decode_message(frame) == BootedEvent(boot_count=2, cause=ResetCause.WATCHDOG)


def test_power_returning_is_announced_as_power_on() -> None:
    rig = make_rig("firmat", protocol_minor=1)  # 1.1's booted: see the test above
    rig.device.power_off()
    rig.device.power_on()
    assert rig.host.take_events(BootedEvent) == [
        BootedEvent(boot_count=2, cause=ResetCause.POWER_ON)
    ]


def test_a_1_0_device_announces_no_boot() -> None:
    rig = make_rig("waistband", protocol_minor=0)
    rig.device.reboot()
    rig.clock.advance(1)
    assert rig.host.take_events() == []
    assert rig.status().boot_count == 2  # the boot count still shows it


def test_a_boot_ends_the_subscription_and_the_heartbeat_and_restores_the_defaults() -> None:
    rig = make_rig("firmat")
    rig.host.ok(configure(duration_s=1200, intensity=0, setpoint_dc=560, override=True))
    rig.host.ok(SubscribeRequest(period_ms=1000))
    rig.host.ok(HeartbeatRequest(interval_ms=2000))
    rig.device.reboot()
    rig.host.take_events()
    rig.clock.advance(60)  # well past three missed heartbeats and many periods
    assert rig.host.take_events(StatusEvent) == []
    port = rig.port()
    # 7.11: the profile's defaults, the wrap's 43 degC setpoint included.
    assert (port.duration_s, port.intensity, port.mode, port.sham) == (
        3600,
        0,
        Mode.CONTINUOUS,
        False,
    )
    assert (port.setpoint_dc, port.override) == (430, False)


def test_a_boot_keeps_a_heat_latch_and_the_daily_count() -> None:
    rig = make_rig("waistband")
    rig.host.ok(configure())
    rig.start(1)
    rig.device.add_heat(1, 150)
    rig.clock.advance(1800)
    assert rig.port().faults & F.OVER_TEMPERATURE
    rig.device.reboot()
    port = rig.port()
    assert port.faults & F.OVER_TEMPERATURE  # never a way round clear_fault
    assert port.starts_left == 2  # the session before the reboot still counts


# 7.11 and 6.4: what configure set is readable, override included.


def test_override_is_readable_so_a_host_can_rebuild_a_configure() -> None:
    rig = make_rig("firmat")
    rig.host.ok(configure(intensity=0, setpoint_dc=560, override=True))
    port = rig.port()
    assert (port.setpoint_dc, port.override) == (560, True)
    rig.host.ok(configure(intensity=0, setpoint_dc=400))
    assert rig.port().override is False


def test_a_device_without_a_daily_limit_reports_255_starts_left_and_never_refuses() -> None:
    profile = PROFILES["waistband"]
    unlimited = profile.model_copy(
        update={"info": profile.info.model_copy(update={"max_starts_per_day": 0})}
    )
    rig = make_rig(unlimited)
    rig.host.ok(configure())
    for session_id in range(1, 6):
        rig.start(session_id)
        rig.clock.advance(1)
        rig.host.ok(StopRequest(port=1))
    assert rig.port().starts_left == NO_DAILY_LIMIT


# Section 5: no reading.


def test_an_empty_port_reports_no_reading_and_no_pad_type() -> None:
    rig = make_rig("multiport")
    rig.device.unplug_pad(2)
    port = rig.port(2)
    assert (port.state, port.pad_present, port.pad_type) == (PortState.NO_PAD, False, 0)
    assert (port.temp_dc, port.skin_temp_dc) == (NO_READING, NO_READING)
    assert rig.port(1).temp_dc != NO_READING


# 7.4: clear_fault says what it cleared and what remains.


def test_clear_fault_names_a_fault_that_clears_only_by_itself_as_remaining() -> None:
    rig = make_rig("waistband")
    rig.device.set_sensor(1, "open")
    answer = rig.host.ok(ClearFaultRequest(port=1))
    assert answer == ClearFaultResponse(cleared=F(0), remaining=F.SENSOR_OPEN)
    rig.device.set_sensor(1, "ok")
    assert rig.host.ok(ClearFaultRequest(port=1)) == ClearFaultResponse(
        cleared=F(0), remaining=F(0)
    )


def test_clear_fault_clears_a_latch_once_cool_and_says_so() -> None:
    rig = make_rig("waistband")
    rig.device.add_heat(1, 150)
    rig.clock.advance(1800)
    heat = F.OVER_TEMPERATURE | F.BURN_DOSE  # half an hour at 43 degC: both latch
    assert rig.port().faults == heat
    assert rig.host.ok(ClearFaultRequest(port=0)) == ClearFaultResponse(
        cleared=F(0), remaining=heat
    )
    rig.device.add_heat(1, 0)
    rig.clock.advance(3600)
    assert rig.host.ok(ClearFaultRequest(port=0)) == ClearFaultResponse(
        cleared=heat, remaining=F(0)
    )


def test_a_1_0_device_answers_clear_fault_with_an_empty_body() -> None:
    rig = make_rig("waistband", protocol_minor=0)
    assert rig.host.ok(ClearFaultRequest(port=1)) == ClearFaultResponse()


# 7.6: one answer for every request, whatever else is wrong.


def charger(rig: Rig) -> None:
    rig.device.set_charger(True)


def low(rig: Rig) -> None:
    rig.device.set_battery(10)


def hot(rig: Rig) -> None:
    rig.device.add_heat(1, 150)
    rig.clock.advance(1800)


def sensor(rig: Rig) -> None:
    rig.device.set_sensor(1, "open")


def running(rig: Rig) -> None:
    rig.start(1)


def three_today(rig: Rig) -> None:
    two_today(rig)
    rig.start(102)
    rig.host.ok(StopRequest(port=1))


def two_today(rig: Rig) -> None:
    for session_id in (100, 101):
        rig.start(session_id)
        rig.clock.advance(1)
        rig.host.ok(StopRequest(port=1))


START_ORDER = [
    ("charger before low battery", [low, charger], E.CHARGING),
    ("low battery before a heat latch", [hot, low], E.LOW_BATTERY),
    ("a heat latch before another fault", [hot, sensor], E.OVER_TEMPERATURE),
    ("another fault before the daily limit", [three_today, sensor], E.FAULT_ACTIVE),
    # The third start of the day runs: the fourth finds both a session and the limit.
    ("a running session before the daily limit", [two_today, running], E.SESSION_ACTIVE),
]


@pytest.mark.parametrize(
    ("conditions", "code"),
    [(c, code) for _, c, code in START_ORDER],
    ids=[name for name, _, _ in START_ORDER],
)
def test_start_answers_the_first_failing_check_in_the_specified_order(
    conditions: list[object], code: ErrorCode
) -> None:
    rig = make_rig("waistband")
    rig.host.ok(configure())
    for condition in conditions:
        condition(rig)  # type: ignore[operator]
    assert rig.host.refused(StartRequest(port=1, session_id=9))[0] is code


def test_start_on_a_missing_pad_comes_before_a_fault_on_the_other_port() -> None:
    rig = make_rig("multiport")
    rig.host.ok(configure(port=0, intensity=1))
    rig.device.unplug_pad(2)
    rig.device.set_sensor(1, "short")
    # Check by check over every port: no_pad (check 2) on port 2 before port 1's fault (5).
    assert rig.host.refused(StartRequest(port=0, session_id=3))[0] is E.NO_PAD


def test_resume_with_nothing_to_resume_is_no_session() -> None:
    rig = make_rig("waistband")
    assert rig.host.refused(ResumeRequest(port=1)) == (E.NO_SESSION, 0, 0)


def test_resume_of_a_paused_session_below_the_start_level_is_low_battery() -> None:
    rig = make_rig("waistband")
    rig.host.ok(configure())
    rig.start(1)
    rig.host.ok(PauseRequest(port=1))
    low(rig)
    assert rig.host.refused(ResumeRequest(port=1)) == (E.LOW_BATTERY, 0, 0)
    assert rig.port().state is PortState.PAUSED  # refused: nothing changed


# 7.9: the log beyond its end.


def test_reading_the_log_beyond_its_end_gets_no_records_and_the_indexes() -> None:
    rig = make_rig("waistband")
    rig.host.ok(configure())
    rig.start(1)
    rig.host.ok(StopRequest(port=1))
    for beyond in (1, 500, 0xFFFFFFFF):
        page = rig.host.ok(ReadUsageLogRequest(from_index=beyond, max_count=8))
        assert (page.oldest_index, page.next_index, page.records) == (0, 1, ())


# Section 11: a 1.0 device sends the 1.0 layouts.


def test_a_1_0_device_sends_device_info_and_status_without_the_1_1_fields() -> None:
    rig = make_rig("waistband", protocol_minor=0)
    info = rig.host.ok(GetInfoRequest())
    assert (info.protocol_minor, info.max_starts_per_day, info.setpoint_default_dc) == (
        None,
        None,
        None,
    )
    port = rig.port()
    assert (port.override, port.starts_left) == (None, None)


def test_a_fault_ends_a_paused_session_so_it_can_never_be_resumed_through_it() -> None:
    rig = make_rig("waistband")
    rig.host.ok(configure())
    rig.start(1)
    rig.host.ok(PauseRequest(port=1))
    rig.device.set_sensor(1, "open")
    assert rig.port().state is PortState.FAULT  # the paused session ended with the fault
    assert rig.host.refused(ResumeRequest(port=1)) == (E.NO_SESSION, 0, 0)
    assert not rig.device.output_on(1)
