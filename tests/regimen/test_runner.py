"""The runner: a visit from its window to its answers, blinded, and carried on after a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from irlink.record import SessionLog
from irlink.regimen.runner import run_visit
from irlink.regimen.studies import StudyError, withdraw
from irlink.sim import ManualClock
from tests.regimen.rig import (
    ANSWERS,
    START,
    arm_of,
    calendar,
    connect,
    drive,
    new_log,
    served,
    study_with,
    synchronous,
)


def column(log: SessionLog, sql: str) -> list[object]:
    log.flush()
    return [row[0] for row in log.db.execute(sql)]


@synchronous
async def test_a_blinded_sham_visit_runs_sham_on_the_device_and_nothing_shows_it(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01", "P02"])
        code = next(c for c in ("P01", "P02") if arm_of(log, study, c) == "sham")
        async with served(clock) as (sim, path), connect(path, log) as device:
            seen: list[object] = []
            done = await drive(
                device,
                clock,
                run_visit(log, study, code, device, answers=ANSWERS, on_event=seen.append),
            )
            records = await device.usage_log()
        assert done.completed
        assert done.number == 1
        assert done.sessions[0].delivered_s == done.sessions[0].planned_s == 600
        assert [r.sham for r in records] == [None]  # masked on the way out
        assert sim.firmware.memory.log[-1].sham  # the device itself really ran sham
        assert "sham" not in repr(done)
        assert "infrared" not in repr(done)
        assert not [e for e in seen if "sham=True" in repr(e) or "sham=False" in repr(e)]
        assert column(log, "SELECT sham FROM sessions") == [None]
        assert set(column(log, "SELECT sham FROM port_samples")) <= {None}


@synchronous
async def test_a_blinded_study_needs_a_blinded_device(tmp_path: Path) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01"])
        async with served(clock) as (_, path), connect(path, log, blind=False) as device:
            with pytest.raises(StudyError, match="blind=True"):
                await run_visit(log, study, "P01", device, answers=ANSWERS)
        assert column(log, "SELECT count(*) FROM visits") == [0]


async def _cut_mid_session(log: SessionLog, clock: ManualClock, path: str, study: object) -> None:
    """Run P01's visit a minute into its session, then kill the host's side of it."""
    async with connect(path, log) as device:
        visit = asyncio.ensure_future(run_visit(log, study, "P01", device, answers=ANSWERS))  # type: ignore[arg-type]
        while not column(log, "SELECT count(*) FROM visit_sessions WHERE visit_id > 0")[0]:
            await asyncio.sleep(0)
        await device.status()
        for _ in range(6):
            clock.advance(10)
            await device.status()
        visit.cancel()
        with pytest.raises(asyncio.CancelledError):
            await visit


@synchronous
async def test_a_visit_cut_mid_session_is_carried_on_and_never_started_twice(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01"])
        async with served(clock) as (sim, path):
            await _cut_mid_session(log, clock, path, study)
            assert column(log, "SELECT state FROM visits") == ["running"]
            async with connect(path, log) as device:
                done = await drive(device, clock, run_visit(log, study, "P01", device))
        assert done.resumed
        assert done.completed
        assert done.number == 1
        assert len(sim.firmware.memory.log) == 1  # one session ran, once, its whole length
        assert done.sessions[0].delivered_s == 600
        assert column(log, "SELECT nrs FROM (SELECT score AS nrs FROM measures)") == [6]


@synchronous
async def test_a_session_that_ended_while_the_host_was_away_is_taken_from_the_usage_log(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01"])
        async with served(clock) as (sim, path):
            await _cut_mid_session(log, clock, path, study)
            clock.advance(1200)  # the session ended on the device's own timer meanwhile
            async with connect(path, log) as device:
                done = await run_visit(log, study, "P01", device)
        assert done.resumed
        assert done.completed
        assert done.sessions[0].delivered_s == 600
        assert len(sim.firmware.memory.log) == 1


@synchronous
async def test_a_device_restart_mid_session_ends_the_visit_as_it_really_ended(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01"])
        async with served(clock) as (sim, path), connect(path, log) as device:
            visit = asyncio.ensure_future(run_visit(log, study, "P01", device, answers=ANSWERS))
            while not column(log, "SELECT count(*) FROM visit_sessions")[0]:
                await asyncio.sleep(0)
            await device.status()
            clock.advance(30)
            sim.reboot()
            done = await drive(device, clock, visit)
        assert not done.completed
        assert done.outcome in ("partial", "unknown")
        assert done.sessions[0].end_reason == "power_loss"
        assert column(log, "SELECT outcome FROM visits") == [done.outcome]


@synchronous
async def test_a_visit_outside_its_window_needs_a_reason_kept_as_a_deviation(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01"])
        async with served(clock) as (_, path), connect(path, log) as device:
            when = calendar(clock)
            await drive(
                device, clock, run_visit(log, study, "P01", device, answers=ANSWERS, clock=when)
            )
            late = lambda: START + timedelta(days=10)  # noqa: E731  (due day 7, +- 1)
            with pytest.raises(StudyError, match="--override"):
                await run_visit(log, study, "P01", device, answers=ANSWERS, clock=late)
            done = await drive(
                device,
                clock,
                run_visit(log, study, "P01", device, answers=ANSWERS, clock=late, override="flu"),
            )
        assert done.number == 2
        assert not done.on_time
        assert column(log, "SELECT reason FROM audit WHERE action = 'deviation'") == ["flu"]
        assert column(log, "SELECT override_reason FROM visits ORDER BY number") == [None, "flu"]


@synchronous
async def test_answers_are_checked_and_a_withdrawn_participant_has_no_visit(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    with new_log(tmp_path) as log:
        study = study_with(log, ["P01", "P02"])
        async with served(clock) as (_, path), connect(path, log) as device:
            with pytest.raises(StudyError, match="0-10"):
                await run_visit(log, study, "P01", device, answers={"nrs_overall": 11})
            with pytest.raises(StudyError, match="nrs_overall"):
                await run_visit(log, study, "P01", device, answers={})
            withdraw(log, study, "P02", "moved away")
            with pytest.raises(StudyError, match="withdrawn"):
                await run_visit(log, study, "P02", device, answers=ANSWERS)
            asked: list[str] = []

            def ask(measure: object, visit: int) -> int | None:
                asked.append(measure.id)  # type: ignore[attr-defined]
                return 4 if measure.kind == "nrs" else None  # type: ignore[attr-defined]

            done = await drive(device, clock, run_visit(log, study, "P01", device, ask=ask))
        assert done.completed
        assert asked == ["nrs_overall", "remarks"]
        assert done.answers[("nrs_overall", "before")] == 4
