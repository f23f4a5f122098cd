"""What a :class:`~irlink.Device` tells a recorder, as it happens: the seam under the session log.

A :class:`Journal` is told of every link made, every status that reaches the host
(read or pushed), every event, every command that changes the device with its outcome,
and every usage-log record read, each *before* the caller sees it: so a caller that
has been handed something can count on it being recorded (:mod:`irlink.record` keeps
it in SQLite). A journal never raises into the device: a recorder that cannot write
says so its own way, and the device's work goes on. The device layer knows only this
interface; :mod:`irlink.record` implements it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from irlink.events import DeviceEvent
    from irlink.model import Info, Status, UsageRecord
    from irlink.protocol.messages import ErrorCode

__all__ = ["Command", "Journal", "JournalFactory", "Outcome"]


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
    result: Mapping[str, object] = field(default_factory=dict)  # what the answer said


class Journal(Protocol):
    """The recorder of one :class:`~irlink.Device`: every call returns at once and never raises."""

    @property
    def log_from(self) -> int | None:
        """The usage-log index from which the journal has not seen the device's records
        (None: no wish); the device reads its log from there at each link, not only its tail."""

    def linked(self, info: Info) -> None:
        """A link was made (the first, or one after a drop) and the device read: ``info``."""

    def status(self, status: Status, *, pushed: bool) -> None:
        """A status reached the host: read by a request, or ``pushed`` by a subscription."""

    def event(self, event: DeviceEvent) -> None:
        """An event reached the host (a pushed status comes as :meth:`status` instead)."""

    def command(self, command: Command) -> None:
        """A command that changes the device was asked for, and ended so."""

    def usage(self, records: Sequence[UsageRecord]) -> None:
        """Records of the device's own usage log were read."""

    def closed(self, reason: str) -> None:
        """The device was closed by the host (``reason``): nothing more comes."""


class JournalFactory(Protocol):
    """What :func:`irlink.connect` takes as ``log``: it makes the journal of each device."""

    def journal(self, address: str) -> Journal:
        """A new journal for the device at ``address``."""


def plain_args(**args: object) -> dict[str, object]:
    """``args`` without those not given (None); durations in seconds, enums as their names."""
    out: dict[str, object] = {}
    for key, value in args.items():
        if value is None:
            continue
        if isinstance(value, timedelta):
            out[key] = value.total_seconds()
        elif isinstance(value, Enum):
            out[key] = value.name.lower()
        else:
            out[key] = value
    return out
