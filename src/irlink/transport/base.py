"""The one small interface every byte link to a device implements.

A :class:`Transport` is opened once and closed once; a link that breaks is not
reopened (the :class:`~irlink.device.Device` opens a new one). Bytes that arrive
are read from :meth:`Transport.received`, an async iterator that ends when the
link goes down; :attr:`Transport.closed` is set at the same moment and
:attr:`Transport.error` says why. A reader on the hot path may instead hand
:meth:`Transport.listen` a callback, which gets the bytes as they arrive, without
a queue and a task switch in between, and a writer that need not wait may call
:meth:`Transport.try_write`, which sends at once or not at all.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable

from irlink.errors import TransportError

__all__ = ["Transport"]


class Transport(ABC):
    """An async byte link to one device: open, write, received bytes, a closed event."""

    def __init__(self, address: str) -> None:
        self.address = address  # what the user named, for messages
        self.closed = asyncio.Event()  # set once the link is down, by either side
        self.error: TransportError | None = None  # why it went down, if not closed by us
        self._incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._listener: Callable[[bytes], None] | None = None

    @abstractmethod
    async def open(self) -> None:
        """Open the link; raises :class:`~irlink.errors.ConnectError` with the fix."""

    @abstractmethod
    async def write(self, data: bytes) -> None:
        """Send ``data``; raises :class:`~irlink.errors.TransportError` if the link is down."""

    def try_write(self, data: bytes) -> bool:
        """Send ``data`` now if the link takes it without waiting; else send nothing.

        False means "use :meth:`write`" (a link that must wait for room, or that always
        awaits its writes, such as BLE); a link that is down also answers False, and
        :meth:`write` raises the reason. A request path uses it to send first and do its
        bookkeeping while the bytes travel.
        """
        return False

    async def close(self) -> None:
        """Close the link; harmless when it is already closed."""
        self._went_down(None)

    async def received(self) -> AsyncIterator[bytes]:
        """The bytes from the device as they arrive, until the link goes down."""
        while True:
            data = await self._incoming.get()
            if data is None:
                return
            yield data

    def listen(self, callback: Callable[[bytes], None]) -> None:
        """Give received bytes to ``callback`` from now on, instead of to :meth:`received`."""
        self._listener = callback
        while not self._incoming.empty():  # bytes that came before, in order
            data = self._incoming.get_nowait()
            if data is not None:
                callback(data)
            else:
                self._incoming.put_nowait(None)
                break

    # For subclasses.

    def _deliver(self, data: bytes) -> None:
        """Hand bytes that arrived to the listener or :meth:`received` (on the loop's thread)."""
        if not data or self.closed.is_set():
            return
        if self._listener is not None:
            self._listener(data)
        else:
            self._incoming.put_nowait(data)

    def _went_down(self, error: TransportError | None) -> None:
        """Mark the link down: end :meth:`received` and set :attr:`closed`."""
        if self.closed.is_set():
            return
        self.error = error
        self.closed.set()
        self._incoming.put_nowait(None)

    def _check_open(self) -> None:
        if self.closed.is_set():
            raise self.error or TransportError(f"the link to {self.address} is closed")
