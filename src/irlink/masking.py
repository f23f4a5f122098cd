"""Sham masked on the way out of a device in a blinded study.

While a study is blinded nobody who treats or assesses a participant may learn their
arm, and a sham session reports exactly as a real one but for its ``sham`` flag. A
:class:`~irlink.Device` connected with ``blind`` still sends ``sham=True`` to the device;
every status, status event and usage record it hands out (to its caller and to its
journal, the session log) has ``sham`` None, and so has the ``configure`` its journal
records. A frame trace is below all this and shows every frame as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, TypeAlias

from irlink.errors import LimitError
from irlink.events import DeviceEvent, StatusUpdate
from irlink.model import Info, Status, UsageRecord, status_reader
from irlink.refusals import DeviceRefused

if TYPE_CHECKING:
    from irlink.model import PortStatus

__all__ = [
    "Blind",
    "decide",
    "masked_args",
    "masked_detail",
    "masked_event",
    "masked_reader",
    "masked_record",
    "masked_status",
]

# Whether a device's sham is masked: always, never, or decided from what the device is
# (its Info) each time it is read, on every connection. A function that raises an
# IRLinkError refuses the connection.
Blind: TypeAlias = bool | Callable[[Info], bool]


def decide(blind: Blind, info: Info) -> bool:
    """Whether the device ``info`` describes is blinded under ``blind``."""
    return blind(info) if callable(blind) else bool(blind)


def _masked_port(port: PortStatus) -> PortStatus:
    return port if port.sham is None else replace(port, sham=None)


def masked_status(status: Status) -> Status:
    """``status`` with every port's sham masked."""
    return replace(status, ports=tuple(_masked_port(port) for port in status.ports))


def masked_reader(info: Info) -> Callable[[bytes], Status]:
    """A reader of ``get_status`` bodies, as :func:`irlink.model.status_reader`, that masks."""
    read = status_reader(info)

    def read_masked(body: bytes) -> Status:
        return masked_status(read(body))

    return read_masked


def masked_event(event: DeviceEvent) -> DeviceEvent:
    """``event`` with its status masked, if it carries one that came from the device."""
    if isinstance(event, StatusUpdate):
        return replace(event, status=masked_status(event.status))
    return event  # the others carry a status the device read, masked already, or no sham


def masked_record(record: UsageRecord) -> UsageRecord:
    """A usage-log record with its sham masked."""
    return replace(record, sham=None)


def masked_args(args: Mapping[str, object]) -> dict[str, object]:
    """A command's arguments (or its answer) as the journal keeps them: sham masked."""
    return {key: None if key == "sham" else value for key, value in args.items()}


def masked_detail(exc: BaseException) -> str:
    """Why a command failed, as the journal keeps it: a refusal of the sham setting unsaid."""
    if (isinstance(exc, LimitError) and exc.name == "sham") or (
        isinstance(exc, DeviceRefused) and exc.field == "sham"
    ):
        return "a setting was refused (which is masked: the device is in a blinded study)"
    return str(exc) or repr(exc)
