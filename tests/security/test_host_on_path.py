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

from irlink.device import Device
from irlink.events import DeviceEvent, FaultRaised, LinkDown, LinkRestored
from irlink.protocol import encode_message
from irlink.protocol.codec import encode_error
from irlink.protocol.framing import Frame
from irlink.protocol.messages import (
    ErrorCode,
    ErrorReply,
    FaultRaisedEvent,
    FrameKind,
    GetInfoRequest,
)
from tests.host.links import FAST
from tests.security.onpath import (
    Attacker,
    paired_sim,
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
