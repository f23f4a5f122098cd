"""Forged, replayed, reordered and unauthenticated frames: none is acted on (issue 15's figure).

A simulated multiport on a manual clock, paired with this test's host (a factory pairing),
is driven by a genuine host over the in-process pipe: a verified session whose every
frame, both ways, is captured (the pair verify, configure, start, status, subscribe,
heartbeat, pause, resume, stop, clear_fault, the usage log, the pairing list; the
device's answers and events). Then, with the device idle and again with a session
running, at least 100,000 frames are thrown straight at the device's links, as an
attacker on the wire would write them, CRC recomputed so that each reaches the guard:

- on the verified link, after the session moved on: replays of the captured sealed
  frames; authentic frames held back and delivered after later ones (reordered); bit
  flips, byte edits, insertions and deletions, truncations and extensions of sealed
  frames; frames sealed under a wrong key; captured frames with their counter moved far
  ahead; the device's own sealed frames sent back to it; header edits (version, kind);
  plain control requests (deny by default after verify);
- on a second link that never verified: the captured sealed frames and mutations of
  them, plain control requests, and the captured pair verify replayed whole;
- on a new verified session of the same host (a third link, then the first link
  verified again): the first session's captured frames.

Measured: frames the device acted on (opened and answered, or served) = 0 of N, N at
least 100,000; the device's state (each port's state, session, drive, configuration,
timer and faults; the subscription, the heartbeat, the usage log, the pairings) is the
same after every batch as before it, and no port's drive changes after any frame; every
frame is accounted for by the device's counters (``SimulatedDevice.auth``: forged,
replayed, unauthorized, failed verifies, malformed: a frame of another version or kind,
which also draws its plain refusal), and the audit log stays a few lines however many
frames are thrown (the first of each kind on a link; the rest summed, at most a line per
kind and link a minute of the device's clock, none here, where it stands still).
Afterwards the genuine host, on the same link, configures, starts and stops a session.
"""

from __future__ import annotations

import logging
import random
import struct
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from irlink.protocol import Reply, Request, encode_message
from irlink.protocol.framing import FrameDecoder, content_bytes, decode_frame, frame_content
from irlink.protocol.messages import (
    ClearFaultRequest,
    ConfigureRequest,
    ErrorCode,
    FrameKind,
    GetInfoRequest,
    GetStatusRequest,
    HeartbeatRequest,
    ListPairingsRequest,
    Mode,
    PairSetupRequest,
    PairVerifyRequest,
    PauseRequest,
    PortState,
    ReadUsageLogRequest,
    RemovePairingRequest,
    ResumeRequest,
    StartRequest,
    StopRequest,
    SubscribeRequest,
)
from irlink.security.keystore import KeyStore
from irlink.security.sealed import Sealer
from irlink.sim import ManualClock, SimulatedDevice, guard
from irlink.sim.serve import Pipe
from tests.host.noisy import unlimited
from tests.security.sealing import verify
from tests.sim.host import TestHost

SEED = 0x15F022
MIN_FRAMES = 100_000
BATCH = 500  # frames between two full comparisons of the device's state
WALL_LIMIT_S = 60.0

_SEALED = int(FrameKind.SEALED)
_REQUEST, _RESPONSE = int(FrameKind.REQUEST), int(FrameKind.RESPONSE)
_ERROR = int(FrameKind.ERROR)
_COUNTER = struct.Struct("<I")
_HEAD = 6  # version, kind, counter: what a mutation of a sealed frame leaves for the opener


def _configure(port: int, minutes: int, hz: int = 0) -> ConfigureRequest:
    mode = Mode.PULSED if hz else Mode.CONTINUOUS
    return ConfigureRequest(
        port=port,
        duration_s=60 * minutes,
        intensity=1,
        mode=mode,
        pulse_hz=hz,
        sham=False,
        setpoint_dc=0,
        override=False,
    )


# What each kind of frame thrown must do to the device: the counter it moves, and the
# answer it draws on the link (none: dropped silently).
FORGED, REPLAYED, UNAUTHORIZED, FAILED_VERIFY, MALFORMED = (
    "forged",
    "replayed",
    "unauthorized",
    "failed_verifies",
    "malformed",  # a plain error answer of the codec (another version, a kind no host sends)
)
PAIR_STEP = "pair_step"  # a replayed pair verify step 1: answered, as before any verify
# Audit log lines, at most, for all the frames thrown: one per kind of refusal on a link
# (3 links, 6 kinds), the device's clock standing still.
MAX_LOG_LINES = 3 * 6


@dataclass
class Tally:
    """Every frame thrown, by what it was and what the device did with it."""

    thrown: Counter[str] = field(default_factory=Counter)  # by kind of attack
    outcome: Counter[str] = field(default_factory=Counter)  # by what the device did
    acted_on: int = 0  # frames opened and answered sealed, or served plain
    batches: int = 0
    log_lines: int = 0

    @property
    def total(self) -> int:
        return sum(self.thrown.values())


class _Lines(logging.Handler):
    """Counts the device's audit log lines."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass
class Captured:
    """The frames of a genuine verified session, as they crossed the link."""

    to_device: list[bytes] = field(default_factory=list)
    to_host: list[bytes] = field(default_factory=list)

    def sealed_to_device(self) -> list[bytes]:
        return [f for f in self.to_device if decode_frame(f[:-1]).kind == _SEALED]

    def sealed_to_host(self) -> list[bytes]:
        return [f for f in self.to_host if decode_frame(f[:-1]).kind == _SEALED]

    def verify_requests(self) -> list[bytes]:
        """The host's plain pair verify requests (step 1, then step 3)."""
        verify_id = PairVerifyRequest.MSG_ID
        return [
            f
            for f in self.to_device
            if (frame := decode_frame(f[:-1])).kind == _REQUEST and frame.msg_id == verify_id
        ]


def _frames_of(data: bytes) -> list[bytes]:
    return [part + b"\0" for part in data.split(b"\0") if part]


def _recording(host: TestHost, captured: Captured) -> None:
    """Record every byte ``host`` writes and reads from now on, frame by frame."""
    pipe = host.pipe
    write, read_now = pipe.write, pipe.read_now

    def recorded_write(data: bytes) -> None:
        captured.to_device.extend(_frames_of(data))
        write(data)

    def recorded_read() -> bytes:
        data = read_now()
        captured.to_host.extend(_frames_of(data))
        return data

    pipe.write = recorded_write  # type: ignore[method-assign]
    pipe.read_now = recorded_read  # type: ignore[method-assign]


def _state(sim: SimulatedDevice) -> tuple[Any, ...]:
    """Everything that says what the device's output does and will do, read in its memory."""
    with sim.lock:
        firmware = sim.firmware
        assert firmware is not None
        ports = tuple(
            (
                p.state,
                p.session_id,
                p.last_session_id,
                p.config,
                p.remaining,
                p.delivered,
                p.faults,
                p.hw.drive,
                p.hw.pad_present,
            )
            for p in firmware.ports
        )
        memory = sim.memory
        return (
            ports,
            firmware.device_faults,
            firmware.status_period,
            firmware.next_status,
            firmware.heartbeat_deadline,
            len(memory.log),
            memory.next_index,
            memory.boot_count,
            tuple((p.pairing_id, p.public_key, p.admin) for p in sim.pairings),
            memory.pair_failures,
            sim.now,
        )


def guard_of(sim: SimulatedDevice) -> guard.Guard:
    found = sim.guard
    assert found is not None
    return found


def _counts(sim: SimulatedDevice) -> Counter[str]:
    auth = sim.auth
    return Counter(
        forged=auth.forged,
        replayed=auth.replayed,
        unauthorized=auth.unauthorized,
        failed_verifies=auth.failed_verifies,
        wrong_codes=auth.wrong_codes,
        malformed=auth.malformed,
    )


class Attack:
    """Throws frames at a simulated device's links, checking the device after each."""

    def __init__(self, sim: SimulatedDevice, tally: Tally, lines: _Lines) -> None:
        self.sim, self.tally, self.lines = sim, tally, lines

    def _drive(self) -> tuple[Any, ...]:
        return tuple(port.drive for port in self.sim.hardware.ports)

    def throw(
        self,
        pipe: Pipe,
        what: str,
        frames: Iterator[bytes],
        expect: str,
        count: int,
    ) -> None:
        """``count`` frames of ``what`` on ``pipe``'s link, in batches; each must ``expect``."""
        sim, tally = self.sim, self.tally
        link_write = pipe.link.write
        pipe.read_now()  # the link's earlier traffic is not this attack's
        left = count
        while left:
            n = min(BATCH, left)
            left -= n
            before, counts, lines = _state(sim), _counts(sim), self.lines.count
            firmware = sim.firmware
            assert firmware is not None
            dropped = firmware.codec.decoder.stats.dropped
            drives = self._drive()
            verified = guard_of(sim).verified(pipe.link) is not None
            for _ in range(n):
                link_write(next(frames))
                # Output: no frame may change any port's drive, not even for one frame.
                assert self._drive() == drives, f"{what}: a frame changed a port's drive"
            tally.thrown[what] += n
            tally.batches += 1
            after = _state(sim)
            assert after == before, f"{what}: the device's state changed:\n{before}\n{after}"
            assert firmware.codec.decoder.stats.dropped == dropped, f"{what}: frames unread"
            moved = _counts(sim) - counts
            answers = self._answers(pipe.read_now())
            self._account(what, expect, n, moved, answers, verified)
            logged = self.lines.count - lines
            # The first refusal of a kind on a link is logged; the rest are summed later.
            assert logged <= len(moved), f"{what}: {logged} log lines for {moved}"
            tally.log_lines += logged

    def _answers(self, data: bytes) -> Counter[str]:
        answers: Counter[str] = Counter()
        for frame in FrameDecoder().feed(data):
            if frame.kind == _ERROR:
                answers[f"error {ErrorCode(frame.body[0]).name}"] += 1
            elif frame.kind == _RESPONSE and frame.msg_id == PairVerifyRequest.MSG_ID:
                answers["pair verify step"] += 1
            else:  # a sealed answer (a frame opened) or a plain response: acted on
                answers[f"acted on: kind {frame.kind} msg {frame.msg_id:#04x}"] += 1
        return answers

    def _account(
        self,
        what: str,
        expect: str,
        n: int,
        moved: Counter[str],
        answers: Counter[str],
        verified: bool,
    ) -> None:
        """Every frame of the batch is counted once, as ``expect`` says it must be."""
        tally = self.tally
        acted = sum(v for k, v in answers.items() if k.startswith("acted on"))
        tally.acted_on += acted
        assert acted == 0, f"{what}: the device acted on frames: {answers}"
        refused = sum(v for k, v in answers.items() if k.startswith("error"))
        if expect == PAIR_STEP:
            # A whole replayed handshake: step 1 answered (a key used before: counted as
            # replayed), step 3 refused.
            assert moved == Counter(replayed=n // 2, failed_verifies=n // 2), f"{what}: {moved}"
            assert answers == Counter({"pair verify step": n // 2, "error UNAUTHORIZED": n // 2})
            tally.outcome[PAIR_STEP] += n // 2
            tally.outcome[FAILED_VERIFY] += n // 2
            return
        if expect == MALFORMED:
            assert moved == Counter(malformed=n), f"{what}: {moved}"
            assert refused == n, f"{what}: {answers}"
            tally.outcome.update(answers)
            return
        assert moved == Counter({expect: n}), f"{what}: expected {n} {expect}, counted {moved}"
        tally.outcome[expect] += n
        if expect == UNAUTHORIZED or not verified:
            # A plain request's refusal; or, for a sealed frame on a link without a verified
            # session, the one plain answer that says so (seq 0, msg_id 0: verify again).
            assert answers == Counter({"error UNAUTHORIZED": n}), f"{what}: {answers}"
        else:  # a sealed frame that does not open, or is spent: dropped without a word
            assert not answers, f"{what}: {answers}"


class Mutator:
    """Makes frames from captured ones: every mutation keeps version 1 and kind sealed, and
    recomputes the CRC, so that each reaches the opener."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    @staticmethod
    def content(wire: bytes) -> bytes:
        return frame_content(decode_frame(wire[:-1]))

    def cycle(self, frames: list[bytes]) -> Iterator[bytes]:
        while True:
            yield from frames

    def flips(self, frames: list[bytes]) -> Iterator[bytes]:
        rng, contents = self.rng, [self.content(f) for f in frames]
        while True:
            data = bytearray(rng.choice(contents))
            for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
                at = rng.randrange(2, len(data))
                data[at] ^= 1 << rng.randrange(8)
            if bytes(data) in contents:  # three flips can undo each other
                continue
            yield content_bytes(bytes(data))

    def edits(self, frames: list[bytes]) -> Iterator[bytes]:
        rng, contents = self.rng, [self.content(f) for f in frames]
        while True:
            data = bytearray(rng.choice(contents))
            how = rng.randrange(3)
            at = rng.randrange(2, len(data))
            if how == 0:  # a byte replaced
                data[at] = (data[at] + rng.randrange(1, 256)) % 256
            elif how == 1:  # a byte inserted
                data.insert(at, rng.randrange(256))
            else:  # a byte deleted
                del data[at]
            if len(data) > 254 or bytes(data) in contents:
                continue
            yield content_bytes(bytes(data))

    def lengths(self, frames: list[bytes]) -> Iterator[bytes]:
        """Truncated (to 6 bytes or more) or extended (up to a frame's largest)."""
        rng, contents = self.rng, [self.content(f) for f in frames]
        while True:
            data = rng.choice(contents)
            if rng.random() < 0.5:
                data = data[: rng.randrange(_HEAD, len(data))]
            else:
                data += rng.randbytes(rng.randrange(1, 255 - len(data)))
            yield content_bytes(data)

    def ahead(self, frames: list[bytes], last: int) -> Iterator[bytes]:
        """Captured frames with their counter moved past the last the device accepted."""
        rng, contents = self.rng, [self.content(f) for f in frames]
        while True:
            data = rng.choice(contents)
            counter = rng.choice(
                (last + 1, last + 2, last + rng.randrange(1, 1 << 16), rng.randrange(1 << 32))
            )
            counter = min(counter, 0xFFFF_FFFF)
            yield content_bytes(data[:2] + _COUNTER.pack(counter) + data[_HEAD:])

    def wrong_key(self, requests: list[Request], last: int) -> Iterator[bytes]:
        """Real requests, sealed under keys the device never agreed, at counters it would take."""
        rng = self.rng
        while True:
            sealer = Sealer(rng.randbytes(32), counter=last + rng.randrange(1, 4))
            for _ in range(50):
                seq = rng.randrange(1 << 16)
                yield sealer.seal_encoded(encode_message(rng.choice(requests), seq))

    def headers(self, frames: list[bytes]) -> Iterator[bytes]:
        """Sealed frames whose version or kind was changed: no longer sealed frames of 1.x."""
        rng, contents = self.rng, [self.content(f) for f in frames]
        kinds = [k for k in range(256) if k not in (_REQUEST, _SEALED)]
        while True:
            data = bytearray(rng.choice(contents))
            if rng.random() < 0.5:
                data[0] = rng.choice([v for v in range(256) if v != 1])
            else:
                data[1] = rng.choice(kinds)
            yield content_bytes(bytes(data))

    def plain(self, requests: list[Request]) -> Iterator[bytes]:
        rng = self.rng
        while True:
            yield encode_message(rng.choice(requests), rng.randrange(1 << 16))


def control_requests(rng: random.Random) -> list[Request]:
    """Plain requests that control or read the device: random fields, valid ones."""
    made: list[Request] = []
    for _ in range(40):
        port = rng.randrange(0, 3)
        made += [
            _configure(port, rng.randrange(5, 61), rng.choice((0, 10, 40, 73))),
            StartRequest(port=port, session_id=rng.randrange(1, 1 << 16)),
            StopRequest(port=port),
            PauseRequest(port=port),
            ResumeRequest(port=port),
            ClearFaultRequest(port=port),
            SubscribeRequest(period_ms=rng.choice((0, 250, 1000, 60000))),
            HeartbeatRequest(interval_ms=rng.choice((0, 1000, 10000))),
            ReadUsageLogRequest(from_index=rng.randrange(4), max_count=rng.randrange(1, 9)),
            GetStatusRequest(),
            ListPairingsRequest(),
            RemovePairingRequest(pairing_id=tuple(rng.randbytes(16))),
            PairSetupRequest(step=1, part=0, parts=1, data=()),
        ]
    return made


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> _Lines:
    """The device's audit log lines, counted, and kept out of the test report (100,000 of
    them): the guard logs to a logger of its own here, which no handler of pytest's sees."""
    audit = logging.Logger(guard.__name__)  # not registered: pytest attaches to none
    handler = _Lines()
    audit.addHandler(handler)
    monkeypatch.setattr(guard, "log", audit)
    return handler


def _genuine_session(host: TestHost, sim: SimulatedDevice, clock: ManualClock) -> None:
    """A verified session's worth of real traffic: every kind of request, answers and events."""
    ok = host.ok
    ok(GetInfoRequest())
    ok(_configure(1, 20, 73))
    ok(_configure(2, 10))
    ok(SubscribeRequest(period_ms=1000))
    ok(HeartbeatRequest(interval_ms=10000))
    ok(StartRequest(port=1, session_id=101))
    ok(StartRequest(port=2, session_id=102))
    clock.advance(3)  # status events, sealed
    ok(HeartbeatRequest(interval_ms=10000))
    ok(GetStatusRequest())
    ok(PauseRequest(port=2))
    ok(ResumeRequest(port=2))
    clock.advance(2)
    ok(StopRequest(port=2))
    ok(StopRequest(port=0))
    ok(ClearFaultRequest(port=0))
    ok(ReadUsageLogRequest(from_index=0, max_count=8))
    ok(ListPairingsRequest())
    ok(HeartbeatRequest(interval_ms=0))
    ok(SubscribeRequest(period_ms=0))
    host.take_events()
    assert (sim.port_state(1), sim.port_state(2)) == (PortState.IDLE, PortState.IDLE)


def test_no_forged_replayed_reordered_or_unauthenticated_frame_is_acted_on(
    lines: _Lines,
) -> None:
    began = time.perf_counter()
    rng = random.Random(SEED)
    clock = ManualClock()
    sim = SimulatedDevice(unlimited("multiport"), clock=clock, serial="F015")
    sim.provision(KeyStore.open())  # paired at the factory with this test's host
    host = TestHost(sim)  # link 0: verified
    captured = Captured()
    _recording(host, captured)
    assert verify(host.codec, host.ok, sim.serial)  # a verified session, captured whole
    _genuine_session(host, sim, clock)
    # The session moves on: the settings the captured configures would overwrite.
    host.ok(_configure(1, 45, 10))
    host.ok(_configure(2, 30, 40))
    for _ in range(5):
        host.ok(GetStatusRequest())
    host.take_events()
    to_device, to_host = captured.sealed_to_device(), captured.sealed_to_host()
    assert min(len(to_device), len(to_host)) >= 20
    handshake = captured.verify_requests()
    assert len(handshake) == 2  # step 1, step 3

    tally = Tally()
    attack = Attack(sim, tally, lines)
    mutate = Mutator(rng)
    requests = control_requests(rng)
    sealed = to_device + to_host
    unverified = Pipe(sim)  # link 1: never verified

    def on_verified(scale: float) -> None:
        """Every attack on the verified link (and the unverified one), ``scale`` of the full."""

        def n(count: int) -> int:
            return max(1, int(count * scale))

        assert host.codec.channel is not None
        last = host.codec.channel.sealer.counter - 1
        pipe = host.pipe
        attack.throw(pipe, "replay, same link", mutate.cycle(to_device), REPLAYED, n(6000))
        reorder(n(1000))
        attack.throw(pipe, "bit flips", mutate.flips(sealed), FORGED, n(30000))
        attack.throw(pipe, "byte edits", mutate.edits(sealed), FORGED, n(15000))
        attack.throw(pipe, "truncated, extended", mutate.lengths(sealed), FORGED, n(10000))
        attack.throw(pipe, "wrong key", mutate.wrong_key(requests, last), FORGED, n(10000))
        attack.throw(pipe, "counter ahead", mutate.ahead(to_device, last), FORGED, n(5000))
        attack.throw(pipe, "device's own frames", mutate.cycle(to_host), FORGED, n(3000))
        attack.throw(pipe, "version, kind edited", mutate.headers(sealed), MALFORMED, n(2000))
        attack.throw(pipe, "plain, after verify", mutate.plain(requests), UNAUTHORIZED, n(8000))
        link = unverified
        attack.throw(link, "sealed, no session", mutate.cycle(to_device), FORGED, n(4000))
        attack.throw(link, "flips, no session", mutate.flips(sealed), FORGED, n(4000))
        attack.throw(link, "plain, before verify", mutate.plain(requests), UNAUTHORIZED, n(8000))
        attack.throw(link, "handshake replayed", mutate.cycle(handshake), PAIR_STEP, n(400) * 2)
        attack.throw(link, "sealed, after it", mutate.cycle(to_device), FORGED, n(1000))

    def reorder(count: int) -> None:
        """Authentic frames held back, delivered after a later one: each refused as spent."""
        channel = host.codec.channel
        assert channel is not None
        held: list[bytes] = []
        kinds = [r for r in requests if not isinstance(r, PairSetupRequest)]
        while len(held) < count:
            burst = [
                channel.sealer.seal_encoded(
                    encode_message(rng.choice(kinds), rng.randrange(1 << 16))
                )
                for _ in range(10)
            ]
            assert isinstance(host.ask(GetStatusRequest()), Reply)  # a later frame arrives first
            rng.shuffle(burst)
            held += burst
        attack.throw(host.pipe, "reordered", iter(held[:count]), REPLAYED, count)

    # With every port idle: a frame that starts a session would turn output on.
    on_verified(0.5)
    # With a session running on each port: one that stops, pauses or reconfigures it shows.
    host.ok(StartRequest(port=1, session_id=201))
    host.ok(StartRequest(port=2, session_id=202))
    assert (sim.output_on(1), sim.output_on(2)) == (True, True)
    on_verified(0.5)
    # A new verified session of the same host, on a new link: the old session's frames.
    other = TestHost(sim)  # link 2
    attack.throw(other.pipe, "replay, new session", mutate.cycle(to_device), FORGED, 4000)
    # The first link verified again: its first session's frames are a stranger's now.
    assert verify(host.codec, host.ok, sim.serial)
    attack.throw(host.pipe, "replay, link verified again", mutate.cycle(to_device), FORGED, 4000)

    # The figure.
    assert tally.acted_on == 0
    assert tally.total >= MIN_FRAMES, tally.thrown
    assert sum(tally.outcome.values()) == tally.total
    # The audit log: a few lines, not one a frame; a minute of the device's clock on, one
    # summary line for each kind of refusal on each link that went on after its first line.
    assert tally.log_lines <= MAX_LOG_LINES
    logged = lines.count
    clock.advance(guard.SUMMARY_INTERVAL_S)
    assert 0 < lines.count - logged <= MAX_LOG_LINES
    # The genuine host on the same link: a real request completes, and controls the device.
    host.ok(StopRequest(port=0))
    host.ok(_configure(1, 15))
    host.ok(StartRequest(port=1, session_id=301))
    assert (sim.port_state(1), sim.output_on(1)) == (PortState.RUNNING, True)
    assert host.codec.forged == host.codec.replayed == 0
    other.ok(StopRequest(port=1))
    assert not sim.output_on(1)
    wall = time.perf_counter() - began
    print(
        f"\n{tally.total:,} frames thrown in {tally.batches} batches, acted on: {tally.acted_on}; "
        f"{wall:.1f} s\n  thrown: {dict(tally.thrown)}\n  outcome: {dict(tally.outcome)}\n"
        f"  device counters: {sim.auth}; audit log lines: {tally.log_lines:,}"
    )
    assert wall < WALL_LIMIT_S * 2  # a budget: 60 s aimed at, twice that before failing


def test_a_replayed_handshake_ends_the_links_session_and_controls_nothing(lines: _Lines) -> None:
    """A captured pair verify step 1, replayed on the verified link, is a new verify: it ends
    the link's session (section 13: a serial link has no connection, so a host that
    restarted must be able to verify again) and gets a step 2 no one can finish. It is the
    one unauthenticated frame that changes anything, and what it changes is the session,
    never output: the running session runs on, the old session's frames are refused, and
    the genuine host verifies again at its next request and carries on."""
    sim = SimulatedDevice(unlimited("multiport"), clock=ManualClock(), serial="F016")
    sim.provision(KeyStore.open())
    host = TestHost(sim)
    captured = Captured()
    _recording(host, captured)
    assert verify(host.codec, host.ok, sim.serial)
    host.ok(_configure(1, 20))
    host.ok(StartRequest(port=1, session_id=7))
    stop = captured.sealed_to_device()[-1]
    step_1, _ = captured.verify_requests()
    state = _state(sim)
    link = host.pipe.link
    assert guard_of(sim).verified(link) is not None

    link.write(step_1)  # the attacker's replay: a key used before, counted as a replay
    assert guard_of(sim).verified(link) is None
    assert sim.output_on(1)
    link.write(stop)
    assert _state(sim) == state
    assert _counts(sim) == Counter(replayed=1, forged=1)
    answers = [decode_frame(f[:-1]) for f in _frames_of(host.pipe.read_now())]
    assert [(f.kind, f.msg_id) for f in answers] == [
        (_RESPONSE, PairVerifyRequest.MSG_ID),  # step 2, under a key the attacker lacks
        (_ERROR, 0),  # "no verified session on this link"
    ]

    verifies = lines.count
    assert isinstance(host.ask(GetStatusRequest()), Reply)  # verified again, then answered
    assert guard_of(sim).verified(link) is not None
    # The one sealed frame refused while it verified: counted, and summed into the audit
    # line of the link's next minute (the link's first forged frame was logged).
    assert sim.auth.forged == 2
    assert lines.count == verifies
    host.ok(StopRequest(port=1))
    assert not sim.output_on(1)
