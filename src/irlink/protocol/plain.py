"""Messages as plain data a person can read: enum names, flag-name lists, numbers, text.

This is the form of protocols/vectors/ and of ``irlink decode``: ``state: running``
rather than ``state: 1``, ``faults: [over_temperature]`` rather than ``faults: 1``.
"""

from __future__ import annotations

import typing
from enum import IntEnum, IntFlag
from typing import Any

from irlink.protocol.messages import PROTOCOL_MINOR
from irlink.protocol.wire import WireModel, optional_base, since, wire_fields


def to_plain(message: Any, minor: int = PROTOCOL_MINOR) -> dict[str, Any]:
    """A message or list item as a dict of plain values, in wire order.

    Fields appended after revision 1.``minor`` are left out, as such a device sends them.
    """
    return {
        name: _plain_value(getattr(message, name), minor)
        for name, (_, metadata) in wire_fields(type(message)).items()
        if since(metadata) <= minor
    }


def plain_enum(value: IntEnum | IntFlag) -> str | list[str]:
    """An enum by its lower-case name; flags as the list of their names."""
    if isinstance(value, IntFlag):
        # Bits this version does not name still show, as bitN: a fault is never hidden.
        named = {int(m): m.name.lower() for m in type(value) if m.name}
        bits = [1 << b for b in range(int(value).bit_length()) if int(value) >> b & 1]
        return [named.get(bit, f"bit{bit.bit_length() - 1}") for bit in bits]
    return value.name.lower()


def _plain_value(value: Any, minor: int) -> Any:
    if isinstance(value, IntEnum | IntFlag):
        return plain_enum(value)
    if isinstance(value, WireModel) or hasattr(value, "_fields"):  # a body or a list item
        return to_plain(value, minor)
    if isinstance(value, tuple):
        return [_plain_value(item, minor) for item in value]
    return value


def from_plain(cls: type[Any], data: dict[str, Any]) -> Any:
    """Build (and validate) a message of ``cls`` from its plain form."""
    fields = wire_fields(cls)
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {sorted(unknown)}")
    values = {name: _from_plain_value(fields[name][0], data[name]) for name in data}
    return cls(**values)


def _from_plain_value(annotation: Any, value: Any) -> Any:
    annotation = optional_base(annotation)
    if value is None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, IntFlag):
        bits = 0
        for name in value:
            bits |= 1 << int(name[3:]) if name.startswith("bit") else annotation[name.upper()]
        return annotation(bits)
    if isinstance(annotation, type) and issubclass(annotation, IntEnum):
        return annotation[value.upper()] if isinstance(value, str) else annotation(value)
    if typing.get_origin(annotation) is tuple:
        item = typing.get_args(annotation)[0]
        if hasattr(item, "_fields"):
            return tuple(from_plain(item, v) for v in value)
        return tuple(value)
    return value
