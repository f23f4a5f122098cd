"""``irlink.connect(address)``: from an address string to a connected :class:`~irlink.Device`.

Serial ports and pyserial URLs open with pyserial; ``ble://`` opens with bleak (the
``ble`` extra); ``sim://`` starts a simulated device in this process and reaches it
through the same front ends (a pty, or the simulator's bleak backend); ``auto``
discovers. The simulator and bleak are imported only when an address needs them.

``irlink.pair(address, code)`` pairs this host with a device that has security (IRLink
1.2), once, with the setup code on its label; :func:`connect` then verifies it on every
connection. A ``sim://`` device is made here and held by this process, so it is paired
here, in process, through the same pair-setup messages with its own setup code, and
that pairing is held in memory for the connection (never written to the key store).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from irlink.address import (
    Address,
    AutoAddress,
    BleAddress,
    SerialAddress,
    SimAddress,
    parse_address,
)
from irlink.connection import Backoff, Connector
from irlink.device import Device
from irlink.errors import ConnectError
from irlink.journal import JournalFactory
from irlink.limits import DurationLike
from irlink.masking import Blind
from irlink.security.codes import SetupCode, parse_setup_code
from irlink.security.keystore import Pairing
from irlink.trace import TraceSink, traced
from irlink.transport.base import Transport

if TYPE_CHECKING:
    from irlink.security.keys import Identity
    from irlink.security.keystore import KeyStore
    from irlink.sim import Clock, SimulatedDevice

__all__ = ["connect", "hold", "pair"]


@asynccontextmanager
async def connect(
    address: str = "auto",
    *,
    timeout: float = 1.0,
    retries: int = 3,
    reconnect: Backoff | None = Backoff(),  # noqa: B008  (frozen: shared safely)
    status_period: DurationLike | None = None,
    heartbeat: DurationLike | None = None,
    ble_backends: Any = None,
    scan_timeout: float = 5.0,
    sim_clock: Clock | None = None,
    trace: TraceSink | None = None,
    log: JournalFactory | None = None,
    blind: Blind = False,
    keys: KeyStore | None = None,
) -> AsyncIterator[Device]:
    """Connect to the device at ``address``; closes the link when the block ends.

    ``timeout`` is per attempt of a request, ``retries`` how often a request is sent
    again when nothing comes back, eight times as often while the device is heard
    (sixteen in a verified session; every v1 request is safe to repeat;
    :mod:`irlink.liveness`). ``reconnect`` is how to come back after a lost link (None:
    do not). ``status_period`` subscribes to pushed status and
    ``heartbeat`` arms the device's heartbeat policy, both kept across reconnections.
    ``ble_backends`` (bleak scanner and client backend classes, as a ``.scanner`` /
    ``.client`` pair) replaces bleak's platform backend; ``sim_clock`` drives a ``sim://``
    device (default: real time at the address's ``speed``). ``trace`` records every frame
    sent and received, one line each as it passes, to a text stream or a function that
    takes each line (see :mod:`irlink.trace`). ``log`` records everything the device
    says and every command sent, each before it is handed to you: give it an
    :class:`irlink.record.SessionLog`. ``blind`` masks sham for a device in a blinded
    study (:mod:`irlink.masking`): True, or a function of the device's :class:`~irlink.Info`
    (:func:`irlink.record.blinding.blind_policy` reads the log's studies), called each time
    the device is read on a new link; an :class:`~irlink.IRLinkError` it raises refuses the
    connection, which is closed. ``keys`` is the key store with this host's identity and
    pairings (default: the user's, :func:`irlink.security.keystore.default_path`): a device
    with security is verified with it on every link, and refused with
    :class:`~irlink.security.errors.NotPaired` if it keeps no pairing of it.
    """
    async with AsyncExitStack() as stack:
        parsed = parse_address(address)
        connector, name, simulator = await _connector(
            parsed, stack, ble_backends, scan_timeout, sim_clock
        )
        if trace is not None:
            connector = traced(connector, trace)
        device = Device(
            connector,
            address=name,
            timeout=timeout,
            retries=retries,
            reconnect=reconnect,
            status_period=status_period,
            heartbeat=heartbeat,
            # Recorded under the address as given (sim://... stays a simulator), or as found.
            journal=None
            if log is None
            else log.journal(name if isinstance(parsed, AutoAddress) else address),
            blind=blind,
            keys=keys,
        )
        if simulator is not None:
            hold(device, simulator)
            if simulator.clock.speed:
                device.time_scale = 1 / simulator.clock.speed
        stack.push_async_callback(device.close)
        await device.__aenter__()
        yield device


def hold(device: Device, simulator: SimulatedDevice, *, identity: Identity | None = None) -> None:
    """``device`` reaches ``simulator``, a simulated device this process made and holds.

    A simulator with security is paired with the host in process, as a user would pair a
    device, but with no one to type the code: when it does not trust the host yet, pair
    setup runs on the first link, through the real pair-setup messages, with the
    simulator's own setup code (its pairing button held if it has other pairings).
    Either way the pairing is held in memory by ``device``, for as long as it lives,
    never kept in the key store; and pair verify runs on every link as for any device.

    ``identity`` is the host's identity to use instead of the key store's, for a
    process that makes simulators of its own and trusts them from the factory
    (:meth:`~irlink.sim.SimulatedDevice.trust`): a rehearsal's, a regimen check's.
    """
    device.simulator = simulator
    if not simulator.secure:
        return
    device._identity = identity
    host = identity if identity is not None else device.keys.identity
    kept = simulator.pairings.find(host.id)
    if kept is None:
        if simulator.pairings:
            simulator.open_pairing_window()  # the process holds the device: and its button
        device._pair_first = simulator.setup_code
        return
    made = simulator.identity  # this process made the device: it knows the key it proves
    device._held = Pairing(
        serial=simulator.serial,
        device_id=made.id,
        device_public_key=made.public_key,
        admin=kept.admin,
        paired_at=datetime.now(UTC),
        address=device.address,
        model=simulator.profile.identity.model,
    )


async def pair(
    address: str,
    code: str | SetupCode,
    *,
    store: KeyStore | None = None,
    timeout: float = 1.0,
    retries: int = 3,
    ble_backends: Any = None,
    scan_timeout: float = 5.0,
    sim_clock: Clock | None = None,
    log: JournalFactory | None = None,
    notice: Callable[[str], None] | None = None,
) -> Pairing:
    """Pair this host with the device at ``address``, with the setup code on its label.

    Runs pair setup (SRP-6a with ``code``, written ``123-45-678`` or as 8 digits), then
    pair verify with the keys exchanged, and keeps the pairing in ``store`` (default: the
    user's key store); :func:`connect` verifies the device with it from then on. Returns
    the pairing kept. A device may take up to 30 s over each step of pair setup (its SRP
    arithmetic is slow): irlink waits that long for each answer, and tells ``notice`` (a
    function taking a line of text; default: the ``irlink.device`` log, at info) once
    when an answer takes longer than ``timeout``. ``log`` records the pairing made, or a
    wrong code, among the security events of the session log (never the code). The other
    options are :func:`connect`'s.

    Errors say what to do: :class:`~irlink.refusals.PairingFailed` for a wrong code (with
    ``attempts_left``, and ``limit`` the seconds to wait), :class:`~irlink.refusals.Unauthorized`
    when the device's pairing window is closed (hold its pairing button), and
    :class:`~irlink.refusals.PairingFull`, :class:`~irlink.security.errors.AlreadyPaired`,
    :class:`~irlink.security.errors.NotSecure` (a device without security: nothing to pair),
    :class:`~irlink.security.errors.InvalidSetupCode` (not 8 digits, or a trivial code).
    """
    setup = code if isinstance(code, SetupCode) else parse_setup_code(code)
    async with AsyncExitStack() as stack:
        parsed = parse_address(address)
        connector, name, simulator = await _connector(
            parsed, stack, ble_backends, scan_timeout, sim_clock
        )
        device = Device(
            connector,
            address=name,
            timeout=timeout,
            retries=retries,
            reconnect=None,
            keys=store,
            journal=None if log is None else log.journal(address),
        )
        device.simulator = simulator
        device._pairing = setup
        device.notice = notice
        stack.push_async_callback(device.close)
        await device._open()
        made = device.paired
        assert made is not None
        if not isinstance(parsed, AutoAddress) and made.address != address:
            made = replace(made, address=address)  # as the user gave it
            device.keys.remember(made)
        return made


async def _connector(
    address: Address,
    stack: AsyncExitStack,
    ble_backends: Any,
    scan_timeout: float,
    sim_clock: Clock | None,
) -> tuple[Connector, str, SimulatedDevice | None]:
    if isinstance(address, AutoAddress):
        from irlink.discovery import resolve_auto  # noqa: PLC0415  (scans: only for auto)

        found = await resolve_auto(timeout=scan_timeout, ble_backends=ble_backends)
        address = parse_address(found.address)
    if isinstance(address, SerialAddress):
        return _serial(address.url, address.baudrate), address.url, None
    if isinstance(address, BleAddress):
        name = f"ble://{address.address or 'name/' + str(address.name)}"
        return _ble(address, ble_backends, scan_timeout), name, None
    assert isinstance(address, SimAddress)
    return await _simulated(address, stack, sim_clock)


def _serial(url: str, baudrate: int) -> Connector:
    from irlink.transport.serial import SerialTransport  # noqa: PLC0415

    async def open_serial() -> Transport:
        transport = SerialTransport(url, baudrate=baudrate)
        await transport.open()
        return transport

    return open_serial


def _ble(address: BleAddress, backends: Any, scan_timeout: float) -> Connector:
    try:
        from irlink.transport.ble import BleTransport  # noqa: PLC0415  (the optional extra)
    except ImportError as exc:
        raise ConnectError(
            f"BLE needs bleak, which is not installed ({exc}); pip install 'irlink[ble]'"
        ) from exc

    async def open_ble() -> Transport:
        transport = BleTransport(address, backends=backends, scan_timeout=scan_timeout)
        await transport.open()
        return transport

    return open_ble


async def _simulated(
    address: SimAddress, stack: AsyncExitStack, clock: Clock | None
) -> tuple[Connector, str, SimulatedDevice]:
    from irlink.sim import RealClock, SimulatedDevice  # noqa: PLC0415  (only for sim://)
    from irlink.sim.state import SIM_MINOR  # noqa: PLC0415

    simulator = SimulatedDevice(
        address.family,
        clock=clock if clock is not None else RealClock(address.speed),
        serial=address.serial or "0001",
        battery_pct=100 if address.battery is None else address.battery,
        protocol_minor=SIM_MINOR if address.protocol_minor is None else address.protocol_minor,
        setup_code=address.code,
    )
    if address.scenario:
        from irlink.sim.serve.runner import apply_scenario  # noqa: PLC0415

        apply_scenario(address.scenario, [simulator])
    running = asyncio.ensure_future(simulator.run())
    stack.push_async_callback(_cancel, running)
    if address.link == "ble":
        from irlink.sim.serve.bleak_backend import sim_backends  # noqa: PLC0415
        from irlink.sim.serve.bleak_radio import SimRadio  # noqa: PLC0415

        radio = SimRadio()
        peripheral = radio.advertise(simulator)
        stack.callback(peripheral.stop)
        ble = BleAddress(address=peripheral.address)
        return _ble(ble, sim_backends(radio), 1.0), f"ble://{peripheral.address}", simulator
    if os.name == "posix":
        from irlink.sim.serve.pty import PtyServer  # noqa: PLC0415

        server: Any = PtyServer(simulator)
    else:  # no pseudo-terminals: the same pyserial front end over socket://
        from irlink.sim.serve.tcp import TcpServer  # noqa: PLC0415

        server = TcpServer(simulator)
    await stack.enter_async_context(server)
    return _serial(server.address, 115200), server.address, simulator


async def _cancel(task: asyncio.Future[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
