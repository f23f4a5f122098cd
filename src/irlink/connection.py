"""The engine under :class:`irlink.Device`: one link at a time, requests, events, reconnects.

Requests are matched to answers by sequence number, each attempt with its own
timeout; a request the spec marks idempotent (every v1 request) is sent again when
no answer comes, with a new sequence number, and an answer to any of its attempts
completes it. How often, and when silence means the link is lost, is the rule of
:mod:`irlink.liveness`: four tries when nothing at all comes back, up to 25 while the
device is heard (frames arrive, even damaged ones), and the link is taken as lost only
after a run of tries that heard nothing at all, longer on a link that has shown it
goes silent now and then while alive. Events go to every :meth:`Connection.events`
iterator. When the link drops, callers see :class:`~irlink.events.LinkDown`; with a
:class:`Backoff` the engine opens a new link (0.25 s, doubling up to 4 s) and
resynchronises before any caller's request goes out again. Nothing here starts, resumes
or extends output by itself, and ``configure``, ``start``, ``resume`` and
``clear_fault`` are never carried over onto a new link.

In a verified session (IRLink 1.2, once :class:`irlink.Device` has run pair verify on
the link) every request but ``pair_setup`` and ``pair_verify`` goes out sealed, a retry
as the same inner request under a new counter, and every sealed frame that comes is
opened: a forged or replayed one is dropped and counted in :class:`LinkStats`, as is a
plain frame that is not the answer to a plain request, and none of them ever acts. A
corrupted frame is just that: the CRC drops it first. When the device says the session
is gone (a plain ``unauthorized`` with seq 0: it restarted, or another pair verify ended
it), the link verifies again before any caller's request goes out, as after a reconnect.
Each of these is also told to :class:`irlink.Device`'s journal (:meth:`Connection._security`,
:meth:`Connection._dropped`), which counts dropped frames rather than list them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from irlink.errors import (
    DeviceMismatch,
    DeviceRestarted,
    LinkLost,
    ProtocolError,
    RequestTimeout,
    TransportError,
)
from irlink.events import DeviceEvent, LinkDown, from_wire_event
from irlink.journal import SecurityKind
from irlink.liveness import LIVELY_RETRIES, Liveness, frames_in
from irlink.protocol import EventReceived, Garbled, HostCodec, MessageError, Refusal, Reply
from irlink.protocol.framing import Frame, FrameDecoder, encode_frame, frame_bytes
from irlink.protocol.messages import (
    PROTOCOL_VERSION,
    BootedEvent,
    ErrorCode,
    ErrorReply,
    FrameKind,
    PairingPart,
)
from irlink.protocol.wire import Event as WireEvent
from irlink.protocol.wire import Request
from irlink.refusals import PairingFailed, PairingWindowClosed, refusal
from irlink.security.errors import Forged, Replayed, SecurityError
from irlink.security.sealed import Channel
from irlink.transport.base import Transport

if TYPE_CHECKING:
    from irlink.trace import FrameTracer

__all__ = ["Backoff", "Connection", "Connector", "LinkStats"]

log = logging.getLogger(__name__)

Connector = Callable[[], Awaitable[Transport]]
R = TypeVar("R")
_Pending = tuple["asyncio.Future[Any]", type[Request], int, Callable[[bytes], Any]]
_RESPONSE = int(FrameKind.RESPONSE)
_ERROR = int(FrameKind.ERROR)
_SEALED = int(FrameKind.SEALED)
_EVENT = int(FrameKind.EVENT)
# Requests that travel plain in a verified session too: their own cryptography guards them.
_PLAIN = frozenset({"pair_setup", "pair_verify"})
REFUSED_ATTEMPTS = 3  # reconnection attempts refused (another device, not paired...)
SEALED_LIVELY = 2  # how many times the tries while heard, in a verified session
_END = object()
_Published = tuple[DeviceEvent, "Future[Any] | None"]  # an event, and its record's writing
# Requests that turn output on or change what it will do: never carried over to a new
# link (the device may have rebooted, or done it already), so the caller decides again.
_ONE_LINK = frozenset({"configure", "start", "resume", "clear_fault"})


@dataclass(frozen=True)
class Backoff:
    """How to reconnect: ``initial`` s, doubling up to ``maximum`` s; ``attempts`` 0: forever."""

    initial: float = 0.25
    maximum: float = 4.0
    attempts: int = 0

    def delays(self) -> AsyncIterator[float]:
        """The waits between attempts, ending after ``attempts`` (never, if 0)."""
        return _delays(self)


def _refused(error: ErrorReply, sent: type[Request]) -> Exception:
    """The typed refusal of request ``sent`` by an error frame."""
    if error.code == ErrorCode.PAIRING_FAILED and issubclass(sent, PairingPart):
        # Its field is no position: the attempts left before pair setup locks.
        return PairingFailed(sent.NAME, "", error.limit, attempts_left=error.field)
    if error.code == ErrorCode.UNAUTHORIZED and sent.NAME == "pair_setup":
        return PairingWindowClosed(sent.NAME)
    names = list(sent.model_fields)
    field = names[error.field - 1] if 0 < error.field <= len(names) else ""
    return refusal(error.code, sent.NAME, field, error.limit)


async def _delays(backoff: Backoff) -> AsyncIterator[float]:
    delay, tried = backoff.initial, 0
    while backoff.attempts == 0 or tried < backoff.attempts:
        tried += 1
        yield delay
        delay = min(delay * 2, backoff.maximum)


@dataclass
class LinkStats:
    """What the host's side of the link has seen, for tests and diagnostics."""

    requests: int = 0  # attempts sent, retries included
    retries: int = 0
    timeouts: int = 0  # requests that failed after every attempt
    garbled: int = 0  # intact frames that break the spec
    events: int = 0
    events_missed: int = 0
    links_lost: int = 0
    reconnects: int = 0
    # IRLink 1.2, in a verified session: frames dropped, never acted on.
    forged: int = 0  # sealed frames that do not open (or came with no session to open them)
    replayed: int = 0  # sealed frames whose counter was not above the last one opened
    plain_dropped: int = 0  # plain frames that were not the answer to a plain request
    verifies: int = 0  # pair verifies completed, one per link and per session lost


class _Dropped(Exception):
    """The link went down while an attempt waited for its answer."""


class Connection:
    """A link to one device that survives drops: requests, events and reconnection."""

    def __init__(
        self,
        connector: Connector,
        *,
        address: str,
        timeout: float = 1.0,
        retries: int = 3,
        reconnect: Backoff | None = None,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be above 0 s, not {timeout}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, not {retries}")
        self.address = address
        self.timeout = timeout
        self.retries = retries
        self.reconnect = reconnect
        self.stats = LinkStats()
        self._connector = connector
        self._codec = HostCodec()
        self._transport: Transport | None = None
        # seq -> the attempt waiting now, and its request's class, message id and answer
        # reader; every attempt's seq points at the present attempt, so a late answer to
        # an earlier one still completes the request.
        self._pending: dict[int, _Pending] = {}
        self._linked = asyncio.Event()  # a transport is open: resync requests may go
        self._ready = asyncio.Event()  # resynchronised: callers' requests may go
        self._closing = False
        self._last_counter: int | None = None
        self._subscribers: list[asyncio.Queue[object]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._gave_up: LinkLost | None = None
        self._closed = asyncio.Event()
        self._generation = 0  # counts links opened, so a request knows if the link changed
        self._boots = 0  # counts restarts seen, so a request knows if the device restarted
        # When each waiting attempt times out, watched by one timer for them all: a timer
        # armed and cancelled per request cost a tenth of a status round trip.
        self._deadlines: dict[asyncio.Future[Any], float] = {}
        self._watchdog: asyncio.TimerHandle | None = None
        self._liveness = Liveness()  # kept across links: the next one is likely as noisy
        # The verified session of this link (IRLink 1.2): sealer and opener, or None.
        self._channel: Channel | None = None
        # The device has security (it said so, or this host is paired with it): its events
        # come sealed only, so a plain one is dropped even before the link is verified.
        self._sealed_events = False
        # A plain no-session refusal that came while the link was being verified and read:
        # the session it was about, and the last counter opened then (see _session_lost).
        self._doubt: tuple[Channel, int] | None = None
        self._reverifying = False
        self._tracer: FrameTracer | None = None  # the link's, if it is traced

    @property
    def connected(self) -> bool:
        """Whether the link is up and resynchronised."""
        return self._ready.is_set()

    def _noisy(self) -> bool:
        """Whether a try of a request went unanswered lately (see :mod:`irlink.liveness`)."""
        return self._liveness.noisy(self.stats.requests)

    # Opening and closing.

    async def _open(self) -> None:
        """The first link; raises if it cannot be opened (no retries here)."""
        await self._attach()

    async def _attach(self) -> None:
        transport = await self._connector()
        self._generation += 1
        self._codec.decoder = FrameDecoder()
        self._last_counter = None
        self._channel = None  # every link verifies afresh
        self._doubt = None
        self._tracer = getattr(transport, "tracer", None)
        self._transport = transport
        transport.listen(self._received_bytes)
        self._spawn(self._watch(transport))
        self._linked.set()
        try:
            await self._resync()
        except BaseException:
            self._detach(transport)
            await transport.close()
            raise
        self._doubt = None
        self._ready.set()

    async def _resync(self) -> None:
        """Re-read the device after a new link; :class:`irlink.Device` fills this in."""

    def _detach(self, transport: Transport) -> None:
        if transport is not self._transport:
            return
        self._transport = None
        self._channel = None
        self._link_ended()
        self._linked.clear()
        self._ready.clear()
        for future, *_ in self._pending.values():
            if not future.done():
                future.set_exception(_Dropped())

    async def close(self) -> None:
        """Close the link and end every :meth:`events` iterator; harmless twice."""
        if self._closing:
            return
        self._closing = True
        self._gave_up = LinkLost(f"the link to {self.address} was closed; connect again")
        self._closed.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        transport = self._transport
        if transport is not None:
            self._detach(transport)
            await transport.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for queue in self._subscribers:
            queue.put_nowait(_END)

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("irlink task failed for %s", self.address, exc_info=task.exception())

    # Requests.

    async def request(
        self,
        request: Request,
        expect: type[R],
        *,
        read: Callable[[bytes], R] | None = None,
        resync: bool = False,
        timeout: float | None = None,
    ) -> R:
        """Send ``request`` and return its answer; retried if idempotent; typed errors.

        The answer is the response message ``expect``, or what ``read`` makes of the
        response's body (it raises :class:`~irlink.protocol.MessageError` for a body the
        response's model would refuse). ``timeout`` replaces the connection's timeout per
        attempt for this request.
        """
        cls = type(request)
        if read is None:
            read = self._codec.reader(cls)  # at the device's revision
        entry_of = (cls, cls.MSG_ID, read)
        retries = self.retries if request.IDEMPOTENT else 0
        tries, most = 1 + retries, 1 + LIVELY_RETRIES * retries  # see irlink.liveness
        if self._channel is not None:
            # A sealed frame is 21 bytes longer each way: on a link that damages 1 % of
            # bytes a sealed status round trip gets through one try in four, not two in
            # five, and 25 tries would leave one status in three thousand unanswered.
            # While the device is heard, twice the persistence (see irlink.liveness).
            most = 1 + SEALED_LIVELY * LIVELY_RETRIES * retries
        wait = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        seqs: list[int] = []
        generation = 0
        last: Exception | None = None
        silent: list[int] = []  # the numbers of the tries in a row that heard nothing at all
        silent_limit = tries  # how many such tries take the link as lost
        liveness = self._liveness
        attempt = 0
        boots = self._boots
        try:
            while True:
                if self._boots != boots and request.NAME in _ONE_LINK:
                    # A retry would reach a device back at its defaults: never send it.
                    raise DeviceRestarted(
                        f"{self.address} restarted during {request.NAME}; its settings are "
                        f"back to its defaults and {request.NAME} was not sent again: read "
                        "the status, configure again and decide"
                    )
                gate = self._linked if resync else self._ready
                transport = self._transport
                if not gate.is_set() or transport is None:  # only then: awaiting costs
                    transport = await self._link_for(request, resync, tries, most)
                    if self._boots != boots and request.NAME in _ONE_LINK:
                        # Restored onto a device that restarted meanwhile: back at its
                        # defaults, so what was asked of it no longer means the same.
                        raise DeviceRestarted(
                            f"{self.address} restarted while the link was being restored; "
                            f"its settings are back to its defaults and {request.NAME} was "
                            "not sent: read the status, configure again and decide"
                        )
                if generation and generation != self._generation and request.NAME in _ONE_LINK:
                    raise LinkLost(
                        f"the link to {self.address} dropped during {request.NAME}; the device "
                        "may not have done it (or may have restarted): read status() and "
                        "decide again"
                    )
                generation = self._generation
                channel = self._channel
                if channel is None or request.NAME in _PLAIN:
                    seq, data = self._codec.request(request)
                else:
                    # Sealed: a retry is the same inner request under a new counter.
                    seq, kind, msg_id, body = self._codec.request_parts(
                        request, seqs[0] if seqs else None
                    )
                    if self._tracer is not None:
                        plain = frame_bytes(kind, seq, msg_id, body)
                        self._tracer.inner("send", plain, channel.sealer.counter)
                    data = channel.sealer.seal_parts(kind, seq, msg_id, body)
                seqs.append(seq)
                future: asyncio.Future[Any] = loop.create_future()
                decoder = self._codec.decoder
                heard = frames_in(decoder)
                try:
                    # Sent first when the link takes it at once: the bookkeeping below then
                    # runs while the request travels. Nothing can answer it before this
                    # task waits, and it waits only once the attempt is registered.
                    sent_now = transport.try_write(data)
                    waiting: _Pending = (future, *entry_of)
                    for sent in seqs:
                        self._pending[sent] = waiting
                    self.stats.requests += 1
                    self.stats.retries += attempt > 0
                    deadline = self._deadlines[future] = loop.time() + wait
                    watchdog = self._watchdog
                    if watchdog is None or deadline < watchdog.when():
                        self._watch_until(deadline)
                    if not sent_now:
                        await transport.write(data)
                    answer = await future
                except TimeoutError as exc:
                    if self._doubt is not None and channel is not None:
                        self._check_doubt(channel, request)
                    last, number = exc, self.stats.requests
                    liveness.unanswered(number)
                    if decoder is self._codec.decoder and frames_in(decoder) != heard:
                        liveness.lived(silent)  # the device is there: its silence was noise
                        silent = []
                    else:
                        if not silent:
                            silent_limit = (
                                # Pair verify's and pair setup's requests are long (step 3 of
                                # verify: 96 bytes, ten times a get_status): on a link that
                                # damages 1 % of bytes most tries of them arrive damaged, and
                                # go unanswered. The device answered get_info on this link
                                # just before: their silence is that, not a lost link.
                                # A caller's own wait per try (pair setup's 30 s) is long
                                # enough to hear a slow device: the usual tries then.
                                most
                                if request.NAME in _PLAIN and timeout is None
                                else liveness.silent_limit(number, tries, most)
                            )
                        silent.append(number)
                except (_Dropped, TransportError) as exc:
                    last, silent = exc, []
                else:
                    if silent:
                        liveness.lived(silent)
                    assert isinstance(answer, expect)
                    return answer
                finally:
                    self._deadlines.pop(future, None)
                log.debug("%s attempt %d: %r", request.NAME, attempt + 1, last)
                attempt += 1
                # The usual tries whatever happens; more only while the link is up, the
                # device is heard, and the most tries are not reached.
                if attempt >= tries and (
                    not isinstance(last, TimeoutError)
                    or attempt >= most
                    or len(silent) >= silent_limit
                ):
                    break
            if not isinstance(last, TimeoutError):  # the last try ended with the link
                lost = self._gave_up or LinkLost(
                    f"the link to {self.address} went down while waiting for the answer to "
                    f"{request.NAME}; read status() once events() reports LinkRestored"
                )
                if request.NAME in _ONE_LINK:  # it may have been carried out all the same
                    lost = LinkLost(f"{lost}; the device may have done {request.NAME}")
                raise lost
            self.stats.timeouts += 1
            said = f"{self.address} did not answer {request.NAME} ({attempt} tries of {wait:g} s)"
            if len(silent) < silent_limit:
                # Frames came back, damaged or not the answer: a noisy link, not a lost one.
                raise RequestTimeout(
                    f"{said}, though the device was heard meanwhile: the link is noisy; "
                    "bring the device closer or check the cable, or raise the timeout"
                )
            error = RequestTimeout(
                f"{said}, and nothing at all came back for the last {len(silent)}; check that "
                "the device is on and in range, or raise the timeout",
                silent=True,
            )
            if not resync and self._transport is not None:
                # A link that carries nothing is lost, though the port is still open (a
                # serial bridge out of range): drop it and let reconnection find the device.
                transport = self._transport
                self._link_down(transport, f"{error}; the link is taken as lost")
                self._spawn(transport.close())
            raise error
        finally:
            for seq in seqs:
                entry = self._pending.pop(seq, None)
                if entry is not None and not entry[0].done():
                    entry[0].cancel()

    def _watch_until(self, when: float) -> None:
        """Wake at ``when`` (loop time) to fail the attempts due by then."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = asyncio.get_running_loop().call_at(when, self._expire_due)

    def _expire_due(self) -> None:
        self._watchdog = None
        now = asyncio.get_running_loop().time()
        later: float | None = None
        for future, deadline in self._deadlines.items():
            if deadline <= now:
                if not future.done():
                    future.set_exception(TimeoutError())
            elif later is None or deadline < later:
                later = deadline
        if later is not None:  # an attempt sent since: the next is due then
            self._watch_until(later)

    async def _link_for(self, request: Request, resync: bool, tries: int, most: int) -> Transport:
        """The open link, once it may carry ``request``; waits while reconnecting.

        It waits as long as ``tries`` tries of the request would, and on, up to ``most``
        tries' worth, while the reconnection is heard making progress (frames come in
        on the new link: a noisy link's reconnection, whose pair verify takes its tries),
        as a request is tried on while the device is heard (:mod:`irlink.liveness`).
        """
        gate = self._linked if resync else self._ready
        waited = 0
        while not gate.is_set():
            if self._gave_up is not None:
                raise self._gave_up
            decoder = self._codec.decoder
            heard = frames_in(decoder)
            step = tries if not waited else 1
            opened, closed = (
                asyncio.ensure_future(gate.wait()),
                asyncio.ensure_future(self._closed.wait()),
            )
            try:
                await asyncio.wait(
                    {opened, closed},
                    timeout=self.timeout * step,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                opened.cancel()
                closed.cancel()
            waited += step
            if self._gave_up is not None:
                raise self._gave_up
            if gate.is_set():
                break
            # Heard on the link being restored: frames came in since the last look (on a
            # new link's decoder, any at all; a link attempt that only failed is not).
            now = self._codec.decoder
            progressing = frames_in(now) > (heard if now is decoder else 0)
            if self._closed.is_set() or not progressing or waited >= most:
                raise LinkLost(
                    f"the link to {self.address} is down; irlink keeps reconnecting "
                    f"({request.NAME} not sent); try again once events() reports LinkRestored"
                )
        transport = self._transport
        if transport is None:
            raise LinkLost(f"the link to {self.address} is down")
        return transport

    # Receiving.

    def _received_bytes(self, data: bytes) -> None:
        frame_of = self._frame
        for frame in self._codec.decoder.feed(data):
            frame_of(frame)

    def _frame(self, frame: Frame) -> None:
        """Handle one intact frame from the device."""
        if frame[0] == _SEALED or self._channel is not None:
            opened = self._unseal(frame)
            if opened is None:
                return
            frame = opened
        elif frame[0] == _EVENT and self._sealed_events:
            # Before the session is verified: anyone on the link could have written it.
            self.stats.plain_dropped += 1
            log.debug("%s: a plain event from a device with security dropped", self.address)
            self._dropped()
            return
        kind, seq, msg_id, body, version = frame
        # The answer to a waiting request is read here, by that request's reader;
        # anything else (events, refusals, late or odd answers) the long way.
        entry = self._pending.get(seq) if kind == _RESPONSE else None
        if entry is None or entry[2] != msg_id or version != PROTOCOL_VERSION:
            self._dispatch(self._codec.read(frame))
            return
        future, _, _, read = entry
        try:
            answer = read(body)
        except MessageError as exc:
            self._garbled(exc)
            return
        if not future.done():
            future.set_result(answer)

    def _unseal(self, frame: Frame) -> Frame | None:
        """The frame to handle, in or out of a verified session; None: dropped (counted)."""
        channel = self._channel
        if frame.kind == _SEALED:
            if channel is None:
                if self._unsealable(frame):
                    return None  # kept until the verify under way gives the keys
                self.stats.forged += 1
                log.debug("%s: a sealed frame with no verified session dropped", self.address)
                self._dropped()
                return None
            try:
                inner = channel.opener.open(frame)
            except Forged as exc:
                self.stats.forged += 1
                self._log_dropped(exc)
            except Replayed as exc:
                self.stats.replayed += 1
                self._log_dropped(exc)
            else:
                if self._tracer is not None:
                    self._tracer.inner("recv", encode_frame(inner), channel.opener.last)
                return inner
            self._dropped()
            return None
        assert channel is not None
        kind, seq, msg_id = frame.kind, frame.seq, frame.msg_id
        if kind == _ERROR and seq == 0 and msg_id == 0 and frame.version == PROTOCOL_VERSION:
            said = self._codec.read(frame)
            if isinstance(said, Refusal) and said.error.code == ErrorCode.UNAUTHORIZED:
                # The device has no session for this link: it restarted, or someone's pair
                # verify ended it. Sealed requests go unanswered until it verifies again.
                self._session_lost("the device ended the verified session")
                return None
        entry = self._pending.get(seq)
        if (
            kind in (_RESPONSE, _ERROR)
            and entry is not None
            and entry[1].NAME in _PLAIN
            and msg_id == entry[1].MSG_ID
        ):
            return frame  # the answer to our own plain request
        self.stats.plain_dropped += 1
        log.debug("%s: a plain frame in a verified session dropped: %s", self.address, frame)
        self._dropped()
        return None

    def _unsealable(self, frame: Frame) -> bool:
        """Keep a sealed frame that came before its session's keys; :class:`irlink.Device`
        fills this in (a frame sent right after pair verify)."""
        return False

    def _log_dropped(self, exc: Exception) -> None:
        # A warning for the first only: a flood of forged frames must not flood the log
        # (the session log keeps their counts, a row a minute at most).
        first = self.stats.forged + self.stats.replayed == 1
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "%s: %s; dropped%s",
            self.address,
            exc,
            " (more are counted in stats, and in the session log, not logged here)"
            if first
            else "",
        )

    def _dropped(self) -> None:
        """A frame was dropped for security (counted in :attr:`stats`); :class:`irlink.Device`
        tells its journal, a few times at most however many come."""

    def _link_ended(self) -> None:
        """The link is gone (dropped or closed); :class:`irlink.Device` fills this in."""

    def _security(self, kind: SecurityKind, detail: str = "", **data: object) -> Future[Any] | None:
        """Tell the journal of a security event, not waiting; :class:`irlink.Device` fills it in."""
        return None

    def _session_lost(self, reason: str) -> None:
        """The device no longer has this link's verified session: verify again, then go on."""
        transport = self._transport
        channel = self._channel
        if channel is None or transport is None:
            return
        if not self._ready.is_set() or self._reverifying:
            # The link is being verified and read (connecting, reconnecting, verifying
            # again). A plain refusal is authenticated by nothing: anyone on the link can
            # send one, and ending this on it would let one forged frame stop reconnection.
            # Noted; the session is taken as lost only if a sealed request then goes
            # unanswered with no sealed frame opened since (_check_doubt).
            if self._doubt is None:
                self._doubt = (channel, channel.opener.last)
                log.info("%s: %s, while verifying the link; noted", self.address, reason)
            return
        self._channel = None
        self._security(SecurityKind.SESSION_LOST, reason)
        log.warning("%s: %s; verifying again", self.address, reason)
        self._ready.clear()
        self._generation += 1  # configure, start, resume, clear_fault are not carried over
        self._last_counter = None  # events start afresh in the new session
        for future, *_ in self._pending.values():
            if not future.done():
                future.set_exception(_Dropped())
        self._reverifying = True
        self._spawn(self._reverify(transport))

    def _check_doubt(self, channel: Channel, request: Request) -> None:
        """A sealed try went unanswered after a no-session refusal came while the link was
        being verified: if nothing sealed opened since, the device did lose the session."""
        doubt = self._doubt
        if doubt is None or doubt[0] is not channel or channel is not self._channel:
            return
        self._doubt = None
        if channel.opener.last != doubt[1]:
            return  # the session answered since: the refusal was not the device's
        self._channel = None
        raise LinkLost(
            f"{self.address} ended the verified session while irlink was reading it "
            f"({request.NAME} went unanswered): it restarted, or another pair verify ended "
            "it; connect again"
        )

    async def _reverify(self, transport: Transport) -> None:
        try:
            await self._resecure()
        except Exception as exc:
            if transport is self._transport:
                self._link_down(transport, f"{self.address}: verifying again failed: {exc}")
                self._spawn(transport.close())
            return
        finally:
            self._reverifying = False
        if transport is self._transport:
            self._doubt = None
            self._ready.set()

    async def _resecure(self) -> None:
        """Verify the link again and re-read the device; :class:`irlink.Device` fills it in."""

    async def _watch(self, transport: Transport) -> None:
        await transport.closed.wait()
        if transport is self._transport and not self._closing:
            self._link_down(transport)

    def _dispatch(self, item: Reply | Refusal | EventReceived | Garbled) -> None:
        if isinstance(item, EventReceived):
            self._event(item.counter, item.message)
            return
        if isinstance(item, Garbled):
            self._garbled(item.error)
            return
        entry = self._pending.get(item.seq)
        if entry is None:
            log.debug("answer to seq %d, which nothing waits for (a late retry)", item.seq)
            return
        future, sent, _, _ = entry
        if future.done():
            return
        if isinstance(item, Reply):
            # An answer of the right id was read by _received_bytes: this one is not.
            log.warning("%s answered %s with %s", self.address, sent.NAME, item.message.NAME)
        elif item.msg_id == sent.MSG_ID:
            future.set_exception(_refused(item.error, sent))

    def _garbled(self, error: MessageError) -> None:
        self.stats.garbled += 1
        log.warning("garbled frame from %s: %s", self.address, error)

    def _event(self, counter: int, message: WireEvent) -> None:
        self.stats.events += 1
        last, self._last_counter = self._last_counter, counter
        if isinstance(message, BootedEvent):
            # The counter starts again at every boot: not a gap, whatever came before.
            self._boots += 1
            self._booted(message)
            return
        if last is not None:
            missed = (counter - last - 1) & 0xFFFF
            if missed:
                self.stats.events_missed += missed
                self._spawn(self._missed(missed))
        self._publish(self._received(self._convert(message)))

    def _convert(self, message: WireEvent) -> DeviceEvent:
        """The API event of a wire event; :class:`irlink.Device` reads it with its info."""
        return from_wire_event(message)

    def _received(self, event: DeviceEvent) -> DeviceEvent:
        """Note what an event says before callers see it; :class:`irlink.Device` fills it in."""
        return event

    def _booted(self, event: BootedEvent) -> None:
        """The device announced a boot; :class:`irlink.Device` fills this in."""

    async def _missed(self, missed: int) -> None:
        """Events were lost: re-read the device; :class:`irlink.Device` fills it in."""

    # Link loss.

    def _link_down(self, transport: Transport, reason: str = "") -> None:
        error = transport.error
        reason = reason or (str(error) if error else f"the link to {self.address} closed")
        self._detach(transport)
        self.stats.links_lost += 1
        log.warning("%s", reason)
        self._publish(LinkDown(reason=reason))
        if self.reconnect is None:
            self._gave_up = LinkLost(f"{reason} (reconnection is off)")
        elif self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = self._spawn(self._reconnect(self.reconnect, reason))

    async def _reconnect(self, backoff: Backoff, reason: str) -> None:
        refused = 0  # attempts refused for who or what answered
        async for delay in backoff.delays():
            await asyncio.sleep(delay)
            try:
                await self._attach()
            except (DeviceMismatch, ProtocolError, SecurityError) as exc:
                # Another device, another protocol, or one this host may not control (not
                # paired, its key changed): trying again cannot help, unless the answers
                # that said so were forged. Everything read before pair verify, and the
                # verify's own plain refusals, is authenticated by nothing: one frame sent
                # by someone on the link must not end reconnection: so a few attempts
                # first.
                refused += 1
                if refused >= REFUSED_ATTEMPTS:
                    self._give_up(
                        LinkLost(f"{reason}; {exc} (refused at {refused} reconnection attempts)")
                    )
                    return
                log.warning("reconnecting to %s: %s; trying again", self.address, exc)
                continue
            except Exception as exc:
                log.info("reconnecting to %s: %s", self.address, exc)
                continue
            self.stats.reconnects += 1
            await self._restored()
            return
        self._give_up(
            LinkLost(
                f"{reason}; gave up after {backoff.attempts} reconnection attempts; "
                "check the device and connect again"
            )
        )

    def _give_up(self, error: LinkLost) -> None:
        log.error("%s", error)
        self._gave_up = error
        self._publish(LinkDown(reason=str(error)))

    async def _restored(self) -> None:
        """The link is back and resynchronised; :class:`irlink.Device` fills this in."""

    # Events to callers.

    def _publish(self, event: DeviceEvent) -> None:
        written = self._record(event)
        item = (event, written)
        for queue in self._subscribers:
            queue.put_nowait(item)

    def _record(self, event: DeviceEvent) -> Future[Any] | None:
        """Hand ``event`` to the journal; :class:`irlink.Device` fills this in."""
        return None

    async def _recorded(self, written: Future[Any]) -> None:
        """Wait for the journal's write; :class:`irlink.Device` fills this in."""

    def events(self) -> AsyncGenerator[DeviceEvent, None]:
        """Every event from now on, in order, until the device is closed."""
        queue: asyncio.Queue[object] = asyncio.Queue()
        if self._closing:
            queue.put_nowait(_END)
        self._subscribers.append(queue)
        return self._drain(queue)

    async def _drain(self, queue: asyncio.Queue[object]) -> AsyncGenerator[DeviceEvent, None]:
        try:
            while (item := await queue.get()) is not _END:
                event, written = cast(_Published, item)  # only these and _END are queued
                if written is not None and not written.done():
                    await self._recorded(written)  # recorded before it is handed on
                yield event
        finally:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(queue)
