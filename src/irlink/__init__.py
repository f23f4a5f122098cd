"""irlink: talk to battery-powered infrared therapy devices over serial and Bluetooth LE.

``irlink.connect(address)`` gives an async :class:`Device`; :mod:`irlink.sync` has
the same API, blocking. Errors are in :mod:`irlink.errors` and :mod:`irlink.refusals`.
The names below are loaded on first use, so ``irlink --help`` starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from irlink.connection import Backoff
    from irlink.connector import connect, pair
    from irlink.device import Device
    from irlink.errors import (
        AddressError,
        ConnectError,
        DeviceNotFound,
        IRLinkError,
        LimitError,
        LinkLost,
        ProtocolError,
        RequestTimeout,
        TransportError,
    )
    from irlink.model import Info, PortStatus, Status, UsageRecord
    from irlink.protocol.messages import (
        DeviceFamily,
        DeviceState,
        EndReason,
        ErrorCode,
        FaultFlags,
        Mode,
        PortState,
    )
    from irlink.refusals import DeviceRefused
    from irlink.security.errors import KeyChanged, NotPaired, SecurityError

__version__ = "0.1.0"

_HOMES = {
    "irlink.connection": ["Backoff"],
    "irlink.connector": ["connect", "pair"],
    "irlink.device": ["Device"],
    "irlink.errors": [
        "AddressError",
        "ConnectError",
        "DeviceNotFound",
        "DeviceRestarted",
        "IRLinkError",
        "LimitError",
        "LinkLost",
        "ProtocolError",
        "RequestTimeout",
        "TransportError",
    ],
    "irlink.model": ["Info", "PortStatus", "Status", "UsageRecord"],
    "irlink.protocol.messages": [
        "DeviceFamily",
        "DeviceState",
        "EndReason",
        "ErrorCode",
        "FaultFlags",
        "Mode",
        "PortState",
    ],
    "irlink.refusals": ["DeviceRefused"],
    "irlink.security.errors": ["KeyChanged", "NotPaired", "SecurityError"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AddressError",
    "Backoff",
    "ConnectError",
    "Device",
    "DeviceFamily",
    "DeviceNotFound",
    "DeviceRefused",
    "DeviceRestarted",
    "DeviceState",
    "EndReason",
    "ErrorCode",
    "FaultFlags",
    "IRLinkError",
    "Info",
    "KeyChanged",
    "LimitError",
    "LinkLost",
    "Mode",
    "NotPaired",
    "PortState",
    "PortStatus",
    "ProtocolError",
    "RequestTimeout",
    "SecurityError",
    "Status",
    "TransportError",
    "UsageRecord",
    "__version__",
    "connect",
    "pair",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'irlink' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
