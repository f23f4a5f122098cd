"""The library verifies on every connection, seals every frame, and says what to do.

Devices here leave the factory paired with nobody (tests/security/conftest.py): a host
pairs with :func:`irlink.pair` and the setup code first, as a user does with
``irlink pair``. Each test's key store is in a temporary folder (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import irlink
import irlink.sync
from irlink.events import LinkDown, LinkRestored, Restarted, SessionEnded
from irlink.protocol.framing import Frame, frame_content
from irlink.protocol.messages import PortState, RemovePairingRequest, StartRequest
from irlink.record import SessionLog
from irlink.refusals import PairingFailed, PairingWindowClosed, Unauthorized
from irlink.regimen import example, load_regimen
from irlink.regimen.clinic import check_settings
from irlink.regimen.rehearsal import simulate
from irlink.security import (
    AlreadyPaired,
    Forged,
    KeyChanged,
    NotPaired,
    NotSecure,
    PairingRemoved,
    SecurityDowngrade,
)
from irlink.security.keystore import KeyStore
from irlink.security.sealed import Opener
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.pty import PtyServer
from tests.host.links import FAST, SESSIONS, connected, run

CODE = "482-19-736"


def device(**kwargs: object) -> SimulatedDevice:
    """A waistband fresh from the factory, with the setup code CODE, on a manual clock."""
    return SimulatedDevice("waistband", clock=ManualClock(), setup_code=CODE, **kwargs)  # type: ignore[arg-type]


def test_a_device_this_host_never_paired_is_refused_with_what_to_do() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            with pytest.raises(NotPaired) as refused:
                async with irlink.connect(pty.path, reconnect=None):
                    pass
            assert f"run `irlink pair -d {pty.path}`" in str(refused.value)
            assert isinstance(refused.value, irlink.IRLinkError)

    run(body())
    # At the wire: get_info answered, nothing else was sent, output never on.
    assert sim.auth.unauthorized == 0
    assert not sim.output_on(1)


def test_pair_with_the_right_code_then_every_connection_and_reconnection_verifies() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            kept = await irlink.pair(pty.path, CODE)
            assert (kept.serial, kept.model, kept.admin, kept.address) == (
                "0001",
                "IRL-W2",
                True,
                pty.path,
            )
            assert KeyStore.open().pairing_for("0001") == kept
            assert kept.device_id == sim.identity.id
        async with connected(sim=sim, link="socket", reconnect=FAST) as host:
            dev = host.device
            assert dev.secured
            await dev.configure(1, **SESSIONS["waistband"])
            await dev.start(1)
            assert sim.output_on(1)
            sim.cut_link(5)  # the link drops (TCP closes); irlink reconnects and verifies again
            await host.wait_for(LinkDown)
            host.clock.advance(5)
            await host.wait_for(LinkRestored)
            assert dev.secured
            assert dev.stats.verifies == 2
            assert (await dev.status()).port(1).state is PortState.RUNNING
            hosts = await dev.pairings()
            assert [(h.admin, h.this_host) for h in hosts] == [(True, True)]
            await dev.stop(1)
        assert (sim.auth.forged, sim.auth.replayed, sim.auth.unauthorized) == (0, 0, 0)

    run(body())


def test_a_wrong_code_says_how_many_attempts_are_left_and_how_long_to_wait() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            for attempt in range(1, 6):
                with pytest.raises(PairingFailed) as wrong:
                    await irlink.pair(pty.path, "482-19-737")
                assert wrong.value.attempts_left == 100 - attempt
                assert f"{100 - attempt} attempts left" in str(wrong.value)
            assert wrong.value.limit == 1
            with pytest.raises(PairingFailed) as waiting:  # the device's clock has not moved
                await irlink.pair(pty.path, CODE)
            assert "wait 1 s" in str(waiting.value)
            sim.clock.advance(1)  # type: ignore[attr-defined]
            assert (await irlink.pair(pty.path, CODE)).admin
            assert KeyStore.open().pairing_for("0001") is not None

    run(body())


def test_pairing_refusals_say_what_to_do() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
            with pytest.raises(AlreadyPaired, match="irlink pairings remove 0001"):
                await irlink.pair(pty.path, CODE)
            other = KeyStore.open(KeyStore.open().path.with_name("other.json"))
            with pytest.raises(PairingWindowClosed, match="hold its pairing button"):
                await irlink.pair(pty.path, CODE, store=other)
            sim.open_pairing_window()
            second = await irlink.pair(pty.path, CODE, store=other)
            assert not second.admin  # the first host paired is the admin
        async with PtyServer(SimulatedDevice("waistband", protocol_minor=1)) as old:
            with pytest.raises(NotSecure, match="without security"):
                await irlink.pair(old.path, CODE)
        with pytest.raises(irlink.IRLinkError, match="too easy to guess"):
            await irlink.pair("sim://waistband", "111-11-111")

    run(body())


def test_a_device_whose_key_changed_is_refused_with_what_to_do() -> None:
    sim = device(serial="0042")

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
            sim.factory_reset()  # a new id and key pair: as another device would have
            with pytest.raises(KeyChanged) as changed:
                async with irlink.connect(pty.path, reconnect=None):
                    pass
            message = str(changed.value)
            assert "`irlink pairings remove 0042`" in message
            assert "reset, or it is another device" in message

    run(body())


def test_a_paired_device_that_announces_no_security_is_refused_never_run_in_plain() -> None:
    """get_info is not authenticated: a device (or whatever answers for it) that says it has
    no security, under the serial of a device this host is paired with, is not controlled."""
    secure = device(serial="0042")
    impostor = SimulatedDevice("waistband", clock=ManualClock(), serial="0042", protocol_minor=1)

    async def body() -> None:
        async with PtyServer(secure) as pty:
            await irlink.pair(pty.path, CODE)
        async with PtyServer(impostor) as pty:
            with pytest.raises(SecurityDowngrade) as refused:
                async with irlink.connect(pty.path, reconnect=None) as dev:
                    await dev.start()
            message = str(refused.value)
            assert "announces no security" in message
            assert "`irlink pairings remove 0042`" in message
        assert not impostor.output_on(1)
        assert impostor.end_reasons() == []

    run(body())


def test_a_host_whose_pairing_the_device_removed_is_told_to_pair_again() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
            me = KeyStore.open().identity.id
            sim.memory.pairings.remove_pairing(me, RemovePairingRequest(pairing_id=tuple(me)))
            with pytest.raises(PairingRemoved, match="no longer knows this host"):
                async with irlink.connect(pty.path, reconnect=None):
                    pass

    run(body())


def test_a_second_host_that_never_paired_is_refused_after_the_first_paired() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
            stranger = KeyStore.open(KeyStore.open().path.with_name("stranger.json"))
            with pytest.raises(NotPaired):
                async with irlink.connect(pty.path, reconnect=None, keys=stranger):
                    pass
            # Even handed the first host's record of the device, without its private key.
            stranger.remember(KeyStore.open().pairing_for("0001"))  # type: ignore[arg-type]
            with pytest.raises(PairingRemoved):
                async with irlink.connect(pty.path, reconnect=None, keys=stranger):
                    pass
        assert sim.auth.failed_verifies == 1
        assert not sim.output_on(1)

    run(body())


def test_a_restart_ends_the_session_and_the_host_verifies_again_by_itself() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
        async with connected(sim=sim, status_period="1s") as host:
            dev = host.device
            await dev.configure(1, **SESSIONS["waistband"])
            session_id = await dev.start(1)
            host.clock.advance(12)
            sim.reboot()  # no booted on any link: a boot ended every session
            status = await dev.status()  # sealed, refused: verify again, then read
            assert status.boot_count == 2
            restarted = await host.wait_for(Restarted)
            assert restarted.cause is None  # 1.2 sends no booted: the cause is not known
            ended = await host.wait_for(SessionEnded, lambda e: e.session_id == session_id)
            assert ended.recovered
            assert dev.stats.verifies == 2
            assert dev.secured
            assert not sim.output_on(1)

    run(body())


def test_a_retried_sealed_request_is_the_same_request_under_a_new_counter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = device()
    starts: list[tuple[int, int]] = []  # (counter, inner seq) of each sealed start the device got
    real_open = Opener.open

    def losing_the_first_start(self: Opener, frame: Frame) -> Frame:
        inner = real_open(self, frame)
        if inner.msg_id == StartRequest.MSG_ID:
            starts.append((int.from_bytes(frame_content(frame)[2:6], "little"), inner.seq))
            if len(starts) == 1:
                raise Forged("lost on the way, as far as the firmware knows")
        return inner

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
        async with connected(sim=sim, timeout=0.05) as host:
            await host.device.configure(1, **SESSIONS["waistband"])
            monkeypatch.setattr(Opener, "open", losing_the_first_start)
            await host.device.start(1, session_id=77)
            assert host.device.stats.retries >= 1
        [(first, seq), (again, same)] = starts[:2]
        assert same == seq  # the same inner request (and session id) ...
        assert again > first  # ... under a new counter: no replay
        assert sim.end_reasons() == []  # one session ran, and runs
        assert sim.output_on(1)

    run(body())


def test_a_1_1_device_works_with_a_warning_once_per_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def body() -> None:
        with caplog.at_level(logging.WARNING, logger="irlink"):
            async with irlink.connect("sim://waistband?protocol=1.1") as dev:
                assert not dev.secured
                await dev.configure(**SESSIONS["waistband"])
                await dev.start()
                assert dev.simulator is not None
                assert dev.simulator.output_on(1)
                await dev.status()
        said = [r.getMessage() for r in caplog.records if "no security" in r.getMessage()]
        assert len(said) == 1
        assert "anyone who can reach its link can control it" in said[0]
        assert KeyStore.open().pairings() == []  # nothing to keep of it

    run(body())


def test_a_sim_address_pairs_in_process_and_keeps_nothing_on_disk() -> None:
    async def body() -> None:
        async with irlink.connect("sim://waistband?code=123-45-679") as dev:
            sim = dev.simulator
            assert sim is not None
            assert dev.secured
            assert str(sim.setup_code) == "123-45-679"
            assert [p.admin for p in sim.pairings] == [True]  # paired through pair setup
            assert sim.auth.wrong_codes == 0
            await dev.configure(**SESSIONS["waistband"])
            await dev.start()
            assert (await dev.pairings())[0].this_host
        assert KeyStore.open().pairings() == []  # held for the connection, never kept

    run(body())


def test_pairing_and_the_device_s_list_through_the_sync_facade() -> None:
    sim = device()

    async def serve_and_pair() -> None:
        async with PtyServer(sim) as pty:
            paths.append(pty.path)
            await asyncio.to_thread(lambda: kept.append(irlink.sync.pair(pty.path, CODE)))
            await asyncio.to_thread(use, pty.path)

    def use(path: str) -> None:
        with irlink.sync.connect(path, reconnect=None) as dev:
            assert dev.secured
            [me] = dev.pairings()
            assert me.admin
            assert me.this_host
            with pytest.raises(ValueError, match="32 hex digits"):
                dev.remove_pairing("abcd")
            dev.remove_pairing(me.pairing_id)  # the device forgets this host

    paths: list[str] = []
    kept: list[object] = []
    run(serve_and_pair())
    assert len(sim.pairings) == 0
    assert kept


def test_a_non_admin_cannot_read_or_change_the_device_s_list() -> None:
    sim = device()

    async def body() -> None:
        async with PtyServer(sim) as pty:
            await irlink.pair(pty.path, CODE)
            other = KeyStore.open(KeyStore.open().path.with_name("other.json"))
            sim.open_pairing_window()
            await irlink.pair(pty.path, CODE, store=other)
            async with irlink.connect(pty.path, reconnect=None, keys=other) as dev:
                with pytest.raises(Unauthorized):
                    await dev.pairings()
            async with irlink.connect("sim://waistband?protocol=1.1&serial=0099") as old:
                with pytest.raises(NotSecure):
                    await old.pairings()

    run(body())


def test_the_simulators_a_process_makes_for_itself_need_no_pairing(tmp_path: Path) -> None:
    """A rehearsal and a regimen check hold their simulators: they trust the process from
    the factory; each visit verifies and seals; the user's key store is left alone."""
    regimen = load_regimen(example("gale-2006"))
    asyncio.run(check_settings(regimen, "gale-2006"))
    with SessionLog.open(tmp_path / "log.db") as log:
        done = asyncio.run(
            simulate(example("gale-2006").read_text(), log=log, participants=2, seed=1)
        )
    assert done.sessions >= 2
    assert not KeyStore.open().path.exists()  # no identity made, no pairing kept
