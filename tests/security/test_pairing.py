"""Pair setup between the host's and the device's state machines, and the device's limits."""

from __future__ import annotations

from typing import Any

import pytest

from irlink.protocol.messages import (
    ErrorCode,
    ListPairingsResponse,
    PairSetupRequest,
    PairSetupResponse,
    RemovePairingRequest,
)
from irlink.security import (
    MAX_PAIRINGS,
    AuthenticationFailed,
    BadPairingMessage,
    DevicePairing,
    Identity,
    NotAuthorized,
    PairingListFull,
    Pairings,
    PairSetupHost,
    SetupCodeRejected,
)
from irlink.security.pairing import MAX_FAILURES, MAX_WAIT_S, PAIRING_WINDOW_S, wait_after
from irlink.security.srp import GROUP_3072
from tests.security.exchange import pair, run
from tests.security.fixed import CODE, DEVICE, HOST, OTHER_HOST, WRONG_CODE, Clock


def device(clock: Clock | None = None, **kwargs: Any) -> DevicePairing:
    return DevicePairing(DEVICE, CODE, clock or Clock(), **kwargs)


def guess(pairing: DevicePairing, code: Any = WRONG_CODE) -> SetupCodeRejected:
    """One wrong-code attempt, as far as the device lets it go: its refusal."""
    with pytest.raises(SetupCodeRejected) as refused:
        pair(pairing, code=code)
    return refused.value


def step_1() -> PairSetupRequest:
    return PairSetupRequest(step=1, part=0, parts=1, data=())


def blind_guess(pairing: DevicePairing) -> SetupCodeRejected:
    """A guesser's attempt, cheaply: step 1, then any A and M1 (never the right proof)."""
    message = GROUP_3072.pad(2) + bytes(64)
    try:
        pairing.receive(step_1())
        for part in range(3):
            data = tuple(message[part * 200 : part * 200 + 200])
            pairing.receive(PairSetupRequest(step=3, part=part, parts=3, data=data))
    except SetupCodeRejected as refusal:
        return refusal
    raise AssertionError("a blind guess was taken")


def test_a_host_pairs_with_the_code_and_each_keeps_the_others_key() -> None:
    pairing = device()
    log: list[tuple[Any, Any]] = []
    host = PairSetupHost(CODE, HOST)
    run(host, pairing, log)
    assert host.device == (DEVICE.id, DEVICE.public_key)
    [kept] = list(pairing.pairings)
    assert kept == (HOST.id, HOST.public_key, True)  # the first host paired is admin
    steps = [(r.step, r.part, r.parts, a.step, a.part, a.parts) for r, a in log]
    assert steps == [
        (1, 0, 1, 2, 0, 2),  # step 2 is s | B: 400 bytes, 2 parts
        (2, 1, 0, 2, 1, 2),  # the host reads part 1
        (3, 0, 3, 3, 0, 0),  # step 3 is A | M1: 448 bytes, 3 parts, each received
        (3, 1, 3, 3, 1, 0),
        (3, 2, 3, 4, 0, 1),  # the last part runs the step: M2
        (5, 0, 1, 6, 0, 1),
    ]
    assert all(len(r.data) <= 200 and len(a.data) <= 200 for r, a in log)


def test_the_second_host_pairs_in_the_window_and_is_not_an_admin() -> None:
    clock = Clock()
    pairing = device(clock)
    pair(pairing)
    with pytest.raises(NotAuthorized, match="hold the device's pairing button") as closed:
        pair(pairing, OTHER_HOST)
    assert (closed.value.code, closed.value.field, closed.value.limit) == (
        ErrorCode.UNAUTHORIZED,
        0,
        0,
    )
    pairing.open_window()
    pair(pairing, OTHER_HOST)
    assert [(p.pairing_id, p.admin) for p in pairing.pairings] == [
        (HOST.id, True),
        (OTHER_HOST.id, False),
    ]


def test_the_window_closes_after_120_s_of_device_clock_but_a_pairing_under_way_finishes() -> None:
    clock = Clock()
    pairing = device(clock)
    pair(pairing)
    pairing.open_window()
    clock.now += PAIRING_WINDOW_S - 0.5
    assert pairing.window_open
    host = PairSetupHost(CODE, OTHER_HOST)
    request = host.receive(pairing.receive(host.start()))
    clock.now += 1  # closed now, in the middle of the exchange
    assert not pairing.window_open
    while request is not None:
        request = host.receive(pairing.receive(request))
    assert len(pairing.pairings) == 2
    with pytest.raises(NotAuthorized):
        pairing.receive(step_1())


def test_a_wrong_code_is_pairing_failed_with_attempts_left_and_a_wait_that_grows() -> None:
    clock = Clock()
    pairing = device(clock)
    seen = []
    for n in range(1, 12):
        refusal = guess(pairing) if n == 1 else blind_guess(pairing)
        assert refusal.code == ErrorCode.PAIRING_FAILED
        seen.append((refusal.attempts_left, refusal.wait_s))
        assert (refusal.field, refusal.limit) == seen[-1]
        if refusal.wait_s:
            early = blind_guess(pairing)  # step 1 is refused, whatever would follow
            assert (early.attempts_left, early.wait_s) == (MAX_FAILURES - n, refusal.wait_s)
            clock.now += refusal.wait_s - 0.25
            assert blind_guess(pairing).wait_s == 1  # seconds left, rounded up
            clock.now += 0.25
    assert seen == [
        (99, 0),
        (98, 0),
        (97, 0),
        (96, 0),
        (95, 1),
        (94, 2),
        (93, 4),
        (92, 8),
        (91, 16),
        (90, 32),
        (89, 64),
    ]
    assert pairing.failures == 11
    pair(pairing)  # the right code, once the wait is over
    assert pairing.failures == 0  # and the count starts again


def test_the_wait_is_capped_at_an_hour_and_pair_setup_locks_at_100_wrong_codes() -> None:
    assert [wait_after(n) for n in (16, 17, 50, 99)] == [2048, MAX_WAIT_S, MAX_WAIT_S, MAX_WAIT_S]
    clock = Clock()
    pairing = device(clock, failures=MAX_FAILURES - 1)
    clock.now += MAX_WAIT_S
    last = guess(pairing)
    assert (last.attempts_left, last.wait_s) == (0, -1)
    clock.now += 10 * 365 * 86400
    locked = guess(pairing, CODE)
    assert (locked.code, locked.field, locked.limit) == (ErrorCode.PAIRING_FAILED, 0, -1)
    assert "factory reset" in str(locked)
    restarted = device(Clock(), failures=pairing.failures)
    assert guess(restarted, CODE).wait_s == -1


def test_a_restart_waits_the_whole_wait_again() -> None:
    clock = Clock()
    pairing = device(clock, failures=7)
    refusal = guess(pairing, CODE)
    assert (refusal.attempts_left, refusal.wait_s) == (93, 4)
    clock.now += 4
    pair(pairing)


def test_guessing_allows_16_attempts_in_the_first_hour_then_1_an_hour() -> None:
    """The figure of issue 15: setup-code attempts a guesser gets per hour, on device time."""
    clock = Clock(0.0)
    pairing = device(clock)
    attempts: list[float] = []
    while clock.now < 4 * 3600:
        refusal = blind_guess(pairing)
        attempts.append(clock.now)
        if refusal.wait_s:
            clock.now += refusal.wait_s
    per_hour = [sum(1 for t in attempts if h * 3600 <= t < (h + 1) * 3600) for h in range(4)]
    assert per_hour == [16, 1, 1, 1]


def test_a_full_pairing_list_is_pairing_full_with_its_size() -> None:
    pairing = device(pairings=Pairings())
    for n in range(MAX_PAIRINGS):
        pairing.open_window()
        pair(pairing, Identity.create())
        assert len(pairing.pairings) == n + 1
    pairing.open_window()
    with pytest.raises(PairingListFull) as full:
        pair(pairing, OTHER_HOST)
    assert (full.value.code, full.value.field, full.value.limit) == (
        ErrorCode.PAIRING_FULL,
        0,
        MAX_PAIRINGS,
    )


def test_a_pairing_id_paired_with_another_key_is_refused_and_the_same_key_is_kept() -> None:
    pairing = device()
    pair(pairing)
    pairing.open_window()
    pair(pairing)  # the same host again: nothing changes
    assert len(pairing.pairings) == 1
    thief = Identity.from_seed(HOST.id, bytes(32))
    with pytest.raises(NotAuthorized, match="paired with another key"):
        pair(pairing, thief)
    [kept] = pairing.pairings
    assert kept.public_key == HOST.public_key


def test_a_repeated_part_gets_the_same_answer_and_runs_nothing_twice() -> None:
    pairing = device()
    first = pairing.receive(step_1())
    assert pairing.receive(step_1()) is first  # the same salt and B: no new pair setup
    host = PairSetupHost(WRONG_CODE, HOST)
    request = host.start()
    while request.step != 3 or request.part != 2:
        request = host.receive(pairing.receive(request))  # type: ignore[assignment]
    with pytest.raises(SetupCodeRejected) as once:
        pairing.receive(request)
    with pytest.raises(SetupCodeRejected) as again:  # the answer was lost; the host retries
        pairing.receive(request)
    assert again.value is once.value
    assert pairing.failures == 1  # counted once


def test_a_refusal_that_depends_on_time_is_judged_again_on_a_repeat() -> None:
    clock = Clock()
    pairing = device(clock, failures=5)
    with pytest.raises(SetupCodeRejected):
        pairing.receive(step_1())
    clock.now += 1
    assert pairing.receive(step_1()).step == 2


@pytest.mark.parametrize(
    ("requests", "field"),
    [
        ([PairSetupRequest(step=1, part=0, parts=1, data=(1,))], 4),  # step 1 carries nothing
        ([PairSetupRequest(step=3, part=0, parts=1, data=(1,))], 1),  # step 3 before step 1
        ([PairSetupRequest(step=2, part=1, parts=0, data=())], 1),  # a read of no reply
        ([PairSetupRequest(step=4, part=0, parts=1, data=())], 1),  # a device's step
        ([PairSetupRequest(step=1, part=0, parts=4, data=())], 3),  # more parts than ever
        ([PairSetupRequest(step=1, part=1, parts=1, data=())], 2),  # part beyond parts
        ([PairSetupRequest(step=3, part=1, parts=3, data=())], 2),  # part 1 without part 0
        ([step_1(), PairSetupRequest(step=2, part=2, parts=0, data=())], 2),  # no part 2
        ([step_1(), PairSetupRequest(step=3, part=0, parts=1, data=(0,) * 10)], 4),  # length
        ([step_1(), PairSetupRequest(step=5, part=0, parts=1, data=())], 1),  # 5 before 3
    ],
)
def test_a_part_out_of_place_is_invalid_value_naming_the_field(
    requests: list[PairSetupRequest], field: int
) -> None:
    pairing = device()
    for request in requests[:-1]:
        pairing.receive(request)
    with pytest.raises(BadPairingMessage) as refused:
        pairing.receive(requests[-1])
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_VALUE, field)


def tamper(answer: Any, cls: type[Any]) -> Any:
    data = bytearray(answer.data)
    data[-1] ^= 0x01
    return cls(step=answer.step, part=answer.part, parts=answer.parts, data=tuple(data))


def test_a_step_5_that_does_not_open_is_unauthorized_and_pairs_nothing() -> None:
    pairing = device()
    host = PairSetupHost(CODE, HOST)
    request = host.start()
    while request.step != 5:
        request = host.receive(pairing.receive(request))  # type: ignore[assignment]
    with pytest.raises(NotAuthorized, match="step 5"):
        pairing.receive(tamper(request, PairSetupRequest))
    assert len(pairing.pairings) == 0
    with pytest.raises(BadPairingMessage):  # pair setup is over: start again
        pairing.receive(request)


@pytest.mark.parametrize(("step", "complaint"), [(4, "M2 does not match"), (6, "step 6")])
def test_the_host_refuses_a_device_that_does_not_prove_itself(step: int, complaint: str) -> None:
    pairing = device()
    host = PairSetupHost(CODE, HOST)
    request = host.start()
    while True:
        answer = pairing.receive(request)
        if answer.step == step:
            break
        request = host.receive(answer)  # type: ignore[assignment]
    with pytest.raises(AuthenticationFailed, match=complaint):
        host.receive(tamper(answer, PairSetupResponse))
    assert host.device is None


def test_the_host_refuses_an_answer_out_of_turn() -> None:
    host = PairSetupHost(CODE, HOST)
    host.start()
    with pytest.raises(AuthenticationFailed, match="expected step 2"):
        host.receive(PairSetupResponse(step=4, part=0, parts=1, data=()))


def test_an_admin_lists_and_removes_pairings_and_others_may_not() -> None:
    pairing = device()
    pair(pairing)
    pairing.open_window()
    pair(pairing, OTHER_HOST)
    pairings = pairing.pairings
    assert pairings.list_pairings(HOST.id) == ListPairingsResponse(
        admins=0b01, pairing_ids=tuple(HOST.id + OTHER_HOST.id)
    )
    with pytest.raises(NotAuthorized, match="admin"):
        pairings.list_pairings(OTHER_HOST.id)
    with pytest.raises(NotAuthorized):
        pairings.remove_pairing(OTHER_HOST.id, RemovePairingRequest(pairing_id=tuple(HOST.id)))
    with pytest.raises(BadPairingMessage) as short:
        pairings.remove_pairing(HOST.id, RemovePairingRequest(pairing_id=(1, 2, 3)))
    assert short.value.field == 1
    nobody = RemovePairingRequest(pairing_id=tuple(bytes(16)))
    assert pairings.remove_pairing(HOST.id, nobody) == []  # a retry is harmless
    removed = pairings.remove_pairing(
        HOST.id, RemovePairingRequest(pairing_id=tuple(OTHER_HOST.id))
    )
    assert removed == [OTHER_HOST.id]
    assert [p.pairing_id for p in pairings] == [HOST.id]


def test_removing_the_last_admin_removes_every_pairing_and_opens_the_window() -> None:
    pairing = device()
    pair(pairing)
    pairing.open_window()
    pair(pairing, OTHER_HOST)
    removed = pairing.pairings.remove_pairing(
        HOST.id, RemovePairingRequest(pairing_id=tuple(HOST.id))
    )
    assert removed == [HOST.id, OTHER_HOST.id]
    assert len(pairing.pairings) == 0
    assert pairing.window_open
