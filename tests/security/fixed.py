"""Fixed identities, codes and random values for the security tests."""

from __future__ import annotations

from irlink.security import Identity, SetupCode, parse_setup_code

CODE: SetupCode = parse_setup_code("482-19-736")
WRONG_CODE: SetupCode = parse_setup_code("482-19-737")
DEVICE = Identity.derive("0042")
HOST = Identity.from_seed(b"host-one-pairing", bytes(range(32)))
OTHER_HOST = Identity.from_seed(b"host-two-pairing", bytes(range(32, 64)))


class Script:
    """Random bytes that are not: each call takes the next chunk, of the size asked."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = list(chunks)

    def __call__(self, n: int) -> bytes:
        chunk = self._chunks.pop(0)
        assert len(chunk) == n, (len(chunk), n)
        return chunk


class Clock:
    """A device clock that moves only when a test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
