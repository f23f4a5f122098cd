"""Serve a simulated device on TCP, for pyserial's ``socket://127.0.0.1:PORT`` URLs.

Each client connection is one host link. When the device cuts its link (a scenario's
link drop) the server closes the connection, as a pulled cable would end it, and
turns away new connections until the link is back. Only the loopback interface is
ever bound: the simulator is a test fixture, not a network service.

>>> import asyncio
>>> from irlink.sim import SimulatedDevice
>>> async def main() -> str:
...     async with TcpServer(SimulatedDevice("waistband")) as server:
...         return server.url
>>> asyncio.run(main()).startswith("socket://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from irlink.sim.device import SimulatedDevice
from irlink.sim.link import Link
from irlink.sim.serve.threads import Outbox, Served

__all__ = ["HOST", "TcpServer"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
# A client that never reads: past this the device's bytes are lost, as a UART overruns.
MAX_BUFFER = 256 * 1024


class TcpServer(Served):
    """One simulated device on a TCP port of 127.0.0.1; one host link per connection."""

    def __init__(self, device: SimulatedDevice, port: int = 0) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0..65535 (0 picks a free one), not {port}")
        self.device = device
        self.port = port  # the bound port once started
        self.connections: set[_Connection] = set()
        self.refused = 0  # connections turned away while the link was cut
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The pyserial URL of this server: ``socket://127.0.0.1:PORT``."""
        return f"socket://{HOST}:{self.port}"

    @property
    def address(self) -> str:
        """What a serial program opens: the pyserial URL."""
        return self.url

    async def start(self) -> None:
        """Listen on the port (a free one if it is 0)."""
        if self._server is not None:
            raise RuntimeError("this TcpServer is already serving")
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), HOST, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("%s %s serving on %s", self.device.family, self.device.serial, self.url)

    async def close(self) -> None:
        """Stop listening and end every connection."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for connection in list(self.connections):
            connection.end(abort=True)
        await server.wait_closed()
        # Let the transports run their connection_lost callbacks before the loop ends.
        await asyncio.sleep(0)


class _Connection(asyncio.Protocol):
    """One client: its transport, its link to the device, and the outbox between them."""

    def __init__(self, server: TcpServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.outbox: Outbox | None = None
        self.link: Link | None = None
        self.peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = f"{host}:{port}"
        device = self.server.device
        with device.lock:  # so a cut cannot fall between the check and the open
            if not device.link_up:
                self.server.refused += 1
                log.info("refused %s: the link is cut", self.peer)
                transport.close()
                return
            self.outbox = Outbox(self.loop, self._send)
            self.link = device.open_link(self.outbox.put, self._cut)
        self.server.connections.add(self)
        log.info("client %s connected to %s", self.peer, self.server.url)

    def data_received(self, data: bytes) -> None:
        if self.link is not None:
            self.link.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.outbox is not None:
            self.outbox.close()
        if self.link is not None:
            self.link.close()
            log.info("client %s disconnected", self.peer)
        self.server.connections.discard(self)

    def _send(self, data: bytes) -> None:
        assert self.transport is not None
        if self.transport.get_write_buffer_size() > MAX_BUFFER:
            return
        self.transport.write(data)

    def _cut(self) -> None:
        # Called under the device's lock from whichever thread moved its clock.
        log.info("link to %s cut by the device; closing the connection", self.peer)
        with contextlib.suppress(RuntimeError):  # a closed loop has ended the connection too
            self.loop.call_soon_threadsafe(self.end)

    def end(self, *, abort: bool = False) -> None:
        """Close the connection: after the bytes already queued, or at once if ``abort``."""
        if self.transport is None:
            return
        if abort:
            self.transport.abort()
        elif not self.transport.is_closing():
            self.transport.close()
