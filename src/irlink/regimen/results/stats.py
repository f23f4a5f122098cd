"""The results table: per arm and NRS item, baseline and final scores, their change, and tests.

Baseline is an item's score at the first visit it is asked at (visit 1, before the
session, for the 2006 trial's items); final, its score at the last visit it is asked at;
both in the item's own phase (after the session for an item asked after it). Only
complete cases count (both scores given): the others are counted missing, per arm and
item, and nothing is ever filled in. Within each arm, a paired t-test of final against
baseline (``scipy.stats.ttest_rel``). Between arms, each arm against the study's
reference group (the sham arm once unblinded; A while blinded): a Welch t-test of the
changes (``ttest_ind``, ``equal_var=False``) and an ANCOVA of the final score adjusted
for baseline (statsmodels OLS, final ~ arm + baseline) for the adjusted difference, its
95 % confidence interval and p. A test needs at least 2 complete cases in every arm it
compares; without them its figures are None and a note says why (never a NaN).

scipy and statsmodels (the ``study`` extra) are imported only when a table is made.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from irlink.record.store import RecordError
from irlink.regimen.results.records import Item, OfStudy, StudyData

__all__ = [
    "INSTALL",
    "MIN_PER_ARM",
    "ItemComparison",
    "ItemGroup",
    "ItemResult",
    "StatsUnavailable",
    "complete_cases",
    "require_stats",
    "results_table",
]

INSTALL = "pip install 'irlink[study]'"
MIN_PER_ARM = 2  # complete cases per arm a test needs


class StatsUnavailable(RecordError):
    """The results table's tests cannot be run here: scipy or statsmodels is not installed."""


def require_stats() -> None:
    """Raise :class:`StatsUnavailable`, naming the extra, if scipy or statsmodels is missing."""
    try:
        import scipy.stats  # noqa: F401, PLC0415  (only when a table is made)
        import statsmodels.regression.linear_model  # noqa: F401, PLC0415
    except ImportError as exc:
        raise StatsUnavailable(
            f"the results table's tests need scipy and statsmodels, which are not installed: "
            f"{INSTALL}"
        ) from exc


@dataclass(frozen=True, slots=True)
class ItemGroup:
    """One arm's figures for one item: complete cases only, the rest counted missing."""

    group: str
    allocated: int
    n: int  # complete cases: both baseline and final scores given
    missing: int  # allocated, less the complete cases
    baseline_mean: float | None
    baseline_sd: float | None
    final_mean: float | None
    final_sd: float | None
    change_mean: float | None  # final less baseline
    change_sd: float | None
    within_t: float | None  # paired t-test, final against baseline
    within_p: float | None


@dataclass(frozen=True, slots=True)
class ItemComparison:
    """One arm against the reference group for one item: Welch's test on the change, ANCOVA."""

    group: str
    reference: str
    change_difference: float | None  # the arm's mean change less the reference's
    welch_t: float | None
    welch_p: float | None
    adjusted_difference: float | None  # final score, adjusted for baseline (ANCOVA)
    ci_low: float | None  # its 95 % confidence interval
    ci_high: float | None
    ancova_p: float | None


@dataclass(frozen=True, slots=True)
class ItemResult(OfStudy):
    """``irlink study report``: one NRS item's row of the results table, every arm."""

    item: str
    label: str
    phase: str  # the scores are taken before or after the session
    baseline_visit: int
    final_visit: int
    groups: tuple[ItemGroup, ...]
    comparisons: tuple[ItemComparison, ...]
    notes: tuple[str, ...]  # why a test has no figures


Pairs = dict[str, list[tuple[int, int]]]


def complete_cases(study: StudyData, item: Item) -> Pairs:
    """Per group, the (baseline, final) scores of its participants who gave both."""
    first, last = item.visits[0], item.visits[-1]
    found: Pairs = {group: [] for group in study.groups}
    for participant in study.participants:
        visits = participant.visit(first), participant.visit(last)
        if visits[0] is None or visits[1] is None:
            continue
        baseline = visits[0].score(item.id, item.phase)
        final = visits[1].score(item.id, item.phase)
        if baseline is not None and final is not None:
            found[participant.group].append((baseline, final))
    return found


def results_table(study: StudyData) -> list[ItemResult]:
    """The results table: one row per NRS item (needs scipy and statsmodels)."""
    require_stats()
    return [_item(study, item) for item in study.nrs_items if item.visits]


def _item(study: StudyData, item: Item) -> ItemResult:
    cases = complete_cases(study, item)
    notes: list[str] = []
    if len(item.visits) < MIN_PER_ARM:
        notes.append(f"asked at visit {item.visits[0]} only: there is no change to test")
    small = [g for g in study.groups if len(cases[g]) < MIN_PER_ARM]
    if small:
        counts = ", ".join(f"{g} has {len(cases[g])}" for g in small)
        notes.append(
            f"the tests need at least {MIN_PER_ARM} participants with both scores per arm "
            f"({counts})"
        )
    groups = tuple(_group(study, g, cases[g], notes) for g in study.groups)
    adjusted = _ancova(study, cases, notes)
    comparisons = tuple(
        _compare(g, study.reference, cases, notes, adjusted.get(g))
        for g in study.groups
        if g != study.reference
    )
    return ItemResult(
        study.name,
        study.synthetic,
        study.blinded,
        item.id,
        item.label,
        item.phase,
        item.visits[0],
        item.visits[-1],
        groups,
        comparisons,
        tuple(notes),
    )


def _mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) >= MIN_PER_ARM else None)


def _varies(values: Sequence[float]) -> bool:
    return len(set(values)) > 1


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _group(
    study: StudyData, group: str, pairs: list[tuple[int, int]], notes: list[str]
) -> ItemGroup:
    from scipy.stats import ttest_rel  # noqa: PLC0415

    baseline = [float(b) for b, _ in pairs]
    final = [float(f) for _, f in pairs]
    changes = [f - b for b, f in zip(baseline, final, strict=True)]
    t = p = None
    if len(pairs) >= MIN_PER_ARM and _varies(changes):
        test = ttest_rel(final, baseline)
        t, p = _finite(test.statistic), _finite(test.pvalue)
    elif len(pairs) >= MIN_PER_ARM:
        notes.append(f"every change in {group} is the same: no within-arm test")
    allocated = len(study.in_group(group))
    return ItemGroup(
        group,
        allocated,
        len(pairs),
        allocated - len(pairs),
        *_mean_sd(baseline),
        *_mean_sd(final),
        *_mean_sd(changes),
        t,
        p,
    )


@dataclass(frozen=True, slots=True)
class _Adjusted:
    """One arm's ANCOVA coefficient: the difference adjusted for baseline, its 95 % CI, p."""

    difference: float
    interval: tuple[float, float]
    p: float | None


def _compare(
    group: str, reference: str, cases: Pairs, notes: list[str], adjusted: _Adjusted | None
) -> ItemComparison:
    from scipy.stats import ttest_ind  # noqa: PLC0415

    mine = [float(f - b) for b, f in cases[group]]
    theirs = [float(f - b) for b, f in cases[reference]]
    difference = statistics.fmean(mine) - statistics.fmean(theirs) if mine and theirs else None
    t = p = None
    if min(len(mine), len(theirs)) >= MIN_PER_ARM:
        if _varies(mine) or _varies(theirs):
            test = ttest_ind(mine, theirs, equal_var=False)
            t, p = _finite(test.statistic), _finite(test.pvalue)
        else:
            notes.append(f"every change in {group} and in {reference} is the same: no Welch test")
    if adjusted is None:
        return ItemComparison(group, reference, difference, t, p, None, None, None, None)
    low, high = adjusted.interval
    return ItemComparison(
        group, reference, difference, t, p, adjusted.difference, low, high, adjusted.p
    )


def _ancova(study: StudyData, cases: Pairs, notes: list[str]) -> dict[str, _Adjusted]:
    """final ~ arm + baseline by least squares, over the arms with enough complete cases."""
    import numpy as np  # noqa: PLC0415
    from statsmodels.regression.linear_model import OLS  # noqa: PLC0415

    others = [g for g in study.groups if g != study.reference and len(cases[g]) >= MIN_PER_ARM]
    if len(cases[study.reference]) < MIN_PER_ARM or not others:
        return {}
    rows: list[list[float]] = []
    finals: list[float] = []
    for group in [study.reference, *others]:
        for baseline, final in cases[group]:
            rows.append([1.0, float(baseline)] + [float(group == o) for o in others])
            finals.append(float(final))
    design, y = np.array(rows), np.array(finals)
    if np.linalg.matrix_rank(design) < design.shape[1] or len(y) <= design.shape[1]:
        notes.append("ANCOVA cannot be estimated: too few participants, or every baseline equal")
        return {}
    fit = OLS(y, design).fit()
    if not fit.ssr > 1e-12 * max(1.0, float(np.sum(y**2))):
        notes.append("ANCOVA: the final scores fit exactly, so there is no error to test against")
        return {}
    interval = fit.conf_int(0.05)
    return {
        group: _Adjusted(
            float(fit.params[2 + i]),
            (float(interval[2 + i][0]), float(interval[2 + i][1])),
            _finite(fit.pvalues[2 + i]),
        )
        for i, group in enumerate(others)
    }
