"""Errors of the codec: frames that cannot be read, and bodies the spec does not allow."""

from __future__ import annotations

from irlink.errors import ProtocolError
from irlink.protocol.messages import ErrorCode


class FrameError(ProtocolError):
    """A frame that cannot be trusted at all; receivers drop it and read on."""


class CobsError(FrameError):
    """The bytes between two delimiters are not valid COBS."""


class CrcMismatch(FrameError):
    """The CRC does not match: the frame was corrupted on the link."""


class FrameTooShort(FrameError):
    """Fewer bytes than a header and a CRC."""


class FrameTooLong(FrameError):
    """More bytes than the protocol's maximum frame size."""


class MessageError(ProtocolError):
    """A frame that arrived intact but that the spec does not allow.

    ``code`` is the error code a device answers such a request with; ``field`` the
    1-based position of the offending field of the body (0 when none) and ``limit`` the
    bound that was crossed, as the spec's ``error_reply`` carries them.
    """

    code: ErrorCode = ErrorCode.BAD_FRAME

    def __init__(self, message: str, *, field: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.field = field
        self.limit = limit


class BadFrameKind(MessageError):
    """A frame kind this side of the link does not accept."""

    code = ErrorCode.BAD_FRAME


class UnsupportedVersion(MessageError):
    """A protocol version other than the one this codec speaks."""

    code = ErrorCode.UNSUPPORTED_VERSION


class UnknownMessage(MessageError):
    """A message id the spec does not define."""

    code = ErrorCode.UNKNOWN_MESSAGE


class BadLength(MessageError):
    """A body shorter or longer than its message defines."""

    code = ErrorCode.BAD_LENGTH


class OutOfRange(MessageError):
    """A field outside its range; ``limit`` is the bound it crossed."""

    code = ErrorCode.OUT_OF_RANGE


class InvalidValue(MessageError):
    """A field in range but not a value the spec allows (an unknown enum value, a bool of 2)."""

    code = ErrorCode.INVALID_VALUE
