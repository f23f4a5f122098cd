"""IRLink 1.2 message models, from protocols/irlink-v1.yaml.

Do not edit: run ``python scripts/gen_messages.py`` after changing the spec.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from irlink.protocol.wire import (
    BOOL,
    I16,
    I32,
    U8,
    U16,
    U32,
    Ascii,
    Event,
    ListOf,
    Request,
    Response,
    Since,
    WireFlags,
    WireModel,
    record_schema,
)

PROTOCOL_VERSION = 1
PROTOCOL_MINOR = 2
"""The newest minor revision of the protocol this module describes."""
MAX_PAYLOAD = 256
"""Header, body and CRC of one frame, in bytes, before COBS encoding."""
MAX_FRAME = 259
"""One encoded frame with its delimiter, in bytes."""
CRC_INIT = 0xFFFF


class FrameKind(IntEnum):
    """The kinds of frame: request, response, error and event, and since 1.2 sealed (any of the four, encrypted and authenticated; README section 14.6)."""

    REQUEST = 0
    RESPONSE = 1
    ERROR = 2
    EVENT = 3
    SEALED = 4


FRAME_KIND_SINCE: dict[FrameKind, int] = {FrameKind.SEALED: 2}
"""The minor revision that added each newer value of FrameKind."""


class DeviceFamily(IntEnum):
    """The family a device belongs to; its limits come in the info response, not from this value."""

    WAISTBAND = 1
    MULTIPORT = 2
    FIRMAT = 3


class DeviceState(IntEnum):
    """The state of the whole device."""

    IDLE = 0
    RUNNING = 1
    PAUSED = 2
    FAULT = 3
    CHARGING = 4
    OFF = 5


class PortState(IntEnum):
    """The state of one output port."""

    IDLE = 0
    RUNNING = 1
    PAUSED = 2
    FAULT = 3
    NO_PAD = 4


class Mode(IntEnum):
    """How the output is driven."""

    CONTINUOUS = 0
    PULSED = 1


class EndReason(IntEnum):
    """Why a session ended."""

    COMPLETED = 0
    STOPPED = 1
    FAULT = 2
    LOW_BATTERY = 3
    LINK_LOST = 4
    POWER_LOSS = 5
    PAD_DETACHED = 6
    CHARGER = 7


class ResetCause(IntEnum):
    """Why the device booted, as far as its hardware can tell."""

    POWER_ON = 0
    RESET = 1
    BROWNOUT = 2
    WATCHDOG = 3
    SOFTWARE = 4


class ErrorCode(IntEnum):
    """Why the device refused a request."""

    BAD_FRAME = 1
    UNSUPPORTED_VERSION = 2
    UNKNOWN_MESSAGE = 3
    BAD_LENGTH = 4
    OUT_OF_RANGE = 5
    INVALID_VALUE = 6
    NOT_ALLOWED = 7
    NO_PAD = 8
    LOW_BATTERY = 9
    OVER_TEMPERATURE = 10
    CHARGING = 11
    BUSY = 12
    UNAUTHORIZED = 13
    OVERRIDE_REQUIRED = 14
    SESSION_ACTIVE = 15
    NO_SESSION = 16
    DAILY_LIMIT = 17
    FAULT_ACTIVE = 18
    PAIRING_FAILED = 19
    PAIRING_FULL = 20


ERROR_CODE_SINCE: dict[ErrorCode, int] = {
    ErrorCode.SESSION_ACTIVE: 1,
    ErrorCode.NO_SESSION: 1,
    ErrorCode.DAILY_LIMIT: 1,
    ErrorCode.FAULT_ACTIVE: 1,
    ErrorCode.PAIRING_FAILED: 2,
    ErrorCode.PAIRING_FULL: 2,
}
"""The minor revision that added each newer value of ErrorCode."""


class FaultFlags(WireFlags):
    """Active faults, one bit each. Unknown bits from newer firmware are kept, never dropped."""

    OVER_TEMPERATURE = 1 << 0
    SENSOR_OPEN = 1 << 1
    SENSOR_SHORT = 1 << 2
    EMITTER_FAILURE = 1 << 3
    BURN_DOSE = 1 << 4
    BATTERY_CUTOFF = 1 << 5
    INTERNAL = 1 << 6


class CapabilityFlags(WireFlags):
    """What the device can do."""

    BATTERY = 1 << 0
    SHAM = 1 << 1
    HEATER = 1 << 2
    LIGHT = 1 << 3
    PULSED = 1 << 4
    SECURE = 1 << 5


class PortStatus(NamedTuple):
    """The state of one output port."""

    port: Annotated[int, U8, Field(ge=1, le=4, description="Port number, from 1.")]
    state: Annotated[PortState, U8]
    pad_present: Annotated[bool, BOOL]
    pad_type: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=255,
            description="Type id the pad reports; 0 when no pad is present or the pad reports no id (pad_present tells the two apart).",
        ),
    ]
    session_id: Annotated[
        int,
        U16,
        Field(ge=0, le=65535, description="Id of the running or paused session; 0 when none."),
    ]
    duration_s: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Configured session length. Unit: s.",
            json_schema_extra={"unit": "s"},
        ),
    ]
    remaining_s: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Time left on the device's own timer. Unit: s.",
            json_schema_extra={"unit": "s"},
        ),
    ]
    intensity: Annotated[
        int,
        U8,
        Field(ge=0, le=10, description="Configured intensity level; 0 for devices without levels."),
    ]
    mode: Annotated[Mode, U8]
    pulse_hz: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=10000,
            description="Pulse frequency; 0 in continuous mode. Unit: Hz.",
            json_schema_extra={"unit": "Hz"},
        ),
    ]
    sham: Annotated[
        bool, BOOL, Field(description="Sham session: identical status and events, no output.")
    ]
    setpoint_dc: Annotated[
        int,
        I16,
        Field(
            ge=0,
            le=1000,
            description="Heater setpoint; 0 for devices without a heater. Unit: dC.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    temp_dc: Annotated[
        int,
        I16,
        Field(
            ge=-32768,
            le=32767,
            description="Temperature at the pad or element sensor; no reading without a pad, or with the sensor open or shorted. Unit: dC. -32768 means no reading.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    skin_temp_dc: Annotated[
        int,
        I16,
        Field(
            ge=-32768,
            le=32767,
            description="Estimated skin-side temperature; no reading whenever temp_dc has none. Unit: dC. -32768 means no reading.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    faults: Annotated[FaultFlags, U16, Field(ge=0, le=65535)]
    override: Annotated[
        bool | None,
        BOOL,
        Since(1),
        Field(description="The override flag of the port's configuration, as configure set it."),
    ] = None
    starts_left: Annotated[
        int | None,
        U8,
        Since(1),
        Field(
            ge=0,
            le=255,
            description="Session starts the port may still make in the last 24 hours; 255 when the device has no daily limit.",
        ),
    ] = None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return record_schema(cls, handler)


class Status(WireModel):
    """The whole device at one moment."""

    state: Annotated[DeviceState, U8]
    battery_pct: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=100,
            description="State of charge; 0, and meaningless, when the device has no battery capability. Unit: pct.",
            json_schema_extra={"unit": "pct"},
        ),
    ]
    battery_mv: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Battery voltage; 0, and meaningless, when the device has no battery capability. Unit: mV.",
            json_schema_extra={"unit": "mV"},
        ),
    ]
    charger_connected: Annotated[
        bool, BOOL, Field(description="Always 0 without the battery capability.")
    ]
    board_temp_dc: Annotated[
        int,
        I16,
        Field(
            ge=-32768,
            le=32767,
            description="Controller board temperature. Unit: dC. -32768 means no reading.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    faults: Annotated[
        FaultFlags,
        U16,
        Field(ge=0, le=65535, description="Device-level faults (port faults are in each port)."),
    ]
    uptime_s: Annotated[
        int,
        U32,
        Field(
            ge=0,
            le=4294967295,
            description="Seconds since boot. Unit: s.",
            json_schema_extra={"unit": "s"},
        ),
    ]
    boot_count: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Boots since manufacture; a change means the device restarted.",
        ),
    ]
    ports: Annotated[tuple[PortStatus, ...], ListOf(4), Field(max_length=4)]


class DeviceInfo(WireModel):
    """What the device is and the limits it enforces. The host checks every value against these before sending."""

    protocol_version: Annotated[int, U8, Field(ge=1, le=255)]
    family: Annotated[DeviceFamily, U8]
    model: Annotated[str, Ascii(24), Field(max_length=24, pattern=r"^[ -~]*$")]
    serial: Annotated[str, Ascii(24), Field(max_length=24, pattern=r"^[ -~]*$")]
    firmware_version: Annotated[str, Ascii(16), Field(max_length=16, pattern=r"^[ -~]*$")]
    hardware_version: Annotated[str, Ascii(16), Field(max_length=16, pattern=r"^[ -~]*$")]
    capabilities: Annotated[CapabilityFlags, U8, Field(ge=0, le=255)]
    port_count: Annotated[int, U8, Field(ge=1, le=4)]
    session_min_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]
    session_max_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]
    session_step_s: Annotated[
        int,
        U16,
        Field(
            ge=1,
            le=65535,
            description="Durations must be a multiple of this. Unit: s.",
            json_schema_extra={"unit": "s"},
        ),
    ]
    session_default_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]
    intensity_levels: Annotated[
        int,
        U8,
        Field(
            ge=0, le=10, description="Levels are 1..intensity_levels; 0 means no intensity control."
        ),
    ]
    irradiance_dmw_cm2: Annotated[
        tuple[Annotated[int, Field(ge=0, le=65535)], ...],
        ListOf(10, U16),
        Field(
            max_length=10,
            description="Nominal irradiance at each intensity level, in tenths of mW/cm2; empty for heaters. Unit: dmW/cm2.",
            json_schema_extra={"unit": "dmW/cm2"},
        ),
    ]
    pulse_hz: Annotated[
        tuple[Annotated[int, Field(ge=1, le=10000)], ...],
        ListOf(8, U16),
        Field(
            max_length=8,
            description="Allowed pulse frequencies; empty when pulsed mode is not supported. Unit: Hz.",
            json_schema_extra={"unit": "Hz"},
        ),
    ]
    pulse_duty_pct: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=100,
            description="Duty cycle in pulsed mode. Unit: pct.",
            json_schema_extra={"unit": "pct"},
        ),
    ]
    setpoint_min_dc: Annotated[
        int, I16, Field(ge=0, le=1000, description="Unit: dC.", json_schema_extra={"unit": "dC"})
    ]
    setpoint_max_dc: Annotated[
        int, I16, Field(ge=0, le=1000, description="Unit: dC.", json_schema_extra={"unit": "dC"})
    ]
    setpoint_step_dc: Annotated[
        int,
        I16,
        Field(
            ge=0,
            le=1000,
            description="Setpoints must be a multiple of this; 0 for devices without a heater. Unit: dC.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    setpoint_override_dc: Annotated[
        int,
        I16,
        Field(
            ge=0,
            le=1000,
            description="Setpoints above this need override set in configure. Unit: dC.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    temp_trip_dc: Annotated[
        int,
        I16,
        Field(
            ge=0,
            le=1000,
            description="Skin-side temperature at which the device cuts output and latches over_temperature. Unit: dC.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    battery_warn_pct: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=100,
            description="The low_battery event comes at this. The three battery limits apply only with the battery capability; without it they are 0 and receivers ignore them. Unit: pct.",
            json_schema_extra={"unit": "pct"},
        ),
    ]
    battery_start_pct: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=100,
            description="No session starts below this. Unit: pct.",
            json_schema_extra={"unit": "pct"},
        ),
    ]
    battery_cutoff_pct: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=100,
            description="Output stops at this. Unit: pct.",
            json_schema_extra={"unit": "pct"},
        ),
    ]
    status_period_min_ms: Annotated[
        int,
        U16,
        Field(
            ge=1,
            le=65535,
            description="Shortest status event period the device accepts. Unit: ms.",
            json_schema_extra={"unit": "ms"},
        ),
    ]
    heartbeat_max_ms: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Longest heartbeat interval the device accepts. Unit: ms.",
            json_schema_extra={"unit": "ms"},
        ),
    ]
    heartbeat_misses: Annotated[
        int, U8, Field(ge=1, le=255, description="Missed heartbeats after which output stops.")
    ]
    protocol_minor: Annotated[
        int | None,
        U8,
        Since(1),
        Field(
            ge=1,
            le=255,
            description="The minor version of the protocol the device speaks (1 for IRLink 1.1); absent, and so 0, in a 1.0 device.",
        ),
    ] = None
    max_starts_per_day: Annotated[
        int | None,
        U8,
        Since(1),
        Field(
            ge=0,
            le=254,
            description="Session starts a port allows in any 24 hours; 0 when the device has no daily limit.",
        ),
    ] = None
    setpoint_default_dc: Annotated[
        int | None,
        I16,
        Since(1),
        Field(
            ge=0,
            le=1000,
            description="The setpoint a port holds before its first configure; 0 for devices without a heater. Unit: dC.",
            json_schema_extra={"unit": "dC"},
        ),
    ] = None


class UsageRecord(NamedTuple):
    """One past session from the device's own log."""

    log_index: Annotated[
        int,
        U32,
        Field(
            ge=0,
            le=4294967295,
            description="Position in the log; increases by one per session, never reused.",
        ),
    ]
    session_id: Annotated[int, U16, Field(ge=0, le=65535)]
    port: Annotated[int, U8, Field(ge=1, le=4)]
    end_reason: Annotated[EndReason, U8]
    sham: Annotated[bool, BOOL]
    mode: Annotated[Mode, U8]
    intensity: Annotated[int, U8, Field(ge=0, le=10)]
    pulse_hz: Annotated[
        int, U16, Field(ge=0, le=10000, description="Unit: Hz.", json_schema_extra={"unit": "Hz"})
    ]
    setpoint_dc: Annotated[
        int, I16, Field(ge=0, le=1000, description="Unit: dC.", json_schema_extra={"unit": "dC"})
    ]
    planned_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]
    delivered_s: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Time output was actually on (sham: time the session ran). Unit: s.",
            json_schema_extra={"unit": "s"},
        ),
    ]
    ended_uptime_s: Annotated[
        int,
        U32,
        Field(
            ge=0,
            le=4294967295,
            description="Device uptime when the session ended. Unit: s.",
            json_schema_extra={"unit": "s"},
        ),
    ]
    boot_count: Annotated[
        int, U16, Field(ge=0, le=65535, description="Boot in which the session ended.")
    ]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return record_schema(cls, handler)


class PairingPart(WireModel):
    """One part of one step of pair setup or pair verify, either way (section 13.2)."""

    step: Annotated[
        int,
        U8,
        Field(
            ge=1,
            le=6,
            description="The step this part belongs to: odd steps are the host's messages, even steps the device's (pair verify ends at 4).",
        ),
    ]
    part: Annotated[
        int,
        U8,
        Field(ge=0, le=255, description="Position of this part in its step's message, from 0."),
    ]
    parts: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=255,
            description="How many parts the step's message has; 0 in the device's acknowledgement of a part and in the host's read of a reply part.",
        ),
    ]
    data: Annotated[
        tuple[Annotated[int, Field(ge=0, le=255)], ...],
        ListOf(200, U8),
        Field(max_length=200, description="This part's bytes of the step's message."),
    ]


class ErrorReply(WireModel):
    """Body of every error frame."""

    code: Annotated[ErrorCode, U8]
    field: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=255,
            description="1-based position of the offending field in the request body; 0 when no field is at fault.",
        ),
    ]
    limit: Annotated[
        int,
        I32,
        Field(
            ge=-2147483648,
            le=2147483647,
            description="For out_of_range: the bound that was crossed, in the field's unit; for override_required: the override threshold (setpoint_override_dc); for session_active: the id of the session the port holds; for daily_limit: max_starts_per_day; for fault_active: the active fault bits (fault_flags); for pairing_failed: the seconds pair setup stays refused (-1: until a factory reset); for pairing_full: the most pairings the device keeps. Otherwise 0.",
        ),
    ]


class GetInfoResponse(DeviceInfo, Response):
    """Answer to get_info."""

    MSG_ID: ClassVar[int] = 0x01
    NAME: ClassVar[str] = "get_info"


class GetInfoRequest(Request):
    """Read what the device is and its limits."""

    MSG_ID: ClassVar[int] = 0x01
    NAME: ClassVar[str] = "get_info"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = GetInfoResponse


class GetStatusResponse(Status, Response):
    """Answer to get_status."""

    MSG_ID: ClassVar[int] = 0x02
    NAME: ClassVar[str] = "get_status"


class GetStatusRequest(Request):
    """Read the device's status."""

    MSG_ID: ClassVar[int] = 0x02
    NAME: ClassVar[str] = "get_status"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = GetStatusResponse


class ConfigureResponse(Response):
    """Answer to configure."""

    MSG_ID: ClassVar[int] = 0x10
    NAME: ClassVar[str] = "configure"


class ConfigureRequest(Request):
    """Set the next session's parameters on one port or all. Refused with session_active while that port runs or is paused. The settings last until the next configure or boot."""

    MSG_ID: ClassVar[int] = 0x10
    NAME: ClassVar[str] = "configure"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = ConfigureResponse
    port: Annotated[int, U8, Field(ge=0, le=4, description="Port number; 0 for every port.")]
    duration_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]
    intensity: Annotated[int, U8, Field(ge=0, le=10)]
    mode: Annotated[Mode, U8]
    pulse_hz: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=10000,
            description="One of the advertised frequencies in pulsed mode; 0 in continuous mode. Unit: Hz.",
            json_schema_extra={"unit": "Hz"},
        ),
    ]
    sham: Annotated[bool, BOOL]
    setpoint_dc: Annotated[
        int,
        I16,
        Field(
            ge=0,
            le=1000,
            description="0 for devices without a heater. Unit: dC.",
            json_schema_extra={"unit": "dC"},
        ),
    ]
    override: Annotated[
        bool, BOOL, Field(description="Required for setpoints above setpoint_override_dc.")
    ]


class StartResponse(Response):
    """Answer to start."""

    MSG_ID: ClassVar[int] = 0x11
    NAME: ClassVar[str] = "start"


class StartRequest(Request):
    """Start the configured session. A start whose session_id is that of the port's current or most recent session succeeds and changes nothing, so a retried start never runs a session twice. Otherwise the device checks, in this order, and refuses with the first that fails on any addressed port, lowest port first: charger connected (charging), no pad (no_pad), battery below battery_start_pct (low_battery), a heat latch (over_temperature), any other active fault (fault_active), a session running or paused (session_active), the daily limit reached (daily_limit), the device switched off (not_allowed)."""

    MSG_ID: ClassVar[int] = 0x11
    NAME: ClassVar[str] = "start"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = StartResponse
    port: Annotated[int, U8, Field(ge=0, le=4)]
    session_id: Annotated[
        int,
        U16,
        Field(ge=1, le=65535, description="Chosen by the host; makes a repeated start harmless."),
    ]


class StopResponse(Response):
    """Answer to stop."""

    MSG_ID: ClassVar[int] = 0x12
    NAME: ClassVar[str] = "stop"


class StopRequest(Request):
    """Stop output. Stopping an idle port succeeds."""

    MSG_ID: ClassVar[int] = 0x12
    NAME: ClassVar[str] = "stop"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = StopResponse
    port: Annotated[int, U8, Field(ge=0, le=4)]


class PauseResponse(Response):
    """Answer to pause."""

    MSG_ID: ClassVar[int] = 0x13
    NAME: ClassVar[str] = "pause"


class PauseRequest(Request):
    """Pause a running session; its timer stops with the output. Pausing a paused port succeeds; no_session when no addressed port has a session."""

    MSG_ID: ClassVar[int] = 0x13
    NAME: ClassVar[str] = "pause"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = PauseResponse
    port: Annotated[int, U8, Field(ge=0, le=4)]


class ResumeResponse(Response):
    """Answer to resume."""

    MSG_ID: ClassVar[int] = 0x14
    NAME: ClassVar[str] = "resume"


class ResumeRequest(Request):
    """Resume a paused session. Resuming a running port succeeds; no_session when no addressed port has a session, then charging, low_battery, over_temperature, fault_active and not_allowed (switched off) as for start."""

    MSG_ID: ClassVar[int] = 0x14
    NAME: ClassVar[str] = "resume"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = ResumeResponse
    port: Annotated[int, U8, Field(ge=0, le=4)]


class ClearFaultResponse(Response):
    """Answer to clear_fault."""

    MSG_ID: ClassVar[int] = 0x15
    NAME: ClassVar[str] = "clear_fault"
    cleared: Annotated[
        FaultFlags | None,
        U16,
        Since(1),
        Field(ge=0, le=65535, description="The faults this request cleared."),
    ] = None
    remaining: Annotated[
        FaultFlags | None,
        U16,
        Since(1),
        Field(
            ge=0,
            le=65535,
            description="The faults still active afterwards on the addressed port or ports, device-level faults included: latched faults whose cause remains, and faults that clear only by themselves.",
        ),
    ] = None


class ClearFaultRequest(Request):
    """Clear latched faults whose cause has gone. Output stays off. The response says what was cleared and what is still active."""

    MSG_ID: ClassVar[int] = 0x15
    NAME: ClassVar[str] = "clear_fault"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = ClearFaultResponse
    port: Annotated[
        int, U8, Field(ge=0, le=4, description="Port number; 0 for the device and every port.")
    ]


class SubscribeResponse(Response):
    """Answer to subscribe."""

    MSG_ID: ClassVar[int] = 0x20
    NAME: ClassVar[str] = "subscribe"
    period_ms: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="The period now in force. Unit: ms.",
            json_schema_extra={"unit": "ms"},
        ),
    ]


class SubscribeRequest(Request):
    """Ask for a status event every period_ms; 0 stops them. A period below status_period_min_ms is refused with out_of_range, limit = that minimum. A boot stops them."""

    MSG_ID: ClassVar[int] = 0x20
    NAME: ClassVar[str] = "subscribe"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = SubscribeResponse
    period_ms: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: ms.", json_schema_extra={"unit": "ms"})
    ]


class HeartbeatResponse(Response):
    """Answer to heartbeat."""

    MSG_ID: ClassVar[int] = 0x21
    NAME: ClassVar[str] = "heartbeat"


class HeartbeatRequest(Request):
    """Arm or re-arm the heartbeat policy; after heartbeat_misses intervals without one, every running or paused session ends (reason link_lost) and the policy disarms itself. 0 disarms it. An interval above heartbeat_max_ms is refused with out_of_range. A boot disarms it."""

    MSG_ID: ClassVar[int] = 0x21
    NAME: ClassVar[str] = "heartbeat"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = HeartbeatResponse
    interval_ms: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: ms.", json_schema_extra={"unit": "ms"})
    ]


class ReadUsageLogResponse(Response):
    """Answer to read_usage_log."""

    MSG_ID: ClassVar[int] = 0x30
    NAME: ClassVar[str] = "read_usage_log"
    oldest_index: Annotated[
        int, U32, Field(ge=0, le=4294967295, description="Oldest record still kept.")
    ]
    next_index: Annotated[
        int, U32, Field(ge=0, le=4294967295, description="Index the next session will get.")
    ]
    records: Annotated[tuple[UsageRecord, ...], ListOf(8), Field(max_length=8)]


class ReadUsageLogRequest(Request):
    """Read past sessions, oldest first, starting at from_index (at the oldest kept if from_index is older). A from_index at or beyond next_index gets no records, never an error."""

    MSG_ID: ClassVar[int] = 0x30
    NAME: ClassVar[str] = "read_usage_log"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = ReadUsageLogResponse
    from_index: Annotated[int, U32, Field(ge=0, le=4294967295)]
    max_count: Annotated[int, U8, Field(ge=1, le=8)]


class PairSetupResponse(PairingPart, Response):
    """Answer to pair_setup."""

    MSG_ID: ClassVar[int] = 0x40
    NAME: ClassVar[str] = "pair_setup"
    SINCE: ClassVar[int] = 2


class PairSetupRequest(PairingPart, Request):
    """Pair a host with the device: SRP-6a with the device's setup code, then an exchange of long-term public keys, as steps 1 to 6 sent in parts (section 13.3). Only while the pairing window is open; answered in a plain frame, never sealed. A repeat of the last part gets the same answer."""

    MSG_ID: ClassVar[int] = 0x40
    NAME: ClassVar[str] = "pair_setup"
    SINCE: ClassVar[int] = 2
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = PairSetupResponse


class PairVerifyResponse(PairingPart, Response):
    """Answer to pair_verify."""

    MSG_ID: ClassVar[int] = 0x41
    NAME: ClassVar[str] = "pair_verify"
    SINCE: ClassVar[int] = 2


class PairVerifyRequest(PairingPart, Request):
    """Verify a paired host and the device to each other and make the session keys, as steps 1 to 4 (section 13.4); sealed frames follow. Step 1 ends the link's previous verified session. Answered in a plain frame, never sealed."""

    MSG_ID: ClassVar[int] = 0x41
    NAME: ClassVar[str] = "pair_verify"
    SINCE: ClassVar[int] = 2
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = PairVerifyResponse


class ListPairingsResponse(Response):
    """Answer to list_pairings."""

    MSG_ID: ClassVar[int] = 0x42
    NAME: ClassVar[str] = "list_pairings"
    SINCE: ClassVar[int] = 2
    admins: Annotated[
        int,
        U8,
        Field(
            ge=0,
            le=255,
            description="Bit i set: the i-th pairing of pairing_ids is an admin, who may list and remove pairings.",
        ),
    ]
    pairing_ids: Annotated[
        tuple[Annotated[int, Field(ge=0, le=255)], ...],
        ListOf(128, U8),
        Field(
            max_length=128,
            description="The pairing id of each paired host, 16 bytes each, in the order they paired (at most 8 hosts).",
        ),
    ]


class ListPairingsRequest(Request):
    """List the hosts the device is paired with, in the order they paired. Admin hosts only, in a verified session."""

    MSG_ID: ClassVar[int] = 0x42
    NAME: ClassVar[str] = "list_pairings"
    SINCE: ClassVar[int] = 2
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = ListPairingsResponse


class RemovePairingResponse(Response):
    """Answer to remove_pairing."""

    MSG_ID: ClassVar[int] = 0x43
    NAME: ClassVar[str] = "remove_pairing"
    SINCE: ClassVar[int] = 2


class RemovePairingRequest(Request):
    """Forget a paired host and end its verified sessions. Removing a pairing the device does not have succeeds; removing the last admin removes every pairing. Admin hosts only, in a verified session."""

    MSG_ID: ClassVar[int] = 0x43
    NAME: ClassVar[str] = "remove_pairing"
    SINCE: ClassVar[int] = 2
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = RemovePairingResponse
    pairing_id: Annotated[
        tuple[Annotated[int, Field(ge=0, le=255)], ...],
        ListOf(16, U8),
        Field(
            max_length=16,
            description="The pairing id of the host to forget: exactly 16 bytes (else invalid_value).",
        ),
    ]


class StatusEvent(Status, Event):
    """Periodic status, while subscribed."""

    MSG_ID: ClassVar[int] = 0x80
    NAME: ClassVar[str] = "status"


class SessionStartedEvent(Event):
    """A session started on a port."""

    MSG_ID: ClassVar[int] = 0x81
    NAME: ClassVar[str] = "session_started"
    port: Annotated[int, U8, Field(ge=1, le=4)]
    session_id: Annotated[int, U16, Field(ge=0, le=65535)]
    duration_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]


class SessionEndedEvent(Event):
    """A session ended on a port, for the reason given."""

    MSG_ID: ClassVar[int] = 0x82
    NAME: ClassVar[str] = "session_ended"
    port: Annotated[int, U8, Field(ge=1, le=4)]
    session_id: Annotated[int, U16, Field(ge=0, le=65535)]
    reason: Annotated[EndReason, U8]
    delivered_s: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: s.", json_schema_extra={"unit": "s"})
    ]


class FaultRaisedEvent(Event):
    """A fault became active."""

    MSG_ID: ClassVar[int] = 0x83
    NAME: ClassVar[str] = "fault_raised"
    port: Annotated[int, U8, Field(ge=0, le=4, description="0 for a device-level fault.")]
    fault: Annotated[FaultFlags, U16, Field(ge=0, le=65535)]


class FaultClearedEvent(Event):
    """A fault was cleared."""

    MSG_ID: ClassVar[int] = 0x84
    NAME: ClassVar[str] = "fault_cleared"
    port: Annotated[int, U8, Field(ge=0, le=4)]
    fault: Annotated[FaultFlags, U16, Field(ge=0, le=65535)]


class PadAttachedEvent(Event):
    """A pad was plugged into a port."""

    MSG_ID: ClassVar[int] = 0x85
    NAME: ClassVar[str] = "pad_attached"
    port: Annotated[int, U8, Field(ge=1, le=4)]
    pad_type: Annotated[int, U8, Field(ge=0, le=255)]


class PadDetachedEvent(Event):
    """A pad was unplugged; that port's output is off."""

    MSG_ID: ClassVar[int] = 0x86
    NAME: ClassVar[str] = "pad_detached"
    port: Annotated[int, U8, Field(ge=1, le=4)]


class ChargerConnectedEvent(Event):
    """A charger was connected. By default no session runs while charging; one that was running ends with reason charger."""

    MSG_ID: ClassVar[int] = 0x87
    NAME: ClassVar[str] = "charger_connected"


class ChargerDisconnectedEvent(Event):
    """The charger was disconnected."""

    MSG_ID: ClassVar[int] = 0x88
    NAME: ClassVar[str] = "charger_disconnected"


class LowBatteryEvent(Event):
    """The battery fell to the warning level. Sent once per discharge; again only after the charge has risen above battery_warn_pct, or after a boot. Never sent by a device without the battery capability."""

    MSG_ID: ClassVar[int] = 0x89
    NAME: ClassVar[str] = "low_battery"
    battery_pct: Annotated[
        int, U8, Field(ge=0, le=100, description="Unit: pct.", json_schema_extra={"unit": "pct"})
    ]
    battery_mv: Annotated[
        int, U16, Field(ge=0, le=65535, description="Unit: mV.", json_schema_extra={"unit": "mV"})
    ]


class BootedEvent(Event):
    """The device has just booted; the first frame it sends after every boot, event counter 0."""

    MSG_ID: ClassVar[int] = 0x8A
    NAME: ClassVar[str] = "booted"
    SINCE: ClassVar[int] = 1
    boot_count: Annotated[
        int,
        U16,
        Field(
            ge=0,
            le=65535,
            description="Boots since manufacture, this one included (as status.boot_count).",
        ),
    ]
    cause: Annotated[ResetCause, U8]


REQUESTS: dict[int, type[Request]] = {
    0x01: GetInfoRequest,
    0x02: GetStatusRequest,
    0x10: ConfigureRequest,
    0x11: StartRequest,
    0x12: StopRequest,
    0x13: PauseRequest,
    0x14: ResumeRequest,
    0x15: ClearFaultRequest,
    0x20: SubscribeRequest,
    0x21: HeartbeatRequest,
    0x30: ReadUsageLogRequest,
    0x40: PairSetupRequest,
    0x41: PairVerifyRequest,
    0x42: ListPairingsRequest,
    0x43: RemovePairingRequest,
}
"""Every request model by message id."""

EVENTS: dict[int, type[Event]] = {
    0x80: StatusEvent,
    0x81: SessionStartedEvent,
    0x82: SessionEndedEvent,
    0x83: FaultRaisedEvent,
    0x84: FaultClearedEvent,
    0x85: PadAttachedEvent,
    0x86: PadDetachedEvent,
    0x87: ChargerConnectedEvent,
    0x88: ChargerDisconnectedEvent,
    0x89: LowBatteryEvent,
    0x8A: BootedEvent,
}
"""Every event model by message id."""
