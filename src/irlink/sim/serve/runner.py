"""Serve several simulated devices at once, each on its own pty or TCP port, until stopped.

What ``irlink sim serve`` runs, usable from Python too:

>>> import asyncio
>>> from irlink.sim.serve.runner import Fleet, build_devices
>>> async def main() -> list[str]:
...     async with Fleet(build_devices(["waistband", "multiport"]), transport="tcp") as fleet:
...         return [line.split()[1] for line in fleet.describe()]
>>> asyncio.run(main())
['0001', '0002']
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol

from irlink.errors import IRLinkError
from irlink.security.codes import random_setup_code
from irlink.sim.clock import Clock, RealClock
from irlink.sim.device import SimulatedDevice
from irlink.sim.serve.pty import PtyServer
from irlink.sim.serve.tcp import TcpServer
from irlink.sim.serve.threads import Served
from irlink.sim.state import SIM_MINOR

__all__ = [
    "Fleet",
    "ScenarioUnavailable",
    "ServeError",
    "Transport",
    "apply_scenario",
    "build_devices",
    "hold_pairing_buttons",
    "serials",
    "serve_until_stopped",
]

log = logging.getLogger(__name__)

Transport = Literal["pty", "tcp"]


class ServeError(IRLinkError):
    """A device could not be served (its TCP port is taken, no pty could be made)."""


class ScenarioUnavailable(IRLinkError):
    """A scenario was asked for, but this build has no scenario engine."""


class _Scenario(Protocol):
    @property
    def name(self) -> str: ...

    def apply(self, device: SimulatedDevice) -> None: ...


def serials(first: str, count: int) -> list[str]:
    """Serial numbers for ``count`` devices: ``first``, then counting up its trailing digits.

    >>> serials("0009", 3), serials("SIM", 2)
    (['0009', '0010', '0011'], ['SIM', 'SIM2'])
    """
    match = re.fullmatch(r"(.*?)(\d*)", first)
    assert match is not None  # the pattern matches every string
    stem, digits = match.groups()
    if not digits:
        return [first] + [f"{first}{i}" for i in range(2, count + 1)]
    start, width = int(digits), len(digits)
    return [f"{stem}{start + i:0{width}d}" for i in range(count)]


def build_devices(
    families: Sequence[str],
    *,
    speed: float = 1.0,
    first_serial: str = "0001",
    clock: Clock | None = None,
    setup_code: str | None = None,
    protocol_minor: int = SIM_MINOR,
    derived_codes: bool = False,
) -> list[SimulatedDevice]:
    """One device per family, all on one clock (real time at ``speed`` unless one is given).

    Each has a setup code of its own, drawn at random as a real device's is (its
    :attr:`~irlink.sim.SimulatedDevice.setup_code` says it), unless ``setup_code`` gives
    one for all, or ``derived_codes`` derives each from its serial as an in-process
    simulator does (the same at every start, and known to anyone who knows the serial).
    """
    shared = clock if clock is not None else RealClock(speed)
    names = serials(first_serial, len(families))
    return [
        SimulatedDevice(
            family,
            clock=shared,
            serial=serial,
            setup_code=(
                setup_code if setup_code is not None or derived_codes else random_setup_code()
            ),
            protocol_minor=protocol_minor,
        )
        for family, serial in zip(families, names, strict=True)
    ]


def apply_scenario(source: str | Path, devices: Sequence[SimulatedDevice]) -> str:
    """Load a scenario (a file, or a shipped scenario's name), start it on every device.

    Returns its name. Raises :class:`ScenarioUnavailable` when the engine is absent, and
    the engine's own error when the file is wrong or does not fit a device.
    """
    try:
        from irlink.sim.faults import load_scenario  # noqa: PLC0415  (optional, and heavy)
    except ImportError as exc:
        raise ScenarioUnavailable(
            "scenarios need irlink.sim.faults, which this installation does not have; "
            "run without --scenario"
        ) from exc
    scenario: _Scenario = load_scenario(source)
    for device in devices:
        scenario.apply(device)
    return scenario.name


class Fleet(Served):
    """Simulated devices served at once: each on a pty, or on consecutive TCP ports.

    With ``transport="tcp"`` device ``i`` listens on ``port + i``, or on a free port of
    its own when ``port`` is 0.
    """

    def __init__(
        self, devices: Sequence[SimulatedDevice], *, transport: Transport = "pty", port: int = 0
    ) -> None:
        if not devices:
            raise ValueError("a fleet needs at least one device")
        if transport == "tcp" and port and not 0 < port + len(devices) - 1 <= 65535:
            raise ValueError(f"ports {port}..{port + len(devices) - 1} are not all in 1..65535")
        self.devices = list(devices)
        self.transport = transport
        self.port = port
        self.servers: list[PtyServer | TcpServer] = []
        self._tasks: list[asyncio.Task[None]] = []

    def describe(self) -> list[str]:
        """One line per device: family, serial and the address a host opens."""
        return [f"{s.device.family} {s.device.serial} {s.address}" for s in self.servers]

    @property
    def addresses(self) -> list[str]:
        """Where each device is served, in device order: pty paths or socket:// URLs."""
        return [server.address for server in self.servers]

    async def start(self) -> None:
        """Serve every device and keep real-clock devices moving; all or none."""
        try:
            for i, device in enumerate(self.devices):
                server = self._server(i, device)
                try:
                    await server.start()
                except OSError as exc:
                    where = server.url if isinstance(server, TcpServer) else "a pty"
                    raise ServeError(f"cannot serve on {where}: {exc.strerror or exc}") from exc
                self.servers.append(server)
        except BaseException:
            await self.close()
            raise
        self._tasks = [asyncio.create_task(device.run()) for device in self.devices]

    def _server(self, i: int, device: SimulatedDevice) -> PtyServer | TcpServer:
        if self.transport == "pty":
            return PtyServer(device)
        return TcpServer(device, self.port + i if self.port else 0)

    async def close(self) -> None:
        """Stop the clocks' tasks and every server; hosts are disconnected."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for server in reversed(self.servers):
            await server.close()
        self.servers = []


def hold_pairing_buttons(fleet: Fleet) -> None:
    """Hold the pairing button of every device with security (``kill -USR1`` a server)."""
    for device in fleet.devices:
        if device.secure and device.powered:
            device.open_pairing_window()
            log.info(
                "%s %s: pairing button held: pair setup accepted for 2 minutes",
                device.family,
                device.serial,
            )


async def serve_until_stopped(
    fleet: Fleet,
    on_ready: Callable[[Fleet], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve ``fleet`` until SIGINT or SIGTERM (or until ``stop`` is set), then close it.

    SIGUSR1 holds every device's pairing button (:func:`hold_pairing_buttons`).

    ``on_ready`` is called once every device is being served (to print the addresses).
    """
    loop = asyncio.get_running_loop()
    stop = stop if stop is not None else asyncio.Event()
    handled: list[signal.Signals] = []
    actions: list[tuple[str, Callable[[], None]]] = [
        ("SIGINT", stop.set),
        ("SIGTERM", stop.set),
        ("SIGUSR1", lambda: hold_pairing_buttons(fleet)),
    ]
    for name, action in actions:
        sig = getattr(signal, name, None)  # no SIGUSR1 on Windows
        if sig is None:
            continue
        # Only the main thread can take signals; elsewhere the caller sets ``stop``.
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(sig, action)
            handled.append(sig)
    try:
        async with fleet:
            if on_ready is not None:
                on_ready(fleet)
            await stop.wait()
            log.info("stopping")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
