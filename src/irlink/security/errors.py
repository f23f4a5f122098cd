"""What goes wrong in pairing, verifying and sealed frames, each error saying what to do.

Two families. :class:`Refused` and its subclasses are raised by the **device** side and
carry the ``error_reply`` (code, field, limit) the device answers the request with. The
others are raised by the **host** side (the device failed to prove itself) or by a
:class:`~irlink.security.sealed.Opener` (a sealed frame to drop and count).
"""

from __future__ import annotations

from irlink.errors import IRLinkError
from irlink.protocol.messages import ErrorCode

__all__ = [
    "AlreadyPaired",
    "AuthenticationFailed",
    "BadPairingMessage",
    "CounterExhausted",
    "Forged",
    "InfoAltered",
    "InvalidSetupCode",
    "KeyChanged",
    "NotAuthorized",
    "NotPaired",
    "NotSecure",
    "PairingListFull",
    "PairingRemoved",
    "Refused",
    "Replayed",
    "SecurityError",
    "SetupCodeRejected",
]


class SecurityError(IRLinkError):
    """Base of the errors of pairing, pair verify and sealed frames."""


class InvalidSetupCode(SecurityError, ValueError):
    """A setup code irlink will not use: not 8 digits, or one too easy to guess."""


# The device side: refusals the device answers with an error frame.


class Refused(SecurityError):
    """The device refuses a pairing request: answer it with ``error_reply(code, field, limit)``."""

    code: ErrorCode = ErrorCode.UNAUTHORIZED
    repeatable = False
    """Whether a repeat of the refused request gets this refusal again, unjudged.

    True only for refusals that depend on nothing but the request (a wrong code's proof),
    so that a host that lost the answer and sends the same part again is not counted twice.
    """

    def __init__(self, message: str, *, field: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.field = field
        self.limit = limit


class SetupCodeRejected(Refused):
    """Pair setup refused for the setup code: wrong, or too many wrong ones lately.

    ``field`` is the attempts left before pair setup locks, ``limit`` the seconds it stays
    refused from now (0: try again at once; -1: locked until a factory reset).
    """

    code = ErrorCode.PAIRING_FAILED

    def __init__(self, message: str, *, attempts_left: int, wait_s: int) -> None:
        super().__init__(message, field=attempts_left, limit=wait_s)

    @property
    def attempts_left(self) -> int:
        """Wrong codes the device still takes before it locks pair setup."""
        return self.field

    @property
    def wait_s(self) -> int:
        """Seconds before pair setup may start again; -1 once it is locked."""
        return self.limit


class PairingListFull(Refused):
    """Pair setup refused: the device keeps ``limit`` pairings already."""

    code = ErrorCode.PAIRING_FULL


class NotAuthorized(Refused):
    """Refused as unauthorized: window closed, host not paired, a bad signature, not an admin."""

    code = ErrorCode.UNAUTHORIZED


class BadPairingMessage(Refused):
    """A pairing part that breaks the exchange; ``field`` names the part's field at fault.

    1 ``step`` (not the step the exchange is at), 2 ``part`` (out of order), 3 ``parts``,
    4 ``data`` (the wrong length for its step).
    """

    code = ErrorCode.INVALID_VALUE


# The host side.


class AuthenticationFailed(SecurityError):
    """The device did not prove itself: it does not know the code, or is not the device paired."""


class KeyChanged(AuthenticationFailed):
    """Pair verify: the device's long-term key or id is not the one kept when it was paired."""


class SecurityDowngrade(AuthenticationFailed):
    """A device this host is paired with (or verified on this connection) now announces no
    security: refused, never controlled in plain (a forged ``get_info`` could say so)."""


class InfoAltered(AuthenticationFailed):
    """The ``get_info`` read in plain before pair verify differs from the one read sealed
    after it: something on the link edited it (the limits the host enforces, say); the
    connection is refused, never run on the plain one."""


class NotPaired(SecurityError):
    """The device has security, and this host keeps no pairing of it: pair first."""


class PairingRemoved(NotPaired):
    """The device refuses this host's pair verify: it no longer keeps this host's pairing."""


class NotSecure(SecurityError):
    """Pairing asked of a device without security (IRLink 1.0, 1.1): it has nothing to pair."""


class AlreadyPaired(SecurityError):
    """Pairing asked of a device this host keeps a pairing of already."""


# Sealed frames: each one refused is dropped and counted; the session goes on.


class Forged(SecurityError):
    """A sealed frame whose authentication tag does not match: dropped and counted."""


class Replayed(SecurityError):
    """A sealed frame whose counter is not above the last one accepted: dropped and counted."""


class CounterExhausted(SecurityError):
    """A direction sent 2**32 frames: the session must be verified again for new keys."""
