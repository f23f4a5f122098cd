"""The concealed allocation list: permuted blocks of varying size, per stratum, from a seed.

>>> slots = allocation_list(["active", "sham"], [1, 1], [2, 4], seed=7, size=8)
>>> len(slots) >= 8 and all(s.position == i + 1 for i, s in enumerate(slots))
True
>>> again = allocation_list(["active", "sham"], [1, 1], [2, 4], seed=7, size=8)
>>> [s.arm for s in slots] == [s.arm for s in again]
True

Each block holds every arm in the ratio's proportions (a block of 4 at 1:1 holds two
of each) in a random order, and its size is drawn from ``blocks``, so the end of a
block cannot be counted to. The list is made whole before anyone is enrolled and
revealed one slot at a time; the same seed and stratum always make the same list.
"""

from __future__ import annotations

import itertools
import random
import secrets
from dataclasses import dataclass

from irlink.regimen.model import Allocation

__all__ = ["Slot", "allocation_list", "new_seed", "strata"]


@dataclass(frozen=True)
class Slot:
    """One place in a stratum's list: the arm of the participant who takes it."""

    position: int  # 1, 2, ... in enrolment order
    block: int  # the block it was drawn in, 1, 2, ...
    arm: str


def new_seed() -> int:
    """A secret seed, for a regimen that names none: nobody can predict the list."""
    return secrets.randbits(63)


def allocation_list(
    arms: list[str], ratio: list[int], blocks: list[int], *, seed: int, size: int, stratum: str = ""
) -> list[Slot]:
    """At least ``size`` slots, in whole blocks, for one stratum."""
    rng = random.Random(f"irlink allocation {seed} {stratum}")
    unit = [arm for arm, share in zip(arms, ratio, strict=True) for _ in range(share)]
    slots: list[Slot] = []
    block = 0
    while len(slots) < size:
        block += 1
        length = rng.choice(blocks)
        drawn = unit * (length // len(unit))
        rng.shuffle(drawn)
        base = len(slots)
        slots.extend(Slot(base + i + 1, block, arm) for i, arm in enumerate(drawn))
    return slots


def strata(allocation: Allocation) -> list[str]:
    """Every stratum's name, ``factor=level,factor=level``; one unnamed stratum if none."""
    if not allocation.strata:
        return [""]
    factors = sorted(allocation.strata)
    levels = [allocation.strata[f] for f in factors]
    return [
        ",".join(f"{f}={v}" for f, v in zip(factors, combo, strict=True))
        for combo in itertools.product(*levels)
    ]
