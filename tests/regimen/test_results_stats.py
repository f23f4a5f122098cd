"""The results table against figures worked out by hand for the pilot's small data set.

p-values use the t distribution's closed forms for 2, 3 and 4 degrees of freedom, so
no figure here comes from the code under test.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from irlink.record.store import SessionLog
from irlink.regimen.results import StatsUnavailable, StudyData, read_study
from irlink.regimen.results.stats import ItemResult, results_table
from tests.regimen.studies import PILOT, StudyLog, VisitRow


def p_two_sided(t: float, df: int) -> float:
    """Student's t, two-sided, from its closed forms (2, 3 or 4 degrees of freedom)."""
    t = abs(t)
    if df == 2:
        return 1 - t / math.sqrt(t * t + 2)
    if df == 3:
        x = t / math.sqrt(3)
        return 1 - 2 / math.pi * (x / (1 + x * x) + math.atan(x))
    u = t / math.sqrt(t * t + 4)
    return 1 - u * (3 - u * u) / 2


def pilot_of(path: Path) -> StudyData:
    with SessionLog.open(path, readonly=True) as log:
        return read_study(log, "pilot")


@pytest.fixture
def pain(pilot: Path) -> ItemResult:
    return next(r for r in results_table(pilot_of(pilot)) if r.item == "pain")


def test_each_arm_has_n_and_mean_sd_at_baseline_last_visit_and_change(pain: ItemResult) -> None:
    active, inert = pain.groups
    assert (pain.baseline_visit, pain.final_visit) == (1, 3)
    # active: 7 -> 3, 8 -> 5, 6 -> 4; inert: 7 -> 6, 6 -> 6, 8 -> 6 (P7 missed visit 3)
    assert (active.group, active.allocated, active.n, active.missing) == ("active", 3, 3, 0)
    assert (inert.group, inert.allocated, inert.n, inert.missing) == ("inert", 4, 3, 1)
    figures = [
        (g.baseline_mean, g.baseline_sd, g.final_mean, g.final_sd, g.change_mean, g.change_sd)
        for g in (active, inert)
    ]
    assert figures == [
        pytest.approx((7.0, 1.0, 4.0, 1.0, -3.0, 1.0)),
        pytest.approx((7.0, 1.0, 6.0, 0.0, -1.0, 1.0)),
    ]


def test_within_arm_paired_t_tests(pain: ItemResult) -> None:
    active, inert = pain.groups
    # t = mean change / (SD / sqrt(n)): -3 / (1 / sqrt 3) and -1 / (1 / sqrt 3), 2 df
    assert active.within_t == pytest.approx(-3 * math.sqrt(3))
    assert active.within_p == pytest.approx(p_two_sided(3 * math.sqrt(3), 2))
    assert active.within_p == pytest.approx(0.0350987, abs=1e-6)
    assert inert.within_t == pytest.approx(-math.sqrt(3))
    assert inert.within_p == pytest.approx(p_two_sided(math.sqrt(3), 2))


def test_between_arms_welch_test_on_the_change(pain: ItemResult) -> None:
    [versus] = pain.comparisons
    assert (versus.group, versus.reference) == ("active", "inert")  # against the sham
    # -3 - (-1) over sqrt(1/3 + 1/3); Welch's df: (2/3)^2 / ((1/3)^2/2 * 2) = 4
    t = -2 / math.sqrt(2 / 3)
    assert versus.change_difference == pytest.approx(-2.0)
    assert versus.welch_t == pytest.approx(t)
    assert versus.welch_p == pytest.approx(p_two_sided(t, 4))


def test_between_arms_ancova_of_the_final_score_adjusted_for_baseline(pain: ItemResult) -> None:
    [versus] = pain.comparisons
    # Pooled within-arm slope 1/4; both arms' baseline means are 7, so the adjusted
    # difference is the difference of the final means, -2. Residuals' sum of squares
    # 1.75 over 6 - 3 df; SE = sqrt(1.75 / 3 * (1/3 + 1/3)).
    se = math.sqrt(1.75 / 3 * (2 / 3))
    t_975_3df = 3.182446305284263  # the 97.5th percentile of t with 3 df
    assert versus.adjusted_difference == pytest.approx(-2.0)
    assert versus.ci_low == pytest.approx(-2 - t_975_3df * se)
    assert versus.ci_high == pytest.approx(-2 + t_975_3df * se)
    assert versus.ancova_p == pytest.approx(p_two_sided(2 / se, 3))


def test_an_item_asked_after_the_session_uses_its_after_scores(pilot: Path) -> None:
    after = next(r for r in results_table(pilot_of(pilot)) if r.item == "pain_after")
    active, inert = after.groups
    assert after.phase == "after"
    assert (after.baseline_visit, after.final_visit) == (1, 3)
    # active: 6 -> 2, 7 -> 4, 6 -> 3; inert: 7 -> 6, 6 -> 5, 8 -> 6
    assert (active.baseline_mean, active.final_mean) == pytest.approx((19 / 3, 3.0))
    assert (inert.baseline_mean, inert.final_mean, inert.missing) == pytest.approx((7.0, 17 / 3, 1))


def test_missing_scores_are_counted_never_filled_in(tmp_path: Path) -> None:
    log = StudyLog(tmp_path / "gaps.db", PILOT, name="pilot", blinded=False)
    log.enrol("P1", "active", VisitRow(scores={"pain": 7}), None, VisitRow(scores={"pain": 3}))
    log.enrol("P2", "active", VisitRow(scores={"pain": 8}), None, VisitRow(scores={}))
    log.enrol("P3", "active", VisitRow(scores={"pain": 6}), None, VisitRow(scores={"pain": 4}))
    log.enrol("P4", "inert", VisitRow(scores={"pain": 6}))
    log.enrol("P5", "inert", VisitRow(scores={"pain": 7}), None, VisitRow(scores={"pain": 7}))
    log.enrol("P6", "inert", VisitRow(scores={"pain": 8}), None, VisitRow(scores={"pain": 6}))
    pain = results_table(pilot_of(tmp_path / "gaps.db"))[0]
    active, inert = pain.groups
    assert (active.n, active.missing, active.baseline_mean) == (2, 1, 6.5)  # P2 left out
    assert (inert.n, inert.missing, inert.final_mean) == (2, 1, 6.5)  # P4 left out


def test_fewer_than_two_per_arm_gives_means_and_says_the_tests_need_two(tmp_path: Path) -> None:
    log = StudyLog(tmp_path / "two.db", PILOT, name="pilot", blinded=False)
    log.enrol("P1", "active", VisitRow(scores={"pain": 7}), None, VisitRow(scores={"pain": 3}))
    log.enrol("P2", "inert", VisitRow(scores={"pain": 6}), None, VisitRow(scores={"pain": 5}))
    log.enrol("P3", "inert", VisitRow(scores={"pain": 8}))
    pain = results_table(pilot_of(tmp_path / "two.db"))[0]
    active, inert = pain.groups
    assert (active.n, active.baseline_mean, active.final_mean, active.change_mean) == (
        1,
        7.0,
        3.0,
        -4.0,
    )
    assert (active.baseline_sd, active.within_t, active.within_p) == (None, None, None)
    [versus] = pain.comparisons
    assert versus.change_difference == pytest.approx(-3.0)
    assert (versus.welch_p, versus.adjusted_difference, versus.ci_low, versus.ancova_p) == (
        None,
        None,
        None,
        None,
    )
    assert any("need at least 2 participants" in n and "active has 1" in n for n in pain.notes)
    assert inert.missing == 1


def test_the_same_change_for_everyone_gives_no_test_rather_than_a_nan(tmp_path: Path) -> None:
    log = StudyLog(tmp_path / "flat.db", PILOT, name="pilot", blinded=False)
    for code, arm in (("P1", "active"), ("P2", "active"), ("P3", "inert"), ("P4", "inert")):
        log.enrol(code, arm, VisitRow(scores={"pain": 5}), None, VisitRow(scores={"pain": 5}))
    pain = results_table(pilot_of(tmp_path / "flat.db"))[0]
    numbers = [g.within_p for g in pain.groups] + [pain.comparisons[0].welch_p]
    assert numbers == [None, None, None]
    assert pain.comparisons[0].ancova_p is None
    assert any("is the same" in note for note in pain.notes)


def test_without_scipy_the_table_says_which_extra_to_install(
    pilot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = pilot_of(pilot)
    monkeypatch.setitem(sys.modules, "scipy", None)  # import scipy: ImportError
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(StatsUnavailable, match=r"pip install 'irlink\[study\]'"):
        results_table(study)
