"""Test helpers for the host library: a simulated device on a real link, and a Device on it.

Every link is the real front end: pyserial on a pty, pyserial's ``socket://`` on TCP,
bleak with the simulator's backend, and bleak over bumble's stack. The simulated device
runs on a manual clock, so a test moves time itself and never sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import irlink
from irlink.events import DeviceEvent
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.pty import PtyServer
from irlink.sim.serve.tcp import TcpServer
from tests.sim.serve.ble_host import bench

LINKS = ["pty", "socket", "bleak", "bumble"]
FAMILIES = ["waistband", "multiport", "firmat"]
WAIT_S = 5  # no await on the device may take longer than this
FAST = irlink.Backoff(initial=0.01, maximum=0.05)  # reconnect quickly in tests

E = TypeVar("E")

# A session each family accepts on port 1, and the values to set it up.
SESSIONS: dict[str, dict[str, Any]] = {
    "waistband": {"duration": "10m", "intensity": 2},
    "multiport": {"duration": "20m", "intensity": 1, "mode": "pulsed", "pulse_hz": 73},
    "firmat": {"duration": "30m", "setpoint": 40.0},
}


@asynccontextmanager
async def served(device: SimulatedDevice, link: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Serve ``device`` on ``link``; yields the address and the options irlink.connect needs."""
    if link == "pty":
        async with PtyServer(device) as pty:
            yield pty.path, {}
    elif link == "socket":
        async with TcpServer(device) as tcp:
            yield tcp.url, {}
    else:
        async with bench("sim" if link == "bleak" else "bumble") as air:
            address = await air.serve(device)
            yield f"ble://{address}", {"ble_backends": air}


@dataclass
class Host:
    """A connected Device, the simulated device behind it, its clock and an event recorder."""

    device: irlink.Device
    sim: SimulatedDevice
    clock: ManualClock
    seen: list[DeviceEvent]
    _arrived: asyncio.Event

    async def wait_for(self, kind: type[E], predicate: Callable[[E], bool] = lambda _: True) -> E:
        """The first event of ``kind`` seen (from connection on) that matches ``predicate``."""
        async with asyncio.timeout(WAIT_S):
            while True:
                for event in self.seen:
                    if isinstance(event, kind) and predicate(event):
                        return event
                self._arrived.clear()
                await self._arrived.wait()

    def of(self, kind: type[E]) -> list[E]:
        """Every event of ``kind`` seen so far."""
        return [e for e in self.seen if isinstance(e, kind)]

    async def settle(self) -> None:
        """Let bytes already sent reach the host (a round trip the device answers in order)."""
        await self.device.status()


@asynccontextmanager
async def connected(
    family: str = "waistband",
    link: str = "pty",
    *,
    sim: SimulatedDevice | None = None,
    **options: Any,
) -> AsyncIterator[Host]:
    """A simulated device of ``family`` on ``link`` with an irlink.Device connected to it."""
    clock = ManualClock()
    if sim is None:
        sim = SimulatedDevice(family, clock=clock)
    else:
        assert isinstance(sim.clock, ManualClock)
        clock = sim.clock
    options.setdefault("reconnect", FAST)
    async with AsyncExitStack() as stack:
        address, extra = await stack.enter_async_context(served(sim, link))
        device = await stack.enter_async_context(irlink.connect(address, **extra, **options))
        seen: list[DeviceEvent] = []
        arrived = asyncio.Event()

        async def record() -> None:
            async for event in device.events():
                seen.append(event)
                arrived.set()

        recorder = asyncio.ensure_future(record())
        try:
            yield Host(device, sim, clock, seen, arrived)
        finally:
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)


def run(body: Awaitable[None], limit_s: float = 30) -> None:
    """Run a test body on a fresh event loop, failing it rather than hanging."""

    async def bounded() -> None:
        async with asyncio.timeout(limit_s):
            await body

    asyncio.run(bounded())
