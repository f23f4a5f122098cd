"""Reading a study from the log: letters while it is blinded, names once it is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from irlink.record.store import RecordError, SessionLog
from irlink.regimen.results import StudyData, StudyNotFound, read_study
from irlink.regimen.results.masking import HIDDEN
from tests.regimen.studies import StudyLog, VisitRow


def study_in(path: Path, name: str = "gale") -> StudyData:
    with SessionLog.open(path, readonly=True) as log:
        return read_study(log, name)


def test_a_blinded_study_shows_each_arm_as_its_sealed_letter_and_no_name(
    gale_blinded: Path,
) -> None:
    study = study_in(gale_blinded)
    assert study.blinded
    assert study.groups == ("A", "B")  # by letter: the regimen's order would tell
    assert {(p.code, p.group, p.arm) for p in study.participants} == {
        ("G1", "B", None),
        ("G2", "B", None),
        ("G3", "A", None),
        ("G4", "A", None),
        ("G5", "A", None),
    }
    assert "sham" not in repr(study).lower()
    assert "infrared" not in repr(study).lower()


def test_a_participant_unblinded_alone_stays_under_their_letter(gale_blinded: Path) -> None:
    [g5] = [p for p in study_in(gale_blinded).participants if p.code == "G5"]
    assert g5.unblinded
    assert (g5.group, g5.arm) == ("A", None)


def test_regimen_text_that_names_an_arm_is_left_out_while_blinded(gale_blinded: Path) -> None:
    study = study_in(gale_blinded)
    assert study.title is None  # "... sham-controlled (Gale 2006)"
    assert study.regimen == "gale-2006"
    assert study.items[0].label.startswith("Your low-back pain overall")


def test_an_unblinded_study_shows_arms_by_name_compared_with_the_sham(
    gale_unblinded: Path,
) -> None:
    study = study_in(gale_unblinded)
    assert not study.blinded
    assert study.groups == ("infrared", "sham")
    assert study.reference == "sham"
    assert study.title is not None
    assert "sham-controlled" in study.title
    assert {p.code: p.arm for p in study.participants}["G1"] == "infrared"
    assert all(p.group == p.arm for p in study.participants)


def test_the_study_keeps_every_visit_its_sessions_and_answers(gale_blinded: Path) -> None:
    study = study_in(gale_blinded)
    g3 = next(p for p in study.participants if p.code == "G3")
    assert [v.number for v in g3.visits] == list(range(1, 8))
    late = g3.visit(4)
    assert late is not None
    assert (late.on_time, late.override_reason) == (False, "away on holiday")
    cut = g3.visit(5)
    assert cut is not None
    assert (cut.outcome, cut.sessions[0].delivered_s, cut.sessions[0].planned_s) == (
        "partial",
        600,
        1800,
    )
    assert cut.score("nrs_overall", "before") == 7
    assert cut.score("nrs_overall", "after") is None
    g2 = next(p for p in study.participants if p.code == "G2")
    assert g2.withdrawn_reason == "moved away"


def test_an_unknown_study_names_the_studies_there_and_the_command_that_lists_them(
    gale_blinded: Path,
) -> None:
    with pytest.raises(StudyNotFound, match=r"no study named 'nope' \(it has: gale\)") as caught:
        study_in(gale_blinded, "nope")
    assert "see `irlink study status`" in str(caught.value)


def test_a_log_without_studies_says_it_has_none_yet(tmp_path: Path) -> None:
    SessionLog.open(tmp_path / "empty.db").close()
    with pytest.raises(StudyNotFound, match=r"\(it has: none yet\)"):
        study_in(tmp_path / "empty.db")


def test_sealed_letters_that_do_not_cover_the_arms_are_refused(tmp_path: Path) -> None:
    StudyLog(tmp_path / "bad.db", letters={"infrared": "A"})
    with pytest.raises(RecordError, match="sealed letters do not cover its arms"):
        study_in(tmp_path / "bad.db")


@pytest.mark.parametrize("blinded", [True, False])
def test_what_people_wrote_that_names_an_arm_is_hidden_while_blinded(
    tmp_path: Path, blinded: bool
) -> None:
    log = StudyLog(tmp_path / "words.db", blinded=blinded)
    log.enrol(
        "W1",
        "sham",
        VisitRow(texts={"remarks": "I think mine is the Sham belt"}),
        VisitRow(override="the infrared unit was charging", on_time=False),
        withdrawn=(9, "felt no heat: sham?"),
    )
    [w1] = study_in(tmp_path / "words.db").participants
    first, second = w1.visits
    written = (first.answers[0].text, second.override_reason, w1.withdrawn_reason)
    if blinded:
        assert written == (HIDDEN, HIDDEN, HIDDEN)
    else:
        assert written == (
            "I think mine is the Sham belt",
            "the infrared unit was charging",
            "felt no heat: sham?",
        )
