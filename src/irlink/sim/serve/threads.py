"""Crossing threads: device bytes to an event loop, and a server on a loop of its own.

A simulated device sends from whichever thread moves its clock: a test calling
:meth:`~irlink.sim.ManualClock.advance`, or the serving loop itself. :class:`Outbox`
hands those bytes to the loop in the order they were sent. :func:`serve_in_thread`
runs a server on a background event loop so blocking code (pyserial in a test) can
talk to it from the calling thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

__all__ = ["Outbox", "Served", "serve_in_thread"]

S = TypeVar("S", bound=AbstractAsyncContextManager[Any])
_Self = TypeVar("_Self", bound="Served")


class Served:
    """A server that is started and closed: usable as ``async with``."""

    async def start(self) -> None:
        """Begin serving."""
        raise NotImplementedError

    async def close(self) -> None:
        """Stop serving and let go of everything held."""
        raise NotImplementedError

    async def __aenter__(self: _Self) -> _Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Outbox:
    """Bytes from any thread, written on the event loop in the order they were put.

    Make it on the loop's thread. Bytes put on that thread with nothing queued are
    written at once, as they are (no copy, no lock held); while bytes from another
    thread wait for their flush, they join them, so a reply never overtakes an event.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, write: Callable[[bytes], None]) -> None:
        self._loop = loop
        self._write = write
        self._loop_thread = threading.get_ident()
        self._guard = threading.Lock()
        self._pending = bytearray()
        self._scheduled = False
        self.closed = False

    def put(self, data: bytes) -> None:
        """Queue ``data`` for the loop; callable from any thread."""
        here = threading.get_ident() == self._loop_thread
        with self._guard:
            if self.closed:
                return
            if here and not self._scheduled and not self._pending:
                queued = False  # nothing to wait behind: written below, uncopied
            else:
                queued = True
                self._pending += data
                if self._scheduled:
                    return  # the flush already on its way takes these bytes too
                self._scheduled = not here
        if not queued:
            # Outside the guard, like flush: the flush another thread may schedule now
            # runs on this thread, so after this write.
            self._write(data)
            return
        if here:
            self.flush()
            return
        try:
            self._loop.call_soon_threadsafe(self.flush)
        except RuntimeError:
            self.close()  # the loop has closed: the server is gone, so are its hosts

    def flush(self) -> None:
        """Write what is queued (on the loop's thread)."""
        with self._guard:
            data, self._pending = bytes(self._pending), bytearray()
            self._scheduled = False
            closed = self.closed
        if data and not closed:
            self._write(data)

    def close(self) -> None:
        """Drop what is queued and accept nothing more."""
        with self._guard:
            self.closed = True
            self._pending.clear()


@contextmanager
def serve_in_thread(server: S, *, timeout: float = 10.0) -> Iterator[S]:
    """Run an async server (``async with server``) on its own loop in a background thread.

    Yields the entered server once it is serving; leaving the block closes it and joins
    the thread. A failure to start is raised here, in the caller's thread.

    >>> from irlink.sim import SimulatedDevice
    >>> from irlink.sim.serve.tcp import TcpServer
    >>> with serve_in_thread(TcpServer(SimulatedDevice("waistband"))) as server:
    ...     server.url.startswith("socket://127.0.0.1:")
    True
    """
    ready = threading.Event()
    failure: list[BaseException] = []
    handle: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def serve() -> None:
        stop = asyncio.Event()
        handle.append((asyncio.get_running_loop(), stop))
        try:
            async with server:
                ready.set()
                await stop.wait()
        except BaseException as exc:
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(
        target=asyncio.run, args=(serve(),), name=f"serve {type(server).__name__}", daemon=True
    )
    thread.start()
    if not ready.wait(timeout):
        raise TimeoutError(f"{type(server).__name__} did not start within {timeout} s")
    if failure:
        thread.join()
        raise failure[0]
    try:
        yield server
    finally:
        loop, stop = handle[0]
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
    if failure:
        raise failure[0]
