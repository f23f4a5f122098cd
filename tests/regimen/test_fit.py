"""Whether a regimen fits a device: settings, ports, sham and visits a day against its limits."""

from __future__ import annotations

import pytest

from irlink.cli.regimen_check import profile_info
from irlink.regimen import example, examples, load_regimen, parse_regimen
from irlink.regimen.fit import describe, misfits

GALE = example("gale-2006").read_text(encoding="utf-8")


def found(text: str, family: str) -> list[tuple[int | None, str, str]]:
    """Each misfit of ``text`` on ``family``'s profile as (line, field, message)."""
    problems = misfits(parse_regimen(text), profile_info(family), text=text, name="r.yaml")
    assert all(p.file == "r.yaml" for p in problems)
    return [(p.line, p.field, p.message) for p in problems]


@pytest.mark.parametrize("name", examples())
def test_every_example_fits_its_family(name: str) -> None:
    regimen = load_regimen(example(name))
    assert misfits(regimen, profile_info(regimen.family)) == []


def test_a_session_longer_than_the_device_allows_names_the_limit_and_fix() -> None:
    [(line, field, message)] = found(GALE.replace("duration: 30m", "duration: 90m"), "waistband")
    assert (line, field) == (15, "session.duration")
    assert message == "1h30m is above this device's maximum session of 1h; choose at most 1h"


def test_every_setting_refused_is_said_not_only_the_first() -> None:
    text = GALE.replace("duration: 30m", "duration: 90m").replace("intensity: 2", "intensity: 9")
    assert [field for _, field, _ in found(text, "waistband")] == [
        "session.duration",
        "session.intensity",
    ]


def test_a_regimen_for_another_family_is_refused() -> None:
    [(line, field, message)] = found(GALE, "multiport")
    assert (line, field) == (9, "family")
    assert "this regimen is for a waistband, and IRL-M2 is a multiport" in message


def test_a_port_the_device_lacks_is_refused() -> None:
    text = example("pbm-3x-week").read_text(encoding="utf-8").replace("multiport", "waistband")
    [(_, field, message)] = found(text, "waistband")
    assert field == "session.ports.1"
    assert message == "port 2: this device has port 1; list only those ports"


def test_a_sham_arm_on_a_device_without_sham_is_refused() -> None:
    text = GALE.replace("family: waistband", "family: multiport").replace("intensity: 2", "")
    [(line, field, message)] = found(text, "multiport")
    assert (line, field) == (33, "study.arms.1.sham")
    assert message.startswith("this device has no sham mode; drop the sham arm")


def test_more_visits_a_day_than_the_device_starts_is_refused() -> None:
    text = GALE.replace("interval: 1w\n  window: 1d", "interval: 6h\n  window: 1h")
    [(_, field, message)] = found(text, "waistband")
    assert field == "visits.interval"
    assert "starts 4 sessions per port in 24 hours" in message
    assert "allows 3; make the interval at least 8h" in message
    assert found(GALE.replace("interval: 1w\n  window: 1d", "interval: 8h"), "waistband") == []


def test_a_hot_setpoint_needs_override_in_the_regimen() -> None:
    text = (
        example("firmat-home").read_text(encoding="utf-8").replace("setpoint: 43", "setpoint: 60")
    )
    [(_, field, message)] = found(text, "firmat")
    assert field == "session.setpoint"
    assert "add override: true to session" in message
    assert found(text.replace("setpoint: 60", "setpoint: 60\n  override: true"), "firmat") == []


def test_without_the_file_text_a_misfit_has_no_line() -> None:
    regimen = parse_regimen(GALE.replace("duration: 30m", "duration: 90m"))
    [problem] = misfits(regimen, profile_info("waistband"))
    assert (problem.file, problem.line) == ("<regimen>", None)


def test_describe_says_the_course_in_a_line() -> None:
    assert describe(load_regimen(example("gale-2006"))) == (
        "7 visits of 30m at level 2, continuous, on port 1, one every 1w (± 1d); "
        "arms infrared, sham (sham)"
    )
    assert "pulsed at 73 Hz, on ports 1, 2, one every 56h" in describe(
        load_regimen(example("pbm-3x-week"))
    )
