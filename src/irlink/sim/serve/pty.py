"""Serve a simulated device on a pseudo-terminal, as a USB serial device would appear.

The slave end (``/dev/pts/N``) is a real tty in raw mode: no echo, no line discipline,
so pyserial, ``screen`` or any serial program opens it like a port. The server keeps
only the master end. When the host closes the slave the master reads EIO and polls
HUP; the server then drops the host's link and checks now and then for the next host,
instead of waking on the never-ending HUP. Linux semantics; other kernels differ.

>>> import asyncio
>>> from irlink.sim import SimulatedDevice
>>> async def main() -> str:
...     async with PtyServer(SimulatedDevice("waistband")) as server:
...         return server.path
>>> asyncio.run(main()).startswith("/dev/")
True
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import select
import termios
import threading
import tty

from irlink.sim.device import SimulatedDevice
from irlink.sim.link import Link
from irlink.sim.serve.threads import Outbox, Served

__all__ = ["PtyServer"]

log = logging.getLogger(__name__)

READ_SIZE = 4096
# How often to look for a host while nobody holds the slave: quick enough that the
# first request after an open waits unnoticed, rare enough to cost no CPU.
PROBE_S = 0.05
# A host that holds the port open but never reads: past this the device's bytes are
# lost, as a UART overruns, rather than piling up without bound.
MAX_BUFFER = 256 * 1024


class PtyServer(Served):
    """One simulated device on a pty; hosts open :attr:`path` as a serial port."""

    def __init__(self, device: SimulatedDevice) -> None:
        self.device = device
        self.path = ""
        self.link: Link | None = None  # the present host's link; None while nobody has the slave
        self.hosts_served = 0  # how many times a host has opened the slave
        self.bytes_overrun = 0  # device bytes lost to a host that did not read
        self.waiting = threading.Event()  # set while no host holds the slave (for tests)
        self._master = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: Outbox | None = None
        self._buffer = bytearray()
        self._probe: asyncio.TimerHandle | None = None
        self._poll = select.poll()
        self._writing = False  # a writer is registered for the master

    @property
    def address(self) -> str:
        """What a serial program opens: the slave's path."""
        return self.path

    async def start(self) -> None:
        """Make the pty and wait for a host to open it."""
        if self._master >= 0:
            raise RuntimeError("this PtyServer is already serving")
        self._loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        try:
            tty.setraw(slave, termios.TCSANOW)
            self.path = os.ttyname(slave)
        except BaseException:
            os.close(master)
            raise
        finally:
            # Only the host holds the slave, so its close reaches us as EIO/HUP; the
            # raw mode outlives this close because the master keeps the tty alive.
            os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        self._poll.register(master, select.POLLIN)
        log.info("%s %s serving on %s", self.device.family, self.device.serial, self.path)
        self._wait_for_host()

    async def close(self) -> None:
        """Stop serving: the host's link closes and the pty goes away."""
        if self._master < 0:
            return
        self._hang_up()
        if self._probe is not None:
            self._probe.cancel()
            self._probe = None
        self._poll.unregister(self._master)
        os.close(self._master)
        self._master = -1
        self.waiting.set()

    # Host presence.

    def _wait_for_host(self) -> None:
        assert self._loop is not None
        self.waiting.set()
        self._probe = self._loop.call_later(PROBE_S, self._look_for_host)

    def _look_for_host(self) -> None:
        self._probe = None
        if self._master < 0:
            return
        hung_up = any(events & select.POLLHUP for _, events in self._poll.poll(0))
        if hung_up:
            self._wait_for_host()
        else:
            self._host_opened()

    def _host_opened(self) -> None:
        assert self._loop is not None
        self.hosts_served += 1
        self.waiting.clear()
        self._outbox = Outbox(self._loop, self._send)
        self.link = self.device.open_link(self._outbox.put, self._link_cut)
        self._loop.add_reader(self._master, self._readable)
        log.info("host opened %s", self.path)

    def _hang_up(self) -> None:
        """The host closed the slave (or we are closing): forget it and its bytes."""
        assert self._loop is not None
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None
        if self.link is not None:
            self.link.close()
            self.link = None
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
            self._writing = False
            log.info("host closed %s", self.path)
        self._buffer.clear()

    def _link_cut(self) -> None:
        # A pty cannot disconnect its host; the link loses the bytes until it is back.
        log.info("link to %s cut by the device", self.path)

    # Bytes.

    def _readable(self) -> None:
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self._hang_up()
            self._wait_for_host()
            return
        if self.link is not None:
            self.link.write(data)

    def _send(self, data: bytes) -> None:
        room = MAX_BUFFER - len(self._buffer)
        if len(data) > room:
            self.bytes_overrun += len(data) - room
            data = data[:room]
        was_empty = not self._buffer
        self._buffer += data
        if was_empty:
            self._drain()

    def _drain(self) -> None:
        assert self._loop is not None
        try:
            sent = os.write(self._master, self._buffer)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            # The host is gone; the reader sees the same EIO and hangs up.
            self._buffer.clear()
            sent = 0
        del self._buffer[:sent]
        if self._buffer:
            self._loop.add_writer(self._master, self._drain)
            self._writing = True
        elif self._writing:  # only then: removing a writer costs a system call per reply
            self._loop.remove_writer(self._master)
            self._writing = False
