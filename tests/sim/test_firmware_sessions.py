"""Sessions through the wire: the device's timer, pause and resume, repeats, events, power.

protocols/README.md sections 4, 7.1-7.3 and 7.6; DOMAIN.md safety rules 1 and 2.
"""

from __future__ import annotations

from typing import Any

import pytest

from irlink.protocol import EventReceived, Reply
from irlink.protocol.messages import (
    BootedEvent,
    ClearFaultRequest,
    DeviceState,
    EndReason,
    ErrorCode,
    HeartbeatRequest,
    Mode,
    PauseRequest,
    PortState,
    ResumeRequest,
    SessionEndedEvent,
    SessionStartedEvent,
    StartRequest,
    StatusEvent,
    StopRequest,
    SubscribeRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim import memory as sim_memory
from tests.sim.rig import PROFILES, Rig, configure, make_rig

DAY_S = 86400


@pytest.fixture
def wb() -> Rig:
    return make_rig("waistband")


@pytest.fixture
def mp() -> Rig:
    return make_rig("multiport")


def start(rig: Rig, session_id: int = 1, port: int = 1, **config: Any) -> None:
    rig.host.ok(configure(port=port, **config))
    rig.host.ok(StartRequest(port=port, session_id=session_id))


# The device's timer (7.1).


def test_the_timer_ends_the_session_by_itself_at_exactly_its_duration(wb: Rig) -> None:
    start(wb, session_id=5, duration_s=600)
    assert wb.host.take_events(SessionStartedEvent) == [
        SessionStartedEvent(port=1, session_id=5, duration_s=600)
    ]
    wb.clock.advance(599.999)
    assert wb.device.port_state(1) == PortState.RUNNING
    assert wb.device.output_on(1)
    assert wb.host.take_events(SessionEndedEvent) == []
    wb.clock.advance(0.001)
    assert wb.host.take_events(SessionEndedEvent) == [
        SessionEndedEvent(port=1, session_id=5, reason=EndReason.COMPLETED, delivered_s=600)
    ]
    assert wb.device.port_state(1) == PortState.IDLE
    assert not wb.device.output_on(1)
    port = wb.port()
    assert (port.session_id, port.remaining_s) == (0, 0)


def test_a_completed_session_writes_its_usage_record(wb: Rig) -> None:
    start(wb, session_id=5, duration_s=600, intensity=2)
    wb.clock.advance(700)
    [record] = wb.records()
    assert record.session_id == 5
    assert record.port == 1
    assert record.end_reason == EndReason.COMPLETED
    assert (record.planned_s, record.delivered_s) == (600, 600)
    assert record.ended_uptime_s == 600
    assert (record.intensity, record.mode, record.sham) == (2, Mode.CONTINUOUS, False)
    assert record.boot_count == wb.status().boot_count


def test_remaining_counts_down_on_the_devices_timer(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.clock.advance(100)
    port = wb.port()
    assert (port.state, port.duration_s, port.remaining_s) == (PortState.RUNNING, 600, 500)
    wb.clock.advance(0.4)
    assert wb.port().remaining_s == 500  # whole seconds, rounded up: never shows 0 early


def test_pause_stops_the_timer_and_the_output(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.clock.advance(100)
    wb.host.ok(PauseRequest(port=1))
    hot = wb.port().temp_dc
    assert wb.device.port_state(1) == PortState.PAUSED
    assert wb.status().state == DeviceState.PAUSED
    assert not wb.device.output_on(1)
    wb.clock.advance(300)
    port = wb.port()
    assert port.remaining_s == 500
    assert port.temp_dc < hot  # no output: the pad cools
    assert wb.device.hardware.ports[0].power_mw == 0
    assert wb.host.take_events(SessionEndedEvent) == []


def test_resume_continues_timer_and_output_to_the_full_duration(wb: Rig) -> None:
    start(wb, session_id=3, duration_s=600)
    wb.clock.advance(100)
    wb.host.ok(PauseRequest(port=1))
    wb.clock.advance(300)
    wb.host.ok(ResumeRequest(port=1))
    assert wb.device.port_state(1) == PortState.RUNNING
    assert wb.device.output_on(1)
    wb.clock.advance(499)
    assert wb.port().remaining_s == 1
    wb.clock.advance(1)
    assert wb.host.take_events(SessionEndedEvent) == [
        SessionEndedEvent(port=1, session_id=3, reason=EndReason.COMPLETED, delivered_s=600)
    ]
    [record] = wb.records()
    assert record.ended_uptime_s == 900
    assert record.delivered_s == record.planned_s == 600


def test_stop_ends_the_session_with_the_time_delivered(wb: Rig) -> None:
    start(wb, session_id=4, duration_s=600)
    wb.clock.advance(100)
    wb.host.ok(StopRequest(port=1))
    assert wb.host.take_events(SessionEndedEvent) == [
        SessionEndedEvent(port=1, session_id=4, reason=EndReason.STOPPED, delivered_s=100)
    ]
    assert not wb.device.output_on(1)
    assert wb.device.port_state(1) == PortState.IDLE
    [record] = wb.records()
    assert (record.end_reason, record.planned_s, record.delivered_s) == (
        EndReason.STOPPED,
        600,
        100,
    )


def test_a_paused_session_delivers_only_the_time_it_ran(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.clock.advance(50)
    wb.host.ok(PauseRequest(port=1))
    wb.clock.advance(1000)
    wb.host.ok(StopRequest(port=1))
    [ended] = wb.host.take_events(SessionEndedEvent)
    assert ended.delivered_s == 50


# Repeats change nothing (section 4).


def test_stop_of_an_idle_port_succeeds_and_changes_nothing(wb: Rig) -> None:
    wb.host.ok(StopRequest(port=1))
    assert wb.host.take_events() == []
    assert wb.log().next_index == 0


def test_pause_of_a_paused_port_succeeds_and_changes_nothing(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.clock.advance(100)
    wb.host.ok(PauseRequest(port=1))
    wb.host.take_events()
    wb.clock.advance(10)
    wb.host.ok(PauseRequest(port=1))
    assert wb.host.take_events() == []
    assert (wb.port().state, wb.port().remaining_s) == (PortState.PAUSED, 500)


def test_resume_of_a_running_port_succeeds_and_changes_nothing(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.clock.advance(100)
    wb.host.take_events()
    wb.host.ok(ResumeRequest(port=1))
    assert wb.host.take_events() == []
    assert (wb.port().state, wb.port().remaining_s) == (PortState.RUNNING, 500)
    wb.clock.advance(500)
    [ended] = wb.host.take_events(SessionEndedEvent)
    assert ended.delivered_s == 600


def test_start_with_the_current_session_id_changes_nothing(wb: Rig) -> None:
    start(wb, session_id=9, duration_s=600)
    wb.clock.advance(100)
    wb.host.take_events()
    wb.host.ok(StartRequest(port=1, session_id=9))
    assert wb.host.take_events() == []  # no second session_started
    assert wb.port().remaining_s == 500  # the timer did not restart
    wb.clock.advance(500)
    assert wb.device.port_state(1) == PortState.IDLE
    assert [r.session_id for r in wb.records()] == [9]


def test_start_with_the_current_session_id_leaves_a_paused_session_paused(wb: Rig) -> None:
    start(wb, session_id=9, duration_s=600)
    wb.clock.advance(100)
    wb.host.ok(PauseRequest(port=1))
    wb.host.ok(StartRequest(port=1, session_id=9))
    assert (wb.port().state, wb.port().remaining_s) == (PortState.PAUSED, 500)
    assert not wb.device.output_on(1)


@pytest.mark.parametrize("ended_by", ["timer", "stop"])
def test_start_with_the_most_recent_session_id_after_it_ended_changes_nothing(
    wb: Rig, ended_by: str
) -> None:
    start(wb, session_id=9, duration_s=600)
    wb.clock.advance(100)
    if ended_by == "stop":
        wb.host.ok(StopRequest(port=1))
    else:
        wb.clock.advance(500)
    wb.host.take_events()
    wb.host.ok(StartRequest(port=1, session_id=9))  # its response was lost; the host retries
    assert wb.host.take_events() == []
    assert wb.device.port_state(1) == PortState.IDLE
    assert not wb.device.output_on(1)
    assert wb.log().next_index == 1


def test_start_with_a_new_session_id_after_the_last_one_ended_runs_a_new_session(
    wb: Rig,
) -> None:
    start(wb, session_id=9, duration_s=600)
    wb.host.ok(StopRequest(port=1))
    wb.host.ok(StartRequest(port=1, session_id=10))
    assert wb.device.port_state(1) == PortState.RUNNING
    assert wb.port().session_id == 10


@pytest.mark.parametrize("paused", [False, True])
def test_configure_during_a_session_is_refused_naming_the_session(wb: Rig, paused: bool) -> None:
    start(wb, duration_s=600, intensity=3)
    if paused:
        wb.host.ok(PauseRequest(port=1))
    assert wb.host.refused(configure(duration_s=1200, intensity=1)) == (
        ErrorCode.SESSION_ACTIVE,
        0,
        1,
    )
    port = wb.port()
    assert (port.duration_s, port.intensity) == (600, 3)
    wb.host.ok(StopRequest(port=1))
    wb.host.ok(configure(duration_s=1200, intensity=1))  # allowed again once it ended
    assert wb.port().duration_s == 1200


# Port 0 on the multiport (7.6).


def test_configure_port_0_sets_every_port(mp: Rig) -> None:
    mp.host.ok(configure(port=0, duration_s=900, intensity=1, mode=Mode.PULSED, pulse_hz=73))
    for port in mp.status().ports:
        assert (port.duration_s, port.intensity, port.mode, port.pulse_hz) == (
            900,
            1,
            Mode.PULSED,
            73,
        )


def test_start_port_0_gives_every_port_the_same_session_id(mp: Rig) -> None:
    start(mp, session_id=77, port=0, duration_s=600, intensity=1)
    assert mp.host.take_events(SessionStartedEvent) == [
        SessionStartedEvent(port=1, session_id=77, duration_s=600),
        SessionStartedEvent(port=2, session_id=77, duration_s=600),
    ]
    assert [(p.state, p.session_id) for p in mp.status().ports] == [(PortState.RUNNING, 77)] * 2
    assert mp.device.output_on(1)
    assert mp.device.output_on(2)
    mp.host.ok(StartRequest(port=0, session_id=77))  # a repeat
    assert mp.host.take_events(SessionStartedEvent) == []
    mp.clock.advance(600)
    ended = mp.host.take_events(SessionEndedEvent)
    assert [(e.port, e.session_id, e.reason) for e in ended] == [
        (1, 77, EndReason.COMPLETED),
        (2, 77, EndReason.COMPLETED),
    ]


def test_start_port_0_is_all_or_nothing(mp: Rig) -> None:
    mp.host.ok(configure(port=0, duration_s=600, intensity=1))
    mp.device.unplug_pad(2)
    assert mp.host.refused(StartRequest(port=0, session_id=5)) == (ErrorCode.NO_PAD, 0, 0)
    assert mp.device.port_state(1) == PortState.IDLE  # port 1 could have run: it did not
    assert not mp.device.output_on(1)
    assert mp.host.take_events(SessionStartedEvent) == []


def test_start_port_0_is_refused_when_one_port_already_runs(mp: Rig) -> None:
    mp.host.ok(configure(port=0, duration_s=600, intensity=1))
    mp.host.ok(StartRequest(port=1, session_id=1))
    assert mp.host.refused(StartRequest(port=0, session_id=2)) == (ErrorCode.SESSION_ACTIVE, 0, 1)
    assert mp.device.port_state(2) == PortState.IDLE
    assert mp.port(1).session_id == 1


def test_start_port_0_with_an_id_only_some_ports_carry_is_refused_and_changes_nothing(
    mp: Rig,
) -> None:
    mp.host.ok(configure(port=0, duration_s=600, intensity=1))
    mp.host.ok(StartRequest(port=1, session_id=7))
    mp.host.ok(StopRequest(port=1))
    mp.host.take_events()
    # Port 1's most recent session is 7, port 2 never ran it: not a repeat, not new.
    assert mp.host.refused(StartRequest(port=0, session_id=7)) == (ErrorCode.INVALID_VALUE, 2, 0)
    assert [p.state for p in mp.status().ports] == [PortState.IDLE, PortState.IDLE]
    assert mp.host.take_events(SessionStartedEvent) == []


def test_configure_port_0_is_all_or_nothing(mp: Rig) -> None:
    mp.host.ok(configure(port=0, duration_s=600, intensity=1))
    mp.host.ok(StartRequest(port=1, session_id=1))
    assert mp.host.refused(configure(port=0, duration_s=1200, intensity=1)) == (
        ErrorCode.SESSION_ACTIVE,
        0,
        1,
    )
    assert [p.duration_s for p in mp.status().ports] == [600, 600]  # port 2 unchanged too


def test_stop_port_0_stops_every_port(mp: Rig) -> None:
    start(mp, session_id=3, port=0, duration_s=600, intensity=1)
    mp.clock.advance(60)
    mp.host.ok(StopRequest(port=0))
    ended = mp.host.take_events(SessionEndedEvent)
    assert [(e.port, e.reason, e.delivered_s) for e in ended] == [
        (1, EndReason.STOPPED, 60),
        (2, EndReason.STOPPED, 60),
    ]


def test_each_port_has_its_own_session(mp: Rig) -> None:
    mp.host.ok(configure(port=0, duration_s=600, intensity=1))
    mp.host.ok(StartRequest(port=1, session_id=1))
    mp.clock.advance(300)
    mp.host.ok(StartRequest(port=2, session_id=2))
    mp.clock.advance(300)
    assert mp.device.port_state(1) == PortState.IDLE
    assert (mp.port(2).state, mp.port(2).remaining_s) == (PortState.RUNNING, 300)


# Status events and the event counter (section 4).


@pytest.mark.parametrize(
    ("period_ms", "seconds", "count"),
    [(250, 5, 20), (300, 3, 10), (500, 10, 20), (1000, 7, 7), (1500, 9, 6)],
)
def test_status_events_come_at_the_subscribed_period(
    wb: Rig, period_ms: int, seconds: int, count: int
) -> None:
    assert wb.host.ok(SubscribeRequest(period_ms=period_ms)).period_ms == period_ms
    wb.clock.advance(seconds - 0.001)
    assert len(wb.host.take_events(StatusEvent)) == count - 1
    wb.clock.advance(0.001)
    assert len(wb.host.take_events(StatusEvent)) == 1


def test_status_events_arrive_at_the_period_in_small_steps_too(wb: Rig) -> None:
    wb.host.ok(SubscribeRequest(period_ms=500))
    for _ in range(100):
        wb.clock.advance(0.1)
    assert len(wb.host.take_events(StatusEvent)) == 20


def test_subscribe_0_stops_status_events(wb: Rig) -> None:
    wb.host.ok(SubscribeRequest(period_ms=250))
    wb.clock.advance(2)
    assert len(wb.host.take_events(StatusEvent)) == 8
    assert wb.host.ok(SubscribeRequest(period_ms=0)).period_ms == 0
    wb.clock.advance(60)
    assert wb.host.take_events(StatusEvent) == []


def test_status_events_show_the_timer_counting_down(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.host.ok(SubscribeRequest(period_ms=1000))
    wb.clock.advance(5)
    events = wb.host.take_events(StatusEvent)
    assert [e.ports[0].remaining_s for e in events] == [599, 598, 597, 596, 595]
    assert {e.state for e in events} == {DeviceState.RUNNING}
    assert [e.uptime_s for e in events] == [1, 2, 3, 4, 5]


def test_the_event_counter_goes_up_by_one_per_event(mp: Rig) -> None:
    mp.host.ok(SubscribeRequest(period_ms=250))
    mp.host.ok(configure(port=0, duration_s=300, intensity=1))
    mp.host.ok(StartRequest(port=0, session_id=1))
    mp.clock.advance(10)
    mp.device.unplug_pad(2)
    mp.device.plug_pad(2)
    mp.clock.advance(300)
    events = mp.host.take_events()
    kinds = {type(event).__name__ for event in events}
    assert kinds >= {"StatusEvent", "SessionStartedEvent", "SessionEndedEvent", "PadAttachedEvent"}
    # Counter 0 was the booted event, sent at power-on before this host listened.
    assert mp.host.counters == list(range(1, len(events) + 1))
    assert len(events) > 1200


def test_requests_and_answers_do_not_move_the_event_counter(wb: Rig) -> None:
    start(wb, session_id=1)
    for _ in range(5):
        wb.status()
    wb.host.ok(StopRequest(port=1))
    assert wb.host.counters == [1, 2]  # 0 was booted, before this host listened


@pytest.mark.parametrize(
    ("request_", "event"),
    [
        (StartRequest(port=1, session_id=1), SessionStartedEvent),
        (StopRequest(port=1), SessionEndedEvent),
    ],
    ids=["start", "stop"],
)
def test_the_response_comes_before_the_events_it_causes(
    wb: Rig, request_: Any, event: type[Any]
) -> None:
    wb.host.ok(configure())
    if isinstance(request_, StopRequest):
        wb.host.ok(StartRequest(port=1, session_id=1))
    seq, data = wb.host.codec.request(request_)
    wb.host.pipe.write(data)
    incoming = wb.host.codec.feed(wb.host.pipe.read_now())
    assert len(incoming) == 2
    first, second = incoming
    assert isinstance(first, Reply)
    assert first.seq == seq
    assert isinstance(second, EventReceived)
    assert isinstance(second.message, event)


def test_the_response_to_clear_fault_comes_before_fault_cleared(wb: Rig) -> None:
    wb.device.internal_fault()
    wb.host.take_events()
    seq, data = wb.host.codec.request(ClearFaultRequest(port=0))
    wb.host.pipe.write(data)
    first, second = wb.host.codec.feed(wb.host.pipe.read_now())
    assert isinstance(first, Reply)
    assert first.seq == seq
    assert isinstance(second, EventReceived)
    assert type(second.message).__name__ == "FaultClearedEvent"


# Sham (7.4, 7.6).


def sham_and_real() -> tuple[Rig, Rig]:
    real, sham = make_rig("waistband"), make_rig("waistband")
    for rig, flag in ((real, False), (sham, True)):
        start(rig, session_id=21, duration_s=600, intensity=3, sham=flag)
    return real, sham


def test_a_sham_session_reports_like_a_real_one() -> None:
    real, sham = sham_and_real()
    for rig in (real, sham):
        rig.clock.advance(200)
    real_port, sham_port = real.port(), sham.port()
    same = ("state", "session_id", "duration_s", "remaining_s", "intensity", "mode", "pulse_hz")
    for name in same:
        assert getattr(sham_port, name) == getattr(real_port, name), name
    assert (real_port.sham, sham_port.sham) == (False, True)
    assert sham.status().state == real.status().state == DeviceState.RUNNING
    for rig in (real, sham):
        rig.clock.advance(400)
    real_events, sham_events = real.host.take_events(), sham.host.take_events()
    assert sham_events == real_events
    assert [type(e) for e in sham_events] == [SessionStartedEvent, SessionEndedEvent]
    [real_record], [sham_record] = real.records(), sham.records()
    assert sham_record == real_record._replace(sham=True)
    assert sham_record.delivered_s == 600  # the time the session ran


def test_a_sham_session_puts_out_nothing() -> None:
    real, sham = sham_and_real()
    assert real.device.output_on(1)
    assert not sham.device.output_on(1)
    sham.clock.advance(300)
    assert sham.device.hardware.ports[0].power_mw == 0
    assert sham.device.port_state(1) == PortState.RUNNING


def test_a_sham_session_drains_only_the_controller() -> None:
    real, sham = sham_and_real()
    for rig in (real, sham):
        rig.clock.advance(600)
    battery = sham.device.hardware.battery
    assert battery is not None
    controller_j = PROFILES["waistband"].physics.output.controller_mw / 1000 * 600
    assert battery.soc == pytest.approx(1 - controller_j / battery.capacity_j, rel=1e-9)
    real_battery = real.device.hardware.battery
    assert real_battery is not None
    assert real_battery.soc < battery.soc - 0.03


def test_a_sham_session_does_not_warm_the_pad() -> None:
    real, sham = sham_and_real()
    ambient = PROFILES["waistband"].physics.thermal.ambient_dc
    for rig in (real, sham):
        rig.clock.advance(590)
    assert sham.port().temp_dc == ambient
    assert real.port().temp_dc > ambient + 30


# Heartbeat and the link (7.2).


def test_missed_heartbeats_end_the_session_with_link_lost(wb: Rig) -> None:
    start(wb, session_id=2, duration_s=600)
    wb.host.ok(HeartbeatRequest(interval_ms=1000))
    wb.clock.advance(2.999)  # heartbeat_misses (3) intervals not yet passed
    assert wb.device.port_state(1) == PortState.RUNNING
    wb.clock.advance(0.001)
    assert wb.host.take_events(SessionEndedEvent) == [
        SessionEndedEvent(port=1, session_id=2, reason=EndReason.LINK_LOST, delivered_s=3)
    ]
    assert not wb.device.output_on(1)
    assert wb.device.end_reasons() == [EndReason.LINK_LOST]


def test_heartbeats_keep_a_session_running_and_the_last_one_counts(wb: Rig) -> None:
    start(wb, duration_s=600)
    for _ in range(30):
        wb.host.ok(HeartbeatRequest(interval_ms=2000))
        wb.clock.advance(5)  # under 3 x 2 s each time
    assert wb.device.port_state(1) == PortState.RUNNING
    wb.clock.advance(0.999)
    assert wb.device.port_state(1) == PortState.RUNNING
    wb.clock.advance(0.001)
    assert wb.device.end_reasons() == [EndReason.LINK_LOST]


def test_the_heartbeat_policy_disarms_itself_when_it_fires(wb: Rig) -> None:
    start(wb, session_id=1, duration_s=600)
    wb.host.ok(HeartbeatRequest(interval_ms=1000))
    wb.clock.advance(3)
    wb.host.ok(StartRequest(port=1, session_id=2))
    wb.clock.advance(600)
    assert wb.device.end_reasons() == [EndReason.LINK_LOST, EndReason.COMPLETED]


def test_heartbeat_0_disarms_the_policy(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.host.ok(HeartbeatRequest(interval_ms=1000))
    wb.clock.advance(2)
    wb.host.ok(HeartbeatRequest(interval_ms=0))
    wb.clock.advance(600)
    assert wb.device.end_reasons() == [EndReason.COMPLETED]


def test_a_paused_session_also_ends_when_heartbeats_stop(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.host.ok(HeartbeatRequest(interval_ms=1000))
    wb.host.ok(PauseRequest(port=1))
    wb.clock.advance(3)
    assert wb.device.end_reasons() == [EndReason.LINK_LOST]


def test_without_a_heartbeat_a_session_runs_on_while_the_link_is_cut(wb: Rig) -> None:
    start(wb, session_id=8, duration_s=600)
    wb.clock.advance(10)
    wb.device.cut_link(1200)
    wb.clock.advance(300)
    assert wb.device.port_state(1) == PortState.RUNNING
    assert wb.device.remaining_s(1) == 290
    assert wb.host.pipe.down
    wb.clock.advance(290)
    assert wb.device.port_state(1) == PortState.IDLE  # ended on time, link still down
    assert not wb.device.output_on(1)
    wb.clock.advance(700)  # the link is back
    assert wb.host.take_events(SessionEndedEvent) == []  # sent while the link was down: lost
    [record] = wb.records()
    assert (record.session_id, record.end_reason, record.delivered_s) == (
        8,
        EndReason.COMPLETED,
        600,
    )
    assert record.ended_uptime_s == 600


def test_the_event_counter_shows_events_lost_while_the_link_was_down(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.device.cut_link(700)
    wb.clock.advance(800)
    wb.host.ok(SubscribeRequest(period_ms=1000))
    wb.clock.advance(1)
    wb.host.take_events()
    assert wb.host.counters == [1, 3]  # session_ended (2) never arrived: a gap


def test_with_a_heartbeat_a_cut_link_ends_the_session_with_link_lost(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.host.ok(HeartbeatRequest(interval_ms=2000))
    wb.clock.advance(1)
    wb.device.cut_link(60)
    _, beat = wb.host.codec.request(HeartbeatRequest(interval_ms=2000))
    wb.host.pipe.write(beat)  # lost: the link is down, so the policy fires 6 s after t=0
    wb.clock.advance(4.999)
    assert wb.device.port_state(1) == PortState.RUNNING
    wb.clock.advance(0.001)
    assert wb.device.port_state(1) == PortState.IDLE
    wb.clock.advance(60)
    [record] = wb.records()
    assert (record.end_reason, record.delivered_s) == (EndReason.LINK_LOST, 6)


def test_a_link_that_comes_back_does_not_restart_or_extend_anything(wb: Rig) -> None:
    start(wb, session_id=4, duration_s=600)
    wb.host.ok(PauseRequest(port=1))
    wb.device.cut_link(30)
    wb.clock.advance(60)
    assert (wb.port().state, wb.port().remaining_s) == (PortState.PAUSED, 600)
    assert not wb.device.output_on(1)


# Power loss and restart (7.3, 7.6).


def power_cycle(device: SimulatedDevice, clock: ManualClock, how: str) -> None:
    if how == "reboot":
        device.reboot(off_s=5)
        assert not device.powered
        clock.advance(5)
    else:
        device.power_off()
        assert not device.powered
        clock.advance(5)
        device.power_on()
    assert device.powered


@pytest.mark.parametrize("how", ["reboot", "power_off"])
def test_after_a_power_loss_output_is_off_and_nothing_resumes(wb: Rig, how: str) -> None:
    start(wb, session_id=6, duration_s=600)
    wb.clock.advance(25)
    wb.host.take_events()
    before = wb.status()
    assert before.boot_count == 1
    assert before.uptime_s == 25
    power_cycle(wb.device, wb.clock, how)
    assert not wb.device.output_on(1)
    after = wb.status()
    assert after.boot_count == before.boot_count + 1
    assert after.uptime_s == 0
    assert after.state == DeviceState.IDLE
    assert (after.ports[0].state, after.ports[0].session_id, after.ports[0].remaining_s) == (
        PortState.IDLE,
        0,
        0,
    )
    wb.clock.advance(1200)
    assert not wb.device.output_on(1)
    assert wb.host.take_events(SessionStartedEvent) == []
    assert wb.status().uptime_s == 1200


@pytest.mark.parametrize(("cut_at", "delivered"), [(9, 0), (10, 10), (25, 20), (39.5, 30)])
def test_the_cut_session_is_logged_as_power_loss_at_its_last_checkpoint(
    wb: Rig, cut_at: float, delivered: int
) -> None:
    start(wb, session_id=6, duration_s=600, intensity=2)
    wb.clock.advance(cut_at)
    power_cycle(wb.device, wb.clock, "reboot")
    [record] = wb.records()
    assert record.session_id == 6
    assert record.end_reason == EndReason.POWER_LOSS
    assert record.delivered_s == delivered
    assert record.ended_uptime_s == delivered  # as of the same checkpoint
    assert record.planned_s == 600
    assert record.intensity == 2
    assert record.boot_count == 1  # the boot in which it ran


def test_a_power_loss_while_idle_logs_nothing(wb: Rig) -> None:
    start(wb, duration_s=600)
    wb.clock.advance(600)
    power_cycle(wb.device, wb.clock, "reboot")
    assert wb.device.end_reasons() == [EndReason.COMPLETED]


def test_a_retried_start_after_a_power_loss_does_not_run_the_session_again(wb: Rig) -> None:
    start(wb, session_id=6, duration_s=600)
    wb.clock.advance(25)
    wb.host.take_events()
    power_cycle(wb.device, wb.clock, "reboot")
    wb.host.ok(StartRequest(port=1, session_id=6))  # the host never saw the first answer
    assert wb.device.port_state(1) == PortState.IDLE
    assert not wb.device.output_on(1)
    assert wb.host.take_events(SessionStartedEvent) == []
    wb.host.ok(StartRequest(port=1, session_id=7))  # a new session is a new id
    assert wb.device.port_state(1) == PortState.RUNNING


@pytest.mark.parametrize("minor", [1, 2])
def test_the_event_counter_counts_from_boot(minor: int) -> None:
    wb = make_rig("waistband", protocol_minor=minor)
    start(wb, duration_s=600)
    wb.host.ok(StopRequest(port=1))
    power_cycle(wb.device, wb.clock, "reboot")
    wb.host.ok(StartRequest(port=1, session_id=2))
    # session_started 1, session_ended 2; after the reboot booted is 0, session_started 1.
    if minor == 1:
        assert wb.host.counters == [1, 2, 0, 1]
        assert isinstance(wb.host.events[2], BootedEvent)
    else:  # 1.2: booted goes out on no link (a boot ends every session), counter 0 all the same
        assert wb.host.counters == [1, 2, 1]
        assert not any(isinstance(event, BootedEvent) for event in wb.host.events)


# The usage log.


def test_an_empty_log(wb: Rig) -> None:
    log = wb.log()
    assert (log.oldest_index, log.next_index, log.records) == (0, 0, ())


def run_sessions(rig: Rig, count: int) -> None:
    """``count`` short stopped sessions on the waistband's one port, one a day."""
    for session_id in range(1, count + 1):
        rig.host.ok(StartRequest(port=1, session_id=session_id))
        rig.clock.advance(session_id)
        rig.host.ok(StopRequest(port=1))


def test_the_log_pages_with_max_count(wb: Rig) -> None:
    wb.host.ok(configure())
    run_sessions(wb, 3)
    assert wb.log().next_index == 3
    pages = [wb.log(i, 1).records for i in range(4)]
    assert [[r.log_index for r in page] for page in pages] == [[0], [1], [2], []]
    assert [page[0].delivered_s for page in pages[:3]] == [1, 2, 3]
    two = wb.log(0, 2)
    assert [r.session_id for r in two.records] == [1, 2]
    assert (two.oldest_index, two.next_index) == (0, 3)
    assert [r.session_id for r in wb.log(2, 8).records] == [3]


def test_the_log_drops_its_oldest_records_and_reads_from_the_oldest_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sim_memory, "LOG_CAPACITY", 4)  # a device with a small flash log
    mp = make_rig("multiport")
    mp.host.ok(configure(port=0, duration_s=300, intensity=1))
    for session_id in (1, 2, 3):  # two records each: one per port
        mp.host.ok(StartRequest(port=0, session_id=session_id))
        mp.clock.advance(10)
        mp.host.ok(StopRequest(port=0))
    log = mp.log(0, 8)  # from_index before the oldest kept
    assert (log.oldest_index, log.next_index) == (2, 6)
    assert [(r.log_index, r.session_id, r.port) for r in log.records] == [
        (2, 2, 1),
        (3, 2, 2),
        (4, 3, 1),
        (5, 3, 2),
    ]
    assert [r.log_index for r in mp.log(1, 2).records] == [2, 3]
    assert [r.log_index for r in mp.log(3, 2).records] == [3, 4]
    assert mp.log(6, 8).records == ()
    assert mp.log(1000, 8).records == ()


def test_log_indexes_are_never_reused_across_reboots(wb: Rig) -> None:
    wb.host.ok(configure())
    run_sessions(wb, 2)
    power_cycle(wb.device, wb.clock, "reboot")
    wb.host.ok(StartRequest(port=1, session_id=3))
    wb.host.ok(StopRequest(port=1))
    log = wb.log()
    assert [r.log_index for r in log.records] == [0, 1, 2]
    assert [r.boot_count for r in log.records] == [1, 1, 2]


# The daily limit (section 7.5): max_starts_per_day starts per port in any 24 hours.


def test_a_fourth_start_within_24_hours_is_not_allowed(wb: Rig) -> None:
    wb.host.ok(configure())
    assert wb.port().starts_left == 3
    run_sessions(wb, 3)  # started at 0, 1 and 3 s
    assert wb.port().starts_left == 0
    assert wb.host.refused(StartRequest(port=1, session_id=4)) == (ErrorCode.DAILY_LIMIT, 0, 3)
    assert wb.device.port_state(1) == PortState.IDLE
    wb.clock.advance(DAY_S - 7)  # 1 s short of 24 h after the first start
    assert wb.host.refused(StartRequest(port=1, session_id=4)) == (ErrorCode.DAILY_LIMIT, 0, 3)
    wb.clock.advance(2)
    assert wb.port().starts_left == 1  # the first start is now more than 24 h ago
    wb.host.ok(StartRequest(port=1, session_id=4))
    assert wb.device.port_state(1) == PortState.RUNNING
    wb.host.ok(StopRequest(port=1))
    # The starts at 1 s and 3 s are still within the last 24 h: 3 again.
    assert wb.host.refused(StartRequest(port=1, session_id=5)) == (ErrorCode.DAILY_LIMIT, 0, 3)


def test_repeats_of_a_start_do_not_count_toward_the_daily_limit(wb: Rig) -> None:
    wb.host.ok(configure())
    wb.host.ok(StartRequest(port=1, session_id=1))
    for _ in range(5):
        wb.host.ok(StartRequest(port=1, session_id=1))
    wb.host.ok(StopRequest(port=1))
    for session_id in (2, 3):
        wb.host.ok(StartRequest(port=1, session_id=session_id))
        wb.host.ok(StopRequest(port=1))
    assert wb.host.refused(StartRequest(port=1, session_id=4)) == (ErrorCode.DAILY_LIMIT, 0, 3)


def test_the_daily_limit_is_per_port(mp: Rig) -> None:
    mp.host.ok(configure(port=0, duration_s=300, intensity=1))
    for session_id in (1, 2, 3):
        mp.host.ok(StartRequest(port=1, session_id=session_id))
        mp.host.ok(StopRequest(port=1))
    assert mp.host.refused(StartRequest(port=1, session_id=4)) == (ErrorCode.DAILY_LIMIT, 0, 3)
    mp.host.ok(StartRequest(port=2, session_id=4))
    assert mp.device.port_state(2) == PortState.RUNNING


def test_the_daily_limit_survives_a_reboot(wb: Rig) -> None:
    wb.host.ok(configure())
    run_sessions(wb, 3)
    power_cycle(wb.device, wb.clock, "reboot")
    assert wb.host.refused(StartRequest(port=1, session_id=4)) == (ErrorCode.DAILY_LIMIT, 0, 3)
