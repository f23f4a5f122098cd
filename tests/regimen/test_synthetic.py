"""The synthetic participants' outcome model."""

from __future__ import annotations

import statistics

from irlink.regimen.model import Measure
from irlink.regimen.synthetic import SYNTHETIC_REMARK, OutcomeModel

ITEMS = [
    Measure(id="nrs_overall", label="Pain overall"),
    Measure(id="nrs_bending", label="Pain while bending"),
    Measure(id="remarks", kind="text", label="Anything to add", when="after"),
]
CODES = [f"P{n:03d}" for n in range(1, 401)]


def test_pain_falls_by_the_arms_mean_change_by_the_last_visit() -> None:
    model = OutcomeModel()
    people = [model.volunteer(1, code, 7, ITEMS) for code in CODES]
    output = statistics.mean(p.level(7, sham=False) - p.level(1, sham=False) for p in people)
    sham = statistics.mean(p.level(7, sham=True) - p.level(1, sham=True) for p in people)
    assert abs(output - model.change_output) < 0.15
    assert abs(sham - model.change_sham) < 0.15
    assert abs(statistics.mean(p.level(1, sham=False) for p in people) - 7.1) < 0.2


def test_answers_are_whole_scores_clipped_to_0_to_10() -> None:
    for mean, clipped in ((14.0, 10), (-4.0, 0)):
        person = OutcomeModel(baseline_mean=mean, change_output=0).volunteer(1, "P01", 3, ITEMS)
        for visit in (1, 2, 3):
            answers = person.answers(visit, False, ITEMS)
            assert answers == {"nrs_overall": clipped, "nrs_bending": clipped}


def test_a_required_text_item_gets_a_synthetic_remark() -> None:
    required = Measure(id="remarks", kind="text", label="Anything?", required=True)
    person = OutcomeModel().volunteer(1, "P01", 3, [required])
    assert person.answers(2, False, [required]) == {"remarks": SYNTHETIC_REMARK}


def test_the_same_seed_code_and_visit_give_the_same_answers() -> None:
    model = OutcomeModel()
    first = model.volunteer(9, "P07", 7, ITEMS)
    again = model.volunteer(9, "P07", 7, ITEMS)
    assert [first.answers(v, True, ITEMS) for v in range(1, 8)] == [
        again.answers(v, True, ITEMS) for v in range(1, 8)
    ]
    other = model.volunteer(10, "P07", 7, ITEMS)
    assert [first.answers(v, True, ITEMS) for v in range(1, 8)] != [
        other.answers(v, True, ITEMS) for v in range(1, 8)
    ]


def test_nobody_misses_the_baseline_and_a_withdrawal_ends_the_visits() -> None:
    model = OutcomeModel(missed=0.5, dropout=0.5)
    people = [model.volunteer(3, code, 7, ITEMS) for code in CODES]
    assert all(p.attends(1) for p in people)
    leaving = [p for p in people if p.withdraws_after is not None]
    assert 150 < len(leaving) < 250
    for person in leaving:
        assert person.withdraws_after is not None
        assert 1 <= person.withdraws_after < 7
        assert not any(person.attends(v) for v in range(person.withdraws_after + 1, 8))
        assert max(person.misses, default=1) <= person.withdraws_after


def test_a_single_visit_course_has_no_dropout_and_no_change() -> None:
    person = OutcomeModel(dropout=1.0, missed=1.0).volunteer(1, "P01", 1, ITEMS)
    assert person.withdraws_after is None
    assert person.attends(1)
    assert person.level(1, sham=False) == person.baseline
