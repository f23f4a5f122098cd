"""The simulated air of the bleak backend: devices advertising at addresses, hosts, a scanner.

A :class:`SimRadio` holds the simulated devices a host can find; :func:`advertise`
puts one on the default radio. Each peripheral keeps its bonds per host and its
pairing window in a :class:`~irlink.sim.serve.ble_security.LinkSecurity`; each host
(a :class:`SimHost`, one per adapter name, as bleak's ``bluez={"adapter": ...}``
picks it) keeps its own keys. :class:`SimBleakScanner` is the bleak scanner backend
that hears the peripherals, with the advertising and scan response payloads of
gatt.yaml (a passive scan gets no scan response, so no name). The client backend is
in :mod:`irlink.sim.serve.bleak_backend`.

>>> from irlink.sim import SimulatedDevice
>>> radio = SimRadio()
>>> peripheral = radio.advertise(SimulatedDevice("firmat"))
>>> peripheral.address, peripheral.advertisement(active=True).local_name
('CA:FE:00:00:00:01', 'IRL-F1-0001')
>>> radio.host().address, radio.host("hci1").address
('C0:FF:EE:00:00:01', 'C0:FF:EE:00:00:02')
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any, ClassVar, NamedTuple

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner

from irlink.sim.device import SimulatedDevice
from irlink.sim.serve.ble_gatt import (
    Advertised,
    advertising_data,
    parse_advertising,
    scan_response_data,
)
from irlink.sim.serve.ble_security import DEFAULT_ADAPTER, LinkSecurity

__all__ = [
    "Backends",
    "SimBleakScanner",
    "SimHost",
    "SimPeripheral",
    "SimRadio",
    "advertise",
    "default_radio",
]


class Backends(NamedTuple):
    """A scanner and a client backend class that share one air, for bleak's ``backend=``."""

    scanner: type[BaseBleakScanner]
    client: type[BaseBleakClient]


class SimHost:
    """A host's Bluetooth adapter on a :class:`SimRadio`: its address and the keys it keeps."""

    def __init__(self, adapter: str, address: str) -> None:
        self.adapter = adapter
        self.address = address
        self.keys: dict[str, bytes] = {}  # by peripheral address: the bond's long-term key


class SimPeripheral:
    """A simulated device on a :class:`SimRadio`: its address, signal and link security.

    ``display``: the device has a display and a yes/no input, so it pairs by Numeric
    Comparison; without one it pairs with out-of-band data inside its pairing window.
    """

    def __init__(
        self,
        radio: SimRadio,
        device: SimulatedDevice,
        address: str,
        rssi: int,
        *,
        display: bool = False,
    ) -> None:
        self.radio = radio
        self.device = device
        self.address = address
        self.rssi = rssi
        self.security = LinkSecurity(device, display=display)
        self.advertising = True

    def open_pairing_window(self, seconds: float | None = None) -> None:
        """Press the device's pairing button (see :meth:`LinkSecurity.open_pairing_window`)."""
        self.security.open_pairing_window(seconds)

    @property
    def in_range(self) -> bool:
        """Whether a host can see and connect to it (advertising, and its link not cut)."""
        return self.advertising and self.device.link_up

    def advertisement(self, active: bool) -> Advertised:
        """What a scan finds; only an active scan asks for the scan response and its name."""
        data = advertising_data(self.device)
        if active:
            data += scan_response_data(self.device)
        return parse_advertising(data)

    def stop(self) -> None:
        """Stop advertising and leave the radio."""
        self.radio.withdraw(self)

    def __enter__(self) -> SimPeripheral:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SimRadio:
    """The simulated air: the devices advertising on it, found by address."""

    advertising_interval_s = 0.02  # real seconds between two advertisements a scan hears

    def __init__(self) -> None:
        self._peripherals: dict[str, SimPeripheral] = {}
        self._hosts: dict[str, SimHost] = {}
        self._numbers = itertools.count(1)
        self._host_numbers = itertools.count(1)

    def advertise(
        self,
        device: SimulatedDevice,
        address: str | None = None,
        *,
        rssi: int = -60,
        display: bool = False,
    ) -> SimPeripheral:
        """Put ``device`` on the air at ``address`` (a fresh random static one if None)."""
        if address is None:
            address = _address("CA:FE:00", next(self._numbers))
        address = address.upper()
        if address in self._peripherals:
            raise ValueError(f"{address} is already on the air")
        peripheral = SimPeripheral(self, device, address, rssi, display=display)
        self._peripherals[address] = peripheral
        return peripheral

    def host(self, adapter: str = DEFAULT_ADAPTER) -> SimHost:
        """The host adapter of this name on this air (made on first use, with its own address)."""
        if adapter not in self._hosts:
            self._hosts[adapter] = SimHost(adapter, _address("C0:FF:EE", next(self._host_numbers)))
        return self._hosts[adapter]

    def withdraw(self, peripheral: SimPeripheral) -> None:
        """Take a peripheral off the air."""
        peripheral.advertising = False
        self._peripherals.pop(peripheral.address, None)

    @property
    def peripherals(self) -> list[SimPeripheral]:
        """Every peripheral on the air, in range or not."""
        return list(self._peripherals.values())

    def find(self, address: str) -> SimPeripheral | None:
        """The peripheral at ``address``, if any."""
        return self._peripherals.get(address.upper())


_default = SimRadio()


def default_radio() -> SimRadio:
    """The radio the unbound backend classes use."""
    return _default


def advertise(
    device: SimulatedDevice, address: str | None = None, *, rssi: int = -60, display: bool = False
) -> SimPeripheral:
    """Put ``device`` on the default radio; use the result as a context manager to remove it."""
    return _default.advertise(device, address, rssi=rssi, display=display)


def _address(prefix: str, number: int) -> str:
    return f"{prefix}:00:{number >> 8 & 0xFF:02X}:{number & 0xFF:02X}"


class SimBleakScanner(BaseBleakScanner):
    """bleak scanner backend: hears every in-range peripheral of its radio each interval."""

    bound_radio: ClassVar[SimRadio | None] = None

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: SimRadio | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self.radio = radio or self.bound_radio or default_radio()
        self._active = scanning_mode != "passive"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start scanning; the first advertisements are heard at once."""
        await self.stop()
        self.seen_devices = {}
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        """Stop scanning."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self) -> None:
        while True:
            for peripheral in self.radio.peripherals:
                if peripheral.in_range:
                    self._hear(peripheral)
            await asyncio.sleep(self.radio.advertising_interval_s)

    def _hear(self, peripheral: SimPeripheral) -> None:
        heard = peripheral.advertisement(self._active)
        if not self.is_allowed_uuid(list(heard.service_uuids)):
            return
        data = AdvertisementData(
            local_name=heard.local_name,
            manufacturer_data={},
            service_data={},
            service_uuids=list(heard.service_uuids),
            tx_power=None,
            rssi=peripheral.rssi,
            platform_data=(peripheral,),
        )
        address = peripheral.address
        found = self.create_or_update_device(address, address, heard.local_name, peripheral, data)
        self.call_detection_callbacks(found, data)
