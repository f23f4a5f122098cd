"""A study's results: read from the session log, analysed, written as HTML and exported.

:func:`read_study` reads one study, masked while it is blinded (letters for arms, no
sham flag); :func:`analyse` makes its flow, adherence and results table;
:func:`~irlink.regimen.results.html.write_study_report` writes them as one HTML page
(the ``report`` and ``study`` extras); :mod:`~irlink.regimen.results.tidy` and
:mod:`~irlink.regimen.results.redcap` export the data as tidy tables and for REDCap.
A synthetic study (``irlink study simulate``) says SYNTHETIC in every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from irlink.regimen.results.data import StudyNotFound, read_study
from irlink.regimen.results.flow import Adherence, Flow, adherence, flow
from irlink.regimen.results.records import StudyData
from irlink.regimen.results.stats import ItemResult, StatsUnavailable, results_table

__all__ = [
    "StatsUnavailable",
    "StudyData",
    "StudyNotFound",
    "StudyResults",
    "analyse",
    "read_study",
]


@dataclass(frozen=True, slots=True)
class StudyResults:
    """Everything a study report shows: the flow, adherence and the results table."""

    study: StudyData
    made: datetime  # the moment the flow and adherence are reckoned at
    flow: Flow
    adherence: Adherence
    table: tuple[ItemResult, ...]


def analyse(study: StudyData, now: datetime | None = None) -> StudyResults:
    """The results of ``study`` as they stand at ``now`` (needs the ``study`` extra)."""
    made = now or datetime.now(UTC)
    table = tuple(results_table(study))
    return StudyResults(study, made, flow(study, made), adherence(study, made), table)
