"""``irlink study simulate``: a SYNTHETIC rehearsal from the command line."""

from __future__ import annotations

from pathlib import Path

from irlink.cli.study_simulate import NOT_EVIDENCE
from tests.cli.test_commands import irlink, lines
from tests.regimen.test_rehearsal import SHORT


def regimen_file(tmp_path: Path) -> str:
    path = tmp_path / "short.yaml"
    path.write_text(SHORT, encoding="utf-8")
    return str(path)


def test_json_lines_tell_the_progress_then_the_rehearsal(tmp_path: Path) -> None:
    db = str(tmp_path / "log.db")
    args = ["--db", db, "--json", "study", "simulate", regimen_file(tmp_path), "-n", "2"]
    result = irlink(*args, "--seed", "4")
    assert result.exit_code == 0, result.output
    found = lines(result)
    *progress, done = found
    assert {line["type"] for line in progress} == {"rehearsal_progress"}
    assert progress[-1]["visits_done"] == progress[-1]["visits"] == 6
    assert done["type"] == "rehearsal"
    assert done["synthetic"] is True
    assert (done["study"], done["seed"], done["participants"]) == ("short-rehearsal-1", 4, 2)
    assert done["recorded_samples"] == done["sessions"] * 601
    again = lines(irlink(*args, "--no-record-samples", "--name", "dry"))[-1]
    assert (again["study"], again["recorded"], again["recorded_samples"]) == ("dry", False, 0)


def test_text_says_it_is_synthetic_and_what_to_run_next(tmp_path: Path) -> None:
    db, regimen = str(tmp_path / "log.db"), regimen_file(tmp_path)
    result = irlink("--db", db, "study", "simulate", regimen, "-n", "1", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout.count(NOT_EVIDENCE) == 2
    assert "1/1 enrolled, 3/3 visits done" in result.stdout
    assert "short-rehearsal-1: 1 synthetic participant (seed 4)" in result.stdout
    assert "3 completed, 0 ended early, 0 missed; 0 withdrawn" in result.stdout
    assert "s of wall time" in result.stdout
    assert "next: irlink study report short-rehearsal-1" in result.stdout


def test_a_regimen_that_is_neither_a_file_nor_an_example_exits_2(tmp_path: Path) -> None:
    result = irlink("--db", str(tmp_path / "log.db"), "study", "simulate", "no-such-regimen")
    assert result.exit_code == 2
    assert "gale-2006" in result.stderr


def test_too_many_participants_for_the_allocation_list_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "log.db")
    result = irlink("--db", db, "study", "simulate", regimen_file(tmp_path), "-n", "21")
    assert result.exit_code == 2
    assert "raise allocation.size" in result.stderr
