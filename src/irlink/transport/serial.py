"""The serial link: a port path or any pyserial URL, through pyserial-asyncio-fast.

Device paths (``/dev/ttyACM0``, ``COM3``) are opened exclusively, so a second program
cannot interleave its bytes with ours. ``socket://`` URLs become plain asyncio TCP
connections; other pyserial URLs (``rfc2217://``, ``loop://``) work as pyserial opens
them. pyserial and OS errors become :class:`~irlink.errors.ConnectError` or
:class:`~irlink.errors.TransportError` with the fix in the message.
"""

from __future__ import annotations

import asyncio
import errno
import logging
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
        self._transport: asyncio.Transport | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._released = asyncio.Event()  # the port is closed at the OS: others may open it

    async def open(self) -> None:
        """Open the port (exclusively, for a device path)."""
        loop = asyncio.get_running_loop()
        options: dict[str, Any] = {"baudrate": self.baudrate}
        if "://" not in self.url:
            options["exclusive"] = True
        try:
            transport, _ = await serial_asyncio_fast.create_serial_connection(
                loop, lambda: _Protocol(self), self.url, **options
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise _open_error(self.url, exc) from exc
        self._transport = transport
        log.debug("opened %s", self.url)

    async def write(self, data: bytes) -> None:
        """Send ``data``; waits while the port's buffer is full, up to ``write_timeout``."""
        self._check_open()
        assert self._transport is not None
        self._transport.write(data)
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

    async def close(self) -> None:
        """Close the port and wait until the OS has let go of it; harmless twice."""
        transport, self._transport = self._transport, None
        self._went_down(None)
        if transport is None:
            return
        transport.close()
        # pyserial-asyncio-fast closes the port in a task of its own; a caller that opens
        # the port again right after close() must not find it still locked.
        try:
            await asyncio.wait_for(self._released.wait(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("%s took over %g s to close", self.url, CLOSE_TIMEOUT_S)

    def _abort(self, error: TransportError) -> None:
        self._went_down(error)
        if self._transport is not None:
            self._transport.abort()


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: SerialTransport) -> None:
        self._owner = owner

    def data_received(self, data: bytes) -> None:
        self._owner._deliver(data)

    def pause_writing(self) -> None:
        self._owner._writable.clear()

    def resume_writing(self) -> None:
        self._owner._writable.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if isinstance(transport, asyncio.WriteTransport):
            transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    def connection_lost(self, exc: Exception | None) -> None:
        owner = self._owner
        owner._writable.set()
        owner._released.set()
        if owner.closed.is_set():
            return
        reason = f": {exc}" if exc else ""
        owner._went_down(
            LinkLost(
                f"the link to {owner.url} was lost{reason}; check the cable and that the "
                "device is on"
            )
        )


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
