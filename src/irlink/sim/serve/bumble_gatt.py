"""A simulated device as a BLE peripheral on bumble's in-process radio, with real ATT.

A :class:`BumbleAir` is bumble's virtual radio (a ``LocalLink`` with one virtual
controller per device). :meth:`BumbleAir.serve` puts a simulated device on it as a
GATT server with the database of gatt.yaml: it advertises (flags and service UUID,
name in the scan response), accepts any MTU up to 517, writes to rx feed the device's
stream decoder and its bytes go out as tx notifications of at most ATT_MTU - 3 bytes.

rx and tx (its CCCD too) need a link encrypted with this central's own bond, made by
LE Secure Connections pairing with MITM protection; anything weaker gets Insufficient
Authentication (0x05), or Insufficient Encryption (0x0F) from a bonded central that
did not encrypt. The peripheral pairs through bumble's pairing delegate with the
rules of :mod:`irlink.sim.serve.ble_security`: a device without a display has no
input or output, pairs with out-of-band data (:attr:`BumblePeripheral.oob_data`, what
its QR code carries) and accepts a pairing request only while its pairing window is
open; a device with a display compares numbers, and bonds only once its user
confirms the number it shows. Just Works is refused, and a pairing that ends without
MITM protection or bonding (legacy pairing) leaves no bond. Each refusal is logged
and counted. The air's centrals (one per adapter name) have read the out-of-band
data of every device served on the air, as a host that scanned its QR code.
Everything runs on the event loop that made the air. A bleak backend for the central
side is in :mod:`irlink.sim.serve.bumble_bleak`.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from typing import Any

from bumble import hci
from bumble.att import (
    ATT_READ_NOT_PERMITTED_ERROR,
    ATT_Error,
    ATT_Write_Command,
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
from bumble.keys import MemoryKeyStore, PairingKeys
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.smp import OobContext, OobLegacyContext, OobSharedData, PairingMethod
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
from irlink.sim.serve.ble_security import DEFAULT_ADAPTER, LinkSecurity, Refused
from irlink.sim.serve.bumble_radio import ScanResponseController, host_pairing_config

__all__ = ["BumbleAir", "BumblePeripheral"]

_airs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BumbleAir] = weakref.WeakKeyDictionary()


class BumbleAir:
    """bumble's in-process radio: the simulated devices served on it and the host's centrals.

    Each central is a host adapter with its own address and keystore, by adapter name.
    """

    advertising_interval_ms = 20.0

    def __init__(self) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]  # bumble leaves it unannotated
        self.peripherals: dict[str, BumblePeripheral] = {}
        self._numbers = itertools.count(1)
        self._centrals: dict[str, asyncio.Task[Device]] = {}

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
        device.pairing_config_factory = self._host_pairing_config
        return device

    def _host_pairing_config(self, connection: Connection) -> PairingConfig:
        # The host has read the out-of-band data of a device without a display.
        peripheral = self.peripherals.get(str(connection.peer_address))
        return host_pairing_config(peripheral.oob_data if peripheral is not None else None)

    async def central(self, adapter: str = DEFAULT_ADAPTER) -> Device:
        """The host adapter of this name on this air, shared by its scanners and clients."""
        if adapter not in self._centrals:
            name = "irlink-host" if adapter == DEFAULT_ADAPTER else f"irlink-host-{adapter}"
            device = self.add_device(name)
            self._centrals[adapter] = asyncio.create_task(self._power_on(device))
        return await asyncio.shield(self._centrals[adapter])

    @staticmethod
    async def _power_on(device: Device) -> Device:
        await device.power_on()
        return device

    async def serve(
        self, device: SimulatedDevice, address: str | None = None, *, display: bool = False
    ) -> BumblePeripheral:
        """Serve ``device`` as a peripheral on this air: advertising once this returns.

        ``display``: the device has a display and a yes/no input (Numeric Comparison);
        without one it pairs with out-of-band data inside its pairing window.
        """
        peripheral = BumblePeripheral(self, device, address, display=display)
        await peripheral.start()
        self.peripherals[peripheral.address] = peripheral
        return peripheral

    async def close(self) -> None:
        """Stop every peripheral and the central."""
        for peripheral in list(self.peripherals.values()):
            await peripheral.close()
        centrals, self._centrals = list(self._centrals.values()), {}
        for central in centrals:
            await (await central).power_off()
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


class _DeviceDelegate(PairingDelegate):
    """The device's side of one pairing: its display (or none), its window, its user."""

    def __init__(self, security: LinkSecurity, peer: str) -> None:
        io = PairingDelegate.IoCapability
        super().__init__(
            io.DISPLAY_OUTPUT_AND_YES_NO_INPUT if security.display else io.NO_OUTPUT_NO_INPUT
        )
        self.security = security
        self.peer = peer

    async def accept(self) -> bool:
        """Take the pairing request only if the device takes a new bond now."""
        return self.security.admit(self.peer)

    async def confirm(self, auto: bool = False) -> bool:
        """Refuse Just Works: asked only when there is no number to compare."""
        reason = "Just Works gives no protection against a man in the middle"
        self.security.refuse(self.peer, Refused.PAIRING, reason)
        return False

    async def compare_numbers(self, number: int, digits: int) -> bool:
        """Show the number; bond only if the device's user confirms that same number."""
        return await self.security.compare_numbers(self.peer, number)


class _BondKeyStore(MemoryKeyStore):
    """The device's keystore: it gives a key only for a bond its LinkSecurity keeps.

    bumble stores the keys of every pairing that completes; a central asking to encrypt
    with one the device did not keep as a bond (or has forgotten) finds no key.
    """

    def __init__(self, security: LinkSecurity) -> None:
        super().__init__()
        self.security = security

    async def get(self, name: str) -> PairingKeys | None:
        """The keys of ``name``'s bond; None (and a refusal logged) if it has none."""
        keys = await super().get(name)
        if keys is not None and keys.ltk is not None and self.security.key(name) == keys.ltk.value:
            return keys
        self.security.refuse(name, Refused.ENCRYPTION, "it holds no bond for this host")
        return None


class BumblePeripheral:
    """A simulated device served by a bumble GATT server on a :class:`BumbleAir`."""

    def __init__(
        self,
        air: BumbleAir,
        device: SimulatedDevice,
        address: str | None,
        *,
        display: bool = False,
    ) -> None:
        self.air = air
        self.device = device
        self.security = LinkSecurity(device, display=display)
        # A device without a display pairs with out-of-band data: its QR code or NFC tag.
        self._oob = None if display else OobContext()
        self.bumble = air.add_device(device.ble_name, address)
        self.bumble.pairing_config_factory = self._pairing_config
        self.bumble.keystore = _BondKeyStore(self.security)
        self.address = str(self.bumble.random_address)
        self.served: dict[int, _Served] = {}  # by connection handle
        # Pairing in progress, by connection handle: LE Secure Connections, method, bonding.
        self._pairing: dict[int, tuple[bool, PairingMethod, bool]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.tx: Characteristic[bytes] | None = None
        self.rx: Characteristic[bytes] | None = None
        self.bumble.add_services(self._services())
        self._guard_write_commands()
        self.bumble.on(Device.EVENT_CONNECTION, self._on_connection)

    @property
    def oob_data(self) -> OobSharedData | None:
        """The out-of-band pairing data a host reads off the device; None with a display."""
        return None if self._oob is None else self._oob.share()

    def open_pairing_window(self, seconds: float | None = None) -> None:
        """Press the device's pairing button (see :meth:`LinkSecurity.open_pairing_window`)."""
        self.security.open_pairing_window(seconds)

    def _pairing_config(self, connection: Connection) -> PairingConfig:
        oob = None
        if self._oob is not None:
            # The legacy context is the TK legacy Just Works uses (0): bumble needs one, and
            # a legacy pairing must run to its end to be refused there (no bond kept).
            legacy = OobLegacyContext(tk=bytes(16))
            oob = PairingConfig.OobConfig(
                our_context=self._oob, peer_data=None, legacy_context=legacy
            )
        delegate = _DeviceDelegate(self.security, str(connection.peer_address))
        return PairingConfig(sc=True, mitm=True, bonding=True, delegate=delegate, oob=oob)

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
                    # Checked in _written (and write commands before it), to log and count.
                    value = AttributeValue(_refuse_read, self._written)
                    permissions = Permissions.WRITEABLE
                else:
                    value = AttributeValue(_refuse_read)
                    permissions = Permissions(0)
                characteristic = Characteristic[bytes](char.uuid, properties, permissions, value)
                if "notify" in char.properties:
                    locked = needs_authentication(char)
                    characteristic.descriptors = [self._cccd(characteristic, locked)]
                if char.name == "tx":
                    self.tx = characteristic
                if char.name == "rx":
                    self.rx = characteristic
                characteristics.append(characteristic)
            services.append(Service(spec.uuid, characteristics))
        return services

    def _cccd(self, characteristic: Characteristic[bytes], locked: bool) -> Descriptor:
        # bumble's own CCCD is open; gatt.yaml wants tx's to need what its value needs.
        plain = self.bumble.gatt_server.make_descriptor_value(characteristic)

        def write(bearer: Bearer, value: bytes) -> Any:
            if locked:
                self._check(bearer, Refused.SUBSCRIBE)
            return plain.write(bearer, value)

        permissions = Attribute.Permissions.READABLE | Attribute.Permissions.WRITEABLE
        return Descriptor(CCCD, permissions, AttributeValueV2(plain.read, write))

    def authenticated(self, connection: Connection) -> bool:
        """Whether ``connection`` is encrypted with the key of this central's own bond.

        The bond is one an LE Secure Connections pairing with MITM protection made. While
        a pairing runs, the link is as strong as that pairing: encrypted with its key, it
        is authenticated only if the pairing is one that makes such a bond.
        """
        if not connection.is_encrypted:
            return False
        started = self._pairing.get(connection.handle)
        if started is not None:
            return _makes_a_bond(*started)
        return self.security.bonded(str(connection.peer_address))

    def _refused(self, connection: Connection, what: Refused) -> ATT_Error | None:
        """None if ``connection`` may do ``what``; else the logged and counted refusal."""
        if self.authenticated(connection):
            return None
        peer, encrypted = str(connection.peer_address), connection.is_encrypted
        return ATT_Error(self.security.refuse_access(peer, what, encrypted=encrypted))

    def _check(self, bearer: Bearer, what: Refused) -> None:
        refused = self._refused(bearer.connection if is_enhanced_bearer(bearer) else bearer, what)
        if refused is not None:
            raise refused

    def _guard_write_commands(self) -> None:
        # A write command has no answer, so bumble would log a refusal raised by _written
        # as an error: commands to rx are checked here first and dropped when refused.
        server, rx = self.bumble.gatt_server, self.rx
        assert rx is not None
        handler = server.on_att_write_command

        def guarded(bearer: Bearer, command: ATT_Write_Command) -> None:
            if command.attribute_handle == rx.handle:
                connection = bearer.connection if is_enhanced_bearer(bearer) else bearer
                if self._refused(connection, Refused.WRITE) is not None:
                    return  # a refused command gets no answer: the bytes are just lost
            handler(bearer, command)

        server.on_att_write_command = guarded

    def _written(self, connection: Connection, value: bytes) -> None:
        self._check(connection, Refused.WRITE)
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
        connection.on(connection.EVENT_PAIRING_FAILURE, lambda _: self._pairing.pop(handle, None))
        connection.on(connection.EVENT_DISCONNECTION, lambda _: self._disconnected(handle))
        if not self.device.link_up:
            self.drop(connection)  # out of range: the link never comes up
            return
        self.served[handle] = _Served(self, connection)

    def _pairing_started(self, connection: Connection) -> None:
        # Called once the method is chosen; what the pairing gives is known at its end.
        session = self.bumble.smp_manager.sessions.get(connection.handle)
        started = (False, PairingMethod.JUST_WORKS, False)
        if session is not None:
            started = (session.sc, session.pairing_method, session.bonding)
        self._pairing[connection.handle] = started

    def _paired(self, connection: Connection, keys: PairingKeys) -> None:
        started = self._pairing.pop(connection.handle, (False, PairingMethod.JUST_WORKS, False))
        sc, _, bonding = started
        peer, ltk = str(connection.peer_address), keys.ltk
        if _makes_a_bond(*started) and ltk is not None and ltk.authenticated:
            self.security.bond(peer, ltk.value)
            return
        if not sc:
            why = "legacy pairing, not LE Secure Connections"
        elif not bonding:
            why = "the host asked for no bond"
        else:
            why = "the pairing has no MITM protection"
        self.security.forget(peer)  # its key, if it had one, is replaced by this weaker one
        self.security.refuse(peer, Refused.PAIRING, f"{why}: no bond kept")

    def _disconnected(self, handle: int) -> None:
        self._pairing.pop(handle, None)
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


def _makes_a_bond(sc: bool, method: PairingMethod, bonding: bool) -> bool:
    """Whether a pairing so started gives an irlink bond: LE SC, MITM protection, bonding."""
    return sc and bonding and method != PairingMethod.JUST_WORKS


def _refuse_read(connection: Connection) -> bytes:
    raise ATT_Error(ATT_READ_NOT_PERMITTED_ERROR)
