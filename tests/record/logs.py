"""Session logs made the way irlink makes them: real sessions on simulated devices, recorded.

Each device runs fast (``speed``) and its sessions end by the device's own timer or a
stop; the test waits for the device's ``session_ended`` event, never for a time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import irlink
from irlink.events import SessionEnded, StatusUpdate
from irlink.record import SessionLog

SPEED = 3600  # an hour a second: a 10-minute session takes a sixth of a second
WAIT_S = 10  # no session may take longer than this, however slow the machine


@dataclass(frozen=True)
class Ran:
    """One session run into the log: its device, port, how it ended, statuses seen."""

    serial: str
    family: str
    port: int
    reason: str
    statuses: int  # status updates the host received while it ran (and so recorded)


async def run_session(
    log: SessionLog,
    family: str,
    serial: str,
    port: int,
    settings: dict[str, Any],
    *,
    stop_after: int | None = None,
    blind: bool = False,
) -> Ran:
    """Configure and start ``port``, follow it (status each simulated minute) until it ends,
    or stop it after ``stop_after`` status updates; ``blind``: its sham masked."""
    address = f"sim://{family}?speed={SPEED}&serial={serial}"
    async with irlink.connect(address, log=log, blind=blind) as device:
        await device.configure(port, **settings)
        events = device.events()
        await device.subscribe("60s")
        session_id = await device.start(port)
        statuses = 0

        async def follow() -> str:
            nonlocal statuses
            async for event in events:
                if isinstance(event, StatusUpdate):
                    statuses += 1
                    if stop_after is not None and statuses == stop_after:
                        await device.stop(port)
                elif isinstance(event, SessionEnded) and event.session_id == session_id:
                    return event.reason.name.lower()
            raise AssertionError("the device closed before the session ended")

        reason = await asyncio.wait_for(follow(), WAIT_S)
    return Ran(serial, family, port, reason, statuses)


def make_log(path: Path) -> list[Ran]:
    """A log of three sessions on two devices: a completed one on a waistband, one stopped
    early on port 2 of a two-port controller, and one completed on its port 1."""

    async def run() -> list[Ran]:
        with SessionLog.open(path) as log:
            return [
                await run_session(log, "waistband", "0101", 1, {"duration": "10m", "intensity": 2}),
                await run_session(
                    log,
                    "multiport",
                    "0707",
                    2,
                    {"duration": "20m", "intensity": 1, "mode": "pulsed", "pulse_hz": 73},
                    stop_after=3,
                ),
                await run_session(log, "multiport", "0707", 1, {"duration": "10m", "intensity": 1}),
            ]

    return asyncio.run(run())


def add_study(
    path: Path, name: str, serial: str, *, blinded: bool = True, simulated: bool = True
) -> None:
    """A study ``name`` that uses the device ``serial`` of the log at ``path`` (``simulated``:
    reached at a sim:// address), written by hand as irlink.regimen writes one."""
    with sqlite3.connect(path) as db:
        study = db.execute(
            "INSERT INTO studies (name, kind, regimen, regimen_sha256, created_at_ms, blinded, "
            "synthetic, sealed) VALUES (?, 'study', '', '', 0, ?, 0, '{}')",
            (name, int(blinded)),
        ).lastrowid
        used = db.execute(
            "INSERT INTO study_devices SELECT ?, id FROM devices "
            "WHERE serial = ? AND simulated = ?",
            (study, serial, int(simulated)),
        )
        assert used.rowcount == 1, f"no device {serial} in {path}"
    db.close()


SHAM = {"duration": "10m", "intensity": 2, "sham": True}
REAL = {"duration": "10m", "intensity": 2}


def make_blinded_log(path: Path) -> None:
    """A log of three waistband sessions: 0042 sham, blinded, in the blinded study
    gale-2006; 0043 sham, blinded, in no study; 0101 real, not blinded."""

    async def run() -> None:
        with SessionLog.open(path) as log:
            await run_session(log, "waistband", "0042", 1, SHAM, blind=True)
            await run_session(log, "waistband", "0043", 1, SHAM, blind=True)
            await run_session(log, "waistband", "0101", 1, REAL)

    asyncio.run(run())
    add_study(path, "gale-2006", "0042")
