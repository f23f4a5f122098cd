"""The simulated device's audit trail (protocols/README.md 13.7): every refusal and probe
counted, none acted on, and logged at a rate an attacker cannot raise."""

from __future__ import annotations

import logging
import random

import pytest

from irlink.protocol import FrameDecoder, Reply, encode_message
from irlink.protocol.framing import content_bytes, frame_content
from irlink.protocol.messages import (
    ErrorCode,
    FrameKind,
    GetInfoRequest,
    GetStatusRequest,
    PairVerifyRequest,
    StartRequest,
)
from irlink.security import Identity, PairedDevice, VerifyHost
from irlink.security.sealed import Sealer
from irlink.sim import SimulatedDevice
from irlink.sim.guard import SUMMARY_INTERVAL_S
from tests.security.wire import fresh, pair, paired_host
from tests.sim.host import TestHost

GUARD = "irlink.sim.guard"


def _lines(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == GUARD and r.levelno == level]


def _verified(device: SimulatedDevice) -> tuple[TestHost, PairVerifyRequest, PairVerifyRequest]:
    """A host paired and verified by hand on a new link, and its step 1 and step 3."""
    me = Identity.create()
    host = TestHost(device)
    made = pair(host, me, device.setup_code)
    assert isinstance(made, PairedDevice)
    check = VerifyHost(me, made.device_id, made.public_key)
    step_1 = check.start()
    answer = host.ask(step_1)
    assert isinstance(answer, Reply)
    step_3 = check.receive(answer.message)
    assert step_3 is not None
    answer = host.ask(step_3)
    assert isinstance(answer, Reply)
    assert check.receive(answer.message) is None
    assert check.keys is not None
    host.codec.channel = check.keys.host()
    return host, step_1, step_3


def test_a_replayed_step_3_is_a_replay_not_a_host_verified_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, device = fresh()
    with caplog.at_level(logging.INFO, logger=GUARD):
        host, _, step_3 = _verified(device)
        assert isinstance(host.ask(step_3), Reply)  # step 4 lost: the host asks again
        assert device.auth.replayed == 0  # a retry, before any sealed frame
        assert isinstance(host.ask(GetStatusRequest()), Reply)  # the session under way
        again = host.ask(step_3)  # a captured step 3, replayed
        assert isinstance(again, Reply)  # answered as ever: step 4 again, session unchanged
        assert again.message.step == 4
        assert isinstance(host.ask(GetStatusRequest()), Reply)
    verified = [line for line in _lines(caplog, logging.INFO) if "verified" in line]
    assert len(verified) == 1  # one session made, one line
    assert device.auth.replayed == 1
    assert any("step 3 repeated" in line for line in _lines(caplog))


def test_probes_are_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A frame of another version, of a kind no host sends, and a replayed pair verify
    step 1: each answered as before (section 13.6, 13.4), and now counted and logged."""
    _, device = fresh()
    with caplog.at_level(logging.WARNING, logger=GUARD):
        host, step_1, _ = _verified(device)
        plain = frame_content(FrameDecoder().feed(encode_message(GetInfoRequest(), 5))[0])
        other = TestHost(device)
        other.pipe.write(content_bytes(b"\x02" + plain[1:]))  # version 2
        third = TestHost(device)  # a link of its own: its first refusal is logged
        third.pipe.write(content_bytes(plain[:1] + bytes([FrameKind.EVENT]) + plain[2:]))
        answers = FrameDecoder().feed(other.pipe.read_now() + third.pipe.read_now())
        assert [a.kind for a in answers] == [FrameKind.ERROR, FrameKind.ERROR]
        assert [ErrorCode(a.body[0]) for a in answers] == [
            ErrorCode.UNSUPPORTED_VERSION,
            ErrorCode.BAD_FRAME,
        ]
        assert device.auth.malformed == 2
        replayed = other.ask(step_1)  # the captured step 1, on another link
        assert isinstance(replayed, Reply)
        assert replayed.message.step == 2
        assert device.auth.replayed == 1
        assert isinstance(host.ask(GetStatusRequest()), Reply)  # the owner's link: untouched
    lines = _lines(caplog)
    assert any("version 2" in line for line in lines)
    assert any(f"kind {int(FrameKind.EVENT)}" in line for line in lines)
    assert any("step 1 with a host key used before" in line for line in lines)


def test_a_flood_of_forged_frames_is_counted_whole_and_logged_in_a_few_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, device = fresh()
    host = paired_host(device)
    rng = random.Random(7)

    def forged(count: int) -> None:
        sealer = Sealer(rng.randbytes(32))  # a key the device never agreed
        for seq in range(count):
            host.pipe.write(
                sealer.seal_encoded(encode_message(StartRequest(port=1, session_id=seq + 1), seq))
            )

    with caplog.at_level(logging.WARNING, logger=GUARD):
        forged(10_000)
        assert device.auth.forged == 10_000  # every frame counted
        assert len(_lines(caplog)) == 1  # the first logged; the rest wait for the summary
        clock.advance(SUMMARY_INTERVAL_S)
        assert len(_lines(caplog)) == 2
        assert "9999 more forged" in _lines(caplog)[-1]
        clock.advance(10 * SUMMARY_INTERVAL_S)
        assert len(_lines(caplog)) == 2  # nothing more refused, nothing more logged
        # A steady flood, 1000 frames every 10 s for 10 minutes: a line a minute at most.
        for _ in range(60):
            forged(1000)
            clock.advance(10)
        assert device.auth.forged == 70_000
        assert len(_lines(caplog)) <= 2 + 11
        # Another link has a trail of its own: its first refusal is logged at once.
        TestHost(device).pipe.write(
            Sealer(bytes(32)).seal_encoded(encode_message(GetStatusRequest(), 1))
        )
        assert device.auth.forged == 70_001
        assert "link 1" in _lines(caplog)[-1]  # paired_host's link is 0
    assert not device.output_on(1)
    # Powering off logs what was counted and not yet logged.
    with caplog.at_level(logging.WARNING, logger=GUARD):
        forged(5)
        before = len(_lines(caplog))
        device.power_off()
        assert len(_lines(caplog)) == before + 1
        assert "5 more forged" in _lines(caplog)[-1]
