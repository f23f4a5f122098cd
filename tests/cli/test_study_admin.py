"""``irlink study`` create, enrol, status, list, withdraw, miss, unblind and audit.

Each test has a session log of its own (tests/conftest.py points IRLINK_DB at it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from irlink.cli import app
from irlink.regimen import example
from tests.cli.test_commands import irlink, lines

# A seeded study with a short list and two sites (the arms do not matter to these tests).
STRATIFIED = (
    example("gale-2006")
    .read_text(encoding="utf-8")
    .replace("    size: 100", "    seed: 7\n    size: 10\n    strata: {site: [north, south]}")
)


def ok(*args: str) -> Any:
    """``irlink ARGS``, which must succeed."""
    result = irlink(*args)
    assert result.exit_code == 0, result.output
    return result


def header(result: Any) -> list[str]:
    """The column names of the participants' table."""
    [head] = [line for line in result.stdout.splitlines() if line.startswith("participant")]
    return head.split()


@pytest.fixture
def gale() -> None:
    """Study gale-2006 with participants P01 and P02."""
    ok("study", "create", "gale-2006")
    ok("study", "enrol", "gale-2006", "P01")
    ok("study", "enrol", "gale-2006", "P02")


def test_create_says_the_arms_and_blinding_and_never_the_list() -> None:
    result = ok("study", "create", "gale-2006")
    assert result.stdout.startswith("created study gale-2006 (waistband): 2 arms, blinded; ")
    assert "allocation list sealed: " in result.stdout
    assert "infrared" not in result.stdout
    assert "sham" not in result.stdout
    [line] = lines(ok("study", "create", "gale-2006", "--name", "second", "--json"))
    assert (line["type"], line["name"], line["kind"], line["arms"]) == (
        "study",
        "second",
        "study",
        2,
    )
    assert line["blinded"] is True
    assert line["slots"][""] >= 100


def test_create_with_strata_seals_a_list_per_stratum(tmp_path: Path) -> None:
    path = tmp_path / "trial.yaml"
    path.write_text(STRATIFIED, encoding="utf-8")
    [line] = lines(ok("--json", "study", "create", str(path), "--name", "sites"))
    assert set(line["slots"]) == {"site=north", "site=south"}
    assert "slots per stratum, 2 strata" in ok("study", "create", str(path)).stdout


def test_a_regimen_without_a_study_creates_a_course() -> None:
    result = ok("study", "create", "firmat-home")
    assert result.stdout.startswith("created course firmat-home (firmat): a course")


def test_a_bad_regimen_is_refused_with_its_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(example("gale-2006").read_text().replace("1w", "weekly"), encoding="utf-8")
    result = irlink("study", "create", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}:12: visits.interval: ")
    assert "no studies" in ok("study", "list").stdout


def test_a_study_name_is_taken_once(gale: None) -> None:
    result = irlink("study", "create", "gale-2006")
    assert result.exit_code == 2
    assert "already exists in this log; give another name with --name" in result.stderr


def test_enrol_says_the_first_visit_and_never_the_arm() -> None:
    ok("study", "create", "gale-2006")
    result = ok("study", "enrol", "gale-2006", "P07")
    assert result.stdout == "enrolled P07 in gale-2006; first visit: any time\n"
    [line] = lines(ok("study", "enrol", "gale-2006", "P08", "--json"))
    assert (line["type"], line["participant"], line["stratum"]) == ("enrolled", "P08", "")
    assert "arm" not in line


def test_enrol_in_a_stratum(tmp_path: Path) -> None:
    path = tmp_path / "trial.yaml"
    path.write_text(STRATIFIED, encoding="utf-8")
    ok("study", "create", str(path))
    result = ok("study", "enrol", "gale-2006", "N1", "--stratum", "site=north")
    assert result.stdout.startswith("enrolled N1 in gale-2006 (stratum site=north);")
    missing = irlink("study", "enrol", "gale-2006", "N2")
    assert missing.exit_code == 2
    assert "give --stratum site=LEVEL" in missing.stderr
    bad = irlink("study", "enrol", "gale-2006", "N3", "--stratum", "north")
    assert bad.exit_code == 2
    assert "--stratum 'north' is not FACTOR=LEVEL" in bad.stderr


@pytest.mark.parametrize("code", ["John Smith", "1970-01-01"])
def test_a_code_that_could_identify_someone_is_refused(code: str) -> None:
    ok("study", "create", "gale-2006")
    result = irlink("study", "enrol", "gale-2006", code, "--json")
    assert result.exit_code == 2
    [error] = lines(result)
    assert error["type"] == "error"
    assert "never a name or a date of birth" in error["message"]


def test_status_has_no_arm_column_while_blinded_and_one_after(gale: None) -> None:
    blinded = ok("study", "status", "gale-2006")
    assert "gale-2006 · study of gale-2006 (waistband) · blinded · 2 participants" in blinded.stdout
    assert header(blinded) == [
        "participant", "enrolled", "visits", "next", "due", "when", "missed", "deviations",
    ]  # fmt: skip
    assert "infrared" not in blinded.stdout
    assert "due now" in blinded.stdout
    found = lines(ok("study", "status", "gale-2006", "--json"))
    assert [line["type"] for line in found] == ["study", "participant", "participant"]
    assert [line["arm"] for line in found[1:]] == [None, None]
    assert found[1]["state"] == "due_now"
    assert (found[1]["visits_done"], found[1]["visits_total"], found[1]["next_visit"]) == (0, 7, 1)

    ok("study", "unblind", "gale-2006", "--reason", "analysis", "--yes")
    unblinded = ok("study", "status", "gale-2006")
    assert header(unblinded)[-1] == "arm"
    assert "unblinded" in unblinded.stdout
    arms = [line["arm"] for line in lines(ok("study", "status", "gale-2006", "--json"))[1:]]
    assert set(arms) <= {"infrared", "sham"}
    assert len(arms) == 2


def test_one_participant_unblinded_keeps_the_arm_column_away(gale: None) -> None:
    result = ok("study", "unblind", "gale-2006", "--participant", "P01", "--reason", "rash",
                "--yes")  # fmt: skip
    assert result.stdout.startswith("P01 of gale-2006: ")
    assert "the study stays blinded for everyone else" in result.stdout
    assert "arm" not in header(ok("study", "status", "gale-2006"))


def test_unblind_at_no_terminal_without_yes_refuses_with_the_fix(gale: None) -> None:
    result = irlink("study", "unblind", "gale-2006", "--reason", "analysis")
    assert result.exit_code == 2
    assert "confirm, or add --yes (in a script)" in result.stderr
    no_reason = irlink("study", "unblind", "gale-2006", "--yes")
    assert no_reason.exit_code == 2
    assert "give --reason TEXT" in no_reason.stderr
    assert "arm" not in header(ok("study", "status", "gale-2006"))
    assert "unblinded" not in ok("study", "audit", "gale-2006").stdout


def test_unblind_at_a_terminal_asks_why_and_for_the_study_name(
    gale: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("irlink.cli.study_unblind.at_terminal", lambda: True)
    runner = CliRunner()
    wrong = runner.invoke(app, ["study", "unblind", "gale-2006"], input="analysis\ngale\n")
    assert wrong.exit_code == 2
    assert "not confirmed" in wrong.stderr
    assert "nothing was revealed" in wrong.stderr
    done = runner.invoke(app, ["study", "unblind", "gale-2006"], input="analysis\ngale-2006\n")
    assert done.exit_code == 0, done.output
    assert "Why unblind?" in done.stderr
    assert "Type the study name (gale-2006) to confirm" in done.stderr
    # The runner echoes what was typed to stdout; irlink's own output follows it.
    assert "\nunblinded gale-2006, recorded in the audit trail: 2 participants\n" in done.stdout
    found = lines(ok("study", "audit", "gale-2006", "--json"))
    assert (found[-1]["action"], found[-1]["reason"]) == ("unblinded", "analysis")


def test_unblind_json_names_every_arm_once(gale: None) -> None:
    [line] = lines(ok("--json", "study", "unblind", "gale-2006", "--reason", "analysis", "--yes"))
    assert (line["type"], line["participant"], line["reason"]) == ("unblinded", None, "analysis")
    assert set(line["arms"]) == {"P01", "P02"}
    again = irlink("study", "unblind", "gale-2006", "--reason", "again", "--yes")
    assert again.exit_code == 2
    assert "was unblinded at" in again.stderr


def test_withdraw_and_miss_are_kept_and_shown(gale: None) -> None:
    missed = ok("study", "miss", "gale-2006", "P01", "--reason", "ill")
    assert missed.stdout == "recorded visit 1 of P01 in gale-2006 as missed (ill)\n"
    [line] = lines(ok("study", "withdraw", "gale-2006", "P02", "--reason", "moved", "--json"))
    assert (line["type"], line["participant"], line["reason"]) == ("withdrawn", "P02", "moved")
    found = lines(ok("study", "status", "gale-2006", "--json"))
    assert [(p["participant"], p["missed"], p["next_visit"], p["state"]) for p in found[1:]] == [
        ("P01", 1, 2, "due_now"),
        ("P02", 0, None, "withdrawn"),
    ]
    again = irlink("study", "miss", "gale-2006", "P02", "--reason", "gone")
    assert again.exit_code == 2
    assert "withdrawn" in again.stderr
    assert irlink("study", "withdraw", "gale-2006", "P01").exit_code == 2  # --reason is required


def test_audit_shows_who_did_what_and_why(gale: None) -> None:
    ok("study", "withdraw", "gale-2006", "P02", "--reason", "moved away")
    result = ok("study", "audit", "gale-2006")
    for column in ("time", "user", "host", "action", "participant", "reason"):
        assert column in result.stdout.splitlines()[0]
    assert "moved away" in result.stdout
    found = lines(ok("study", "audit", "gale-2006", "--json"))
    assert [(a["action"], a["participant"]) for a in found] == [
        ("created", None), ("enrolled", "P01"), ("enrolled", "P02"), ("withdrawn", "P02"),
    ]  # fmt: skip
    assert all(a["user"] and a["host"] and a["at"].endswith("+00:00") for a in found)


def test_list_shows_every_study() -> None:
    assert "no studies" in ok("study", "list").stdout
    ok("study", "create", "gale-2006")
    ok("study", "create", "firmat-home")
    result = ok("study", "list")
    assert "gale-2006" in result.stdout
    assert "firmat-home" in result.stdout
    found = lines(ok("study", "list", "--json"))
    assert [(s["name"], s["kind"]) for s in found] == [
        ("gale-2006", "study"),
        ("firmat-home", "course"),
    ]


def test_an_unknown_study_says_which_there_are(gale: None) -> None:
    result = irlink("study", "status", "gale")
    assert result.exit_code == 2
    assert "no study named 'gale'" in result.stderr
    assert "the studies here are gale-2006" in result.stderr


def test_a_log_that_cannot_be_written_exits_7(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")  # a folder no user can make, root included
    result = irlink("--db", str(tmp_path / "file" / "log.db"), "study", "create", "gale-2006")
    assert result.exit_code == 7, result.output
    assert "cannot create the session log's folder" in result.stderr
    assert "nothing was changed" in result.stderr


def test_a_log_from_before_studies_says_there_are_none(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    ok("--db", str(db), "study", "create", "gale-2006")
    with sqlite3.connect(db) as old:  # as an irlink that kept no studies left it
        old.execute("DROP TABLE audit")
        old.execute("DROP TABLE participants")
        old.execute("DROP TABLE allocation")
        old.execute("DROP TABLE studies")
    result = irlink("--db", str(db), "study", "status", "gale-2006")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the session log {db} has no studies yet: `irlink study create REGIMEN.yaml` "
        "creates one\n"
    )
