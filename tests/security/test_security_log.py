"""Security events go into the session log (issue 15): verifies, refusals, drops, pairings.

Devices here leave the factory paired with nobody (tests/security/conftest.py): a host
pairs with :func:`irlink.pair` first. Frames an attacker would send are put on the
link from the device's side (:attr:`SimulatedDevice.links`), so they reach the host as
any byte from the device does.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

import irlink
import irlink.verified
from irlink.errors import LinkLost
from irlink.events import LinkDown, LinkRestored
from irlink.protocol.framing import content_bytes, frame_bytes
from irlink.protocol.messages import FrameKind
from irlink.record import SessionLog
from irlink.refusals import PairingFailed
from irlink.security import VerifyHost
from irlink.security.keystore import KeyStore
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.pty import PtyServer
from tests.host.links import FAST, SESSIONS, connected, run

CODE = "482-19-736"
WRONG = "482-19-737"
_SEALED_HEAD = struct.Struct("<BBI")  # version, kind, counter: a sealed frame's outer header


def device(**kwargs: Any) -> SimulatedDevice:
    """A waistband fresh from the factory, with the setup code CODE, on a manual clock."""
    return SimulatedDevice("waistband", clock=ManualClock(), setup_code=CODE, **kwargs)


def rows(path: Path, kind: str | None = None) -> list[dict[str, Any]]:
    """The log's security events (of ``kind``), oldest first, as dicts, ``data`` read."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        found = [
            dict(row)
            for row in db.execute("SELECT * FROM security_events ORDER BY id")
            if kind is None or row["kind"] == kind
        ]
    db.close()
    for row in found:
        row["data"] = json.loads(row["data"])
    return found


def connection_ids(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        found = [row[0] for row in db.execute("SELECT id FROM connections ORDER BY id")]
    db.close()
    return found


def forged(counter: int) -> bytes:
    """A sealed frame no key made: its CRC is right, its tag is not."""
    return content_bytes(_SEALED_HEAD.pack(1, int(FrameKind.SEALED), counter) + bytes(40))


def plain_answer() -> bytes:
    """A plain response in a verified session, to a request nothing waits for."""
    return frame_bytes(int(FrameKind.RESPONSE), 999, 1, b"")


def test_pairing_and_a_verified_connection_are_recorded_the_connection_s_under_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    sim = device()

    async def body() -> None:
        with SessionLog.open(path) as log:
            async with PtyServer(sim) as pty:
                with pytest.raises(PairingFailed):
                    await irlink.pair(pty.path, WRONG, log=log)
                kept = await irlink.pair(pty.path, CODE, log=log)
                assert kept.admin
                async with irlink.connect(pty.path, log=log, reconnect=None) as dev:
                    await dev.status()
                    assert dev.secured

    run(body())
    me = KeyStore.open().identity.id.hex()
    kept = KeyStore.open().pairing_for("0001")
    assert kept is not None
    assert [r["kind"] for r in rows(path)] == ["wrong_code", "verified", "paired", "verified"]
    [wrong] = rows(path, "wrong_code")
    assert wrong["data"]["attempts_left"] == 99
    assert (wrong["serial"], wrong["connection_id"]) == ("0001", None)
    [paired] = rows(path, "paired")
    assert paired["data"] == {"pairing_id": me, "device_id": kept.device_id.hex(), "admin": True}
    [while_pairing, connected_] = rows(path, "verified")
    assert while_pairing["connection_id"] is None  # irlink.pair records no connection
    [connection] = connection_ids(path)
    assert connected_["connection_id"] == connection  # filed under the link it verified
    assert connected_["device_id"] is not None
    assert connected_["mono_ms"] <= 0  # before the connection row opened
    assert connected_["data"]["pairing_id"] == me
    assert connected_["data"]["device_id"] == kept.device_id.hex()
    assert connected_["data"]["again"] is False


def test_refusals_are_recorded_before_they_are_raised(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    sim = device(serial="0042")
    impostor = SimulatedDevice("waistband", clock=ManualClock(), serial="0042", protocol_minor=1)

    async def body() -> None:
        with SessionLog.open(path) as log:
            async with PtyServer(sim) as pty:
                with pytest.raises(irlink.IRLinkError, match="not paired"):
                    async with irlink.connect(pty.path, log=log, reconnect=None):
                        pass
                await irlink.pair(pty.path, CODE)
                sim.factory_reset()  # a new key: as another device would have
                with pytest.raises(irlink.IRLinkError, match="its key changed"):
                    async with irlink.connect(pty.path, log=log, reconnect=None):
                        pass
            async with PtyServer(impostor) as pty:
                with pytest.raises(irlink.IRLinkError, match="announces no security"):
                    async with irlink.connect(pty.path, log=log, reconnect=None):
                        pass

    run(body())
    assert [r["kind"] for r in rows(path)] == ["not_paired", "key_changed", "downgrade_refused"]
    for row in rows(path):
        assert (row["serial"], row["connection_id"]) == ("0042", None)  # never linked
    assert connection_ids(path) == []
    [changed] = rows(path, "key_changed")
    assert "`irlink pairings remove 0042`" in changed["detail"]
    [downgrade] = rows(path, "downgrade_refused")
    assert downgrade["data"] == {"protocol": "1.1", "paired": True}


def test_forged_replayed_and_plain_frames_are_counted_in_a_row_or_two_not_one_a_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="irlink.connection")
    path = tmp_path / "log.db"
    n_forged, n_replayed_chunks, n_plain = 300, 20, 40

    async def body() -> None:
        with SessionLog.open(path) as log:
            async with irlink.connect("sim://waistband?code=123-45-679", log=log) as dev:
                sim = dev.simulator
                assert sim is not None
                assert dev.secured
                [link] = sim.links
                sent: list[bytes] = []
                deliver = link.deliver

                def captured(data: bytes) -> None:
                    sent.append(data)
                    deliver(data)

                link.deliver = captured
                await dev.status()  # a genuine sealed answer, captured
                link.deliver = deliver
                [genuine] = sent
                assert genuine.count(b"\0") == 1
                for counter in range(n_forged):
                    link.deliver(forged(counter))
                for _ in range(n_replayed_chunks):
                    link.deliver(genuine)
                for _ in range(n_plain):
                    link.deliver(plain_answer())
                await dev.status()  # the link goes on, sealed, as before
                assert dev.secured
                stats = dev.stats
                assert (stats.forged, stats.replayed, stats.plain_dropped) == (
                    n_forged,
                    n_replayed_chunks,
                    n_plain,
                )
                log.flush()
                assert len(rows(path, "frames_dropped")) == 1  # the first drop, at once
            assert dev.stats.forged == n_forged

    run(body())
    # Nor one warning a frame on the host's own log: the first, then debug lines only.
    dropped = [r for r in caplog.records if r.getMessage().split("; dropped")[0] != r.getMessage()]
    assert len(dropped) == n_forged + n_replayed_chunks
    warned = [r for r in dropped if r.levelno >= logging.WARNING]
    assert len(warned) == 1, [r.getMessage() for r in warned]
    first, last = rows(path, "frames_dropped")
    assert first["data"] == {
        "forged": 1,
        "replayed": 0,
        "plain": 0,
        "total": {"forged": 1, "replayed": 0, "plain": 0},
        "final": False,
    }
    totals = {"forged": n_forged, "replayed": n_replayed_chunks, "plain": n_plain}
    assert last["data"]["total"] == totals
    assert last["data"]["final"] is True
    assert {k: first["data"][k] + last["data"][k] for k in totals} == totals
    assert "in all 300 forged, 20 replayed, 40 plain" in last["detail"]
    [connection] = connection_ids(path)
    assert first["connection_id"] == last["connection_id"] == connection


def test_a_session_the_device_ended_is_recorded_and_so_is_the_verify_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
        with SessionLog.open(path) as log:
            async with connected(sim=sim, log=log) as host:
                await host.device.status()
                sim.reboot()  # the device forgets every session
                await host.device.status()  # refused, verified again, then read
                assert host.device.stats.verifies == 2

    run(body())
    assert [r["kind"] for r in rows(path)] == ["verified", "session_lost", "verified"]
    first, lost, again = rows(path)
    assert (first["data"]["again"], again["data"]["again"]) == (False, True)
    assert lost["detail"] == "the device ended the verified session"
    [connection] = connection_ids(path)
    assert {r["connection_id"] for r in rows(path)} == {connection}


def test_a_1_1_device_records_unsecured_once_per_connection(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    sim = SimulatedDevice("waistband", clock=ManualClock(), protocol_minor=1)

    async def body() -> None:
        with SessionLog.open(path) as log:
            async with connected(sim=sim, link="socket", reconnect=FAST, log=log) as host:
                dev = host.device
                assert not dev.secured
                await dev.configure(1, **SESSIONS["waistband"])
                await dev.start(1)
                for _ in range(5):
                    await dev.status()
                sim.cut_link(5)
                await host.wait_for(LinkDown)
                host.clock.advance(5)
                await host.wait_for(LinkRestored)
                await dev.status()

    run(body())
    unsecured = rows(path, "unsecured")
    assert [r["connection_id"] for r in unsecured] == connection_ids(path)
    assert len(unsecured) == 2
    assert unsecured[0]["data"] == {"protocol": "1.1"}
    assert "controlled unauthenticated" in unsecured[0]["detail"]
    assert [r["kind"] for r in rows(path)] == ["unsecured", "unsecured"]


def test_nothing_secret_reaches_the_log_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every key and code of a pairing, a verified session, an attack and a removed pairing:
    none of them is anywhere in the log's bytes, raw or as hex."""
    path = tmp_path / "log.db"
    sim = device()
    verifiers: list[VerifyHost] = []

    class Kept(VerifyHost):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            verifiers.append(self)

    monkeypatch.setattr(irlink.verified, "VerifyHost", Kept)

    async def body() -> None:
        with SessionLog.open(path) as log:
            async with PtyServer(sim) as pty:
                with pytest.raises(PairingFailed):
                    await irlink.pair(pty.path, WRONG, log=log)
                await irlink.pair(pty.path, CODE, log=log)
                async with irlink.connect(pty.path, log=log, reconnect=None) as dev:
                    await dev.status()
                    [link] = sim.links
                    for counter in range(10):
                        link.deliver(forged(counter))
                    await dev.status()
                    await dev.remove_pairing(dev.host.id)  # the device forgets this host
                    with pytest.raises(LinkLost):  # its verify again is refused
                        await dev.status()

    run(body())
    kinds = {r["kind"] for r in rows(path)}
    assert kinds >= {
        "wrong_code",
        "paired",
        "verified",
        "frames_dropped",
        "pairing_removed_by_host",
        "session_lost",
        "pairing_removed",
    }
    raw = Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    secrets = [code.encode() for given in (CODE, WRONG) for code in (given, given.replace("-", ""))]
    secrets += [sim.identity.private_key.private_bytes(*raw)]
    secrets += [KeyStore.open().identity.private_key.private_bytes(*raw)]
    keys = [v.keys for v in verifiers if v.keys is not None]
    assert len(keys) >= 2  # the pairing's verify and the connection's
    secrets += [key for pair in keys for key in pair]
    files = [p for p in tmp_path.iterdir() if p.name.startswith("log.db")]
    content = b"".join(p.read_bytes() for p in files)
    assert b"verified" in content  # the rows are there to look through
    for secret in secrets:
        for form in (secret, secret.hex().encode(), secret.hex().upper().encode()):
            assert form not in content
