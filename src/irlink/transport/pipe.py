"""A Transport over a simulator's in-process link: irlink's real front end, no fd, no thread.

The fastest honest way to reach a :class:`~irlink.sim.SimulatedDevice`: the Device, its
codec and its recorder run as they would on a serial port, only the bytes skip the
kernel. The device's bytes are handed to the event loop (``call_soon``), never dealt
with inside the simulator's own call (a clock's advance), as a serial reader takes what
its descriptor has; so the device's clock must be moved on the loop's thread (a
:class:`~irlink.sim.ManualClock` a task advances, or a real clock's ``run()``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from irlink.errors import TransportError
from irlink.transport.base import Transport

if TYPE_CHECKING:
    from irlink.connection import Connector
    from irlink.sim.device import SimulatedDevice
    from irlink.sim.link import Link

__all__ = ["PipeTransport", "pipe_connector"]


class PipeTransport(Transport):
    """The host end of a simulator's in-process link; ``heard`` is called after each
    delivery of the device's bytes (a rehearsal's clock waits on it)."""

    def __init__(self, sim: SimulatedDevice, *, heard: Callable[[], None] | None = None) -> None:
        super().__init__(f"pipe://{sim.serial}")
        self._sim = sim
        self._heard = heard
        self._link: Link | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        """Open a link to the simulator."""
        self._loop = asyncio.get_running_loop()
        self._link = self._sim.open_link(self._arrived, self._down)

    def _arrived(self, data: bytes) -> None:
        assert self._loop is not None  # the simulator calls only once open() has linked it
        self._loop.call_soon(self._take, data)

    def _take(self, data: bytes) -> None:
        self._deliver(data)
        if self._heard is not None:
            self._heard()

    def _down(self) -> None:
        self._went_down(TransportError(f"{self.address}: the simulator cut the link"))

    async def write(self, data: bytes) -> None:
        """Send ``data``: the firmware has read it (and answered) when this returns."""
        self._check_open()
        assert self._link is not None
        self._link.write(data)

    def try_write(self, data: bytes) -> bool:
        """Send ``data`` at once; False only when the link is down."""
        if self.closed.is_set() or self._link is None:
            return False
        self._link.write(data)
        return True

    async def close(self) -> None:
        """Close the link; harmless when it is already closed."""
        if self._link is not None:
            self._link.close()
        await super().close()


def pipe_connector(sim: SimulatedDevice, *, heard: Callable[[], None] | None = None) -> Connector:
    """A :class:`~irlink.Device` connector that opens a new :class:`PipeTransport` to ``sim``."""

    async def open_pipe() -> Transport:
        transport = PipeTransport(sim, heard=heard)
        await transport.open()
        return transport

    return open_pipe
