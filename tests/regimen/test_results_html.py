"""The study's HTML page: masked while blinded, SYNTHETIC on every section, nothing fetched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from irlink.record.store import SessionLog
from irlink.regimen.results import analyse, read_study
from irlink.regimen.results.html import write_study_report
from tests.regimen.conftest import gale_study
from tests.regimen.studies import LATER

ARM_WORDS = re.compile(r"sham|infrared", re.IGNORECASE)


def page_of(log_path: Path, out: Path, name: str = "gale") -> str:
    with SessionLog.open(log_path, readonly=True) as log:
        study = read_study(log, name)
    write_study_report(analyse(study, LATER), out)
    return out.read_text(encoding="utf-8")


def test_a_blinded_study_page_names_no_arm_and_never_says_sham(
    gale_blinded: Path, tmp_path: Path
) -> None:
    page = page_of(gale_blinded, tmp_path / "r.html")
    assert ARM_WORDS.findall(page) == []
    assert "blinded: arms are shown as their sealed letters (A, B)" in page
    assert "<th>A</th>" in page
    assert "<th>B vs A</th>" in page
    assert "its title is not shown while the study is blinded" in page


def test_an_unblinded_study_page_shows_the_arms_by_name(
    gale_unblinded: Path, tmp_path: Path
) -> None:
    page = page_of(gale_unblinded, tmp_path / "r.html")
    assert "<th>infrared vs sham</th>" in page
    assert "unblinded on" in page
    assert "sham-controlled" in page  # the regimen's title, now shown


def test_the_header_says_whether_the_placebo_is_credible(
    gale_blinded: Path, tmp_path: Path
) -> None:
    page = page_of(gale_blinded, tmp_path / "r.html")
    assert "<dt>Credible placebo</dt><dd>yes: the inactive device looks and behaves" in page


def test_the_page_has_the_flow_adherence_results_and_a_plot_per_item(
    gale_blinded: Path, tmp_path: Path
) -> None:
    page = page_of(gale_blinded, tmp_path / "r.html")
    for heading in ("Flow of participants", "Adherence", "Results", "Scores over the visits"):
        assert f"<h2>{heading}</h2>" in page
    assert "Lost to follow-up (missed the last visit)</th>" in page
    assert "G2 (B), 2026-01-15, after 2 visit(s): moved away" in page
    assert "G3 (A), visit 4 on 2026-01-26 09:00: away on holiday" in page
    assert page.count("<svg") == 3  # the three NRS items


def test_too_few_per_arm_shows_dashes_and_why_never_nan(gale_blinded: Path, tmp_path: Path) -> None:
    page = page_of(gale_blinded, tmp_path / "r.html")  # B has one complete case
    assert "nan" not in re.sub(r"<svg.*?</svg>", "", page, flags=re.S).lower()
    assert "7.0 (—)" in page
    assert "the tests need at least 2 participants with both scores per arm (B has 1)" in page


def test_the_page_fetches_nothing_when_opened(gale_blinded: Path, tmp_path: Path) -> None:
    page = page_of(gale_blinded, tmp_path / "r.html")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"@import|@font-face|<script|<link|<img|<iframe", page, re.I)


def test_a_synthetic_study_says_so_in_every_section_and_on_every_printed_page(
    tmp_path: Path,
) -> None:
    page = page_of(gale_study(tmp_path / "s.db", synthetic=True), tmp_path / "r.html")
    sections = page.split('<section class="study">')[1:]
    assert len(sections) == 5
    for section in sections:
        assert section.startswith('<div class="synthetic">SYNTHETIC: a rehearsal')
    assert '<div class="watermark" aria-hidden="true">SYNTHETIC</div>' in page
    assert "<title>SYNTHETIC · " in page
    assert page.count("SYNTHETIC: a rehearsal, not evidence") == 3  # each plot's title


def test_a_recorded_study_is_not_labelled_synthetic(gale_blinded: Path, tmp_path: Path) -> None:
    assert "SYNTHETIC" not in page_of(gale_blinded, tmp_path / "r.html")


def test_without_matplotlib_no_page_is_written(
    gale_blinded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from irlink.record.report.plots import ReportUnavailable

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ReportUnavailable, match=r"pip install 'irlink\[report\]'"):
        page_of(gale_blinded, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
