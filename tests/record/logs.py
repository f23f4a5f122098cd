"""Session logs made the way irlink makes them: real sessions on simulated devices, recorded.

Each device runs fast (``speed``) and its sessions end by the device's own timer or a
stop; the test waits for the device's ``session_ended`` event, never for a time.
"""

from __future__ import annotations

import asyncio
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
) -> Ran:
    """Configure and start ``port``, follow it (status each simulated minute) until it ends,
    or stop it after ``stop_after`` status updates."""
    address = f"sim://{family}?speed={SPEED}&serial={serial}"
    async with irlink.connect(address, log=log) as device:
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
