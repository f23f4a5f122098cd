"""The CONSORT-style flow and adherence, counted from the gale study's five participants."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from irlink.record.store import SessionLog
from irlink.regimen.results import StudyData, read_study
from irlink.regimen.results.flow import Deviation, Dose, Withdrawal, adherence, flow
from tests.regimen.studies import DAY0, LATER


def gale(path: Path) -> StudyData:
    with SessionLog.open(path, readonly=True) as log:
        return read_study(log, "gale")


def test_the_flow_counts_each_participant_where_they_went(gale_blinded: Path) -> None:
    counted = flow(gale(gale_blinded), LATER)
    assert counted.enrolled == 5
    assert counted.allocated == {"A": 3, "B": 2}
    assert counted.received_all == {"A": 1, "B": 1}  # G3's fifth session was cut short
    assert counted.finished == {"A": 2, "B": 1}
    assert counted.withdrawn == {"A": 0, "B": 1}
    assert counted.lost == {"A": 1, "B": 0}  # G4 missed the last visit
    assert counted.in_follow_up == {"A": 0, "B": 0}
    assert counted.analysed["nrs_overall"] == {"A": 2, "B": 1}
    assert counted.withdrawals == (
        Withdrawal("G2", "B", DAY0 + timedelta(days=10), 2, "moved away"),
    )


def test_before_the_last_window_closes_nobody_is_lost_yet(gale_blinded: Path) -> None:
    week_six = DAY0 + timedelta(weeks=6) - timedelta(days=2)
    counted = flow(gale(gale_blinded), week_six)
    assert counted.lost == {"A": 0, "B": 0}
    assert counted.in_follow_up == {"A": 1, "B": 0}


def test_adherence_counts_visits_on_time_and_the_dose_delivered(gale_blinded: Path) -> None:
    kept = adherence(gale(gale_blinded), LATER)
    # A: G3 7 visits (one late, one cut to 10 of 30 min), G4 6 of 7, G5 7
    assert kept.groups["A"] == Dose(
        3, 21, 20, 19, 20 * 1800, 19 * 1800 + 600, 0, (19 * 1800 + 600) / (20 * 1800)
    )
    # B: G1 7 visits; G2 2 visits, then withdrew: nothing scheduled after
    assert kept.groups["B"] == Dose(2, 9, 9, 9, 9 * 1800, 9 * 1800, 0, 1.0)
    assert kept.overall.scheduled == 30
    assert kept.overall.done == 29
    assert kept.deviations == (
        Deviation("G3", "A", 4, DAY0 + timedelta(weeks=3), "away on holiday"),
    )
    g2 = next(p for p in kept.participants if p.participant == "G2")
    assert (g2.withdrawn, g2.dose.scheduled, g2.dose.done) == (True, 2, 2)
