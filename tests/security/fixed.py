"""Fixed identities and setup codes for the security tests, and a device clock they move."""

from __future__ import annotations

from irlink.security import Identity, SetupCode, parse_setup_code

CODE: SetupCode = parse_setup_code("482-19-736")
WRONG_CODE: SetupCode = parse_setup_code("482-19-737")
DEVICE = Identity.derive("0042")
HOST = Identity.from_seed(b"host-one-pairing", bytes(range(32)))
OTHER_HOST = Identity.from_seed(b"host-two-pairing", bytes(range(32, 64)))


class Clock:
    """A device clock that moves only when a test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
