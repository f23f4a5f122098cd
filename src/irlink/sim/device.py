"""A simulated device: hardware physics and firmware on a clock, with verbs tests call.

>>> from irlink.sim import ManualClock, SimulatedDevice
>>> clock = ManualClock()
>>> device = SimulatedDevice("waistband", clock=clock)
>>> device.remaining_s(1)
0
>>> device.unplug_pad(1)
Traceback (most recent call last):
...
irlink.sim.device.SimulationError: the waistband's emitters are built in; ...
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from irlink.errors import IRLinkError
from irlink.protocol.messages import EndReason, PortState, ResetCause
from irlink.security import Identity, Pairings, SetupCode, derive_setup_code, parse_setup_code
from irlink.security.pairing import PAIRING_WINDOW_S
from irlink.sim.clock import Clock, ManualClock, RealClock, seconds
from irlink.sim.firmware import Firmware
from irlink.sim.guard import AuthStats, Guard
from irlink.sim.link import CLEAN, Impairment, Link
from irlink.sim.memory import NonVolatile
from irlink.sim.model import Hardware, SensorState
from irlink.sim.model.ports import OFF
from irlink.sim.state import SIM_MINOR
from irlink.spec import load_device_profile
from irlink.spec.devices import DeviceProfile

if TYPE_CHECKING:
    from irlink.security.keystore import KeyStore
    from irlink.security.keystore import Pairing as KeptPairing

__all__ = ["SimulatedDevice", "SimulationError"]

log = logging.getLogger(__name__)
REAL_TICK_S = 0.05  # how often a device on a real clock catches up, in real seconds
# A device on a real clock catches up before every request, and a physics step costs
# about what answering a get_status does; a step shorter than this is left for later,
# as firmware runs its control loop on a tick of about this length. Status reports
# whole seconds, whole percent and deci-degrees, and thermal time constants are minutes:
# answering from 10 ms back is answering a request that came that much sooner, which no
# host can tell from its link's own jitter (a USB serial adapter holds bytes up to 16 ms,
# a BLE connection event comes every 7.5 to 50 ms). A deadline (a session's end, a
# status event) is served at most this late, yet timed exactly: the firmware steps to
# the deadline itself, not to the moment it noticed it.
CATCH_UP_QUANTUM_S = 0.01  # simulated seconds
MANUFACTURER = "irlink project"


class SimulationError(IRLinkError):
    """A simulated device was asked for something its hardware cannot do."""


class SimulatedDevice:
    """One simulated device of a family: physics, firmware, flash, and its host links.

    Thread-safe: every entry point takes the device's lock, so serving adapters on other
    threads and a test advancing a :class:`ManualClock` can share it.

    A device of IRLink 1.2 (``protocol_minor`` 2, the default) whose profile has the
    ``secure`` capability enforces section 13 of the protocol: pairing with its
    ``setup_code`` (default: derived from the serial; :attr:`setup_code` says it), a
    verified session per link, sealed frames. Its refusals are counted in :attr:`auth`.
    A device made while :func:`irlink.sim.trust_host` is on trusts that key store's host
    from the start (a factory-provisioned pairing, see :mod:`irlink.sim.provision`).
    """

    def __init__(
        self,
        family: str | DeviceProfile,
        *,
        clock: Clock | None = None,
        serial: str = "0001",
        battery_pct: float = 100,
        protocol_minor: int = SIM_MINOR,
        setup_code: str | SetupCode | None = None,
    ) -> None:
        self.profile = load_device_profile(family) if isinstance(family, str) else family
        if not 0 <= protocol_minor <= SIM_MINOR:
            raise SimulationError(
                f"protocol_minor must be 0 (IRLink 1.0) to {SIM_MINOR}, not {protocol_minor}"
            )
        self.protocol_minor = protocol_minor
        self.clock: Clock = clock if clock is not None else ManualClock()
        if not 0 <= battery_pct <= 100:
            raise SimulationError(f"battery_pct must be 0..100, not {battery_pct}")
        if not (0 < len(serial) <= 24 and all(" " <= c <= "~" for c in serial)):
            raise SimulationError(
                f"serial {serial!r} must be 1 to 24 printable ASCII characters, as device_info "
                "carries it"
            )
        self.serial = serial
        self.secure = protocol_minor >= 2 and self.profile.info.has("secure")
        """Whether the device enforces IRLink 1.2's security (pairing, verify, sealed frames)."""
        if setup_code is None:
            self.setup_code = derive_setup_code(serial)
        else:
            self.setup_code = (
                setup_code if isinstance(setup_code, SetupCode) else parse_setup_code(setup_code)
            )
        self.auth = AuthStats()
        """The refusals for authentication the device counted (and logged), since it was made."""
        self._identity: Identity | None = None
        self.lock = threading.RLock()
        self.hardware = Hardware.build(self.profile, battery_pct)
        self.memory = NonVolatile()
        self.links: list[Link] = []
        self.links_opened = 0  # numbers each link, so that each has damage of its own
        self._sinks: tuple[Link, ...] = ()
        self.impairment = CLEAN
        self.link_up = True
        self._link_down_until = -math.inf
        self.now = self.clock.now()
        self._agenda: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        # The clock's reading for catch_up; None on a manual clock, whose advance moves the
        # device itself. Looked up once: every request on a real clock reads it.
        self._real_now: Callable[[], float] | None = (
            None if isinstance(self.clock, ManualClock) else self.clock.now
        )
        self.firmware: Firmware | None = self._boot(ResetCause.POWER_ON)
        if isinstance(self.clock, ManualClock):
            self._unwatch: Callable[[], None] | None = self.clock.watch(self.advance_to)
        else:
            self._unwatch = None
        if self.secure:
            from irlink.sim.provision import trusted_store  # noqa: PLC0415  (a cycle otherwise)

            store = trusted_store()
            if store is not None:
                self.provision(store)

    # Identity.

    @property
    def family(self) -> str:
        """The device family: waistband, multiport or firmat."""
        return self.profile.family

    @property
    def ble_name(self) -> str:
        """The name it advertises over BLE: the profile's prefix and the serial."""
        return f"{self.profile.identity.ble_name_prefix}{self.serial}"

    @property
    def manufacturer(self) -> str:
        """The Device Information service's manufacturer name."""
        return MANUFACTURER

    @property
    def identity(self) -> Identity:
        """The device's id and long-term key pair: from its serial, new at each factory reset."""
        if self._identity is None:
            self._identity = Identity.derive(self.serial, self.memory.generation)
        return self._identity

    def battery_pct(self) -> int | None:
        """State of charge in percent, or None for a device without a battery."""
        with self.lock:
            return self.hardware.battery_pct() if self.hardware.battery else None

    # Time.

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Do ``action`` when the device's time reaches ``when`` (scenario steps, latency)."""
        with self.lock:
            heapq.heappush(self._agenda, (when, next(self._order), action))

    def advance_to(self, t: float) -> None:
        """Run the device up to time ``t``, doing what the agenda holds on the way."""
        with self.lock:
            while self._agenda and self._agenda[0][0] <= t:
                when, _, action = heapq.heappop(self._agenda)
                self._run_to(max(when, self.now))
                try:
                    action()
                except SimulationError as exc:
                    # A scenario step the hardware cannot do (a pad into a full port) is
                    # skipped: the device, and its clock, carry on.
                    log.warning("skipped a scheduled step: %s", exc)
            self._run_to(t)
            guard = self.guard
            if guard is not None and self.now >= guard.summary_due:
                guard.tick(self.now)  # the audit trail's summaries due by now

    def _run_to(self, t: float) -> None:
        if self.firmware is not None:
            self.firmware.advance_to(t)
        elif t > self.now:
            self.hardware.step(t - self.now)
        self.now = max(self.now, t)

    def catch_up(self) -> None:
        """Bring the device to its clock's time (needed only on a real clock).

        Within :data:`CATCH_UP_QUANTUM_S` of it already, the device stays where it is.
        """
        real_now = self._real_now
        if real_now is not None:
            now = real_now()
            if now - self.now >= CATCH_UP_QUANTUM_S:
                self.advance_to(now)

    async def run(self) -> None:
        """Keep a device on a real clock up to date until cancelled; returns on a manual clock."""
        if not isinstance(self.clock, RealClock):
            return
        while True:
            try:
                self.catch_up()
            except Exception:
                # A served device must keep its timers running whatever one step did.
                log.exception("simulated %s: error while advancing time", self.family)
            await asyncio.sleep(REAL_TICK_S)

    def close(self) -> None:
        """Stop following the clock and drop every link."""
        with self.lock:
            if self._unwatch is not None:
                self._unwatch()
                self._unwatch = None
            for link in list(self.links):
                link.close()

    # Links.

    def open_link(
        self, deliver: Callable[[bytes], None], on_down: Callable[[], None] | None = None
    ) -> Link:
        """Connect a host: ``deliver`` gets every byte the device sends on this link."""
        with self.lock:
            link = Link(self, deliver, on_down, self.links_opened)
            self.links_opened += 1
            self.links.append(link)
            self._sinks = tuple(self.links)
            return link

    def forget(self, link: Link) -> None:
        """Called by a closing link: its verified session, if any, ends, and its receiver's
        unfinished frame is dropped."""
        with self.lock:
            if link in self.links:
                self.links.remove(link)
                self._sinks = tuple(self.links)
            firmware = self.firmware
            if firmware is not None:
                firmware.forget(link)
            guard = self.guard
            if guard is not None:
                guard.forget(link)

    def receive(self, link: Link, data: bytes) -> None:
        """Bytes that reached the device's receiver on ``link``."""
        with self.lock:
            self.receive_locked(link, data)

    def receive_locked(self, link: Link, data: bytes) -> None:
        """:meth:`receive` for a caller that holds the lock (a clean link's write)."""
        # catch_up, written out: this runs for every request.
        real_now = self._real_now
        if real_now is not None:
            now = real_now()
            if now - self.now >= CATCH_UP_QUANTUM_S:
                self.advance_to(now)
        firmware = self.firmware
        if firmware is None or link.closed:
            return  # powered off: nobody is listening
        firmware.receive(data, link.send_to_host, link)  # answers go back on the link they came on

    def _broadcast(self, data: bytes) -> None:
        for link in self._sinks:  # a copy: a link may close while it is being sent to
            link.send_to_host(data)

    # Power.

    def _boot(self, cause: ResetCause) -> Firmware:
        guard = None
        if self.secure:  # a boot ends every verified session: a new guard, RAM empty
            guard = Guard(
                identity=self.identity,
                code=self.setup_code,
                memory=self.memory,
                clock=lambda: self.now,
                stats=self.auth,
                links=lambda: self._sinks,
                status_before_verify=self.profile.security.status_before_verify,
            )
        return Firmware(
            self.hardware,
            self.memory,
            self.serial,
            self.now,
            self._broadcast if guard is None else guard.broadcast,
            minor=self.protocol_minor,
            cause=cause,
            guard=guard,
        )

    @property
    def guard(self) -> Guard | None:
        """This boot's security (None on a device without it, or while powered off)."""
        firmware = self.firmware
        return None if firmware is None else firmware.guard

    # Security (IRLink 1.2).

    @property
    def pairings(self) -> Pairings:
        """The hosts the device is paired with, in the order they paired (non-volatile)."""
        return self.memory.pairings

    def open_pairing_window(self, for_s: float | timedelta = PAIRING_WINDOW_S) -> None:
        """Hold the pairing button: pair setup is accepted for ``for_s`` of device time.

        A device that is paired with nobody accepts it without this.
        """
        with self.lock:
            if not self.secure:
                raise SimulationError(
                    f"this {self.family} speaks IRLink 1.{self.protocol_minor} without "
                    "security: it has no pairing window"
                )
            guard = self.guard
            if guard is None:
                raise SimulationError("the device is powered off: its button does nothing")
            guard.pairing.open_window(seconds(for_s))

    def factory_reset(self) -> None:
        """Reset to the factory state: no pairings, no wrong-code count, a new id and key pair.

        The device restarts (every session ends); its usage log is kept. Every host must
        pair again, and a host that verifies meets a changed key.
        """
        with self.lock:
            self.power_off()
            self.memory.pairings = Pairings()
            self.memory.pair_failures = 0
            self.memory.generation += 1
            self._identity = None
            self.power_on(ResetCause.RESET)

    def trust(self, pairing_id: bytes, public_key: bytes) -> bool:
        """Write a host's pairing straight into the device's pairing list, as a factory would.

        Returns whether the host is an admin (the first one paired is). The host side of
        it is for the caller to keep; :meth:`provision` does both.
        """
        with self.lock:
            return self.memory.pairings.add(pairing_id, public_key).admin

    def provision(self, store: KeyStore, *, replace: bool = False) -> KeptPairing:
        """Pair the device with ``store``'s host, both sides written directly: a factory pairing.

        The device's pairing list gets the host (admin if it is the first), and the key
        store the device's id and key under its serial. A store that keeps another device
        under this serial is left alone (:class:`SimulationError`) unless ``replace``.
        """
        from irlink.security.keystore import Pairing as Kept  # noqa: PLC0415

        host = store.identity
        identity = self.identity
        admin = self.trust(host.id, host.public_key)
        kept = store.pairing_for(self.serial)
        same = kept is not None and (kept.device_id, kept.device_public_key) == (
            identity.id,
            identity.public_key,
        )
        if kept is not None and not same and not replace:
            raise SimulationError(
                f"the key store {store.path} keeps another device under serial {self.serial} "
                f"(device id {kept.device_id.hex()}): give this simulated device another serial, "
                "or set IRLINK_CONFIG to another folder"
            )
        model = self.profile.identity.model
        if kept is not None and same and (kept.admin, kept.model) == (admin, model):
            return kept
        pairing = Kept(
            serial=self.serial,
            device_id=identity.id,
            device_public_key=identity.public_key,
            admin=admin,
            paired_at=datetime.now(UTC),
            address=kept.address if kept is not None else "",
            model=model,
        )
        store.remember(pairing)
        return pairing

    @property
    def powered(self) -> bool:
        """Whether the firmware is running (False during a reboot or brown-out)."""
        return self.firmware is not None

    def power_off(self) -> None:
        """Power fails: output stops at once, RAM is lost, flash keeps the session checkpoints."""
        with self.lock:
            guard = self.guard
            if guard is not None:
                guard.flush()  # the refusals counted and not yet logged: logged now
            self.hardware.powered = False
            for port in self.hardware.ports:
                port.drive = OFF
            self.firmware = None

    def power_on(self, cause: ResetCause = ResetCause.POWER_ON) -> None:
        """Power returns: a new boot with output off; cut sessions are logged as power_loss.

        A 1.1 device then sends ``booted`` on every link still up (a UART stays up).
        """
        with self.lock:
            if self.firmware is None:
                self.firmware = self._boot(cause)

    def reboot(self, off_s: float | timedelta = 0, cause: ResetCause = ResetCause.BROWNOUT) -> None:
        """A reset or brown-out: off now, booting again after ``off_s`` simulated seconds."""
        with self.lock:
            self.power_off()
            off = seconds(off_s)
            if off:
                self.at(self.now + off, lambda: self.power_on(cause))
            else:
                self.power_on(cause)

    # Hardware verbs.

    def _port(self, port: int) -> int:
        count = self.profile.info.port_count
        if not 1 <= port <= count:
            raise SimulationError(f"port {port} does not exist; the {self.family} has 1..{count}")
        return port - 1

    def plug_pad(self, port: int, pad_type: int | None = None) -> None:
        """Plug a pad into a multiport port (its first pad type unless ``pad_type`` is given)."""
        with self.lock:
            hw = self.hardware.ports[self._pads_port(port)]
            types = [pad.id for pad in self.profile.physics.pads]
            chosen = types[0] if pad_type is None else pad_type
            if chosen not in types:
                raise SimulationError(
                    f"pad type {chosen} is not one of the {self.family}'s {types}"
                )
            if hw.pad_present:
                raise SimulationError(f"port {port} already has a pad; unplug it first")
            hw.pad_present, hw.pad_type = True, chosen
            if self.firmware is not None:
                self.firmware.pad_changed(port)

    def unplug_pad(self, port: int) -> None:
        """Unplug the pad of a multiport port: that port's output stops, others run on."""
        with self.lock:
            hw = self.hardware.ports[self._pads_port(port)]
            if not hw.pad_present:
                raise SimulationError(f"port {port} has no pad to unplug")
            hw.pad_present = False
            if self.firmware is not None:
                self.firmware.pad_changed(port)

    def _pads_port(self, port: int) -> int:
        if not self.profile.physics.pads:
            raise SimulationError(
                f"the {self.family}'s emitters are built in; only a multiport has pads to unplug"
            )
        return self._port(port)

    def set_sensor(self, port: int, state: SensorState) -> None:
        """Break (open, short) or mend (ok) a port's temperature sensor."""
        with self.lock:
            self.hardware.ports[self._port(port)].sensor = state
            self._settle()

    def set_emitter(self, port: int, ok: bool) -> None:
        """Fail a port's emitters or element (current out of window), or mend them."""
        with self.lock:
            self.hardware.ports[self._port(port)].emitter_ok = ok
            self._settle()

    def add_heat(self, port: int, rise_dc: float) -> None:
        """Outside heat on a port (a covered pad, a blanket): its temperature climbs by tau."""
        with self.lock:
            self.hardware.ports[self._port(port)].extra_rise_dc = rise_dc

    def set_battery(self, pct: float) -> None:
        """Set the state of charge at once (a failing cell, a test that starts low)."""
        with self.lock:
            if self.hardware.battery is None:
                raise SimulationError(f"the {self.family} has no battery")
            if not 0 <= pct <= 100:
                raise SimulationError(f"battery pct must be 0..100, not {pct}")
            self.hardware.battery.soc = pct / 100
            self._settle()

    def set_charger(self, connected: bool) -> None:
        """Connect or disconnect the charger."""
        with self.lock:
            if self.hardware.battery is None:
                raise SimulationError(f"the {self.family} runs from mains; it has no charger")
            if self.hardware.charger_connected == connected:
                return
            self.hardware.charger_connected = connected
            if self.firmware is not None:
                self.firmware.charger_changed()

    def internal_fault(self) -> None:
        """An internal fault (watchdog, failed self-test): all output off until cleared."""
        with self.lock:
            if self.firmware is not None:
                self.firmware.internal_fault()

    def usage_log_busy(self, for_s: float | timedelta) -> None:
        """The usage log is being written to flash: read_usage_log gets busy for a while."""
        with self.lock:
            if self.firmware is not None:
                self.firmware.log_busy_until = self.now + seconds(for_s)

    def cut_link(self, for_s: float | timedelta) -> None:
        """The host link goes away (out of radio range, cable pulled) for ``for_s`` seconds."""
        with self.lock:
            self.link_up = False
            self._link_down_until = max(self._link_down_until, self.now + seconds(for_s))
            for link in list(self.links):
                link.link_down()
            self.at(self._link_down_until, self._restore_link)

    def _restore_link(self) -> None:
        if self.now >= self._link_down_until:  # overlapping cuts: the longest one wins
            self.link_up = True

    def impair(self, impairment: Impairment | None) -> None:
        """Damage the bytes on every link from now on (None for a clean link).

        Each link draws its damage from the seed and its own number, so no two links of
        this device are damaged alike.
        """
        with self.lock:
            self.impairment = impairment if impairment and not impairment.harmless else CLEAN
            for link in self.links:
                link.reseed(self.impairment.seed)

    def _settle(self) -> None:
        # The firmware notices hardware changes at once, not at the next physics step.
        if self.firmware is not None:
            self.firmware.advance_to(self.now)
            self.firmware.notice()

    # What a test reads.

    def port_state(self, port: int) -> PortState:
        """A port's state as the device would report it."""
        with self.lock:
            if self.firmware is None:
                return PortState.IDLE
            return self.firmware.port_status(self.firmware.ports[self._port(port)]).state

    def remaining_s(self, port: int) -> int:
        """Seconds left on a port's session timer (0 without a session)."""
        with self.lock:
            if self.firmware is None:
                return 0
            return self.firmware.port_status(self.firmware.ports[self._port(port)]).remaining_s

    def output_on(self, port: int) -> bool:
        """Whether the port's emitters or element are being driven now."""
        with self.lock:
            hw = self.hardware.ports[self._port(port)]
            return hw.drive.level > 0 and hw.pad_present and hw.emitter_ok and self.hardware.powered

    def end_reasons(self) -> list[EndReason]:
        """The end reason of every session in the usage log, oldest first."""
        with self.lock:
            return [EndReason(record.end_reason) for record in self.memory.log]
