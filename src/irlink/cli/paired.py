"""What ``irlink pairings`` prints with ``--json``: the pairings this host keeps.

Ids and keys are lower-case hex; times are ISO 8601 in UTC. Nothing secret is in a
line: the host's private key never leaves the pairings file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irlink.security.keystore import Pairing

__all__ = [
    "DevicePairingLine",
    "DevicePairingRemoved",
    "Paired",
    "PairingLine",
    "PairingRemoved",
    "pairing_line",
]


@dataclass(frozen=True, slots=True)
class PairingLine:
    """``irlink pairings list``: a device this host is paired with (kept on this host).

    ``device_id`` and ``device_public_key`` are what the device must prove it holds on
    every connection; ``admin`` whether this host may list and remove the device's
    pairings; ``paired_at`` when it was paired; ``address`` the address last used.
    """

    serial: str
    model: str
    device_id: str
    device_public_key: str
    admin: bool
    paired_at: datetime
    address: str


@dataclass(frozen=True, slots=True)
class Paired(PairingLine):
    """``irlink pair``: the device this host has just paired with, as kept on this host.

    irlink verifies the device with ``device_id`` and ``device_public_key`` on every
    connection from now on; ``admin`` is true for the first host a device pairs with.
    """


@dataclass(frozen=True, slots=True)
class DevicePairingLine:
    """``irlink pairings list -d ADDRESS``: a host the device is paired with, as it says.

    ``pairing_id`` is the host's id (32 hex digits); ``admin`` whether it may list and
    remove pairings; ``this_host`` whether it is the host that asked.
    """

    serial: str
    model: str
    pairing_id: str
    admin: bool
    this_host: bool


@dataclass(frozen=True, slots=True)
class DevicePairingRemoved:
    """``irlink pairings remove --host ID -d ADDRESS``: a host the device no longer keeps."""

    serial: str
    model: str
    pairing_id: str


@dataclass(frozen=True, slots=True)
class PairingRemoved:
    """``irlink pairings remove``: the pairing this host forgot.

    ``still_on_device`` is true while the device still lists this host as paired: only
    an admin host removes it there (or a reset of the device).
    """

    serial: str
    model: str
    device_id: str
    admin: bool
    still_on_device: bool


def pairing_line(pairing: Pairing, kind: type[PairingLine] = PairingLine) -> PairingLine:
    """A kept pairing as its ``pairing`` line (or ``paired``, with ``kind`` :class:`Paired`)."""
    return kind(
        serial=pairing.serial,
        model=pairing.model,
        device_id=pairing.device_id.hex(),
        device_public_key=pairing.device_public_key.hex(),
        admin=pairing.admin,
        paired_at=pairing.paired_at,
        address=pairing.address,
    )
