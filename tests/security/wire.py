"""Hosts on the wire for the security tests: pair and verify by hand, capture and replay.

A :class:`~tests.sim.host.TestHost` on a device fresh from the factory (the security
tests turn the factory pairing off) speaks plain frames; :func:`pair` runs pair setup
through it and :func:`verify` pair verify, after which its codec seals and opens.
"""

from __future__ import annotations

from irlink.protocol import Refusal, Reply
from irlink.protocol.messages import ErrorCode, PairSetupRequest, PairVerifyRequest
from irlink.security import Identity, PairedDevice, PairSetupHost, SetupCode, VerifyHost
from irlink.sim import ManualClock, SimulatedDevice
from tests.sim.host import TestHost

__all__ = ["fresh", "pair", "paired_host", "refusal", "verify"]


def fresh(family: str = "waistband", **kwargs: object) -> tuple[ManualClock, SimulatedDevice]:
    """A device as it leaves the factory (paired with nobody), on a manual clock."""
    clock = ManualClock()
    return clock, SimulatedDevice(family, clock=clock, **kwargs)  # type: ignore[arg-type]


def pair(host: TestHost, identity: Identity, code: SetupCode) -> PairedDevice | Refusal:
    """Pair setup through ``host``; what the host keeps, or the device's refusal."""
    setup = PairSetupHost(code, identity)
    request: PairSetupRequest | None = setup.start()
    while request is not None:
        answer = host.ask(request)
        if isinstance(answer, Refusal):
            return answer
        request = setup.receive(answer.message)
    assert setup.device is not None
    return setup.device


def verify(host: TestHost, identity: Identity, device: PairedDevice) -> Refusal | None:
    """Pair verify through ``host``; None once verified (the host seals from then on)."""
    check = VerifyHost(identity, device.device_id, device.public_key)
    request: PairVerifyRequest | None = check.start()
    while request is not None:
        answer = host.ask(request)
        if isinstance(answer, Refusal):
            return answer
        assert isinstance(answer, Reply)
        request = check.receive(answer.message)
    assert check.keys is not None
    host.codec.channel = check.keys.host()
    return None


def paired_host(device: SimulatedDevice, identity: Identity | None = None) -> TestHost:
    """A host on a new link of ``device`` that pairs (unless it is paired) and verifies."""
    me = identity if identity is not None else Identity.create()
    host = TestHost(device)
    if device.pairings.find(me.id) is None:
        made = pair(host, me, device.setup_code)
        assert not isinstance(made, Refusal), made
    else:
        made = PairedDevice(device.identity.id, device.identity.public_key)
    assert verify(host, me, made) is None
    return host


def refusal(answer: Reply | Refusal) -> tuple[ErrorCode, int, int]:
    """The (code, field, limit) of a refusal."""
    assert isinstance(answer, Refusal), answer
    return ErrorCode(answer.error.code), answer.error.field, answer.error.limit
