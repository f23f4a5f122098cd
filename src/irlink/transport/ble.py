"""The Bluetooth LE link: the IRLink byte stream over the GATT service of gatt.yaml, with bleak.

bleak's own front end (:class:`~bleak.BleakScanner`, :class:`~bleak.BleakClient`) does the
work; ``backends`` swaps the platform's Bluetooth stack for another one, such as the
simulator's. Connecting retries the way bleak-retry-connector does: each failure is
classified (:func:`classify`) and waited out (:func:`retry_delay`) or reported at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import (
    BleakError,
)

from irlink.address import BleAddress
from irlink.errors import ConnectError, DeviceNotFound, LinkLost, TransportError
from irlink.spec import GattSpec, load_gatt
from irlink.transport.base import Transport
from irlink.transport.ble_retry import Failure, classify, retry_delay

__all__ = ["Backends", "BleTransport"]

logger = logging.getLogger(__name__)

DISCONNECT_TIMEOUT_S = 5.0  # a stack that hangs on disconnect must not hang close()
_IN_RANGE = "switch the device on and bring it closer, then try again"
_PAIR = (
    "pair with the device (LE Secure Connections, confirming the number it shows; a device "
    "without a display takes a new pairing only after its pairing button is pressed); if it "
    "was paired before, remove the pairing on both sides and pair again"
)
# Readable Device Information keys: the characteristic's name without its SIG suffix.
_DIS_SUFFIXES = ("_name", "_number", "_revision")


class Backends(Protocol):
    """bleak backend classes to use instead of the platform's, such as the simulator's."""

    @property
    def scanner(self) -> type[BaseBleakScanner]: ...

    @property
    def client(self) -> type[BaseBleakClient]: ...


@functools.cache
def _gatt() -> GattSpec:
    return load_gatt()


def _readable(name: str) -> str:
    for suffix in _DIS_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


async def _quietly(work: Awaitable[Any]) -> None:
    # Tearing down a link that may already be gone: its errors say nothing new.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
            await work


class BleTransport(Transport):
    """The IRLink byte stream to one device over Bluetooth LE, through bleak."""

    def __init__(
        self,
        address: BleAddress,
        *,
        backends: Backends | None = None,
        scan_timeout: float = 10.0,
        connect_attempts: int = 4,
        backoff: tuple[float, float] = (0.25, 4.0),
        pair: bool = True,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if address.address is None and address.name is None:
            raise ValueError("a BleAddress needs an address or a name")
        if connect_attempts < 1:
            raise ValueError(f"connect_attempts must be at least 1, not {connect_attempts}")
        shown = address.address or f"name/{address.name}"
        super().__init__(f"ble://{shown}")
        self.ble_address = address
        self._scanner = backends.scanner if backends else None
        self._client_backend = backends.client if backends else None
        self._scan_timeout = scan_timeout
        self._attempts = connect_attempts
        self._backoff = backoff
        self._pair = pair
        self._client_kwargs = client_kwargs or {}
        self._client: BleakClient | None = None
        self._rx: BleakGATTCharacteristic | None = None
        self._tx: BleakGATTCharacteristic | None = None
        self._closing = False
        self._write_lock = asyncio.Lock()  # chunks of two writes must not interleave

    async def open(self) -> None:
        """Find the device, connect (with retries), pair if asked, and subscribe to its stream."""
        self._check_open()
        if self._client is not None:
            return
        device = await self._find()
        client = await self._connect(device)
        if self._closing:  # close() ran while we were connecting
            await _quietly(client.disconnect())
            self._check_open()
        self._client = client

    async def _find(self) -> BLEDevice:
        where, scan = self.ble_address, BleakScanner.ExtraArgs()
        if self._scanner is not None:
            scan["backend"] = self._scanner
        try:
            if where.address is not None:
                found = await BleakScanner.find_device_by_address(
                    where.address, self._scan_timeout, **scan
                )
            else:
                found = await BleakScanner.find_device_by_name(
                    str(where.name), self._scan_timeout, **scan
                )
        except (BleakError, OSError) as error:
            raise ConnectError(
                f"scanning for {self.address} failed ({_describe(error)}): check Bluetooth is "
                "switched on, this program may use it, and the adapter works"
            ) from error
        if found is None:
            what = f"at {where.address}" if where.address else f"named {where.name}"
            raise DeviceNotFound(
                f"no BLE device {what} was heard in {self._scan_timeout:g} s: {_IN_RANGE}"
            )
        return found

    async def _connect(self, device: BLEDevice) -> BleakClient:
        rescanned = False
        for attempt in range(1, self._attempts + 1):
            try:
                return await self._attempt(device)
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
                if failure is Failure.REFUSED:
                    logger.warning("%s refused authentication: %s", self.address, error)
                    raise ConnectError(
                        f"{self.address} refused the link security irlink needs "
                        f"({_describe(error)}): {_PAIR}"
                    ) from error
                if attempt == self._attempts:
                    raise self._gave_up(failure, error) from error
                if failure is Failure.MISSING and not rescanned:
                    rescanned = True
                    device = await self._find()  # the stack forgot it: a scan finds it anew
                delay = retry_delay(failure, attempt - 1, self._backoff)
                logger.info("%s: %s, retry in %.3g s", self.address, _describe(error), delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _gave_up(self, failure: Failure, error: Exception) -> ConnectError:
        tried = f"{self.address} after {self._attempts} attempts (last: {_describe(error)})"
        if failure is Failure.MISSING:
            return DeviceNotFound(f"lost sight of {tried}: {_IN_RANGE}")
        if failure is Failure.OUT_OF_SLOTS:
            return ConnectError(
                f"no free connection slot for {tried}: disconnect another BLE device from this "
                "adapter or proxy, then try again"
            )
        return ConnectError(
            f"could not connect to {tried}: {_IN_RANGE}; if a phone or another computer is "
            "connected to it, disconnect that first"
        )

    async def _attempt(self, device: BLEDevice) -> BleakClient:
        stream = _gatt().stream_service
        client = BleakClient(
            device,
            self._disconnected,
            [service.uuid for service in _gatt().services],  # discovering others is wasted time
            backend=self._client_backend,
            pair=self._pair,
            **self._client_kwargs,
        )
        try:
            await client.connect()
            rx = client.services.get_characteristic(stream.characteristic("rx").uuid)
            tx = client.services.get_characteristic(stream.characteristic("tx").uuid)
            if rx is None or tx is None:
                raise ConnectError(
                    f"{self.address} is not an irlink device: it has no irlink stream service; "
                    "check the address, or update the device's firmware"
                )
            await client.start_notify(tx, self._notified)
            if not client.is_connected:  # dropped before we held it: its callback was ignored
                raise BleakError("disconnected while subscribing to tx")
        except BaseException:
            await _quietly(client.disconnect())
            raise
        self._rx, self._tx = rx, tx
        return client

    def _notified(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self._deliver(bytes(data))

    def _disconnected(self, client: BleakClient) -> None:
        # Only the link we hold counts: a failed attempt's client also reports its end.
        if client is self._client and not self._closing:
            self._went_down(
                LinkLost(
                    f"the BLE link to {self.address} was lost: {_IN_RANGE}, and open it again; "
                    "the device ends a running session by its own timer"
                )
            )

    def _connected(self) -> BleakClient:
        self._check_open()
        if self._client is None:
            raise TransportError(f"the link to {self.address} is not open: call open() first")
        return self._client

    async def write(self, data: bytes) -> None:
        """Send ``data`` to rx in writes without response of at most ATT_MTU - 3 bytes each."""
        client = self._connected()
        assert self._rx is not None
        async with self._write_lock:
            # Asked per write: the MTU may grow after connecting (an exchange the stack starts).
            size = self._rx.max_write_without_response_size
            for at in range(0, len(data), size):
                try:
                    await client.write_gatt_char(self._rx, data[at : at + size], response=False)
                except (BleakError, OSError, EOFError) as error:
                    self._check_open()  # the link went down meanwhile: that error says why
                    raise TransportError(
                        f"writing to {self.address} failed ({error}): {_IN_RANGE}; if it "
                        "keeps failing, close the link and open it again"
                    ) from error

    async def _read(self, service: str, name: str) -> bytes | None:
        client = self._connected()
        try:
            uuid = _gatt().service(service).characteristic(name).uuid
            characteristic = client.services.get_characteristic(uuid)
            if characteristic is None:
                return None
            return bytes(await client.read_gatt_char(characteristic))
        except BleakError as error:
            self._check_open()
            raise TransportError(
                f"reading {name} from {self.address} failed ({error}): {_IN_RANGE}"
            ) from error

    async def read_battery(self) -> int | None:
        """The device's charge in percent (Battery Level); None if it has no battery service."""
        value = await self._read("battery", "battery_level")
        if value is None:
            return None
        if len(value) != 1 or value[0] > 100:
            raise TransportError(
                f"{self.address} sent a battery level of {value.hex()}, not one byte 0-100: "
                "update the device's firmware"
            )
        return value[0]

    async def read_device_information(self) -> dict[str, str]:
        """The Device Information values the device has, keyed "manufacturer", "model" and so on."""
        found: dict[str, str] = {}
        for char in _gatt().service("device_information").characteristics:
            value = await self._read("device_information", char.name)
            if value is not None:
                # Some firmware pads strings with NULs to a fixed length.
                found[_readable(char.name)] = value.decode(errors="replace").rstrip("\x00")
        return found

    async def close(self) -> None:
        """Unsubscribe and disconnect quietly; harmless when already closed."""
        self._closing = True
        client, self._client = self._client, None
        if client is not None:
            if client.is_connected and self._tx is not None:
                await _quietly(client.stop_notify(self._tx))
            await _quietly(client.disconnect())
        await super().close()
