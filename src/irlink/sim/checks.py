"""The simulated firmware's own checks of request values against its advertised limits.

The codec has already checked lengths and the ranges of protocols/irlink-v1.yaml; what is
left are the limits this device advertises in ``device_info`` (section 7.5 of
protocols/README.md). Fields are checked in wire order, so the first bad field is named.
"""

from __future__ import annotations

from irlink.protocol.messages import ConfigureRequest, ErrorCode, Mode
from irlink.spec.device_info import AdvertisedLimits

__all__ = ["Refused", "check_configure", "check_port"]


class Refused(Exception):
    """The firmware refuses a request: the error frame's code, field and limit."""

    def __init__(self, code: ErrorCode, field: int = 0, limit: int = 0) -> None:
        super().__init__(f"{code.name} (field {field}, limit {limit})")
        self.code = code
        self.field = field
        self.limit = limit


def _range(value: int, lo: int, hi: int, field: int) -> None:
    if value < lo:
        raise Refused(ErrorCode.OUT_OF_RANGE, field, lo)
    if value > hi:
        raise Refused(ErrorCode.OUT_OF_RANGE, field, hi)


def check_port(port: int, info: AdvertisedLimits) -> None:
    """Field 1 of every request with a port: 0 (every port) or 1..port_count."""
    _range(port, 0, info.port_count, 1)


def check_configure(request: ConfigureRequest, info: AdvertisedLimits) -> None:
    """Every value of a configure request against the device's limits, in wire order."""
    check_port(request.port, info)
    _range(request.duration_s, info.session_min_s, info.session_max_s, 2)
    if request.duration_s % info.session_step_s:
        raise Refused(ErrorCode.INVALID_VALUE, 2)
    if info.intensity_levels:
        _range(request.intensity, 1, info.intensity_levels, 3)
    else:
        _range(request.intensity, 0, 0, 3)
    pulsed = request.mode == Mode.PULSED
    if pulsed and not info.has("pulsed"):
        raise Refused(ErrorCode.INVALID_VALUE, 4)
    if (request.pulse_hz not in info.pulse_hz) if pulsed else request.pulse_hz != 0:
        raise Refused(ErrorCode.INVALID_VALUE, 5)
    if request.sham and not info.has("sham"):
        raise Refused(ErrorCode.INVALID_VALUE, 6)
    _range(request.setpoint_dc, info.setpoint_min_dc, info.setpoint_max_dc, 7)
    if info.setpoint_step_dc and request.setpoint_dc % info.setpoint_step_dc:
        raise Refused(ErrorCode.INVALID_VALUE, 7)
    if request.setpoint_dc > info.setpoint_override_dc and not request.override:
        raise Refused(ErrorCode.OVERRIDE_REQUIRED, 7, info.setpoint_override_dc)
    if request.override and not info.has("heater"):
        raise Refused(ErrorCode.INVALID_VALUE, 8)
