"""Each participant's NRS scores over the visits, one plot per item, drawn as inline SVG.

A line per participant, coloured by group (the arm's letter while blinded), and each
group's mean at each visit over those who answered, drawn thicker. A missing score is a
gap in its line, never a value. matplotlib (the ``report`` extra) is loaded by
:func:`irlink.record.report.plots.require` before any of this runs.
"""

from __future__ import annotations

import math

from irlink.record.report.plots import svg_of
from irlink.regimen.results.records import Item, StudyData

__all__ = ["COLOURS", "colour", "nrs_svg"]

# Light enough for a black-and-white printer to tell apart, as the session report's.
COLOURS = ("#1f4e79", "#c0504d", "#38761d", "#674ea7", "#e69138", "#7f7f7f")
NRS_MAX = 10


def colour(study: StudyData, group: str) -> str:
    """The colour of ``group`` in every plot of the page."""
    return COLOURS[study.groups.index(group) % len(COLOURS)]


def nrs_svg(study: StudyData, item: Item, width_in: float = 7.0) -> str:
    """The plot of ``item``: every participant's score at each visit it is asked at."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(width_in, 3.2), layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.subplots()
    visits = list(item.visits)
    for group in study.groups:
        people = study.in_group(group)
        columns: list[list[int]] = [[] for _ in visits]
        for person in people:
            scores = []
            for i, number in enumerate(visits):
                visit = person.visit(number)
                score = None if visit is None else visit.score(item.id, item.phase)
                scores.append(math.nan if score is None else float(score))
                if score is not None:
                    columns[i].append(score)
            axes.plot(visits, scores, color=colour(study, group), lw=0.8, alpha=0.55,
                      marker="o", ms=2.5)  # fmt: skip
        means = [sum(c) / len(c) if c else math.nan for c in columns]
        axes.plot(visits, means, color=colour(study, group), lw=2.4,
                  label=f"{group}: mean of {len(people)} participant(s)")  # fmt: skip
    axes.set_ylim(-0.3, NRS_MAX + 0.3)
    axes.set_yticks(range(0, NRS_MAX + 1, 2))
    axes.set_xticks(visits)
    axes.set_xlabel("visit")
    axes.set_ylabel(f"{item.id}\n(0-{NRS_MAX}, {item.phase} the session)")
    axes.grid(True, color="#dddddd", lw=0.5)
    if study.synthetic:
        axes.set_title("SYNTHETIC: a rehearsal, not evidence", color="#8a1f11", weight="bold")
    if study.groups:
        figure.legend(loc="outside lower center", ncols=4, frameon=False)
    return svg_of(figure)
