"""The host against an attacker on the link around pair verify (IRLink 1.2, section 13).

Before a link is verified nothing the device says is authenticated: whoever can write to
the link can add frames of their own or edit the device's. The host must not hand a plain
event on once it knows the device has security, must not let a forged plain "no session"
refusal stop it verifying, must wait as long as the spec lets a device take over pair
setup, and must use only the ``get_info`` it read sealed (tests/security/onpath.py has
the link and the attacker).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from irlink.device import Device
from irlink.errors import LinkLost
from irlink.events import DeviceEvent, FaultRaised, LinkDown, LinkRestored
from irlink.protocol import HostCodec, Reply, encode_message
from irlink.protocol.codec import encode_error
from irlink.protocol.framing import Frame, FrameDecoder
from irlink.protocol.messages import (
    ErrorCode,
    ErrorReply,
    FaultRaisedEvent,
    FrameKind,
    GetInfoRequest,
    GetInfoResponse,
)
from irlink.security import InfoAltered, parse_setup_code
from irlink.security.keystore import KeyStore
from irlink.sim import ManualClock, SimulatedDevice
from tests.host.links import FAST
from tests.security.onpath import (
    Attacker,
    VirtualTime,
    nth,
    paired_sim,
    setup_step,
    verify_step,
    with_device,
)

FAULT = encode_message(FaultRaisedEvent(port=0, fault=1), 7)  # "over temperature", in plain
NO_SESSION = encode_error(0, 0, ErrorReply(code=ErrorCode.UNAUTHORIZED, field=0, limit=0))
CODE = "482-19-736"


def get_info(frame: Frame) -> bool:
    return frame.kind == int(FrameKind.REQUEST) and frame.msg_id == GetInfoRequest.MSG_ID


def sealed(frame: Frame) -> bool:
    return frame.kind == int(FrameKind.SEALED)


async def until(done: Callable[[], bool]) -> None:
    """Let the loop run until ``done`` (the device answers in the loop's next turns)."""
    for _ in range(2000):
        if done():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never happened")


def test_a_plain_event_before_verify_is_dropped_not_handed_on() -> None:
    """Between get_info and the end of pair verify, and on every link after, a plain event
    from a device with security is the attacker's: dropped and counted, never seen."""
    sim = paired_sim()
    attacker = Attacker()
    attacker.after(get_info, FAULT)  # in the very bytes of the get_info answer
    attacker.after(verify_step(1), FAULT)
    attacker.after(verify_step(3), FAULT)
    seen: list[DeviceEvent] = []

    async def body(dev: Device) -> None:
        assert dev.secured
        assert dev.stats.plain_dropped == 3
        # A new link: dropped even before its get_info is answered (known from the last).
        attacker.instead(get_info, lambda out: FAULT + out)
        attacker.after(verify_step(1), FAULT)
        await dev._transport.close()  # type: ignore[union-attr]
        await until(lambda: any(isinstance(e, LinkRestored) for e in seen))
        assert dev.stats.plain_dropped == 5
        await dev.status()

    with_device(sim, attacker, body, seen=seen, reconnect=FAST)
    assert attacker.applied == 5
    assert not [e for e in seen if isinstance(e, FaultRaised)]
    assert [type(e) for e in seen] == [LinkDown, LinkRestored]


def test_a_forged_no_session_refusal_while_connecting_does_not_stop_it() -> None:
    """The plain "no session for this link" refusal is authenticated by nothing: one forged
    while the link is verified and read does not end the connection or its session."""
    sim = paired_sim()
    attacker = Attacker()
    attacker.after(verify_step(1), NO_SESSION)
    attacker.after(verify_step(3), NO_SESSION)
    attacker.after(sealed, NO_SESSION)  # the first sealed answer of the session

    async def body(dev: Device) -> None:
        assert dev.secured
        assert (await dev.status()).boot_count == 1
        await dev.pairings()
        assert dev.secured
        assert (dev.stats.verifies, dev.stats.links_lost) == (1, 0)

    with_device(sim, attacker, body)
    assert attacker.applied == 3
    assert sim.auth.unauthorized == 0  # nothing was sent in plain that needs a session


def test_a_forged_no_session_refusal_while_reconnecting_does_not_end_reconnection() -> None:
    sim = paired_sim()
    attacker = Attacker()
    seen: list[DeviceEvent] = []

    async def body(dev: Device) -> None:
        attacker.after(verify_step(1), NO_SESSION)
        attacker.after(verify_step(3), NO_SESSION)
        attacker.after(sealed, NO_SESSION)
        await dev._transport.close()  # type: ignore[union-attr]
        await until(lambda: any(isinstance(e, LinkRestored) for e in seen))
        assert attacker.applied == 3
        assert dev.secured
        await dev.status()
        assert (dev.stats.verifies, dev.stats.links_lost, dev.stats.reconnects) == (2, 1, 1)

    with_device(sim, attacker, body, seen=seen, reconnect=FAST)
    assert sim.auth.unauthorized == 0


def _refusing_pair_verify(out: bytes) -> bytes:
    """A forged plain ``unauthorized`` answering the host's pair verify step 1, ahead of
    the device's real answer (which the host then takes as late)."""
    from irlink.protocol.codec import encode_error
    from irlink.protocol.framing import FrameDecoder
    from irlink.protocol.messages import ErrorCode, ErrorReply, PairVerifyRequest

    [frame] = FrameDecoder().feed(out)
    refusal = ErrorReply(code=ErrorCode.UNAUTHORIZED, field=0, limit=0)
    return encode_error(frame.seq, PairVerifyRequest.MSG_ID, refusal) + out


def test_a_forged_refusal_of_pair_verify_while_reconnecting_does_not_end_reconnection() -> None:
    """Found in review: one forged plain refusal of pair verify read as "the device removed
    this host's pairing" and ended reconnection for good. Nothing before or in the verify's
    plain answers is authenticated: the host tries again, and the next attempt verifies."""
    sim = paired_sim()
    attacker = Attacker()
    seen: list[DeviceEvent] = []

    async def body(dev: Device) -> None:
        attacker.instead(verify_step(1), _refusing_pair_verify)
        await dev._transport.close()  # type: ignore[union-attr]
        await until(lambda: any(isinstance(e, LinkRestored) for e in seen))
        assert attacker.applied == 1
        assert dev._gave_up is None
        assert dev.secured
        await dev.status()

    with_device(sim, attacker, body, seen=seen, reconnect=FAST)


def test_a_forged_no_session_refusal_while_verifying_again_does_not_drop_the_link() -> None:
    """After a real loss (the device restarted) the host verifies again on the same link;
    a forged refusal then does not end that either (no reconnection here to fall back on)."""
    sim = paired_sim()
    attacker = Attacker()

    async def body(dev: Device) -> None:
        sim.reboot()  # a real loss: the device's next answer is the plain refusal
        attacker.after(verify_step(3), NO_SESSION)
        attacker.after(nth(sealed, 2), NO_SESSION)  # the first sealed one verifying again
        assert (await dev.status()).boot_count == 2
        await until(lambda: dev.connected)
        assert attacker.applied == 2
        assert dev.secured
        await dev.status()
        assert (dev.stats.verifies, dev.stats.links_lost) == (2, 0)

    with_device(sim, attacker, body)


def test_a_real_loss_of_the_session_while_reconnecting_still_recovers() -> None:
    """The device restarts just after it answered pair verify: its "no session" refusals
    are real, the host's sealed reads go unanswered, and it connects again."""
    sim = paired_sim()
    attacker = Attacker()
    seen: list[DeviceEvent] = []

    def restart_after(out: bytes) -> bytes:
        sim.reboot()
        return out

    async def body(dev: Device) -> None:
        attacker.instead(verify_step(3), restart_after)
        await dev._transport.close()  # type: ignore[union-attr]
        await until(lambda: any(isinstance(e, LinkRestored) for e in seen))
        assert dev.secured
        assert (await dev.status()).boot_count == 2
        assert dev.stats.verifies == 3  # the first link's, the one the restart ended, the last
        assert dev.stats.reconnects == 1

    links = with_device(sim, attacker, body, seen=seen, reconnect=FAST)
    assert len(links) == 3


def test_a_real_loss_of_the_session_while_connecting_says_so() -> None:
    sim = paired_sim()
    attacker = Attacker()

    def restart_after(out: bytes) -> bytes:
        sim.reboot()
        return out

    attacker.instead(verify_step(3), restart_after)

    async def body(dev: Device) -> None:
        with pytest.raises(LinkLost, match="ended the verified session"):
            await dev._open()

    with_device(sim, attacker, body, opened=False)


def test_pair_setup_waits_30_s_for_each_answer_and_says_it_is_waiting() -> None:
    """Section 13.3: SRP on a small device is slow; a host waits at least 30 s for each
    answer of pair setup. The device here takes 29 s over step 3 (loop time, skipped)."""
    clock = ManualClock()
    sim = SimulatedDevice("waistband", clock=clock, setup_code=CODE)
    attacker = Attacker()
    held: list[bytes] = []
    step_3 = setup_step(3)
    asked: list[Frame] = []

    def last_part_of_step_3(frame: Frame) -> bool:
        if step_3(frame):
            asked.append(frame)
            return frame.body[1] == frame.body[2] - 1  # the last part: the device computes
        return False

    def slowly(out: bytes) -> bytes:
        held.append(out)
        return b""

    attacker.instead(last_part_of_step_3, slowly)
    told: list[str] = []

    async def body(dev: Device) -> None:
        dev._pairing = parse_setup_code(CODE)
        dev.notice = told.append
        pairing = asyncio.ensure_future(dev._open())
        await until(lambda: bool(held))
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTime)
        parts = len(asked)
        for _ in range(29):
            loop.skip(1)
            await asyncio.sleep(0.001)
        assert not pairing.done()
        assert len(asked) == parts  # waited: not sent again, not given up
        [said] = told  # once, after the usual wait
        assert "waiting for tapped (IRL-W2 0001) to answer pair setup" in said
        assert "up to 30 s" in said
        dev._transport._deliver(held[0])  # type: ignore[union-attr]
        await pairing
        assert dev.paired is not None
        assert dev.secured

    with_device(sim, attacker, body, opened=False)
    assert KeyStore.open().pairing_for("0001") is not None
    assert sim.auth.wrong_codes == 0


def _edited(out: bytes, edit: Callable[[GetInfoResponse], dict[str, object]]) -> bytes:
    """The device's plain get_info answer with the changes ``edit`` makes, same seq."""
    [frame] = FrameDecoder().feed(out)
    said = HostCodec().read(frame)
    assert isinstance(said, Reply)
    assert isinstance(said.message, GetInfoResponse)
    return encode_message(said.message.model_copy(update=edit(said.message)), said.seq)


def test_a_get_info_edited_before_verify_is_refused_never_used() -> None:
    """The limits the host enforces come from get_info, read in plain before verify: the
    host reads it again sealed and refuses a connection whose two do not agree."""
    sim = paired_sim()
    attacker = Attacker()
    levels: list[int] = []

    def more_levels(info: GetInfoResponse) -> dict[str, object]:
        levels.append(info.intensity_levels)
        return {"intensity_levels": info.intensity_levels + 2}

    attacker.instead(get_info, lambda out: _edited(out, more_levels))

    async def body(dev: Device) -> None:
        told: list[str] = []
        dev._security = lambda kind, detail="", **data: told.append(kind)  # type: ignore[method-assign,func-returns-value,assignment,return-value]
        with pytest.raises(InfoAltered) as refused:
            await dev._open()
        assert "info_altered" in told  # the session log's security events get it
        assert dev._info is None  # the altered info is not kept as the device's
        message = str(refused.value)
        [real] = levels
        assert f"intensity_levels {real + 2} in plain, {real} verified" in message
        assert "something on the link altered it" in message
        assert "connect again" in message
        assert not dev.connected

    with_device(sim, attacker, body, opened=False)
    assert not sim.output_on(1)


def test_pairing_with_a_get_info_edited_before_verify_is_refused_and_keeps_nothing() -> None:
    sim = SimulatedDevice("waistband", clock=ManualClock(), setup_code=CODE)
    attacker = Attacker()
    attacker.instead(get_info, lambda out: _edited(out, lambda _: {"session_max_s": 65535}))

    async def body(dev: Device) -> None:
        dev._pairing = parse_setup_code(CODE)
        with pytest.raises(InfoAltered, match="session_max_s 65535 in plain") as refused:
            await dev._open()
        assert "refused the pairing, and kept nothing on this host" in str(refused.value)

    with_device(sim, attacker, body, opened=False)
    assert KeyStore.open().pairings() == []
