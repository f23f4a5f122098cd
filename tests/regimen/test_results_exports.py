"""Tidy and REDCap exports: masked while blinded, SYNTHETIC in every row, nothing filled in."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from irlink.record.store import SessionLog
from irlink.regimen.results import StudyData, read_study
from irlink.regimen.results.redcap import DICTIONARY_HEADER, export_redcap
from irlink.regimen.results.tidy import COLUMNS, export_csv, export_jsonl
from tests.regimen.conftest import gale_study

ARM_WORDS = re.compile(r"sham|infrared", re.IGNORECASE)
REDCAP_HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]  # fmt: skip


def gale(path: Path) -> StudyData:
    with SessionLog.open(path, readonly=True) as log:
        return read_study(log, "gale")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def every_file(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def test_tidy_csv_has_a_row_per_participant_visit_and_item_answered(
    gale_blinded: Path, tmp_path: Path
) -> None:
    written = export_csv(gale(gale_blinded), tmp_path / "out")
    assert [(w.table, w.rows) for w in written] == [
        ("participants", 5),
        ("visits", 29),
        ("measures", 29 * 3 + 1),  # three NRS items a visit, and G1's one remark
    ]
    visits = rows(tmp_path / "out" / "visits.csv")
    assert list(visits[0]) == list(COLUMNS["visits"])
    g3_5 = next(r for r in visits if (r["participant"], r["visit"]) == ("G3", "5"))
    assert (g3_5["arm"], g3_5["outcome"], g3_5["planned_s"], g3_5["delivered_s"]) == (
        "A",
        "partial",
        "1800",
        "600",
    )
    assert g3_5["started_utc"] == "2026-02-02T09:00:00.000Z"
    g4 = [r["visit"] for r in visits if r["participant"] == "G4"]
    assert g4 == ["1", "2", "3", "4", "5", "6"]  # the missed last visit: no row made up


def test_a_blinded_study_exports_letters_and_no_arm_word(
    gale_blinded: Path, tmp_path: Path
) -> None:
    study = gale(gale_blinded)
    export_csv(study, tmp_path / "csv")
    export_redcap(study, tmp_path / "redcap")
    lines = io.StringIO()
    export_jsonl(study, lines)
    texts = {**every_file(tmp_path / "csv"), **every_file(tmp_path / "redcap")}
    texts["study.jsonl"] = lines.getvalue()
    for name, text in texts.items():
        assert ARM_WORDS.findall(text) == [], name
    arms = {r["participant"]: r["arm"] for r in rows(tmp_path / "csv" / "participants.csv")}
    assert arms == {"G1": "B", "G2": "B", "G3": "A", "G4": "A", "G5": "A"}
    fields = [
        r["Variable / Field Name"] for r in rows(tmp_path / "redcap" / "redcap_data_dictionary.csv")
    ]
    assert "arm" not in fields  # no arm, nor letter, for REDCap while blinded


def test_an_unblinded_study_exports_arm_names(gale_unblinded: Path, tmp_path: Path) -> None:
    study = gale(gale_unblinded)
    export_csv(study, tmp_path / "csv")
    export_redcap(study, tmp_path / "redcap")
    arms = {r["participant"]: r["arm"] for r in rows(tmp_path / "csv" / "participants.csv")}
    assert arms["G1"] == "infrared"
    assert arms["G3"] == "sham"
    dictionary = rows(tmp_path / "redcap" / "redcap_data_dictionary.csv")
    [arm] = [r for r in dictionary if r["Variable / Field Name"] == "arm"]
    assert (arm["Field Type"], arm["Choices, Calculations, OR Slider Labels"]) == (
        "dropdown",
        "1, infrared | 2, sham",
    )
    records = rows(tmp_path / "redcap" / "redcap_records.csv")
    g3 = next(
        r for r in records if (r["record_id"], r["redcap_event_name"]) == ("G3", "visit_1_arm_1")
    )
    assert g3["arm"] == "2"


def test_jsonl_has_every_row_with_its_table(gale_blinded: Path) -> None:
    out = io.StringIO()
    export_jsonl(gale(gale_blinded), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 5 + 29 + 88
    assert lines[0]["table"] == "participants"
    remark = next(line for line in lines if line["table"] == "measures" and line["kind"] == "text")
    assert (remark["participant"], remark["text"], remark["score"]) == (
        "G1",
        "warm and pleasant",
        None,
    )


def test_the_redcap_dictionary_has_redcaps_headers_and_record_id_first(
    gale_blinded: Path, tmp_path: Path
) -> None:
    export_redcap(gale(gale_blinded), tmp_path)
    with (tmp_path / "redcap_data_dictionary.csv").open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    assert header == REDCAP_HEADER == list(DICTIONARY_HEADER)
    dictionary = rows(tmp_path / "redcap_data_dictionary.csv")
    assert dictionary[0]["Variable / Field Name"] == "record_id"
    nrs = next(r for r in dictionary if r["Variable / Field Name"] == "nrs_overall")
    assert (nrs["Form Name"], nrs["Field Type"]) == ("before_session", "text")
    validation = "Text Validation Type OR Show Slider Number"
    assert (nrs[validation], nrs["Text Validation Min"], nrs["Text Validation Max"]) == (
        "integer",
        "0",
        "10",
    )
    assert nrs["Required Field?"] == "y"
    remarks = next(r for r in dictionary if r["Variable / Field Name"] == "remarks")
    assert (remarks["Form Name"], remarks["Field Type"]) == ("after_session", "notes")


def test_every_records_column_is_a_dictionary_field(gale_blinded: Path, tmp_path: Path) -> None:
    export_redcap(gale(gale_blinded), tmp_path)
    fields = {r["Variable / Field Name"] for r in rows(tmp_path / "redcap_data_dictionary.csv")}
    with (tmp_path / "redcap_records.csv").open(encoding="utf-8", newline="") as file:
        columns = next(csv.reader(file))
    assert columns[:2] == ["record_id", "redcap_event_name"]
    assert set(columns) - {"redcap_event_name"} <= fields


def test_redcap_records_are_one_row_per_visit_with_values_as_redcap_takes_them(
    gale_blinded: Path, tmp_path: Path
) -> None:
    export_redcap(gale(gale_blinded), tmp_path)
    records = rows(tmp_path / "redcap_records.csv")
    assert len(records) == 29  # every visit in the log; G4's missed last visit has none
    first = next(
        r for r in records if (r["record_id"], r["redcap_event_name"]) == ("G3", "visit_1_arm_1")
    )
    assert (first["enrolled_at"], first["visit_started"], first["nrs_overall"]) == (
        "2026-01-05 09:00",
        "2026-01-05 09:00",
        "7",
    )
    late = next(
        r for r in records if (r["record_id"], r["redcap_event_name"]) == ("G3", "visit_4_arm_1")
    )
    assert (late["visit_on_time"], late["visit_override_reason"], late["enrolled_at"]) == (
        "0",
        "away on holiday",
        "",  # the participant form belongs to the first visit's event only
    )
    cut = next(
        r for r in records if (r["record_id"], r["redcap_event_name"]) == ("G3", "visit_5_arm_1")
    )
    assert (cut["visit_planned_min"], cut["visit_delivered_min"], cut["visit_outcome"]) == (
        "30.0",
        "10.0",
        "2",  # partial
    )
    assert {r["remarks"] for r in records} == {"", "warm and pleasant"}


def test_redcap_events_and_their_forms_set_up_the_longitudinal_project(
    gale_blinded: Path, tmp_path: Path
) -> None:
    export_redcap(gale(gale_blinded), tmp_path)
    events = rows(tmp_path / "redcap_events.csv")
    assert [e["unique_event_name"] for e in events] == [f"visit_{n}_arm_1" for n in range(1, 8)]
    assert (events[2]["event_name"], events[2]["arm_num"], events[2]["day_offset"]) == (
        "Visit 3",
        "1",
        "14",
    )
    assert (events[2]["offset_min"], events[2]["offset_max"]) == ("1", "1")
    designations = rows(tmp_path / "redcap_instrument_designations.csv")
    assert list(designations[0]) == ["arm_num", "unique_event_name", "form"]
    forms = {}
    for row in designations:
        forms.setdefault(row["unique_event_name"], []).append(row["form"])
    assert forms["visit_1_arm_1"] == ["participant", "visit", "before_session", "after_session"]
    assert forms["visit_2_arm_1"] == ["visit", "before_session", "after_session"]


def test_a_synthetic_study_says_synthetic_in_every_row_of_every_export(tmp_path: Path) -> None:
    study = gale(gale_study(tmp_path / "s.db", synthetic=True))
    export_csv(study, tmp_path / "csv")
    export_redcap(study, tmp_path / "redcap")
    for table in ("participants", "visits", "measures"):
        assert {r["origin"] for r in rows(tmp_path / "csv" / f"{table}.csv")} == {"SYNTHETIC"}
    records = rows(tmp_path / "redcap" / "redcap_records.csv")
    assert {r["data_origin"] for r in records} == {"SYNTHETIC"}
    out = io.StringIO()
    export_jsonl(study, out)
    assert all(json.loads(line)["origin"] == "SYNTHETIC" for line in out.getvalue().splitlines())


def test_a_recorded_study_says_recorded(gale_blinded: Path, tmp_path: Path) -> None:
    export_csv(gale(gale_blinded), tmp_path)
    assert {r["origin"] for r in rows(tmp_path / "visits.csv")} == {"recorded"}
