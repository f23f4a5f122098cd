"""The firmware's RAM: each port's configuration and session, and how the device reports them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from irlink.protocol.messages import (
    PROTOCOL_VERSION,
    DeviceFamily,
    DeviceState,
    FaultFlags,
    GetInfoResponse,
    Mode,
    PortState,
    PortStatus,
)
from irlink.protocol.plain import from_plain
from irlink.sim.model import Hardware, PortHardware

__all__ = [
    "NO_READING",
    "PAUSED",
    "RUNNING",
    "SIM_MINOR",
    "PortConfig",
    "PortSession",
    "StatusView",
    "default_config",
    "device_state",
    "fault_flags",
    "info_response",
    "port_status",
]

NO_READING = -32768
EPS = 1e-9

# Enum members as module constants: on Python 3.11 `PortState.RUNNING` costs a descriptor
# call, and the checks below run every simulated second.
IDLE, RUNNING, PAUSED = PortState.IDLE, PortState.RUNNING, PortState.PAUSED
FAULT, NO_PAD = PortState.FAULT, PortState.NO_PAD
_DEVICE_RUNNING, _DEVICE_PAUSED = DeviceState.RUNNING, DeviceState.PAUSED
_DEVICE_FAULT, _DEVICE_CHARGING, _DEVICE_IDLE = (
    DeviceState.FAULT,
    DeviceState.CHARGING,
    DeviceState.IDLE,
)

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

SIM_MINOR = 2
"""The newest revision the simulated firmware speaks, 1.SIM_MINOR: 1.2, with pairing, pair
verify and sealed frames on a device whose profile has the ``secure`` capability."""


class _FlagTable(dict[int, FaultFlags]):
    """Fault bits to their flags, each made on first use (an IntFlag call is slow)."""

    def __missing__(self, value: int) -> FaultFlags:
        flags = self[value] = FaultFlags(value)
        return flags


# Indexed, not called: a hit is answered by the dict's own lookup, with no Python call.
FLAGS = _FlagTable()


def fault_flags(value: int) -> FaultFlags:
    """The flags of fault bits ``value`` (``FLAGS[value]``, for a caller that is not hot)."""
    return FLAGS[value]


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
    override: bool = False


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

    @property
    def in_session(self) -> bool:
        """Whether a session is running or paused on this port."""
        return self.state is RUNNING or self.state is PAUSED


def default_config(hardware: Hardware) -> PortConfig:
    """What a port holds before its first configure, and after every boot (section 7.7):
    the default length, the lowest level, continuous, real output, the default setpoint."""
    info = hardware.profile.info
    return PortConfig(
        info.session_default_s,
        1 if info.intensity_levels else 0,
        setpoint_dc=info.setpoint_default_dc,
    )


def port_status(port: PortSession, device_faults: int, starts_left: int) -> PortStatus:
    """A port's status as the device reports it; ``starts_left`` 255 means no daily limit."""
    hw, config = port.hw, port.config
    state = port.state
    in_session = state is RUNNING or state is PAUSED
    if not in_session:
        if port.faults or device_faults:
            state = FAULT
        elif not hw.pad_present:
            state = NO_PAD
    if hw.sensor == "ok" and hw.pad_present:  # an empty port has no sensor to read
        thermal = hw.thermal
        temp = thermal.temp_dc
        # ThermalModel.skin_dc, without the property call: get_status reads it per port.
        temp_dc, skin_dc = round(temp), round(temp - thermal.skin_offset_dc)
    else:
        temp_dc = skin_dc = NO_READING
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
        temp_dc,
        skin_dc,
        FLAGS[port.faults],
        config.override,
        starts_left,
    )
    # Every value above is valid by construction: skip the named tuple's argument parsing.
    status: PortStatus = tuple.__new__(PortStatus, values)
    return status


def device_state(
    ports: list[PortSession], device_faults: int, charger_connected: bool
) -> DeviceState:
    """The whole device's state: running beats paused beats fault beats charging."""
    paused = faulted = False
    for port in ports:
        if port.state is RUNNING:
            return _DEVICE_RUNNING
        paused = paused or port.state is PAUSED
        faulted = faulted or bool(port.faults)
    if paused:
        return _DEVICE_PAUSED
    if faulted or device_faults:
        return _DEVICE_FAULT
    if charger_connected:
        return _DEVICE_CHARGING
    return _DEVICE_IDLE


def info_response(hardware: Hardware, serial: str, minor: int = SIM_MINOR) -> GetInfoResponse:
    """The get_info answer of a device of revision 1.``minor``: its profile's identity and limits.

    The fields 1.1 appended are left out (None) for a 1.0 device, and the ``secure``
    capability (IRLink 1.2) for a 1.0 or 1.1 device.
    """
    profile = hardware.profile
    limits = profile.info.model_dump(mode="json")
    if minor < 2:
        limits["capabilities"] = [c for c in limits["capabilities"] if c != "secure"]
    if minor < 1:
        for name in ("max_starts_per_day", "setpoint_default_dc"):
            del limits[name]
    plain = {
        "protocol_version": PROTOCOL_VERSION,
        "family": DeviceFamily[profile.family.upper()].name.lower(),
        "model": profile.identity.model,
        "serial": serial,
        "firmware_version": profile.identity.firmware_version,
        "hardware_version": profile.identity.hardware_version,
        **limits,
        **({"protocol_minor": minor} if minor >= 1 else {}),
    }
    info: GetInfoResponse = from_plain(GetInfoResponse, plain)
    return info
