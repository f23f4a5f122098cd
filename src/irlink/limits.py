"""Every value checked against the limits the device advertised, before anything is sent.

The host keeps no per-model tables: the limits come from the device's own ``get_info``
answer (:class:`~irlink.model.Info`). A value outside them raises
:class:`~irlink.errors.LimitError`, which names the parameter, the limit and the fix.
The device checks again (DOMAIN.md rule 8: never trust one side alone).
"""

from __future__ import annotations

import math
from datetime import timedelta

from irlink.durations import format_duration, parse_duration
from irlink.errors import LimitError
from irlink.model import Info
from irlink.protocol.messages import CapabilityFlags, ConfigureRequest, Mode

__all__ = ["DurationLike", "check_port", "configure_request", "heartbeat_ms", "period_ms"]

DurationLike = timedelta | str | float


def _fail(message: str, name: str, value: object, limit: object = None) -> LimitError:
    return LimitError(message, name=name, value=value, limit=limit)


def _int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{name} must be a whole number, not {value!r}", name, value)
    return value


def check_port(info: Info, port: int) -> int:
    """``port`` if the device has it: 0 (every port) or 1..port_count."""
    port = _int("port", port)
    if not 0 <= port <= info.port_count:
        ports = "1" if info.port_count == 1 else f"1 to {info.port_count}"
        raise _fail(
            f"port {port}: this device has port {ports}; use 0 for every port",
            "port",
            port,
            info.port_count,
        )
    return port


def _seconds(value: DurationLike, name: str, label: str) -> float:
    """``value`` in seconds; a LimitError naming ``label`` if it is not a duration."""
    try:
        return parse_duration(value).total_seconds()
    except ValueError as exc:
        raise _fail(f"{label}: {exc}", name, value) from None


def _duration(info: Info, value: DurationLike | None) -> int:
    if value is None:
        return int(info.session_default.total_seconds())
    seconds = _seconds(value, "duration", "duration")
    lo, hi = info.session_min, info.session_max
    step = int(info.session_step.total_seconds())
    shown = format_duration(seconds)
    if seconds < lo.total_seconds():
        raise _fail(
            f"duration {shown} is below this device's minimum session of "
            f"{format_duration(lo)}; choose at least {format_duration(lo)}",
            "duration",
            value,
            lo,
        )
    if seconds > hi.total_seconds():
        raise _fail(
            f"duration {shown} is above this device's maximum session of "
            f"{format_duration(hi)}; choose at most {format_duration(hi)}",
            "duration",
            value,
            hi,
        )
    if seconds != int(seconds) or int(seconds) % step:
        raise _fail(
            f"duration {shown} is not a whole number of this device's {format_duration(step)} "
            f"steps; round it to a multiple of {format_duration(step)}",
            "duration",
            value,
            info.session_step,
        )
    return int(seconds)


def _intensity(info: Info, value: int | None) -> int:
    levels = info.intensity_levels
    if levels == 0:
        if value not in (None, 0):
            raise _fail(
                "intensity: this device sets its output by temperature; "
                "leave intensity out and give a setpoint",
                "intensity",
                value,
                0,
            )
        return 0
    if value is None:
        return 1  # the lowest level: the gentle default
    value = _int("intensity", value)
    if not 1 <= value <= levels:
        raise _fail(
            f"intensity {value}: this device has levels 1 to {levels}; choose one of them",
            "intensity",
            value,
            levels,
        )
    return value


def _mode(info: Info, mode: Mode | str, pulse_hz: int | None) -> tuple[Mode, int]:
    try:
        mode = mode if isinstance(mode, Mode) else Mode[str(mode).upper()]
    except KeyError:
        raise _fail(f"mode {mode!r}: choose continuous or pulsed", "mode", mode) from None
    if mode is Mode.CONTINUOUS:
        if pulse_hz not in (None, 0):
            raise _fail(
                "pulse_hz is only for pulsed mode; give mode=pulsed or leave pulse_hz out",
                "pulse_hz",
                pulse_hz,
            )
        return mode, 0
    rates = ", ".join(str(hz) for hz in info.pulse_hz)
    if not info.has(CapabilityFlags.PULSED):
        raise _fail("mode pulsed: this device has no pulsed mode; use continuous", "mode", mode)
    if pulse_hz is None:
        raise _fail(f"pulsed mode needs pulse_hz, one of {rates}", "pulse_hz", pulse_hz)
    if _int("pulse_hz", pulse_hz) not in info.pulse_hz:
        raise _fail(
            f"pulse_hz {pulse_hz}: this device pulses at {rates} Hz; choose one of them",
            "pulse_hz",
            pulse_hz,
            info.pulse_hz,
        )
    return mode, pulse_hz


def _setpoint(info: Info, setpoint: float | None, override: bool) -> int:
    if not info.has(CapabilityFlags.HEATER):
        if setpoint is not None or override:
            raise _fail(
                "setpoint: this device has no heater; leave setpoint and override out",
                "setpoint",
                setpoint,
            )
        return 0
    if setpoint is None:
        # The device's own default (1.1), else the coolest setpoint: the gentle choice.
        default = info.setpoint_default_c
        return round((info.setpoint_min_c if default is None else default) * 10)
    if isinstance(setpoint, bool) or not isinstance(setpoint, int | float):
        raise _fail(f"setpoint must be degrees Celsius, not {setpoint!r}", "setpoint", setpoint)
    lo, hi, step = info.setpoint_min_c, info.setpoint_max_c, info.setpoint_step_c
    if not lo <= setpoint <= hi:
        raise _fail(
            f"setpoint {setpoint:g} °C is outside this device's {lo:g} to {hi:g} °C; "
            "choose a setpoint in that range",
            "setpoint",
            setpoint,
            lo if setpoint < lo else hi,
        )
    deci = setpoint * 10
    if not math.isclose(deci, round(deci), abs_tol=1e-6) or (
        step and round(deci) % round(step * 10)
    ):
        raise _fail(
            f"setpoint {setpoint:g} °C is not a multiple of this device's {step:g} °C step; "
            "round it",
            "setpoint",
            setpoint,
            step,
        )
    if setpoint > info.setpoint_override_c and not override:
        raise _fail(
            f"setpoint {setpoint:g} °C is above {info.setpoint_override_c:g} °C, where skin "
            "can burn; pass override=True if that is really meant",
            "setpoint",
            setpoint,
            info.setpoint_override_c,
        )
    return round(deci)


def configure_request(
    info: Info,
    *,
    port: int = 0,
    duration: DurationLike | None = None,
    intensity: int | None = None,
    mode: Mode | str = Mode.CONTINUOUS,
    pulse_hz: int | None = None,
    setpoint: float | None = None,
    sham: bool = False,
    override: bool = False,
) -> ConfigureRequest:
    """The ``configure`` request for these values, each checked against ``info``."""
    port = check_port(info, port)
    duration_s = _duration(info, duration)
    level = _intensity(info, intensity)
    wire_mode, hz = _mode(info, mode, pulse_hz)
    if sham and not info.has(CapabilityFlags.SHAM):
        raise _fail(
            "sham: this device has no sham mode; leave sham out, or run blinded sessions "
            "on a device that has one",
            "sham",
            sham,
        )
    setpoint_dc = _setpoint(info, setpoint, override)
    return ConfigureRequest(
        port=port,
        duration_s=duration_s,
        intensity=level,
        mode=wire_mode,
        pulse_hz=hz,
        sham=bool(sham),
        setpoint_dc=setpoint_dc,
        override=bool(override),
    )


def period_ms(info: Info, period: DurationLike | None) -> int:
    """The ``subscribe`` period in ms: None or 0 for off, else at least the device's minimum."""
    if period is None:
        return 0
    ms = _seconds(period, "period", "status period") * 1000
    low = info.status_period_min
    if ms and ms < low.total_seconds() * 1000:
        raise _fail(
            f"status period {format_duration(ms / 1000)} is shorter than this device's "
            f"minimum of {format_duration(low)}; choose at least {format_duration(low)}",
            "period",
            period,
            low,
        )
    if ms > 0xFFFF:
        raise _fail(
            f"status period {format_duration(ms / 1000)} is longer than the protocol's "
            "65.535 s; choose a shorter one",
            "period",
            period,
            timedelta(milliseconds=0xFFFF),
        )
    return round(ms)


def heartbeat_ms(info: Info, interval: DurationLike | None) -> int:
    """The ``heartbeat`` interval in ms: None or 0 for off, else at most the device's maximum."""
    if interval is None:
        return 0
    ms = _seconds(interval, "heartbeat", "heartbeat") * 1000
    high = info.heartbeat_max
    if ms > high.total_seconds() * 1000:
        raise _fail(
            f"heartbeat {format_duration(ms / 1000)} is longer than this device's maximum of "
            f"{format_duration(high)}; choose at most {format_duration(high)}",
            "heartbeat",
            interval,
            high,
        )
    if 0 < ms < 100:
        raise _fail(
            "heartbeat shorter than 100 ms would flood the link; "
            "choose 100ms or more (1s is typical)",
            "heartbeat",
            interval,
            timedelta(milliseconds=100),
        )
    return round(ms)
