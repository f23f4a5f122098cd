"""The two constructions pairing and verify share: HKDF-SHA512 and ChaCha20-Poly1305 messages."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
TAG_BYTES = 16


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """32 bytes of HKDF-SHA512 (RFC 5869) of ``ikm``."""
    return HKDF(algorithm=SHA512(), length=KEY_BYTES, salt=salt, info=info).derive(ikm)


def nonce(label: bytes) -> bytes:
    """A pairing message's 12-byte nonce: four zero bytes, then its 8-byte label."""
    assert len(label) == 8, label
    return b"\0\0\0\0" + label


def encrypt(key: bytes, label: bytes, plaintext: bytes) -> bytes:
    """ChaCha20-Poly1305 (RFC 8439) of ``plaintext``, no associated data: ciphertext | tag."""
    return ChaCha20Poly1305(key).encrypt(nonce(label), plaintext, None)


def decrypt(key: bytes, label: bytes, sealed: bytes) -> bytes | None:
    """The plaintext of :func:`encrypt`'s output, or None if its tag does not match."""
    try:
        return ChaCha20Poly1305(key).decrypt(nonce(label), sealed, None)
    except InvalidTag:
        return None
