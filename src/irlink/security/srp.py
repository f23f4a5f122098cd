"""SRP-6a (RFC 5054 arithmetic, RFC 2945 proofs), as HomeKit's pair setup uses it.

The device (:class:`SrpServer`) and the host (:class:`SrpClient`) each prove to the other
that they know the setup code without sending it, and agree on a key ``K``. Nothing here
but Python's ``pow`` and :mod:`hashlib`. The group and hash are parameters so that a test
holds the arithmetic to RFC 5054's appendix B vector (1024-bit group, SHA-1); IRLink uses
:data:`GROUP_3072` (3072-bit, g = 5, SHA-512) with the identity ``Pair-Setup``.

    PAD(x)  x big-endian, left-padded with zeros to the length of N (384 bytes)
    k       H(N | PAD(g))
    x       H(s | H(I | ":" | P))            v = g^x % N
    A       g^a % N                          B = (k*v + g^b) % N
    u       H(PAD(A) | PAD(B))
    S       (B - k*g^x)^(a + u*x) % N (host) = (A * v^u)^b % N (device)
    K       H(S)
    M1      H(H(N) xor H(g) | H(I) | s | A | B | K)
    M2      H(A | M1 | K)

In ``x``'s outer hash, ``K``, ``M1`` and ``M2``, the numbers N, g, A, B and S are their
minimal big-endian bytes (no leading zeros), as HomeKit writes them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property

from irlink.security.errors import AuthenticationFailed

__all__ = [
    "GROUP_3072",
    "PAIR_SETUP_IDENTITY",
    "SrpClient",
    "SrpGroup",
    "SrpServer",
    "to_bytes",
]

PAIR_SETUP_IDENTITY = b"Pair-Setup"
"""The SRP username I of IRLink's (and HomeKit's) pair setup."""


def to_bytes(n: int) -> bytes:
    """``n`` as minimal big-endian bytes (no leading zeros; one zero byte for 0)."""
    return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")


@dataclass(frozen=True)
class SrpGroup:
    """A group (prime ``N``, generator ``g``) and the hash ``H`` SRP computes with."""

    N: int
    g: int
    hash_name: str

    @property
    def size(self) -> int:
        """Bytes of N: the length PAD() pads to, and of A and B on the wire."""
        return (self.N.bit_length() + 7) // 8

    def H(self, *parts: bytes) -> bytes:
        """The hash of ``parts`` one after the other."""
        h = hashlib.new(self.hash_name)
        for part in parts:
            h.update(part)
        return h.digest()

    def Hint(self, *parts: bytes) -> int:
        """:meth:`H` read as a big-endian number."""
        return int.from_bytes(self.H(*parts), "big")

    def pad(self, n: int) -> bytes:
        """PAD(n): ``n`` big-endian in exactly :attr:`size` bytes."""
        return n.to_bytes(self.size, "big")

    @cached_property
    def k(self) -> int:
        """The multiplier k = H(N | PAD(g))."""
        return self.Hint(to_bytes(self.N), self.pad(self.g))

    def x(self, salt: bytes, username: bytes, password: bytes) -> int:
        """The private key x = H(s | H(I | ":" | P))."""
        return self.Hint(salt, self.H(username, b":", password))

    def verifier(self, salt: bytes, username: bytes, password: bytes) -> int:
        """The verifier v = g^x % N."""
        return pow(self.g, self.x(salt, username, password), self.N)

    def u(self, A: int, B: int) -> int:
        """The scrambler u = H(PAD(A) | PAD(B))."""
        return self.Hint(self.pad(A), self.pad(B))

    def proofs(
        self, username: bytes, salt: bytes, A: int, B: int, S: int
    ) -> tuple[bytes, bytes, bytes]:
        """K = H(S), then M1 and M2 as HomeKit computes them."""
        K = self.H(to_bytes(S))
        hn, hg = self.H(to_bytes(self.N)), self.H(to_bytes(self.g))
        xor = bytes(a ^ b for a, b in zip(hn, hg, strict=True))
        m1 = self.H(xor, self.H(username), salt, to_bytes(A), to_bytes(B), K)
        return K, m1, self.H(to_bytes(A), m1, K)


# RFC 5054 appendix A, 3072-bit group (the prime of RFC 3526's MODP group 15), generator 5.
_N_3072 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A"
    "08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9"
    "A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163"
    "BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C5"
    "5DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D"
    "04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB09"
    "33D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFF"
    "FFFFFFFFFFFF",
    16,
)
GROUP_3072 = SrpGroup(N=_N_3072, g=5, hash_name="sha512")
"""IRLink's group: RFC 5054's 3072-bit prime, g = 5, H = SHA-512."""


class SrpServer:
    """The device's side: made from the code, a salt and a private value ``b``.

    Send ``salt`` and :attr:`B`; give the host's A and M1 to :meth:`verify`, which returns
    M2 for the host, or raises :class:`AuthenticationFailed` for a wrong code.
    """

    def __init__(
        self,
        password: bytes,
        *,
        salt: bytes,
        private: bytes,
        group: SrpGroup = GROUP_3072,
        username: bytes = PAIR_SETUP_IDENTITY,
    ) -> None:
        self.group = group
        self.username = username
        self.salt = salt
        self.v = group.verifier(salt, username, password)
        self._b = int.from_bytes(private, "big")
        self.B = (group.k * self.v + pow(group.g, self._b, group.N)) % group.N
        self.u = 0
        self.S = 0
        self.K = b""

    def verify(self, A: int, m1: bytes) -> bytes:
        """M2, if the host's A and M1 show that it knows the code; else raise."""
        group = self.group
        if A % group.N == 0:
            raise AuthenticationFailed("the host's public value A is 0 modulo N")
        self.u = group.u(A, self.B)
        self.S = pow(A * pow(self.v, self.u, group.N), self._b, group.N)
        K, expected, m2 = group.proofs(self.username, self.salt, A, self.B, self.S)
        if not hmac.compare_digest(m1, expected):
            raise AuthenticationFailed("the host's proof M1 does not match: a wrong setup code")
        self.K = K
        return m2


class SrpClient:
    """The host's side: made from the code and a private value ``a``.

    Send :attr:`A` and the M1 that :meth:`process` makes of the device's salt and B, then
    check the device's M2 with :meth:`verify`.
    """

    def __init__(
        self,
        password: bytes,
        *,
        private: bytes,
        group: SrpGroup = GROUP_3072,
        username: bytes = PAIR_SETUP_IDENTITY,
    ) -> None:
        self.group = group
        self.username = username
        self._password = password
        self._a = int.from_bytes(private, "big")
        self.A = pow(group.g, self._a, group.N)
        self.x = 0
        self.u = 0
        self.S = 0
        self.K = b""
        self.M1 = b""
        self._m2 = b""

    def process(self, salt: bytes, B: int) -> bytes:
        """M1, the host's proof, from the device's salt and B."""
        group = self.group
        if B % group.N == 0:
            raise AuthenticationFailed("the device's public value B is 0 modulo N")
        self.u = group.u(self.A, B)
        if self.u == 0:
            raise AuthenticationFailed("the scrambler u is 0")
        self.x = group.x(salt, self.username, self._password)
        base = (B - group.k * pow(group.g, self.x, group.N)) % group.N
        self.S = pow(base, self._a + self.u * self.x, group.N)
        self.K, self.M1, self._m2 = group.proofs(self.username, salt, self.A, B, self.S)
        return self.M1

    def verify(self, m2: bytes) -> None:
        """Raise :class:`AuthenticationFailed` unless the device's M2 proves it knows the code."""
        if not self._m2 or not hmac.compare_digest(m2, self._m2):
            raise AuthenticationFailed(
                "the device's proof M2 does not match: it does not know this setup code "
                "(another device may be answering)"
            )
