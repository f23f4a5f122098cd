"""A simulated device as a BLE peripheral on bumble's in-process radio, with real ATT.

A :class:`BumbleAir` is bumble's virtual radio (a ``LocalLink`` with one virtual
controller per device). :meth:`BumbleAir.serve` puts a simulated device on it as a
GATT server with the database of gatt.yaml: it advertises (flags and service UUID,
name in the scan response), accepts any MTU up to 517, writes to rx feed the device's
stream decoder and its bytes go out as tx notifications of at most ATT_MTU - 3 bytes.
rx and tx (its CCCD too) need a link encrypted by LE Secure Connections pairing with
MITM protection: anything weaker gets Insufficient Authentication (0x05), and the
peripheral refuses Just Works outright. Everything runs on the event loop that made
the air. A bleak backend for the central side is in :mod:`irlink.sim.serve.bumble_bleak`.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from typing import Any

from bumble import hci
from bumble.att import (
    ATT_INSUFFICIENT_AUTHENTICATION_ERROR,
    ATT_READ_NOT_PERMITTED_ERROR,
    ATT_Error,
    Attribute,
    AttributeValue,
    AttributeValueV2,
    Bearer,
    is_enhanced_bearer,
)
from bumble.device import Connection, Device
from bumble.gatt import GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR as CCCD
from bumble.gatt import Characteristic, Descriptor, Service
from bumble.host import Host
from bumble.keys import PairingKeys
from bumble.link import LocalLink
from bumble.smp import PairingMethod
from bumble.transport.common import AsyncPipeSink

from irlink.sim.device import SimulatedDevice
from irlink.sim.serve.ble_gatt import (
    advertising_data,
    chunks,
    exposed_services,
    needs_authentication,
    read_value,
    scan_response_data,
)
from irlink.sim.serve.bumble_radio import ScanResponseController, pairing_config

__all__ = ["BumbleAir", "BumblePeripheral"]

_airs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BumbleAir] = weakref.WeakKeyDictionary()


class BumbleAir:
    """bumble's in-process radio: the simulated devices served on it and one host central."""

    advertising_interval_ms = 20.0

    def __init__(self) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]  # bumble leaves it unannotated
        self.peripherals: dict[str, BumblePeripheral] = {}
        self._numbers = itertools.count(1)
        self._central: asyncio.Task[Device] | None = None

    @classmethod
    def current(cls) -> BumbleAir:
        """The running event loop's default air, made on first use."""
        loop = asyncio.get_running_loop()
        if loop not in _airs:
            _airs[loop] = cls()
        return _airs[loop]

    def add_device(self, name: str, address: str | None = None) -> Device:
        """A bumble device with its own virtual controller on this air (not powered on)."""
        if address is None:
            number = next(self._numbers)
            address = f"F0:00:00:00:{number >> 8 & 0xFF:02X}:{number & 0xFF:02X}"
        controller = ScanResponseController(name, link=self.link)
        device = Device(
            name=name,
            address=hci.Address(address),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        device.pairing_config_factory = lambda _: pairing_config()
        return device

    async def central(self) -> Device:
        """The host's adapter on this air, shared by every scanner and client: powered on."""
        if self._central is None:
            self._central = asyncio.create_task(self._power_on(self.add_device("irlink-host")))
        return await asyncio.shield(self._central)

    @staticmethod
    async def _power_on(device: Device) -> Device:
        await device.power_on()
        return device

    async def serve(self, device: SimulatedDevice, address: str | None = None) -> BumblePeripheral:
        """Serve ``device`` as a peripheral on this air: advertising once this returns."""
        peripheral = BumblePeripheral(self, device, address)
        await peripheral.start()
        self.peripherals[peripheral.address] = peripheral
        return peripheral

    async def close(self) -> None:
        """Stop every peripheral and the central."""
        for peripheral in list(self.peripherals.values()):
            await peripheral.close()
        if self._central is not None:
            central, self._central = await self._central, None
            await central.power_off()
        for loop, air in list(_airs.items()):
            if air is self:
                del _airs[loop]  # the loop's next current() makes a fresh air

    async def __aenter__(self) -> BumbleAir:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Served:
    """One central's connection to a peripheral: a device link and its notification pump."""

    def __init__(self, peripheral: BumblePeripheral, connection: Connection) -> None:
        self.peripheral = peripheral
        self.connection = connection
        self.loop = asyncio.get_running_loop()
        self.outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.link = peripheral.device.open_link(self._arrived, self._down)
        self.pump = asyncio.create_task(self._pump())

    def _arrived(self, data: bytes) -> None:
        # Any thread, under the device lock; the queue keeps the device's order.
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.outbox.put_nowait, data)

    def _down(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.peripheral.drop, self.connection)

    async def _pump(self) -> None:
        bumble, tx = self.peripheral.bumble, self.peripheral.tx
        assert tx is not None
        while True:
            data = await self.outbox.get()
            # Cut at the MTU of the moment: the stream needs no other framing.
            for chunk in chunks(data, self.connection.att_mtu):
                await bumble.notify_subscriber(self.connection, tx, chunk)

    def close(self) -> None:
        self.link.close()
        self.pump.cancel()


class BumblePeripheral:
    """A simulated device served by a bumble GATT server on a :class:`BumbleAir`."""

    def __init__(self, air: BumbleAir, device: SimulatedDevice, address: str | None) -> None:
        self.air = air
        self.device = device
        self.bumble = air.add_device(device.ble_name, address)
        self.address = str(self.bumble.random_address)
        self.served: dict[int, _Served] = {}  # by connection handle
        self._strong: dict[int, bool] = {}  # pairing in progress is SC + MITM, by handle
        self._bonds: set[str] = set()  # peers bonded by such a pairing
        self._tasks: set[asyncio.Task[None]] = set()
        self.tx: Characteristic[bytes] | None = None
        self.bumble.add_services(self._services())
        self.bumble.on(Device.EVENT_CONNECTION, self._on_connection)

    def _services(self) -> list[Service]:
        services = []
        for spec in exposed_services(self.device):
            characteristics = []
            for char in spec.characteristics:
                properties = Characteristic.Properties.from_string(
                    ",".join(p.upper() for p in char.properties)
                )
                Permissions = Attribute.Permissions  # noqa: N806  (bumble's flag enum)
                if "read" in char.properties:
                    value = AttributeValue(lambda _, char=char: read_value(self.device, char))
                    permissions = Permissions.READABLE
                elif char.name == "rx":
                    # bumble's flag catches an unencrypted link; _written asks for more.
                    value = AttributeValue(_refuse_read, self._written)
                    permissions = Permissions.WRITEABLE | Permissions.WRITE_REQUIRES_AUTHENTICATION
                else:
                    value = AttributeValue(_refuse_read)
                    permissions = Permissions(0)
                characteristic = Characteristic[bytes](char.uuid, properties, permissions, value)
                if "notify" in char.properties:
                    locked = needs_authentication(char)
                    characteristic.descriptors = [self._cccd(characteristic, locked)]
                if char.name == "tx":
                    self.tx = characteristic
                characteristics.append(characteristic)
            services.append(Service(spec.uuid, characteristics))
        return services

    def _cccd(self, characteristic: Characteristic[bytes], locked: bool) -> Descriptor:
        # bumble's own CCCD is open; gatt.yaml wants tx's to need what its value needs.
        plain = self.bumble.gatt_server.make_descriptor_value(characteristic)

        def write(bearer: Bearer, value: bytes) -> Any:
            if locked:
                self._check(bearer)
            return plain.write(bearer, value)

        permissions = Attribute.Permissions.READABLE | Attribute.Permissions.WRITEABLE
        return Descriptor(CCCD, permissions, AttributeValueV2(plain.read, write))

    def authenticated(self, connection: Connection) -> bool:
        """Whether ``connection`` is encrypted by an SC pairing with MITM protection."""
        if not connection.is_encrypted:
            return False
        return self._strong.get(connection.handle, False) or (
            str(connection.peer_address) in self._bonds
        )

    def _check(self, bearer: Bearer) -> None:
        connection = bearer.connection if is_enhanced_bearer(bearer) else bearer
        if not self.authenticated(connection):
            raise ATT_Error(ATT_INSUFFICIENT_AUTHENTICATION_ERROR)

    def _written(self, connection: Connection, value: bytes) -> None:
        self._check(connection)
        served = self.served.get(connection.handle)
        if served is not None:
            served.link.write(bytes(value))

    async def start(self) -> None:
        """Power on and advertise, restarting after each disconnection."""
        interval = self.air.advertising_interval_ms
        await self.bumble.power_on()
        await self.bumble.start_advertising(
            auto_restart=True,
            advertising_data=advertising_data(self.device),
            scan_response_data=scan_response_data(self.device),
            advertising_interval_min=interval,
            advertising_interval_max=interval,
        )

    async def close(self) -> None:
        """Stop advertising, drop every connection and power off."""
        self.air.peripherals.pop(self.address, None)
        await self.bumble.stop_advertising()
        for served in list(self.served.values()):
            await self._disconnect(served.connection)
        await self.bumble.power_off()

    def _on_connection(self, connection: Connection) -> None:
        handle = connection.handle
        connection.on(connection.EVENT_PAIRING_START, lambda: self._pairing_started(connection))
        connection.on(connection.EVENT_PAIRING, lambda keys: self._paired(connection, keys))
        connection.on(connection.EVENT_DISCONNECTION, lambda _: self._disconnected(handle))
        if not self.device.link_up:
            self.drop(connection)  # out of range: the link never comes up
            return
        self.served[handle] = _Served(self, connection)

    def _pairing_started(self, connection: Connection) -> None:
        session = self.bumble.smp_manager.sessions.get(connection.handle)
        self._strong[connection.handle] = bool(
            session and session.sc and session.pairing_method != PairingMethod.JUST_WORKS
        )

    def _paired(self, connection: Connection, keys: PairingKeys) -> None:
        if self._strong.get(connection.handle) and keys.ltk and keys.ltk.authenticated:
            self._bonds.add(str(connection.peer_address))

    def _disconnected(self, handle: int) -> None:
        self._strong.pop(handle, None)
        served = self.served.pop(handle, None)
        if served is not None:
            served.close()

    def drop(self, connection: Connection) -> None:
        """Disconnect a central as a lost radio link does (supervision timeout)."""
        task = asyncio.get_running_loop().create_task(self._disconnect(connection))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _disconnect(self, connection: Connection) -> None:
        if connection.handle in self.bumble.connections:
            await connection.disconnect(hci.HCI_CONNECTION_TIMEOUT_ERROR)


def _refuse_read(connection: Connection) -> bytes:
    raise ATT_Error(ATT_READ_NOT_PERMITTED_ERROR)
