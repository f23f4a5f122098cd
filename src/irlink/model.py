"""What the library hands out: device info, status and usage records, in API units.

The wire carries integers with their unit in the name (``remaining_s``, ``temp_dc``);
here durations are :class:`~datetime.timedelta` and temperatures degrees Celsius.
Everything is a frozen dataclass, so results are cheap to make, safe to share and
turn into JSON with ``pydantic.TypeAdapter`` (the command line does that).

What the device does not have or did not measure is ``None``, never a number that
means nothing: a temperature with no reading (-32768 on the wire), the battery of a
device without the battery capability, the setpoint of one without a heater, and the
fields a 1.0 device does not send (``override``, ``starts_left``). ``sham`` is None
when it is masked: the device is in a blinded study, and a :class:`~irlink.Device`
connected with ``blind`` hands out every status and usage record without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import lru_cache
from typing import Any, TypeVar

from irlink.protocol import messages as wire
from irlink.protocol.body import values_reader
from irlink.protocol.messages import (
    PROTOCOL_MINOR,
    CapabilityFlags,
    DeviceFamily,
    DeviceState,
    EndReason,
    FaultFlags,
    Mode,
    PortState,
)

__all__ = ["ClearedFaults", "Info", "PortStatus", "Status", "UsageRecord", "status_reader"]


T = TypeVar("T")


@lru_cache(maxsize=4096)  # a status holds a few durations, most the same as last time
def _s(seconds: int) -> timedelta:
    return timedelta(0, seconds)


def _maker(cls: type[T]) -> Callable[..., T]:
    """``cls(*values)`` for a frozen slotted dataclass, at half the cost, for the status path.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
    this sets the slots directly, in field order, without checks (the values come
    from a decoded message, already valid).
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    setters: dict[str, Any] = {f"set_{n}": getattr(cls, n).__set__ for n in names}
    body = "".join(f"    set_{n}(obj, {n})\n" for n in names)
    source = f"def make({', '.join(names)}):\n    obj = new(cls)\n{body}    return obj\n"
    namespace = {"new": object.__new__, "cls": cls, **setters}
    exec(source, namespace)  # our own field names, as dataclasses itself does
    make: Callable[..., T] = namespace["make"]
    return make


def _c(deci_degrees: int) -> float:
    return deci_degrees / 10


NO_READING = -32768  # a temperature field's "no reading" on the wire
NO_DAILY_LIMIT = 255  # port_status.starts_left of a device without a daily limit


@dataclass(frozen=True, slots=True)
class Info:
    """What the device is and every limit it enforces (the host checks values against these)."""

    family: DeviceFamily
    model: str
    serial: str
    firmware_version: str
    hardware_version: str
    protocol_version: int
    capabilities: CapabilityFlags
    port_count: int
    session_min: timedelta
    session_max: timedelta
    session_step: timedelta
    session_default: timedelta
    intensity_levels: int  # 0: output is set by temperature, not by level
    irradiance_mw_cm2: tuple[float, ...]  # per intensity level
    pulse_hz: tuple[int, ...]  # the pulse rates pulsed mode accepts
    pulse_duty_pct: int
    # The heater's setpoint limits: 0.0 on a device without a heater (has(HEATER) tells),
    # kept as numbers because every setpoint check reads them.
    setpoint_min_c: float
    setpoint_max_c: float
    setpoint_step_c: float
    setpoint_override_c: float  # setpoints above this need override=True
    temp_trip_c: float
    battery_warn_pct: int | None  # the three battery limits: None without a battery
    battery_start_pct: int | None
    battery_cutoff_pct: int | None
    status_period_min: timedelta
    heartbeat_max: timedelta
    heartbeat_misses: int
    protocol_minor: int  # the revision: 1.protocol_minor (0 for a 1.0 device)
    max_starts_per_day: int | None  # per port in any 24 h; None: no limit, or not said (1.0)
    setpoint_default_c: float | None  # a port's setpoint before any configure; heaters, 1.1

    @classmethod
    def from_wire(cls, info: wire.DeviceInfo) -> Info:
        """The API view of a ``get_info`` response."""
        battery = bool(info.capabilities & CapabilityFlags.BATTERY)
        heater = bool(info.capabilities & CapabilityFlags.HEATER)
        starts = info.max_starts_per_day
        default = info.setpoint_default_dc
        return cls(
            family=info.family,
            model=info.model,
            serial=info.serial,
            firmware_version=info.firmware_version,
            hardware_version=info.hardware_version,
            protocol_version=info.protocol_version,
            capabilities=info.capabilities,
            port_count=info.port_count,
            session_min=_s(info.session_min_s),
            session_max=_s(info.session_max_s),
            session_step=_s(info.session_step_s),
            session_default=_s(info.session_default_s),
            intensity_levels=info.intensity_levels,
            irradiance_mw_cm2=tuple(v / 10 for v in info.irradiance_dmw_cm2),
            pulse_hz=tuple(info.pulse_hz),
            pulse_duty_pct=info.pulse_duty_pct,
            setpoint_min_c=_c(info.setpoint_min_dc),
            setpoint_max_c=_c(info.setpoint_max_dc),
            setpoint_step_c=_c(info.setpoint_step_dc),
            setpoint_override_c=_c(info.setpoint_override_dc),
            temp_trip_c=_c(info.temp_trip_dc),
            battery_warn_pct=info.battery_warn_pct if battery else None,
            battery_start_pct=info.battery_start_pct if battery else None,
            battery_cutoff_pct=info.battery_cutoff_pct if battery else None,
            status_period_min=timedelta(milliseconds=info.status_period_min_ms),
            heartbeat_max=timedelta(milliseconds=info.heartbeat_max_ms),
            heartbeat_misses=info.heartbeat_misses,
            protocol_minor=info.protocol_minor or 0,
            max_starts_per_day=starts or None,
            setpoint_default_c=_c(default) if heater and default is not None else None,
        )

    def has(self, capability: CapabilityFlags) -> bool:
        """Whether the device advertises ``capability``."""
        return bool(self.capabilities & capability)


@dataclass(frozen=True, slots=True)
class PortStatus:
    """One port: its state, its session and its temperatures."""

    port: int
    state: PortState
    pad_present: bool
    pad_type: int
    session_id: int  # 0 when no session is running or paused
    duration: timedelta
    remaining: timedelta  # by the device's own timer
    intensity: int
    mode: Mode
    pulse_hz: int
    sham: bool | None  # None: masked, the device is in a blinded study (see irlink.masking)
    setpoint_c: float | None  # None on a device without a heater
    temp_c: float | None  # None: no reading (no pad, a sensor open or shorted)
    skin_temp_c: float | None
    faults: FaultFlags
    override: bool | None  # as configure set it; None from a 1.0 device, which does not say
    starts_left: int | None  # starts left in the last 24 h; None: no daily limit, or not said

    @classmethod
    def from_wire(cls, port: wire.PortStatus, info: Info | None = None) -> PortStatus:
        """The API view of one port of a status message.

        ``info`` is the device's: without the heater capability the setpoint is None
        (without ``info`` it is taken as sent).
        """
        return _port_from_wire(port, _has_battery_and_heater(info)[1])

    @property
    def elapsed(self) -> timedelta:
        """How much of the session has run."""
        return self.duration - self.remaining


@dataclass(frozen=True, slots=True)
class Status:
    """The whole device: state, battery, board temperature, faults and every port."""

    state: DeviceState
    battery_pct: int | None  # None on a device without a battery
    battery_v: float | None
    charger_connected: bool | None  # None on a device without a battery (and no charger)
    board_temp_c: float | None  # None: no reading
    faults: FaultFlags
    uptime: timedelta
    boot_count: int
    ports: tuple[PortStatus, ...]

    @classmethod
    def from_wire(cls, status: wire.Status, info: Info | None = None) -> Status:
        """The API view of a ``get_status`` response or ``status`` event.

        ``info`` is the device's: without the battery capability the battery figures are
        None, without the heater the setpoints (without ``info``, both are taken as sent).
        """
        # A wire model's __dict__ holds its fields, in wire order: the values a body reads.
        return _status(tuple(status.__dict__.values()), *_has_battery_and_heater(info))

    @classmethod
    def from_body(cls, body: bytes, info: Info | None = None) -> Status:
        """The API view of a ``get_status`` response body, checked as the wire reader checks it.

        Raises the :class:`~irlink.protocol.MessageError` that reading the body as a
        ``GetStatusResponse`` raises; the message itself is never built. The body is read
        at the layout of ``info``'s revision (the newest without ``info``).
        """
        return status_reader(info)(body)

    def port(self, number: int) -> PortStatus:
        """Port ``number`` (from 1); raises ``KeyError`` if the device has no such port."""
        for port in self.ports:
            if port.port == number:
                return port
        raise KeyError(f"the device reports no port {number}")


_make_port = _maker(PortStatus)
_make_status = _maker(Status)


def _port_from_wire(port: wire.PortStatus, heater: bool) -> PortStatus:
    # The wire port is a named tuple: unpacked at once rather than read field by field.
    (
        number,
        state,
        pad,
        pad_type,
        session,
        duration,
        remaining,
        intensity,
        mode,
        hz,
        sham,
        setpoint,
        temp,
        skin,
        faults,
        override,
        starts_left,
    ) = port
    return _make_port(
        number,
        state,
        pad,
        pad_type,
        session,
        _s(duration),
        _s(remaining),
        intensity,
        mode,
        hz,
        sham,
        setpoint / 10 if heater else None,
        None if temp == NO_READING else temp / 10,
        None if skin == NO_READING else skin / 10,
        faults,
        override,
        None if starts_left == NO_DAILY_LIMIT else starts_left,
    )


def status_reader(info: Info | None) -> Callable[[bytes], Status]:
    """The reader of ``get_status`` bodies from the device ``info`` describes: the status()
    path, from bytes straight to a :class:`Status` at the device's revision."""
    minor = PROTOCOL_MINOR if info is None else info.protocol_minor
    read_values = values_reader(wire.GetStatusResponse, minor)
    battery, heater = _has_battery_and_heater(info)

    def read(body: bytes) -> Status:
        return _status(read_values(body), battery, heater)

    return read


def _has_battery_and_heater(info: Info | None) -> tuple[bool, bool]:
    """Whether a device has a battery and a heater; both taken as yes without ``info``."""
    if info is None:
        return True, True
    return info.has(CapabilityFlags.BATTERY), info.has(CapabilityFlags.HEATER)


def _status(values: tuple[Any, ...], battery: bool, heater: bool) -> Status:
    """A Status from a status body's field values, leaving out what the device lacks."""
    state, pct, mv, charger, board, faults, uptime, boots, ports = values
    return _make_status(
        state,
        pct if battery else None,
        mv / 1000 if battery else None,
        charger if battery else None,
        None if board == NO_READING else board / 10,
        faults,
        _s(uptime),
        boots,
        tuple([_port_from_wire(port, heater) for port in ports]),
    )


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """A finished session from the device's own log: what was planned and what was delivered."""

    log_index: int
    session_id: int
    port: int
    end_reason: EndReason
    sham: bool | None  # None: masked, the device is in a blinded study (see irlink.masking)
    mode: Mode
    intensity: int
    pulse_hz: int
    setpoint_c: float | None  # None on a device without a heater
    planned: timedelta
    delivered: timedelta  # output actually on (sham: time the session ran)
    ended_uptime: timedelta
    boot_count: int

    @classmethod
    def from_wire(cls, record: wire.UsageRecord, info: Info | None = None) -> UsageRecord:
        """The API view of one usage log record (``info``: the device's, as for a status)."""
        heater = _has_battery_and_heater(info)[1]
        return cls(
            record.log_index,
            record.session_id,
            record.port,
            record.end_reason,
            record.sham,
            record.mode,
            record.intensity,
            record.pulse_hz,
            _c(record.setpoint_dc) if heater else None,
            _s(record.planned_s),
            _s(record.delivered_s),
            _s(record.ended_uptime_s),
            record.boot_count,
        )


@dataclass(frozen=True, slots=True)
class ClearedFaults:
    """What ``clear_fault`` did: the faults it cleared and those still active afterwards.

    ``remaining`` holds every fault still active on the addressed port (every port for
    port 0) and on the device: a heat latch whose cause remains (the skin side still too
    warm, no reading), and faults that clear only by themselves when their cause goes.
    An empty ``remaining`` means no fault blocks a new start there.
    """

    port: int
    cleared: FaultFlags
    remaining: FaultFlags
