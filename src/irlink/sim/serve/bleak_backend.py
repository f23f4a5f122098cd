"""A bleak backend whose air holds simulated devices: unchanged bleak code talks to them.

Put a device on a :class:`SimRadio` (or the default one, with :func:`advertise`) and
pass the backend classes to bleak's own front end::

    with advertise(SimulatedDevice("waistband")):
        found = await BleakScanner.find_device_by_name("IRL-W2-0001", backend=SimBleakScanner)
        async with BleakClient(found, backend=SimBleakClient, pair=True) as client:
            await client.write_gatt_char(RX_UUID, frame, response=False)

The GATT database, values and advertising are those of gatt.yaml (see
:mod:`irlink.sim.serve.ble_gatt`), and so are its rules: rx and tx need a link
encrypted with this host's own bond, a notification carries at most ATT_MTU - 3
bytes, and a cut link disconnects the client. Each host (bleak's
``bluez={"adapter": "hci1"}`` picks one; ``hci0`` by default) keeps its keys, and
each device its bonds per host (:mod:`irlink.sim.serve.ble_security`): pairing
bonds only inside a display-less device's pairing window, or once the user of a
device with a display confirms the number it shows, and every refusal is logged and
counted. The host pairs as a capable one does: with the out-of-band data of a
display-less device, or by Numeric Comparison. No Bluetooth stack is involved; for
one, see :mod:`irlink.sim.serve.bumble_bleak`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import Any, ClassVar

from bleak.args import SizedBuffer
from bleak.args.bluez import BlueZClientArgs
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak.exc import BleakGATTProtocolErrorCode as AttError

from irlink.sim.device import SimulatedDevice
from irlink.sim.serve.ble_gatt import (
    DEFAULT_ATT_MTU,
    HOST_ATT_MTU,
    check_att_mtu,
    chunks,
    exposed_services,
    gatt,
    needs_authentication,
    read_value,
)
from irlink.sim.serve.ble_security import DEFAULT_ADAPTER, DIGITS, Refused
from irlink.sim.serve.bleak_radio import (
    Backends,
    SimBleakScanner,
    SimHost,
    SimPeripheral,
    SimRadio,
    advertise,
    default_radio,
)
from irlink.spec.gatt import Characteristic

__all__ = [
    "CCCD_UUID",
    "Backends",
    "SimBleakClient",
    "SimBleakScanner",
    "SimPeripheral",
    "SimRadio",
    "advertise",
    "default_radio",
    "sim_backends",
]

CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
MAX_WRITE = 512  # the longest attribute value ATT allows, with a long write
_BLEAK_PROPERTY = {"write_without_response": "write-without-response"}


class _Connection:
    """One connection of a host to a peripheral: a device link and the state ATT keeps."""

    def __init__(
        self, peripheral: SimPeripheral, host: SimHost, mtu: int, lost: Callable[[], None]
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.peripheral = peripheral
        self.host = host
        self.mtu = mtu
        self.key: bytes | None = None  # the long-term key the link is encrypted with
        self.subscribed: dict[int, NotifyCallback] = {}  # by value handle
        self.tx_handle = 0
        self._lost = lost
        self.link = peripheral.device.open_link(self._arrived, self._down)

    def _arrived(self, data: bytes) -> None:
        # On the device's thread, under its lock: the device notifies only a subscriber.
        if self.tx_handle not in self.subscribed:
            return
        with contextlib.suppress(RuntimeError):  # the client's loop has closed
            for chunk in chunks(data, self.mtu):
                self.loop.call_soon_threadsafe(self._notify, self.tx_handle, chunk)

    def _notify(self, handle: int, chunk: bytes) -> None:
        callback = None if self.link.closed else self.subscribed.get(handle)
        if callback is not None:
            callback(bytearray(chunk))

    def _down(self) -> None:
        with contextlib.suppress(RuntimeError):  # the client's loop has closed
            self.loop.call_soon_threadsafe(self._lost)

    @property
    def authenticated(self) -> bool:
        """Whether the link is encrypted with the key of this host's bond with the device."""
        return self.key is not None and self.peripheral.security.key(self.host.address) == self.key

    def refuse(self, what: Refused) -> BleakGATTProtocolError:
        """Log and count a refused access; the ATT error that answers it."""
        code = self.peripheral.security.refuse_access(
            self.host.address, what, encrypted=self.key is not None
        )
        return BleakGATTProtocolError(code)


class SimBleakClient(BaseBleakClient):
    """bleak client backend: a GATT client of a simulated device on a :class:`SimRadio`.

    Extra keyword arguments (through ``BleakClient(..., **kwargs)``): ``att_mtu``, the
    MTU this host asks for (default 247; 23 keeps the default), and ``radio``. bleak's
    ``bluez={"adapter": ...}`` picks the host (``hci0`` if not given).
    """

    bound_radio: ClassVar[SimRadio | None] = None

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        services: set[str] | None = None,
        att_mtu: int = HOST_ATT_MTU,
        radio: SimRadio | None = None,
        bluez: BlueZClientArgs | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        check_att_mtu(att_mtu)
        details = getattr(address_or_ble_device, "details", None)
        self._peripheral = details if isinstance(details, SimPeripheral) else None
        self._radio = radio or self.bound_radio or default_radio()
        self._host = self._radio.host((bluez or {}).get("adapter", DEFAULT_ADAPTER))
        self._wanted = services
        self._att_mtu = att_mtu
        self._connection: _Connection | None = None

    @property
    def name(self) -> str:
        """The device's BLE name once known, else its address."""
        return self._peripheral.device.ble_name if self._peripheral else self.address

    @property
    def mtu_size(self) -> int:
        """The ATT MTU of the connection (23 when not connected)."""
        return self._connection.mtu if self._connection else DEFAULT_ATT_MTU

    @property
    def is_connected(self) -> bool:
        """Whether the client is connected."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect; encrypt if bonded (else pair if ``pair``); exchange the MTU; discover."""
        if self._connection is not None:
            return
        peripheral = self._peripheral or self._radio.find(self.address)
        if peripheral is None or not peripheral.in_range:
            raise BleakDeviceNotFoundError(self.address, f"{self.address} was not found")
        self._peripheral = peripheral
        host = self._host
        connection = _Connection(peripheral, host, self._att_mtu, lambda: self._lost(connection))
        self._connection = connection
        try:
            if peripheral.address in host.keys:
                self._encrypt(connection)
            elif pair:
                await self.pair()
        except BaseException:
            self._drop(report=False)  # torn down while connecting: connect() raises instead
            raise
        self.services = self._discover(peripheral.device, connection)

    def _encrypt(self, connection: _Connection) -> None:
        # A bonded host encrypts with its stored key as soon as it connects.
        host, security = connection.host, connection.peripheral.security
        key = host.keys[connection.peripheral.address]
        if security.key(host.address) != key:
            security.refuse(host.address, Refused.ENCRYPTION, "it holds no bond for this host")
            raise BleakError(
                f"encrypting the link to {self.address} failed: PIN or Key Missing (0x06); "
                "the device no longer holds this host's bond"
            )
        connection.key = key

    def _lost(self, connection: _Connection) -> None:
        if connection is self._connection:
            self._drop()

    def _drop(self, *, report: bool = True) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.link.close()
        self.services = None
        if report and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        """Disconnect (the disconnected callback is called, as bleak's backends do)."""
        self._drop()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pair and bond: out-of-band data, or Numeric Comparison on a device with a display.

        The device decides: without a display it bonds only inside its pairing window;
        with one, only once its user confirms the number it shows. A refusal is a
        BleakError saying so, as a stack reports an SMP failure.
        """
        connection = self._require_connection()
        peripheral, host = connection.peripheral, connection.host
        security = peripheral.security
        if not security.admit(host.address):
            raise BleakError(
                f"pairing with {self.address} failed: SMP Pairing Not Supported (0x05); "
                "the device takes no new bond now (its pairing window is closed)"
            )
        if security.display:
            number = secrets.randbelow(10**DIGITS)  # what both sides derive from the exchange
            if not await security.compare_numbers(host.address, number):
                raise BleakError(
                    f"pairing with {self.address} failed: SMP Numeric Comparison Failed (0x0C)"
                )
            if self._connection is not connection:
                raise BleakError(f"pairing with {self.address} failed: disconnected")
        key = secrets.token_bytes(16)
        security.bond(host.address, key)
        host.keys[peripheral.address] = connection.key = key

    async def unpair(self) -> None:
        """Forget this host's keys (the device keeps its bond), and disconnect."""
        peripheral = self._peripheral or self._radio.find(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(self.address, f"{self.address} was not found")
        self._host.keys.pop(peripheral.address, None)
        self._drop()

    def _require_connection(self) -> _Connection:
        if self._connection is None:
            raise BleakError("Not connected")
        return self._connection

    def _discover(
        self, device: SimulatedDevice, connection: _Connection
    ) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        tx_uuid = gatt().stream_service.characteristic("tx").uuid
        handle = 0
        for spec in exposed_services(device):
            handle += 1
            # A filtered-out service keeps its handles, as in the device's database.
            wanted = self._wanted is None or spec.uuid in self._wanted
            service = BleakGATTService(spec, handle, spec.uuid)
            if wanted:
                collection.add_service(service)
            for char in spec.characteristics:
                handle += 2  # the declaration, then the value
                properties: list[Any] = [_BLEAK_PROPERTY.get(p, p) for p in char.properties]
                characteristic = BleakGATTCharacteristic(
                    char, handle, char.uuid, properties, lambda: self.mtu_size - 3, service
                )
                if wanted:
                    collection.add_characteristic(characteristic)
                if char.uuid == tx_uuid:
                    connection.tx_handle = handle
                if "notify" in char.properties:
                    handle += 1
                    if wanted:
                        collection.add_descriptor(
                            BleakGATTDescriptor(char, handle, CCCD_UUID, characteristic)
                        )
        return collection

    def _check_security(self, char: Characteristic, connection: _Connection, what: Refused) -> None:
        if needs_authentication(char) and not connection.authenticated:
            raise connection.refuse(what)

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a Battery or Device Information value."""
        connection = self._require_connection()
        char: Characteristic = characteristic.obj
        if "read" not in char.properties:
            raise BleakGATTProtocolError(AttError.READ_NOT_PERMITTED)
        self._check_security(char, connection, Refused.READ)
        return bytearray(read_value(connection.peripheral.device, char))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a CCCD: notifications on or off."""
        connection = self._require_connection()
        on = descriptor.characteristic_handle in connection.subscribed
        return bytearray(b"\x01\x00" if on else b"\x00\x00")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write rx: the bytes go to the device's stream decoder."""
        connection = self._require_connection()
        char: Characteristic = characteristic.obj
        value = bytes(data)
        if response:
            if "write" not in char.properties:
                raise BleakGATTProtocolError(AttError.WRITE_NOT_PERMITTED)
            if len(value) > MAX_WRITE:
                raise BleakGATTProtocolError(AttError.INVALID_ATTRIBUTE_VALUE_LENGTH)
            self._check_security(char, connection, Refused.WRITE)
        else:
            if "write_without_response" not in char.properties:
                raise BleakError(f"{char.name} does not support write without response")
            if len(value) > connection.mtu - 3:
                raise BleakError(f"write without response takes at most {connection.mtu - 3} bytes")
            if needs_authentication(char) and not connection.authenticated:
                connection.refuse(Refused.WRITE)
                return  # a refused command gets no answer: the bytes are just lost
        connection.link.write(value)

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Refused: the only descriptors are CCCDs, which bleak writes through start_notify."""
        self._require_connection()
        raise BleakGATTProtocolError(AttError.WRITE_NOT_PERMITTED)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Enable notifications; on tx this needs an authenticated link, as its value does."""
        connection = self._require_connection()
        char: Characteristic = characteristic.obj
        if "notify" not in char.properties:
            raise BleakError(f"{char.name} does not notify")
        self._check_security(char, connection, Refused.SUBSCRIBE)
        connection.subscribed[characteristic.handle] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications."""
        self._require_connection().subscribed.pop(characteristic.handle, None)


def sim_backends(radio: SimRadio | None = None) -> Backends:
    """Backend classes bound to ``radio`` (the default radio if None)."""
    if radio is None:
        return Backends(SimBleakScanner, SimBleakClient)
    bound = radio

    class Scanner(SimBleakScanner):
        bound_radio = bound

    class Client(SimBleakClient):
        bound_radio = bound

    return Backends(Scanner, Client)
