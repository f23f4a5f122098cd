"""Outbox: device bytes from any thread, written on the loop in the order they were put."""

from __future__ import annotations

import asyncio
import threading

from irlink.sim.serve.threads import Outbox


def test_bytes_put_on_the_loop_thread_are_written_at_once_and_uncopied() -> None:
    async def body() -> None:
        written: list[bytes] = []
        outbox = Outbox(asyncio.get_running_loop(), written.append)
        reply = b"a reply"
        outbox.put(reply)
        assert written == [reply]
        assert written[0] is reply

    asyncio.run(body())


def test_a_reply_waits_behind_bytes_another_thread_put_until_the_loop_flushes() -> None:
    async def body() -> None:
        written: list[bytes] = []
        outbox = Outbox(asyncio.get_running_loop(), written.append)
        sender = threading.Thread(target=outbox.put, args=(b"event",))
        sender.start()
        sender.join()
        assert written == []  # its flush is scheduled on the loop, which has not run it
        outbox.put(b"reply")  # so the reply waits behind the event, for that flush
        assert written == []
        outbox.flush()  # as the loop runs it
        assert written == [b"eventreply"]
        outbox.put(b"next")  # nothing queued any more: straight through again
        assert written == [b"eventreply", b"next"]

    asyncio.run(body())


def test_a_closed_outbox_writes_nothing() -> None:
    async def body() -> None:
        written: list[bytes] = []
        outbox = Outbox(asyncio.get_running_loop(), written.append)
        outbox.close()
        outbox.put(b"late")
        assert written == []

    asyncio.run(body())
