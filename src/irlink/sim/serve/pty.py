"""Serve a simulated device on a pseudo-terminal, as a USB serial device would appear.

The slave end (``/dev/pts/N``) is a real tty in raw mode: no echo, no line discipline,
so pyserial, ``screen`` or any serial program opens it like a port. The server keeps
only the master end. When the host closes the slave the master reads EIO and polls
HUP; the server then drops the host's link and checks now and then for the next host,
instead of waking on the never-ending HUP. Linux semantics; other kernels differ.

The master is served by a thread of its own, not by the event loop: it blocks in
``poll()`` and hands what it reads to the device at once, so a request costs no loop
turn. The device's bytes are written to the master straight from whichever thread
sends them (the I/O thread answering a request, a test advancing a manual clock, the
loop moving a real one), in the order the device sent them. Only what the master will
not take now (a host that does not read) is kept, up to :data:`MAX_BUFFER`, for the
I/O thread to write when the master polls writable; a pipe wakes it to notice that,
and to stop. The server works the same on the loop its host runs on and on one of
its own (:func:`~irlink.sim.serve.threads.serve_in_thread`).

>>> import asyncio
>>> from irlink.sim import SimulatedDevice
>>> async def main() -> str:
...     async with PtyServer(SimulatedDevice("waistband")) as server:
...         return server.path
>>> asyncio.run(main()).startswith("/dev/")
True
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import termios
import threading
import tty

from irlink.sim.device import SimulatedDevice
from irlink.sim.link import Link
from irlink.sim.serve.threads import Served

__all__ = ["PtyServer"]

log = logging.getLogger(__name__)

READ_SIZE = 4096
# How often to look for a host while nobody holds the slave: quick enough that the
# first request after an open waits unnoticed, rare enough to cost no CPU.
PROBE_S = 0.05
# A host that holds the port open but never reads: past this the device's bytes are
# lost, as a UART overruns, rather than piling up without bound.
MAX_BUFFER = 256 * 1024

_READABLE = select.POLLIN | select.POLLHUP | select.POLLERR


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
        self._wake_r = self._wake_w = -1  # a pipe that wakes the I/O thread from poll()
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Guards what follows, and every write to the master: the device sends from any
        # thread, and the I/O thread writes what was kept back.
        self._out = threading.Lock()
        self._connected = False  # whether device bytes go to the master (a host is there)
        self._buffer = bytearray()  # device bytes the master would not take yet

    @property
    def address(self) -> str:
        """What a serial program opens: the slave's path."""
        return self.path

    async def start(self) -> None:
        """Make the pty and wait (in the I/O thread) for a host to open it."""
        if self._master >= 0:
            raise RuntimeError("this PtyServer is already serving")
        master, slave = os.openpty()
        try:
            tty.setraw(slave, termios.TCSANOW)
            self.path = os.ttyname(slave)
            self._wake_r, self._wake_w = os.pipe()
        except BaseException:
            os.close(master)
            raise
        finally:
            # Only the host holds the slave, so its close reaches us as EIO/HUP; the
            # raw mode outlives this close because the master keeps the tty alive.
            os.close(slave)
        os.set_blocking(master, False)
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._master = master
        self._stopping = False
        self.waiting.set()
        self._thread = threading.Thread(target=self._serve, name=f"pty {self.path}", daemon=True)
        self._thread.start()
        log.info("%s %s serving on %s", self.device.family, self.device.serial, self.path)

    async def close(self) -> None:
        """Stop serving: the host's link closes and the pty goes away."""
        if self._master < 0:
            return
        self._stopping = True
        self._wake()
        if self._thread is not None:
            self._thread.join()  # prompt: the pipe has woken it, and nothing it does waits long
            self._thread = None
        self._hang_up()  # if the thread could not (it failed)
        with self._out:
            master, self._master = self._master, -1
        os.close(master)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._wake_r = self._wake_w = -1
        self.waiting.set()

    def _wake(self) -> None:
        # A full pipe is wake-up enough: the thread has not read what is in it yet.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, READ_SIZE)

    # The I/O thread.

    def _serve(self) -> None:
        try:
            while self._wait_for_host():
                self._host_opened()
                self._serve_host()
                self._hang_up()
                self.waiting.set()
        except Exception:
            log.exception("the pty server on %s failed", self.path)
        finally:
            self._hang_up()

    def _wait_for_host(self) -> bool:
        """Look for a host every PROBE_S; False when the server is closing."""
        idle = select.poll()
        idle.register(self._wake_r, select.POLLIN)
        probe = select.poll()
        probe.register(self._master, select.POLLIN)  # HUP is reported whatever is asked
        while not self._stopping:
            if idle.poll(PROBE_S * 1000):
                self._drain_wake()
                continue
            if not any(events & select.POLLHUP for _, events in probe.poll(0)):
                return not self._stopping
        return False

    def _host_opened(self) -> None:
        self.hosts_served += 1
        self.waiting.clear()
        with self._out:
            self._connected = True
        self.link = self.device.open_link(self._deliver, self._link_cut)
        log.info("host opened %s", self.path)

    def _serve_host(self) -> None:
        """Move bytes until the host closes the slave or the server closes."""
        master = self._master
        poll = select.poll()
        poll.register(self._wake_r, select.POLLIN)
        poll.register(master, select.POLLIN)
        asked = select.POLLIN
        while not self._stopping:
            wanted = (select.POLLIN | select.POLLOUT) if self._buffer else select.POLLIN
            if wanted != asked:
                poll.modify(master, wanted)
                asked = wanted
            for fd, events in poll.poll():
                if fd != master:
                    self._drain_wake()
                    continue
                if events & select.POLLOUT:
                    self._flush()
                if events & _READABLE and not self._read(events):
                    return

    def _read(self, events: int) -> bool:
        """Hand the host's bytes to the device; False when the host has closed the slave."""
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return not (events & select.POLLHUP)
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            data = b""
        if not data:
            return False
        link = self.link
        if link is not None:
            try:
                link.write(data)
            except Exception:
                # The device failed on these bytes; the host's next request may do better.
                log.exception("simulated %s failed on a request", self.device.family)
        return True

    def _hang_up(self) -> None:
        """The host closed the slave (or we are closing): forget it and its bytes."""
        with self._out:
            self._connected = False
            self._buffer.clear()
        if self.link is not None:
            self.link.close()
            self.link = None
            log.info("host closed %s", self.path)

    def _link_cut(self) -> None:
        # A pty cannot disconnect its host; the link loses the bytes until it is back.
        log.info("link to %s cut by the device", self.path)

    # Device bytes, from any thread (the device calls under its lock).

    def _deliver(self, data: bytes) -> None:
        with self._out:
            if not self._connected:
                return
            if self._buffer:  # behind bytes kept back: after them, in order
                self._keep(data)
                return
            try:
                sent = os.write(self._master, data)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                return  # the host is gone; the I/O thread reads the same EIO and hangs up
            if sent < len(data):
                self._keep(data[sent:])
                self._wake()  # so the I/O thread polls for writable too

    def _keep(self, data: bytes) -> None:
        room = MAX_BUFFER - len(self._buffer)
        if len(data) > room:
            self.bytes_overrun += len(data) - room
            data = data[:room]
        self._buffer += data

    def _flush(self) -> None:
        with self._out:
            if not self._buffer:
                return
            try:
                sent = os.write(self._master, self._buffer)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                self._buffer.clear()  # the host is gone; the read sees the same EIO
                return
            del self._buffer[:sent]
