"""A host's byte link to a simulated device, and the impairments a scenario puts on it.

Every serving adapter (in-process pipe, pty, TCP, BLE) opens a :class:`Link` on the
device and moves bytes: what the host wrote goes to :meth:`Link.write`, what the device
sends arrives at the adapter's ``deliver`` callback. Impairments (flipped bits, lost
frames, added latency) act here, so they are the same on every adapter.

Each link has damage of its own: its random stream comes from the impairment's seed and
the link's number on its device (0 for the first link opened, 1 for the next, ...), so
a host that reconnects meets new damage, not the same bytes damaged the same way, and a
test that opens the same links in the same order still repeats exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irlink.sim.device import SimulatedDevice

__all__ = ["Impairment", "Link", "LinkStats"]


@dataclass(frozen=True)
class Impairment:
    """What a bad link does to the bytes on it, in both directions."""

    corrupt_rate: float = 0.0  # chance per byte that one of its bits flips
    drop_rate: float = 0.0  # chance per frame that the whole frame is lost
    latency_s: float = 0.0  # added one-way delay, in simulated seconds
    seed: int = 0  # the same seed gives the same damage, so tests repeat exactly

    def __post_init__(self) -> None:
        for name in ("corrupt_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.latency_s < 0:
            raise ValueError(f"latency_s must not be negative, not {self.latency_s}")

    @property
    def harmless(self) -> bool:
        """Whether the link passes bytes unchanged and at once."""
        return not (self.corrupt_rate or self.drop_rate or self.latency_s)


CLEAN = Impairment()
# Links after the first draw from seed + number * this (an odd 64-bit constant, the golden
# ratio's): far apart for any two small seeds, and the first link keeps the seed itself.
_LINK_STRIDE = 0x9E3779B97F4A7C15


def link_rng(seed: int, number: int) -> random.Random:
    """The random stream of the damage on a device's link ``number`` (from 0)."""
    return random.Random(seed + number * _LINK_STRIDE)


@dataclass
class LinkStats:
    """What the link did to the bytes: counters a test can read."""

    bytes_to_device: int = 0
    bytes_to_host: int = 0
    bits_flipped: int = 0
    frames_dropped: int = 0
    bytes_lost_while_down: int = 0


class _Direction:
    """One direction of an impaired link: damages bytes, then hands them on."""

    def __init__(self, rng: random.Random, stats: LinkStats) -> None:
        self.rng = rng
        self.stats = stats
        self.partial = bytearray()

    def damage(self, data: bytes, impairment: Impairment) -> bytes:
        if impairment.drop_rate:
            # Whole frames are lost: keep bytes until a delimiter ends each frame.
            self.partial += data
            end = self.partial.rfind(0) + 1
            frames, self.partial = bytes(self.partial[:end]), self.partial[end:]
            kept = bytearray()
            for frame in frames.split(b"\x00")[:-1]:
                if self.rng.random() < impairment.drop_rate:
                    self.stats.frames_dropped += 1
                else:
                    kept += frame + b"\x00"
            data = bytes(kept)
        if impairment.corrupt_rate and data:
            damaged = bytearray(data)
            for i in range(len(damaged)):
                if self.rng.random() < impairment.corrupt_rate:
                    damaged[i] ^= 1 << self.rng.randrange(8)
                    self.stats.bits_flipped += 1
            data = bytes(damaged)
        return data


class Link:
    """One host connection to a simulated device; bytes both ways, maybe impaired."""

    def __init__(
        self,
        device: SimulatedDevice,
        deliver: Callable[[bytes], None],
        on_down: Callable[[], None] | None = None,
        number: int = 0,
    ) -> None:
        self.device = device
        self.deliver = deliver
        self.on_down = on_down
        self.number = number  # which link of its device this is: 0 for the first opened
        self.stats = LinkStats()
        self.closed = False
        rng = link_rng(device.impairment.seed, number)
        self._to_device = _Direction(rng, self.stats)
        self._to_host = _Direction(rng, self.stats)

    def write(self, data: bytes) -> None:
        """Bytes the host sent; the device reads them (after the link's damage and delay)."""
        if self.closed or not data:
            return
        device = self.device
        with device.lock:
            self.stats.bytes_to_device += len(data)
            if not device.link_up:
                self.stats.bytes_lost_while_down += len(data)
                return
            impairment = device.impairment
            if impairment is CLEAN:  # the common case: straight in, under the lock held here
                device.receive_locked(self, data)
                return
            if not impairment.harmless:
                data = self._to_device.damage(data, impairment)
            if not data:
                return
            if impairment.latency_s:
                device.at(device.now + impairment.latency_s, lambda: device.receive(self, data))
            else:
                device.receive(self, data)

    def send_to_host(self, data: bytes) -> None:
        """Bytes the device sent on this link (called by the device, under its lock)."""
        if self.closed:
            return
        device = self.device
        if not device.link_up:
            self.stats.bytes_lost_while_down += len(data)
            return
        impairment = device.impairment
        if impairment is CLEAN:
            self.stats.bytes_to_host += len(data)
            self.deliver(data)
            return
        if not impairment.harmless:
            data = self._to_host.damage(data, impairment)
        if not data:
            return
        self.stats.bytes_to_host += len(data)
        if impairment.latency_s:
            device.at(device.now + impairment.latency_s, lambda: self._deliver(data))
        else:
            self.deliver(data)

    def reseed(self, seed: int) -> None:
        """Start this link's damage afresh from ``seed`` (a new impairment was set)."""
        rng = link_rng(seed, self.number)
        self._to_device.rng = self._to_host.rng = rng

    def _deliver(self, data: bytes) -> None:
        if not self.closed:
            self.deliver(data)

    def link_down(self) -> None:
        """The device's radio or cable went away; an adapter that can disconnects its host."""
        if self.on_down is not None and not self.closed:
            self.on_down()

    def close(self) -> None:
        """The host went away; the device stops sending here."""
        if not self.closed:
            self.closed = True
            self.device.forget(self)
