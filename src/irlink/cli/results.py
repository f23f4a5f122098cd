"""What the session commands report, beside the library's own results and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from irlink.protocol.messages import EndReason, Mode

__all__ = ["Configured", "Done", "Started", "Summary"]


@dataclass(frozen=True, slots=True)
class Configured:
    """``irlink session set``: the session a port (0: every port) will run next."""

    port: int
    duration: timedelta
    intensity: int | None
    mode: Mode
    pulse_hz: int | None
    setpoint_c: float | None
    sham: bool


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
class Summary:
    """The end of ``irlink start --wait`` (and ``irlink demo``): what was delivered.

    ``reason`` and ``delivered`` come from the device (its event, or its usage log);
    both are None when the command ended before the session did. ``left_running`` then
    says whether the session was left running on the device (no ``--stop-on-exit``).
    """

    port: int
    session_id: int
    planned: timedelta
    reason: EndReason | None
    delivered: timedelta | None
    left_running: bool
