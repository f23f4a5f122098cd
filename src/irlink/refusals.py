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
from irlink.protocol.messages import ErrorCode, FaultFlags
from irlink.protocol.plain import plain_enum

__all__ = [
    "BadRequest",
    "BatteryTooLow",
    "Charging",
    "DailyLimit",
    "DeviceBusy",
    "DeviceRefused",
    "FaultActive",
    "NoPad",
    "NoSession",
    "NotAllowed",
    "OutOfRange",
    "OverTemperature",
    "OverrideRequired",
    "PairingFailed",
    "PairingFull",
    "PairingWindowClosed",
    "SessionActive",
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
        super().__init__(f"the device refused {what}: {self.explain(limit)}")

    @classmethod
    def explain(cls, limit: int) -> str:
        """What the refusal means and what to do, given the ``limit`` the device sent."""
        return cls.advice

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.request, self.field, self.limit, self.code))


class BadRequest(DeviceRefused):
    """The device could not read the request: host and firmware disagree on the protocol."""

    CODE = ErrorCode.BAD_LENGTH
    advice = "host and firmware disagree on IRLink; update irlink or the firmware"


class OutOfRange(DeviceRefused):
    """A value outside the device's range got past the host's checks."""

    CODE = ErrorCode.OUT_OF_RANGE
    advice = "a value is outside the device's range; reconnect to re-read its limits"


class ValueInvalid(DeviceRefused):
    """A value the device does not accept (a pulse rate it lacks, a duration off its step)."""

    CODE = ErrorCode.INVALID_VALUE
    advice = "the device does not accept this value; pick one from device.info"


class NotAllowed(DeviceRefused):
    """Not allowed in the device's present state, for a reason it does not name.

    A 1.1 device sends it only while its output is switched off on the device itself; a
    1.0 device sends it for every refusal of state that 1.1 names with its own code.
    """

    CODE = ErrorCode.NOT_ALLOWED
    advice = (
        "not allowed in the device's present state (a session already running, no session "
        "to pause or resume, an active fault, the daily session limit reached, or the "
        "output switched off on the device); read the status and try again"
    )


class SessionActive(DeviceRefused):
    """A session runs or is paused on the port; ``limit`` is its session id."""

    CODE = ErrorCode.SESSION_ACTIVE
    advice = "a session is running or paused on the port; stop it first or let it end"

    @classmethod
    def explain(cls, limit: int) -> str:
        """Names the session the port holds."""
        if not limit:
            return cls.advice
        return f"session {limit} is running or paused on the port; stop it first or let it end"


class NoSession(DeviceRefused):
    """There is no running or paused session on the port to pause or resume."""

    CODE = ErrorCode.NO_SESSION
    advice = "there is no running or paused session on the port to pause or resume"


class DailyLimit(DeviceRefused):
    """The port has had as many session starts as the device allows in 24 hours."""

    CODE = ErrorCode.DAILY_LIMIT
    advice = "the port has had as many sessions as the device allows in 24 hours"

    @classmethod
    def explain(cls, limit: int) -> str:
        """Names the device's limit."""
        if not limit:
            return cls.advice
        return (
            f"the port has had its {limit} sessions for today (the device allows {limit} starts "
            "in any 24 hours); the next start is possible 24 hours after the oldest of them"
        )


class FaultActive(DeviceRefused):
    """An active fault (not a heat latch) blocks output; ``limit`` holds its fault bits."""

    CODE = ErrorCode.FAULT_ACTIVE
    advice = "an active fault blocks output; read the status to see which"

    @classmethod
    def explain(cls, limit: int) -> str:
        """Names the active faults."""
        names = fault_names(limit)
        if not names:
            return cls.advice
        return (
            f"a fault blocks output ({names}); remove its cause (a sensor, emitter or battery "
            "fault clears by itself) or clear a latched one, then start again"
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


class PairingWindowClosed(Unauthorized):
    """Pair setup refused as unauthorized: the device is paired already, its window closed."""

    advice = (
        "the device's pairing window is closed (it is paired with another host already): "
        "hold its pairing button, then pair again within 2 minutes"
    )


class OverrideRequired(DeviceRefused):
    """A setpoint above the override threshold was sent without ``override=True``."""

    CODE = ErrorCode.OVERRIDE_REQUIRED
    advice = "this setpoint is above the override threshold; pass override=True to confirm it"


def fault_names(bits: int) -> str:
    """The names of fault bits, ``bitN`` for one no revision names, joined by commas."""
    return ", ".join(plain_enum(FaultFlags(bits)))


class PairingFailed(DeviceRefused):
    """Pair setup refused: a wrong setup code, or too many of them lately.

    ``limit`` is the seconds the device refuses pair setup from now (0: try again at once;
    -1: locked until a factory reset), ``attempts_left`` the wrong codes it still takes
    before it locks (None when the device's answer did not say).
    """

    CODE = ErrorCode.PAIRING_FAILED
    advice = "the setup code was wrong; check the code on the device's label and pair again"

    def __init__(
        self,
        request: str,
        field: str = "",
        limit: int = 0,
        code: ErrorCode | None = None,
        *,
        attempts_left: int | None = None,
    ) -> None:
        super().__init__(request, field, limit, code)
        self.attempts_left = attempts_left
        if attempts_left is not None and limit >= 0:
            self.args = (f"{self.args[0]} ({attempts_left} attempts left before it locks)",)

    def __reduce__(self) -> tuple[object, ...]:
        return (_pairing_failed, (self.request, self.limit, self.attempts_left))

    @classmethod
    def explain(cls, limit: int) -> str:
        """The wait the device asks for (``limit`` seconds; -1: locked until a reset)."""
        if limit < 0:
            return (
                "pair setup is locked after too many wrong setup codes; "
                "only a factory reset of the device opens it again"
            )
        if limit:
            return f"too many wrong setup codes; wait {limit} s, then pair again"
        return cls.advice


class PairingFull(DeviceRefused):
    """Pair setup refused: the device keeps as many pairings as it can (``limit``)."""

    CODE = ErrorCode.PAIRING_FULL
    advice = "the device keeps as many paired hosts as it can; remove one from an admin host"

    @classmethod
    def explain(cls, limit: int) -> str:
        """What to do, given the most pairings the device keeps."""
        return (
            f"the device already keeps {limit} paired hosts; "
            "remove one from an admin host (irlink pairings remove), then pair again"
        )


_REFUSALS: dict[ErrorCode, type[DeviceRefused]] = {
    cls.CODE: cls
    for cls in (
        OutOfRange,
        ValueInvalid,
        NotAllowed,
        SessionActive,
        NoSession,
        DailyLimit,
        FaultActive,
        NoPad,
        BatteryTooLow,
        OverTemperature,
        Charging,
        DeviceBusy,
        Unauthorized,
        OverrideRequired,
        PairingFailed,
        PairingFull,
    )
}


def _pairing_failed(request: str, limit: int, attempts_left: int | None) -> PairingFailed:
    return PairingFailed(request, "", limit, attempts_left=attempts_left)


def refusal(code: ErrorCode, request: str, field: str = "", limit: int = 0) -> DeviceRefused:
    """The typed error for an error frame with ``code`` refusing ``request``."""
    # The four framing codes (bad frame, version, unknown message, length) share one class.
    return _REFUSALS.get(code, BadRequest)(request, field, limit, code)
