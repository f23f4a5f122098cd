"""What a :class:`~irlink.Device` tells a recorder, as it happens: the seam under the session log.

A :class:`Journal` is told of every link made, every status that reaches the host
(read or pushed), every event, every command that changes the device with its outcome,
every usage-log record read, and every security event of the link (:class:`SecurityEvent`:
a verify, a refusal, frames dropped, a pairing made or removed). Each call returns at
once with a future that is done when the record is written (:mod:`irlink.record` writes
on a thread of its own, so a slow or locked file never holds up the link), and the
device waits for it before it hands the same thing to its caller: what a caller has been
handed is recorded. A journal never raises into the device, and its futures never fail:
a recorder that cannot write says so its own way, and the device's work goes on. The
device layer knows only this interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from irlink.events import DeviceEvent
    from irlink.model import Info, Status, UsageRecord
    from irlink.protocol.messages import ErrorCode

__all__ = [
    "Command",
    "Journal",
    "JournalFactory",
    "Outcome",
    "SecurityEvent",
    "SecurityKind",
    "Written",
]

Written = Future[Any]  # done once the record is written (or given up): never fails


class Outcome(StrEnum):
    """How a command ended, as far as the host knows."""

    DONE = "done"  # the device confirmed it
    REFUSED = "refused"  # the device refused it (``Command.code`` says why)
    INVALID = "invalid"  # the host refused it before sending: a value out of the device's limits
    UNANSWERED = "unanswered"  # no answer came: the device may or may not have done it
    LINK_LOST = "link_lost"  # the link dropped: the device may or may not have done it
    NOT_SENT = "not_sent"  # not sent for another reason (a restart since configure, ...)


@dataclass(frozen=True, slots=True)
class Command:
    """One command that changes the device, with what was asked and how it ended."""

    name: str  # the request's name on the wire: configure, start, stop, pause, ...
    args: Mapping[str, object]  # what was asked, in API units (JSON-friendly values)
    outcome: Outcome
    code: ErrorCode | None = None  # the device's error code when it refused
    detail: str = ""  # the error's message when it did not end DONE
    # What the device confirmed: for configure, the settings sent and accepted (wire units).
    result: Mapping[str, object] = field(default_factory=dict)


class SecurityKind(StrEnum):
    """What happened to the link's security (IRLink 1.2), as the session log names it."""

    VERIFIED = "verified"  # pair verify done on a link: the session is sealed from now on
    VERIFY_FAILED = "verify_failed"  # pair verify did not finish (the detail says why)
    NOT_PAIRED = "not_paired"  # a device with security this host keeps no pairing of: refused
    KEY_CHANGED = "key_changed"  # the device's key is not the one kept: refused
    PAIRING_REMOVED = "pairing_removed"  # the device no longer knows this host: refused
    DOWNGRADE_REFUSED = "downgrade_refused"  # a paired device announcing no security: refused
    UNSECURED = "unsecured"  # a device without security (1.0, 1.1): controlled unauthenticated
    SESSION_LOST = "session_lost"  # the device ended the verified session: verifying again
    FRAMES_DROPPED = "frames_dropped"  # forged, replayed or plain frames dropped (counted)
    PAIRED = "paired"  # pair setup done and the pairing kept
    WRONG_CODE = "wrong_code"  # pair setup failed for the setup code
    PAIRING_REMOVED_BY_HOST = "pairing_removed_by_host"  # a pairing removed from here
    INFO_ALTERED = "info_altered"  # get_info read plain differs from the sealed one: refused


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One security event of a device's link, for the session log.

    Never a key, a setup code or a session key: pairing ids, device ids and counts only.
    ``serial`` is the device's when known. ``before_link`` is true for an event of a
    link being set up, before :meth:`Journal.linked` was told of it (a verify runs first):
    the journal files it under the connection ``linked`` opens next, if one does.
    """

    kind: SecurityKind
    detail: str = ""
    data: Mapping[str, object] = field(default_factory=dict)  # JSON-friendly values
    serial: str | None = None
    before_link: bool = False


class Journal(Protocol):
    """The recorder of one :class:`~irlink.Device`: every call returns at once, never raises."""

    @property
    def log_from(self) -> int | None:
        """The usage-log index from which the journal has not seen the device's records
        (None: no wish); the device reads its log from there at each link, not only its tail."""

    def linked(self, info: Info) -> Written:
        """A link was made (the first, or one after a drop) and the device read: ``info``."""

    def status(self, status: Status, *, pushed: bool) -> Written:
        """A status reached the host: read by a request, or ``pushed`` by a subscription."""

    def event(self, event: DeviceEvent) -> Written:
        """An event reached the host (a pushed status comes as :meth:`status` instead)."""

    def command(self, command: Command) -> Written:
        """A command that changes the device was asked for, and ended so."""

    def usage(self, records: Sequence[UsageRecord]) -> Written:
        """Records of the device's own usage log were read."""

    def security(self, event: SecurityEvent) -> Written:
        """A security event of the link (never a key or a code: see :class:`SecurityEvent`)."""

    def closed(self, reason: str) -> Written:
        """The device was closed by the host (``reason``): nothing more comes."""


class JournalFactory(Protocol):
    """What :func:`irlink.connect` takes as ``log``: it makes the journal of each device."""

    def journal(self, address: str) -> Journal:
        """A new journal for the device at ``address``."""


def plain_args(**args: object) -> dict[str, object]:
    """``args`` without those not given (None), enums as their names, and a ``duration``
    (a timedelta, seconds, or text such as ``"10m"``) as ``duration_s`` when it reads as one."""
    out: dict[str, object] = {}
    for key, value in args.items():
        if value is None:
            continue
        if key == "duration":
            seconds = _seconds(value)
            if seconds is not None:
                out["duration_s"] = seconds
                continue
        if isinstance(value, timedelta):
            out[key] = value.total_seconds()
        elif isinstance(value, Enum):
            out[key] = value.name.lower()
        else:
            out[key] = value
    return out


def _seconds(value: object) -> float | None:
    """A duration as seconds, or None if it does not read as one (kept as given then)."""
    from irlink.durations import parse_duration  # noqa: PLC0415

    try:
        return parse_duration(value).total_seconds()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
