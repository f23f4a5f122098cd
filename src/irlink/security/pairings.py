"""The device's pairing list: the hosts it is paired with, and who may list and remove them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from irlink.protocol.messages import ListPairingsResponse, RemovePairingRequest
from irlink.security.errors import BadPairingMessage, NotAuthorized, PairingListFull
from irlink.security.keys import ID_SIZE

__all__ = ["MAX_PAIRINGS", "Pairing", "Pairings"]

MAX_PAIRINGS = 8
"""Hosts a device keeps pairings for."""


class Pairing(NamedTuple):
    """A host the device is paired with: its pairing id, long-term public key, admin flag."""

    pairing_id: bytes
    public_key: bytes
    admin: bool


class Pairings:
    """The hosts a device is paired with, in the order they paired; at most MAX_PAIRINGS."""

    def __init__(self, entries: Iterable[Pairing] = ()) -> None:
        self._entries = list(entries)

    def __iter__(self) -> Iterator[Pairing]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def full(self) -> bool:
        """Whether another host can pair."""
        return len(self._entries) >= MAX_PAIRINGS

    def find(self, pairing_id: bytes) -> Pairing | None:
        """The pairing of the host with ``pairing_id``, if there is one."""
        return next((p for p in self._entries if p.pairing_id == pairing_id), None)

    def add(self, pairing_id: bytes, public_key: bytes) -> Pairing:
        """Keep a newly paired host; the first one is an admin."""
        known = self.find(pairing_id)
        if known is not None:
            if known.public_key != public_key:
                raise NotAuthorized(f"pairing id {pairing_id.hex()} is paired with another key")
            return known
        if self.full:
            raise PairingListFull(
                f"the device keeps {MAX_PAIRINGS} pairings already", limit=MAX_PAIRINGS
            )
        pairing = Pairing(pairing_id, public_key, admin=not self._entries)
        self._entries.append(pairing)
        return pairing

    def list_pairings(self, requester: bytes) -> ListPairingsResponse:
        """The answer to ``list_pairings`` from the verified host ``requester`` (admins only)."""
        self._admin(requester)
        admins = sum(1 << i for i, p in enumerate(self._entries) if p.admin)
        ids = b"".join(p.pairing_id for p in self._entries)
        return ListPairingsResponse(admins=admins, pairing_ids=tuple(ids))

    def remove_pairing(self, requester: bytes, request: RemovePairingRequest) -> list[bytes]:
        """Carry out ``remove_pairing`` from ``requester``; the ids whose sessions must end.

        Removing a pairing the device does not have succeeds; removing the last admin
        removes every pairing (the device is then unpaired, its pairing window open).
        """
        self._admin(requester)
        pairing_id = bytes(request.pairing_id)
        if len(pairing_id) != ID_SIZE:
            raise BadPairingMessage(
                f"a pairing id is {ID_SIZE} bytes, not {len(pairing_id)}", field=1
            )
        kept = [p for p in self._entries if p.pairing_id != pairing_id]
        if not any(p.admin for p in kept):
            kept = []
        removed = [p.pairing_id for p in self._entries if p not in kept]
        self._entries = kept
        return removed

    def _admin(self, requester: bytes) -> None:
        pairing = self.find(requester)
        if pairing is None or not pairing.admin:
            raise NotAuthorized("only an admin host may list or remove pairings")
