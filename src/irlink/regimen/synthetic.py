"""Synthetic participants for a rehearsal: made-up pain scores, never evidence.

The model, shaped after the 2006 waistband trial (Gale, Rothbart & Li: NRS 6.9 -> 3.0
with infrared, 7.4 -> 6.0 with sham over seven weekly visits):

- Each participant has a baseline pain level drawn from a normal distribution (mean
  7.1, SD 1.2) and, for each NRS item, a fixed offset of their own (SD 0.5).
- By the last visit their level has changed by the arm's mean change (-3.9 on an arm
  with output, -1.4 on a sham arm: the placebo response), scaled by a response of
  their own (mean 1, SD 0.35, never below 0), linearly over the visits: at visit k of
  n, by ``(k - 1) / (n - 1)`` of it. A course without a study counts as output.
- Each answer is that level plus the item's offset plus noise (SD 0.8), rounded to a
  whole number and clipped to 0-10. Free-text items are left blank unless required.
- Each visit after the first is missed with probability 0.03; a participant withdraws
  with probability 0.05, after a visit drawn evenly from the first to the last but one.

Everything is drawn from random generators seeded with the rehearsal's seed, the
participant's code and the visit, so the same seed gives the same answers whatever
order the visits run in. The model reads a participant's arm from the sealed
allocation (:func:`irlink.regimen.studies.sealed_arm`) because it plays the
participant, whose body knows whether the belt shines: the runner, the operator and
the record never see it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from irlink.regimen.model import Measure

__all__ = ["SYNTHETIC_REMARK", "OutcomeModel", "Volunteer"]

SYNTHETIC_REMARK = "synthetic participant: nothing to add"


@dataclass(frozen=True)
class OutcomeModel:
    """How synthetic participants score their pain, and how often they miss or drop out."""

    baseline_mean: float = 7.1
    baseline_sd: float = 1.2
    item_sd: float = 0.5  # a participant's own offset per item
    noise_sd: float = 0.8  # each answer's
    change_output: float = -3.9  # mean change by the last visit on an arm with output
    change_sham: float = -1.4  # and on a sham arm (the placebo response)
    response_sd: float = 0.35  # participant to participant, as a fraction of the change
    missed: float = 0.03  # a visit after the first
    dropout: float = 0.05  # a participant, over the whole course

    def volunteer(self, seed: int, code: str, visits: int, measures: list[Measure]) -> Volunteer:
        """Participant ``code`` of a rehearsal seeded ``seed``, for a course of ``visits``."""
        draw = random.Random(f"{seed}/{code}")
        baseline = draw.gauss(self.baseline_mean, self.baseline_sd)
        response = max(0.0, draw.gauss(1.0, self.response_sd))
        offsets = {m.id: draw.gauss(0.0, self.item_sd) for m in measures if m.kind == "nrs"}
        leaves = (
            draw.randint(1, visits - 1) if visits > 1 and draw.random() < self.dropout else None
        )
        last = visits if leaves is None else leaves
        misses = frozenset(k for k in range(2, last + 1) if draw.random() < self.missed)
        return Volunteer(self, seed, code, visits, baseline, response, offsets, leaves, misses)


@dataclass(frozen=True)
class Volunteer:
    """One synthetic participant: their baseline, response, and which visits they skip."""

    model: OutcomeModel
    seed: int
    code: str
    visits: int
    baseline: float
    response: float
    offsets: dict[str, float]
    withdraws_after: int | None  # they leave after this visit; None: they stay
    misses: frozenset[int]  # visits they do not come to

    def attends(self, visit: int) -> bool:
        """Whether they come to visit ``visit`` (they have not left, and do not miss it)."""
        stays = self.withdraws_after is None or visit <= self.withdraws_after
        return stays and visit not in self.misses

    def level(self, visit: int, sham: bool) -> float:
        """Their mean pain at visit ``visit`` on an arm with output (or sham)."""
        progress = (visit - 1) / (self.visits - 1) if self.visits > 1 else 0.0
        change = self.model.change_sham if sham else self.model.change_output
        return self.baseline + change * self.response * progress

    def answers(self, visit: int, sham: bool, measures: list[Measure]) -> dict[str, int | str]:
        """Their answers to ``measures`` at visit ``visit``: NRS scores 0-10, text if needed."""
        draw = random.Random(f"{self.seed}/{self.code}/{visit}")
        level = self.level(visit, sham)
        found: dict[str, int | str] = {}
        for measure in measures:
            if measure.kind == "nrs":
                score = level + self.offsets.get(measure.id, 0.0)
                score += draw.gauss(0.0, self.model.noise_sd)
                found[measure.id] = min(10, max(0, round(score)))
            elif measure.needed:
                found[measure.id] = SYNTHETIC_REMARK
        return found
