"""Why a BLE connection attempt failed, and how long to wait before the next one.

The same classes as bleak-retry-connector: transient (retry with backoff), out of
connection slots (wait the longest backoff), device missing (scan again), and security
refused (retrying cannot help). Kept apart from the transport so it is tested alone.
"""

from __future__ import annotations

import enum

from bleak.exc import (
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
)
from bleak.exc import BleakGATTProtocolErrorCode as Code

from irlink.errors import IRLinkError

__all__ = ["Failure", "classify", "retry_delay"]

_SECURITY_CODES = {Code.INSUFFICIENT_AUTHENTICATION, Code.INSUFFICIENT_AUTHORIZATION}
_SECURITY_CODES |= {Code.INSUFFICIENT_ENCRYPTION, Code.INSUFFICIENT_ENCRYPTION_KEY_SIZE}
# What the stacks say when pairing fails or a bond is stale: BlueZ (org.bluez.Error.
# Authentication*), CoreBluetooth ("Peer removed pairing information", "... is insufficient"),
# WinRT ("Could not pair"), bumble ("smp/...", the SMP failure reason; HCI PIN or Key Missing
# when the device no longer holds the bond the host encrypts with).
_REFUSED_WORDS = (
    *("authentication", "pair", "smp/", "insufficient encryption", "is insufficient"),
    *("key missing", "key_missing"),
)
# ESPHome proxies ("no backend with an available connection slot"), BlueZ and controllers
# (HCI 0x09 Connection Limit Exceeded, 0x0D Rejected due to Limited Resources).
_SLOTS_WORDS = ("connection slot", "available connection", "connection limit", "limited resources")
_MISSING_DBUS = "org.freedesktop.DBus.Error.UnknownObject"  # BlueZ forgot the device


class Failure(enum.Enum):
    """Why a connection attempt failed, which decides whether and when to try again."""

    TRANSIENT = "transient"  # retry after the backoff
    OUT_OF_SLOTS = "out of connection slots"  # retry after the longest backoff
    MISSING = "device missing"  # scan for the device again, then retry
    REFUSED = "security refused"  # pairing or authentication refused: retrying cannot help


def classify(error: BaseException) -> Failure | None:
    """How to handle a failed connection attempt; None when ``error`` is not a link failure."""
    if isinstance(error, IRLinkError):
        return None  # raised on purpose, already with its advice
    if isinstance(error, BleakGATTProtocolError):
        return Failure.REFUSED if error.code in _SECURITY_CODES else Failure.TRANSIENT
    if isinstance(error, BleakDeviceNotFoundError):
        return Failure.MISSING
    if isinstance(error, BleakDBusError) and error.dbus_error == _MISSING_DBUS:
        return Failure.MISSING
    if isinstance(error, BleakError):
        text = str(error).lower()
        if any(word in text for word in _REFUSED_WORDS):
            return Failure.REFUSED
        if any(word in text for word in _SLOTS_WORDS):
            return Failure.OUT_OF_SLOTS
        return Failure.TRANSIENT
    if isinstance(error, TimeoutError | OSError | EOFError):
        return Failure.TRANSIENT
    return None


def retry_delay(failure: Failure, retry: int, backoff: tuple[float, float]) -> float:
    """Seconds to wait before retry number ``retry`` (0 first): doubling, capped at backoff[1]."""
    first, longest = backoff
    if failure is Failure.OUT_OF_SLOTS:
        return longest  # a slot frees only when another connection ends
    return min(first * 2.0**retry, longest)
