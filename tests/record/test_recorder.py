"""The recorder: what it keeps of a device's status samples."""

from __future__ import annotations

from pathlib import Path

from irlink.record import SessionLog
from irlink.record.samples import CHUNK, read_samples
from tests.host.links import connected, run


def test_a_connection_s_samples_are_packed_every_chunk_while_it_stays_open(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        async with connected("multiport") as host:
            status = await host.device.status()
            info = host.device.info
        with SessionLog.open(tmp_path / "log.db") as log:
            recorder = log.journal("sim://multiport")
            recorder.linked(info)
            for _ in range(2 * CHUNK + 5):
                recorder.status(status, pushed=True)
            chunks = log.db.execute("SELECT count FROM sample_chunks ORDER BY id").fetchall()
            raw = log.db.execute("SELECT count(*) FROM samples").fetchone()[0]
            kept = list(read_samples(log.db, [recorder.connection_id or 0]))
        assert chunks == [(CHUNK,), (CHUNK,)]
        assert raw == 5
        assert len(kept) == 2 * CHUNK + 5

    run(body())


def test_a_chunk_keeps_its_own_connection_s_ports_when_devices_interleave(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        async with connected("multiport") as host:
            status = await host.device.status()
            info = host.device.info
        with SessionLog.open(tmp_path / "log.db") as log:
            recorders = [log.journal(f"sim://multiport?serial={n}") for n in (1, 2)]
            for recorder in recorders:
                recorder.linked(info)
            for _ in range(CHUNK):
                for recorder in recorders:
                    recorder.status(status, pushed=True)
            for recorder in recorders:
                kept = list(read_samples(log.db, [recorder.connection_id or 0]))
                assert len(kept) == CHUNK
                assert all(len(sample.ports) == 2 for sample in kept)
            assert log.db.execute("SELECT count(*) FROM port_samples").fetchone()[0] == 0

    run(body())
