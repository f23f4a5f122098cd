"""Setup codes: the 8 digits printed on a device (``123-45-678``) that pair setup proves.

>>> code = parse_setup_code("123-45-679")
>>> str(code), code.password
('123-45-679', b'12345679')
>>> parse_setup_code("111-11-111")
Traceback (most recent call last):
...
irlink.security.errors.InvalidSetupCode: setup code 111-11-111 is too easy to guess...
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from irlink.security.errors import InvalidSetupCode

__all__ = [
    "TRIVIAL_CODES",
    "SetupCode",
    "derive_setup_code",
    "parse_setup_code",
    "random_setup_code",
]

TRIVIAL_CODES = frozenset(
    {*(str(d) * 8 for d in range(10)), "12345678", "87654321"},
)
"""Codes no device may use (HomeKit's list): one digit eight times, and the two runs."""

_WRITTEN = re.compile(r"([0-9]{3})-?([0-9]{2})-?([0-9]{3})")
_SIM_SALT = b"IRLink-Sim-Setup-Code-Salt"
_SIM_INFO = b"IRLink-Sim-Setup-Code-Info"


@dataclass(frozen=True, slots=True)
class SetupCode:
    """A valid setup code; ``str()`` writes it as on the label, ``XXX-XX-XXX``."""

    digits: str

    def __post_init__(self) -> None:
        if len(self.digits) != 8 or not self.digits.isascii() or not self.digits.isdigit():
            raise InvalidSetupCode(f"a setup code is 8 digits, not {self.digits!r}")
        if self.digits in TRIVIAL_CODES:
            raise InvalidSetupCode(
                f"setup code {self} is too easy to guess: a device never has it. "
                "Check the code on the device's label; a simulated device takes any other "
                "(not one digit eight times, not 123-45-678 or 876-54-321)"
            )

    def __repr__(self) -> str:
        return "SetupCode(<secret>)"  # str() writes it, where it is meant to be shown

    def __str__(self) -> str:
        d = self.digits
        return f"{d[:3]}-{d[3:5]}-{d[5:]}"

    @property
    def password(self) -> bytes:
        """The SRP password P: the 8 digits as ASCII, without dashes."""
        return self.digits.encode("ascii")


def parse_setup_code(text: str) -> SetupCode:
    """The setup code written in ``text``: ``123-45-678`` as on the label, or ``12345678``."""
    written = _WRITTEN.fullmatch(text.strip())
    if written is None:
        raise InvalidSetupCode(
            f"{text!r} is not a setup code: type the 8 digits on the device's label, "
            "like 123-45-678"
        )
    return SetupCode("".join(written.groups()))


def random_setup_code() -> SetupCode:
    """A new setup code, drawn at random (:mod:`secrets`), never a trivial one: as a real
    device's is made at manufacture, and as ``irlink sim serve`` gives each device."""
    while True:
        digits = f"{secrets.randbelow(10**8):08d}"
        if digits not in TRIVIAL_CODES:
            return SetupCode(digits)


def derive_setup_code(serial: str) -> SetupCode:
    """A simulated device's setup code, derived from its serial: the same at every start.

    HKDF-SHA512 of the serial, read 8 bytes at a time as a big-endian number modulo
    10**8, the first that is not trivial. Only for simulators in a test's own process
    (anyone who knows the serial knows the code): a real device's code is random, made
    at manufacture, and never follows from anything printed beside it, and ``irlink sim
    serve``, whose devices other processes reach, gives each a random one
    (:func:`random_setup_code`) unless told otherwise.
    """
    stream = HKDF(algorithm=SHA512(), length=64, salt=_SIM_SALT, info=_SIM_INFO).derive(
        serial.encode("utf-8")
    )
    for at in range(0, len(stream), 8):
        digits = f"{int.from_bytes(stream[at : at + 8], 'big') % 10**8:08d}"
        if digits not in TRIVIAL_CODES:
            return SetupCode(digits)
    raise AssertionError("eight trivial codes in a row from HKDF")  # pragma: no cover
