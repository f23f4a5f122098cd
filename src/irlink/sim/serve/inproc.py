"""The in-process byte pipe: a host end wired straight to a simulated device's link.

The fastest way to talk to a simulator: no file descriptors, no threads. Bytes the
host writes reach the firmware before :meth:`Pipe.write` returns; bytes the device
sends wait in the pipe until read.
"""

from __future__ import annotations

import asyncio
import threading

from irlink.sim.device import SimulatedDevice

__all__ = ["Pipe"]


class Pipe:
    """The host end of a direct byte pipe to a simulated device."""

    def __init__(self, device: SimulatedDevice) -> None:
        self._buffer = bytearray()
        self._guard = threading.Lock()
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
        self.down = False  # the device cut the link (a scenario's link drop)
        self.link = device.open_link(self._arrived, self._link_down)

    def _arrived(self, data: bytes) -> None:
        with self._guard:
            self._buffer += data
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            loop, future = waiter
            loop.call_soon_threadsafe(_wake, future)

    def _link_down(self) -> None:
        self.down = True

    def write(self, data: bytes) -> None:
        """Send bytes to the device; it has read them when this returns."""
        self.link.write(data)

    def read_now(self) -> bytes:
        """Every byte the device sent since the last read; empty if none."""
        with self._guard:
            data, self._buffer = bytes(self._buffer), bytearray()
        return data

    async def read(self) -> bytes:
        """Wait until the device has sent something, and return it."""
        while True:
            with self._guard:
                if self._buffer or self.link.closed:
                    data, self._buffer = bytes(self._buffer), bytearray()
                    return data
                loop = asyncio.get_running_loop()
                future: asyncio.Future[None] = loop.create_future()
                self._waiter = (loop, future)
            await future

    def close(self) -> None:
        """Disconnect from the device."""
        self.link.close()
        with self._guard:
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            loop, future = waiter
            loop.call_soon_threadsafe(_wake, future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
