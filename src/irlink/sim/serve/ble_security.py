"""What a simulated BLE peripheral keeps and decides about link security, from gatt.yaml.

Both BLE adapters (the bleak backend and the bumble peripheral) hold one
:class:`LinkSecurity` per served device, so they bond and refuse alike:

- bonds are kept per host, by its address: a host that never bonded is refused
  control whatever other hosts did;
- a device without a display takes a new bond only while its pairing window is
  open: open out of the box (no bond at all), else for ``window_s`` seconds of the
  device's clock after :meth:`LinkSecurity.open_pairing_window` (its button), and
  closed again by the one new bond it admits;
- a device with a display shows the 6-digit Numeric Comparison value and bonds
  only when its user confirms that same number (:meth:`LinkSecurity.confirm_number`);
- every refusal (a pairing, an encryption, a write to rx, a subscription to tx,
  a read) is logged on the ``irlink.sim.ble`` logger, one line naming the device, the
  peer and what was refused, and counted in :attr:`LinkSecurity.refused`.

Nothing here needs bleak or bumble.

>>> from irlink.sim import ManualClock, SimulatedDevice
>>> clock = ManualClock()
>>> security = LinkSecurity(SimulatedDevice("waistband", clock=clock))
>>> security.pairing_window_open  # out of the box: no bond yet
True
>>> security.bond("C0:FF:EE:00:00:01", bytes(16))
>>> security.pairing_window_open, security.admit("C0:FF:EE:00:00:02")
(False, False)
>>> security.refused[Refused.PAIRING]
1
>>> security.open_pairing_window()  # the button
>>> clock.advance(security.window_s - 1)
>>> security.admit("C0:FF:EE:00:00:02")
True
>>> clock.advance(2)
>>> security.pairing_window_open
False
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
import math
from collections.abc import Mapping

from irlink.sim.device import SimulatedDevice, SimulationError
from irlink.sim.serve.ble_gatt import gatt

__all__ = [
    "DEFAULT_ADAPTER",
    "INSUFFICIENT_AUTHENTICATION",
    "INSUFFICIENT_ENCRYPTION",
    "LinkSecurity",
    "Refused",
    "log",
]

log = logging.getLogger("irlink.sim.ble")

# The host adapter a simulated client is on unless bleak's bluez={"adapter": ...} names
# another: each adapter is one host, with its own address and keys.
DEFAULT_ADAPTER = "hci0"

# The ATT errors gatt.yaml answers a request on too weak a link with.
INSUFFICIENT_AUTHENTICATION = 0x05  # no bond of this host: pair
INSUFFICIENT_ENCRYPTION = 0x0F  # a bond of this host, but the link is not encrypted: encrypt
DIGITS = 6  # of a Numeric Comparison value


class Refused(enum.StrEnum):
    """What a peripheral refused a peer: the keys of :attr:`LinkSecurity.refused`."""

    PAIRING = "pairing"
    ENCRYPTION = "encryption"
    WRITE = "write to rx"
    SUBSCRIBE = "subscription to tx"
    READ = "read"  # of a value needing more than an open link (gatt.yaml has none today)


class LinkSecurity:
    """One simulated device's bonds, pairing window, display and refusals (see the module).

    Used on the event loop that serves the device. ``display`` says the device has a
    display and a yes/no input (Numeric Comparison); without one it pairs with
    out-of-band data, inside its pairing window. ``window_s`` defaults to gatt.yaml's.
    """

    def __init__(
        self, device: SimulatedDevice, *, display: bool = False, window_s: float | None = None
    ) -> None:
        self.device = device
        self.display = display
        self.window_s = float(gatt().pairing.window_s if window_s is None else window_s)
        if not self.window_s > 0:
            raise SimulationError(f"window_s must be above 0, not {self.window_s}")
        self.refused: collections.Counter[Refused] = collections.Counter()
        self._bonds: dict[str, bytes] = {}  # host address: the long-term key both keep
        self._window_until = -math.inf
        self._shown: int | None = None
        self._answer: asyncio.Future[int | None] | None = None
        self._watching: list[asyncio.Future[int]] = []  # number_shown() calls waiting

    @property
    def name(self) -> str:
        """The device's advertised name, which its log lines start with."""
        return self.device.ble_name

    # Bonds.

    @property
    def bonds(self) -> Mapping[str, bytes]:
        """The hosts bonded with, by address, and the key kept for each (a copy)."""
        return dict(self._bonds)

    def bonded(self, peer: str) -> bool:
        """Whether ``peer`` holds a bond of an authenticated pairing with this device."""
        return peer.upper() in self._bonds

    def key(self, peer: str) -> bytes | None:
        """The long-term key of ``peer``'s bond, if it has one."""
        return self._bonds.get(peer.upper())

    def bond(self, peer: str, key: bytes) -> None:
        """Keep a bond with ``peer`` (an authenticated pairing completed); the window closes."""
        self._bonds[peer.upper()] = key
        self._window_until = -math.inf  # one press of the button admits one host
        log.info("%s bonded with %s", self.name, peer)

    def forget(self, peer: str) -> None:
        """Drop ``peer``'s bond, if any (with none left, the window is open as out of the box)."""
        if self._bonds.pop(peer.upper(), None) is not None:
            log.info("%s forgot its bond with %s", self.name, peer)

    # The pairing window.

    @property
    def pairing_window_open(self) -> bool:
        """Whether a device without a display takes a new bond now."""
        return not self._bonds or self.device.clock.now() < self._window_until

    def open_pairing_window(self, seconds: float | None = None) -> None:
        """Press the pairing button: new bonds possible for ``seconds`` (window_s if None)."""
        length = self.window_s if seconds is None else float(seconds)
        if not length > 0:
            raise SimulationError(f"a pairing window must last above 0 s, not {length}")
        self._window_until = self.device.clock.now() + length
        log.info("%s: pairing window open for %g s", self.name, length)

    def close_pairing_window(self) -> None:
        """End the pairing window now (it stays open while the device has no bond at all)."""
        self._window_until = -math.inf

    # Pairing.

    def admit(self, peer: str) -> bool:
        """Whether a pairing request of ``peer`` may go on; a refusal is logged and counted."""
        if self.display or self.pairing_window_open:
            return True
        self.refuse(peer, Refused.PAIRING, "its pairing window is closed (press its button)")
        return False

    @property
    def shown(self) -> int | None:
        """The Numeric Comparison value on the device's display, while it asks its user."""
        return self._shown

    async def number_shown(self) -> int:
        """Wait until the display shows a Numeric Comparison value, and return it."""
        if self._shown is not None:
            return self._shown
        watcher: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._watching.append(watcher)
        return await watcher

    def confirm_number(self, number: int) -> None:
        """The user at the device confirms ``number``, the one their host shows.

        The device bonds only if it is the number it shows itself: any other is a
        mismatch (what a man in the middle causes), and the pairing fails.
        """
        self._reply(number)

    def reject_number(self) -> None:
        """The user at the device answers no: the pairing fails."""
        self._reply(None)

    def _reply(self, number: int | None) -> None:
        if self._answer is None or self._answer.done():
            raise SimulationError(f"{self.name} shows no number to confirm: nothing is pairing")
        self._answer.set_result(number)

    async def compare_numbers(self, peer: str, number: int) -> bool:
        """Show ``number`` and wait for the user's answer; True if they confirmed it."""
        if not self.display:
            self.refuse(peer, Refused.PAIRING, "it has no display to compare numbers on")
            return False
        if self._answer is not None and not self._answer.done():
            self.refuse(peer, Refused.PAIRING, "it is showing a number for another pairing")
            return False
        self._answer = asyncio.get_running_loop().create_future()
        self._shown = number
        watching, self._watching = self._watching, []
        for watcher in watching:
            if not watcher.done():
                watcher.set_result(number)
        log.info("%s shows %0*d to pair with %s", self.name, DIGITS, number, peer)
        try:
            answer = await self._answer
        finally:
            self._shown = None
        if answer is None:
            self.refuse(peer, Refused.PAIRING, "its user answered no to the number shown")
            return False
        if answer != number:
            self.refuse(
                peer,
                Refused.PAIRING,
                f"numeric comparison mismatch: {answer:0{DIGITS}d} confirmed, "
                f"{number:0{DIGITS}d} shown",
            )
            return False
        return True

    # Refusals.

    def refuse(self, peer: str, what: Refused, why: str) -> None:
        """Log and count that ``what`` was refused to ``peer``."""
        self.refused[what] += 1
        log.warning("%s refused %s from %s: %s", self.name, what, peer, why)

    def refuse_access(self, peer: str, what: Refused, *, encrypted: bool) -> int:
        """Log and count an access refused on too weak a link; the ATT error to answer."""
        if not self.bonded(peer):
            self.refuse(peer, what, "not bonded with this device")
            return INSUFFICIENT_AUTHENTICATION
        if not encrypted:
            self.refuse(peer, what, "bonded, but the link is not encrypted")
            return INSUFFICIENT_ENCRYPTION
        self.refuse(peer, what, "the link is not encrypted with this host's bond")
        return INSUFFICIENT_AUTHENTICATION
