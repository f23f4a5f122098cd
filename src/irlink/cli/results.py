"""What the session commands report, beside the library's own results and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from irlink.protocol.messages import EndReason, ErrorCode, FaultFlags, Mode

__all__ = [
    "Cleared",
    "Configured",
    "Done",
    "Error",
    "PortFaults",
    "Reported",
    "Started",
    "Summary",
]


@dataclass(frozen=True, slots=True)
class Configured:
    """``irlink session set``: the session a port will run next, every setting as sent.

    ``intensity`` is None on a device without levels, ``setpoint_c`` on one without a
    heater; ``override`` is whether a setpoint above the device's safe one is allowed.
    """

    port: int
    duration: timedelta
    intensity: int | None
    mode: Mode
    pulse_hz: int | None
    setpoint_c: float | None
    sham: bool
    override: bool


@dataclass(frozen=True, slots=True)
class Started:
    """``irlink start``: the session began; the device's own timer will end it."""

    port: int
    session_id: int


@dataclass(frozen=True, slots=True)
class Done:
    """``irlink stop``, ``pause``, ``resume`` or ``clear-fault`` was carried out."""

    command: Literal["stop", "pause", "resume", "clear_fault"]
    port: int


@dataclass(frozen=True, slots=True)
class PortFaults:
    """The faults still active on one port (0: the device itself) after ``clear-fault``."""

    port: int
    faults: FaultFlags


@dataclass(frozen=True, slots=True)
class Cleared:
    """``irlink clear-fault``: what the device cleared, and every fault still active.

    ``cleared`` and ``remaining`` are the device's own answer for the port asked
    (0: every port and the device); ``still_active`` says where each remaining fault
    is, read from the device's status just after.
    """

    port: int
    cleared: FaultFlags
    remaining: FaultFlags
    still_active: tuple[PortFaults, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """The end of ``irlink start --wait`` (and ``irlink demo``): what was delivered.

    ``completed`` is true only when the device said the session ran its whole length
    (reason ``completed``); a session that ended early (a fault, a pad unplugged, a
    stop, a lost link, power loss, low battery, the charger) is false, with the
    ``reason``. ``reason`` and ``delivered`` come from the device (its event, or its
    usage log); both are None when the command ended before the session did.
    ``left_running`` then says whether the session was left running on the device.
    """

    port: int
    session_id: int
    planned: timedelta
    completed: bool
    reason: EndReason | None
    delivered: timedelta | None
    left_running: bool


@dataclass(frozen=True, slots=True)
class Error:
    """With ``--json``, the last line when irlink exits with an error.

    ``code`` is the exit code, ``message`` the line irlink wrote on stderr,
    ``device_code`` the device's error code when the device refused (else None), and
    ``option`` the option or environment variable at fault, when one is.
    """

    code: int
    message: str
    device_code: ErrorCode | None
    option: str | None


@dataclass(frozen=True, slots=True)
class Reported:
    """``irlink report``: the HTML report written, and what it covers.

    ``sessions`` counts the sessions in its tables, of ``devices`` devices; ``plotted``
    those drawn over time, the sessions that started from ``plots_from`` to
    ``plots_until`` (days, ``YYYY-MM-DD``; None when none are plotted).
    """

    path: str
    devices: int
    sessions: int
    plotted: int
    plots_from: str | None
    plots_until: str | None
