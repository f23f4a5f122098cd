"""The device's refusals: one error class per error code, each saying what to do.

>>> from irlink.protocol.messages import ErrorCode
>>> error = refusal(ErrorCode.NO_PAD, "start")
>>> isinstance(error, NoPad), error.code.name
(True, 'NO_PAD')
>>> print(error)
the device refused start: no_pad: no pad is plugged into the port; plug one in and try again
"""

from __future__ import annotations

from typing import ClassVar

from irlink.errors import IRLinkError
from irlink.protocol.messages import ErrorCode

__all__ = [
    "BadRequest",
    "BatteryTooLow",
    "Charging",
    "DeviceBusy",
    "DeviceRefused",
    "NoPad",
    "NotAllowed",
    "OutOfRange",
    "OverTemperature",
    "OverrideRequired",
    "Unauthorized",
    "ValueInvalid",
    "refusal",
]


class DeviceRefused(IRLinkError):
    """The device refused a request with an error frame.

    ``code`` is the device's :class:`~irlink.protocol.messages.ErrorCode`, ``request`` the
    name of the refused request, ``field`` the name of the field at fault (empty when the
    device named none) and ``limit`` the bound the device gave, in wire units.
    """

    CODE: ClassVar[ErrorCode]
    advice: ClassVar[str] = ""

    def __init__(
        self, request: str, field: str = "", limit: int = 0, code: ErrorCode | None = None
    ) -> None:
        self.code: ErrorCode = self.CODE if code is None else code
        self.request = request
        self.field = field
        self.limit = limit
        what = f"{request}: {self.code.name.lower()}"
        if field:
            what += f" ({field}, device limit {limit})"
        super().__init__(f"the device refused {what}: {self.advice}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.request, self.field, self.limit, self.code))


class BadRequest(DeviceRefused):
    """The device could not read the request: host and firmware disagree on the protocol."""

    CODE = ErrorCode.BAD_LENGTH
    advice = "host and firmware disagree on IRLink v1; update irlink or the firmware"


class OutOfRange(DeviceRefused):
    """A value outside the device's range got past the host's checks."""

    CODE = ErrorCode.OUT_OF_RANGE
    advice = "a value is outside the device's range; reconnect to re-read its limits"


class ValueInvalid(DeviceRefused):
    """A value the device does not accept (a pulse rate it lacks, a duration off its step)."""

    CODE = ErrorCode.INVALID_VALUE
    advice = "the device does not accept this value; pick one from device.info"


class NotAllowed(DeviceRefused):
    """Not allowed in the device's present state."""

    CODE = ErrorCode.NOT_ALLOWED
    advice = (
        "not allowed now (another session is running, the port is not paused or running, "
        "or the daily session limit is reached); read status() and try again"
    )


class NoPad(DeviceRefused):
    """No pad is plugged into the port."""

    CODE = ErrorCode.NO_PAD
    advice = "no pad is plugged into the port; plug one in and try again"


class BatteryTooLow(DeviceRefused):
    """The battery is below the level a session may start at."""

    CODE = ErrorCode.LOW_BATTERY
    advice = "the battery is too low to start a session; charge the device first"


class OverTemperature(DeviceRefused):
    """The device is too hot, or an over-temperature fault is latched."""

    CODE = ErrorCode.OVER_TEMPERATURE
    advice = "the device is too hot or has a latched heat fault; let it cool, then clear_fault()"


class Charging(DeviceRefused):
    """No therapy while the charger is connected."""

    CODE = ErrorCode.CHARGING
    advice = "no session while charging; unplug the charger"


class DeviceBusy(DeviceRefused):
    """The device cannot serve the request now."""

    CODE = ErrorCode.BUSY
    advice = "the device is busy; try again in a moment"


class Unauthorized(DeviceRefused):
    """The link is not authenticated for this request."""

    CODE = ErrorCode.UNAUTHORIZED
    advice = "the link is not authenticated; pair with the device and reconnect"


class OverrideRequired(DeviceRefused):
    """A setpoint above the override threshold was sent without ``override=True``."""

    CODE = ErrorCode.OVERRIDE_REQUIRED
    advice = "this setpoint is above the override threshold; pass override=True to confirm it"


_REFUSALS: dict[ErrorCode, type[DeviceRefused]] = {
    cls.CODE: cls
    for cls in (
        OutOfRange,
        ValueInvalid,
        NotAllowed,
        NoPad,
        BatteryTooLow,
        OverTemperature,
        Charging,
        DeviceBusy,
        Unauthorized,
        OverrideRequired,
    )
}


def refusal(code: ErrorCode, request: str, field: str = "", limit: int = 0) -> DeviceRefused:
    """The typed error for an error frame with ``code`` refusing ``request``."""
    # The four framing codes (bad frame, version, unknown message, length) share one class.
    return _REFUSALS.get(code, BadRequest)(request, field, limit, code)
