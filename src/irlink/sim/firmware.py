"""The simulated firmware: the device side of IRLink v1 and its safety state machine.

Sans-I/O like the codec: :meth:`Firmware.receive` takes the bytes that arrived and
:meth:`Firmware.advance_to` moves the device's time on; every byte the device sends
goes out through ``reply`` (answers, to the link the request came from) or ``broadcast``
(events, to every link). The firmware owns each port's session timer and ends
sessions by itself; nothing the host does or fails to do keeps output on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from irlink.protocol.body import writer
from irlink.protocol.codec import DeviceCodec, Rejected
from irlink.protocol.messages import (
    PROTOCOL_VERSION,
    ChargerConnectedEvent,
    ChargerDisconnectedEvent,
    ClearFaultRequest,
    ClearFaultResponse,
    ConfigureRequest,
    ConfigureResponse,
    DeviceFamily,
    DeviceState,
    EndReason,
    ErrorCode,
    FaultClearedEvent,
    FaultFlags,
    FaultRaisedEvent,
    GetInfoRequest,
    GetInfoResponse,
    GetStatusRequest,
    HeartbeatRequest,
    HeartbeatResponse,
    LowBatteryEvent,
    Mode,
    PadAttachedEvent,
    PadDetachedEvent,
    PauseRequest,
    PauseResponse,
    PortState,
    PortStatus,
    ReadUsageLogRequest,
    ReadUsageLogResponse,
    ResumeRequest,
    ResumeResponse,
    SessionEndedEvent,
    SessionStartedEvent,
    StartRequest,
    StartResponse,
    Status,
    StatusEvent,
    StopRequest,
    StopResponse,
    SubscribeRequest,
    SubscribeResponse,
)
from irlink.protocol.plain import from_plain
from irlink.protocol.wire import Event, Request, Response
from irlink.sim.checks import Refused, check_configure, check_port
from irlink.sim.memory import CHECKPOINT_S, Checkpoint, NonVolatile
from irlink.sim.model import Drive, Hardware, PortHardware
from irlink.sim.model.ports import OFF

__all__ = ["MAX_STEP_S", "NO_READING", "Firmware", "PortConfig"]

MAX_STEP_S = 1.0  # longest physics step: thresholds are noticed within a second
NO_READING = -32768
DAY_S = 86400
EPS = 1e-9
# Fault bits as plain ints: the checks run every simulated second.
OVER_TEMPERATURE = int(FaultFlags.OVER_TEMPERATURE)
SENSOR_OPEN = int(FaultFlags.SENSOR_OPEN)
SENSOR_SHORT = int(FaultFlags.SENSOR_SHORT)
EMITTER_FAILURE = int(FaultFlags.EMITTER_FAILURE)
BURN_DOSE = int(FaultFlags.BURN_DOSE)
BATTERY_CUTOFF = int(FaultFlags.BATTERY_CUTOFF)
INTERNAL = int(FaultFlags.INTERNAL)
HEAT = OVER_TEMPERATURE | BURN_DOSE
LATCHED = HEAT | INTERNAL
_write_status = writer(Status)
_FLAGS: dict[int, FaultFlags] = {}


def _flags(value: int) -> FaultFlags:
    flags = _FLAGS.get(value)
    if flags is None:
        flags = _FLAGS[value] = FaultFlags(value)
    return flags


class StatusView(NamedTuple):
    """The fields of a status body, built cheaply for the body writer (no validation)."""

    state: DeviceState
    battery_pct: int
    battery_mv: int
    charger_connected: bool
    board_temp_dc: int
    faults: FaultFlags
    uptime_s: int
    boot_count: int
    ports: tuple[PortStatus, ...]


@dataclass
class PortConfig:
    """The parameters the next session on a port runs with (set by configure)."""

    duration_s: int
    intensity: int
    mode: Mode = Mode.CONTINUOUS
    pulse_hz: int = 0
    sham: bool = False
    setpoint_dc: int = 0


@dataclass
class PortSession:
    """A port as the firmware keeps it in RAM: configuration, session and latched faults."""

    hw: PortHardware
    config: PortConfig
    state: PortState = PortState.IDLE  # idle, running or paused; no_pad and fault are derived
    session_id: int = 0
    last_session_id: int = 0
    remaining: float = 0.0
    delivered: float = 0.0
    since_checkpoint: float = 0.0
    faults: int = 0
    started_uptime: float = field(default=0.0)

    @property
    def in_session(self) -> bool:
        """Whether a session is running or paused on this port."""
        return self.state in (PortState.RUNNING, PortState.PAUSED)


def default_config(hardware: Hardware) -> PortConfig:
    """What a port runs with before any configure: the default length, gentlest output."""
    info = hardware.profile.info
    setpoint = 0
    if info.has("heater"):
        # The highest panel level at or below 45 degC: DOMAIN's first-session range.
        levels = hardware.profile.physics.thermal.setpoint_levels_dc
        setpoint = max((v for v in levels if v <= 450), default=info.setpoint_min_dc)
    return PortConfig(
        info.session_default_s, 1 if info.intensity_levels else 0, setpoint_dc=setpoint
    )


class Firmware:
    """One boot of the device's firmware: RAM state over the hardware and flash it is given."""

    def __init__(
        self,
        hardware: Hardware,
        memory: NonVolatile,
        serial: str,
        now: float,
        reply: Callable[[bytes], None],
        broadcast: Callable[[bytes], None],
    ) -> None:
        self.hw = hardware
        self.info = hardware.profile.info
        self.memory = memory
        self.serial = serial
        self.reply = reply
        self.broadcast = broadcast
        self.codec = DeviceCodec()
        self.now = now
        self.boot_time = now
        self.ports = [PortSession(p, default_config(hardware)) for p in hardware.ports]
        self.device_faults = 0
        self.status_period = 0.0
        self.next_status = math.inf
        self.heartbeat_interval = 0.0
        self.heartbeat_deadline = math.inf
        self.log_busy_until = -math.inf
        self.battery_warned = False
        self._queued: list[Event | bytes] | None = None
        self._info = self._info_response()
        memory.boot()  # sessions the power loss cut short are logged; no events for them
        for record in memory.log:  # oldest first: each port's most recent session wins
            # A retried start of the session the power loss cut (or of any port's most
            # recent one) must still change nothing after the reboot (section 4).
            self.ports[record.port - 1].last_session_id = record.session_id
        self.hw.powered = True
        for port in self.ports:
            port.hw.drive = OFF
        self._check_faults()

    # Time.

    @property
    def uptime_s(self) -> int:
        """Whole seconds since this boot."""
        return int(self.now - self.boot_time + EPS)

    def next_deadline(self) -> float:
        """The next moment something is due: a session end, a status event, a heartbeat."""
        due = min(self.next_status, self.heartbeat_deadline)
        for port in self.ports:
            if port.state == PortState.RUNNING:
                due = min(due, self.now + port.remaining)
        return due

    def advance_to(self, t: float) -> None:
        """Run physics and timers up to device time ``t``, stopping at every deadline."""
        step, tick = self.hw.step, self._tick
        while self.now < t - EPS:
            now = self.now
            end = min(t, now + MAX_STEP_S, self.next_deadline())
            dt = end - now if end > now else 0.0
            step(dt)
            self.now = end
            tick(dt)

    def _tick(self, dt: float) -> None:
        running = False
        for port in self.ports:
            if port.state is PortState.RUNNING:
                running = True
                port.remaining -= dt
                port.delivered += dt
                port.since_checkpoint += dt
                if port.since_checkpoint >= CHECKPOINT_S - EPS:
                    self._checkpoint(port)
        if self.hw.battery is not None:
            self._check_battery()
        self._check_heat()
        if running:
            for port in self.ports:
                if port.state is PortState.RUNNING and port.remaining <= EPS:
                    self._end(port, EndReason.COMPLETED)
        if self.now >= self.heartbeat_deadline - EPS:
            self.heartbeat_deadline = math.inf
            self.heartbeat_interval = 0.0
            for port in self.ports:
                if port.in_session:
                    self._end(port, EndReason.LINK_LOST)
        if self.now >= self.next_status - EPS:
            self.next_status += self.status_period
            self._send_event(self.codec.event_body(StatusEvent.MSG_ID, self.status_body()))

    # Bytes in.

    def receive(self, data: bytes) -> None:
        """Serve every request in ``data``: the response first, then any events it caused."""
        for incoming in self.codec.feed(data):
            if isinstance(incoming, Rejected):
                self.reply(incoming.reply)
                continue
            request = incoming.message
            self._queued = []
            try:
                answer = self._serve(request)
                if isinstance(answer, bytes):
                    reply = self.codec.response_body(incoming.seq, request.MSG_ID, answer)
                else:
                    reply = self.codec.response(incoming.seq, answer)
            except Refused as refusal:
                reply = self.codec.error(
                    incoming.seq, request.MSG_ID, refusal.code, refusal.field, refusal.limit
                )
            events, self._queued = self._queued, None
            self.reply(reply)
            for event in events:
                self._send_event(event)

    def _serve(self, request: Request) -> Response | bytes:
        handler = getattr(self, f"_on_{request.NAME}")
        response: Response | bytes = handler(request)
        return response

    # Requests.

    def _on_get_info(self, request: GetInfoRequest) -> GetInfoResponse:
        return self._info

    def _on_get_status(self, request: GetStatusRequest) -> bytes:
        return self.status_body()

    def _on_configure(self, request: ConfigureRequest) -> ConfigureResponse:
        check_configure(request, self.info)
        targets = self._targets(request.port)
        if any(port.in_session for port in targets):
            raise Refused(ErrorCode.NOT_ALLOWED)
        for port in targets:
            port.config = PortConfig(
                request.duration_s,
                request.intensity,
                Mode(request.mode),
                request.pulse_hz,
                request.sham,
                request.setpoint_dc,
            )
        return ConfigureResponse()

    def _on_start(self, request: StartRequest) -> StartResponse:
        check_port(request.port, self.info)
        targets = self._targets(request.port)
        sid = request.session_id
        if all(sid in (port.session_id, port.last_session_id) for port in targets):
            return StartResponse()  # a repeat of a start that was carried out
        self._check_may_run()
        for port in targets:
            if port.in_session:
                raise Refused(ErrorCode.NOT_ALLOWED)
            if not port.hw.pad_present:
                raise Refused(ErrorCode.NO_PAD)
            if (port.faults | self.device_faults) & HEAT:
                raise Refused(ErrorCode.OVER_TEMPERATURE)
            if port.faults or self.device_faults:
                raise Refused(ErrorCode.NOT_ALLOWED)
            day_ago = self.now - DAY_S
            limit = self.hw.profile.physics.safety.max_sessions_per_day
            if self.memory.sessions_since(port.hw.number, day_ago) >= limit:
                raise Refused(ErrorCode.NOT_ALLOWED)
        for port in targets:
            self._begin(port, sid)
        self._check_faults()  # a failed emitter shows once it is driven
        return StartResponse()

    def _on_stop(self, request: StopRequest) -> StopResponse:
        check_port(request.port, self.info)
        for port in self._targets(request.port):
            if port.in_session:
                self._end(port, EndReason.STOPPED)
        return StopResponse()

    def _on_pause(self, request: PauseRequest) -> PauseResponse:
        check_port(request.port, self.info)
        targets = [port for port in self._targets(request.port) if port.in_session]
        if not targets:
            raise Refused(ErrorCode.NOT_ALLOWED)
        for port in targets:
            port.state = PortState.PAUSED
            port.hw.drive = OFF
        return PauseResponse()

    def _on_resume(self, request: ResumeRequest) -> ResumeResponse:
        check_port(request.port, self.info)
        targets = [port for port in self._targets(request.port) if port.in_session]
        if not targets:
            raise Refused(ErrorCode.NOT_ALLOWED)
        if any(port.state == PortState.PAUSED for port in targets):
            self._check_may_run()
        for port in targets:
            port.state = PortState.RUNNING
            port.hw.drive = self._drive(port.config)
        self._check_faults()
        return ResumeResponse()

    def _on_clear_fault(self, request: ClearFaultRequest) -> ClearFaultResponse:
        check_port(request.port, self.info)
        if request.port == 0 and self.device_faults & INTERNAL:
            self._clear(None, INTERNAL)
        for port in self._targets(request.port):
            cleared = port.faults & LATCHED
            if cleared & HEAT and (
                port.hw.thermal.skin_dc >= self.hw.profile.physics.thermal.normal_skin_max_dc
            ):
                cleared &= ~HEAT  # still hot: the cause has not gone
            if cleared & BURN_DOSE:
                port.hw.burn.dose = 0.0
            if cleared:
                self._clear(port, cleared)
        return ClearFaultResponse()

    def _on_subscribe(self, request: SubscribeRequest) -> SubscribeResponse:
        period = request.period_ms
        if period and period < self.info.status_period_min_ms:
            raise Refused(ErrorCode.OUT_OF_RANGE, 1, self.info.status_period_min_ms)
        self.status_period = period / 1000
        self.next_status = self.now + self.status_period if period else math.inf
        return SubscribeResponse(period_ms=period)

    def _on_heartbeat(self, request: HeartbeatRequest) -> HeartbeatResponse:
        if request.interval_ms > self.info.heartbeat_max_ms:
            raise Refused(ErrorCode.OUT_OF_RANGE, 1, self.info.heartbeat_max_ms)
        self.heartbeat_interval = request.interval_ms / 1000
        self.heartbeat_deadline = (
            self.now + self.info.heartbeat_misses * self.heartbeat_interval
            if request.interval_ms
            else math.inf
        )
        return HeartbeatResponse()

    def _on_read_usage_log(self, request: ReadUsageLogRequest) -> ReadUsageLogResponse:
        if self.now < self.log_busy_until:
            raise Refused(ErrorCode.BUSY)
        records = self.memory.read(request.from_index, request.max_count)
        return ReadUsageLogResponse(
            oldest_index=self.memory.oldest_index,
            next_index=self.memory.next_index,
            records=tuple(records),
        )

    # Sessions.

    def _targets(self, port: int) -> list[PortSession]:
        return self.ports if port == 0 else [self.ports[port - 1]]

    def _check_may_run(self) -> None:
        """The device-wide conditions for output: no charger, enough battery."""
        if self.hw.charger_connected and self.hw.profile.physics.safety.charge_blocks_therapy:
            raise Refused(ErrorCode.CHARGING)
        if self.hw.battery is not None and self.hw.battery_pct() < self.info.battery_start_pct:
            raise Refused(ErrorCode.LOW_BATTERY)

    def _drive(self, config: PortConfig) -> Drive:
        if config.sham:
            return OFF  # the trial's placebo: the pad board is simply not powered
        duty = self.info.pulse_duty_pct / 100 if config.mode == Mode.PULSED else 1.0
        return Drive(level=max(config.intensity, 1), duty=duty, setpoint_dc=config.setpoint_dc)

    def _begin(self, port: PortSession, session_id: int) -> None:
        port.state = PortState.RUNNING
        port.session_id = port.last_session_id = session_id
        port.remaining = float(port.config.duration_s)
        port.delivered = 0.0
        port.since_checkpoint = 0.0
        port.hw.drive = self._drive(port.config)
        self.memory.starts.setdefault(port.hw.number, []).append(self.now)
        self._checkpoint(port)
        self._event(
            SessionStartedEvent(
                port=port.hw.number, session_id=session_id, duration_s=port.config.duration_s
            )
        )

    def _checkpoint(self, port: PortSession) -> None:
        config = port.config
        port.since_checkpoint = 0.0
        self.memory.checkpoints[port.hw.number] = Checkpoint(
            session_id=port.session_id,
            port=port.hw.number,
            sham=config.sham,
            mode=config.mode,
            intensity=config.intensity,
            pulse_hz=config.pulse_hz,
            setpoint_dc=config.setpoint_dc,
            planned_s=config.duration_s,
            delivered_s=int(port.delivered + EPS),
            uptime_s=self.uptime_s,
            boot_count=self.memory.boot_count,
        )

    def _end(self, port: PortSession, reason: EndReason) -> None:
        delivered = int(port.delivered + EPS)
        self._checkpoint(port)
        self.memory.record(
            self.memory.checkpoints[port.hw.number], reason, delivered, self.uptime_s
        )
        sid = port.session_id
        port.state = PortState.IDLE
        port.session_id = 0
        port.remaining = 0.0
        port.hw.drive = OFF
        self._event(
            SessionEndedEvent(
                port=port.hw.number, session_id=sid, reason=reason, delivered_s=delivered
            )
        )

    def end_all(self, reason: EndReason) -> None:
        """End every running or paused session with ``reason``."""
        for port in self.ports:
            if port.in_session:
                self._end(port, reason)

    # Faults, battery, pads and charger.

    def _check_battery(self) -> None:
        battery = self.hw.battery
        if battery is None:
            return
        pct = int(battery.soc * 100 + 1e-9)
        if pct > self.info.battery_warn_pct and not self.battery_warned and not self.device_faults:
            return  # the common case, every physics step: nothing to do
        pct = battery.pct
        if pct <= self.info.battery_cutoff_pct and not self.hw.charger_connected:
            if not self.device_faults & BATTERY_CUTOFF:
                self._raise(None, BATTERY_CUTOFF, EndReason.LOW_BATTERY)
        elif self.device_faults & BATTERY_CUTOFF:
            self._clear(None, BATTERY_CUTOFF)
        if pct <= self.info.battery_warn_pct and not self.battery_warned:
            self.battery_warned = True
            self._event(LowBatteryEvent(battery_pct=pct, battery_mv=self.hw.battery_mv()))
        elif pct > self.info.battery_warn_pct:
            self.battery_warned = False

    def _check_heat(self) -> None:
        """The checks of every physics step: over-temperature and the burn-dose guard."""
        trip = self.info.temp_trip_dc
        for port in self.ports:
            hw = port.hw
            hot = hw.sensor == "ok" and hw.thermal.skin_dc >= trip
            if hot and not port.faults & OVER_TEMPERATURE:
                self._raise(port, OVER_TEMPERATURE)
            if hw.burn.tripped and not port.faults & BURN_DOSE:
                self._raise(port, BURN_DOSE)

    def _check_faults(self) -> None:
        """Every fault check: sensors and emitters (changed by the hardware), then heat."""
        for port in self.ports:
            hw = port.hw
            self._set_port_fault(port, SENSOR_OPEN, hw.sensor == "open")
            self._set_port_fault(port, SENSOR_SHORT, hw.sensor == "short")
            failed = not hw.emitter_ok and port.state == PortState.RUNNING and hw.drive.level > 0
            if failed or (hw.emitter_ok and port.faults & EMITTER_FAILURE):
                self._set_port_fault(port, EMITTER_FAILURE, failed)
        self._check_heat()

    def _set_port_fault(self, port: PortSession, bit: int, active: bool) -> None:
        if active and not port.faults & bit:
            self._raise(port, bit)
        elif not active and port.faults & bit:
            self._clear(port, bit)

    def _raise(
        self, port: PortSession | None, bit: int, reason: EndReason = EndReason.FAULT
    ) -> None:
        """Raise a fault: the event first, then the sessions it stops end with ``reason``."""
        if port:
            port.faults |= bit
        else:
            self.device_faults |= bit
        self._event(FaultRaisedEvent(port=port.hw.number if port else 0, fault=_flags(bit)))
        for each in [port] if port else self.ports:
            if each.in_session:
                self._end(each, reason)

    def _clear(self, port: PortSession | None, bits: int) -> None:
        if port:
            port.faults &= ~bits
        else:
            self.device_faults &= ~bits
        self._event(FaultClearedEvent(port=port.hw.number if port else 0, fault=_flags(bits)))

    def notice(self) -> None:
        """Look at the hardware now: battery and fault checks outside the physics step."""
        self._check_battery()
        self._check_faults()

    def internal_fault(self) -> None:
        """A device-level internal fault (a watchdog, a failed self-test): all output off."""
        if not self.device_faults & INTERNAL:
            self._raise(None, INTERNAL)

    def pad_changed(self, port_number: int) -> None:
        """The hardware saw a pad plugged or unplugged on a port."""
        port = self.ports[port_number - 1]
        if port.hw.pad_present:
            self._event(PadAttachedEvent(port=port_number, pad_type=port.hw.pad_type))
            return
        if port.in_session:
            self._end(port, EndReason.PAD_DETACHED)
        self._event(PadDetachedEvent(port=port_number))

    def charger_changed(self) -> None:
        """The hardware saw the charger connected or disconnected."""
        if not self.hw.charger_connected:
            self._event(ChargerDisconnectedEvent())
            return
        self._event(ChargerConnectedEvent())
        if self.hw.profile.physics.safety.charge_blocks_therapy:
            self.end_all(EndReason.CHARGER)

    # Bytes out.

    def _event(self, event: Event) -> None:
        self._send_event(event)

    def _send_event(self, event: Event | bytes) -> None:
        if self._queued is not None:
            self._queued.append(event)  # sent after the response that caused it
        elif isinstance(event, bytes):
            self.broadcast(event)
        else:
            self.broadcast(self.codec.event(event))

    def port_status(self, port: PortSession) -> PortStatus:
        """A port's status as the device reports it."""
        hw, config = port.hw, port.config
        state = port.state
        in_session = state is PortState.RUNNING or state is PortState.PAUSED
        if not in_session:
            if port.faults or self.device_faults:
                state = PortState.FAULT
            elif not hw.pad_present:
                state = PortState.NO_PAD
        reading = hw.sensor == "ok"
        values = (
            hw.number,
            state,
            hw.pad_present,
            hw.pad_type if hw.pad_present else 0,
            port.session_id,
            config.duration_s,
            math.ceil(port.remaining - EPS) if in_session else 0,
            config.intensity,
            config.mode,
            config.pulse_hz,
            config.sham,
            config.setpoint_dc,
            round(hw.thermal.temp_dc) if reading else NO_READING,
            round(hw.thermal.skin_dc) if reading else NO_READING,
            _flags(port.faults),
        )
        # Every value above is valid by construction: skip the named tuple's argument parsing.
        status: PortStatus = tuple.__new__(PortStatus, values)
        return status

    def device_state(self) -> DeviceState:
        """The whole device's state: running beats paused beats fault beats charging."""
        paused = faulted = False
        for port in self.ports:
            if port.state is PortState.RUNNING:
                return DeviceState.RUNNING
            paused = paused or port.state is PortState.PAUSED
            faulted = faulted or bool(port.faults)
        if paused:
            return DeviceState.PAUSED
        if faulted or self.device_faults:
            return DeviceState.FAULT
        if self.hw.charger_connected:
            return DeviceState.CHARGING
        return DeviceState.IDLE

    def status(self) -> StatusView:
        """The device's status now, as get_status and status events report it."""
        hw = self.hw
        values = (
            self.device_state(),
            hw.battery_pct(),
            hw.battery_mv(),
            hw.charger_connected,
            round(hw.board.temp_dc),
            _flags(self.device_faults),
            int(self.now - self.boot_time + EPS) & 0xFFFFFFFF,
            self.memory.boot_count,
            tuple([self.port_status(port) for port in self.ports]),
        )
        view: StatusView = tuple.__new__(StatusView, values)
        return view

    def status_body(self) -> bytes:
        """The wire body of the status now."""
        body: bytes = _write_status(self.status())
        return body

    def _info_response(self) -> GetInfoResponse:
        profile = self.hw.profile
        plain = {
            "protocol_version": PROTOCOL_VERSION,
            "family": DeviceFamily[profile.family.upper()].name.lower(),
            "model": profile.identity.model,
            "serial": self.serial,
            "firmware_version": profile.identity.firmware_version,
            "hardware_version": profile.identity.hardware_version,
            **profile.info.model_dump(mode="json"),
        }
        info: GetInfoResponse = from_plain(GetInfoResponse, plain)
        return info
