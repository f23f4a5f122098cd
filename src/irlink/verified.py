"""Authenticated control on every link (IRLink 1.2): pair verify, pair setup, the pairing list.

:class:`Verified` is the part of :class:`irlink.Device` between the engine
(:class:`~irlink.connection.Connection`, which seals and opens frames) and the device's
API. On every new link, once ``get_info`` has been read, a device with the ``secure``
capability is verified (pair verify) with this host's identity and the device's key
kept in the key store (:mod:`irlink.security.keystore`), before anything else is read;
from then on every frame both ways is sealed. When the device loses the session (it
restarted), the link verifies again by itself. Nothing of it needs the caller.

A device this host keeps no pairing of is refused with
:class:`~irlink.security.errors.NotPaired` (pair with ``irlink pair``, or
:func:`irlink.pair`); one whose key is not the one kept with
:class:`~irlink.security.errors.KeyChanged`. A device without security (IRLink 1.0,
1.1) still works: irlink logs, once per connection, that anyone who can reach the link
can control it.

Every one of these is told to the device's journal as a :class:`~irlink.journal.SecurityEvent`
(the session log keeps them in ``security_events``), refusals before they are raised; frames
dropped in a verified session are counted there a few times, never one row a frame
(:mod:`irlink.dropped`). Never a key or a setup code: pairing ids, device ids, counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from irlink.connection import Connection
from irlink.dropped import DropTally
from irlink.journal import Journal, SecurityEvent, SecurityKind
from irlink.protocol import messages as wire
from irlink.protocol.framing import Frame
from irlink.protocol.messages import CapabilityFlags
from irlink.refusals import PairingFailed, Unauthorized
from irlink.security import (
    AlreadyPaired,
    KeyChanged,
    NotPaired,
    NotSecure,
    PairedDevice,
    PairingRemoved,
    PairSetupHost,
    SecurityDowngrade,
    SetupCode,
    VerifyHost,
)
from irlink.security.keys import ID_SIZE

if TYPE_CHECKING:
    from irlink.model import Info
    from irlink.security.keys import Identity
    from irlink.security.keystore import KeyStore, Pairing

__all__ = ["PairedHost", "Verified"]

log = logging.getLogger("irlink.device")

_EARLY_MAX = 32  # sealed frames kept while a verify finishes (events sent right after it)
# How long a device may take to answer each step of pair setup (SRP-6a on a small
# microcontroller is slow): the host waits at least this for each answer, protocols/README.md 13.3.
PAIR_SETUP_WAIT_S = 30.0


@dataclass(frozen=True, slots=True)
class PairedHost:
    """A host the device is paired with, as its pairing list says (:meth:`Verified.pairings`).

    ``pairing_id`` is the host's id, lower-case hex (32 digits); ``admin`` whether it may
    list and remove pairings; ``this_host`` whether it is the host asking.
    """

    pairing_id: str
    admin: bool
    this_host: bool


class Verified(Connection):
    """A :class:`~irlink.connection.Connection` that verifies each link of a secure device.

    Its ``keys`` (given to :meth:`_init_verified`) is the key store holding this host's
    identity and the devices it is paired with (default: the user's, opened when a
    secure device is first met).
    """

    def _init_verified(self, keys: KeyStore | None) -> None:
        """Set up what verifying needs; the subclass's ``__init__`` calls it."""
        self._keys = keys
        self._identity: Identity | None = None  # a host identity of its own (irlink.connector.hold)
        # A pairing held in memory, not in the key store: that of a sim:// device this
        # process made and paired with (it lives no longer than the process).
        self._held: Pairing | None = None
        self._pair_first: SetupCode | None = None  # pair setup on the first link (sim://)
        self._pairing: SetupCode | None = None  # irlink.pair(): pair setup, then stop
        self.paired: Pairing | None = None
        """What :func:`irlink.pair` made: the pairing kept in the key store."""
        self._warned = False
        self.notice: Callable[[str], None] | None = None
        """Told, in a line, when pairing waits for a slow device (the CLI prints it)."""
        self._early: list[Frame] = []
        self._verifying = False
        self.journal: Journal | None = None
        self._link_recorded = False  # the journal was told of this link (linked)
        self._drops = DropTally(self.stats, self._drops_due)

    @property
    def keys(self) -> KeyStore:
        """The key store this host's identity and pairings come from (opened on first use)."""
        if self._keys is None:
            from irlink.security.keystore import KeyStore  # noqa: PLC0415

            self._keys = KeyStore.open()
        return self._keys

    @property
    def host(self) -> Identity:
        """This host's identity: the key store's (made there the first time it is asked for)."""
        return self._identity if self._identity is not None else self.keys.identity

    @property
    def secured(self) -> bool:
        """Whether the link has a verified session: every frame both ways is sealed."""
        return self._channel is not None

    # After get_info, on every new link.

    async def _secure(self, info: Info) -> None:
        """Verify the device on this new link (or say plainly that it has no security)."""
        if not info.has(CapabilityFlags.SECURE):
            if self._pairing is not None:
                raise NotSecure(
                    f"{self._named(info)} speaks IRLink 1.{info.protocol_minor} without "
                    "security: it has no setup code and nothing to pair; irlink controls it "
                    "as it is, and so can anyone who can reach its link"
                )
            kept = self._kept(info)
            if kept is not None or self.stats.verifies:
                # get_info is not authenticated: a forged one must not turn off security.
                downgrade = SecurityDowngrade(
                    f"{self._named(info)} announces no security (IRLink "
                    f"1.{info.protocol_minor}), but this host "
                    + ("is paired with it" if kept is not None else "verified it before")
                    + ": refused, never controlled unauthenticated. If the device really was "
                    f"replaced by one without security, `irlink pairings remove {info.serial}` "
                    "first; otherwise something on the link is pretending to be it"
                )
                await self._told(
                    SecurityKind.DOWNGRADE_REFUSED,
                    str(downgrade),
                    protocol=f"1.{info.protocol_minor}",
                    paired=kept is not None,
                )
                raise downgrade
            if not self._warned:
                self._warned = True
                log.warning(
                    "%s has no security (IRLink 1.%d): anyone who can reach its link can "
                    "control it",
                    self._named(info),
                    info.protocol_minor,
                )
            await self._told(
                SecurityKind.UNSECURED,
                f"IRLink 1.{info.protocol_minor} without security: controlled unauthenticated; "
                "anyone who can reach its link can control it",
                protocol=f"1.{info.protocol_minor}",
            )
            return
        if self._pairing is not None:
            await self._pair(info, self._pairing)
            return
        if self._pair_first is not None:
            code, self._pair_first = self._pair_first, None
            self._held = await self._pair_setup(info, code)
        kept = self._kept(info)
        if kept is None:
            refused = NotPaired(
                f"{self._named(info)} has security and this host is not paired with it: "
                f"run `irlink pair -d {self.address}` with the setup code on its label "
                f"(or irlink.pair()); pairings are kept in {self.keys.path}"
            )
            await self._told(SecurityKind.NOT_PAIRED, str(refused))
            raise refused
        await self._verify(info, kept)
        await self._confirm_info(info)
        if kept is not self._held and kept.address != self.address:
            self._note_address(kept)

    def _note_address(self, kept: Pairing) -> None:
        """Keep the address the device was last reached at (``irlink pairings list``)."""
        from irlink.security.keystore import KeyStoreError  # noqa: PLC0415

        try:
            self.keys.remember(replace(kept, address=self.address))
        except KeyStoreError as exc:  # the device is verified: a note not kept is no failure
            log.warning("%s: the address it was reached at was not kept: %s", self.address, exc)

    def _kept(self, info: Info) -> Pairing | None:
        held = self._held
        if held is not None and held.serial == info.serial:
            return held
        return self.keys.pairing_for(info.serial)

    def _named(self, info: Info) -> str:
        return f"{self.address} ({info.model} {info.serial})"

    async def _verify(self, info: Info, kept: Pairing) -> None:
        """Pair verify with the kept pairing; the link's session, sealed from now on."""
        host = VerifyHost(self.host, kept.device_id, kept.device_public_key)
        request: wire.PairVerifyRequest | None = host.start()
        self._verifying, self._early = True, []
        try:
            while request is not None:
                answer = await self.request(request, wire.PairVerifyResponse, resync=True)
                request = host.receive(answer)
        except KeyChanged:
            changed = KeyChanged(
                f"{self._named(info)} is not the device paired under serial {info.serial} "
                f"(device id {kept.device_id.hex()[:8]}): its key changed. The device was "
                f"reset, or it is another device: `irlink pairings remove {info.serial}`, "
                f"then pair again (`irlink pair -d {self.address}`)"
            )
            await self._told(SecurityKind.KEY_CHANGED, str(changed), device_id=kept.device_id.hex())
            raise changed from None
        except Unauthorized:
            removed = PairingRemoved(
                f"{self._named(info)} no longer knows this host: its pairing was removed "
                f"on the device. `irlink pairings remove {info.serial}`, then pair again "
                f"(`irlink pair -d {self.address}`; hold the device's pairing button if "
                "it is paired with other hosts)"
            )
            await self._told(
                SecurityKind.PAIRING_REMOVED, str(removed), pairing_id=self.host.id.hex()
            )
            raise removed from None
        except Exception as exc:  # the link, a timeout, a malformed answer
            await self._told(
                SecurityKind.VERIFY_FAILED, str(exc) or type(exc).__name__, error=type(exc).__name__
            )
            raise
        finally:
            self._verifying = False
        assert host.keys is not None
        self._channel = host.keys.host()
        self.stats.verifies += 1
        early, self._early = self._early, []
        for frame in early:  # sealed right after the verify, before the channel was set
            self._frame(frame)
        await self._told(
            SecurityKind.VERIFIED,
            "pair verify done: every frame of the link is sealed from now on",
            pairing_id=self.host.id.hex(),
            device_id=kept.device_id.hex(),
            admin=kept.admin,
            again=self._reverifying,  # the device had ended the session: verified again
        )

    async def _confirm_info(self, info: Info) -> Info:
        """Read ``get_info`` again, sealed, and refuse one that differs from ``info`` (read
        in plain); :class:`irlink.Device` fills this in."""
        return info

    def _unsealable(self, frame: Frame) -> bool:
        if self._verifying and len(self._early) < _EARLY_MAX:
            self._early.append(frame)
            return True
        return False

    # Pair setup.

    async def _pair_setup(self, info: Info, code: SetupCode) -> Pairing:
        """Pair setup with ``code`` over this link; the pairing made (not yet kept)."""
        from irlink.security.keystore import Pairing as Kept  # noqa: PLC0415

        host = PairSetupHost(code, self.host)
        request: wire.PairSetupRequest | None = host.start()
        wait = max(self.timeout, PAIR_SETUP_WAIT_S)
        loop = asyncio.get_running_loop()
        told: list[str] = []
        while request is not None:
            # Said once, when an answer takes longer than an ordinary request may.
            telling = None if told else loop.call_later(self.timeout, self._tell, info, told)
            try:
                answer = await self.request(
                    request, wire.PairSetupResponse, resync=True, timeout=wait
                )
            finally:
                if telling is not None:
                    telling.cancel()
            request = host.receive(answer)
        device: PairedDevice | None = host.device
        assert device is not None
        log.info("%s: paired", self._named(info))
        return Kept(
            serial=info.serial,
            device_id=device.device_id,
            device_public_key=device.public_key,
            admin=False,  # known once verified: list_pairings answers an admin only
            paired_at=datetime.now(UTC),
            address=self.address,
            model=info.model,
        )

    def _tell(self, info: Info, told: list[str]) -> None:
        said = (
            f"waiting for {self._named(info)} to answer pair setup: a device may take up to "
            f"{PAIR_SETUP_WAIT_S:g} s for each step (its SRP arithmetic is slow)"
        )
        told.append(said)
        if self.notice is not None:
            self.notice(said)
        else:
            log.info("%s", said)

    async def _pair(self, info: Info, code: SetupCode) -> None:
        """What :func:`irlink.pair` does on the link: pair, verify, keep the pairing."""
        kept = self.keys.pairing_for(info.serial)
        if kept is not None:
            raise AlreadyPaired(
                f"{self._named(info)} is paired with this host already (since "
                f"{kept.paired_at:%Y-%m-%d %H:%M} UTC); to pair again, `irlink pairings "
                f"remove {info.serial}` first"
            )
        try:
            made = await self._pair_setup(info, code)
        except PairingFailed as exc:
            await self._told(
                SecurityKind.WRONG_CODE,
                str(exc),
                attempts_left=exc.attempts_left,
                wait_s=exc.limit,
            )
            raise
        await self._verify(info, made)
        await self._confirm_info(info)
        self.paired = replace(made, admin=await self._is_admin())
        self.keys.remember(self.paired)
        await self._told(
            SecurityKind.PAIRED,
            "paired" + (" as an admin" if self.paired.admin else "") + "; the pairing is kept",
            pairing_id=self.host.id.hex(),
            device_id=made.device_id.hex(),
            admin=self.paired.admin,
        )

    async def _is_admin(self) -> bool:
        """Whether this host is an admin of the device (only an admin may list pairings)."""
        try:
            await self.request(wire.ListPairingsRequest(), wire.ListPairingsResponse, resync=True)
        except Unauthorized:
            return False
        return True

    # The device's pairing list (admin hosts only).

    async def pairings(self) -> list[PairedHost]:
        """The hosts the device is paired with, in the order they paired (admins only).

        Raises :class:`~irlink.refusals.Unauthorized` when this host is not an admin of the
        device, and :class:`~irlink.security.errors.NotSecure` for a device without
        security (it has no pairings).
        """
        self._need_security("pairings")
        answer = await self.request(wire.ListPairingsRequest(), wire.ListPairingsResponse)
        ids = bytes(answer.pairing_ids)
        me = self.host.id
        return [
            PairedHost(
                pairing_id=ids[at : at + ID_SIZE].hex(),
                admin=bool(answer.admins >> (at // ID_SIZE) & 1),
                this_host=ids[at : at + ID_SIZE] == me,
            )
            for at in range(0, len(ids) - ID_SIZE + 1, ID_SIZE)
        ]

    async def remove_pairing(self, pairing_id: str | bytes) -> None:
        """Make the device forget the host with ``pairing_id`` (bytes, or 32 hex digits).

        Its verified sessions end at once; removing this host's own pairing ends this
        connection's session too (after the answer), and removing the last admin leaves
        the device paired with nobody. Admins only (:class:`~irlink.refusals.Unauthorized`).
        """
        self._need_security("remove_pairing")
        raw = bytes.fromhex(pairing_id) if isinstance(pairing_id, str) else bytes(pairing_id)
        if len(raw) != ID_SIZE:
            raise ValueError(
                f"a pairing id is {ID_SIZE} bytes ({2 * ID_SIZE} hex digits), not {len(raw)}; "
                "device.pairings() lists them"
            )
        await self.request(
            wire.RemovePairingRequest(pairing_id=tuple(raw)), wire.RemovePairingResponse
        )
        itself = raw == self.host.id
        await self._told(
            SecurityKind.PAIRING_REMOVED_BY_HOST,
            "the device forgot " + ("this host" if itself else "another host"),
            pairing_id=raw.hex(),
            this_host=itself,
            on_device=True,
        )

    # The journal.

    def _security(self, kind: SecurityKind, detail: str = "", **data: object) -> Future[Any] | None:
        journal = self.journal
        if journal is None:
            return None
        info: Info | None = getattr(self, "_info", None)
        event = SecurityEvent(
            kind,
            detail,
            data,
            serial=None if info is None else info.serial,
            before_link=not self._link_recorded,
        )
        return journal.security(event)

    async def _told(self, kind: SecurityKind, detail: str = "", **data: object) -> None:
        """Tell the journal of a security event, and wait until it is written."""
        written = self._security(kind, detail, **data)
        if written is not None:
            await self._recorded(written)

    def _dropped(self) -> None:
        if self.journal is not None:
            self._drops.dropped()

    def _link_ended(self) -> None:
        if self.journal is not None:
            self._drops.link_ended()

    def _drops_due(self, data: dict[str, object], final: bool) -> None:
        counts = f"{data['forged']} forged, {data['replayed']} replayed, {data['plain']} plain"
        total: Any = data["total"]
        if final:
            said = (
                f"the link ended: in all {total['forged']} forged, {total['replayed']} replayed, "
                f"{total['plain']} plain frames dropped ({counts} since the last report)"
            )
        elif total == {k: data[k] for k in total}:  # the link's first report
            said = f"{counts} frames dropped, none acted on; more are counted once a minute"
        else:
            said = f"{counts} frames dropped since the last report, none acted on"
        self._security(SecurityKind.FRAMES_DROPPED, said, **data, final=final)

    def _need_security(self, what: str) -> None:
        info: Info | None = getattr(self, "_info", None)
        if info is not None and not info.has(CapabilityFlags.SECURE):
            raise NotSecure(
                f"{self._named(info)} has no security (IRLink 1.{info.protocol_minor}): it "
                f"keeps no pairings, so there is nothing for {what}"
            )
