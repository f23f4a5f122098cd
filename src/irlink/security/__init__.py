"""IRLink 1.2 security without I/O: pairing, pair verify and sealed frames.

Beside :mod:`irlink.protocol`, which carries its messages: a setup code
(:mod:`~irlink.security.codes`) pairs a host and a device once
(:mod:`~irlink.security.pairing`, SRP-6a in :mod:`~irlink.security.srp`); every
connection then verifies both with their long-term keys (:mod:`~irlink.security.keys`,
:mod:`~irlink.security.verify`) and seals every frame (:mod:`~irlink.security.sealed`).
Randomness is a parameter everywhere, so transcripts are reproducible.

>>> from irlink.security import Identity, parse_setup_code, PairSetupHost, DevicePairing
>>> code = parse_setup_code("123-45-679")
>>> device = DevicePairing(Identity.derive("0042"), code, clock=lambda: 0.0)
>>> host = PairSetupHost(code, Identity.create())
>>> request = host.start()
>>> while request is not None:
...     request = host.receive(device.receive(request))
>>> host.device.device_id == Identity.derive("0042").id, len(device.pairings)
(True, 1)
"""

from __future__ import annotations

from irlink.security.codes import (
    SetupCode,
    derive_setup_code,
    parse_setup_code,
    random_setup_code,
)
from irlink.security.errors import (
    AlreadyPaired,
    AuthenticationFailed,
    BadPairingMessage,
    CounterExhausted,
    Forged,
    InfoAltered,
    InvalidSetupCode,
    KeyChanged,
    NotAuthorized,
    NotPaired,
    NotSecure,
    PairingListFull,
    PairingRemoved,
    Refused,
    Replayed,
    SecurityDowngrade,
    SecurityError,
    SetupCodeRejected,
)
from irlink.security.keys import Identity, verify_signature
from irlink.security.pairing import DevicePairing, PairedDevice, PairSetupHost
from irlink.security.pairings import MAX_PAIRINGS, Pairing, Pairings
from irlink.security.sealed import Channel, Opener, Sealer
from irlink.security.verify import SessionKeys, VerifyDevice, VerifyHost

__all__ = [  # noqa: RUF022  (grouped by module, not sorted)
    "SetupCode",
    "parse_setup_code",
    "derive_setup_code",
    "random_setup_code",
    "Identity",
    "verify_signature",
    "MAX_PAIRINGS",
    "Pairing",
    "Pairings",
    "PairedDevice",
    "PairSetupHost",
    "DevicePairing",
    "SessionKeys",
    "VerifyHost",
    "VerifyDevice",
    "Sealer",
    "Opener",
    "Channel",
    "SecurityError",
    "InvalidSetupCode",
    "Refused",
    "SetupCodeRejected",
    "PairingListFull",
    "NotAuthorized",
    "BadPairingMessage",
    "AuthenticationFailed",
    "KeyChanged",
    "NotPaired",
    "PairingRemoved",
    "NotSecure",
    "SecurityDowngrade",
    "InfoAltered",
    "AlreadyPaired",
    "Forged",
    "Replayed",
    "CounterExhausted",
]
