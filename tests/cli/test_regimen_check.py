"""``irlink regimen check``, ``examples``, ``show`` and ``schema`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from irlink.regimen import example, examples, regimen_schema
from tests.cli.test_commands import irlink, lines

FAMILY = {"gale-2006": "waistband", "firmat-home": "firmat", "pbm-3x-week": "multiport"}
GALE = example("gale-2006").read_text(encoding="utf-8")


def written(tmp_path: Path, text: str, name: str = "trial.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(tmp_path: Path, text: str, *device: str) -> list[str]:
    """The lines ``irlink regimen check`` says on stderr, refusing the regimen ``text``."""
    result = irlink("regimen", "check", written(tmp_path, text), *device)
    assert result.exit_code == 2
    assert result.stdout == ""
    return list(result.stderr.splitlines())


def test_every_example_is_listed_with_its_family() -> None:
    assert sorted(FAMILY) == examples()
    found = lines(irlink("regimen", "examples", "--json"))
    assert [(e["type"], e["name"], e["family"]) for e in found] == [
        ("regimen_example", name, FAMILY[name]) for name in examples()
    ]
    assert [e["study"] for e in found] == [name == "gale-2006" for name in examples()]
    text = irlink("regimen", "examples").stdout
    assert "Infrared waistband for chronic low-back pain" in text


@pytest.mark.parametrize("name", sorted(FAMILY))
def test_every_example_fits_a_simulated_device_of_its_family(name: str) -> None:
    result = irlink("regimen", "check", name, "-d", f"sim://{FAMILY[name]}")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {name} fits sim://{FAMILY[name]} (")
    [fits] = lines(irlink("--json", "regimen", "check", str(example(name)), "-d",
                          f"sim://{FAMILY[name]}"))  # fmt: skip
    assert (fits["type"], fits["against"], fits["family"]) == (
        "regimen_fits",
        "device",
        FAMILY[name],
    )
    assert fits["serial"]


def test_a_session_longer_than_the_device_allows_is_refused_naming_the_limit(
    tmp_path: Path,
) -> None:
    text = GALE.replace("duration: 30m", "duration: 90m")
    path = str(tmp_path / "trial.yaml")
    assert refused(tmp_path, text, "-d", "sim://waistband") == [
        f"error: {path}:15: session.duration: 1h30m is above this device's maximum session "
        "of 1h; choose at most 1h"
    ]
    [problem, error] = lines(irlink("regimen", "check", path, "-d", "sim://waistband", "--json"))
    assert problem == {
        "type": "regimen_problem",
        "file": path,
        "line": 15,
        "field": "session.duration",
        "message": "1h30m is above this device's maximum session of 1h; choose at most 1h",
    }
    assert (error["type"], error["code"]) == ("error", 2)


def test_a_multiport_regimen_on_a_waistband_is_refused() -> None:
    result = irlink("regimen", "check", "pbm-3x-week", "-d", "sim://waistband")
    assert result.exit_code == 2
    assert "pbm-3x-week:7: family: this regimen is for a multiport" in result.stderr


def test_every_problem_is_said_one_per_line_then_what_to_do(tmp_path: Path) -> None:
    text = GALE.replace("duration: 30m", "duration: 90m").replace("intensity: 2", "intensity: 7")
    said = refused(tmp_path, text, "-d", "sim://waistband")
    path = str(tmp_path / "trial.yaml")
    assert [line.split(": ")[2] for line in said[:2]] == ["session.duration", "session.intensity"]
    assert said[2].startswith(f"error: {path} does not fit sim://waistband (IRL-W2, serial ")
    assert said[2].endswith("2 problems; fix each as said, then check again")
    found = lines(irlink("--json", "regimen", "check", path, "-d", "sim://waistband"))
    assert [line["type"] for line in found] == ["regimen_problem", "regimen_problem", "error"]


def test_a_file_with_errors_is_refused_before_any_device(tmp_path: Path) -> None:
    text = GALE.replace("family: waistband", "family: toaster").replace("1w", "weekly")
    said = refused(tmp_path, text, "-d", "/dev/nonexistent")
    path = str(tmp_path / "trial.yaml")
    assert said[0] == (
        f"error: {path}:9: family: 'toaster' is not one of waistband, multiport, firmat; "
        "write one of them"
    )
    assert said[1].startswith(f"error: {path}:12: visits.interval: ")
    assert said[2] == (
        f"error: {path}: 2 problems in the regimen; fix each as said, then run "
        f"`irlink regimen check {path}` again"
    )


def test_a_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = written(tmp_path, GALE.replace("  count: 7", "  count: [7"))
    [problem, _] = lines(irlink("--json", "regimen", "check", path))
    assert (problem["line"], problem["field"]) == (12, "")  # where the parser found it out
    assert "not valid YAML" in problem["message"]


def test_without_a_device_the_family_profile_is_used_and_said(tmp_path: Path) -> None:
    result = irlink("regimen", "check", "gale-2006")
    assert result.exit_code == 0, result.output
    assert "ok: gale-2006 fits the waistband profile (IRL-W2" in result.stdout
    assert "not a device: check again with -d ADDRESS" in result.stdout
    [fits] = lines(irlink("--json", "regimen", "check", "gale-2006"))
    assert (fits["against"], fits["serial"], fits["address"]) == ("profile", None, None)
    path = written(tmp_path, GALE.replace("duration: 30m", "duration: 90m"))
    assert "maximum session of 1h" in irlink("regimen", "check", path).stderr


def test_a_name_that_is_neither_a_file_nor_an_example_says_which_there_are() -> None:
    result = irlink("regimen", "check", "gale")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: gale: no such file; give a regimen file's path, or an example's name "
        f"({', '.join(examples())})\n"
    )


def test_show_prints_an_example_to_copy(tmp_path: Path) -> None:
    result = irlink("regimen", "show", "gale-2006")
    assert result.exit_code == 0, result.output
    assert result.stdout == GALE
    copy = written(tmp_path, result.stdout, "copy.yaml")
    assert irlink("regimen", "check", copy).exit_code == 0
    assert yaml.safe_load(irlink("regimen", "show", copy).stdout)["name"] == "gale-2006"


def test_schema_prints_the_regimen_schema() -> None:
    result = irlink("regimen", "schema")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == regimen_schema()


def test_a_check_on_a_device_is_recorded_as_other_commands_are(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    assert irlink("--db", str(db), "--no-log", "regimen", "check", "gale-2006", "-d",
                  "sim://waistband").exit_code == 0  # fmt: skip
    assert not db.exists()
    assert irlink("--db", str(db), "regimen", "check", "gale-2006", "-d",
                  "sim://waistband").exit_code == 0  # fmt: skip
    [device] = lines(irlink("--db", str(db), "--json", "log", "devices"))
    assert (device["family"], device["simulated"]) == ("waistband", True)
