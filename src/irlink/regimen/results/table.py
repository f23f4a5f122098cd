"""The results table in HTML, as the 2006 trial reports it: per arm and item, n and mean (SD)
at baseline and at the last visit, the change, the within-arm p; then the between-arm
tests. A figure that cannot be computed is a dash, with the note that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from irlink.regimen.results.records import StudyData
from irlink.regimen.results.stats import ItemComparison, ItemGroup, ItemResult

__all__ = ["number", "p_value", "results_html", "shown_share"]

DASH = "—"
P_FLOOR = 0.001


def number(value: float | None, digits: int = 1) -> str:
    """A figure to ``digits`` decimals; a dash when there is none."""
    return DASH if value is None else f"{value:.{digits}f}"


def p_value(value: float | None) -> str:
    """A p-value as papers print it: three decimals, or < 0.001; a dash when none."""
    if value is None:
        return DASH
    return f"< {P_FLOOR}" if value < P_FLOOR else f"{value:.3f}"


def shown_share(part: int, whole: int) -> str:
    """``part`` as a share of ``whole``, in brackets; nothing when ``whole`` is 0."""
    return f"({100 * part / whole:.0f}%)" if whole else ""


def _mean_sd(mean: float | None, sd: float | None) -> str:
    return DASH if mean is None else f"{mean:.1f} ({number(sd)})"


def _group_row(row: ItemGroup) -> str:
    cells = (
        str(row.n),
        str(row.missing),
        _mean_sd(row.baseline_mean, row.baseline_sd),
        _mean_sd(row.final_mean, row.final_sd),
        _mean_sd(row.change_mean, row.change_sd),
        p_value(row.within_p),
    )
    tds = "".join(f'<td class="num">{c}</td>' for c in cells)
    return f"<tr><th>{escape(row.group)}</th>{tds}</tr>"


def _comparison_row(row: ItemComparison) -> str:
    interval = (
        DASH
        if row.ci_low is None or row.ci_high is None
        else f"{row.ci_low:.2f} to {row.ci_high:.2f}"
    )
    text = (
        f"difference in change {number(row.change_difference, 2)}, Welch p {p_value(row.welch_p)}; "
        f"ANCOVA (final score adjusted for baseline): difference "
        f"{number(row.adjusted_difference, 2)}, 95 % CI {interval}, p {p_value(row.ancova_p)}"
    )
    return (
        f"<tr><th>{escape(row.group)} vs {escape(row.reference)}</th>"
        f'<td colspan="6">{escape(text)}</td></tr>'
    )


def _item(result: ItemResult) -> str:
    head = (
        '<tr><th>Group</th><th class="num">n</th><th class="num">Missing</th>'
        f'<th class="num">Baseline (visit {result.baseline_visit})<br>mean (SD)</th>'
        f'<th class="num">Visit {result.final_visit}<br>mean (SD)</th>'
        '<th class="num">Change<br>mean (SD)</th><th class="num">Within-arm p<br>(paired t)</th>'
        "</tr>"
    )
    rows = "".join(_group_row(g) for g in result.groups)
    rows += "".join(_comparison_row(c) for c in result.comparisons)
    notes = "".join(f'<p class="note">{escape(n)}.</p>' for n in result.notes)
    return (
        f"<h3>{escape(result.item)}: {escape(result.label)}</h3>"
        f'<p class="meta">Scores taken {escape(result.phase)} the session.</p>'
        f'<table class="study"><thead>{head}</thead><tbody>{rows}</tbody></table>{notes}'
    )


def results_html(study: StudyData, table: Sequence[ItemResult]) -> str:
    """The results section: every NRS item's table, and how to read them."""
    if not table:
        return '<h2>Results</h2><p class="note">The regimen has no NRS items to analyse.</p>'
    return (
        "<h2>Results</h2>"
        '<p class="note">Complete cases only (participants with both the baseline and the '
        "final score of the item); Missing counts the others allocated to the group, and "
        "no score is filled in. Change: final less baseline. Between groups, each against "
        f"{escape(study.reference)}: Welch's t-test on the change, and an ANCOVA of the final "
        "score adjusted for baseline. A dash: not computable (see the note below the "
        "table).</p>" + "".join(_item(result) for result in table)
    )
