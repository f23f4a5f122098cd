"""The irlink error hierarchy: every error says what went wrong and what to do.

::

    IRLinkError
    ├── SpecError            protocols/ is missing or broken
    ├── ProtocolError        bytes on the wire that do not follow IRLink
    ├── AddressError         a device address irlink cannot read (also a ValueError)
    ├── LimitError           a value outside a limit the device advertised (also a ValueError)
    ├── TransportError       the link to the device
    │   ├── ConnectError     could not open it
    │   │   ├── DeviceNotFound   nothing answers at that address, or ``auto`` found no
    │   │   │                     device or several
    │   │   └── DeviceMismatch   another device answers where the connected one was
    │   └── LinkLost         it went down and did not come back in time
    ├── RequestTimeout       no answer in time (also the built-in TimeoutError)
    ├── DeviceRestarted      the device restarted under a request that changes output
    └── DeviceRefused        the device answered with an error frame; one subclass per
                             code, in :mod:`irlink.refusals`

Catch :class:`IRLinkError` to handle everything irlink raises on purpose.
"""

from __future__ import annotations

__all__ = [
    "AddressError",
    "ConnectError",
    "DeviceMismatch",
    "DeviceNotFound",
    "DeviceRestarted",
    "IRLinkError",
    "LimitError",
    "LinkLost",
    "ProtocolError",
    "RequestTimeout",
    "SpecError",
    "TransportError",
]


class IRLinkError(Exception):
    """Base of every error irlink raises on purpose."""


class SpecError(IRLinkError):
    """protocols/ is missing or does not validate: the installation or the spec is broken."""


class ProtocolError(IRLinkError):
    """Bytes on the wire that do not follow IRLink v1."""


class AddressError(IRLinkError, ValueError):
    """A device address irlink cannot read; the message shows the forms it accepts."""


class LimitError(IRLinkError, ValueError):
    """A value outside a limit the device advertised; nothing was sent.

    ``name`` is the parameter, ``value`` what was asked, ``limit`` the bound it crossed
    (in the units of the API: seconds, degrees Celsius, hertz).
    """

    def __init__(self, message: str, *, name: str, value: object, limit: object = None) -> None:
        super().__init__(message)
        self.name = name
        self.value = value
        self.limit = limit

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments: pickle (multiprocessing, logging handlers) needs help.
        return (_limit_error, (str(self), self.name, self.value, self.limit))


def _limit_error(message: str, name: str, value: object, limit: object) -> LimitError:
    return LimitError(message, name=name, value=value, limit=limit)


class TransportError(IRLinkError):
    """The byte link to the device: it could not be opened, or it broke."""


class ConnectError(TransportError):
    """The link could not be opened (port missing or busy, BLE connection failed)."""


class DeviceNotFound(ConnectError):
    """Nothing answers at the address, or discovery found no device or several."""


class DeviceMismatch(ConnectError):
    """After a reconnection another device answered: irlink will not talk to it instead."""


class LinkLost(TransportError):
    """The link went down and did not come back in time."""


class DeviceRestarted(IRLinkError):
    """The device restarted during (or since the host prepared) a request that changes output.

    A restart puts every setting back to the device's defaults, so a ``configure``,
    ``start`` or ``resume`` carried over it would act on settings nobody chose (a sham
    session would run as real output). irlink does not send it again: read the status,
    configure again and decide.
    """


class RequestTimeout(IRLinkError, TimeoutError):
    """A request got no answer in time, after its retries.

    ``silent`` is True when nothing at all came back from the device during its last
    tries, so the link was taken as lost; False when the device was heard meanwhile
    (frames came back, damaged or not the answer): a noisy link, kept.
    """

    def __init__(self, message: str, *, silent: bool = False) -> None:
        super().__init__(message)
        self.silent = silent
