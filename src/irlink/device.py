"""The async Device: sessions, status, events and the device's own log, over any link.

After every (re)connection the device is re-read: its description, its status, and
the newest records of its usage log (the session ids a new start must not reuse, and
sessions that ended unseen). The log is read in pages of 8 records, or of 2 on a link
that has lately left a request unanswered, where a 218-byte page would seldom arrive
whole. If the log's tail cannot be read then (busy, or a noisy link that would not
carry it), the (re)connection succeeds all the same: a task reads it later, and a
start that picks a session id reads it first.

>>> import asyncio, irlink
>>> async def main() -> str:
...     async with irlink.connect("sim://waistband") as device:
...         status = await device.status()
...         return f"{device.info.model}, port 1 {status.port(1).state.name}"
>>> asyncio.run(main())
'IRL-W2, port 1 IDLE'
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from irlink.connection import Backoff, Connector
from irlink.errors import (
    ConnectError,
    DeviceMismatch,
    DeviceRestarted,
    IRLinkError,
    LimitError,
    LinkLost,
    ProtocolError,
    RequestTimeout,
)
from irlink.events import (
    DeviceEvent,
    EventsMissed,
    LinkRestored,
    Restarted,
    SessionEnded,
    SessionStarted,
    StatusUpdate,
    from_wire_event,
)
from irlink.journal import Command, Journal, Outcome, SecurityKind, Written, plain_args
from irlink.limits import (
    DurationLike,
    check_port,
    configure_request,
    heartbeat_ms,
    period_ms,
)
from irlink.masking import (
    Blind,
    decide,
    masked_args,
    masked_detail,
    masked_event,
    masked_reader,
    masked_record,
)
from irlink.model import ClearedFaults, Info, Status, UsageRecord, status_reader
from irlink.protocol import messages as wire
from irlink.protocol.messages import (
    PROTOCOL_MINOR,
    CapabilityFlags,
    EndReason,
    ErrorCode,
    FaultFlags,
    Mode,
    PortState,
    ResetCause,
)
from irlink.protocol.wire import Event as WireEvent
from irlink.refusals import DeviceBusy, DeviceRefused
from irlink.security.errors import InfoAltered
from irlink.verified import Verified

if TYPE_CHECKING:
    from irlink.security.keystore import KeyStore
    from irlink.sim import SimulatedDevice

__all__ = ["Device"]

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
USAGE_PAGE = 8  # records per read_usage_log, the most v1 allows; also the tail read
# Records per read_usage_log on a noisy link: a page of 8 is 218 bytes on the wire, and at
# 1 % of bytes damaged one arrives whole one time in ten; a page of 2 (68 bytes) one in two.
NOISY_PAGE = 2
BUSY_RETRIES = 5
# A subscribed host that sees no status event for this many periods asks for the status:
# a 1.0 device announces no boot, and after one its status events simply stop.
SILENT_PERIODS = 1.25  # a quarter period of grace for a late report
CATCH_UP_MAX_S = 30.0  # the longest wait between reads of a deferred usage-log tail
JOURNAL_WAIT_S = 30.0  # the longest the device waits for its journal to write a record
_ACTIVE = (PortState.RUNNING, PortState.PAUSED)
_GET_STATUS = wire.GetStatusRequest()  # frozen and empty: one serves every read


class Device(Verified):
    """One therapy device: read its state, configure and run sessions, follow its events.

    Make one with :func:`irlink.connect`. Every value is checked against the limits the
    device advertised (:attr:`info`) before anything is sent; the device checks again.
    The device's own timer ends every session: nothing here keeps output running.
    A device with security (IRLink 1.2) is verified on every link before anything else
    is read, with the pairing kept in ``keys`` (see :mod:`irlink.verified`).

    ``blind`` masks sham (:mod:`irlink.masking`): True, or a function of the device's
    :class:`Info` called each time the device is read on a new link, before its status.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        address: str,
        timeout: float = 1.0,
        retries: int = 3,
        reconnect: Backoff | None = None,
        status_period: DurationLike | None = None,
        heartbeat: DurationLike | None = None,
        journal: Journal | None = None,
        blind: Blind = False,
        keys: KeyStore | None = None,
    ) -> None:
        super().__init__(
            connector, address=address, timeout=timeout, retries=retries, reconnect=reconnect
        )
        self._init_verified(keys)
        self._info: Info | None = None
        self._info_before: Info | None = None  # the info before the last get_info read
        self._wire_info: wire.GetInfoResponse | None = None  # as the device last sent it
        self._status: Status | None = None
        self._period = status_period
        self._period_ms = 0
        self._heartbeat = heartbeat
        self._heartbeat_ms = 0
        self._heartbeat_armed = False  # the device may hold a policy: resync must set it again
        self._heartbeat_lock = asyncio.Lock()  # one heartbeat request at a time, in order
        self._beating: asyncio.Task[None] | None = None
        self._used_ids: set[int] = set()  # session ids this device has used: never reuse one
        # (port, session_id) of every session seen running or paused whose end has not been
        # reported yet: the sessions whose end the host must not miss.
        self._open_sessions: set[tuple[int, int]] = set()
        self._ended: set[tuple[int, int]] = set()  # (port, session_id) whose end we reported
        self._restore: tuple[Status, bool] | None = None
        # The restart count (Connection._boots) each port was last configured in: a start
        # after a restart would run the device's defaults, not what was configured.
        self._configured_in: dict[int, int] = {}
        self._cut: set[tuple[int, int]] = set()  # (port, session_id) a restart ended
        self._read_status_body = status_reader(None)  # replaced once the device's info is read
        self._boot_count: int | None = None  # the boot the host last saw the device in
        self._restarting = False  # a restart is being handled: one at a time
        self._restart_cause: ResetCause | None = None
        self._last_push = 0.0  # loop time of the last status event (or of the last check)
        self._silence: asyncio.Task[None] | None = None
        # The usage log's tail is still to be read (recent session ids, sessions that ended
        # unseen): a start that picks an id reads it first, and a task keeps trying.
        self._tail_due = False
        self._catching_up: asyncio.Task[None] | None = None
        self.simulator: SimulatedDevice | None = None  # the device behind a sim:// address
        # Real seconds per device second: below 1 for an accelerated sim:// device, whose
        # heartbeat policy counts simulated time, so the host must beat as fast.
        self.time_scale = 1.0
        # Told of everything before callers see it (irlink.record keeps it): see journal.py.
        self.journal = journal
        self._bridged: tuple[Written, asyncio.Future[Any]] | None = None  # see _written
        self._blind = blind
        # Masked until decided: an event that comes before the device is read shows no sham.
        self._blinded = blind is not False

    # Connecting.

    async def __aenter__(self) -> Device:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _read_info_body(self, body: bytes) -> wire.GetInfoResponse:
        """Read a ``get_info`` answer as it arrives: from a device with security (or one this
        host is paired with) a plain event is dropped from then on, even in the frames that
        came with this answer, before anyone verified anything."""
        answer: wire.GetInfoResponse = self._codec.reader(wire.GetInfoRequest)(body)
        if not self._sealed_events and (
            answer.capabilities & CapabilityFlags.SECURE or self._paired_with(answer.serial)
        ):
            self._sealed_events = True
        return answer

    def _paired_with(self, serial: str) -> bool:
        held = self._held
        if held is not None and held.serial == serial:
            return True
        from irlink.security.keystore import KeyStoreError  # noqa: PLC0415

        try:
            return self.keys.pairing_for(serial) is not None
        except KeyStoreError:
            return False  # said by _secure, which reads the key store again

    async def _read_info(self, *, resync: bool = False) -> Info:
        """Read ``get_info`` and read everything after it at the device's revision."""
        wire_info = await self.request(
            wire.GetInfoRequest(), wire.GetInfoResponse, read=self._read_info_body, resync=resync
        )
        self._wire_info = wire_info
        if wire_info.protocol_version != PROTOCOL_VERSION:
            raise ProtocolError(
                f"{self.address} speaks IRLink {wire_info.protocol_version}; this irlink speaks "
                f"IRLink {PROTOCOL_VERSION}: update irlink or the firmware"
            )
        info = Info.from_wire(wire_info)
        if info.protocol_minor > PROTOCOL_MINOR:
            raise ProtocolError(
                f"{self.address} ({info.model} {info.serial}) speaks IRLink "
                f"{PROTOCOL_VERSION}.{info.protocol_minor}; this irlink reads up to "
                f"{PROTOCOL_VERSION}.{PROTOCOL_MINOR}: update irlink"
            )
        known = self._info
        if known is not None and (info.model, info.serial) != (known.model, known.serial):
            raise DeviceMismatch(
                f"another device answers at {self.address}: {info.model} {info.serial}, not "
                f"{known.model} {known.serial}; connect to it by its own address"
            )
        # Before any status is read or recorded; if it raises, nothing of this link is.
        blinded = decide(self._blind, info)
        self._info_before = known  # restored if the verified session denies this one
        self._info = info
        self._blinded = blinded
        self._codec.minor = info.protocol_minor
        self._read_status_body = masked_reader(info) if blinded else status_reader(info)
        return info

    async def _confirm_info(self, info: Info) -> Info:
        """Read ``get_info`` again in the session just verified: that is the one used.

        The first was read in plain, before the device was verified: anyone on the link
        could have edited it (raised the limits this host enforces, say). The device's own
        answer must be the same in every field, or the connection is refused.
        """
        plain = self._wire_info
        assert plain is not None  # read by _read_info just before
        sealed = await self.request(
            wire.GetInfoRequest(), wire.GetInfoResponse, read=self._read_info_body, resync=True
        )
        if sealed != plain:
            was, now = plain.model_dump(), sealed.model_dump()
            edited = ", ".join(
                f"{name} {was.get(name)!r} in plain, {now.get(name)!r} verified"
                for name in sorted(set(was) | set(now))
                if was.get(name) != now.get(name)
            )
            refused = (
                "the pairing, and kept nothing on this host (the device may have kept it: "
                "pair again with its pairing button held, or remove this host's pairing "
                "from an admin host first)"
                if self._pairing is not None
                else "the connection before anything was read or changed: connect again"
            )
            altered = InfoAltered(
                f"{self._named(info)}: what the device said about itself before it was "
                f"verified is not what it says in the verified session ({edited}): something "
                f"on the link altered it. irlink refused {refused} once you have checked what "
                "sits between this host and the device (cable, adapter, radio surroundings); "
                "if it happens again, do not use this link"
            )
            # Never kept: device.info goes back to what the last verified session said.
            self._info = self._info_before
            await self._told(SecurityKind.INFO_ALTERED, str(altered), fields=edited)
            raise altered
        self._wire_info = sealed
        confirmed = Info.from_wire(sealed)
        self._info = confirmed
        return confirmed

    async def _resync(self) -> None:
        known = self._info
        self._link_recorded = False  # security events until linked: filed under this link
        info = await self._read_info(resync=True)
        await self._secure(info)  # pair verify: everything after it is sealed
        info = self.info  # read again, sealed, once verified (_confirm_info)
        if self._pairing is not None:
            return  # irlink.pair(): paired and verified; nothing else is read
        if self.journal is not None:
            await self._written(self.journal.linked(info))
        self._link_recorded = True
        if known is None:
            # Arguments given to connect() are checked as soon as the limits are known.
            self._period_ms = period_ms(info, self._period)
            self._heartbeat_ms = heartbeat_ms(info, self._heartbeat)
        if self._heartbeat_armed or self._heartbeat_ms:
            # First, before anything slow: the device counts missed beats from the old link.
            await self._stop_beating()  # a beat stuck on the old link must not hold the lock
            await self._beat_once(resync=True)
            if self._heartbeat_ms:
                self._start_beating()
        before = self._status
        status = await self._read_status(resync=True)
        rebooted = before is not None and before.boot_count != status.boot_count
        self._boots += rebooted  # what was configured before it is gone
        self._boot_count = status.boot_count
        if self._period_ms:
            await self._subscribe(self._period_ms, resync=True)
        # A start with the id of a port's most recent session is taken as a repeat and
        # changes nothing, so a new session must not reuse it: learn the recent ones.
        self._used_ids.update(p.session_id for p in status.ports if p.session_id)
        self._tail_due = True
        await self._try_tail(status, resync=True)
        if before is not None:
            self._restore = (status, rebooted)

    async def _resecure(self) -> None:
        """The device lost this link's session: verify again, and see whether it restarted."""
        info = self.info
        kept = self._kept(info)
        if kept is None:
            raise LinkLost(f"{self._named(info)}: its pairing is no longer kept on this host")
        await self._verify(info, kept)
        status = await self._read_status(resync=True)
        if status.boot_count != self._boot_count:
            self._check_boot(status)  # a restart: reported once the link is ready again

    async def _restored(self) -> None:
        if self._restore is not None:
            status, rebooted = self._restore
            self._publish(LinkRestored(status=status, rebooted=rebooted))

    async def close(self) -> None:
        """Close the link. An armed heartbeat is disarmed first: leaving is not a lost link."""
        self._period_ms = 0  # ends the watch for silence
        await self._stop_beating()
        if self._heartbeat_armed and self.connected:
            try:
                await self._set_policy(0)
            except IRLinkError as exc:
                log.warning("could not disarm the heartbeat on close: %s", exc)
        closing = not self._closing
        await super().close()
        if closing and self.journal is not None:
            await self._written(self.journal.closed("closed by the host"))

    # What the device is and how it is.

    @property
    def info(self) -> Info:
        """What the device is and every limit it enforces, as it said when connecting."""
        if self._info is None:
            raise ConnectError("the device is not connected yet; use `async with irlink.connect()`")
        return self._info

    @property
    def blinded(self) -> bool:
        """Whether sham is masked: every status, event and usage record has ``sham`` None."""
        return self._blinded

    @property
    def last_status(self) -> Status | None:
        """The latest status seen (read or pushed), without asking the device."""
        return self._status

    async def status(self) -> Status:
        """Read the device's status now."""
        # _read_status's body, not a call to it: one coroutine less on the hottest path.
        # The answer's body is read straight into a Status, without the wire message.
        status = self._status = await self.request(_GET_STATUS, Status, read=self._read_status_body)
        if self.journal is not None:
            await self._written(self.journal.status(status, pushed=False))
        self._note_sessions(status)
        if status.boot_count != self._boot_count:
            self._check_boot(status)
        return status

    async def _read_status(self, *, resync: bool = False) -> Status:
        status = await self.request(_GET_STATUS, Status, read=self._read_status_body, resync=resync)
        self._status = status
        if self.journal is not None:
            await self._written(self.journal.status(status, pushed=False))
        self._note_sessions(status)
        return status

    def _note_sessions(self, status: Status) -> None:
        for port in status.ports:
            if port.state in _ACTIVE and port.session_id:
                self._used_ids.add(port.session_id)
                if (port.port, port.session_id) not in self._ended:
                    self._open_sessions.add((port.port, port.session_id))

    # Sessions.

    async def configure(
        self,
        port: int = 0,
        *,
        duration: DurationLike | None = None,
        intensity: int | None = None,
        mode: Mode | str = Mode.CONTINUOUS,
        pulse_hz: int | None = None,
        setpoint: float | None = None,
        sham: bool = False,
        override: bool = False,
    ) -> None:
        """Set the next session of ``port`` (0: every port); every value checked first.

        ``duration`` defaults to the device's default session, ``intensity`` to the lowest
        level, ``setpoint`` (degrees Celsius, heaters only) to the device's default setpoint
        (the lowest for a 1.0 device, which does not say).
        ``sham`` runs a session that behaves and reports like a real one with no output.
        """
        settings: dict[str, Any] = {
            "port": port,
            "duration": duration,
            "intensity": intensity,
            "mode": mode,
            "pulse_hz": pulse_hz,
            "setpoint": setpoint,
            "sham": sham,
            "override": override,
        }
        async with self._audited("configure", plain_args(**settings)) as said:
            request = configure_request(self.info, **settings)
            await self.request(request, wire.ConfigureResponse)
            said.update(plain_args(**request.model_dump()))  # as sent and accepted, wire units
        ports = range(1, self.info.port_count + 1) if request.port == 0 else (request.port,)
        self._configured_in.update(dict.fromkeys(ports, self._boots))

    async def start(self, port: int = 0, *, session_id: int | None = None) -> int:
        """Start the configured session on ``port`` (0: every port); returns its session id.

        A retry after a lost answer carries the same id, so the device never runs the
        session twice. The id irlink picks is new to this device, so a start is never
        taken for a repeat of an old one: it avoids the ids of the newest usage-log
        records, read when the link was made, or read first here if that read failed
        (if they still cannot be read, nothing is sent and that error is raised). Give
        ``session_id`` only to repeat a start whose outcome you did not learn. If the
        link drops during the start, it is not sent again on the new link:
        :class:`~irlink.LinkLost` says to read the status.
        """
        asked = plain_args(port=port, session_id=session_id)
        async with self._audited("start", asked) as answer:
            port = check_port(self.info, port)
            ports = range(1, self.info.port_count + 1) if port == 0 else (port,)
            restarted = [p for p in ports if self._configured_in.get(p, self._boots) != self._boots]
            if restarted:
                raise DeviceRestarted(
                    f"{self.address} restarted since port {restarted[0]} was configured: its "
                    "settings are back to the device's defaults; configure it again, then start"
                )
            if session_id is None:
                if self._tail_due:
                    await self._tail_before_start()
                session_id = self._new_session_id()
            elif not 1 <= session_id <= 0xFFFF:
                raise LimitError(
                    f"session_id must be 1..65535, not {session_id}",
                    name="session_id",
                    value=session_id,
                    limit=(1, 0xFFFF),
                )
            asked["session_id"] = session_id
            self._used_ids.add(session_id)
            request = wire.StartRequest(port=port, session_id=session_id)
            await self.request(request, wire.StartResponse)
            answer["session_id"] = session_id
        self._open_sessions.update((p, session_id) for p in ports)
        return session_id

    async def stop(self, port: int = 0) -> None:
        """Stop ``port`` (0: every port); stopping an idle port succeeds."""
        async with self._audited("stop", {"port": port}):
            port = check_port(self.info, port)
            await self.request(wire.StopRequest(port=port), wire.StopResponse)

    async def pause(self, port: int = 0) -> None:
        """Pause ``port`` (0: every port): output and the device's timer stop together."""
        async with self._audited("pause", {"port": port}):
            port = check_port(self.info, port)
            await self.request(wire.PauseRequest(port=port), wire.PauseResponse)

    async def resume(self, port: int = 0) -> None:
        """Resume a paused session on ``port`` (0: every port)."""
        async with self._audited("resume", {"port": port}):
            port = check_port(self.info, port)
            await self.request(wire.ResumeRequest(port=port), wire.ResumeResponse)

    async def clear_fault(self, port: int = 0) -> ClearedFaults:
        """Clear latched faults on ``port`` (0: the device and every port) once safe again.

        Returns what was cleared and what is still active: a heat latch stays while its
        cause remains, and sensor, emitter and battery faults clear only by themselves.
        A 1.0 device does not say; then both are read from its status before and after.
        """
        async with self._audited("clear_fault", {"port": port}) as said:
            port = check_port(self.info, port)
            request = wire.ClearFaultRequest(port=port)
            if self.info.protocol_minor >= 1:
                answer = await self.request(request, wire.ClearFaultResponse)
                cleared, remaining = answer.cleared, answer.remaining
                assert cleared is not None  # a 1.1 body has both
                assert remaining is not None
            else:
                before = _faults(await self.status(), port)
                await self.request(request, wire.ClearFaultResponse)
                remaining = _faults(await self.status(), port)
                cleared = FaultFlags(before & ~remaining)
            said.update(cleared=int(cleared), remaining=int(remaining))
        return ClearedFaults(port, cleared, remaining)

    async def new_session_id(self) -> int:
        """A session id new to this device, for a start whose id must be kept before it is
        sent (so that, after a crash, the session is recognised on the device or in its log)."""
        if self._tail_due:
            await self._tail_before_start()
        session_id = self._new_session_id()
        self._used_ids.add(session_id)
        return session_id

    def _new_session_id(self) -> int:
        while True:
            candidate = random.randint(1, 0xFFFF)
            if candidate not in self._used_ids:
                return candidate

    # Subscriptions and the heartbeat.

    async def subscribe(self, period: DurationLike | None) -> timedelta:
        """Have the device push its status every ``period`` (None or 0: stop); kept across
        reconnections. Returns the period the device granted."""
        self._period_ms = period_ms(self.info, period)
        return await self._subscribe(self._period_ms)

    async def _subscribe(self, ms: int, *, resync: bool = False) -> timedelta:
        answer = await self.request(
            wire.SubscribeRequest(period_ms=ms), wire.SubscribeResponse, resync=resync
        )
        if ms:
            self._last_push = asyncio.get_running_loop().time()
            if self._silence is None or self._silence.done():
                self._silence = self._spawn(self._watch_silence())
        return timedelta(milliseconds=answer.period_ms)

    async def _watch_silence(self) -> None:
        """While subscribed: status events that stop coming mean a restart (or a lost
        subscription) the device did not announce; read the status to know which."""
        loop = asyncio.get_running_loop()
        while self._period_ms:
            due = self._last_push + SILENT_PERIODS * self._period_ms / 1000 * self.time_scale
            if loop.time() < due:
                await asyncio.sleep(due - loop.time())
                continue
            self._last_push = loop.time()  # ask at most once per silent stretch
            if not self.connected or self._restarting:
                continue
            try:
                status = await self._read_status()
                if status.boot_count == self._boot_count:
                    await self._subscribe(self._period_ms)  # same boot: subscribe again
                else:
                    self._check_boot(status)
            except IRLinkError as exc:
                log.info(
                    "%s: status events stopped, and reading status failed: %s", self.address, exc
                )

    async def set_heartbeat(self, interval: DurationLike | None) -> None:
        """Arm the heartbeat policy: if the host goes quiet for ``heartbeat_misses`` intervals,
        the device stops output (reason link_lost). None or 0 disarms it."""
        ms = heartbeat_ms(self.info, interval)
        await self._stop_beating()
        try:
            await self._set_policy(ms)
        finally:
            if self._heartbeat_ms:  # armed, or a disarm that failed: keep feeding it
                self._start_beating()

    async def _set_policy(self, ms: int, *, resync: bool = False) -> None:
        """Tell the device the policy, then remember it (only once the device has it)."""
        # A beat may wait no longer than the interval: its retry must still be in time.
        timeout = min(self.timeout, ms / 1000 * self.time_scale) if ms else None
        async with self._heartbeat_lock:
            # A change of policy is recorded; a beat that keeps it, only if it fails.
            change = ms != self._heartbeat_ms or self._heartbeat_armed != bool(ms)
            if ms:
                self._heartbeat_armed = True  # from the moment it may reach the device
            async with self._audited("heartbeat", {"interval_s": ms / 1000}, always=change):
                await self.request(
                    wire.HeartbeatRequest(interval_ms=ms),
                    wire.HeartbeatResponse,
                    resync=resync,
                    timeout=timeout,
                )
            self._heartbeat_ms = ms
            self._heartbeat_armed = bool(ms)

    async def _beat_once(self, *, resync: bool = False) -> None:
        await self._set_policy(self._heartbeat_ms, resync=resync)

    def _start_beating(self) -> None:
        if self._beating is None or self._beating.done():
            self._beating = self._spawn(self._beat())

    async def _stop_beating(self) -> None:
        beating, self._beating = self._beating, None
        if beating is not None:
            beating.cancel()
            await asyncio.gather(beating, return_exceptions=True)

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self._heartbeat_ms / 1000 * self.time_scale
        due = loop.time()
        while self._heartbeat_ms:
            # On a fixed schedule: a slow answer does not push the next beat back.
            due = max(due + interval, loop.time())
            await asyncio.sleep(due - loop.time())
            if not self.connected:
                continue  # a lost link is exactly what the device should notice
            try:
                await self._beat_once()
            except IRLinkError as exc:
                log.warning("heartbeat to %s failed: %s", self.address, exc)

    # The journal.

    async def _recorded(self, written: Written) -> None:
        await self._written(written)

    async def _written(self, written: Written) -> None:
        """Wait until the journal has written a record (its futures never fail).

        Records written together share a future: it is bridged to this loop once, not once
        a record. Not forever: a journal that stopped answering must not stop the device's
        work (a write that waits its turn behind another writer takes seconds, not this).
        """
        if written.done():
            return
        bridged = self._bridged
        if bridged is None or bridged[0] is not written:
            bridged = self._bridged = (written, asyncio.wrap_future(written))
        done, _ = await asyncio.wait([bridged[1]], timeout=JOURNAL_WAIT_S)
        if not done:
            log.error(
                "the journal did not write a record in %g s: going on without it", JOURNAL_WAIT_S
            )

    def _record(self, event: DeviceEvent) -> Written | None:
        journal = self.journal
        if journal is None:
            return None
        if isinstance(event, StatusUpdate):
            return journal.status(event.status, pushed=True)
        return journal.event(event)

    @asynccontextmanager
    async def _audited(
        self, name: str, asked: dict[str, object], *, always: bool = True
    ) -> AsyncIterator[dict[str, object]]:
        """Tell the journal of the command ``name`` and how it ended; yields the answer's
        record for the command to fill in. With ``always`` false, only a failure is told."""
        said: dict[str, object] = {}
        journal = self.journal
        if journal is None:
            yield said
            return
        # Read at the end: a command adds to what it asked (start, its session id).
        shown = masked_args if self._blinded else dict
        try:
            yield said
        except BaseException as exc:
            outcome, code = _outcome(exc)
            detail = masked_detail(exc) if self._blinded else str(exc) or repr(exc)
            command = Command(name, shown(asked), outcome, code, detail)
            written = journal.command(command)
            if not isinstance(exc, asyncio.CancelledError):  # a cancelled task waits no more
                await self._written(written)
            raise
        if always:
            await self._written(
                journal.command(Command(name, shown(asked), Outcome.DONE, result=shown(said)))
            )

    # The usage log.

    async def usage_log(self, from_index: int = 0) -> list[UsageRecord]:
        """The device's own record of finished sessions, oldest first, from ``from_index``."""
        records = self._records(await self._read_log(from_index))
        if self.journal is not None and records:
            await self._written(self.journal.usage(records))
        return records

    def _records(self, records: list[wire.UsageRecord]) -> list[UsageRecord]:
        """The API view of usage-log records, sham masked if blinded."""
        read = [UsageRecord.from_wire(r, self._info) for r in records]
        return [masked_record(r) for r in read] if self._blinded else read

    async def _read_log(
        self, index: int, end: int | None = None, *, resync: bool = False
    ) -> list[wire.UsageRecord]:
        """The records from ``index`` on (up to ``end``, if given), a page at a time."""
        records: list[wire.UsageRecord] = []
        while end is None or index < end:
            # On a noisy link a short page: a long one would seldom arrive whole.
            count = NOISY_PAGE if self._noisy() else USAGE_PAGE
            page = await self._usage_page(index, count, resync=resync)
            records += page.records
            if not page.records:
                break
            index = page.records[-1].log_index + 1
            if index >= page.next_index:
                break
        return records

    async def _usage_page(
        self, from_index: int, count: int, *, resync: bool = False
    ) -> wire.ReadUsageLogResponse:
        request = wire.ReadUsageLogRequest(from_index=from_index, max_count=count)
        delay = self.timeout / 8
        # While resynchronising nothing waits on a busy log: a later re-read tries again.
        for _ in range(0 if resync else BUSY_RETRIES):
            try:
                return await self.request(request, wire.ReadUsageLogResponse, resync=resync)
            except DeviceBusy:
                await asyncio.sleep(delay)  # the device asked us to come back later
                delay *= 2
        return await self.request(request, wire.ReadUsageLogResponse, resync=resync)

    async def _usage_tail(self, *, resync: bool = False) -> list[wire.UsageRecord]:
        """The newest :data:`USAGE_PAGE` records; raises DeviceBusy if the log is busy."""
        # 1.1 answers a read beyond the log's end with its indexes; a 1.0 device may refuse
        # it instead (section 11): its first page carries them too, and a refusal of that
        # first page too means the log is empty.
        head = await self._page_unless_refused(0xFFFFFFFF, resync)
        if head is None:
            head = await self._page_unless_refused(0, resync)
        if head is None:
            return []
        start = max(head.oldest_index, head.next_index - USAGE_PAGE)
        wanted = None if self.journal is None else self.journal.log_from
        if wanted is not None and wanted < start:
            # The journal has not seen the records since: the host was off for a while.
            start = max(head.oldest_index, wanted)
        return await self._read_log(start, head.next_index, resync=resync)

    async def _page_unless_refused(
        self, from_index: int, resync: bool
    ) -> wire.ReadUsageLogResponse | None:
        """One record from ``from_index``; None if the device refuses the read (not busy)."""
        try:
            return await self._usage_page(from_index, 1, resync=resync)
        except DeviceRefused as exc:
            if isinstance(exc, DeviceBusy):
                raise
            log.info("%s refuses to read its usage log from %d: %s", self.address, from_index, exc)
            return None

    async def _read_tail(self, now: Status | None, *, resync: bool = False) -> None:
        """Learn the recent session ids from the log's tail; report sessions that ended unseen.

        With ``now`` (a status just read), an open session that it shows ended and that is
        not among the newest records is let go: too many sessions ended meanwhile to tell.
        """
        lost = self._lost_sessions(now) if now is not None else set()  # before any wait
        records = await self._usage_tail(resync=resync)
        self._tail_due = False
        if self.journal is not None and records:
            await self._written(self.journal.usage(self._records(records)))
        self._used_ids.update(record.session_id for record in records)
        self._report_endings(records)
        for key in lost - self._ended:
            if key in self._cut:
                # A restart ended it (a device never resumes), but the device kept no record:
                # reported all the same, with what it delivered unknown.
                self._ended.add(key)
                self._open_sessions.discard(key)
                self._cut.discard(key)
                self._publish(
                    SessionEnded(
                        port=key[0],
                        session_id=key[1],
                        reason=EndReason.POWER_LOSS,
                        delivered=None,
                        recovered=True,
                    )
                )
                continue
            log.warning("%s: session %d on port %d ended unseen", self.address, key[1], key[0])
            self._open_sessions.discard(key)

    async def _try_tail(self, now: Status | None, *, resync: bool = False) -> None:
        """:meth:`_read_tail`, or later if the log is busy or the link too noisy to carry it.

        A silent link is lost: that is raised (a resynchronisation then fails, and the
        next one reads the tail).
        """
        try:
            await self._read_tail(now, resync=resync)
        except (DeviceBusy, RequestTimeout) as exc:
            if isinstance(exc, RequestTimeout) and exc.silent:
                raise
            log.info("%s: usage log not read now, read later: %s", self.address, exc)
            self._tail_due = True
            if self._catching_up is None or self._catching_up.done():
                self._catching_up = self._spawn(self._catch_up())

    async def _catch_up(self) -> None:
        """Read the deferred tail once the link is ready, backing off while it fails."""
        delay = self.timeout
        while self._tail_due:
            await asyncio.sleep(delay)
            if not self.connected:
                return  # the next resynchronisation reads it
            try:
                await self._read_tail(await self._read_status())
            except (DeviceBusy, RequestTimeout) as exc:
                log.info("%s: usage log still not read: %s", self.address, exc)
                delay = min(delay * 2, CATCH_UP_MAX_S)
            except IRLinkError as exc:
                log.info("%s: usage log not read: %s", self.address, exc)
                return

    async def _tail_before_start(self) -> None:
        try:
            await self._read_tail(None)
        except RequestTimeout as exc:
            raise RequestTimeout(
                f"start not sent: the recent session ids in the device's usage log must be "
                f"read first, and {exc}",
                silent=exc.silent,
            ) from exc

    # Keeping the picture true when events were lost.

    def _convert(self, message: WireEvent) -> DeviceEvent:
        event = from_wire_event(message, self._info)
        return masked_event(event) if self._blinded else event

    def _received(self, event: DeviceEvent) -> DeviceEvent:
        if isinstance(event, StatusUpdate):
            self._status = event.status
            self._last_push = asyncio.get_running_loop().time()
            self._note_sessions(event.status)
            if event.status.boot_count != self._boot_count:
                self._check_boot(event.status)
        elif isinstance(event, SessionStarted):
            self._used_ids.add(event.session_id)
            if (event.port, event.session_id) not in self._ended:
                self._open_sessions.add((event.port, event.session_id))
        elif isinstance(event, SessionEnded):
            key = (event.port, event.session_id)
            self._ended.add(key)
            self._open_sessions.discard(key)
        return event

    async def _missed(self, missed: int) -> None:
        try:
            status = await self._read_status()
            if status.boot_count != self._boot_count:
                self._check_boot(status)  # a restart, not lost events: reported as such
                return
            if self._lost_sessions(status):
                await self._try_tail(status)
        except IRLinkError as exc:
            log.warning("%s: could not re-read after %d lost events: %s", self.address, missed, exc)
            return
        self._publish(EventsMissed(missed=missed, status=status))

    # The device restarted while the link stayed up.

    def _booted(self, event: wire.BootedEvent) -> None:
        self._restart(ResetCause(event.cause))

    def _check_boot(self, status: Status) -> None:
        """A status from another boot than the one the host knows: the device restarted."""
        if self._boot_count is not None and status.boot_count != self._boot_count:
            if not self._restarting:
                self._boots += 1  # a request that changes output must not cross it
            self._restart(None)

    def _restart(self, cause: ResetCause | None) -> None:
        if self._restarting:
            self._restart_cause = self._restart_cause or cause
            return
        if self._boot_count is None:
            return  # still connecting: the resynchronisation reads the device anyway
        self._restarting = True
        self._restart_cause = cause
        if cause is None:
            # No booted event (a 1.0 device, or it was lost): the counter starts afresh.
            self._last_counter = None
        self._spawn(self._after_restart())

    async def _after_restart(self) -> None:
        """Re-read a restarted device and report what the restart cut short.

        Nothing here starts, resumes or configures anything: the device booted with
        output off and its settings at their defaults, and that is what it keeps.
        """
        try:
            await self._read_info()  # new firmware may have new limits, or another revision
            status = await self._read_status()
            self._cut |= self._lost_sessions(status)  # ended by the restart, whatever the log
            self._boot_count = status.boot_count
            if self._heartbeat_armed or self._heartbeat_ms:
                await self._beat_once()  # a boot disarmed the device's policy
            if self._period_ms:
                await self._subscribe(self._period_ms)  # a boot ended the subscription
            self._publish(
                Restarted(boot_count=status.boot_count, cause=self._restart_cause, status=status)
            )
            if self._lost_sessions(status):
                await self._try_tail(status)
        except IRLinkError as exc:
            # The boot count stays the old one: the next status read tries again.
            log.warning("%s restarted; re-reading it failed: %s", self.address, exc)
        finally:
            self._restarting = False

    def _lost_sessions(self, now: Status) -> set[tuple[int, int]]:
        """The sessions the host saw open that ``now`` shows ended, their end unreported."""
        running = {(p.port, p.session_id) for p in now.ports if p.state in _ACTIVE}
        return self._open_sessions - running - self._ended

    def _report_endings(self, records: list[wire.UsageRecord]) -> None:
        """Report the open sessions that ``records`` show ended (link down, events lost)."""
        for record in records:
            key = (record.port, record.session_id)
            if key in self._open_sessions and key not in self._ended:
                self._ended.add(key)
                self._open_sessions.discard(key)
                self._publish(
                    SessionEnded(
                        port=record.port,
                        session_id=record.session_id,
                        reason=record.end_reason,
                        delivered=timedelta(seconds=record.delivered_s),
                        recovered=True,
                    )
                )


def _outcome(exc: BaseException) -> tuple[Outcome, ErrorCode | None]:
    """How a command that raised ``exc`` ended, for the journal."""
    if isinstance(exc, DeviceRefused):
        return Outcome.REFUSED, exc.code
    if isinstance(exc, ValueError):  # LimitError, a bad port: never sent
        return Outcome.INVALID, None
    if isinstance(exc, LinkLost):
        return Outcome.LINK_LOST, None
    if isinstance(exc, DeviceRestarted | ConnectError):
        return Outcome.NOT_SENT, None
    return Outcome.UNANSWERED, None  # a timeout, an interruption: the device may have done it


def _faults(status: Status, port: int) -> FaultFlags:
    """The faults active on ``port`` (every port for 0) and on the device."""
    bits = int(status.faults)
    for each in status.ports:
        if port in (0, each.port):
            bits |= int(each.faults)
    return FaultFlags(bits)
