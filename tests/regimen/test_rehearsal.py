"""Rehearsals: a SYNTHETIC study run end to end through the runner on simulated devices."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from irlink.record import SessionLog
from irlink.regimen import RegimenError, example, examples, load_regimen
from irlink.regimen.clinic import check_settings
from irlink.regimen.rehearsal import SYNTHETIC_START, Rehearsal, simulate
from irlink.regimen.studies import StudyError, find_study, participants, unblind
from irlink.regimen.synthetic import OutcomeModel

SHORT = """\
irlink_regimen: 1
name: short
family: waistband
visits:
  count: 3
  interval: 2d
  window: 12h
session:
  duration: 10m
  intensity: 2
measures:
  - id: nrs_overall
    label: "Your pain overall, 0-10"
  - id: nrs_after
    label: "Your pain after the session, 0-10"
    when: after
  - id: remarks
    kind: text
    when: after
    label: "Anything to add"
study:
  arms:
    - name: infrared
    - name: sham
      sham: true
  sham_credible: true
  blinded: true
  allocation:
    blocks: [2]
    size: 20
"""
SESSION_S = 600
# Often enough that six participants show both, with this seed.
RESTLESS = OutcomeModel(missed=0.25, dropout=0.4)
SEED = 11


@dataclass
class Ran:
    """A rehearsal and the log it was kept in."""

    done: Rehearsal
    log: SessionLog

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self.log.reading() as db:
            return db.execute(sql, args).fetchall()


def rehearse(path: Path, text: str = SHORT, **options: object) -> Ran:
    """Rehearse ``text`` into a new log at ``path``, kept open for the test to read."""
    log = SessionLog.open(path)
    done = asyncio.run(simulate(text, log=log, **options))
    return Ran(done, log)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ran]:
    """Six restless participants through the short regimen, recorded."""
    kept = rehearse(
        tmp_path_factory.mktemp("rehearsal") / "log.db", participants=6, seed=SEED, model=RESTLESS
    )
    yield kept
    kept.log.close()


def test_the_study_is_synthetic_and_named_as_a_rehearsal(ran: Ran) -> None:
    study = find_study(ran.log, ran.done.study)
    assert study.synthetic
    assert study.name == "short-rehearsal-1"
    assert ran.done.synthetic
    assert ran.done.seed == SEED
    assert study.created == SYNTHETIC_START


def test_every_completed_visit_delivered_its_planned_session(ran: Ran) -> None:
    visits = ran.rows(
        "SELECT v.outcome, s.planned_s, s.delivered_s, s.end_reason FROM visits v "
        "JOIN visit_sessions s ON s.visit_id = v.id"
    )
    assert visits
    assert set(visits) == {("completed", SESSION_S, SESSION_S, "completed")}
    assert ran.done.visits_completed == ran.done.sessions == len(visits)
    assert ran.done.delivered_s == SESSION_S * len(visits)


def test_every_session_is_recorded_with_its_samples(ran: Ran) -> None:
    recorded = ran.rows("SELECT duration_s, delivered_s, end_reason, source FROM sessions")
    assert set(recorded) == {(SESSION_S, SESSION_S, "completed", "live")}
    assert len(recorded) == ran.done.recorded_sessions == ran.done.sessions
    # A status a second while each session runs, and the one read on connecting.
    assert ran.done.recorded_samples == (SESSION_S + 1) * ran.done.sessions


def test_answers_are_whole_scores_from_0_to_10(ran: Ran) -> None:
    scores = ran.rows("SELECT item, phase, score, text FROM measures")
    assert {(item, phase) for item, phase, _, _ in scores} == {
        ("nrs_overall", "before"),
        ("nrs_after", "after"),
    }
    assert all(isinstance(s, int) and 0 <= s <= 10 and t is None for _, _, s, t in scores)


def test_withdrawals_and_missed_visits_are_kept_as_such(ran: Ran) -> None:
    study = find_study(ran.log, ran.done.study)
    people = {p.code: p for p in participants(ran.log, study)}
    visits: dict[str, list[tuple[Any, ...]]] = {}
    for code, number, state in ran.rows(
        "SELECT p.code, v.number, v.state FROM visits v JOIN participants p "
        "ON p.id = v.participant_id ORDER BY v.number"
    ):
        visits.setdefault(str(code), []).append((number, state))
    missed = withdrawn = 0
    for code, person in people.items():
        plan = RESTLESS.volunteer(SEED, code, 3, study.regimen.measures)
        kept = plan.withdraws_after or 3
        assert visits[code] == [
            (n, "ended" if plan.attends(n) else "missed") for n in range(1, kept + 1)
        ]
        assert (person.withdrawn is not None) == (plan.withdraws_after is not None)
        assert person.withdrawn_reason in (
            None,
            "synthetic participant: withdrew (lost to follow-up)",
        )
        missed += len(plan.misses)
        withdrawn += plan.withdraws_after is not None
    assert (ran.done.visits_missed, ran.done.withdrawn) == (missed, withdrawn)
    assert missed  # the seed shows both
    assert withdrawn


def test_visits_fall_inside_their_windows(ran: Ran) -> None:
    rows = ran.rows(
        "SELECT number, on_time, due_at_ms, started_at_ms FROM visits WHERE state = 'ended'"
    )
    assert all(on_time for _, on_time, _, _ in rows)
    assert all(abs(started - due) <= 3 * 3600_000 for n, _, due, started in rows if n > 1)


def test_a_blinded_rehearsal_records_no_sham_until_unblinded(ran: Ran) -> None:
    assert ran.rows("SELECT DISTINCT sham FROM sessions") == [(None,)]
    study = find_study(ran.log, ran.done.study)
    arms = unblind(ran.log, study, "the rehearsal's analysis")
    shams = dict(
        ran.rows(
            "SELECT p.code, s.sham FROM sessions s JOIN visits v ON v.device_id = s.device_id "
            "JOIN participants p ON p.id = v.participant_id"
        )
    )
    assert shams == {code: int(arm == "sham") for code, arm in arms.items() if code in shams}


def test_the_same_seed_gives_the_same_answers(tmp_path: Path) -> None:
    def answers(seed: int, file: str) -> list[tuple[Any, ...]]:
        kept = rehearse(tmp_path / file, participants=4, seed=seed, record=False)
        with kept.log:
            return kept.rows(
                "SELECT p.code, v.number, m.item, m.score FROM measures m JOIN visits v "
                "ON v.id = m.visit_id JOIN participants p ON p.id = v.participant_id "
                "ORDER BY 1, 2, 3"
            )

    first = answers(5, "a.db")
    assert first == answers(5, "b.db")
    assert first != answers(6, "c.db")


def test_recording_off_keeps_the_study_but_no_samples(tmp_path: Path) -> None:
    kept = rehearse(tmp_path / "log.db", participants=2, seed=1, record=False)
    with kept.log:
        assert kept.done.visits_completed == kept.done.sessions == 6
        assert (kept.done.recorded_sessions, kept.done.recorded_samples) == (0, 0)
        assert kept.rows("SELECT count(*) FROM samples") == [(0,)]
        assert kept.rows("SELECT count(*) FROM measures") == [(12,)]


def test_visits_due_together_run_together_on_their_own_devices(tmp_path: Path) -> None:
    # No window, a visit a day: P01's second visit and P02's first are due at one moment.
    daily = SHORT.replace("interval: 2d\n  window: 12h", "interval: 1d")
    kept = rehearse(tmp_path / "log.db", daily, participants=2, seed=1)
    with kept.log:
        rows = kept.rows(
            "SELECT p.code, v.number, v.started_at_ms, v.ended_at_ms, v.device_id FROM visits v "
            "JOIN participants p ON p.id = v.participant_id WHERE p.code = 'P01' AND v.number = 2 "
            "OR p.code = 'P02' AND v.number = 1"
        )
        assert len(rows) == 2
        (_, _, start1, end1, device1), (_, _, start2, end2, device2) = rows
        assert (start1, end1) == (start2, end2)
        assert end1 - start1 == SESSION_S * 1000
        assert device1 != device2
        assert kept.done.visits_completed == 6


def test_a_stratified_study_enrols_each_participant_in_a_stratum(tmp_path: Path) -> None:
    strata = SHORT.replace("    size: 20\n", "    size: 20\n    strata:\n      site: [a, b]\n")
    kept = rehearse(tmp_path / "log.db", strata, participants=4, seed=2, record=False)
    with kept.log:
        found = {s for (s,) in kept.rows("SELECT stratum FROM participants")}
        assert found <= {"site=a", "site=b"}
        assert kept.done.visits_completed == 12


def test_a_session_the_device_refuses_stops_the_rehearsal_before_it_begins(tmp_path: Path) -> None:
    with pytest.raises(RegimenError, match=r"session\.duration 2m is below .* of 10m"):
        rehearse(
            tmp_path / "log.db", SHORT.replace("duration: 10m", "duration: 2m"), participants=2
        )
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("SELECT count(*) FROM studies").fetchone() == (0,)


def test_more_participants_than_the_allocation_list_holds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"raise allocation\.size"):
        rehearse(tmp_path / "log.db", participants=21)


@pytest.mark.parametrize("name", examples())
def test_every_shipped_example_suits_its_devices(name: str) -> None:
    regimen = load_regimen(example(name))
    asyncio.run(check_settings(regimen, name))


def test_a_two_port_regimen_starts_both_sessions_together(tmp_path: Path) -> None:
    text = example("pbm-3x-week").read_text(encoding="utf-8")
    text = text.replace("count: 12", "count: 2").replace("visits: [1, 7, 12]", "visits: [1, 2]")
    kept = rehearse(tmp_path / "log.db", text, participants=1, seed=1, record=False)
    with kept.log:
        assert kept.done.sessions == 4
        rows = kept.rows("SELECT started_at_ms, ended_at_ms FROM visits")
        assert all(end - start == 1800_000 for start, end in rows)
