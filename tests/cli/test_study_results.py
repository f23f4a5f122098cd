"""``irlink study report`` and ``irlink study export``: files, JSON lines, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from irlink.cli import app
from irlink.cli.common import EXIT_OK, EXIT_USAGE
from irlink.record.store import SessionLog
from irlink.regimen.results import analyse, read_study
from tests.cli.schema import check_lines
from tests.cli.test_report import one_error
from tests.regimen.conftest import gale_study, pilot_study

runner = CliRunner()


def json_lines(stdout: str) -> list[dict[str, Any]]:
    lines = [json.loads(text) for text in stdout.splitlines()]
    check_lines(lines)
    return lines


@pytest.fixture
def gale_log(tmp_path: Path) -> Path:
    return gale_study(tmp_path / "gale.db")


def test_report_writes_the_page_and_says_where(gale_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "gale.html"
    result = runner.invoke(app, ["--db", str(gale_log), "study", "report", "gale", "-o", str(out)])
    assert result.exit_code == EXIT_OK, result.stderr
    assert f"wrote {out}: study gale (blinded, groups A, B), 5 participant(s)" in result.stdout
    assert "Study gale: results" in out.read_text(encoding="utf-8")


def test_report_writes_study_report_html_here_by_default(
    gale_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--db", str(gale_log), "study", "report", "gale"])
    assert result.exit_code == EXIT_OK, result.stderr
    assert (tmp_path / "gale-report.html").is_file()


def test_report_json_gives_the_pages_figures_in_lines_the_schema_accepts(
    tmp_path: Path,
) -> None:
    log_path = pilot_study(tmp_path / "pilot.db")
    out = tmp_path / "p.html"
    args = ["--db", str(log_path), "study", "report", "pilot", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    lines = json_lines(result.stdout)
    assert [line["type"] for line in lines] == [
        "study_report",
        "study_flow",
        "study_adherence",
        "study_result",
        "study_result",
    ]
    head, flow, kept, pain = lines[:4]
    assert head["path"] == str(out.resolve())
    assert (head["study"], head["blinded"], head["synthetic"], head["groups"]) == (
        "pilot",
        False,
        False,
        ["active", "inert"],
    )
    assert flow["allocated"] == {"active": 3, "inert": 4}
    assert flow["analysed"]["pain"] == {"active": 3, "inert": 3}
    assert kept["overall"]["done"] == 20
    with SessionLog.open(log_path, readonly=True) as log:
        results = analyse(read_study(log, "pilot"))
    assert pain["comparisons"][0]["ancova_p"] == pytest.approx(
        results.table[0].comparisons[0].ancova_p
    )
    assert pain["groups"][1]["missing"] == 1


def test_report_json_of_a_blinded_study_has_letters_and_no_arm_word(
    gale_log: Path, tmp_path: Path
) -> None:
    out = tmp_path / "g.html"
    args = ["--db", str(gale_log), "--json", "study", "report", "gale", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    assert "sham" not in result.stdout.lower()
    assert "infrared" not in result.stdout.lower()
    lines = json_lines(result.stdout)
    assert lines[0]["groups"] == ["A", "B"]
    [pain] = [line for line in lines if line.get("item") == "nrs_overall"]
    assert pain["groups"][1]["within_p"] is None  # B has one complete case: no NaN


def test_a_synthetic_study_report_says_so(tmp_path: Path) -> None:
    log_path = gale_study(tmp_path / "s.db", synthetic=True)
    out = tmp_path / "s.html"
    result = runner.invoke(app, ["--db", str(log_path), "study", "report", "gale", "-o", str(out)])
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.startswith("SYNTHETIC: study gale is a rehearsal")
    lines = json_lines(
        runner.invoke(
            app, ["--db", str(log_path), "--json", "study", "report", "gale", "-o", str(out)]
        ).stdout
    )
    assert all(line["synthetic"] for line in lines)


def test_an_unknown_study_is_one_error_naming_the_fix(gale_log: Path, tmp_path: Path) -> None:
    for command in (["report", "nope"], ["export", "nope", "--out", str(tmp_path / "x")]):
        result = runner.invoke(app, ["--db", str(gale_log), "study", *command])
        assert result.exit_code == EXIT_USAGE
        one_error(result.stderr, "has no study named 'nope' (it has: gale)")
        assert "see `irlink study status`" in result.stderr


def test_report_without_the_extras_names_them(
    gale_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    out = tmp_path / "g.html"
    result = runner.invoke(app, ["--db", str(gale_log), "study", "report", "gale", "-o", str(out)])
    assert result.exit_code == EXIT_USAGE
    one_error(result.stderr, "pip install 'irlink[study,report]'")
    assert not out.exists()


def test_export_csv_writes_the_tables_and_a_line_for_each(gale_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    args = ["--db", str(gale_log), "--json", "study", "export", "gale", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    lines = json_lines(result.stdout)
    assert [(line["type"], line["table"], line["rows"]) for line in lines] == [
        ("study_exported", "participants", 5),
        ("study_exported", "visits", 29),
        ("study_exported", "measures", 88),
    ]
    assert lines[0]["path"] == str(out / "participants.csv")
    assert (lines[0]["blinded"], lines[0]["synthetic"]) == (True, False)


def test_export_redcap_writes_its_four_files(gale_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "redcap"
    args = ["--db", str(gale_log), "study", "export", "gale", "--format", "redcap", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "redcap_data_dictionary.csv",
        "redcap_events.csv",
        "redcap_instrument_designations.csv",
        "redcap_records.csv",
    ]
    assert f"redcap_records: 29 rows to {out / 'redcap_records.csv'}" in result.stdout


def test_export_jsonl_to_stdout_keeps_stdout_for_the_rows(gale_log: Path) -> None:
    args = ["--db", str(gale_log), "study", "export", "gale", "--format", "jsonl", "--out", "-"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5 + 29 + 88
    assert "measures: 88 rows" in result.stderr


def test_export_of_a_synthetic_study_says_so(tmp_path: Path) -> None:
    log_path = gale_study(tmp_path / "s.db", synthetic=True)
    args = ["--db", str(log_path), "study", "export", "gale", "--out", str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.startswith("SYNTHETIC: study gale is a rehearsal")


@pytest.mark.parametrize("form", ["csv", "redcap"])
def test_export_of_files_to_stdout_is_refused(gale_log: Path, form: str) -> None:
    args = ["--db", str(gale_log), "study", "export", "gale", "--format", form, "--out", "-"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE
    one_error(result.stderr, f"--out '-' is not a folder: {form} writes several files")


def test_export_of_an_unknown_format_is_refused(gale_log: Path, tmp_path: Path) -> None:
    args = ["--db", str(gale_log), "study", "export", "gale", "--format", "xls", "-o", "x"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE
    one_error(result.stderr, "--format 'xls'")
