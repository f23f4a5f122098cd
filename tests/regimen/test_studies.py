"""Studies in the session log: create, enrol, withdraw, miss, unblind, and the audit trail."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from irlink.record.opening import RecordingFailed
from irlink.record.rows import user_name
from irlink.record.store import SessionLog
from irlink.regimen import example, parse_regimen
from irlink.regimen.allocation import allocation_list
from irlink.regimen.overview import audit_trail, slots, studies
from irlink.regimen.studies import (
    Participant,
    StudyError,
    create_study,
    enrol,
    find_participant,
    find_study,
    participants,
    unblind,
    withdraw,
)
from irlink.regimen.visits import due_visit, miss_visit, visits_of
from tests.regimen.conftest import TRIAL, regimen

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_study_is_created_with_its_sealed_list(log: SessionLog) -> None:
    study = create_study(log, TRIAL, source="trial.yaml", now=NOW)
    assert (study.name, study.kind, study.blinded, study.synthetic) == (
        "gale-2006", "study", True, False,
    )  # fmt: skip
    assert study.created == NOW
    [(stratum, length)] = slots(log, study).items()
    assert stratum == ""
    assert 12 <= length < 12 + 6  # whole blocks, the largest of 6
    assert [s.name for s in studies(log)] == ["gale-2006"]


def test_a_regimen_without_a_study_makes_a_course(log: SessionLog) -> None:
    course = create_study(log, example("firmat-home").read_text(encoding="utf-8"))
    assert (course.kind, course.blinded) == ("course", False)
    assert slots(log, course) == {}
    assert enrol(log, course, "ME").code == "ME"


def test_a_study_name_is_taken_once(log: SessionLog) -> None:
    create_study(log, TRIAL)
    with pytest.raises(StudyError, match=r"already exists.*--name"):
        create_study(log, TRIAL)
    assert create_study(log, TRIAL, name="gale-2006-b").name == "gale-2006-b"


def test_enrolment_never_hands_out_an_arm(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    person = enrol(log, study, "P01", now=NOW)
    assert "arm" not in {f.name for f in dataclasses.fields(Participant)}
    assert "infrared" not in repr(person)
    assert "sham" not in repr(person)
    assert (person.code, person.stratum, person.enrolled) == ("P01", "", NOW)


def test_participants_take_the_list_in_order(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    codes = [f"P{n:02}" for n in range(1, 9)]
    for code in codes:
        enrol(log, study, code)
    arms = unblind(log, study, "analysis")
    listed = allocation_list(["infrared", "sham"], [1, 1], [2, 4, 6], seed=2006, size=12)
    assert [arms[code] for code in codes] == [slot.arm for slot in listed[: len(codes)]]


def test_each_stratum_takes_its_own_list(log: SessionLog) -> None:
    study = create_study(log, regimen(strata="{site: [a, b]}"))
    assert set(slots(log, study)) == {"site=a", "site=b"}
    enrol(log, study, "A1", stratum={"site": "a"})
    person = enrol(log, study, "B1", stratum={"site": "b"})
    assert person.stratum == "site=b"
    arms = unblind(log, study, "analysis")
    for code, site in (("A1", "site=a"), ("B1", "site=b")):
        [first, *_] = allocation_list(
            ["infrared", "sham"], [1, 1], [2, 4, 6], seed=2006, size=12, stratum=site
        )
        assert arms[code] == first.arm


@pytest.mark.parametrize(
    ("given", "said"),
    [({}, "--stratum site=LEVEL"), ({"site": "c"}, "the levels are a, b")],
)
def test_a_stratified_study_needs_a_known_level(
    log: SessionLog, given: dict[str, str], said: str
) -> None:
    study = create_study(log, regimen(strata="{site: [a, b]}"))
    with pytest.raises(StudyError, match=said):
        enrol(log, study, "P01", stratum=given)


def test_an_unstratified_study_refuses_a_stratum(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    with pytest.raises(StudyError, match="not stratified"):
        enrol(log, study, "P01", stratum={"site": "a"})


@pytest.mark.parametrize("code", ["John Smith", "1970-01-01", "01.02.1970", "", "P" * 40])
def test_a_code_that_could_identify_someone_is_refused(log: SessionLog, code: str) -> None:
    study = create_study(log, TRIAL)
    with pytest.raises(StudyError, match="pseudonymous code"):
        enrol(log, study, code)
    assert participants(log, study) == []


def test_a_code_enrols_once(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01")
    with pytest.raises(StudyError, match="already enrolled"):
        enrol(log, study, "P01")


def test_a_used_up_list_says_so_and_how_to_go_on(log: SessionLog) -> None:
    study = create_study(log, regimen(size="2").replace("blocks: [2, 4, 6]", "blocks: [2]"))
    enrol(log, study, "P01")
    enrol(log, study, "P02")
    with pytest.raises(StudyError, match=r"used up at 2 participants; raise allocation\.size"):
        enrol(log, study, "P03")


def test_a_withdrawn_participant_keeps_their_record_and_has_no_more_visits(
    log: SessionLog,
) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01")
    person = withdraw(log, study, "P01", "moved away", now=NOW)
    assert (person.withdrawn, person.withdrawn_reason) == (NOW, "moved away")
    with pytest.raises(StudyError, match="already withdrawn"):
        withdraw(log, study, "P01", "again")
    with pytest.raises(StudyError, match="withdrawn"):
        miss_visit(log, study, person, "did not come", NOW)


def test_a_missed_visit_is_recorded_and_the_next_becomes_due(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    person = enrol(log, study, "P01")
    assert miss_visit(log, study, person, "did not come", NOW) == 1
    [visit] = visits_of(log, person)
    assert (visit.number, visit.state, visit.outcome, visit.detail) == (
        1, "missed", "missed", "did not come",
    )  # fmt: skip
    assert due_visit(log, study, person).number == 2


@pytest.mark.parametrize("action", ["withdraw", "miss", "unblind"])
def test_withdrawing_missing_and_unblinding_need_a_reason(log: SessionLog, action: str) -> None:
    study = create_study(log, TRIAL)
    person = enrol(log, study, "P01")
    attempts: dict[str, Callable[[], object]] = {
        "withdraw": lambda: withdraw(log, study, "P01", "  "),
        "miss": lambda: miss_visit(log, study, person, "", NOW),
        "unblind": lambda: unblind(log, study, " "),
    }
    with pytest.raises(StudyError, match="needs a reason"):
        attempts[action]()
    assert [e.action for e in audit_trail(log, study)] == ["created", "enrolled"]
    assert find_study(log, study.name).blinded


def test_one_participant_unblinded_leaves_the_study_blinded(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    enrol(log, study, "P01")
    enrol(log, study, "P02")
    arms = unblind(log, study, "emergency: rash", code="P02", now=NOW)
    assert list(arms) == ["P02"]
    assert arms["P02"] in ("infrared", "sham")
    assert find_study(log, study.name).blinded
    assert find_participant(log, study, "P02").unblinded == NOW
    assert find_participant(log, study, "P01").unblinded is None


def test_unblinding_the_study_is_audited_with_who_where_and_why(log: SessionLog) -> None:
    study = create_study(log, TRIAL, now=NOW)
    enrol(log, study, "P01", now=NOW)
    arms = unblind(log, study, "final analysis", now=NOW + timedelta(days=60))
    assert set(arms) == {"P01"}
    again = find_study(log, study.name)
    assert (again.blinded, again.unblinded) == (False, NOW + timedelta(days=60))
    last = audit_trail(log, study)[-1]
    assert (last.action, last.reason, last.participant) == ("unblinded", "final analysis", None)
    assert (last.user, last.host) == (user_name(), socket.gethostname())
    assert last.data == {"whole": True}
    with pytest.raises(StudyError, match="was unblinded at"):
        unblind(log, again, "again")


def test_the_audit_trail_keeps_every_action_in_order(log: SessionLog) -> None:
    study = create_study(log, TRIAL, now=NOW)
    person = enrol(log, study, "P01", now=NOW)
    miss_visit(log, study, person, "ill", NOW)
    withdraw(log, study, "P01", "moved", now=NOW)
    trail = audit_trail(log, study)
    assert [(e.action, e.participant, e.reason) for e in trail] == [
        ("created", None, None),
        ("enrolled", "P01", None),
        ("missed", "P01", "ill"),
        ("withdrawn", "P01", "moved"),
    ]
    assert all(e.at == NOW for e in trail)


def test_a_study_that_was_never_blinded_has_nothing_to_unblind(log: SessionLog) -> None:
    study = create_study(log, TRIAL.replace("blinded: true", "blinded: false"))
    with pytest.raises(StudyError, match="is not blinded"):
        unblind(log, study, "why")


def test_a_course_has_no_arms_to_unblind(log: SessionLog) -> None:
    course = create_study(log, example("firmat-home").read_text(encoding="utf-8"))
    with pytest.raises(StudyError, match="course"):
        unblind(log, course, "why")


def test_an_unknown_study_names_the_ones_there_are(log: SessionLog) -> None:
    create_study(log, TRIAL)
    with pytest.raises(StudyError, match="the studies here are gale-2006"):
        find_study(log, "gale")


def test_a_study_that_cannot_be_written_raises_recording_failed(log: SessionLog) -> None:
    readonly = SessionLog.open(log.path, readonly=True)
    try:
        with pytest.raises(RecordingFailed, match="nothing was changed"):
            create_study(readonly, TRIAL)
    finally:
        readonly.close()


def test_the_regimen_is_kept_whole_with_the_study(log: SessionLog) -> None:
    study = create_study(log, TRIAL)
    assert study.regimen == parse_regimen(TRIAL)
