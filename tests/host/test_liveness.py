"""When an unanswered request is tried again, and when silence means a lost link.

The rule is irlink.liveness's: four tries when nothing at all comes back, up to 25 while
the device is heard, and a lost link only after a run of silent tries as long as this
link's own noise makes unlikely. A scripted link decides the fate of each try.
"""

from __future__ import annotations

import asyncio

import pytest

import irlink
from irlink.connection import Connection
from irlink.device import Device
from irlink.liveness import NOISE_ODDS, SILENCE_WINDOW, Liveness
from irlink.protocol.framing import FrameDecoder
from tests.host.scripted import Mangle, Scripted, run_with

QUICK = 0.01  # a scripted link answers in the loop's next turn


def silent(_: bytes, out: bytes) -> bytes:
    """The try's request or its answer lost whole: nothing comes back."""
    return b""


def damaged(_: bytes, out: bytes) -> bytes:
    """The answer comes back with a flipped bit: the host's decoder drops it."""
    return out[:3] + bytes([out[3] ^ 0x10]) + out[4:]


def intact(_: bytes, out: bytes) -> bytes:
    return out


def test_a_link_that_has_not_gone_silent_lately_is_lost_after_the_usual_tries() -> None:
    liveness = Liveness()
    assert liveness.silent_limit(1000, 4, 25) == 4
    liveness.lived([10, 20])  # long ago: out of the window
    assert liveness.silent_limit(10 + SILENCE_WINDOW + 1, 4, 25) == 4


def test_a_link_that_goes_silent_while_alive_needs_a_run_its_noise_makes_unlikely() -> None:
    liveness = Liveness()
    liveness.lived(list(range(5, 129, 5)))  # 25 of the last 128 tries were silent, then heard
    share = 25 / 128
    assert share**9 <= NOISE_ODDS < share**8
    assert liveness.silent_limit(128, 4, 25) == 9
    assert liveness.silent_limit(128, 4, 7) == 7  # never more than the most tries
    liveness.lived(list(range(129, 129 + SILENCE_WINDOW)))  # every recent try silent
    assert liveness.silent_limit(128 + SILENCE_WINDOW, 4, 25) == 25


def test_a_silent_link_is_lost_after_four_tries() -> None:
    link = Scripted()

    async def body(device: Device) -> None:
        tries = link.tries
        link.mangles += [silent] * 30
        with pytest.raises(irlink.RequestTimeout, match="nothing at all came back") as caught:
            await device.status()
        assert caught.value.silent
        assert link.tries - tries == 4
        assert (device.stats.links_lost, device.connected) == (1, False)

    run_with(link, body, timeout=QUICK)


@pytest.mark.parametrize("damaged_tries", [24, 25])
def test_while_the_device_is_heard_a_request_gets_25_tries_and_the_link_is_kept(
    damaged_tries: int,
) -> None:
    link = Scripted()

    async def body(device: Device) -> None:
        tries = link.tries
        link.mangles += [damaged] * damaged_tries
        if damaged_tries < 25:
            assert (await device.status()).battery_pct == 100  # the 25th try's answer
        else:
            with pytest.raises(irlink.RequestTimeout, match="the link is noisy") as caught:
                await device.status()
            assert not caught.value.silent
        assert link.tries - tries == 25
        assert (device.stats.links_lost, device.connected) == (0, True)

    run_with(link, body, timeout=QUICK)


def test_only_silent_tries_in_a_row_count_towards_a_lost_link() -> None:
    link = Scripted()

    async def body(device: Device) -> None:
        tries = link.tries
        link.mangles += ([silent] * 3 + [damaged]) * 7  # never four silent tries in a row
        with pytest.raises(irlink.RequestTimeout, match="the link is noisy"):
            await device.status()
        assert link.tries - tries == 25
        assert device.connected

    run_with(link, body, timeout=QUICK)


# 96 requests, every fourth of them answered only on its second try, the first being
# silent: then 24 of the link's last 124 tries (the connection's 3 included) went silent
# while the device was there. Silence on such a link is taken as loss after 9 tries in a
# row: (24/124) ** 9 is below one in a million, (24/124) ** 8 is not.
NOISY_HISTORY: list[Mangle] = [
    mangle for i in range(96) for mangle in ([silent, intact] if i % 4 == 0 else [intact])
]


@pytest.mark.parametrize(("silent_tries", "lost"), [(8, False), (30, True)])
def test_on_a_link_that_goes_silent_now_and_then_a_longer_silence_means_loss(
    silent_tries: int, lost: bool
) -> None:
    link = Scripted()
    share = 24 / 124
    assert share**9 <= NOISE_ODDS < share**8

    async def body(device: Device) -> None:
        link.mangles += NOISY_HISTORY
        for _ in range(96):
            await device.status()
        assert not link.mangles
        tries = link.tries
        link.mangles += [silent] * silent_tries
        if lost:
            with pytest.raises(irlink.RequestTimeout, match="for the last 9;"):
                await device.status()
        else:
            await device.status()
        assert link.tries - tries == min(silent_tries + 1, 9)
        assert device.connected is not lost

    run_with(link, body, timeout=QUICK)


TRY = 0.04  # the reconnection test's try: ten frames come in each while it is heard


def _unlinked(address: str) -> Connection:
    """A connection whose link the test sets by hand (it never opens one itself)."""

    async def never() -> irlink.Transport:
        raise AssertionError("not reached")

    return Connection(never, address=address, timeout=TRY, retries=3)


def _reconnecting(heard: bool, flapping: bool = False) -> tuple[float, str]:
    """A status asked while the link is being restored (not ready) for 12 tries' time;
    ``heard``: the new link's decoder takes frames meanwhile (a noisy reconnection
    under way). How long the request waited, and how it ended."""
    from irlink.protocol.messages import GetStatusRequest

    async def body() -> tuple[float, str]:
        connection = _unlinked("test://reconnecting")
        sentinel = object()
        connection._transport = sentinel  # type: ignore[assignment]
        loop = asyncio.get_running_loop()

        async def restore() -> None:
            for _ in range(12 * 10):  # 12 tries' time, heard ten times a try
                await asyncio.sleep(TRY / 10)  # the reconnection's own tries, not a device
                if flapping:  # a link attempt that failed: a new decoder, nothing heard
                    connection._codec.decoder = FrameDecoder()
                if heard:
                    connection._codec.decoder.feed(b"\x05garbled\x00")  # dropped, but heard
            connection._ready.set()

        restoring = asyncio.ensure_future(restore())
        began = loop.time()
        try:
            got = await connection._link_for(GetStatusRequest(), False, 4, 25)
            outcome = "sent" if got is sentinel else "other"
        except irlink.LinkLost as exc:
            outcome = f"LinkLost: {exc}"
        waited = loop.time() - began
        await restoring
        return waited, outcome

    result: tuple[float, str] = asyncio.run(body())
    return result


def test_a_request_waits_for_a_reconnection_heard_making_progress() -> None:
    waited, outcome = _reconnecting(heard=True)
    assert outcome == "sent"
    assert waited > 4 * TRY  # past the 4 tries' worth it waits for a silent one


@pytest.mark.parametrize("flapping", [False, True])
def test_a_request_does_not_wait_past_its_tries_for_a_silent_reconnection(flapping: bool) -> None:
    waited, outcome = _reconnecting(heard=False, flapping=flapping)
    assert outcome.startswith("LinkLost")
    assert "not sent" in outcome
    assert waited < 12 * TRY


def test_a_start_waiting_for_the_link_is_not_sent_to_a_device_that_restarted_meanwhile() -> None:
    """A start asked while the link is being restored, onto a device that restarted
    meanwhile (back at its defaults), is refused unsent, never sent to it."""
    from irlink.protocol.messages import StartRequest, StartResponse

    class Recording:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def try_write(self, data: bytes) -> bool:
            self.writes.append(data)
            return True

        async def write(self, data: bytes) -> None:
            self.writes.append(data)

    async def body() -> tuple[str, int]:
        connection = _unlinked("test://restarted")
        link = Recording()
        connection._transport = link  # type: ignore[assignment]
        connection._linked.set()  # linked, not yet ready: the reconnection reads the device

        async def restore() -> None:
            for _ in range(10):
                await asyncio.sleep(TRY / 10)  # the reconnection's own tries, not a device
                connection._codec.decoder.feed(b"\x05garbled\x00")
            connection._boots += 1  # the reconnection found the device restarted
            connection._ready.set()

        restoring = asyncio.ensure_future(restore())
        try:
            await connection.request(StartRequest(port=1, session_id=7), StartResponse)
            outcome = "sent"
        except irlink.DeviceRestarted as exc:
            outcome = str(exc)
        await restoring
        return outcome, len(link.writes)

    outcome, writes = asyncio.run(body())
    assert "restarted while the link was being restored" in outcome
    assert "start was not sent" in outcome
    assert writes == 0
