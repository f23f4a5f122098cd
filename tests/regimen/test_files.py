"""Reading regimen files: every error names the file, the line, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from irlink.regimen import RegimenError, example, examples, load_regimen, parse_regimen
from irlink.regimen.files import Problem

GOOD = """\
irlink_regimen: 1
name: weekly
family: waistband
visits:
  count: 4
  interval: 1w
  window: 1d
session:
  duration: 30m
  intensity: 2
measures:
  - id: nrs_overall
    label: Pain overall, 0 to 10
"""


def problems(text: str, name: str = "trial.yaml") -> list[Problem]:
    """The problems reading ``text`` finds (it must find some)."""
    with pytest.raises(RegimenError) as caught:
        parse_regimen(text, name)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return list(caught.value.problems)


def test_a_good_file_reads() -> None:
    regimen = parse_regimen(GOOD, "trial.yaml")
    assert (regimen.name, regimen.visits.count, regimen.session.intensity) == ("weekly", 4, 2)


@pytest.mark.parametrize(
    ("change", "line", "field", "fix"),
    [
        (("  intensity: 2\n", "  intensity: 2\n  colour: red\n"), 11, "session.colour",
         "remove it or check its spelling"),
        (("family: waistband", "family: toaster"), 3, "family", "write one of them"),
        (("  duration: 30m", "  duration: 30 minutes"), 9, "session.duration", "write it like"),
        (("  intensity: 2\n", "  intensity: 2\n  mode: pulsed\n"), 11, "session.mode",
         "add pulse_hz: 73"),
        (("  window: 1d", "  window: 4d"), 7, "visits.window", "make the window smaller"),
        (("    label: Pain overall, 0 to 10\n",
          "    label: Pain overall, 0 to 10\n    visits: [1, 9]\n"), 14,
         "measures.0.visits.1", "ask it at visits from 1 to 4"),
        (("measures:\n", "measures:\n  - id: nrs_overall\n    label: Again\n"), 14,
         "measures.1.id", "give each measure its own id"),
        (("  intensity: 2\n", "  intensity: 0\n"), 10, "session.intensity", "change the value"),
    ],
)  # fmt: skip
def test_each_error_names_the_file_line_field_and_fix(
    change: tuple[str, str], line: int, field: str, fix: str
) -> None:
    assert change[0] in GOOD
    [problem] = problems(GOOD.replace(*change))
    assert (problem.file, problem.line, problem.field) == ("trial.yaml", line, field)
    assert fix in problem.message
    assert str(problem).startswith(f"trial.yaml:{line}: {field}: ")


def test_missing_visits_is_named_with_what_to_do() -> None:
    text = GOOD.replace("visits:\n  count: 4\n  interval: 1w\n  window: 1d\n", "")
    [problem] = problems(text)
    assert (problem.line, problem.field) == (1, "visits")
    assert "missing; add it" in problem.message


def test_every_error_of_a_file_is_said_not_only_the_first() -> None:
    text = GOOD.replace("family: waistband", "family: toaster").replace("30m", "soon")
    found = problems(text)
    assert [(p.line, p.field) for p in found] == [(3, "family"), (9, "session.duration")]


def test_a_yaml_syntax_error_names_its_line() -> None:
    [problem] = problems(GOOD.replace("  count: 4\n", "  count: [4\n"))
    assert problem.file == "trial.yaml"
    assert problem.line == 6
    assert problem.field == ""
    assert "not valid YAML" in problem.message
    assert "fix the syntax there" in problem.message


def test_a_file_that_is_not_a_mapping_says_how_a_regimen_starts() -> None:
    [problem] = problems("- just\n- a list\n")
    assert problem.line == 1
    assert "irlink_regimen: 1" in problem.message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RegimenError) as caught:
        load_regimen(tmp_path / "nope.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(tmp_path / "nope.yaml"), None)
    assert "no such file" in problem.message


def test_an_arm_named_twice_points_at_the_second() -> None:
    text = example("gale-2006").read_text(encoding="utf-8").replace("name: sham", "name: infrared")
    [problem] = problems(text, "gale.yaml")
    assert problem.field == "study.arms.1.name"
    assert "give each arm its own name" in problem.message


@pytest.mark.parametrize("name", examples())
def test_every_example_reads(name: str) -> None:
    assert load_regimen(example(name)).name == name


def test_an_unknown_example_names_the_examples() -> None:
    with pytest.raises(RegimenError, match="gale-2006"):
        example("nope")
