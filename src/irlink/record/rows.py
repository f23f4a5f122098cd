"""What the recorder writes of a device, besides its samples: its link, its limits, its events.

Each event becomes a row of its kind, port and session id, and the rest of what it says
as JSON, in plain words (reasons and faults by name, durations in seconds).
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict
from typing import Any

from irlink.events import (
    DeviceEvent,
    EventsMissed,
    FaultCleared,
    FaultRaised,
    LinkDown,
    LinkRestored,
    LowBattery,
    PadAttached,
    PadDetached,
    Restarted,
    SessionEnded,
    SessionStarted,
)
from irlink.model import Info

__all__ = ["event_row", "info_json", "link_kind", "user_name"]


def link_kind(address: str) -> str:
    """The kind of link an address names: sim, ble, tcp or serial."""
    for prefix, kind in (("sim://", "sim"), ("ble://", "ble"), ("socket://", "tcp")):
        if address.startswith(prefix):
            return kind
    return "serial"


def info_json(info: Info) -> str:
    """What a device advertised, as the JSON the log keeps (durations in seconds)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "total_seconds"):
            return value.total_seconds()
        if hasattr(value, "name") and hasattr(value, "value"):
            return value.name.lower() if value.name else int(value)
        return value

    return json.dumps({key: plain(value) for key, value in asdict(info).items()}, default=str)


def user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def event_row(event: DeviceEvent) -> tuple[str, int | None, int | None, dict[str, Any]]:
    """An event as its kind, port, session id and the rest of what it says."""
    match event:
        case SessionStarted():
            return (
                "session_started",
                event.port,
                event.session_id,
                {"duration_s": event.duration.total_seconds()},
            )
        case SessionEnded():
            delivered = None if event.delivered is None else event.delivered.total_seconds()
            return (
                "session_ended",
                event.port,
                event.session_id,
                {
                    "reason": event.reason.name.lower(),
                    "delivered_s": delivered,
                    "recovered": event.recovered,
                },
            )
        case FaultRaised() | FaultCleared():
            kind = "fault_raised" if isinstance(event, FaultRaised) else "fault_cleared"
            names = [f.name.lower() for f in type(event.fault) if f in event.fault and f.name]
            return kind, event.port, None, {"fault": int(event.fault), "faults": names}
        case PadAttached():
            return "pad_attached", event.port, None, {"pad_type": event.pad_type}
        case PadDetached():
            return "pad_detached", event.port, None, {}
        case LowBattery():
            return (
                "low_battery",
                None,
                None,
                {
                    "battery_pct": event.battery_pct,
                    "battery_v": event.battery_v,
                },
            )
        case LinkDown():
            return "link_down", None, None, {"reason": event.reason}
        case LinkRestored():
            return (
                "link_restored",
                None,
                None,
                {
                    "rebooted": event.rebooted,
                    "boot_count": event.status.boot_count,
                },
            )
        case Restarted():
            cause = None if event.cause is None else event.cause.name.lower()
            return "restarted", None, None, {"boot_count": event.boot_count, "cause": cause}
        case EventsMissed():
            return "events_missed", None, None, {"missed": event.missed}
    name = type(event).__name__
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return snake, None, None, {}
