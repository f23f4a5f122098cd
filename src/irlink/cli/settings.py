"""A port's next session changed only where the command line says: the rest is kept.

``configure`` sets every field of a port's next session at once, so ``session set
--duration 40m`` alone must not turn a sham session into real output at level 1. Each
setting not given is read from what the port reports it is set to (with ``--port 0``,
each port keeps its own), and every setting sent is echoed, sham included.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from irlink.cli.common import EXIT_REFUSED, EXIT_USAGE, Failure, Options
from irlink.cli.results import Configured
from irlink.cli.words import OPTIONS, failure
from irlink.durations import format_duration
from irlink.errors import LimitError
from irlink.limits import configure_request
from irlink.protocol.messages import CapabilityFlags, ErrorCode, Mode, PortState

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.model import Info, PortStatus

__all__ = ["Given", "configure_keeping", "configured_text", "port_override"]


@dataclass(frozen=True, slots=True)
class Given:
    """The settings given on the command line; None: keep what the port is set to."""

    duration: timedelta | None = None
    intensity: int | None = None
    mode: str | None = None
    pulse_hz: int | None = None
    setpoint: float | None = None
    sham: bool | None = None
    override: bool | None = None

    def names(self) -> set[str]:
        """The library's names of the settings given."""
        return {f.name for f in fields(self) if getattr(self, f.name) is not None}


def port_override(port: PortStatus) -> bool | None:
    """Whether ``port`` is set to allow a setpoint above the device's safe one; None: unknown.

    A 1.1 device reports it in its port status; a 1.0 device does not, so it is unknown.
    """
    return port.override


def merged(info: Info, port: PortStatus, given: Given) -> Configured:
    """Port ``port``'s next session: what was given, and the port's own setting elsewhere.

    An override that was not given and cannot be read is sent as off: a setpoint above
    the safe one that is kept is then refused by the limit check (nothing is sent), and
    says to pass --override; irlink never allows the hotter setting by itself.
    """
    mode = Mode[given.mode.upper()] if given.mode is not None else port.mode
    if given.pulse_hz is not None:
        pulse_hz: int | None = given.pulse_hz
    else:  # the port's rate goes with its pulsed mode, not into a mode that has none
        pulse_hz = port.pulse_hz if mode is Mode.PULSED and port.mode is Mode.PULSED else None
    intensity = given.intensity
    if intensity is None and info.intensity_levels:
        intensity = port.intensity
    setpoint = given.setpoint
    if setpoint is None and info.has(CapabilityFlags.HEATER):
        setpoint = port.setpoint_c
    override = given.override
    if override is None:
        override = bool(port_override(port))
    sham = given.sham if given.sham is not None else port.sham
    if sham is None:  # masked: a device in a blinded study, whose sessions are not set by hand
        raise Failure(
            f"port {port.port}'s sham setting is masked (a blinded study) and cannot be kept; "
            "its sessions are set by the study",
            EXIT_USAGE,
        )
    return Configured(
        port=port.port,
        duration=given.duration if given.duration is not None else port.duration,
        intensity=intensity,
        mode=mode,
        pulse_hz=pulse_hz,
        setpoint_c=setpoint,
        sham=sham,
        override=override,
    )


async def configure_keeping(
    device: Device, opts: Options, port: int, given: Given
) -> list[Configured]:
    """Set the next session of ``port`` (0: each port) to ``given``, keeping the rest.

    Returns every port's session as sent. A limit crossed by a kept setting says it was
    kept, and which option changes it. A device in a blinded study is refused: its
    sessions are the study's.
    """
    from irlink.cli.blinding import refuse_by_hand  # noqa: PLC0415

    refuse_by_hand(device, opts)
    info, now = device.info, await device.status()
    if port and not any(p.port == port for p in now.ports):
        from irlink.limits import check_port  # noqa: PLC0415

        check_port(info, port)  # raises the error that names the device's ports
    targets = [current for current in now.ports if port in (0, current.port)]
    # Every port is checked before any is sent: with --port 0, all or nothing, as the
    # device's own configure of port 0 is.
    busy = [p for p in targets if p.state in (PortState.RUNNING, PortState.PAUSED)]
    if busy:
        raise Failure(
            f"port {busy[0].port} holds session {busy[0].session_id}: a session's settings "
            "cannot change while it runs or is paused; stop it first (nothing was changed)",
            EXIT_REFUSED,
            device_code=ErrorCode.SESSION_ACTIVE,
        )
    sessions = [merged(info, current, given) for current in targets]
    for current, session in zip(targets, sessions, strict=True):
        try:
            configure_request(info, **_arguments(session))
        except LimitError as exc:
            raise _kept(exc, current.port, given) from None
    for session in sessions:
        await device.configure(**_arguments(session))
    return sessions


def _arguments(session: Configured) -> dict[str, Any]:
    """The arguments of ``Device.configure`` for ``session``."""
    return {
        "port": session.port,
        "duration": session.duration,
        "intensity": session.intensity,
        "mode": session.mode,
        "pulse_hz": session.pulse_hz,
        "setpoint": session.setpoint_c,
        "sham": session.sham,
        "override": session.override,
    }


def _kept(error: LimitError, port: int, given: Given) -> Failure:
    """The limit error, saying so when the value at fault is the port's own, kept."""
    ending = failure(error)
    option = OPTIONS.get(error.name)
    kept = error.value is not None and error.name not in given.names() | {"port"}
    if option is not None and kept:
        ending.message += f" (the port {port} setting, kept as no {option} was given)"
    return ending


def configured_text(done: Configured) -> str:
    """What ``session set`` tells a person: a port's next session, every setting named."""
    parts = [format_duration(done.duration)]
    if done.setpoint_c is not None:
        override = "with --override" if done.override else "no override"
        parts.append(f"setpoint {done.setpoint_c:g} °C ({override})")
    if done.intensity is not None:
        parts.append(f"intensity {done.intensity}")
    parts.append(done.mode.name.lower() + (f" {done.pulse_hz} Hz" if done.pulse_hz else ""))
    parts.append("sham (no output)" if done.sham else "real output")
    return f"port {done.port}: next session {', '.join(parts)}"
