"""A session log per test, small regimens to make studies from, and two studies for the
results tests: the 2006 trial's regimen, and a small pilot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from irlink.record.store import SessionLog
from irlink.regimen import example
from tests.regimen.studies import PILOT, StudyLog, VisitRow

# A seeded two-arm study with a short list: its arms are known to the test, not the user.
TRIAL = (
    example("gale-2006")
    .read_text(encoding="utf-8")
    .replace("    size: 100", "    seed: 2006\n    size: 12")
)


def regimen(text: str = TRIAL, **allocation: str) -> str:
    """``text`` with ``key: value`` lines added to its allocation (``strata``, ``size``...)."""
    lines = "".join(f"    {key}: {value}\n" for key, value in allocation.items())
    if "size" in allocation:
        text = text.replace("    size: 12\n", "")
    return text.replace("    seed: 2006\n", "    seed: 2006\n" + lines)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SessionLog]:
    """An empty session log of this test's own."""
    with SessionLog.open(tmp_path / "sessions.db") as opened:
        yield opened


def _gale_visit(overall: int, *, remark: str | None = None, **options: object) -> VisitRow:
    scores = {"nrs_overall": overall, "nrs_rotating": overall + 1, "nrs_bending": overall - 1}
    texts = {} if remark is None else {"remarks": remark}
    return VisitRow(scores=scores, texts=texts, **options)  # type: ignore[arg-type]


def gale_study(path: Path, *, blinded: bool = True, synthetic: bool = False) -> Path:
    """The 2006 trial's regimen, five participants:

    - G1 (infrared): all seven visits, 7 falling to 3;
    - G2 (infrared): withdrew after two visits ("moved away");
    - G3 (sham): all seven, visit 4 a day late ("away on holiday"), one session cut short;
    - G4 (sham): six visits, then missed the last: lost to follow-up;
    - G5 (sham): all seven; unblinded alone on day 3 (an emergency).
    """
    log = StudyLog(path, name="gale", blinded=blinded, synthetic=synthetic)
    log.enrol("G1", "infrared", _gale_visit(7, remark="warm and pleasant"),
              *(_gale_visit(7 - n) for n in range(1, 6)), _gale_visit(3))  # fmt: skip
    log.enrol("G2", "infrared", _gale_visit(8), _gale_visit(8), withdrawn=(10, "moved away"))
    late = _gale_visit(7, on_time=False, override="away on holiday")
    cut = _gale_visit(7, outcome="partial", delivered_s=600)
    log.enrol("G3", "sham", _gale_visit(7), _gale_visit(7), _gale_visit(7), late, cut,
              _gale_visit(6), _gale_visit(6))  # fmt: skip
    log.enrol("G4", "sham", *(_gale_visit(8) for _ in range(6)))
    log.enrol("G5", "sham", *(_gale_visit(6) for _ in range(7)), unblinded=True)
    return path


def _pilot_visit(pain: int, after: int | None = None) -> VisitRow:
    return VisitRow(scores={"pain": pain}, after={} if after is None else {"pain_after": after})


def pilot_study(path: Path, *, blinded: bool = False, synthetic: bool = False) -> Path:
    """A small data set to check the statistics by hand (pain at visits 1 and 3):

    - active: P1 7 -> 3, P2 8 -> 5, P3 6 -> 4 (change -4, -3, -2);
    - inert: P4 7 -> 6, P5 6 -> 6, P6 8 -> 6 (change -1, 0, -2), and P7, who missed
      visit 3: one missing, never filled in.
    """
    log = StudyLog(path, PILOT, name="pilot", blinded=blinded, synthetic=synthetic)
    log.enrol("P1", "active", _pilot_visit(7, 6), _pilot_visit(5), _pilot_visit(3, 2))
    log.enrol("P2", "active", _pilot_visit(8, 7), _pilot_visit(6), _pilot_visit(5, 4))
    log.enrol("P3", "active", _pilot_visit(6, 6), _pilot_visit(5), _pilot_visit(4, 3))
    log.enrol("P4", "inert", _pilot_visit(7, 7), _pilot_visit(7), _pilot_visit(6, 6))
    log.enrol("P5", "inert", _pilot_visit(6, 6), _pilot_visit(6), _pilot_visit(6, 5))
    log.enrol("P6", "inert", _pilot_visit(8, 8), _pilot_visit(7), _pilot_visit(6, 6))
    log.enrol("P7", "inert", _pilot_visit(7, 7), _pilot_visit(7))
    return path


@pytest.fixture
def gale_blinded(tmp_path: Path) -> Path:
    return gale_study(tmp_path / "gale.db")


@pytest.fixture
def gale_unblinded(tmp_path: Path) -> Path:
    return gale_study(tmp_path / "gale.db", blinded=False)


@pytest.fixture
def pilot(tmp_path: Path) -> Path:
    return pilot_study(tmp_path / "pilot.db")
