"""The sealed allocation list: balanced blocks of varying size, from a seed, per stratum."""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import groupby

from irlink.record.store import SessionLog
from irlink.regimen import example
from irlink.regimen.allocation import Slot, allocation_list, strata
from irlink.regimen.model import Allocation
from irlink.regimen.studies import create_study

ARMS = ["infrared", "sham"]


def blocks(slots: list[Slot]) -> list[list[str]]:
    """The arms of each block, in order."""
    return [[s.arm for s in block] for _, block in groupby(slots, key=lambda s: s.block)]


def test_every_block_holds_each_arm_equally() -> None:
    slots = allocation_list(ARMS, [1, 1], [2, 4, 6], seed=1, size=500)
    for block in blocks(slots):
        counts = Counter(block)
        assert counts["infrared"] == counts["sham"] == len(block) // 2


def test_block_sizes_are_drawn_from_the_given_set_and_vary() -> None:
    slots = allocation_list(ARMS, [1, 1], [2, 4, 6], seed=2, size=500)
    sizes = [len(block) for block in blocks(slots)]
    assert set(sizes) == {2, 4, 6}  # every size turns up in 500 slots; none other does


def test_the_list_is_whole_blocks_of_at_least_the_size_asked() -> None:
    slots = allocation_list(ARMS, [1, 1], [4], seed=3, size=10)
    assert len(slots) == 12
    assert [s.position for s in slots] == list(range(1, 13))


def test_the_same_seed_makes_the_same_list() -> None:
    first = allocation_list(ARMS, [1, 1], [2, 4, 6], seed=42, size=100)
    again = allocation_list(ARMS, [1, 1], [2, 4, 6], seed=42, size=100)
    other = allocation_list(ARMS, [1, 1], [2, 4, 6], seed=43, size=100)
    assert first == again
    assert [s.arm for s in first] != [s.arm for s in other]


def test_each_stratum_has_its_own_list() -> None:
    lists = [
        [s.arm for s in allocation_list(ARMS, [1, 1], [2, 4, 6], seed=7, size=60, stratum=name)]
        for name in strata(Allocation(strata={"site": ["a", "b"], "sex": ["f", "m"]}))
    ]
    assert len(lists) == 4
    assert len({tuple(arms) for arms in lists}) == 4


def test_strata_are_every_combination_of_the_factors_levels() -> None:
    assert strata(Allocation(strata={"site": ["a", "b"], "age": ["young", "old"]})) == [
        "age=young,site=a",
        "age=young,site=b",
        "age=old,site=a",
        "age=old,site=b",
    ]
    assert strata(Allocation()) == [""]


def test_a_two_to_one_ratio_is_honoured_in_every_block() -> None:
    slots = allocation_list(ARMS, [2, 1], [3, 6], seed=5, size=300)
    for block in blocks(slots):
        counts = Counter(block)
        assert counts["infrared"] == 2 * counts["sham"]
    total = Counter(s.arm for s in slots)
    assert total["infrared"] == 2 * total["sham"]


def test_a_regimen_without_a_seed_makes_a_different_list_for_each_study(
    log: SessionLog,
) -> None:
    text = example("gale-2006").read_text(encoding="utf-8")  # no seed in it
    first = create_study(log, text, name="first")
    second = create_study(log, text, name="second")
    log.flush()
    with sqlite3.connect(log.path) as db:
        lists = [
            [row[0] for row in db.execute(
                "SELECT arm FROM allocation WHERE study_id = ? ORDER BY position", (study.id,)
            )]
            for study in (first, second)
        ]  # fmt: skip
    assert len(lists[0]) >= 100
    assert lists[0] != lists[1]
