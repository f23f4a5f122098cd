"""A minimal test host: the host codec over the in-process pipe, synchronous.

Against a device with security (IRLink 1.2) it verifies first, with the pairing the
test's key store keeps (every test's devices are provisioned with one), and then seals
every request and opens every sealed frame (``tests/security/sealing.py``).
"""

from __future__ import annotations

from typing import Any

from irlink.protocol import EventReceived, Refusal, Reply, Request
from irlink.protocol.codec import HostIncoming
from irlink.protocol.messages import ErrorCode
from irlink.sim import SimulatedDevice
from irlink.sim.serve import Pipe
from tests.security.sealing import SealingCodec, session_lost, verify


class TestHost:
    """Sends requests to a simulated device and keeps every event it sends."""

    __test__ = False  # not a test class

    def __init__(self, device: SimulatedDevice) -> None:
        self.device = device
        self.codec = SealingCodec(minor=device.protocol_minor)  # as if read from its get_info
        self.pipe = Pipe(device)
        self.events: list[Any] = []  # event messages in arrival order
        self.counters: list[int] = []
        # Verified with the factory pairing the test's key store keeps: then verified again
        # whenever the device loses the session (it restarted).
        self.reverify = False
        self.reverify = device.secure and verify(self.codec, self.ok, device.serial)

    def pump(self) -> list[HostIncoming]:
        """Read what the device sent; events are kept, everything is returned."""
        incoming = self.codec.feed(self.pipe.read_now())
        for item in incoming:
            if isinstance(item, EventReceived):
                self.events.append(item.message)
                self.counters.append(item.counter)
        return incoming

    def ask(self, request: Request) -> Reply | Refusal:
        """Send ``request``; return the device's answer to it.

        A device that lost the verified session (it restarted) is verified again first.
        """
        seq, data = self.codec.request(request)
        self.pipe.write(data)
        incoming = self.pump()
        if self.reverify and self.codec.channel is not None and session_lost(incoming):
            self.codec.channel = None
            verify(self.codec, self.ok, self.device.serial)
            return self.ask(request)
        answers = [
            item for item in incoming if isinstance(item, Reply | Refusal) and item.seq == seq
        ]
        assert len(answers) == 1, f"expected one answer to seq {seq}, got {answers}"
        return answers[0]

    def ok(self, request: Request) -> Any:
        """Send ``request`` and return the response; fail if the device refused it."""
        answer = self.ask(request)
        assert isinstance(answer, Reply), f"{request!r} was refused: {answer}"
        return answer.message

    def refused(self, request: Request) -> tuple[ErrorCode, int, int]:
        """Send ``request`` and return the refusal's (code, field, limit)."""
        answer = self.ask(request)
        assert isinstance(answer, Refusal), f"{request!r} was not refused: {answer}"
        error = answer.error
        return ErrorCode(error.code), error.field, error.limit

    def take_events(self, kind: type[Any] | None = None) -> list[Any]:
        """The events received so far (of one class if given), and forget them."""
        self.pump()
        taken = [e for e in self.events if kind is None or isinstance(e, kind)]
        self.events = [e for e in self.events if not (kind is None or isinstance(e, kind))]
        return taken
