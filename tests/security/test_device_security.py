"""The simulated device enforces IRLink 1.2 (protocols/README.md section 13), at the wire.

Each test speaks frames to a device fresh from the factory through the in-process pipe:
deny by default before verify, pairing and its guessing limit on the device's clock,
a verified session per link, sealed answers and events, and every forged, replayed or
plain frame dropped (or refused), counted, and never acted on.
"""

from __future__ import annotations

import logging
import random

import pytest

from irlink.protocol import FrameDecoder, Refusal, Reply, decode_message
from irlink.protocol.framing import HEADER, crc16, frame_content
from irlink.protocol.messages import (
    REQUESTS,
    CapabilityFlags,
    EndReason,
    ErrorCode,
    FrameKind,
    GetInfoRequest,
    GetStatusRequest,
    ListPairingsRequest,
    PairSetupRequest,
    PairVerifyRequest,
    RemovePairingRequest,
    StartRequest,
    StatusEvent,
    StopRequest,
    SubscribeRequest,
)
from irlink.security import Identity, parse_setup_code
from irlink.security.pairings import MAX_PAIRINGS
from irlink.sim import SimulatedDevice
from tests.security.wire import fresh, pair, paired_host, refusal, verify
from tests.sim.host import TestHost
from tests.sim.rig import configure

UNAUTHORIZED = ErrorCode.UNAUTHORIZED
WRONG = parse_setup_code("482-19-737")
# Requests that would act on the device, one of each (body values the device accepts).
ACTIONS = [
    configure(),
    StartRequest(port=1, session_id=7),
    StopRequest(port=0),
    SubscribeRequest(period_ms=1000),
]


def test_a_device_with_security_says_so_and_keeps_its_code_and_identity() -> None:
    _, device = fresh(serial="0042")
    host = TestHost(device)
    info = host.ok(GetInfoRequest())
    assert info.protocol_minor == 2
    assert info.capabilities & CapabilityFlags.SECURE
    assert device.setup_code == SimulatedDevice("waistband", serial="0042").setup_code
    assert str(SimulatedDevice("waistband", setup_code="123-45-679").setup_code) == "123-45-679"
    older = TestHost(SimulatedDevice("waistband", protocol_minor=1)).ok(GetInfoRequest())
    assert not older.capabilities & CapabilityFlags.SECURE  # secure came with 1.2


@pytest.mark.parametrize("family", ["waistband", "multiport", "firmat"])
def test_before_verify_every_request_but_info_and_pairing_is_unauthorized(family: str) -> None:
    _, device = fresh(family)
    host = TestHost(device)
    for msg_id, cls in REQUESTS.items():
        if cls.model_fields or msg_id in (PairSetupRequest.MSG_ID, PairVerifyRequest.MSG_ID):
            continue
        answer = host.ask(cls())
        if msg_id == GetInfoRequest.MSG_ID:
            assert isinstance(answer, Reply)
        else:
            assert refusal(answer) == (UNAUTHORIZED, 0, 0), cls.NAME
    start = StartRequest(port=1, session_id=9)
    for request in [*ACTIONS, start, RemovePairingRequest(pairing_id=tuple(bytes(16)))]:
        assert refusal(host.ask(request)) == (UNAUTHORIZED, 0, 0), request.NAME
    assert not any(device.output_on(p) for p in range(1, device.profile.info.port_count + 1))
    assert device.auth.unauthorized >= 6


def test_no_event_goes_to_a_link_without_a_verified_session() -> None:
    clock, device = fresh()
    owner = paired_host(device)
    watcher = TestHost(device)  # another link, never verified
    owner.ok(SubscribeRequest(period_ms=1000))
    owner.ok(configure())
    owner.ok(StartRequest(port=1, session_id=3))
    clock.advance(5)
    assert len(owner.take_events(StatusEvent)) == 5
    assert watcher.pipe.read_now() == b""  # not a byte: no event, sealed or plain


def test_a_sealed_frame_on_a_link_without_a_session_gets_the_no_session_answer() -> None:
    _, device = fresh()
    owner = paired_host(device)
    _, sealed = owner.codec.request(GetStatusRequest())
    other = TestHost(device)
    other.pipe.write(sealed)  # another link: the session is the owner's, not this link's
    [answer] = other.codec.feed(other.pipe.read_now())
    assert isinstance(answer, Refusal)
    assert (answer.seq, answer.msg_id, answer.error.code) == (0, 0, UNAUTHORIZED)
    assert device.auth.forged == 1


def test_pairing_with_the_right_code_then_every_frame_is_sealed_both_ways() -> None:
    clock, device = fresh()
    host = paired_host(device)
    assert [p.admin for p in device.pairings] == [True]
    host.ok(SubscribeRequest(period_ms=1000))
    clock.advance(1)
    host.codec.channel = None  # read what comes as a host without the keys would
    raw = host.pipe.read_now()
    for frame in FrameDecoder().feed(raw):
        assert frame.kind == FrameKind.SEALED
    assert raw  # the status event came, sealed


def test_after_verify_a_plain_request_is_refused_and_does_nothing() -> None:
    _, device = fresh()
    host = paired_host(device)
    channel, host.codec.channel = host.codec.channel, None
    host.ok(GetInfoRequest())  # still answered plain: a host that restarted identifies it
    for request in ACTIONS:
        assert refusal(host.ask(request)) == (UNAUTHORIZED, 0, 0)
    assert not device.output_on(1)
    host.codec.channel = channel
    assert host.ok(GetStatusRequest()).ports[0].session_id == 0  # the session goes on


def test_pairing_messages_inside_a_sealed_frame_are_not_allowed() -> None:
    _, device = fresh()
    host = paired_host(device)
    step = PairVerifyRequest(step=1, part=0, parts=1, data=tuple(bytes(32)))
    _, data = host.codec.request(step)
    sealed = host.codec.channel.sealer.seal_encoded(data)  # type: ignore[union-attr]
    host.pipe.write(sealed)
    [answer] = host.codec.feed(host.pipe.read_now())
    assert refusal(answer) == (ErrorCode.NOT_ALLOWED, 0, 0)
    assert host.ok(GetStatusRequest())  # the session was not touched


def test_a_wrong_code_says_the_attempts_left_and_guessing_slows_on_the_device_clock() -> None:
    clock, device = fresh()
    host = TestHost(device)
    me = Identity.create()
    for attempt in range(1, 6):  # five free tries
        code, field, limit = refusal(pair(host, me, WRONG))  # type: ignore[arg-type]
        assert (code, field) == (ErrorCode.PAIRING_FAILED, 100 - attempt)
        assert limit == (1 if attempt == 5 else 0)
    # The sixth: refused at step 1 until a second of device time has passed.
    code, _, limit = refusal(pair(host, me, WRONG))  # type: ignore[arg-type]
    assert (code, limit) == (ErrorCode.PAIRING_FAILED, 1)
    clock.advance(1)
    code, field, limit = refusal(pair(host, me, WRONG))  # type: ignore[arg-type]
    assert (code, field, limit) == (ErrorCode.PAIRING_FAILED, 94, 2)  # now 2 s
    clock.advance(2)
    assert not isinstance(pair(host, me, device.setup_code), Refusal)  # the right code
    assert device.memory.pair_failures == 0
    assert device.auth.wrong_codes == 7  # six wrong codes, and one try while it waited


def test_the_wrong_code_count_and_the_pairings_survive_a_reboot_and_a_reset_clears_them() -> None:
    clock, device = fresh()
    host = TestHost(device)
    for _ in range(6):
        pair(host, Identity.create(), WRONG)
    device.reboot()
    # Rebooted mid-wait: the whole last wait again, from the boot.
    assert refusal(pair(TestHost(device), Identity.create(), WRONG))[2] == 1  # type: ignore[arg-type]
    clock.advance(1)
    first = paired_host(device)  # the right code clears the count
    assert device.memory.pair_failures == 0
    device.reboot()
    assert len(device.pairings) == 1  # in flash
    _, data = first.codec.request(GetStatusRequest())  # its session did not survive
    first.pipe.write(data)
    [answer] = first.codec.feed(first.pipe.read_now())
    assert isinstance(answer, Refusal)
    assert (answer.seq, answer.msg_id) == (0, 0)
    before = device.identity
    device.factory_reset()
    assert len(device.pairings) == 0
    assert device.identity.public_key != before.public_key  # a new key: hosts see it change


def test_a_closed_window_refuses_pairing_until_the_button_is_held() -> None:
    clock, device = fresh()
    paired_host(device)
    host = TestHost(device)
    assert refusal(pair(host, Identity.create(), device.setup_code)) == (UNAUTHORIZED, 0, 0)
    device.open_pairing_window()
    second = Identity.create()
    made = pair(host, second, device.setup_code)
    assert not isinstance(made, Refusal)
    assert [p.admin for p in device.pairings] == [True, False]  # only the first is admin
    clock.advance(121)  # the window closes after 120 s of device time
    assert refusal(pair(host, Identity.create(), device.setup_code))[0] == UNAUTHORIZED


def test_a_full_pairing_list_refuses_another_host() -> None:
    _, device = fresh()
    for _ in range(MAX_PAIRINGS):
        device.open_pairing_window()
        paired_host(device)
    device.open_pairing_window()
    answer = pair(TestHost(device), Identity.create(), device.setup_code)
    assert refusal(answer) == (ErrorCode.PAIRING_FULL, 0, MAX_PAIRINGS)  # type: ignore[arg-type]


def test_a_host_that_never_paired_is_refused_even_after_another_paired() -> None:
    _, device = fresh()
    paired_host(device)
    stranger = TestHost(device)
    me = Identity.create()
    # It knows the device's identity (the factory derivation is public) but holds no pairing.
    known = device.identity
    from irlink.security import PairedDevice

    answer = verify(stranger, me, PairedDevice(known.id, known.public_key))
    assert refusal(answer) == (UNAUTHORIZED, 0, 0)  # type: ignore[arg-type]
    assert refusal(stranger.ask(StartRequest(port=1, session_id=5)))[0] == UNAUTHORIZED
    assert device.auth.failed_verifies == 1
    assert not device.output_on(1)


def test_a_captured_sealed_start_replayed_never_starts_output() -> None:
    clock, device = fresh()
    me = Identity.create()
    host = paired_host(device, me)
    host.ok(configure())
    _, start = host.codec.request(StartRequest(port=1, session_id=11))
    host.pipe.write(start)
    host.pump()
    assert device.output_on(1)
    host.ok(StopRequest(port=1))
    assert not device.output_on(1)
    # The same link: its counter is spent.
    host.pipe.write(start)
    assert host.pipe.read_now() == b""  # dropped silently
    assert (device.auth.replayed, device.output_on(1)) == (1, False)
    # A new verified link of the same host, a day later: other keys, it does not open.
    clock.advance(86400)
    again = TestHost(device)
    made = device.identity
    from irlink.security import PairedDevice

    assert verify(again, me, PairedDevice(made.id, made.public_key)) is None
    again.pipe.write(start)
    assert again.pipe.read_now() == b""
    assert (device.auth.forged, device.output_on(1)) == (1, False)
    # A link with no session at all: the no-session answer, nothing done.
    TestHost(device).pipe.write(start)
    assert not device.output_on(1)
    assert device.end_reasons() == [device.end_reasons()[0]]  # one session ever ran


def test_forged_frames_never_act_and_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    _, device = fresh()
    host = paired_host(device)
    host.ok(configure())
    _, start = host.codec.request(StartRequest(port=1, session_id=12))
    [frame] = FrameDecoder().feed(start)
    content = frame_content(frame)
    rng = random.Random(5)
    tried = 0
    with caplog.at_level(logging.WARNING, logger="irlink.sim.guard"):
        for _ in range(3000):
            forged = bytearray(content)
            for _ in range(rng.randint(1, 3)):  # flip bits anywhere after the version
                at = rng.randrange(1, len(forged))
                forged[at] ^= 1 << rng.randrange(8)
            if bytes(forged) == content or forged[1] != FrameKind.SEALED:
                continue
            tried += 1
            body = bytes(forged)
            from irlink.protocol.framing import content_bytes

            host.pipe.write(content_bytes(body))  # a valid CRC: it reaches the opener
            assert host.pipe.read_now() == b""
    assert tried > 2500
    assert device.auth.forged + device.auth.replayed == tried
    assert not device.output_on(1)
    assert "tag does not match" in caplog.text
    # The session goes on: the genuine frame was never used, so it still opens.
    host.pipe.write(start)
    host.pump()
    assert device.output_on(1)


def test_removing_a_pairing_ends_its_sessions_and_only_an_admin_may() -> None:
    _, device = fresh()
    admin = paired_host(device)
    device.open_pairing_window()
    guest_id = Identity.create()
    guest = paired_host(device, guest_id)
    assert refusal(guest.ask(ListPairingsRequest()))[0] == UNAUTHORIZED  # not an admin
    listed = admin.ok(ListPairingsRequest())
    assert (listed.admins, len(listed.pairing_ids)) == (1, 32)
    admin.ok(RemovePairingRequest(pairing_id=tuple(guest_id.id)))
    assert len(device.pairings) == 1
    # The guest's session ended: its next sealed request gets the no-session answer.
    _, data = guest.codec.request(GetStatusRequest())
    guest.pipe.write(data)
    [answer] = guest.codec.feed(guest.pipe.read_now())
    assert isinstance(answer, Refusal)
    assert (answer.seq, answer.msg_id) == (0, 0)
    assert admin.ok(GetStatusRequest())  # the admin's goes on


def test_removing_the_last_admin_leaves_the_device_unpaired_and_its_window_open() -> None:
    _, device = fresh()
    me = Identity.create()
    host = paired_host(device, me)
    host.ok(RemovePairingRequest(pairing_id=tuple(me.id)))  # the answer comes first
    assert len(device.pairings) == 0
    assert not isinstance(pair(TestHost(device), Identity.create(), device.setup_code), Refusal)


def test_a_boot_ends_every_session_and_sends_booted_on_no_link() -> None:
    clock, device = fresh()
    host = paired_host(device)
    host.ok(SubscribeRequest(period_ms=1000))
    device.reboot()
    clock.advance(3)
    raw = host.pipe.read_now()
    assert raw == b""  # no booted, no status: the subscription ended and no link is verified
    _, data = host.codec.request(GetStatusRequest())
    host.pipe.write(data)
    frames = FrameDecoder().feed(host.pipe.read_now())
    assert [(f.kind, f.seq, f.msg_id) for f in frames] == [(FrameKind.ERROR, 0, 0)]
    assert decode_message(frames[0]).code == UNAUTHORIZED  # type: ignore[union-attr]


def test_each_link_has_its_own_session_and_closing_a_link_ends_it() -> None:
    _, device = fresh()
    me = Identity.create()
    one = paired_host(device, me)
    guard = device.guard
    assert guard is not None
    assert guard.verified(one.pipe.link) == me.id
    two = TestHost(device)
    assert guard.verified(two.pipe.link) is None
    one.pipe.close()
    assert guard.verified(one.pipe.link) is None


def test_status_before_verify_follows_the_profile() -> None:
    _, device = fresh()
    profile = device.profile.model_copy(
        update={
            "security": device.profile.security.model_copy(update={"status_before_verify": True})
        }
    )
    _, open_status = fresh(profile)  # type: ignore[arg-type]
    assert isinstance(TestHost(open_status).ask(GetStatusRequest()), Reply)
    assert refusal(TestHost(device).ask(GetStatusRequest()))[0] == UNAUTHORIZED


def test_events_are_sealed_per_link_with_counters_of_their_own() -> None:
    clock, device = fresh()
    me = Identity.create()
    one = paired_host(device, me)
    two = paired_host(device, me)  # the same host on a second link (UART and BLE)
    one.ok(SubscribeRequest(period_ms=1000))
    clock.advance(2)
    for host in (one, two):
        assert [type(e) for e in host.take_events()] == [StatusEvent, StatusEvent]
    assert one.codec.channel.opener.last != two.codec.channel.opener.last  # type: ignore[union-attr]


def test_a_forged_crc_is_a_corrupted_frame_not_a_security_event() -> None:
    _, device = fresh()
    host = paired_host(device)
    _, data = host.codec.request(GetStatusRequest())
    [frame] = FrameDecoder().feed(data)
    content = frame_content(frame)
    bad = content + (crc16(content) ^ 1).to_bytes(2, "little")
    from cobs import cobs

    host.pipe.write(cobs.encode(bad) + b"\0")
    assert host.pipe.read_now() == b""
    assert (device.auth.forged, device.auth.replayed) == (0, 0)
    assert HEADER.size == 5  # the plain header the sealed layout relocates


def test_a_used_up_counter_ends_the_link_s_session_never_the_device_s_own_cut_off() -> None:
    """Security never stands between a participant and the timer: a sealer that runs out
    of counters (2**32 frames) ends that link's session; the device runs on and its own
    timer ends the session on time."""
    clock, device = fresh()
    host = paired_host(device)
    host.ok(configure())
    host.ok(StartRequest(port=1, session_id=5))
    host.ok(SubscribeRequest(period_ms=1000))
    assert device.output_on(1)
    planned = device.remaining_s(1)
    session = device.guard._sessions[host.pipe.link]
    assert session.channel is not None
    session.channel.sealer.counter = 2**32  # the next status event cannot be sealed
    clock.advance(planned + 60)  # raised out of the device's tick before the fix
    assert session.channel is None  # that link's session ended
    assert not device.output_on(1)
    assert device.end_reasons() == [EndReason.COMPLETED]
