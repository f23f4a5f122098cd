"""An attacker on the link between an :class:`irlink.Device` and a secure simulated device.

:class:`Tapped` is a link to a simulated device (answers in the loop's next turn, over
the in-process pipe) on which a test plays the attacker: after the device's answer to a
request it chooses, it adds frames of its own (a forged plain event, a forged plain
``unauthorized``), or it replaces the answer. The device is paired with the test's host
from the factory (:meth:`~irlink.sim.SimulatedDevice.provision`), so the host verifies as
it would any paired device.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from irlink.device import Device
from irlink.events import DeviceEvent
from irlink.protocol.framing import Frame, FrameDecoder
from irlink.protocol.messages import FrameKind, PairSetupRequest, PairVerifyRequest
from irlink.security.keystore import KeyStore
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import Pipe
from irlink.transport.base import Transport

__all__ = [
    "Attacker",
    "Tapped",
    "VirtualTime",
    "nth",
    "paired_sim",
    "setup_step",
    "verify_step",
    "with_device",
]

_REQUEST = int(FrameKind.REQUEST)


def verify_step(step: int) -> Callable[[Frame], bool]:
    """Whether a request frame is the host's pair verify ``step`` (sent plain)."""
    return lambda f: (
        f.kind == _REQUEST and f.msg_id == PairVerifyRequest.MSG_ID and f.body[:1] == bytes([step])
    )


def setup_step(step: int) -> Callable[[Frame], bool]:
    """Whether a request frame is the host's pair setup ``step`` (sent plain)."""
    return lambda f: (
        f.kind == _REQUEST and f.msg_id == PairSetupRequest.MSG_ID and f.body[:1] == bytes([step])
    )


def nth(when: Callable[[Frame], bool], n: int) -> Callable[[Frame], bool]:
    """Whether a request frame is the ``n``-th (from 1) that ``when`` matches."""
    seen = 0

    def matches(frame: Frame) -> bool:
        nonlocal seen
        seen += when(frame)
        return when(frame) and seen == n

    return matches


@dataclass
class Attacker:
    """Rules applied to the device's answers on every link, each once, in order."""

    rules: list[tuple[Callable[[Frame], bool], Callable[[bytes], bytes]]] = field(
        default_factory=list
    )
    applied: int = 0

    def after(self, when: Callable[[Frame], bool], *frames: bytes) -> None:
        """Once, after the answer to the first request ``when`` matches, add ``frames``."""
        self.rules.append((when, lambda out: out + b"".join(frames)))

    def instead(self, when: Callable[[Frame], bool], make: Callable[[bytes], bytes]) -> None:
        """Once, replace the answer to the first request ``when`` matches by ``make(answer)``."""
        self.rules.append((when, make))

    def apply(self, request: Frame, out: bytes) -> bytes:
        for at, (when, make) in enumerate(self.rules):
            if when(request):
                del self.rules[at]
                self.applied += 1
                return make(out)
        return out


class Tapped(Transport):
    """A link to ``sim`` through which ``attacker`` sees and edits what the device says."""

    def __init__(self, sim: SimulatedDevice, attacker: Attacker) -> None:
        super().__init__("tapped")
        self.sim = sim
        self.pipe = Pipe(sim)
        self.attacker = attacker
        self._decoder = FrameDecoder()

    async def open(self) -> None:
        pass

    def try_write(self, data: bytes) -> bool:
        self._answer(data)
        return True

    async def write(self, data: bytes) -> None:
        self._check_open()
        self._answer(data)

    async def close(self) -> None:
        self.pipe.close()
        await super().close()

    def _answer(self, data: bytes) -> None:
        self.pipe.write(data)
        out = self.pipe.read_now()
        for request in self._decoder.feed(data):
            out = self.attacker.apply(request, out)
        asyncio.get_running_loop().call_soon(self._deliver, out)


def paired_sim(family: str = "waistband", **kwargs: Any) -> SimulatedDevice:
    """A secure simulated device on a manual clock, paired with the test's host."""
    sim = SimulatedDevice(family, clock=ManualClock(), **kwargs)
    sim.provision(KeyStore.open())
    return sim


class VirtualTime(asyncio.SelectorEventLoop):
    """An event loop whose clock a test moves forward (``skip``): the host's waits are loop
    time, so a test sees a 30 s wait without waiting 30 s."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped = 0.0

    def time(self) -> float:
        return super().time() + self.skipped

    def skip(self, seconds: float) -> None:
        """Move this loop's clock ``seconds`` ahead: timers due by then run next."""
        self.skipped += seconds


def with_device(
    sim: SimulatedDevice,
    attacker: Attacker,
    body: Callable[[Device], Awaitable[None]],
    *,
    seen: list[DeviceEvent] | None = None,
    opened: bool = True,
    **options: Any,
) -> list[Tapped]:
    """Run ``body`` with a Device on ``sim`` through tapped links (its events, from before
    it connects, into ``seen``); ``opened`` False: ``body`` connects it. The links opened."""
    links: list[Tapped] = []

    async def main() -> None:
        async def connector() -> Transport:
            links.append(Tapped(sim, attacker))
            return links[-1]

        async def record(events: AsyncIterator[DeviceEvent], into: list[DeviceEvent]) -> None:
            async for event in events:
                into.append(event)

        options.setdefault("timeout", 0.05)
        options.setdefault("reconnect", None)
        device = Device(connector, address="tapped", **options)
        recorder = None if seen is None else asyncio.ensure_future(record(device.events(), seen))
        try:
            if opened:
                await device._open()
            await body(device)
        finally:
            await device.close()
            if recorder is not None:
                await asyncio.gather(recorder, return_exceptions=True)

    with asyncio.Runner(loop_factory=VirtualTime) as runner:
        runner.run(asyncio.wait_for(main(), 30))
    return links
