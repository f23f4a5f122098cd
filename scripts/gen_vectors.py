"""Generate protocols/vectors/*.yaml: IRLink v1 frames as hex beside their meaning.

    python scripts/gen_vectors.py          # rewrite the vectors
    python scripts/gen_vectors.py --check  # exit 1 if any vector file is stale

The meanings below are written by hand; the hex is what irlink's encoder makes of
them. tests/protocol/test_vectors.py then holds the codec to every vector in both
directions, so a codec change that alters one byte fails until the spec changes too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from irlink.protocol import (
    EVENTS,
    REQUESTS,
    DeviceCodec,
    Frame,
    Rejected,
    encode_body,
    encode_frame,
    encode_message,
)
from irlink.protocol.messages import ErrorReply, FrameKind
from irlink.protocol.plain import from_plain, to_plain
from irlink.sim.model import Hardware
from irlink.sim.state import info_response
from irlink.spec import load_device_profile

OUT = Path(__file__).resolve().parents[1] / "protocols" / "vectors"
BY_NAME = {cls.NAME: cls for cls in REQUESTS.values()}
EVENT_BY_NAME = {cls.NAME: cls for cls in EVENTS.values()}

PORT_RUNNING = {
    "port": 1,
    "state": "running",
    "pad_present": True,
    "pad_type": 0,
    "session_id": 4242,
    "duration_s": 1800,
    "remaining_s": 1234,
    "intensity": 2,
    "mode": "continuous",
    "pulse_hz": 0,
    "sham": False,
    "setpoint_dc": 0,
    "temp_dc": 338,
    "skin_temp_dc": 331,
    "faults": [],
    "override": False,
    "starts_left": 2,
}
WAISTBAND_STATUS = {
    "state": "running",
    "battery_pct": 81,
    "battery_mv": 7950,
    "charger_connected": False,
    "board_temp_dc": 297,
    "faults": [],
    "uptime_s": 3600,
    "boot_count": 17,
    "ports": [PORT_RUNNING],
}
MULTIPORT_STATUS = {
    "state": "running",
    "battery_pct": 0,
    "battery_mv": 0,
    "charger_connected": False,
    "board_temp_dc": 352,
    "faults": [],
    "uptime_s": 86400,
    "boot_count": 3,
    "ports": [
        {
            **PORT_RUNNING,
            "pad_type": 1,
            "session_id": 11,
            "intensity": 1,
            "mode": "pulsed",
            "pulse_hz": 73,
        },
        {
            **PORT_RUNNING,
            "port": 2,
            "state": "no_pad",
            "pad_present": False,
            "session_id": 0,
            "remaining_s": 0,
            "intensity": 1,
            "temp_dc": -32768,
            "skin_temp_dc": -32768,
            "starts_left": 3,
        },
    ],
}
MULTIPORT_STATUS_FAULT = {
    **MULTIPORT_STATUS,
    "state": "paused",
    "ports": [
        {
            **PORT_RUNNING,
            "state": "paused",
            "pad_type": 2,
            "session_id": 12,
            "remaining_s": 600,
            "intensity": 1,
        },
        {
            **PORT_RUNNING,
            "port": 2,
            "state": "fault",
            "pad_type": 1,
            "session_id": 0,
            "remaining_s": 0,
            "intensity": 1,
            "temp_dc": 445,
            "skin_temp_dc": 445,
            "faults": ["over_temperature"],
            "starts_left": 1,
        },
    ],
}
FIRMAT_STATUS = {
    "state": "running",
    "battery_pct": 64,
    "battery_mv": 7620,
    "charger_connected": False,
    "board_temp_dc": 305,
    "faults": [],
    "uptime_s": 900,
    "boot_count": 2,
    "ports": [
        {
            **PORT_RUNNING,
            "duration_s": 3600,
            "remaining_s": 2700,
            "intensity": 0,
            "setpoint_dc": 450,
            "temp_dc": 431,
            "skin_temp_dc": 381,
        }
    ],
}
VECTOR_SERIAL = "0042"


# These files hold 1.1 frames, which 1.2 reads unchanged: 1.2 added messages, error codes, a
# frame kind and a capability, and changed no layout. Its security frames are security.yaml's.
LAYOUT_MINOR = 1


def profile_info(family: str, minor: int = LAYOUT_MINOR) -> dict[str, Any]:
    """The get_info answer of a device of ``family`` made to its profile, as plain fields."""
    profile = load_device_profile(family)
    plain: dict[str, Any] = to_plain(
        info_response(Hardware.build(profile), VECTOR_SERIAL, minor), minor
    )
    return plain


WAISTBAND_INFO = profile_info("waistband")
MULTIPORT_INFO = profile_info("multiport")
FIRMAT_INFO = profile_info("firmat")
RECORD = {
    "log_index": 7,
    "session_id": 4242,
    "port": 1,
    "end_reason": "completed",
    "sham": False,
    "mode": "continuous",
    "intensity": 2,
    "pulse_hz": 0,
    "setpoint_dc": 0,
    "planned_s": 1800,
    "delivered_s": 1800,
    "ended_uptime_s": 5400,
    "boot_count": 17,
}
RECORD_MAX = {
    "log_index": 0xFFFFFFFF,
    "session_id": 0xFFFF,
    "port": 4,
    "end_reason": "charger",
    "sham": True,
    "mode": "pulsed",
    "intensity": 10,
    "pulse_hz": 10000,
    "setpoint_dc": 1000,
    "planned_s": 0xFFFF,
    "delivered_s": 0xFFFF,
    "ended_uptime_s": 0xFFFFFFFF,
    "boot_count": 0xFFFF,
}
CONFIGURE = {
    "port": 1,
    "duration_s": 1800,
    "intensity": 2,
    "mode": "continuous",
    "pulse_hz": 0,
    "sham": False,
    "setpoint_dc": 0,
    "override": False,
}

# (file, name, kind, seq, message, fields, doc)
V = tuple[str, str, str, int, str, dict[str, Any], str]
VECTORS: list[V] = [
    ("requests", "get_info", "request", 1, "get_info", {}, "The first thing a host sends."),
    ("requests", "get_status", "request", 2, "get_status", {}, ""),
    (
        "requests",
        "configure waistband 30 min",
        "request",
        3,
        "configure",
        CONFIGURE,
        "Waistband: 30 minutes at level 2, continuous.",
    ),
    (
        "requests",
        "configure multiport port 2 pulsed 73 Hz",
        "request",
        4,
        "configure",
        {
            **CONFIGURE,
            "port": 2,
            "duration_s": 1200,
            "intensity": 1,
            "mode": "pulsed",
            "pulse_hz": 73,
        },
        "",
    ),
    (
        "requests",
        "configure sham on every port",
        "request",
        5,
        "configure",
        {**CONFIGURE, "port": 0, "sham": True},
        "A blinded sham arm: same settings, no output.",
    ),
    (
        "requests",
        "configure firmat 56 degC with override",
        "request",
        6,
        "configure",
        {**CONFIGURE, "intensity": 0, "duration_s": 3600, "setpoint_dc": 560, "override": True},
        "Above setpoint_override_dc the override flag is required.",
    ),
    (
        "requests",
        "start port 1 session 4242",
        "request",
        7,
        "start",
        {"port": 1, "session_id": 4242},
        "Repeating it while the session runs changes nothing.",
    ),
    ("requests", "stop every port", "request", 8, "stop", {"port": 0}, ""),
    ("requests", "pause port 1", "request", 9, "pause", {"port": 1}, ""),
    ("requests", "resume port 1", "request", 10, "resume", {"port": 1}, ""),
    ("requests", "clear faults everywhere", "request", 11, "clear_fault", {"port": 0}, ""),
    ("requests", "subscribe every second", "request", 12, "subscribe", {"period_ms": 1000}, ""),
    ("requests", "heartbeat every 3 s", "request", 13, "heartbeat", {"interval_ms": 3000}, ""),
    (
        "requests",
        "read usage log from the start",
        "request",
        14,
        "read_usage_log",
        {"from_index": 0, "max_count": 8},
        "",
    ),
    (
        "requests",
        "pair_setup step 1",
        "request",
        15,
        "pair_setup",
        {"step": 1, "part": 0, "parts": 1, "data": []},
        "Since 1.2: the host starts pair setup; step 1 carries no data (section 13.3).",
    ),
    (
        "requests",
        "pair_setup read step 2 part 1",
        "request",
        16,
        "pair_setup",
        {"step": 2, "part": 1, "parts": 0, "data": []},
        "Since 1.2: the host reads the second part of the device's step 2 (section 13.2).",
    ),
    (
        "requests",
        "pair_verify step 1",
        "request",
        17,
        "pair_verify",
        {"step": 1, "part": 0, "parts": 1, "data": list(range(32))},
        "Since 1.2: the host's ephemeral X25519 public key, here 00..1f to show the layout; "
        "security.yaml has a whole transcript.",
    ),
    ("requests", "list_pairings", "request", 18, "list_pairings", {}, "Since 1.2."),
    (
        "requests",
        "remove_pairing",
        "request",
        19,
        "remove_pairing",
        {"pairing_id": list(range(0xA0, 0xB0))},
        "Since 1.2: forget the host whose pairing id is a0..af.",
    ),
    (
        "responses",
        "info waistband",
        "response",
        1,
        "get_info",
        WAISTBAND_INFO,
        "The waistband profile's limits, as a 1.1 device reports them.",
    ),
    (
        "responses",
        "info multiport",
        "response",
        1,
        "get_info",
        MULTIPORT_INFO,
        "The multiport profile: mains-powered, so no battery capability and battery limits 0.",
    ),
    (
        "responses",
        "info firmat",
        "response",
        1,
        "get_info",
        FIRMAT_INFO,
        "The heated wrap's profile: setpoints instead of levels, a default setpoint of 43 degC.",
    ),
    ("responses", "status waistband running", "response", 2, "get_status", WAISTBAND_STATUS, ""),
    (
        "responses",
        "status multiport running and empty port",
        "response",
        2,
        "get_status",
        MULTIPORT_STATUS,
        "Port 2 has no pad: no reading (-32768) for either temperature. No battery: 0 and 0.",
    ),
    (
        "responses",
        "status multiport paused and faulted",
        "response",
        2,
        "get_status",
        MULTIPORT_STATUS_FAULT,
        "A paused session beside a latched over-temperature; port 2 may start once more today.",
    ),
    ("responses", "status firmat heating", "response", 2, "get_status", FIRMAT_STATUS, ""),
    ("responses", "configure done", "response", 3, "configure", {}, ""),
    ("responses", "start done", "response", 7, "start", {}, ""),
    ("responses", "stop done", "response", 8, "stop", {}, ""),
    ("responses", "pause done", "response", 9, "pause", {}, ""),
    ("responses", "resume done", "response", 10, "resume", {}, ""),
    (
        "responses",
        "clear_fault cleared",
        "response",
        11,
        "clear_fault",
        {"cleared": ["over_temperature"], "remaining": []},
        "The latch is cleared and nothing else is active.",
    ),
    (
        "responses",
        "clear_fault still latched",
        "response",
        11,
        "clear_fault",
        {"cleared": ["sensor_open"], "remaining": ["over_temperature"]},
        "The skin side is still too warm: over_temperature stays latched.",
    ),
    ("responses", "subscribed every second", "response", 12, "subscribe", {"period_ms": 1000}, ""),
    ("responses", "heartbeat armed", "response", 13, "heartbeat", {}, ""),
    (
        "responses",
        "usage log two records",
        "response",
        14,
        "read_usage_log",
        {
            "oldest_index": 6,
            "next_index": 8,
            "records": [
                {**RECORD, "log_index": 6, "end_reason": "stopped", "delivered_s": 912},
                RECORD,
            ],
        },
        "",
    ),
    (
        "responses",
        "usage log empty",
        "response",
        14,
        "read_usage_log",
        {"oldest_index": 0, "next_index": 0, "records": []},
        "",
    ),
    (
        "responses",
        "pair_setup part received",
        "response",
        15,
        "pair_setup",
        {"step": 3, "part": 0, "parts": 0, "data": []},
        "Since 1.2: the device has part 0 of the host's step 3 and waits for the next.",
    ),
    (
        "responses",
        "pair_verify step 4 verified",
        "response",
        17,
        "pair_verify",
        {"step": 4, "part": 0, "parts": 1, "data": []},
        "Since 1.2: the host is verified; sealed frames follow, both ways.",
    ),
    (
        "responses",
        "list_pairings two hosts",
        "response",
        18,
        "list_pairings",
        {"admins": 1, "pairing_ids": [*range(0xA0, 0xB0), *range(0xB0, 0xC0)]},
        "Since 1.2: the admin host a0..af paired first, then b0..bf.",
    ),
    ("responses", "remove_pairing done", "response", 19, "remove_pairing", {}, "Since 1.2."),
    ("events", "status event", "event", 0, "status", WAISTBAND_STATUS, "Event counter 0."),
    (
        "events",
        "session started",
        "event",
        1,
        "session_started",
        {"port": 1, "session_id": 4242, "duration_s": 1800},
        "",
    ),
    (
        "events",
        "session ended completed",
        "event",
        2,
        "session_ended",
        {"port": 1, "session_id": 4242, "reason": "completed", "delivered_s": 1800},
        "",
    ),
    (
        "events",
        "session ended link lost",
        "event",
        3,
        "session_ended",
        {"port": 1, "session_id": 4243, "reason": "link_lost", "delivered_s": 95},
        "The heartbeat policy stopped output.",
    ),
    (
        "events",
        "fault raised over-temperature port 3",
        "event",
        4,
        "fault_raised",
        {"port": 3, "fault": ["over_temperature"]},
        "",
    ),
    (
        "events",
        "fault cleared",
        "event",
        5,
        "fault_cleared",
        {"port": 3, "fault": ["over_temperature"]},
        "",
    ),
    ("events", "pad attached", "event", 6, "pad_attached", {"port": 2, "pad_type": 1}, ""),
    ("events", "pad detached", "event", 7, "pad_detached", {"port": 2}, ""),
    ("events", "charger connected", "event", 8, "charger_connected", {}, ""),
    ("events", "charger disconnected", "event", 9, "charger_disconnected", {}, ""),
    (
        "events",
        "low battery",
        "event",
        10,
        "low_battery",
        {"battery_pct": 15, "battery_mv": 7100},
        "",
    ),
    (
        "events",
        "booted after a brown-out",
        "event",
        0,
        "booted",
        {"boot_count": 18, "cause": "brownout"},
        "The first frame after every boot; the event counter starts again at 0.",
    ),
    ("edges", "seq 0", "request", 0, "get_status", {}, "Sequence numbers start anywhere."),
    ("edges", "seq 65535", "request", 65535, "get_status", {}, "The next one is 0."),
    (
        "edges",
        "event counter 65535",
        "event",
        65535,
        "pad_detached",
        {"port": 4},
        "The next event has counter 0; the host sees no gap.",
    ),
    (
        "edges",
        "status all zero",
        "response",
        0,
        "get_status",
        {
            "state": "idle",
            "battery_pct": 0,
            "battery_mv": 0,
            "charger_connected": False,
            "board_temp_dc": 0,
            "faults": [],
            "uptime_s": 0,
            "boot_count": 0,
            "ports": [],
        },
        "Zero in every field, and an empty port list.",
    ),
    (
        "edges",
        "status maximum values",
        "response",
        0xFFFF,
        "get_status",
        {
            "state": "off",
            "battery_pct": 100,
            "battery_mv": 0xFFFF,
            "charger_connected": True,
            "board_temp_dc": 0x7FFF,
            "faults": [
                "over_temperature",
                "sensor_open",
                "sensor_short",
                "emitter_failure",
                "burn_dose",
                "battery_cutoff",
                "internal",
                "bit15",
            ],
            "uptime_s": 0xFFFFFFFF,
            "boot_count": 0xFFFF,
            "ports": [],
        },
        "Every field at its maximum; bit15 is a fault bit v1 does not name, kept as is.",
    ),
    (
        "edges",
        "negative temperature",
        "event",
        11,
        "status",
        {
            **WAISTBAND_STATUS,
            "board_temp_dc": -400,
            "ports": [{**PORT_RUNNING, "temp_dc": -123, "skin_temp_dc": -1}],
        },
        "Temperatures are signed: -40.0, -12.3 and -0.1 degC.",
    ),
    (
        "edges",
        "info with longest strings",
        "response",
        1,
        "get_info",
        {
            **WAISTBAND_INFO,
            "model": "M" * 24,
            "serial": "S" * 24,
            "firmware_version": "F" * 16,
            "hardware_version": "H" * 16,
        },
        "Strings at their maximum length.",
    ),
    (
        "edges",
        "maximum frame size",
        "response",
        14,
        "read_usage_log",
        {"oldest_index": 0xFFFFFFF7, "next_index": 0xFFFFFFFF, "records": [RECORD_MAX] * 8},
        "The longest message of v1: eight usage records at their maximum values.",
    ),
]

ERRORS = [
    ("bad_frame", "get_status", 0, 0),
    ("unsupported_version", "get_info", 0, 0),
    ("unknown_message", "get_status", 0, 0),
    ("bad_length", "configure", 0, 0),
    ("out_of_range", "configure", 2, 3600),
    ("invalid_value", "configure", 5, 0),
    ("not_allowed", "start", 0, 0),
    ("no_pad", "start", 0, 0),
    ("low_battery", "start", 0, 0),
    ("over_temperature", "start", 0, 0),
    ("charging", "start", 0, 0),
    ("busy", "read_usage_log", 0, 0),
    ("unauthorized", "start", 0, 0),
    ("override_required", "configure", 7, 490),
    ("session_active", "configure", 0, 4242),
    ("no_session", "resume", 0, 0),
    ("daily_limit", "start", 0, 3),
    ("fault_active", "start", 0, 8),
    ("pairing_failed", "pair_setup", 94, 2),
    ("pairing_full", "pair_setup", 0, 8),
]

# The bodies 1.1 changed, as a 1.0 device sends them: what a 1.1 host still reads.
V1_0: list[V] = [
    (
        "v1_0",
        "info waistband 1.0",
        "response",
        1,
        "get_info",
        profile_info("waistband", 0),
        "A 1.0 device: device_info ends after heartbeat_misses (no protocol_minor).",
    ),
    (
        "v1_0",
        "status waistband 1.0",
        "response",
        2,
        "get_status",
        {
            **WAISTBAND_STATUS,
            "ports": [
                {k: v for k, v in PORT_RUNNING.items() if k not in ("override", "starts_left")}
            ],
        },
        "Each port_status is 23 bytes: no override, no starts_left.",
    ),
    ("v1_0", "clear_fault done 1.0", "response", 11, "clear_fault", {}, "An empty body."),
]

MALFORMED: list[tuple[str, bytes, str, str]] = [
    ("crc mismatch", b"", "crc_mismatch", "The last CRC byte of a get_status request is wrong."),
    (
        "not cobs",
        bytes.fromhex("05 01 02 00"),
        "cobs_error",
        "The code byte 05 promises four more bytes before the next zero; there are two.",
    ),
    (
        "too short",
        bytes.fromhex("03 01 02 00"),
        "frame_too_short",
        "Two payload bytes: less than a header and a CRC.",
    ),
    (
        "too long",
        bytes([0xFF] + [0x41] * 254 + [0x07] + [0x41] * 6) + b"\0",
        "frame_too_long",
        "262 encoded bytes between delimiters; a frame has at most 258.",
    ),
]
REJECTED: list[tuple[str, Frame, str, str]] = [
    (
        "version 2",
        Frame(FrameKind.REQUEST, 21, 0x02, b"", 2),
        "unsupported_version",
        "The reply is in version 1, echoing seq and msg_id.",
    ),
    ("frame kind 7", Frame(7, 22, 0x02, b""), "bad_frame", ""),
    ("response sent to a device", Frame(FrameKind.RESPONSE, 23, 0x02, b""), "bad_frame", ""),
    ("message id 0x7e", Frame(FrameKind.REQUEST, 24, 0x7E, b""), "unknown_message", ""),
    ("get_status with a body", Frame(FrameKind.REQUEST, 25, 0x02, b"\x00"), "bad_length", ""),
    ("configure cut short", Frame(FrameKind.REQUEST, 26, 0x10, b"\x01\x08\x07"), "bad_length", ""),
    (
        "configure port 7",
        Frame(FrameKind.REQUEST, 27, 0x10, bytes.fromhex("07 0807 02 00 0000 00 0000 00")),
        "out_of_range",
        "field 1 (port) above its limit 4.",
    ),
    (
        "configure mode 5",
        Frame(FrameKind.REQUEST, 28, 0x10, bytes.fromhex("01 0807 02 05 0000 00 0000 00")),
        "invalid_value",
        "field 4 (mode).",
    ),
    (
        "configure sham 2",
        Frame(FrameKind.REQUEST, 29, 0x10, bytes.fromhex("01 0807 02 00 0000 02 0000 00")),
        "invalid_value",
        "field 6 (sham): booleans are 0 or 1.",
    ),
]


def hexstr(data: bytes) -> str:
    return data.hex(" ")


def message_class(kind: str, name: str) -> Any:
    if kind == "event":
        return EVENT_BY_NAME[name]
    request = BY_NAME[name]
    return request if kind == "request" else request.RESPONSE


def build() -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {}
    for minor, vectors in ((LAYOUT_MINOR, VECTORS), (0, V1_0)):
        for file, name, kind, seq, message, fields, doc in vectors:
            model = from_plain(message_class(kind, message), fields)
            entry = {"name": name, "doc": doc, "hex": hexstr(encode_message(model, seq, minor))}
            entry |= {"kind": kind, "seq": seq, "message": message}
            if minor != LAYOUT_MINOR:
                entry["minor"] = minor
            entry["fields"] = to_plain(model, minor)  # in wire order, whatever the dict's
            files.setdefault(file, []).append({k: v for k, v in entry.items() if v != ""})
    for seq, (code, request, field, limit) in enumerate(ERRORS, start=100):
        fields = {"code": code, "field": field, "limit": limit}
        reply = from_plain(ErrorReply, fields)
        frame = Frame(FrameKind.ERROR, seq, BY_NAME[request].MSG_ID, encode_body(reply))
        files.setdefault("errors", []).append(
            {
                "name": f"error {code}",
                "hex": hexstr(encode_frame(frame)),
                "kind": "error",
                "seq": seq,
                "message": request,
                "fields": fields,
            }
        )
    good = bytearray(encode_message(BY_NAME["get_status"](), 1))
    good[-2] ^= 0x01
    malformed = []
    for name, data, error, doc in MALFORMED:
        malformed.append(
            {
                "name": name,
                "doc": doc,
                "hex": hexstr(data or bytes(good)),
                "error": error,
                "reply": None,
            }
        )
    for name, frame, error, doc in REJECTED:
        [rejected] = DeviceCodec().feed(encode_frame(frame))
        assert isinstance(rejected, Rejected)
        fields = {"code": error, "field": rejected.error.field, "limit": rejected.error.limit}
        reply = {"hex": hexstr(rejected.reply), "fields": fields}
        entry = {"name": name, "doc": doc, "hex": hexstr(encode_frame(frame)), "error": error}
        entry["reply"] = reply
        malformed.append({k: v for k, v in entry.items() if v != ""})
    files["malformed"] = malformed
    return files


HEADERS = {
    "requests": "Requests, host to device: one per message.",
    "responses": "Responses, device to host: one per message, and each device family's info.",
    "events": "Events, device to host: one per event; seq is the event counter.",
    "errors": "Error frames: one per error code; message names the refused request.",
    "edges": "Edge values: sequence wrap, zeros, maxima, signed values, the longest frame.",
    "v1_0": "The bodies 1.1 changed, as a 1.0 device sends them (read with minor 0).",
    "malformed": (
        "Frames a receiver must not accept. Frame-level errors (cobs_error, crc_mismatch,\n"
        "# frame_too_short, frame_too_long) are dropped without a reply; the others are intact\n"
        "# frames a device refuses with the error frame given in reply."
    ),
}


def render(file: str, vectors: list[dict[str, Any]]) -> str:
    head = (
        f"# IRLink 1.2 test vectors: {HEADERS[file]}\n"
        "# Generated from meanings written by hand, and checked against the codec; do not\n"
        "# edit by hand. Each hex string is one whole frame on the wire, the 0x00 delimiter\n"
        "# included. The format is described in protocols/README.md, section 10.\n"
    )
    body = yaml.safe_dump(vectors, sort_keys=False, width=100, allow_unicode=False)
    return head + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a vector file is stale")
    args = parser.parse_args()
    stale = []
    for file, vectors in build().items():
        path = OUT / f"{file}.yaml"
        text = render(file, vectors)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale vectors {stale}: run python scripts/gen_vectors.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
