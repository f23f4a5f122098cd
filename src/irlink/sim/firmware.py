"""The simulated firmware: the device side of IRLink 1.2 (or 1.1, 1.0) and its safety state machine.

Sans-I/O like the codec: :meth:`Firmware.receive` takes the bytes that arrived, and
where its answers go (the link they came from), and :meth:`Firmware.advance_to` moves
the device's time on; every other byte the device sends (events, to every link) goes
out through ``broadcast``. On a device with the ``secure`` capability a
:class:`~irlink.sim.guard.Guard` stands between the links and the firmware (pairing,
verified sessions, sealed frames). The firmware owns each port's session timer and ends
sessions by itself; nothing the host does or fails to do keeps output on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from irlink.protocol.body import writer
from irlink.protocol.codec import DeviceCodec
from irlink.protocol.errors import MessageError
from irlink.protocol.framing import Frame, FrameDecoder
from irlink.protocol.messages import (
    ERROR_CODE_SINCE,
    REQUESTS,
    BootedEvent,
    ClearFaultRequest,
    ClearFaultResponse,
    ConfigureRequest,
    ConfigureResponse,
    DeviceState,
    EndReason,
    ErrorCode,
    GetInfoRequest,
    GetInfoResponse,
    GetStatusRequest,
    HeartbeatRequest,
    HeartbeatResponse,
    Mode,
    PauseRequest,
    PauseResponse,
    PortState,
    PortStatus,
    ReadUsageLogRequest,
    ReadUsageLogResponse,
    ResetCause,
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
from irlink.protocol.wire import Event, Response
from irlink.sim.checks import Refused, check_configure, check_port
from irlink.sim.memory import CHECKPOINT_S, Checkpoint, NonVolatile
from irlink.sim.model import Drive, Hardware
from irlink.sim.model.ports import OFF
from irlink.sim.safety import Safety
from irlink.sim.state import (
    BURN_DOSE,
    EPS,
    FLAGS,
    HEAT,
    INTERNAL,
    LATCHED,
    RUNNING,
    SIM_MINOR,
    PortConfig,
    PortSession,
    StatusView,
    default_config,
    device_state,
    info_response,
    port_status,
)

if TYPE_CHECKING:
    from irlink.sim.guard import Guard
    from irlink.sim.link import Link

__all__ = ["MAX_STEP_S", "Firmware"]

MAX_STEP_S = 1.0  # longest physics step: thresholds are noticed within a second
# With every port idle, cool and without outside heat nothing can trip within a minute, so
# idle time moves in minutes: an accelerated simulator stays cheap when nothing runs.
IDLE_STEP_S = 60.0
IDLE_MARGIN_DC = 100
DAY_S = 86400
NO_DAILY_LIMIT = 255  # port_status.starts_left of a device without a daily limit


class Firmware(Safety):
    """One boot of the device's firmware: RAM state over the hardware and flash it is given."""

    def __init__(
        self,
        hardware: Hardware,
        memory: NonVolatile,
        serial: str,
        now: float,
        broadcast: Callable[[bytes], None],
        *,
        minor: int = SIM_MINOR,
        cause: ResetCause = ResetCause.POWER_ON,
        guard: Guard | None = None,
    ) -> None:
        self.hw = hardware
        self.guard = guard  # IRLink 1.2 security, on a device with the secure capability
        self.info = hardware.profile.info
        self.memory = memory
        self.serial = serial
        self.broadcast = broadcast
        self.minor = minor  # the protocol revision this firmware speaks: 1.minor
        self.codec = DeviceCodec(minor=minor)
        # Each link has its own receiver (a UART, a BLE connection, a TCP socket): bytes of
        # two links never meet in one buffer, so a partial frame on one cannot spoil a frame
        # on another. Every link's decoder counts into codec.decoder.stats (the device's).
        self._decoders: dict[Link, FrameDecoder] = {}
        self._write_status = writer(Status, minor)
        self.now = now
        self.boot_time = now
        self.ports = [PortSession(p, default_config(hardware)) for p in hardware.ports]
        self.device_faults = 0
        self.status_period = 0.0
        self.next_status = math.inf
        self.heartbeat_deadline = math.inf
        self.log_busy_until = -math.inf
        self.battery_warned = False
        self._running = False  # a port ran in the last tick (or has just started)
        self._queued: list[Event | bytes] | None = None
        self._info = info_response(hardware, serial, minor)
        memory.boot()  # sessions the power loss cut short are logged; no events for them
        for record in memory.log:  # oldest first: each port's most recent session wins
            # A retried start of the session the power loss cut (or of any port's most
            # recent one) must still change nothing after the reboot (section 4).
            self.ports[record.port - 1].last_session_id = record.session_id
        self.hw.powered = True
        for port in self.ports:
            port.hw.drive = OFF
            # A heat latch is in flash: a reset must not be a way round clear_fault.
            port.faults = memory.latched.get(port.hw.number, 0)
        if minor >= 1:
            # The first frame of every boot, on every link still up (a UART does not drop):
            # the host learns of the restart at once, not when status stops coming.
            self.broadcast(self.codec.event(BootedEvent(boot_count=memory.boot_count, cause=cause)))
        self._check_faults()

    # Time.

    @property
    def uptime_s(self) -> int:
        """Whole seconds since this boot."""
        return int(self.now - self.boot_time + EPS)

    def next_deadline(self) -> float:
        """The next moment something is due: a session end, a status event, a heartbeat."""
        due = self.next_status
        due = min(due, self.heartbeat_deadline)
        for port in self.ports:
            if port.state is RUNNING and self.now + port.remaining < due:
                due = self.now + port.remaining
        return due

    def advance_to(self, t: float) -> None:
        """Run physics and timers up to device time ``t``, stopping at every deadline."""
        step, tick = self.hw.step, self._tick
        while self.now < t - EPS:
            now = self.now
            longest = MAX_STEP_S if self._running or self._busy() else IDLE_STEP_S
            end = min(t, now + longest, self.next_deadline())
            if end <= now:  # a deadline already due: its tick below handles it
                end = min(t, now + MAX_STEP_S)
            dt = end - now
            step(dt)
            self.now = end
            tick(dt)

    def _busy(self) -> bool:
        """Whether output may be on or a fault may be near: then time moves a second at a time."""
        # One plain loop, no generators: on a real clock an idle device asks this at every
        # catch-up.
        near = self.info.temp_trip_dc - IDLE_MARGIN_DC
        for port in self.ports:
            hw = port.hw
            thermal = hw.thermal
            if (
                port.in_session
                or hw.extra_rise_dc
                or thermal.temp_dc - thermal.skin_offset_dc >= near
            ):
                return True
        return False

    def _tick(self, dt: float) -> None:
        running = False
        for port in self.ports:
            if port.state is RUNNING:
                running = True
                port.remaining -= dt
                port.delivered += dt
                port.since_checkpoint += dt
                if port.since_checkpoint >= CHECKPOINT_S - EPS:
                    self._checkpoint(port)
        self._running = running
        if self.hw.battery is not None:
            self._check_battery()
        self._check_heat()
        if running:
            for port in self.ports:
                if port.state is RUNNING and port.remaining <= EPS:
                    self._end(port, EndReason.COMPLETED)
        if self.now >= self.heartbeat_deadline - EPS:
            self.heartbeat_deadline = math.inf
            for port in self.ports:
                if port.in_session:
                    self._end(port, EndReason.LINK_LOST)
        if self.now >= self.next_status - EPS:
            self.next_status += self.status_period
            # Ticks never run inside a request, so nothing is queued: send at once.
            self.broadcast(self.codec.event_body(StatusEvent.MSG_ID, self.status_body()))

    # Bytes in.

    def receive(
        self, data: bytes, reply: Callable[[bytes], None], link: Link | None = None
    ) -> None:
        """Serve every request in ``data``: ``reply`` gets each answer, then its events go out.

        The bytes of each ``link`` are read by a decoder of its own (without a link, by
        :attr:`codec`'s). On a device with the ``secure`` capability each frame passes the
        :attr:`guard` first, with the ``link`` it came on (its verified session, or none).
        """
        if link is None:
            decoder = self.codec.decoder
        else:
            found = self._decoders.get(link)
            if found is None:
                found = self._decoders[link] = FrameDecoder(self.codec.decoder.stats)
            decoder = found
        guard = self.guard
        if guard is not None:
            assert link is not None, "a secure device serves frames of a link"
            for frame in decoder.feed(data):
                guard.frame(self, frame, link, reply)
            return
        for frame in decoder.feed(data):
            out, events = self.answer(frame)
            reply(out)  # answers go back on the link they came on
            for event in events:
                self._send_event(event)

    def forget(self, link: Link) -> None:
        """The link closed: the bytes of a frame it left unfinished go with it."""
        self._decoders.pop(link, None)

    def answer(self, frame: Frame) -> tuple[bytes, list[Event | bytes]]:
        """The answer to one intact frame, and the events it caused, to send after it."""
        # The frames are read here rather than by DeviceCodec.feed: no RequestReceived, and
        # no list of them, per request.
        codec = self.codec
        try:
            request = codec.read_request(frame)
        except MessageError as exc:
            return codec.rejected(frame, exc).reply, []
        _, seq, msg_id, _, _ = frame
        events: list[Event | bytes] = []
        self._queued = events
        try:
            handler = _HANDLERS.get(msg_id)
            if handler is None:
                # A 1.2 pairing message on a device without the secure capability.
                out = codec.error(seq, msg_id, ErrorCode.UNKNOWN_MESSAGE)
            else:
                answer = handler(self, request)
                if isinstance(answer, bytes):
                    out = codec.response_body(seq, msg_id, answer)
                else:
                    out = codec.response(seq, answer)
        except Refused as refusal:
            code, field, limit = refusal.code, refusal.field, refusal.limit
            if ERROR_CODE_SINCE.get(code, 0) > self.minor:
                # An older revision had one code for every refusal of state.
                code, field, limit = ErrorCode.NOT_ALLOWED, 0, 0
            out = codec.error(seq, msg_id, code, field, limit)
        finally:
            self._queued = None
        return out, events

    def send_events(self, events: list[Event | bytes]) -> None:
        """Send the events a request caused, once its answer is out."""
        for event in events:
            self._send_event(event)

    # Requests.

    def _on_get_info(self, request: GetInfoRequest) -> GetInfoResponse:
        return self._info

    def _on_get_status(self, request: GetStatusRequest) -> bytes:
        body: bytes = self._write_status(self.status())  # status_body(), without its call
        return body

    def _on_configure(self, request: ConfigureRequest) -> ConfigureResponse:
        check_configure(request, self.info)
        targets = self._targets(request.port)
        for port in targets:
            if port.in_session:
                raise Refused(ErrorCode.SESSION_ACTIVE, 0, port.session_id)
        for port in targets:
            port.config = PortConfig(
                request.duration_s,
                request.intensity,
                Mode(request.mode),
                request.pulse_hz,
                request.sham,
                request.setpoint_dc,
                request.override,
            )
        return ConfigureResponse()

    def _on_start(self, request: StartRequest) -> StartResponse:
        check_port(request.port, self.info)
        targets = self._targets(request.port)
        sid = request.session_id
        carried = [sid in (port.session_id, port.last_session_id) for port in targets]
        if all(carried):
            return StartResponse()  # a repeat of a start that was carried out
        if any(carried):
            # Some ports ran this id already: starting the rest under it would make two
            # sessions of one id on those ports. The host must choose a new id.
            raise Refused(ErrorCode.INVALID_VALUE, 2)
        self._check_start(targets)
        for port in targets:
            self._begin(port, sid)
        self._check_faults()  # a failed emitter shows once it is driven
        return StartResponse()

    def _check_start(self, targets: list[PortSession]) -> None:
        """The start checks in the spec's order (section 7.5); the first failure refuses."""
        self._check_charger()
        for port in targets:
            if not port.hw.pad_present:
                raise Refused(ErrorCode.NO_PAD)
        self._check_battery_to_start()
        self._check_faults_to_run(targets)
        for port in targets:
            if port.in_session:
                raise Refused(ErrorCode.SESSION_ACTIVE, 0, port.session_id)
        for port in targets:
            if self.starts_left(port) == 0:
                raise Refused(ErrorCode.DAILY_LIMIT, 0, self.info.max_starts_per_day)

    def _check_faults_to_run(self, ports: list[PortSession]) -> None:
        """A heat latch (over_temperature), then any other fault (fault_active), port by port."""
        for port in ports:
            if (port.faults | self.device_faults) & HEAT:
                raise Refused(ErrorCode.OVER_TEMPERATURE)
        for port in ports:
            if port.faults | self.device_faults:
                raise Refused(ErrorCode.FAULT_ACTIVE, 0, port.faults | self.device_faults)

    def starts_left(self, port: PortSession) -> int:
        """Starts the port may still make in the last 24 h; 255 without a daily limit."""
        limit = self.info.max_starts_per_day
        if not limit:
            return NO_DAILY_LIMIT
        if not self.memory.starts.get(port.hw.number):  # every status asks: the common case
            return limit
        return max(0, limit - self.memory.sessions_since(port.hw.number, self.now - DAY_S))

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
            raise Refused(ErrorCode.NO_SESSION)
        for port in targets:
            port.state = PortState.PAUSED
            port.hw.drive = OFF
        return PauseResponse()

    def _on_resume(self, request: ResumeRequest) -> ResumeResponse:
        check_port(request.port, self.info)
        targets = [port for port in self._targets(request.port) if port.in_session]
        if not targets:
            raise Refused(ErrorCode.NO_SESSION)
        paused = [port for port in targets if port.state == PortState.PAUSED]
        if paused:
            self._check_charger()
            self._check_battery_to_start()
            # A fault ends a paused session too, so none should be found here; checked all
            # the same, in the order of section 7.6.
            self._check_faults_to_run(paused)
        for port in targets:
            port.state = PortState.RUNNING
            port.hw.drive = self._drive(port.config)
            self._running = True
        self._check_faults()
        return ResumeResponse()

    def _on_clear_fault(self, request: ClearFaultRequest) -> ClearFaultResponse:
        check_port(request.port, self.info)
        done = 0
        if request.port == 0 and self.device_faults & INTERNAL:
            self._clear(None, INTERNAL)
            done |= INTERNAL
        targets = self._targets(request.port)
        for port in targets:
            cleared = port.faults & LATCHED
            if cleared & HEAT and (
                port.hw.sensor != "ok"  # no reading: the firmware cannot know it has cooled
                or port.hw.thermal.skin_dc >= self.hw.profile.physics.thermal.normal_skin_max_dc
            ):
                cleared &= ~HEAT  # still hot: the cause has not gone
            if cleared & BURN_DOSE:
                port.hw.burn.dose = 0.0
            if cleared:
                self._clear(port, cleared)
                done |= cleared
        remaining = self.device_faults
        for port in targets:
            remaining |= port.faults
        if self.minor < 1:
            return ClearFaultResponse()
        return ClearFaultResponse(cleared=FLAGS[done], remaining=FLAGS[remaining])

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
        self.heartbeat_deadline = (
            self.now + self.info.heartbeat_misses * request.interval_ms / 1000
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

    def _check_charger(self) -> None:
        if self.hw.charger_connected and self.hw.profile.physics.safety.charge_blocks_therapy:
            raise Refused(ErrorCode.CHARGING)

    def _check_battery_to_start(self) -> None:
        # Without the battery capability there is no charge to check (section 7.4).
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
        self._running = True
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
        return port_status(port, self.device_faults, self.starts_left(port))

    def device_state(self) -> DeviceState:
        """The whole device's state: running beats paused beats fault beats charging."""
        return device_state(self.ports, self.device_faults, self.hw.charger_connected)

    def status(self) -> StatusView:
        """The device's status now, as get_status and status events report it."""
        hw, faults, ports = self.hw, self.device_faults, self.ports
        battery = hw.battery
        values = (
            device_state(ports, faults, hw.charger_connected),
            battery.pct if battery else 0,
            round(battery.voltage_mv(hw.load_mw)) if battery else 0,
            hw.charger_connected,
            round(hw.board.temp_dc),
            FLAGS[faults],
            int(self.now - self.boot_time + EPS) & 0xFFFFFFFF,
            self.memory.boot_count,
            tuple([port_status(port, faults, self.starts_left(port)) for port in ports]),
        )
        view: StatusView = tuple.__new__(StatusView, values)
        return view

    def status_body(self) -> bytes:
        """The wire body of the status now."""
        body: bytes = self._write_status(self.status())
        return body


# Each request's handler by message id, looked up once rather than by name per request.
# The pairing messages of 1.2 are the guard's (irlink.sim.guard), served before these.
_HANDLERS: dict[int, Callable[[Firmware, Any], Response | bytes]] = {
    request.MSG_ID: getattr(Firmware, f"_on_{request.NAME}")
    for request in REQUESTS.values()
    if request.SINCE <= 1
}
