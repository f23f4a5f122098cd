"""Events in API units: what the device sent, and what the host saw happen to the link.

:meth:`irlink.Device.events` yields them in the order they happened. Device events
mirror the wire's (``status`` becomes :class:`StatusUpdate`); :class:`LinkDown`,
:class:`LinkRestored`, :class:`EventsMissed` and :class:`Restarted` are the host's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from irlink.model import Info, Status
from irlink.protocol import messages as wire
from irlink.protocol.messages import EndReason, FaultFlags, ResetCause
from irlink.protocol.wire import Event as WireEvent

__all__ = [
    "ChargerConnected",
    "ChargerDisconnected",
    "DeviceEvent",
    "Event",
    "EventsMissed",
    "FaultCleared",
    "FaultRaised",
    "LinkDown",
    "LinkRestored",
    "LowBattery",
    "PadAttached",
    "PadDetached",
    "Restarted",
    "SessionEnded",
    "SessionStarted",
    "StatusUpdate",
    "from_wire_event",
]


def _now() -> datetime:
    return datetime.now(UTC)


def _s(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event; ``at`` is when the host received it (UTC)."""

    at: datetime = field(default_factory=_now)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate(Event):
    """A status the device pushed (see :meth:`irlink.Device.subscribe`)."""

    status: Status


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(Event):
    """A session began on a port."""

    port: int
    session_id: int
    duration: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnded(Event):
    """A session ended; ``delivered`` is the time output was really on, by the device's count.

    ``recovered`` is true when the host missed the device's event (link down, frames
    lost) and read the ending from the usage log instead. ``delivered`` is None only for
    a session a restart cut whose record the device did not keep: it ended (a device
    never resumes after a boot), but how much it delivered nobody can say.
    """

    port: int
    session_id: int
    reason: EndReason
    delivered: timedelta | None
    recovered: bool = False

    @property
    def completed(self) -> bool:
        """Whether the session ran its whole planned time (reason ``COMPLETED``).

        Any other reason (stopped, a fault, the pad detached, low battery, the charger, the
        link lost, power lost) means it ended early and delivered less than planned.
        """
        return self.reason is EndReason.COMPLETED


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRaised(Event):
    """A fault was raised on a port (0: the whole device)."""

    port: int
    fault: FaultFlags


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultCleared(Event):
    """A fault was cleared on a port (0: the whole device)."""

    port: int
    fault: FaultFlags


@dataclass(frozen=True, slots=True, kw_only=True)
class PadAttached(Event):
    """A pad was plugged into a port."""

    port: int
    pad_type: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PadDetached(Event):
    """A pad was unplugged from a port."""

    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerConnected(Event):
    """The charger was plugged in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerDisconnected(Event):
    """The charger was unplugged."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LowBattery(Event):
    """The battery fell to the warning level."""

    battery_pct: int
    battery_v: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDown(Event):
    """The host lost the link; the device's own timer goes on. irlink reconnects if allowed.

    After the last reconnection attempt (or a different device answering) it comes once
    more, with the reason irlink gave up; requests then raise :class:`irlink.LinkLost`.
    """

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkRestored(Event):
    """The link is back and the host re-read the device; ``rebooted`` if it restarted since."""

    status: Status
    rebooted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Restarted(Event):
    """The device restarted (power loss, reset, brown-out, watchdog) while the link stayed up.

    A device boots with every output off and never resumes a session: the sessions the
    restart cut come next, as :class:`SessionEnded` with reason ``POWER_LOSS`` read from
    the device's usage log. By then irlink has re-read the device, subscribed again and
    re-armed the heartbeat; it configures and starts nothing. ``cause`` is what the
    device said of its boot, None when it said nothing (a 1.0 device, or its ``booted``
    event lost, noticed from the boot count); ``status`` is the state read after it.
    """

    boot_count: int
    cause: ResetCause | None
    status: Status


@dataclass(frozen=True, slots=True, kw_only=True)
class EventsMissed(Event):
    """The event counter jumped: ``missed`` events were lost; ``status`` is the state re-read."""

    missed: int
    status: Status


DeviceEvent = (
    StatusUpdate
    | SessionStarted
    | SessionEnded
    | FaultRaised
    | FaultCleared
    | PadAttached
    | PadDetached
    | ChargerConnected
    | ChargerDisconnected
    | LowBattery
    | LinkDown
    | LinkRestored
    | EventsMissed
    | Restarted
)


def from_wire_event(event: WireEvent, info: Info | None = None) -> DeviceEvent:
    """The API event for an event frame's message, from the device ``info`` describes.

    ``booted`` has no event of its own: irlink re-reads the device and reports
    :class:`Restarted` (see :meth:`irlink.Device.events`).
    """
    match event:
        case wire.StatusEvent():
            return StatusUpdate(status=Status.from_wire(event, info))
        case wire.SessionStartedEvent():
            return SessionStarted(
                port=event.port, session_id=event.session_id, duration=_s(event.duration_s)
            )
        case wire.SessionEndedEvent():
            return SessionEnded(
                port=event.port,
                session_id=event.session_id,
                reason=event.reason,
                delivered=_s(event.delivered_s),
            )
        case wire.FaultRaisedEvent():
            return FaultRaised(port=event.port, fault=event.fault)
        case wire.FaultClearedEvent():
            return FaultCleared(port=event.port, fault=event.fault)
        case wire.PadAttachedEvent():
            return PadAttached(port=event.port, pad_type=event.pad_type)
        case wire.PadDetachedEvent():
            return PadDetached(port=event.port)
        case wire.ChargerConnectedEvent():
            return ChargerConnected()
        case wire.ChargerDisconnectedEvent():
            return ChargerDisconnected()
        case wire.LowBatteryEvent():
            return LowBattery(battery_pct=event.battery_pct, battery_v=event.battery_mv / 1000)
    raise ValueError(f"IRLink has no API event for {type(event).__name__}")
