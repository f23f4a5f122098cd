"""The serial link: a port path or any pyserial URL.

A device path (``/dev/ttyACM0``, ``/dev/pts/3``) on a POSIX system is opened by pyserial,
exclusively so that no second program interleaves its bytes with ours, and then read
and written on its file descriptor straight from the event loop: one ``read`` per
arrival and one ``write`` per frame. pyserial-asyncio-fast's reads add a ``select``
before each, which costs about a fifth of a status round trip (bench/RESULTS.md).
Everything else (``COM3`` on Windows, ``socket://``, ``rfc2217://``, ``loop://``) goes
through pyserial-asyncio-fast, ``socket://`` as a plain asyncio TCP connection.
pyserial and OS errors become :class:`~irlink.errors.ConnectError` or
:class:`~irlink.errors.TransportError` with the fix in the message.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from typing import Any

import serial
import serial_asyncio_fast

from irlink.address import DEFAULT_BAUDRATE
from irlink.errors import ConnectError, DeviceNotFound, LinkLost, TransportError
from irlink.transport.base import Transport

__all__ = ["SerialTransport"]

log = logging.getLogger(__name__)

# Bytes queued for a port that does not take them: past this (about twenty of the
# largest frames), write() waits for the port to drain, and fails after write_timeout.
WRITE_HIGH_WATER = 4096
CLOSE_TIMEOUT_S = 2.0
READ_SIZE = 4096


def _direct(url: str) -> bool:
    """Whether ``url`` is a device path this system's file descriptors can serve."""
    return os.name == "posix" and "://" not in url


class SerialTransport(Transport):
    """A byte link over a serial port or pyserial URL."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        write_timeout: float = 2.0,
    ) -> None:
        super().__init__(url)
        self.url = url
        self.baudrate = baudrate
        self.write_timeout = write_timeout
        self._port: _Port | _Bridged | None = None
        self._writable = asyncio.Event()
        self._writable.set()

    async def open(self) -> None:
        """Open the port (exclusively, for a device path)."""
        port: _Port | _Bridged = _Port(self) if _direct(self.url) else _Bridged(self)
        try:
            await port.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise _open_error(self.url, exc) from exc
        self._port = port
        log.debug("opened %s", self.url)

    async def write(self, data: bytes) -> None:
        """Send ``data``; waits while the port's buffer is full, up to ``write_timeout``."""
        self._check_open()
        assert self._port is not None
        self._port.write(data)
        self._check_open()  # the write itself may have found the port gone
        if self._writable.is_set():
            return
        try:
            await asyncio.wait_for(self._writable.wait(), self.write_timeout)
        except TimeoutError:
            error = TransportError(
                f"{self.url} took no bytes for {self.write_timeout:g} s; the device is not "
                "reading: check the cable and that the port is the device's"
            )
            self._abort(error)
            raise error from None
        self._check_open()

    def try_write(self, data: bytes) -> bool:
        """Send ``data`` at once unless the port's buffer is over its high-water mark."""
        port = self._port
        if port is None or not self._writable.is_set():
            return False
        port.write(data)
        self._check_open()  # the write itself may have found the port gone
        return True

    async def close(self) -> None:
        """Close the port and wait until the OS has let go of it; harmless twice."""
        port, self._port = self._port, None
        self._went_down(None)
        self._writable.set()  # a writer waiting for room wakes, and finds the link closed
        if port is not None:
            await port.close()

    def _abort(self, error: TransportError) -> None:
        self._went_down(error)
        self._writable.set()
        port, self._port = self._port, None
        if port is not None:
            port.abort()

    def _lost(self, exc: BaseException | None) -> None:
        """The port failed or went away under us (not closed by us)."""
        self._writable.set()
        if self.closed.is_set():
            return
        reason = f": {exc}" if exc else ""
        self._went_down(
            LinkLost(
                f"the link to {self.url} was lost{reason}; check the cable and that the "
                "device is on"
            )
        )


class _Port:
    """A device path: pyserial opens and sets it up; the loop reads and writes its fd."""

    def __init__(self, owner: SerialTransport) -> None:
        self._owner = owner
        self._loop = asyncio.get_running_loop()
        self._serial: serial.Serial | None = None
        self._fd = -1
        self._pending = bytearray()  # bytes the port has not taken yet

    async def open(self) -> None:
        owner = self._owner
        port = serial.Serial(owner.url, owner.baudrate, timeout=0, exclusive=True)
        assert port.fd is not None  # an open POSIX port has its descriptor
        self._serial, self._fd = port, port.fd
        os.set_blocking(self._fd, False)
        self._loop.add_reader(self._fd, self._readable)

    def write(self, data: bytes) -> None:
        if self._pending:
            self._pending += data
        else:
            try:
                sent = os.write(self._fd, data)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                self._fail(exc)
                return
            if sent == len(data):
                return
            self._pending += data[sent:]
            self._loop.add_writer(self._fd, self._drain)
        if len(self._pending) > WRITE_HIGH_WATER:
            self._owner._writable.clear()

    def _drain(self) -> None:
        try:
            sent = os.write(self._fd, self._pending)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(exc)
            return
        del self._pending[:sent]
        if not self._pending:
            self._loop.remove_writer(self._fd)
        if len(self._pending) <= WRITE_HIGH_WATER:
            self._owner._writable.set()

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(exc)
            return
        if data:
            self._owner._deliver(data)
        else:  # readable with nothing to read: the device went away (as pyserial says)
            self._fail(None)

    def _fail(self, exc: BaseException | None) -> None:
        self.abort()
        self._owner._lost(exc)

    def abort(self) -> None:
        port, self._serial = self._serial, None
        if port is None:
            return
        self._loop.remove_reader(self._fd)
        self._loop.remove_writer(self._fd)
        self._pending.clear()
        port.close()  # the lock goes with the descriptor: others may open it at once

    async def close(self) -> None:
        self.abort()


class _Bridged(asyncio.Protocol):
    """Any other pyserial address, through pyserial-asyncio-fast."""

    def __init__(self, owner: SerialTransport) -> None:
        self._owner = owner
        self._transport: asyncio.Transport | None = None
        self._released = asyncio.Event()  # the port is closed at the OS: others may open it

    async def open(self) -> None:
        owner = self._owner
        options: dict[str, Any] = {"baudrate": owner.baudrate}
        if "://" not in owner.url:
            options["exclusive"] = True
        loop = asyncio.get_running_loop()
        await serial_asyncio_fast.create_serial_connection(loop, lambda: self, owner.url, **options)

    def write(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    async def close(self) -> None:
        if self._transport is None:
            return
        self._transport.close()
        # pyserial-asyncio-fast closes the port in a task of its own; a caller that opens
        # the port again right after close() must not find it still locked.
        try:
            await asyncio.wait_for(self._released.wait(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("%s took over %g s to close", self._owner.url, CLOSE_TIMEOUT_S)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        self._owner._deliver(data)

    def pause_writing(self) -> None:
        self._owner._writable.clear()

    def resume_writing(self) -> None:
        self._owner._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._released.set()
        self._owner._lost(exc)


def _open_error(url: str, exc: BaseException) -> ConnectError:
    """What to tell a user whose port would not open."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if isinstance(exc, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return DeviceNotFound(f"nothing listens at {url}; start the device or its server first")
    if code == errno.ENOENT or "No such file" in text or "FileNotFoundError" in text:
        return DeviceNotFound(
            f"there is no serial port {url}; check the cable and the port's name "
            "(irlink.discovery.discover() lists the devices it finds)"
        )
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return ConnectError(
            f"no permission to open {url}; add your user to the port's group "
            "(dialout on Debian and Ubuntu) and log in again"
        )
    if "exclusively lock" in text or code in (errno.EBUSY, errno.EAGAIN):
        return ConnectError(f"{url} is in use by another program; close that program first")
    if isinstance(exc, ValueError):
        return ConnectError(f"pyserial cannot open {url!r}: {exc}; check the address")
    return ConnectError(f"could not open {url}: {exc}")
