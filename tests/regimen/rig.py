"""A study on a simulated device on a manual clock: the runner driven the way tests drive time.

The device moves only when the clock is advanced; :func:`drive` advances it a few
seconds at a time while a visit runs, with a status round trip between steps so that
every pushed status is read before the next ones come.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import irlink
from irlink.record import SessionLog
from irlink.regimen.studies import StudyRecord, create_study, enrol, sealed_arm
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.pty import PtyServer

T = TypeVar("T")

STEP_S = 5
LIMIT_S = 4 * 3600  # no visit here runs longer than this in simulated time

SHORT = """\
irlink_regimen: 1
name: short
family: waistband
visits: {count: 3, interval: 1w, window: 1d}
session: {duration: 10m, intensity: 2}
measures:
  - {id: nrs_overall, label: "Pain now, 0-10"}
  - {id: remarks, kind: text, when: after, label: "Anything else?"}
study:
  arms: [{name: infrared}, {name: sham, sham: true}]
  sham_credible: true
  allocation: {blocks: [2], seed: 11, size: 10}
"""
ANSWERS = {"nrs_overall": 6}
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


async def drive(device: irlink.Device, clock: ManualClock, work: Awaitable[T]) -> T:
    """Run ``work`` while moving the device's clock along until it is done."""
    task = asyncio.ensure_future(work)
    moved = 0.0
    while not task.done():
        await asyncio.sleep(0)
        if task.done():
            break
        clock.advance(STEP_S)
        moved += STEP_S
        assert moved < LIMIT_S, "the visit never ended"
        try:
            await device.status()
        except irlink.IRLinkError:
            await asyncio.sleep(0)
    return task.result()


def synchronous(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """An async test, run on its own event loop (pytest here runs plain functions)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def study_with(log: SessionLog, codes: list[str], text: str = SHORT) -> StudyRecord:
    """A study of ``text`` with ``codes`` enrolled."""
    study = create_study(log, text)
    for code in codes:
        enrol(log, study, code)
    return study


def arm_of(log: SessionLog, study: StudyRecord, code: str) -> str:
    """A participant's sealed arm, as only a test (and the runner) may read it."""
    row = log.db.execute(
        "SELECT id FROM participants WHERE study_id = ? AND code = ?", (study.id, code)
    ).fetchone()
    arm = sealed_arm(log.db, row[0])
    assert arm is not None
    return arm


def new_log(folder: Path) -> SessionLog:
    """A fresh session log in ``folder``."""
    return SessionLog.open(folder / "sessions.db")


def calendar(clock: ManualClock, start: datetime = START) -> Callable[[], datetime]:
    """The study's calendar on the device's manual clock: ``start`` plus simulated time."""
    return lambda: start + timedelta(seconds=clock.now())


@asynccontextmanager
async def served(clock: ManualClock) -> AsyncIterator[tuple[SimulatedDevice, str]]:
    """A waistband on ``clock``, served on a pty that several connections may open in turn."""
    sim = SimulatedDevice("waistband", clock=clock, serial="0042")
    async with PtyServer(sim) as pty:
        yield sim, pty.path


def connect(path: str, log: SessionLog, *, blind: bool = True) -> Any:
    """A connection to the served device, recorded in ``log``, 1 Hz status."""
    return irlink.connect(path, status_period=1, log=log, blind=blind, reconnect=None)
