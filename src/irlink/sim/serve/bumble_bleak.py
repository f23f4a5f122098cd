"""A bleak backend whose client is a bumble central: bleak code over a real Bluetooth stack.

The scanner and client drive the central of a :class:`~irlink.sim.serve.bumble_gatt.BumbleAir`
(the running loop's default air unless bound with :func:`bumble_backends` or given
``air=``): real advertising reports, LE connections, MTU exchange, SMP pairing and ATT
on bumble's virtual radio. So the same bleak code runs against this backend and the
stackless one of :mod:`irlink.sim.serve.bleak_backend`::

    air = BumbleAir()
    await air.serve(SimulatedDevice("waistband"))
    scanner, client = bumble_backends(air)
    found = await BleakScanner.find_device_by_name("IRL-W2-0001", backend=scanner)
    async with BleakClient(found, backend=client, pair=True) as ble:
        ...
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from bleak.args import SizedBuffer
from bleak.args.bluez import BlueZClientArgs
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import core, hci
from bumble.att import ATT_Error
from bumble.device import Connection, Device, Peer
from bumble.gatt import GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR as CCCD
from bumble.gatt import GATT_GENERIC_ACCESS_SERVICE, GATT_GENERIC_ATTRIBUTE_SERVICE, Characteristic
from bumble.gatt_client import CharacteristicProxy, DescriptorProxy

from irlink.sim.serve.ble_gatt import DEFAULT_ATT_MTU, HOST_ATT_MTU, check_att_mtu
from irlink.sim.serve.ble_security import DEFAULT_ADAPTER
from irlink.sim.serve.bleak_radio import Backends
from irlink.sim.serve.bumble_gatt import BumbleAir
from irlink.sim.serve.bumble_scanner import BumbleBleakScanner

__all__ = ["BumbleBleakClient", "BumbleBleakScanner", "bumble_backends"]

T = TypeVar("T")
# The stack's own services, which the OS keeps to itself as BlueZ and CoreBluetooth do.
_HIDDEN = {GATT_GENERIC_ACCESS_SERVICE, GATT_GENERIC_ATTRIBUTE_SERVICE}


def _uuid(value: core.UUID) -> str:
    return str(uuid.UUID(bytes=value.to_bytes(force_128=True)[::-1]))


class BumbleBleakClient(BaseBleakClient):
    """bleak client backend: GATT client of the air's central over a real LE connection.

    Extra keyword arguments (through ``BleakClient(..., **kwargs)``): ``att_mtu``, the
    MTU asked for after connecting (default 247; 23 skips the exchange), and ``air``.
    bleak's ``bluez={"adapter": ...}`` picks the air's central, a host with its own
    address and keys (``hci0`` if not given).
    """

    bound_air: ClassVar[BumbleAir | None] = None

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        services: set[str] | None = None,
        att_mtu: int = HOST_ATT_MTU,
        air: BumbleAir | None = None,
        bluez: BlueZClientArgs | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        check_att_mtu(att_mtu)
        self._name = getattr(address_or_ble_device, "name", None)
        self._air = air or self.bound_air
        self._adapter = (bluez or {}).get("adapter", DEFAULT_ADAPTER)
        self._wanted = services
        self._att_mtu = att_mtu
        self._connection: Connection | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        """The advertised name if the client was made from a scan result, else the address."""
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        """The ATT MTU of the connection (23 when not connected)."""
        return self._connection.att_mtu if self._connection else DEFAULT_ATT_MTU

    @property
    def is_connected(self) -> bool:
        """Whether the client is connected."""
        return self._connection is not None

    async def _central(self) -> Device:
        return await (self._air or BumbleAir.current()).central(self._adapter)

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect; encrypt if bonded (else pair if ``pair``); exchange the MTU; discover."""
        if self._connection is not None:
            return
        central = await self._central()
        try:
            connection = await central.connect(hci.Address(self.address), timeout=self._timeout)
        except core.TimeoutError as error:
            raise TimeoutError(f"{self.address} did not answer in {self._timeout} s") from error
        connection.on(connection.EVENT_DISCONNECTION, lambda _: self._lost(connection))
        try:
            bonded = central.keystore and await central.keystore.get(str(connection.peer_address))
            if bonded:
                await _guarded(connection.encrypt())
            elif pair:
                await _guarded(connection.pair())
            if self._att_mtu > DEFAULT_ATT_MTU:
                await _guarded(connection.gatt_client.request_mtu(self._att_mtu))
            services = await _guarded(self._discover(Peer(connection)))
        except BaseException:
            if connection.handle in central.connections:
                await connection.disconnect()
            raise
        self._connection, self.services = connection, services

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        wanted = [core.UUID(u) for u in self._wanted or ()]
        collection = BleakGATTServiceCollection()
        for proxy in await peer.discover_services(wanted):
            if proxy.uuid in _HIDDEN:
                continue
            service = BleakGATTService(proxy, proxy.handle, _uuid(proxy.uuid))
            collection.add_service(service)
            for char in await peer.discover_characteristics(service=proxy):
                properties: list[Any] = [
                    name for bit, name in CHARACTERISTIC_PROPERTIES.items() if char.properties & bit
                ]
                characteristic = BleakGATTCharacteristic(
                    char, char.handle, _uuid(char.uuid), properties, self._payload, service
                )
                collection.add_characteristic(characteristic)
                for desc in await peer.gatt_client.discover_descriptors(char):
                    descriptor = BleakGATTDescriptor(
                        desc, desc.handle, _uuid(desc.type), characteristic
                    )
                    collection.add_descriptor(descriptor)
        return collection

    def _payload(self) -> int:
        return self.mtu_size - 3

    def _lost(self, connection: Connection) -> None:
        if connection is not self._connection:
            return  # torn down while connecting: connect() raises instead
        self._connection = None
        self.services = None
        self._subscribers.clear()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise BleakError("Not connected")
        return self._connection

    async def disconnect(self) -> None:
        """Disconnect (the disconnected callback is called, as bleak's backends do)."""
        if self._connection is not None:
            await _guarded(self._connection.disconnect())

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pair and bond: LE Secure Connections, by numeric comparison or out-of-band data."""
        await _guarded(self._require_connection().pair())

    async def unpair(self) -> None:
        """Forget the bond, and disconnect."""
        central, name = await self._central(), str(hci.Address(self.address))
        if central.keystore is not None and await central.keystore.get(name):
            await central.keystore.delete(name)
        await self.disconnect()

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic value (long values by read blob)."""
        self._require_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        return bytearray(await _guarded(proxy.read_value()))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor."""
        self._require_connection()
        proxy: DescriptorProxy = descriptor.obj
        return bytearray(await _guarded(proxy.read_value()))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write by request (long writes too) or by command (at most ATT_MTU - 3 bytes)."""
        self._require_connection()
        value = bytes(data)
        if not response and len(value) > self.mtu_size - 3:
            raise BleakError(f"write without response takes at most {self.mtu_size - 3} bytes")
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        await _guarded(proxy.write_value(value, with_response=response))

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor."""
        self._require_connection()
        proxy: DescriptorProxy = descriptor.obj
        await _guarded(proxy.write_value(bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Write the CCCD, then deliver each notification to ``callback`` on this loop."""
        connection = self._require_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        cccd = proxy.get_descriptor(CCCD)
        if cccd is None:
            raise BleakError(f"{characteristic.uuid} has no CCCD: it cannot notify")
        # Enable first, so a refused CCCD write leaves no subscriber behind.
        notify = proxy.properties & Characteristic.Properties.NOTIFY
        await _guarded(cccd.write_value(b"\x01\x00" if notify else b"\x02\x00", True))

        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = subscriber
        await _guarded(Peer(connection).subscribe(proxy, subscriber))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Stop notifications and write the CCCD back to 0."""
        connection = self._require_connection()
        subscriber = self._subscribers.pop(characteristic.handle, None)
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        await _guarded(Peer(connection).unsubscribe(proxy, subscriber))


async def _guarded(work: Awaitable[T]) -> T:
    """Await bumble ``work``, its errors as bleak's; a disconnection meanwhile is a BleakError."""
    task = asyncio.ensure_future(work)
    try:
        return await task
    except ATT_Error as error:
        raise BleakGATTProtocolError(error.error_code) from error
    except core.BaseBumbleError as error:
        raise BleakError(str(error)) from error
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        # bumble cancels what waits on a link that went down; the caller lives on.
        raise BleakError("disconnected") from None


def bumble_backends(air: BumbleAir | None = None) -> Backends:
    """Backend classes bound to ``air`` (the running loop's default air if None)."""
    if air is None:
        return Backends(BumbleBleakScanner, BumbleBleakClient)
    bound = air

    class Scanner(BumbleBleakScanner):
        bound_air = bound

    class Client(BumbleBleakClient):
        bound_air = bound

    return Backends(Scanner, Client)
