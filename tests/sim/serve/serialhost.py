"""A blocking test host over a real pyserial port: the host codec, every wait bounded.

Against a device with security (IRLink 1.2) it verifies as it starts, with the pairing
the test's key store keeps, and seals from then on (``tests/security/sealing.py``).
"""

from __future__ import annotations

import time
from typing import Any

import serial

from irlink.protocol import EventReceived, Garbled, Refusal, Reply, Request
from irlink.protocol.codec import HostIncoming
from irlink.protocol.messages import CapabilityFlags, GetInfoRequest
from tests.security.sealing import SealingCodec, verify

TIMEOUT_S = 5.0  # how long any one answer may take; the device answers in milliseconds


def open_port(address: str) -> serial.SerialBase:
    """Open a pty path or a socket:// URL as pyserial would for a real device."""
    return serial.serial_for_url(address, timeout=TIMEOUT_S)


class SerialHost:
    """Sends requests on a pyserial port and keeps every event the device sends."""

    __test__ = False  # not a test class

    def __init__(self, port: serial.SerialBase, *, secure: bool = True) -> None:
        assert hasattr(port, "in_waiting"), "a port that can say how much it holds"
        self.port = port
        self.codec = SealingCodec()
        self.events: list[Any] = []
        if secure:
            info = self.ok(GetInfoRequest())
            if info.capabilities & CapabilityFlags.SECURE:
                verify(self.codec, self.ok, info.serial)

    def receive(self) -> list[HostIncoming]:
        """Block until bytes arrive (at most TIMEOUT_S); return what they said."""
        first = self.port.read(1)
        assert first, f"the device sent nothing within {TIMEOUT_S} s"
        data = first
        while waiting := self.port.in_waiting:
            data += self.port.read(waiting)
        incoming = self.codec.feed(data)
        garbled = [item for item in incoming if isinstance(item, Garbled)]
        assert not garbled, f"the device's bytes did not decode (echo? interleaving?): {garbled}"
        self.events += [item.message for item in incoming if isinstance(item, EventReceived)]
        return incoming

    def ask(self, request: Request) -> Reply | Refusal:
        """Send ``request``; return the device's answer to it."""
        seq, data = self.codec.request(request)
        self.port.write(data)
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            for item in self.receive():
                if isinstance(item, Reply | Refusal) and item.seq == seq:
                    return item
        raise AssertionError(f"no answer to {request!r} within {TIMEOUT_S} s")

    def ok(self, request: Request) -> Any:
        """Send ``request`` and return the response; fail if the device refused it."""
        answer = self.ask(request)
        assert isinstance(answer, Reply), f"{request!r} was refused: {answer}"
        return answer.message

    def wait_events(self, kind: type[Any], count: int) -> list[Any]:
        """Block until ``count`` events of ``kind`` have arrived; return them."""
        deadline = time.monotonic() + TIMEOUT_S
        while sum(isinstance(e, kind) for e in self.events) < count:
            assert time.monotonic() < deadline, f"fewer than {count} {kind.__name__} events"
            self.receive()
        return [e for e in self.events if isinstance(e, kind)]
