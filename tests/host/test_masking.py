"""Masking at the source: a blinded Device runs sham on the device and shows it to nobody.

Neither its caller nor its journal (the session log) ever sees the sham flag of a
blinded device: statuses read or pushed, the last status, usage records, the configure
it recorded. The device itself is sent the true setting.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import irlink
from irlink.events import LinkDown, LinkRestored, SessionEnded, SessionStarted, StatusUpdate
from irlink.record import SessionLog, sessions
from irlink.record.samples import read_samples, unpack
from irlink.sim import ManualClock, SimulatedDevice
from tests.host.links import connected, run

QUICK = 0.2


def a_waistband() -> SimulatedDevice:
    return SimulatedDevice("waistband", clock=ManualClock(), serial="0042")


def masked_everywhere(log: SessionLog) -> None:
    """Every sham the log holds is NULL: sessions, port samples raw and packed, commands."""
    db = log.db
    assert db.execute("SELECT count(*) FROM sessions WHERE sham IS NOT NULL").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM port_samples WHERE sham IS NOT NULL").fetchone() == (0,)
    for (data,) in db.execute("SELECT data FROM sample_chunks"):
        _, ports = unpack(data)
        assert ports
        assert {row[11] for row in ports} == {None}  # PORT_COLUMNS: sham is the twelfth
    connections = [row[0] for row in db.execute("SELECT id FROM connections")]
    samples = list(read_samples(db, connections))
    assert samples
    assert {port["sham"] for sample in samples for port in sample.ports} == {None}
    for args, result in db.execute("SELECT args, result FROM commands WHERE name = 'configure'"):
        assert json.loads(args)["sham"] is None
        assert json.loads(result)["sham"] is None


def test_a_blinded_device_runs_sham_and_hands_out_no_sham_anywhere(tmp_path: Path) -> None:
    sim = a_waistband()

    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected(sim=sim, log=log, blind=True) as host:
                device, clock = host.device, host.clock
                assert device.blinded
                await device.configure(1, duration="10m", intensity=2, sham=True)
                session_id = await device.start(1)
                await host.wait_for(SessionStarted)
                clock.advance(60)
                assert sim.port_state(1) is irlink.PortState.RUNNING
                assert not sim.output_on(1)  # the firmware really runs sham: no output
                read = await device.status()
                assert read.port(1).session_id == session_id
                assert read.port(1).sham is None
                await device.subscribe("1s")
                clock.advance(3)
                pushed = await host.wait_for(StatusUpdate)
                assert [p.sham for p in pushed.status.ports] == [None]
                assert device.last_status is not None
                assert device.last_status.port(1).sham is None
                assert log.db.execute("SELECT count(*) FROM port_samples").fetchone()[0] > 0
                masked_everywhere(log)  # raw samples, before they are packed
                clock.advance(600)
                ended = await host.wait_for(SessionEnded)
                assert ended.completed
                records = await device.usage_log()
                assert [r.sham for r in records] == [None]
            masked_everywhere(log)  # packed into chunks when the link closed
            [kept] = sessions(log)
            assert (kept.session_id, kept.sham, kept.delivered_s) == (session_id, None, 600)

        async with connected(sim=sim) as host:  # the same device, not blinded
            assert not host.device.blinded
            assert (await host.device.status()).port(1).sham is True
            [record] = await host.device.usage_log()
            assert record.sham is True

    run(body())


def test_a_refused_sham_setting_is_not_said_in_the_journal(tmp_path: Path) -> None:
    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            async with connected("multiport", log=log, blind=True) as host:  # no sham mode
                with pytest.raises(irlink.LimitError):
                    await host.device.configure(1, duration="10m", intensity=1, sham=True)
            [(args, detail)] = log.db.execute("SELECT args, detail FROM commands").fetchall()
        assert json.loads(args)["sham"] is None
        assert "sham" not in detail.replace("masked", "")

    run(body())


def test_the_policy_is_asked_with_the_info_on_every_link_before_any_status() -> None:
    sim = a_waistband()
    asked: list[tuple[str, bool]] = []
    blinded = [False]

    def policy(info: irlink.Info) -> bool:
        asked.append((info.serial, sim.links_opened > 0))
        return blinded[0]

    async def body() -> None:
        async with connected(sim=sim, link="socket", timeout=QUICK, blind=policy) as host:
            device = host.device
            assert not device.blinded
            await device.configure(1, duration="10m", intensity=2, sham=True)
            assert (await device.status()).port(1).sham is True
            blinded[0] = True  # the device joins a blinded study while connected
            sim.cut_link(5)
            await host.wait_for(LinkDown)
            host.clock.advance(5)
            restored = await host.wait_for(LinkRestored)
            assert device.blinded
            assert restored.status.port(1).sham is None
            assert (await device.status()).port(1).sham is None
        assert asked == [("0042", True), ("0042", True)]

    run(body())


def test_a_policy_that_refuses_closes_the_link_before_any_status(tmp_path: Path) -> None:
    sim = a_waistband()

    def refuse(info: irlink.Info) -> bool:
        raise irlink.ConnectError(f"{info.serial} is not to be used now")

    async def body() -> None:
        with SessionLog.open(tmp_path / "log.db") as log:
            with pytest.raises(irlink.ConnectError, match="0042 is not to be used now"):
                async with connected(sim=sim, log=log, blind=refuse):
                    raise AssertionError("connected all the same")
            assert log.db.execute("SELECT count(*) FROM samples").fetchone() == (0,)
            assert log.db.execute("SELECT count(*) FROM connections").fetchone() == (0,)
        assert sim.links == []  # the link was closed

    run(body())


def test_the_blocking_device_passes_blind_through() -> None:
    import irlink.sync

    with irlink.sync.connect("sim://waistband", blind=True) as device:
        device.configure(1, duration="10m", sham=True)
        assert device.blinded
        assert device.status().port(1).sham is None
