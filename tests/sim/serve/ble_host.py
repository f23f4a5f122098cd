"""Test helpers for the BLE adapters: an air per backend, and a host speaking over bleak.

Everything a test does goes through bleak's own front end (BleakScanner, BleakClient)
with ``backend=``: the same test body runs on the stackless simulator backend and on
bumble's real stack.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from irlink.protocol import EventReceived, Refusal, Reply, Request
from irlink.protocol.codec import HostIncoming
from irlink.protocol.messages import CapabilityFlags, GetInfoRequest
from irlink.sim import SimulatedDevice
from irlink.sim.serve.ble_gatt import chunks, gatt
from irlink.sim.serve.ble_security import LinkSecurity
from irlink.sim.serve.bleak_backend import SimRadio, sim_backends
from irlink.sim.serve.bumble_bleak import bumble_backends
from irlink.sim.serve.bumble_gatt import BumbleAir
from tests.security.sealing import SealingCodec, averify

BACKENDS = ["sim", "bumble"]
FAMILIES = ["waistband", "multiport", "firmat"]
STREAM = gatt().stream_service
SERVICE_UUID = STREAM.uuid
RX = STREAM.characteristic("rx").uuid
TX = STREAM.characteristic("tx").uuid
WAIT_S = 5  # no await on the device may take longer than this


Serve = Callable[..., Awaitable[str]]  # (device, *, display=False): the device's address


@dataclass
class Bench:
    """One air: the backend classes to hand bleak, and how to put a device on the air."""

    scanner: type[BaseBleakScanner]
    client: type[BaseBleakClient]
    serve: Serve
    host_address: Callable[[str], Awaitable[str]]  # the address of the host of an adapter
    securities: dict[str, LinkSecurity]  # each served device's, by its address
    air: BumbleAir | None = None

    def security(self, address: str) -> LinkSecurity:
        """The bonds, pairing window and refusals of the device served at ``address``."""
        return self.securities[address]


@asynccontextmanager
async def bench(kind: str) -> AsyncIterator[Bench]:
    """A fresh air of the ``kind`` backend ("sim" or "bumble")."""
    securities: dict[str, LinkSecurity] = {}
    if kind == "sim":
        radio = SimRadio()

        async def advertise(device: SimulatedDevice, *, display: bool = False) -> str:
            peripheral = radio.advertise(device, display=display)
            securities[peripheral.address] = peripheral.security
            return peripheral.address

        async def host(adapter: str) -> str:
            return radio.host(adapter).address

        yield Bench(*sim_backends(radio), advertise, host, securities)
        return
    async with BumbleAir() as air:

        async def serve(device: SimulatedDevice, *, display: bool = False) -> str:
            peripheral = await air.serve(device, display=display)
            securities[peripheral.address] = peripheral.security
            return peripheral.address

        async def central(adapter: str) -> str:
            return str((await air.central(adapter)).random_address)

        yield Bench(*bumble_backends(air), serve, central, securities, air)


def run(body: Awaitable[None]) -> None:
    """Run a test body on a fresh event loop, failing it rather than hanging."""

    async def bounded() -> None:
        async with asyncio.timeout(20):
            await body

    asyncio.run(bounded())


class BleHost:
    """A host on a connected BleakClient: frames go to rx, tx notifications are decoded."""

    def __init__(self, client: BleakClient) -> None:
        self.client = client
        self.codec = SealingCodec()
        self.notifications: list[bytes] = []
        self.threads: set[int] = set()  # where notification callbacks ran
        self._incoming: asyncio.Queue[HostIncoming] = asyncio.Queue()

    async def start(self, *, verify: bool = True) -> BleHost:
        """Subscribe to tx; then, for a device with security (IRLink 1.2), verify with the
        pairing the test's key store keeps (its factory pairing), unless ``verify`` is off."""
        await self.client.start_notify(TX, self._notified)
        if verify:
            info = await self.ok(GetInfoRequest())
            if info.capabilities & CapabilityFlags.SECURE:
                await averify(self.codec, self.ok, info.serial)
        return self

    def _notified(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self.threads.add(threading.get_ident())
        self.notifications.append(bytes(data))
        for item in self.codec.feed(bytes(data)):
            self._incoming.put_nowait(item)

    async def send(self, request: Request, write_size: int | None = None) -> int:
        """Write a request to rx in writes of ``write_size`` bytes (ATT_MTU - 3 if None)."""
        seq, data = self.codec.request(request)
        size = write_size or self.client.mtu_size - 3
        for chunk in chunks(data, size + 3):
            await self.client.write_gatt_char(RX, chunk, response=False)
        return seq

    async def next(self) -> HostIncoming:
        """The next reply, refusal or event the device sends."""
        async with asyncio.timeout(WAIT_S):
            return await self._incoming.get()

    async def ask(self, request: Request, write_size: int | None = None) -> Reply | Refusal:
        """Send ``request`` and return its answer (events meanwhile are dropped)."""
        seq = await self.send(request, write_size)
        while True:
            item = await self.next()
            if isinstance(item, Reply | Refusal) and item.seq == seq:
                return item

    async def ok(self, request: Request, write_size: int | None = None) -> Any:
        """Send ``request``; return the response, failing if the device refused it."""
        answer = await self.ask(request, write_size)
        assert isinstance(answer, Reply), f"{request!r} was refused: {answer}"
        return answer.message

    async def events(self, count: int) -> list[Any]:
        """The next ``count`` events."""
        found: list[Any] = []
        while len(found) < count:
            item = await self.next()
            if isinstance(item, EventReceived):
                found.append(item.message)
        return found
