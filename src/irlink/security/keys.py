"""Long-term identities: a 16-byte id and an Ed25519 key pair, for a host or a device.

A host makes one identity and keeps it (``to_dict``/``from_dict`` give its stored form);
a device has one from manufacture. A simulated device derives its identity from its
serial, so it keeps it across restarts; a factory reset (``generation`` + 1) makes another.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ID_SIZE",
    "KEY_SIZE",
    "SIGNATURE_SIZE",
    "Identity",
    "Random",
    "scripted_random",
    "verify_signature",
]

ID_SIZE = 16
"""Bytes of a pairing id (a host's) or a device id."""
KEY_SIZE = 32
"""Bytes of an Ed25519 public key, of its private seed, and of an X25519 key."""
SIGNATURE_SIZE = 64

Random = Callable[[int], bytes]
"""Where random bytes come from: ``os.urandom``, or fixed bytes for test vectors."""


def scripted_random(*chunks: bytes) -> Random:
    """ "Random" bytes given in advance, for reproducible transcripts (test vectors only).

    Each call returns the next chunk, which must be the size asked for.
    """
    queue = list(chunks)

    def take(n: int) -> bytes:
        chunk = queue.pop(0)
        if len(chunk) != n:
            raise ValueError(f"the next scripted chunk is {len(chunk)} bytes; {n} were asked for")
        return chunk

    return take


_DEVICE_SALT = b"IRLink-Sim-Device-Identity-Salt"


@dataclass(frozen=True, slots=True)
class Identity:
    """A long-term identity: ``id`` and the Ed25519 private key (LTSK) behind ``public_key``."""

    id: bytes
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if len(self.id) != ID_SIZE:
            raise ValueError(f"an identity's id is {ID_SIZE} bytes, not {len(self.id)}")

    @classmethod
    def create(cls, random: Random = os.urandom) -> Identity:
        """A new identity from ``random``: 16 bytes of id, then 32 of private key seed."""
        return cls.from_seed(random(ID_SIZE), random(KEY_SIZE))

    @classmethod
    def from_seed(cls, id: bytes, seed: bytes) -> Identity:
        """The identity with this id whose private key is the 32-byte Ed25519 ``seed``."""
        return cls(bytes(id), Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def derive(cls, serial: str, generation: int = 0) -> Identity:
        """A simulated device's identity: HKDF-SHA512 of its serial, one per factory reset."""
        info = f"IRLink-Sim-Device-Identity-Info/{generation}".encode("ascii")
        stream = HKDF(algorithm=SHA512(), length=ID_SIZE + KEY_SIZE, salt=_DEVICE_SALT, info=info)
        material = stream.derive(serial.encode("utf-8"))
        return cls.from_seed(material[:ID_SIZE], material[ID_SIZE:])

    @property
    def public_key(self) -> bytes:
        """The long-term public key (LTPK): 32 raw bytes."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def seed(self) -> bytes:
        """The 32-byte private key seed: secret, for the key store only."""
        return self.private_key.private_bytes_raw()

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self.private_key.sign(message)

    def to_dict(self) -> dict[str, str]:
        """The stored form: ``id`` and ``private_key`` (the seed), base64. Keep it secret."""
        return {"id": _b64(self.id), "private_key": _b64(self.seed)}

    @classmethod
    def from_dict(cls, stored: dict[str, str]) -> Identity:
        """The identity :meth:`to_dict` stored."""
        return cls.from_seed(
            base64.b64decode(stored["id"]), base64.b64decode(stored["private_key"])
        )

    def __repr__(self) -> str:
        return f"Identity(id={self.id.hex()}, public_key={self.public_key.hex()})"


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``message`` under ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
