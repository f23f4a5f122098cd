"""Pair verify: on every connection, a paired host and device prove themselves to each other.

Each side makes an ephemeral X25519 key; the device signs both ephemeral keys with its
long-term key and sends its id encrypted under a key of their shared secret, then the
host does the same. Both derive the session keys (:class:`SessionKeys`) from the shared
secret, and sealed frames follow (:mod:`irlink.security.sealed`). Sans-I/O, like pairing.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from irlink.protocol.messages import PairVerifyRequest, PairVerifyResponse
from irlink.security._crypto import TAG_BYTES, decrypt, encrypt, hkdf
from irlink.security._parts import DeviceParts, HostParts
from irlink.security.errors import (
    AuthenticationFailed,
    BadPairingMessage,
    KeyChanged,
    NotAuthorized,
)
from irlink.security.keys import (
    ID_SIZE,
    KEY_SIZE,
    SIGNATURE_SIZE,
    Identity,
    Random,
    verify_signature,
)
from irlink.security.pairings import Pairings
from irlink.security.sealed import Channel, Opener, Sealer

__all__ = ["SessionKeys", "VerifyDevice", "VerifyHost"]

_VERIFY = (b"Pair-Verify-Encrypt-Salt", b"Pair-Verify-Encrypt-Info")
_CONTROL_SALT = b"Control-Salt"
_WRITE = b"Control-Write-Encryption-Key"
_READ = b"Control-Read-Encryption-Key"
_M2, _M3 = b"PV-Msg02", b"PV-Msg03"
_PROOF_BYTES = ID_SIZE + SIGNATURE_SIZE + TAG_BYTES  # step 3, and step 2 after dE: 96
_DATA = 4  # pairing_part.data's position, for error replies


class SessionKeys(NamedTuple):
    """The keys of one verified session: ``write`` seals host to device, ``read`` the reverse."""

    write: bytes
    read: bytes

    def __repr__(self) -> str:
        return "SessionKeys(write=<secret>, read=<secret>)"  # never in a log or a traceback

    @classmethod
    def derive(cls, shared: bytes) -> SessionKeys:
        """The session keys of a pair verify whose X25519 shared secret is ``shared``."""
        return cls(hkdf(shared, _CONTROL_SALT, _WRITE), hkdf(shared, _CONTROL_SALT, _READ))

    def host(self) -> Channel:
        """The host's side: it seals with ``write``, opens with ``read``, counters at 0."""
        return Channel(Sealer(self.write), Opener(self.read))

    def device(self) -> Channel:
        """The device's side: it seals with ``read``, opens with ``write``, counters at 0."""
        return Channel(Sealer(self.read), Opener(self.write))


def _ephemeral(random: Random) -> tuple[X25519PrivateKey, bytes]:
    key = X25519PrivateKey.from_private_bytes(random(KEY_SIZE))
    return key, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _shared(key: X25519PrivateKey, peer: bytes) -> bytes | None:
    """X25519 of our key and the peer's public key; None for a point that gives all zeros."""
    try:
        return key.exchange(X25519PublicKey.from_public_bytes(peer))
    except ValueError:
        return None


class VerifyHost:
    """The host's side of pair verify, with the device id and public key kept at pairing.

    Send :meth:`start`, then whatever :meth:`receive` makes of each answer until it
    returns None; :attr:`keys` then holds the session keys. A device that is not the one
    paired raises :class:`~irlink.security.errors.KeyChanged`.
    """

    def __init__(
        self,
        identity: Identity,
        device_id: bytes,
        device_public_key: bytes,
        *,
        random: Random = os.urandom,
    ) -> None:
        self.identity = identity
        self.device_id = device_id
        self.device_public_key = device_public_key
        self._random = random
        self._parts: HostParts[PairVerifyRequest] = HostParts(PairVerifyRequest)
        self._key: X25519PrivateKey | None = None
        self._public = b""
        self._pending: SessionKeys | None = None
        self.keys: SessionKeys | None = None

    def start(self) -> PairVerifyRequest:
        """Step 1: a new ephemeral public key (it ends the link's previous session)."""
        self._key, self._public = _ephemeral(self._random)
        self.keys = self._pending = None
        return self._parts.send(1, self._public)

    def receive(self, response: PairVerifyResponse) -> PairVerifyRequest | None:
        """The next request to send, or None once the session is verified."""
        reply = self._parts.receive(response)
        if not isinstance(reply, bytes):
            return reply
        if response.step == 2 and self._key is not None:
            return self._parts.send(3, self._prove(self._key, reply))
        if response.step == 4 and self._pending is not None and not reply:
            self.keys, self._pending, self._key = self._pending, None, None
            return None
        raise AuthenticationFailed(f"pair verify: an unexpected step {response.step} answer")

    def _prove(self, key: X25519PrivateKey, reply: bytes) -> bytes:
        if len(reply) != KEY_SIZE + _PROOF_BYTES:
            raise AuthenticationFailed(f"the device's step 2 is {len(reply)} bytes, not 128")
        device_public, sealed = reply[:KEY_SIZE], reply[KEY_SIZE:]
        shared = _shared(key, device_public)
        if shared is None:
            raise AuthenticationFailed("the device's ephemeral key is not a valid X25519 key")
        verify_key = hkdf(shared, *_VERIFY)
        plain = decrypt(verify_key, _M2, sealed)
        if plain is None:
            raise AuthenticationFailed("the device's step 2 does not open: a corrupted answer")
        device_id, signature = plain[:ID_SIZE], plain[ID_SIZE:]
        if device_id != self.device_id or not verify_signature(
            self.device_public_key, signature, device_public + device_id + self._public
        ):
            raise KeyChanged(
                "the device's key changed: it was reset, or this is another device; "
                "pair with it again (irlink pair)"
            )
        self._pending = SessionKeys.derive(shared)
        ident = self.identity.id
        signed = self.identity.sign(self._public + ident + device_public)
        return encrypt(verify_key, _M3, ident + signed)


class VerifyDevice:
    """The device's side of pair verify on one link, against the device's pairing list.

    After each :meth:`receive`, :attr:`verified` says whether the link has a verified
    session (step 1 ends the previous one), :attr:`host_id` whose it is, and :attr:`keys`
    its keys. :attr:`failures` counts the hosts refused (for the device's audit log).
    """

    def __init__(
        self, identity: Identity, pairings: Pairings, *, random: Random = os.urandom
    ) -> None:
        self.identity = identity
        self.pairings = pairings
        self._random = random
        self._parts: DeviceParts[PairVerifyResponse] = DeviceParts(PairVerifyResponse, max_parts=1)
        self._step: tuple[bytes, bytes, bytes, bytes] | None = None  # hE, dE, shared, VK
        self.host_id: bytes | None = None
        self.keys: SessionKeys | None = None
        self.failures = 0

    @property
    def verified(self) -> bool:
        """Whether the link has a verified session."""
        return self.keys is not None

    def end(self) -> None:
        """End the verified session (its pairing was removed, or the link dropped)."""
        self._step, self.host_id, self.keys = None, None, None
        self._parts.reset()

    def receive(self, request: PairVerifyRequest) -> PairVerifyResponse:
        """The answer to one ``pair_verify`` part; raises a :class:`Refused` to send instead."""
        return self._parts.receive(request, self._run)

    def _run(self, step: int, message: bytes) -> tuple[int, bytes]:
        if step == 1:
            return 2, self._start(message)
        if step == 3 and self._step is not None:
            return 4, self._check(self._step, message)
        raise BadPairingMessage(f"pair verify is not expecting step {step}", field=1)

    def _start(self, host_public: bytes) -> bytes:
        self._step, self.host_id, self.keys = None, None, None
        if len(host_public) != KEY_SIZE:
            raise BadPairingMessage(f"step 1 is a {KEY_SIZE}-byte key", field=_DATA)
        key, public = _ephemeral(self._random)
        shared = _shared(key, host_public)
        if shared is None:
            self.failures += 1
            raise NotAuthorized("the host's ephemeral key is not a valid X25519 key")
        verify_key = hkdf(shared, *_VERIFY)
        self._step = (host_public, public, shared, verify_key)
        ident = self.identity.id
        signed = self.identity.sign(public + ident + host_public)
        return public + encrypt(verify_key, _M2, ident + signed)

    def _check(self, state: tuple[bytes, bytes, bytes, bytes], message: bytes) -> bytes:
        self._step = None
        if len(message) != _PROOF_BYTES:
            raise BadPairingMessage(f"step 3 is {_PROOF_BYTES} bytes", field=_DATA)
        host_public, public, shared, verify_key = state
        plain = decrypt(verify_key, _M3, message)
        pairing = None if plain is None else self.pairings.find(plain[:ID_SIZE])
        if (
            plain is None
            or pairing is None
            or not verify_signature(
                pairing.public_key, plain[ID_SIZE:], host_public + pairing.pairing_id + public
            )
        ):
            self.failures += 1
            raise NotAuthorized("pair verify: the host is not paired, or its proof fails")
        self.host_id, self.keys = pairing.pairing_id, SessionKeys.derive(shared)
        return b""
