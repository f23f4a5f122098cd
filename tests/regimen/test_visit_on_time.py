"""A visit is on time by when it began, not by when its session ended."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from irlink.device import Device
from irlink.protocol.messages import PortState
from irlink.record import SessionLog
from irlink.regimen.runner import VisitDone, run_visit
from irlink.regimen.studies import StudyRecord, create_study, enrol
from irlink.regimen.visits import visits_of
from irlink.sim import ManualClock, SimulatedDevice
from irlink.transport.pipe import pipe_connector
from tests.regimen.test_rehearsal import SHORT

DAY0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANSWERS = {"nrs_overall": 6, "nrs_after": 5}


async def visit_at(log: SessionLog, study: StudyRecord, when: datetime) -> VisitDone:
    """P01's visit due, begun at ``when`` on a simulated waistband, run to its end."""
    clock = ManualClock()
    simulator = SimulatedDevice("waistband", clock=clock)
    device = Device(
        pipe_connector(simulator), address="sim://waistband", status_period=1, blind=True
    )
    async with device:
        visit = asyncio.ensure_future(
            run_visit(
                log,
                study,
                "P01",
                device,
                answers=ANSWERS,
                clock=lambda: when + timedelta(seconds=clock.now()),
            )
        )
        while not visit.done():
            if simulator.port_state(1) is PortState.RUNNING:
                clock.advance(60)
            await asyncio.sleep(0)
    return visit.result()


def test_a_visit_begun_just_before_its_window_closes_is_on_time(tmp_path: Path) -> None:
    with SessionLog.open(tmp_path / "log.db") as log:
        study = create_study(log, SHORT, now=DAY0)
        person = enrol(log, study, "P01", now=DAY0)
        first = asyncio.run(visit_at(log, study, DAY0))
        # Visit 2 is due two days on, on time for 12 hours either side: begun 5 minutes
        # before that ends, its 10-minute session ends 5 minutes after.
        late = DAY0 + timedelta(days=2, hours=12) - timedelta(minutes=5)
        second = asyncio.run(visit_at(log, study, late))
        kept = visits_of(log, person)
    assert (first.on_time, second.on_time) == (True, True)
    assert second.completed
    assert [v.on_time for v in kept] == [True, True]
    assert kept[1].ended == late + timedelta(minutes=10)
