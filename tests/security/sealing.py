"""Test hosts that speak to a secure simulated device: a host codec that seals and opens.

The raw test hosts (``tests/sim/host.py`` over the in-process pipe, ``SerialHost`` over
pyserial) speak frames themselves. Against a device with security they verify first
(:func:`verify`, with the pairing a key store keeps: the factory pairing every test's
devices get, see :mod:`irlink.sim.provision`), then seal every request but the pairing
messages and open every sealed frame, exactly as the library does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from irlink.protocol import HostCodec, Refusal, Request
from irlink.protocol.codec import HostIncoming
from irlink.protocol.framing import Frame
from irlink.protocol.messages import ErrorCode, FrameKind, PairVerifyRequest
from irlink.security import Channel, Forged, Replayed, VerifyHost
from irlink.security.keystore import KeyStore

__all__ = ["SealingCodec", "averify", "session_lost", "verify"]

_SEALED = int(FrameKind.SEALED)
_PLAIN = frozenset({"pair_setup", "pair_verify"})


class SealingCodec(HostCodec):
    """A host codec that, once :attr:`channel` is set, seals requests and opens sealed frames.

    Sealed frames it cannot open are dropped and counted (``forged``, ``replayed``); plain
    frames are read as they are (a test sees the device's plain refusals).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel: Channel | None = None
        self.forged = self.replayed = 0

    def request(self, message: Request, seq: int | None = None) -> tuple[int, bytes]:
        seq, data = super().request(message, seq)
        if self.channel is not None and message.NAME not in _PLAIN:
            data = self.channel.sealer.seal_encoded(data)
        return seq, data

    def feed(self, data: bytes) -> list[HostIncoming]:
        out: list[HostIncoming] = []
        for frame in self.decoder.feed(data):
            opened = self._open(frame)
            if opened is not None:
                out.append(self.read(opened))
        return out

    def _open(self, frame: Frame) -> Frame | None:
        if frame.kind != _SEALED:
            return frame
        if self.channel is None:
            self.forged += 1
            return None
        try:
            return self.channel.opener.open(frame)
        except Forged:
            self.forged += 1
        except Replayed:
            self.replayed += 1
        return None


def session_lost(items: list[HostIncoming]) -> bool:
    """Whether the device said it has no verified session for the link (it restarted):
    the plain ``unauthorized`` with seq 0 and msg_id 0 (protocols/README.md 13.6)."""
    return any(
        isinstance(item, Refusal)
        and (item.seq, item.msg_id, item.error.code) == (0, 0, ErrorCode.UNAUTHORIZED)
        for item in items
    )


def _host(serial: str, store: KeyStore | None) -> VerifyHost | None:
    keys = store if store is not None else KeyStore.open()
    kept = keys.pairing_for(serial)
    if kept is None:
        return None
    return VerifyHost(keys.identity, kept.device_id, kept.device_public_key)


def verify(
    codec: SealingCodec, ok: Callable[[Request], Any], serial: str, store: KeyStore | None = None
) -> bool:
    """Pair verify through ``ok`` (send a request, return its response) with the pairing
    ``store`` keeps of ``serial``; False, and nothing done, if it keeps none."""
    host = _host(serial, store)
    if host is None:
        return False
    request: PairVerifyRequest | None = host.start()
    while request is not None:
        request = host.receive(ok(request))
    assert host.keys is not None
    codec.channel = host.keys.host()
    return True


async def averify(
    codec: SealingCodec,
    ok: Callable[[Request], Awaitable[Any]],
    serial: str,
    store: KeyStore | None = None,
) -> bool:
    """:func:`verify` through an ``ok`` that is awaited."""
    host = _host(serial, store)
    if host is None:
        return False
    request: PairVerifyRequest | None = host.start()
    while request is not None:
        request = host.receive(await ok(request))
    assert host.keys is not None
    codec.channel = host.keys.host()
    return True
