"""What ``irlink study report`` and ``irlink study export`` print with ``--json``, beside
the study's flow, adherence and results table (:mod:`irlink.regimen.results`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["StudyExported", "StudyReported"]


@dataclass(frozen=True, slots=True)
class StudyReported:
    """``irlink study report``: the HTML page written, and the study it shows.

    ``groups`` are the arms as the page shows them: their sealed letters while the study
    is ``blinded``, their names once it is not. ``synthetic``: a rehearsal made by
    ``irlink study simulate``, never evidence. ``placebo_credible``: whether the regimen
    says the inactive device feels the same as the active one (None for a course).
    ``made_at`` is the moment the flow and adherence were reckoned at (UTC).
    """

    path: str
    study: str
    kind: str
    regimen: str
    blinded: bool
    synthetic: bool
    placebo_credible: bool | None
    groups: tuple[str, ...]
    participants: int
    made_at: datetime


@dataclass(frozen=True, slots=True)
class StudyExported:
    """``irlink study export``: one file (or table) written, where (None: stdout), its rows.

    ``format`` is csv, jsonl or redcap; ``synthetic``: the study is a rehearsal, and
    every row written says SYNTHETIC.
    """

    format: str
    table: str
    path: str | None
    rows: int
    study: str
    blinded: bool
    synthetic: bool
