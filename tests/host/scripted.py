"""A scripted link for host tests: a simulated device behind a link a test can steer.

It answers in the loop's next turn; a test can damage or replace the next answers, or
make the link take its bytes only through ``write()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from irlink.device import Device
from irlink.protocol.framing import decode_frame, frame_bytes
from irlink.protocol.messages import FrameKind
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import Pipe
from irlink.transport.base import Transport

# What the link does to one answer: the request's frame and the device's bytes in, the
# bytes the host gets out.
Mangle = Callable[[bytes, bytes], bytes]


class Scripted(Transport):
    """A link to a simulated device that answers in the loop's next turn, as told."""

    def __init__(self, *, at_once: bool = True) -> None:
        super().__init__("scripted")
        # IRLink 1.1: a test writes answers by hand, in plain frames (a device with security
        # would seal them, and the host drop every plain one; tests/security covers that).
        self.sim = SimulatedDevice("waistband", clock=ManualClock(), protocol_minor=1)
        self.pipe = Pipe(self.sim)
        self.at_once = at_once
        self.mangles: list[Mangle] = []
        self.writes = self.tries = 0

    async def open(self) -> None:
        pass

    def try_write(self, data: bytes) -> bool:
        self.tries += 1
        if self.at_once:
            self._answer(data)
        return self.at_once

    async def write(self, data: bytes) -> None:
        self.writes += 1
        self._answer(data)

    def _answer(self, data: bytes) -> None:
        self.pipe.write(data)
        out = self.pipe.read_now()
        if self.mangles:
            out = self.mangles.pop(0)(data, out)
        asyncio.get_running_loop().call_soon(self._deliver, out)


def run_with(link: Scripted, body: Callable[[Device], Awaitable[None]], **options: Any) -> None:
    """Run ``body`` with a Device connected over ``link`` (50 ms a try, no reconnection)."""

    async def main() -> None:
        async def connector() -> Transport:
            return link

        options.setdefault("timeout", 0.05)
        device = Device(connector, address="scripted", reconnect=None, **options)
        await device._open()
        try:
            await body(device)
        finally:
            await device.close()

    asyncio.run(main())


def answer(request: bytes, msg_id: int, body: bytes) -> bytes:
    """An answer to ``request`` with message ``msg_id`` and ``body``."""
    return frame_bytes(FrameKind.RESPONSE, decode_frame(request[:-1]).seq, msg_id, body)
