"""Small texts for people: durations, names, flags, one line per status or event.

Shared by the tables of ``info``, ``status`` and ``usage`` (:mod:`irlink.cli.tables`) and
the live views (:mod:`irlink.cli.watch`, :mod:`irlink.cli.follow`).
"""

from __future__ import annotations

import errno
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING

from rich.console import Console

from irlink.durations import format_duration
from irlink.events import (
    ChargerConnected,
    ChargerDisconnected,
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
    StatusUpdate,
)
from irlink.model import Status
from irlink.protocol.messages import CapabilityFlags, EndReason, FaultFlags
from irlink.protocol.plain import plain_enum

if TYPE_CHECKING:
    from irlink.cli.results import Cleared

__all__ = [
    "celsius",
    "console",
    "describe",
    "event_style",
    "flags",
    "fmt",
    "name_of",
    "on",
    "status_line",
]

# Columns for output that is not a terminal: rich would wrap it at 80, and a line cut in
# two breaks every script that reads it.
UNWRAPPED_WIDTH = 100_000


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit 1 here; irlink's own handling ends quietly with 141 instead
        # (and, following a session, first says what it leaves behind).
        raise BrokenPipeError(errno.EPIPE, "stdout was closed")


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr); a file or a pipe gets lines whole, unwrapped."""
    made = _Console(stderr=stderr)
    if not made.is_terminal:
        made.width = UNWRAPPED_WIDTH
    return made


def fmt(value: timedelta) -> str:
    return format_duration(value)


def name_of(value: Enum) -> str:
    return (value.name or str(value.value)).lower().replace("_", " ")


def flags(value: FaultFlags | CapabilityFlags, empty: str = "none") -> str:
    """The names of the bits set, ``bitN`` for a bit this version does not name."""
    names = []
    for bit in range(int(value).bit_length()):
        if int(value) >> bit & 1:
            member = type(value)(1 << bit)
            names.append(name_of(member) if member.name else f"bit{bit}")
    return ", ".join(names) or empty


def on(port: int) -> str:
    return "the device" if port == 0 else f"port {port}"


NO_READING = "\u2013"  # an en dash: a temperature the device could not read (no pad, a bad sensor)


def celsius(value: float | None) -> str:
    return NO_READING if value is None else f"{value:.1f} °C"


def status_line(status: Status) -> str:
    """One line for a status: battery, board temperature, faults and each port's session."""
    parts = [f"{name_of(status.state)}"]
    if status.battery_pct is not None:  # None: the device has no battery
        parts.append(f"battery {status.battery_pct}%")
    if status.charger_connected:
        parts.append("charging")
    parts.append(f"board {celsius(status.board_temp_c)}")
    if status.faults:
        parts.append(f"faults: {flags(status.faults)}")
    for port in status.ports:
        text = f"port {port.port} {name_of(port.state)}"
        if port.session_id:
            text += f" {fmt(port.remaining)} left of {fmt(port.duration)}"
        text += f" {celsius(port.temp_c)}"
        if port.faults:
            text += f" faults: {flags(port.faults)}"
        parts.append(text)
    return " · ".join(parts)


def describe(event: DeviceEvent) -> str:
    """One line for a person about an event."""
    match event:
        case StatusUpdate():
            return status_line(event.status)
        case SessionStarted():
            return f"session {event.session_id} started on port {event.port}: {fmt(event.duration)}"
        case SessionEnded():
            text = (
                f"session {event.session_id} ended on port {event.port}: "
                f"{name_of(event.reason)}, "
                + (
                    f"delivered {fmt(event.delivered)}"
                    if event.delivered is not None
                    else "delivered unknown (the device kept no record)"
                )
            )
            return text + (" (read from the device's usage log)" if event.recovered else "")
        case FaultRaised():
            return f"fault on {on(event.port)}: {flags(event.fault)}"
        case FaultCleared():
            return f"fault cleared on {on(event.port)}: {flags(event.fault)}"
        case PadAttached():
            return f"pad attached to port {event.port} (type {event.pad_type})"
        case PadDetached():
            return f"pad detached from port {event.port}"
        case ChargerConnected():
            return "charger connected"
        case ChargerDisconnected():
            return "charger disconnected"
        case LowBattery():
            return f"low battery: {event.battery_pct}% ({event.battery_v:.2f} V)"
        case LinkDown():
            return f"link down: {event.reason}"
        case LinkRestored():
            return "link restored" + (" (the device restarted meanwhile)" if event.rebooted else "")
        case EventsMissed():
            return f"{event.missed} events missed; status read again"
        case Restarted():
            why = f" ({name_of(event.cause)})" if event.cause is not None else ""
            return (
                f"the device restarted{why}, boot {event.boot_count}: its output is off and "
                "nothing resumes by itself"
            )
    return repr(event)  # pragma: no cover  (every event is named above)


def event_style(event: DeviceEvent) -> str:
    if isinstance(event, FaultRaised | LinkDown | LowBattery | PadDetached | EventsMissed):
        return "bold red" if isinstance(event, FaultRaised | LinkDown) else "yellow"
    if isinstance(event, SessionEnded) and event.reason is not EndReason.COMPLETED:
        return "yellow"
    return ""


# What each fault needs before a session can start again, for ``clear-fault``.
_STILL = {
    "over_temperature": "latched until the skin side has cooled; clear it again then",
    "burn_dose": "latched until the skin side has cooled; clear it again then",
    "sensor_open": "clears by itself once the sensor reads again",
    "sensor_short": "clears by itself once the sensor reads again",
    "emitter_failure": "clears by itself once the emitters draw their current again",
    "battery_cutoff": "clears by itself once the battery is charged above its cut-off",
    "internal": "clears with `irlink clear-fault --port 0`",
}


def cleared_text(result: Cleared, *, short: bool = False) -> str:
    """What ``clear-fault`` did: what was cleared, and each fault still active, with why."""
    parts = []
    if not short:
        parts.append(f"cleared {flags(result.cleared)}" if result.cleared else "nothing cleared")
    if not result.remaining:
        return f"{on(result.port) if result.port else 'every port'}: " + (
            f"{parts[0]}; no fault is active" if parts else "no fault is active"
        )
    for where in result.still_active:
        reasons = [
            f"{name.replace('_', ' ')} ({_STILL.get(name, 'still active')})"
            for name in plain_enum(where.faults)
        ]
        parts.append(f"still active on {on(where.port)}: {', '.join(reasons)}")
    return "; ".join(parts)
