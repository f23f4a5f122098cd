"""Pair setup: the host's and the device's state machines, the window and the guessing limit.

Steps 1 to 4 are SRP-6a with the setup code (:mod:`irlink.security.srp`); in steps 5 and
6 the host and the device exchange their ids and long-term public keys, each signed and
encrypted under keys derived from SRP's ``K``. Sans-I/O: give each side the other's
message models, send what comes back. The device side also enforces the pairing window
and the limit on guessing the code, on the clock it is given.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import NamedTuple

from irlink.protocol.messages import PairSetupRequest, PairSetupResponse
from irlink.security._crypto import decrypt, encrypt, hkdf
from irlink.security._parts import DeviceParts, HostParts
from irlink.security.codes import SetupCode
from irlink.security.errors import (
    AuthenticationFailed,
    BadPairingMessage,
    NotAuthorized,
    PairingListFull,
    SetupCodeRejected,
)
from irlink.security.keys import (
    ID_SIZE,
    KEY_SIZE,
    SIGNATURE_SIZE,
    Identity,
    Random,
    verify_signature,
)
from irlink.security.pairings import MAX_PAIRINGS, Pairings
from irlink.security.srp import GROUP_3072, SrpClient, SrpServer

__all__ = [
    "FREE_FAILURES",
    "MAX_FAILURES",
    "MAX_WAIT_S",
    "PAIRING_WINDOW_S",
    "Clock",
    "DevicePairing",
    "PairSetupHost",
    "PairedDevice",
    "wait_after",
]

PAIRING_WINDOW_S = 120.0
"""How long the pairing window stays open after the button is held (device clock)."""
FREE_FAILURES = 5
"""Wrong codes taken without a wait."""
MAX_WAIT_S = 3600
"""The longest wait after a wrong code."""
MAX_FAILURES = 100
"""Wrong codes after which pair setup is locked until a factory reset."""

SALT_BYTES = 16
SRP_PRIVATE_BYTES = 32
PROOF_BYTES = 64  # SHA-512
SEALED_IDENTITY_BYTES = ID_SIZE + KEY_SIZE + SIGNATURE_SIZE + 16  # M5 and M6: 128

Clock = Callable[[], float]
"""The device's clock, in seconds (any origin): the pairing window and guessing waits."""

_ENCRYPT = (b"Pair-Setup-Encrypt-Salt", b"Pair-Setup-Encrypt-Info")
_HOST_SIGN = (b"Pair-Setup-Controller-Sign-Salt", b"Pair-Setup-Controller-Sign-Info")
_DEVICE_SIGN = (b"Pair-Setup-Accessory-Sign-Salt", b"Pair-Setup-Accessory-Sign-Info")
_M5, _M6 = b"PS-Msg05", b"PS-Msg06"
_N_BYTES = GROUP_3072.size
_DATA = 4  # pairing_part.data's position, for error replies


def wait_after(failures: int) -> int:
    """Seconds pair setup stays refused after the ``failures``-th wrong code; -1: locked."""
    if failures >= MAX_FAILURES:
        return -1
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES), MAX_WAIT_S))


class PairedDevice(NamedTuple):
    """What a host keeps of a device after pair setup: its id and long-term public key."""

    device_id: bytes
    public_key: bytes


class DevicePairing:
    """The device's side of pair setup: the setup code, the pairing list, the guessing limit.

    ``failures`` (wrong codes so far) and :attr:`pairings` belong in the device's
    non-volatile memory: give them back after a restart. A restart with five failures or
    more waits the whole of the last wait again, from the clock's time at construction.
    """

    def __init__(
        self,
        identity: Identity,
        code: SetupCode,
        clock: Clock,
        *,
        pairings: Pairings | None = None,
        failures: int = 0,
        random: Random = os.urandom,
    ) -> None:
        self.identity = identity
        self.code = code
        self.clock = clock
        self.pairings = pairings if pairings is not None else Pairings()
        self.failures = failures
        self._random = random
        self._blocked_until = self._until(wait_after(failures))
        self._window_until = -math.inf
        self._parts: DeviceParts[PairSetupResponse] = DeviceParts(PairSetupResponse, max_parts=3)
        self._srp: SrpServer | None = None
        self._key = b""  # SRP's K, once step 3 proved the code

    def open_window(self, seconds: float = PAIRING_WINDOW_S) -> None:
        """The pairing button was held: accept pair setup for ``seconds`` of device clock."""
        self._window_until = self.clock() + seconds

    @property
    def window_open(self) -> bool:
        """Whether pair setup may start: always while unpaired, else after the button."""
        return not self.pairings or self.clock() < self._window_until

    def receive(self, request: PairSetupRequest) -> PairSetupResponse:
        """The answer to one ``pair_setup`` part; raises a :class:`Refused` to send instead."""
        return self._parts.receive(request, self._run)

    def _until(self, wait: int) -> float:
        return math.inf if wait < 0 else self.clock() + wait

    def _run(self, step: int, message: bytes) -> tuple[int, bytes]:
        if step == 1:
            return 2, self._start(message)
        if step == 3 and self._srp is not None and not self._key:
            return 4, self._check_proof(self._srp, message)
        if step == 5 and self._key:
            return 6, self._exchange_keys(self._key, message)
        raise BadPairingMessage(f"pair setup is not expecting step {step}", field=1)

    def _start(self, message: bytes) -> bytes:
        self._srp, self._key = None, b""  # one pair setup at a time: step 1 starts afresh
        if message:
            raise BadPairingMessage("step 1 carries no data", field=_DATA)
        if not self.window_open:
            raise NotAuthorized(
                "the pairing window is closed: hold the device's pairing button, then pair"
            )
        wait = self._blocked_until - self.clock()
        if wait > 0:
            locked = wait == math.inf
            raise SetupCodeRejected(
                "pair setup is locked until a factory reset"
                if locked
                else f"too many wrong setup codes: pair setup opens in {math.ceil(wait)} s",
                attempts_left=max(0, MAX_FAILURES - self.failures),
                wait_s=-1 if locked else math.ceil(wait),
            )
        if self.pairings.full:
            raise PairingListFull(
                f"the device keeps {MAX_PAIRINGS} pairings already", limit=MAX_PAIRINGS
            )
        salt = self._random(SALT_BYTES)
        self._srp = SrpServer(
            self.code.password, salt=salt, private=self._random(SRP_PRIVATE_BYTES)
        )
        return salt + GROUP_3072.pad(self._srp.B)

    def _check_proof(self, srp: SrpServer, message: bytes) -> bytes:
        if len(message) != _N_BYTES + PROOF_BYTES:
            raise BadPairingMessage(
                f"step 3 is A and M1, {_N_BYTES + PROOF_BYTES} bytes, not {len(message)}",
                field=_DATA,
            )
        try:
            m2 = srp.verify(int.from_bytes(message[:_N_BYTES], "big"), message[_N_BYTES:])
        except AuthenticationFailed:
            self._srp = None
            self.failures += 1
            wait = wait_after(self.failures)
            self._blocked_until = self._until(wait)
            refusal = SetupCodeRejected(
                f"wrong setup code ({self.failures} so far)",
                attempts_left=max(0, MAX_FAILURES - self.failures),
                wait_s=wait,
            )
            refusal.repeatable = True  # the same proof again is the same wrong code
            raise refusal from None
        self.failures = 0
        self._key = srp.K
        return m2

    def _exchange_keys(self, key: bytes, message: bytes) -> bytes:
        self._srp, self._key = None, b""  # whatever happens, pair setup ends here
        if len(message) != SEALED_IDENTITY_BYTES:
            raise BadPairingMessage(
                f"step 5 is {SEALED_IDENTITY_BYTES} bytes, not {len(message)}", field=_DATA
            )
        encryption_key = hkdf(key, *_ENCRYPT)
        host = open_identity(encryption_key, _M5, message, hkdf(key, *_HOST_SIGN))
        if host is None:
            raise NotAuthorized("step 5 does not open, or its signature does not verify")
        self.pairings.add(*host)
        return seal_identity(encryption_key, _M6, self.identity, hkdf(key, *_DEVICE_SIGN))


class PairSetupHost:
    """The host's side of pair setup, from the setup code and the host's identity.

    Send :meth:`start`, then whatever :meth:`receive` makes of each answer until it
    returns None; :attr:`device` then holds what to keep. An error frame from the device
    ends pair setup (its refusal says why); a device that does not prove the code raises
    :class:`~irlink.security.errors.AuthenticationFailed`.
    """

    def __init__(self, code: SetupCode, identity: Identity, *, random: Random = os.urandom) -> None:
        self.code = code
        self.identity = identity
        self._random = random
        self._parts: HostParts[PairSetupRequest] = HostParts(PairSetupRequest)
        self._srp: SrpClient | None = None
        self.device: PairedDevice | None = None

    def start(self) -> PairSetupRequest:
        """The first request: step 1 (it restarts any pair setup the device had going)."""
        self._srp = SrpClient(self.code.password, private=self._random(SRP_PRIVATE_BYTES))
        self.device = None
        return self._parts.send(1, b"")

    def receive(self, response: PairSetupResponse) -> PairSetupRequest | None:
        """The next request to send, or None once the device is paired."""
        reply = self._parts.receive(response)
        if not isinstance(reply, bytes):
            return reply
        srp = self._srp
        if srp is None:
            raise AuthenticationFailed("an answer before pair setup began: it begins with step 1")
        step = response.step
        if step == 2:
            return self._parts.send(3, self._prove(srp, reply))
        if step == 4:
            srp.verify(reply)
            sign_key = hkdf(srp.K, *_HOST_SIGN)
            return self._parts.send(
                5, seal_identity(hkdf(srp.K, *_ENCRYPT), _M5, self.identity, sign_key)
            )
        device = open_identity(hkdf(srp.K, *_ENCRYPT), _M6, reply, hkdf(srp.K, *_DEVICE_SIGN))
        if device is None:
            raise AuthenticationFailed("the device's step 6 does not open or its signature fails")
        self.device = PairedDevice(*device)
        self._srp = None
        return None

    def _prove(self, srp: SrpClient, reply: bytes) -> bytes:
        if len(reply) != SALT_BYTES + _N_BYTES:
            raise AuthenticationFailed(f"the device's step 2 is {len(reply)} bytes, not 400")
        m1 = srp.process(reply[:SALT_BYTES], int.from_bytes(reply[SALT_BYTES:], "big"))
        return GROUP_3072.pad(srp.A) + m1


def seal_identity(key: bytes, label: bytes, identity: Identity, sign_key: bytes) -> bytes:
    """M5 or M6: id | LTPK | Ed25519(LTSK, sign_key | id | LTPK), encrypted under ``key``."""
    about = identity.id + identity.public_key
    return encrypt(key, label, about + identity.sign(sign_key + about))


def open_identity(
    key: bytes, label: bytes, sealed: bytes, sign_key: bytes
) -> tuple[bytes, bytes] | None:
    """The (id, LTPK) :func:`seal_identity` sealed, or None if it does not open or verify."""
    plain = decrypt(key, label, sealed)
    if plain is None or len(plain) != ID_SIZE + KEY_SIZE + SIGNATURE_SIZE:
        return None
    ident, public_key, signature = (
        plain[:ID_SIZE],
        plain[ID_SIZE:-SIGNATURE_SIZE],
        plain[-SIGNATURE_SIZE:],
    )
    if not verify_signature(public_key, signature, sign_key + ident + public_key):
        return None
    return ident, public_key
