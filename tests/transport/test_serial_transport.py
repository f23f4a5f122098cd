"""SerialTransport on a device path: a raw pty whose master the test holds as the device.

A device path is read and written on its descriptor from the event loop (``socket://``
goes through pyserial-asyncio-fast and is covered with every API call in
tests/host/test_every_link.py). Here: bytes both ways, a port that stops taking bytes,
a port that goes away, and a close that lets go of the port at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
import tty
from collections.abc import Iterator

import pytest
import serial

from irlink.errors import LinkLost, TransportError
from irlink.transport.serial import WRITE_HIGH_WATER, SerialTransport

WAIT_S = 5.0  # the most any step may take before the test fails (none waits this long)


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    """A raw pty: the master for the test, the slave's path for the transport."""
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    path = os.ttyname(slave)
    os.close(slave)  # only the transport holds the slave, as only a host holds a port
    os.set_blocking(master, False)
    yield master, path
    with contextlib.suppress(OSError):  # the test closed it already
        os.close(master)


async def _read_master(master: int, size: int) -> bytes:
    """``size`` bytes from the master, as they come (the loop wakes us; no polling)."""
    loop = asyncio.get_running_loop()
    got = bytearray()
    while len(got) < size:
        ready: asyncio.Future[None] = loop.create_future()
        loop.add_reader(master, ready.set_result, None)
        try:
            await asyncio.wait_for(ready, WAIT_S)
        finally:
            loop.remove_reader(master)
        got += os.read(master, 4096)
    return bytes(got)


def test_bytes_go_both_ways_and_close_ends_the_stream(pty: tuple[int, str]) -> None:
    async def body() -> None:
        master, path = pty
        transport = SerialTransport(path)
        await transport.open()
        await transport.write(b"\x01\x02\x03\x00")
        assert await _read_master(master, 4) == b"\x01\x02\x03\x00"
        os.write(master, b"from the device\x00")
        received = transport.received()
        assert await asyncio.wait_for(anext(received), WAIT_S) == b"from the device\x00"
        await transport.close()
        assert transport.closed.is_set()
        assert transport.error is None
        assert [data async for data in received] == []
        with pytest.raises(TransportError, match="closed"):
            await transport.write(b"late")

    asyncio.run(body())


def test_a_closed_port_is_released_at_once(pty: tuple[int, str]) -> None:
    async def body() -> None:
        _, path = pty
        transport = SerialTransport(path)
        await transport.open()
        with pytest.raises(serial.SerialException):  # held exclusively while open
            serial.Serial(path, exclusive=True)
        await transport.close()
        # Another program may take the port the moment close() returns.
        serial.Serial(path, exclusive=True).close()

    asyncio.run(body())


def test_a_port_that_takes_no_bytes_fails_the_write_after_the_timeout(
    pty: tuple[int, str],
) -> None:
    async def body() -> None:
        _, path = pty  # the device never reads the master: the pty's buffer fills
        transport = SerialTransport(path, write_timeout=0.05)
        await transport.open()
        chunk = bytes(WRITE_HIGH_WATER)

        async def fill() -> None:
            for _ in range(1000):  # a pty buffers some KiB: far fewer writes fill it
                await transport.write(chunk)

        with pytest.raises(TransportError, match=r"took no bytes for 0\.05 s; the device is not"):
            await fill()
        assert transport.closed.is_set()
        assert isinstance(transport.error, TransportError)
        with pytest.raises(TransportError):
            await transport.write(b"more")
        await transport.close()
        serial.Serial(path, exclusive=True).close()  # the failed port was let go too

    asyncio.run(body())


def test_a_slow_port_gets_every_byte_in_order(pty: tuple[int, str]) -> None:
    async def body() -> None:
        master, path = pty
        transport = SerialTransport(path, write_timeout=WAIT_S)
        await transport.open()
        data = bytes(range(256)) * 256  # 64 KiB: more than the pty holds at once
        reading = asyncio.ensure_future(_read_master(master, len(data)))
        for i in range(0, len(data), 1000):
            await transport.write(data[i : i + 1000])
        assert await reading == data
        await transport.close()

    asyncio.run(body())


def test_a_port_that_goes_away_is_a_lost_link_that_says_what_to_check(
    pty: tuple[int, str],
) -> None:
    async def body() -> None:
        master, path = pty
        transport = SerialTransport(path)
        await transport.open()
        received = transport.received()
        os.close(master)  # the device is unplugged: the slave reads EIO
        assert [data async for data in received] == []
        assert transport.closed.is_set()
        assert isinstance(transport.error, LinkLost)
        assert f"the link to {path} was lost" in str(transport.error)
        assert "check the cable" in str(transport.error)
        with pytest.raises(LinkLost):
            await transport.write(b"after")
        await transport.close()

    asyncio.run(body())


def test_a_write_to_a_port_that_went_away_fails(pty: tuple[int, str]) -> None:
    async def body() -> None:
        master, path = pty
        transport = SerialTransport(path)
        await transport.open()
        os.close(master)  # the write, not a read, is the first to find it gone
        with pytest.raises(LinkLost, match="was lost"):
            await transport.write(b"x" * 64)
        await transport.close()

    asyncio.run(body())


def test_close_wakes_a_writer_waiting_for_room(pty: tuple[int, str]) -> None:
    async def body() -> None:
        _, path = pty  # nobody reads: the writer soon waits for room
        transport = SerialTransport(path, write_timeout=60)
        await transport.open()

        async def fill() -> None:
            while True:
                await transport.write(bytes(WRITE_HIGH_WATER))

        writer = asyncio.ensure_future(fill())
        while transport._writable.is_set():  # the writer is not waiting yet
            await asyncio.sleep(0)
        await transport.close()
        with pytest.raises(TransportError, match="closed"):  # not after its 60 s timeout
            await asyncio.wait_for(writer, WAIT_S)

    asyncio.run(body())


def test_try_write_sends_at_once_until_the_port_is_full_then_leaves_it_to_write(
    pty: tuple[int, str],
) -> None:
    async def body() -> None:
        master, path = pty  # nobody reads at first: the port's buffer fills
        transport = SerialTransport(path, write_timeout=WAIT_S)
        await transport.open()
        assert transport.try_write(b"\x01\x00")
        assert await _read_master(master, 2) == b"\x01\x00"
        chunk, sent = bytes(WRITE_HIGH_WATER), 0
        while transport.try_write(chunk):  # taken (or queued) at once, up to the mark
            sent += len(chunk)
            assert sent < 1000 * len(chunk), "the port never filled"
        assert not transport._writable.is_set()
        refused = len(chunk)
        reading = asyncio.ensure_future(_read_master(master, sent + refused))
        await transport.write(chunk)  # what try_write declined goes this way
        assert await reading == bytes(sent + refused)
        await transport.close()
        assert not transport.try_write(b"late")  # a closed port: write() says why
        with pytest.raises(TransportError, match="closed"):
            await transport.write(b"late")

    asyncio.run(body())


def test_try_write_to_a_port_that_went_away_fails(pty: tuple[int, str]) -> None:
    async def body() -> None:
        master, path = pty
        transport = SerialTransport(path)
        await transport.open()
        os.close(master)
        with pytest.raises(LinkLost, match="was lost"):
            transport.try_write(b"x" * 64)
        await transport.close()

    asyncio.run(body())
