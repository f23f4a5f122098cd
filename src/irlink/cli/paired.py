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

__all__ = ["PairingLine", "PairingRemoved", "pairing_line"]


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


def pairing_line(pairing: Pairing) -> PairingLine:
    """A kept pairing as its ``pairing`` line."""
    return PairingLine(
        serial=pairing.serial,
        model=pairing.model,
        device_id=pairing.device_id.hex(),
        device_public_key=pairing.device_public_key.hex(),
        admin=pairing.admin,
        paired_at=pairing.paired_at,
        address=pairing.address,
    )
