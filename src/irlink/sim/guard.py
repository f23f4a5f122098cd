"""A simulated device's IRLink 1.2 security: pair setup, a verified session per link, sealing.

A device with the ``secure`` capability puts a :class:`Guard` between its links and its
firmware, one per boot (a boot ends every session). The guard holds what
``protocols/README.md`` section 13 asks of a device: the pair-setup state machine over
the pairing list and the wrong-code count kept in non-volatile memory, a pair-verify
state machine and, once verified, a sealer and an opener for each link; deny by default
(before verify only ``get_info``, ``pair_setup`` and ``pair_verify`` are answered, and
``get_status`` if the profile says so); no event on a link without a verified session.

Every refusal for authentication, and every probe (a frame of another version or of a
kind no host sends, a replayed handshake), is counted in :class:`AuthStats` (a test reads
them on :attr:`irlink.sim.SimulatedDevice.auth`) and logged on ``irlink.sim.guard``, at a
rate an attacker cannot raise: the first refusal of each kind on a link is logged whole
(the link, what was refused, the counts so far), and the rest of that kind on that link
are summed into at most one line per :data:`SUMMARY_INTERVAL_S` of the device's clock (a
flood of forged frames is a few lines, its count exact).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import partial
from typing import TYPE_CHECKING

from irlink.protocol.errors import MessageError
from irlink.protocol.framing import Frame
from irlink.protocol.messages import (
    PROTOCOL_VERSION,
    REQUESTS,
    ErrorCode,
    FrameKind,
    GetInfoRequest,
    GetStatusRequest,
    ListPairingsRequest,
    PairSetupRequest,
    PairSetupResponse,
    PairVerifyRequest,
    PairVerifyResponse,
    RemovePairingRequest,
    RemovePairingResponse,
)
from irlink.security import (
    Channel,
    CounterExhausted,
    DevicePairing,
    Forged,
    Identity,
    NotAuthorized,
    Pairings,
    Refused,
    Replayed,
    SessionKeys,
    SetupCode,
    SetupCodeRejected,
    VerifyDevice,
)

if TYPE_CHECKING:
    from irlink.sim.firmware import Firmware
    from irlink.sim.link import Link
    from irlink.sim.memory import NonVolatile

__all__ = ["SUMMARY_INTERVAL_S", "AuthStats", "Guard"]

log = logging.getLogger(__name__)

_SEALED = int(FrameKind.SEALED)
_REQUEST = int(FrameKind.REQUEST)
_SETUP, _VERIFY = PairSetupRequest.MSG_ID, PairVerifyRequest.MSG_ID
_LIST, _REMOVE = ListPairingsRequest.MSG_ID, RemovePairingRequest.MSG_ID
_OWN_CRYPTO_OR_ADMIN = frozenset({_SETUP, _VERIFY, _LIST, _REMOVE})
# Plain requests a link answers: always these (a serial link has no connection: a host that
# restarted identifies the device and verifies again), and get_status before verify if the
# profile allows it (section 13.7).
_PLAIN = frozenset({GetInfoRequest.MSG_ID, _SETUP, _VERIFY})
_PLAIN_WITH_STATUS = _PLAIN | {GetStatusRequest.MSG_ID}

SUMMARY_INTERVAL_S = 60.0
"""Device seconds between two audit lines of one kind of refusal on one link: the
refusals between are counted, and summed into the next line."""
_KEYS_KEPT = 1024
"""Hosts' pair verify step 1 keys remembered per boot, to tell a replayed handshake (a
genuine host makes a new key for every verify): the oldest are forgotten first."""


@dataclass
class AuthStats:
    """Every refusal for authentication, and every probe, a simulated device saw: its audit
    trail, as counts."""

    forged: int = 0
    """Sealed frames dropped: the tag did not match, or the link had no verified session."""
    replayed: int = 0
    """Frames that repeat what the device has seen: sealed frames dropped as authentic but
    with a counter not above the last one accepted; a pair verify step 1 with a host key
    used before since the device booted, and a step 3 repeated in a session that has
    opened sealed frames (both answered as ever: section 13.4 does not change)."""
    unauthorized: int = 0
    """Requests answered ``unauthorized``: plain where a verified session is needed, pair
    setup with the window closed, ``list_pairings``/``remove_pairing`` from a non-admin."""
    wrong_codes: int = 0
    """Pair setups refused for a wrong setup code, or while the device makes guessers wait."""
    failed_verifies: int = 0
    """Pair verifies refused: a host the device is not paired with, or a proof that fails."""
    malformed: int = 0
    """Frames of another protocol version, or of a kind no host sends: answered with the
    plain error of section 3.2, as ever (a host of another revision, or someone probing)."""

    def __str__(self) -> str:
        return ", ".join(
            f"{f.name.replace('_', ' ')} {getattr(self, f.name)}" for f in fields(self)
        )


class _Session:
    """One link's pair verify and, once verified, its sealer and opener."""

    def __init__(self, verify: VerifyDevice) -> None:
        self.verify = verify
        self.keys: SessionKeys | None = None
        self.channel: Channel | None = None
        self.last: PairVerifyRequest | None = None  # the link's last pair verify request

    def settle(self) -> bool:
        """Follow the verify state machine: a new session's channel, or none.

        Returns whether a new session was made.
        """
        keys = self.verify.keys
        if keys is None:
            self.keys = self.channel = None
        elif keys is not self.keys:  # a repeat of step 3 keeps the session it made
            self.keys, self.channel = keys, keys.device()
            return True
        return False

    def end(self) -> None:
        self.verify.end()
        self.keys = self.channel = None
        self.last = None

    def seal(self, channel: Channel, link: Link, data: bytes) -> bytes:
        """``data`` sealed with ``channel``; a counter used up ends the session, never the
        firmware (b"": nothing to send): security must not stand between a participant
        and the device's own cut-off."""
        try:
            return channel.sealer.seal_encoded(data)
        except CounterExhausted:
            log.warning("link %d: 2**32 frames sealed: the session ends", link.number)
            self.end()
            return b""

    def sealer(self, channel: Channel, link: Link) -> Callable[[bytes], bytes]:
        """:meth:`seal` with ``channel`` and ``link`` given."""
        return partial(self.seal, channel, link)


class _Audit:
    """One kind of refusal on one link: when it was last logged, and how many since."""

    __slots__ = ("latest", "logged_at", "since")

    def __init__(self, now: float) -> None:
        self.logged_at = now
        self.since = 0  # refusals counted, not logged, since logged_at
        self.latest = ""


def _sent(reply: Callable[[bytes], None], sealed: bytes) -> None:
    """Send a sealed answer; nothing when sealing ended the session (see Session.sealer)."""
    if sealed:
        reply(sealed)


class Guard:
    """One boot's security: the device's pair setup, and each link's verified session."""

    def __init__(
        self,
        *,
        identity: Identity,
        code: SetupCode,
        memory: NonVolatile,
        clock: Callable[[], float],
        stats: AuthStats,
        links: Callable[[], Iterable[Link]],
        status_before_verify: bool = False,
    ) -> None:
        self.identity = identity
        self.memory = memory
        self.stats = stats
        self.clock = clock
        self._links = links
        self.pairing = DevicePairing(
            identity, code, clock, pairings=memory.pairings, failures=memory.pair_failures
        )
        self._sessions: dict[Link, _Session] = {}
        self._unverified = _PLAIN_WITH_STATUS if status_before_verify else _PLAIN
        self._known = frozenset(REQUESTS)
        self._keys_seen: dict[bytes, None] = {}  # step 1 keys, oldest first
        self._audit: dict[tuple[Link, str], _Audit] = {}
        self.summary_due = math.inf
        """The device time of the next audit summary due (:meth:`tick`)."""

    @property
    def pairings(self) -> Pairings:
        """The hosts the device is paired with (non-volatile)."""
        return self.memory.pairings

    def verified(self, link: Link) -> bytes | None:
        """The pairing id of the host verified on ``link``, or None."""
        session = self._sessions.get(link)
        return None if session is None or session.channel is None else session.verify.host_id

    def forget(self, link: Link) -> None:
        """The link closed: its session ends, and its refusals not yet logged are summed."""
        self._sessions.pop(link, None)
        for key in [key for key in self._audit if key[0] is link]:
            audit = self._audit.pop(key)
            if audit.since:
                self._summary(link, key[1], audit, self.clock())

    # Frames in.

    def frame(
        self, firmware: Firmware, frame: Frame, link: Link, reply: Callable[[bytes], None]
    ) -> None:
        """Serve one intact frame that arrived on ``link``; answers go to ``reply``."""
        kind, seq, msg_id, _, version = frame
        codec = firmware.codec
        if version != PROTOCOL_VERSION:
            self._count(link, f"a frame of version {version} answered unsupported", "malformed")
            reply(firmware.answer(frame)[0])  # unsupported_version, whatever it holds
            return
        session = self._sessions.get(link)
        if kind == _SEALED:
            self._sealed(firmware, frame, link, session, reply)
            return
        if kind != _REQUEST:  # answered below with the codec's plain refusal (bad_frame)
            self._count(link, f"a frame of kind {kind}, which no host sends, refused", "malformed")
        if kind == _REQUEST and msg_id in self._known:
            allowed = _PLAIN if session is not None and session.channel else self._unverified
            if msg_id not in allowed:
                self._count(link, f"plain request {REQUESTS[msg_id].NAME} refused", "unauthorized")
                reply(codec.error(seq, msg_id, ErrorCode.UNAUTHORIZED))
                return
            if msg_id in (_SETUP, _VERIFY):
                reply(self._pair(firmware, frame, link))
                return
        out, events = firmware.answer(frame)
        reply(out)
        firmware.send_events(events)

    def _sealed(
        self,
        firmware: Firmware,
        frame: Frame,
        link: Link,
        session: _Session | None,
        reply: Callable[[bytes], None],
    ) -> None:
        channel = None if session is None else session.channel
        if session is None or channel is None:
            # The host thinks it has a session (the device restarted, or another host's
            # pair verify ended it): say so, in the one plain answer seq 0 / msg_id 0 gets.
            self._count(link, "sealed frame on a link without a verified session", "forged")
            reply(firmware.codec.error(0, 0, ErrorCode.UNAUTHORIZED))
            return
        try:
            inner = channel.opener.open(frame)
        except Forged:
            self._count(link, "sealed frame whose tag does not match dropped", "forged")
            return
        except Replayed:
            self._count(link, "sealed frame with a spent counter dropped", "replayed")
            return
        kind, seq, msg_id, _, _ = inner
        if kind == _REQUEST and msg_id in _OWN_CRYPTO_OR_ADMIN:
            # The channel is kept: removing this host's pairing ends the session.
            seal = session.sealer(channel, link)
            if msg_id in (_SETUP, _VERIFY):
                # Their own cryptography protects them: they travel in plain frames only.
                _sent(reply, seal(firmware.codec.error(seq, msg_id, ErrorCode.NOT_ALLOWED)))
            else:
                self._admin(firmware, inner, link, session, seal, reply)
            return
        out, events = firmware.answer(inner)
        sealed = session.seal(channel, link, out)
        if sealed:
            reply(sealed)
        if events:
            firmware.send_events(events)

    # Pairing.

    def _pair(self, firmware: Firmware, frame: Frame, link: Link) -> bytes:
        """The plain answer to ``pair_setup`` or ``pair_verify``."""
        codec = firmware.codec
        try:
            request = codec.read_request(frame)
        except MessageError as exc:
            return codec.rejected(frame, exc).reply
        seq, msg_id = frame.seq, frame.msg_id
        answer: PairSetupResponse | PairVerifyResponse
        try:
            if isinstance(request, PairSetupRequest):
                answer = self._setup(request, link)
            else:
                assert isinstance(request, PairVerifyRequest)
                answer = self._verify(request, link)
        except Refused as refusal:
            return codec.error(seq, msg_id, refusal.code, refusal.field, refusal.limit)
        return codec.response(seq, answer)

    def _setup(self, request: PairSetupRequest, link: Link) -> PairSetupResponse:
        pairing = self.pairing
        failures, paired = pairing.failures, len(self.pairings)
        try:
            answer = pairing.receive(request)
        except SetupCodeRejected as refusal:
            self.memory.pair_failures = pairing.failures
            if pairing.failures > failures:  # a new wrong code (a repeat is not counted twice)
                self._count(link, f"pair setup: {refusal}", "wrong_codes")
            elif request.step == 1:
                self._count(link, f"pair setup refused: {refusal}", "wrong_codes")
            raise
        except NotAuthorized as refusal:
            self._count(link, f"pair setup refused: {refusal}", "unauthorized")
            raise
        except Refused as refusal:
            log.info("link %d: pair setup refused: %s", link.number, refusal)
            raise
        self.memory.pair_failures = pairing.failures
        if len(self.pairings) > paired:
            newest = list(self.pairings)[-1]
            role = "an admin" if newest.admin else "not an admin"
            log.info(
                "link %d: paired host %s (%s; %d of the device's pairings)",
                link.number,
                newest.pairing_id.hex(),
                role,
                len(self.pairings),
            )
        return answer

    def _verify(self, request: PairVerifyRequest, link: Link) -> PairVerifyResponse:
        session = self._sessions.get(link)
        if session is None:
            session = self._sessions[link] = _Session(VerifyDevice(self.identity, self.pairings))
        # The same request again (a host that lost the answer) gets the same answer again.
        repeat, session.last = request == session.last, request
        key = bytes(request.data) if request.step == 1 and request.parts == 1 else b""
        if key and not repeat and key in self._keys_seen:
            # A genuine host makes a new key for every verify: this is a captured step 1.
            # It is answered all the same (it ends the link's session, section 13.4).
            self._count(link, "pair verify step 1 with a host key used before", "replayed")
        failures = session.verify.failures
        try:
            answer = session.verify.receive(request)
        except Refused:
            session.settle()
            if session.verify.failures > failures:
                self._count(
                    link,
                    "pair verify refused: a host not paired, or its proof fails",
                    "failed_verifies",
                )
            raise
        if key:
            self._remember(key)
        if session.settle():
            host = session.verify.host_id
            log.info("link %d: host %s verified", link.number, host.hex() if host else "?")
        elif request.step == 3 and session.channel is not None and session.channel.opener.opened:
            # Step 4 again, the session unchanged; after the host's sealed frames no genuine
            # host asks for it: a captured step 3.
            self._count(link, "pair verify step 3 repeated in a session under way", "replayed")
        return answer

    def _remember(self, key: bytes) -> None:
        seen = self._keys_seen
        seen[key] = None
        if len(seen) > _KEYS_KEPT:
            del seen[next(iter(seen))]

    def _admin(
        self,
        firmware: Firmware,
        inner: Frame,
        link: Link,
        session: _Session,
        seal: Callable[[bytes], bytes],
        reply: Callable[[bytes], None],
    ) -> None:
        """``list_pairings`` or ``remove_pairing``, from the host verified on ``link``."""
        codec = firmware.codec
        seq, msg_id = inner.seq, inner.msg_id
        removed: list[bytes] = []
        try:
            request = codec.read_request(inner)
        except MessageError as exc:
            _sent(reply, seal(codec.rejected(inner, exc).reply))
            return
        requester = session.verify.host_id or b""
        try:
            if isinstance(request, RemovePairingRequest):
                removed = self.pairings.remove_pairing(requester, request)
                out = codec.response(seq, RemovePairingResponse())
            else:
                out = codec.response(seq, self.pairings.list_pairings(requester))
        except Refused as refusal:
            if isinstance(refusal, NotAuthorized):
                self._count(link, f"{REQUESTS[msg_id].NAME} refused: {refusal}", "unauthorized")
            out = codec.error(seq, msg_id, refusal.code, refusal.field, refusal.limit)
        _sent(reply, seal(out))  # a host that removes itself gets its answer first
        for pairing_id in removed:
            log.info("link %d: pairing %s removed", link.number, pairing_id.hex())
        if removed:
            for other in list(self._sessions.values()):
                if other.verify.host_id in removed:
                    other.end()

    # Frames out.

    def broadcast(self, data: bytes) -> None:
        """An event: sealed to every link with a verified session, to no other link."""
        for link in self._links():
            session = self._sessions.get(link)
            if session is not None and session.channel is not None:
                sealed = session.seal(session.channel, link, data)
                if sealed:
                    link.send_to_host(sealed)

    # The audit trail.

    def _count(self, link: Link, what: str, counter: str) -> None:
        """Count a refusal; log it if it is the first of its kind on the link, else sum it
        into at most one line per :data:`SUMMARY_INTERVAL_S` (a flood stays a few lines)."""
        stats = self.stats
        setattr(stats, counter, getattr(stats, counter) + 1)
        now = self.clock()
        key = (link, counter)
        audit = self._audit.get(key)
        if audit is None:
            self._audit[key] = _Audit(now)
            log.warning("link %d: %s (%s)", link.number, what, stats)
            return
        audit.since += 1
        audit.latest = what
        if now - audit.logged_at >= SUMMARY_INTERVAL_S:
            self._summary(link, counter, audit, now)
        elif audit.since == 1:
            self.summary_due = min(self.summary_due, audit.logged_at + SUMMARY_INTERVAL_S)

    def _summary(self, link: Link, counter: str, audit: _Audit, now: float) -> None:
        log.warning(
            "link %d: %d more %s in %.0f s, the latest: %s (%s)",
            link.number,
            audit.since,
            counter.replace("_", " "),
            now - audit.logged_at,
            audit.latest,
            self.stats,
        )
        audit.logged_at, audit.since = now, 0

    def tick(self, now: float) -> None:
        """The device's time moved on to ``now``: log the summaries due."""
        if now < self.summary_due:
            return
        due = math.inf
        for (link, counter), audit in self._audit.items():
            if audit.since:
                if now - audit.logged_at >= SUMMARY_INTERVAL_S:
                    self._summary(link, counter, audit, now)
                else:
                    due = min(due, audit.logged_at + SUMMARY_INTERVAL_S)
        self.summary_due = due

    def flush(self) -> None:
        """Log every refusal counted and not yet logged (the device powers off)."""
        now = self.clock()
        for (link, counter), audit in self._audit.items():
            if audit.since:
                self._summary(link, counter, audit, now)
        self.summary_due = math.inf
