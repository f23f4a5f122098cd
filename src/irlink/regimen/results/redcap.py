"""A study for REDCap: its data dictionary, its records, its events and each event's forms.

Four CSV files set up and fill a longitudinal REDCap project with one event per visit
(``Visit 1`` ..., in REDCap's single arm: ``visit_1_arm_1`` ...):

- ``redcap_data_dictionary.csv``: the 18 columns of REDCap's Data Dictionary upload,
  headers exactly as REDCap writes them; ``record_id`` first. Forms: ``participant``
  (enrolment, withdrawal; the arm only once the study is unblinded: no arm and no
  letter while it is blinded), ``visit`` (times, on time, minutes planned and
  delivered, outcome), ``before_session`` and ``after_session`` (the regimen's items,
  each in the phase it is asked in; a form with no item is left out).
- ``redcap_records.csv``: ``record_id`` (the participant's code), ``redcap_event_name``,
  then every other field; a row per participant and visit in the log, and visit 1
  always (it carries the participant form). Only the fields of the forms an event has
  are filled.
- ``redcap_events.csv``: ``event_name,arm_num,day_offset,offset_min,offset_max,
  unique_event_name,custom_event_label``, as the events upload and the API take them.
- ``redcap_instrument_designations.csv``: ``arm_num,unique_event_name,form``.

What was chosen, and why: an NRS item is a ``text`` field validated as ``integer`` from
0 to 10, not a 0-10 ``radio``: REDCap checks the range on import as on entry, and
exports it as a number, where its R, SAS and Stata scripts would make a radio a
labelled category to turn back into a number before any mean. Times are
``datetime_ymd``, written ``YYYY-MM-DD HH:MM`` (REDCap's import format, whatever the
display) in UTC, which the field notes say (REDCap keeps no time zone). Minutes are
``number_1dp``; yes/no fields 1 or 0; a dropdown its code; an unknown value a blank
cell. The ``<form>_complete`` status fields are left out: REDCap makes them.
``data_origin``, read-only, says in every row SYNTHETIC (a rehearsal made by ``irlink
study simulate``, never evidence) or ``recorded``, in words that need no dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from irlink.record.export import Written, write_csv
from irlink.record.store import RecordError
from irlink.regimen.results.records import Item, Participant, StudyData, Visit
from irlink.regimen.results.tidy import origin

__all__ = ["DICTIONARY_HEADER", "OUTCOMES", "Field", "dictionary", "export_redcap"]

DICTIONARY_HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)  # fmt: skip
OUTCOMES = ("completed", "partial", "not_started", "unknown", "missed")
PHASE_FORMS = {"before": "before_session", "after": "after_session"}
ARM_NUM = 1  # REDCap's own arms are not the study's: every event is in its one arm
UTC_NOTE = "UTC, YYYY-MM-DD HH:MM"
EVENTS_HEADER = (
    "event_name", "arm_num", "day_offset", "offset_min", "offset_max", "unique_event_name",
    "custom_event_label",
)  # fmt: skip
DESIGNATIONS_HEADER = ("arm_num", "unique_event_name", "form")


@dataclass(frozen=True, slots=True)
class Field:
    """One row of the data dictionary (the columns it leaves blank are blank)."""

    name: str
    form: str
    kind: str  # text, notes, dropdown, yesno
    label: str
    section: str = ""
    choices: str = ""
    note: str = ""
    validation: str = ""
    low: str = ""
    high: str = ""
    required: bool = False
    annotation: str = ""

    def row(self) -> dict[str, str]:
        """The field as a data dictionary row, keyed by REDCap's headers."""
        values = (self.name, self.form, self.section, self.kind, self.label, self.choices,
                  self.note, self.validation, self.low, self.high, "", "",
                  "y" if self.required else "", "", "", "", "", self.annotation)  # fmt: skip
        return dict(zip(DICTIONARY_HEADER, values, strict=True))


def _coded(names: tuple[str, ...] | list[str]) -> str:
    return " | ".join(f"{i}, {name.replace('_', ' ')}" for i, name in enumerate(names, 1))


def dictionary(study: StudyData) -> list[Field]:
    """The study's fields, form by form, ``record_id`` first."""
    fields = [
        Field("record_id", "participant", "text", "Participant code (pseudonymous)",
              section="Participant"),
        Field("enrolled_at", "participant", "text", "Enrolled", note=UTC_NOTE,
              validation="datetime_ymd"),
        Field("stratum", "participant", "text", "Stratum (factor=level, ...)"),
        Field("withdrawn_at", "participant", "text", "Withdrawn", note=UTC_NOTE,
              validation="datetime_ymd"),
        Field("withdrawn_reason", "participant", "notes", "Why the participant withdrew"),
    ]  # fmt: skip
    if not study.blinded:
        fields.append(Field("arm", "participant", "dropdown", "Arm", choices=_coded(study.groups)))
    fields += [
        Field("visit_started", "visit", "text", "Visit started", section="Visit",
              note=UTC_NOTE, validation="datetime_ymd"),
        Field("visit_ended", "visit", "text", "Visit ended", note=UTC_NOTE,
              validation="datetime_ymd"),
        Field("visit_on_time", "visit", "yesno", "Inside its window"),
        Field("visit_override_reason", "visit", "notes",
              "Why a visit outside its window went ahead"),
        Field("visit_planned_min", "visit", "text", "Minutes planned", validation="number_1dp"),
        Field("visit_delivered_min", "visit", "text", "Minutes delivered",
              note="by the device's own count; blank when not known", validation="number_1dp"),
        Field("visit_outcome", "visit", "dropdown", "How the session ended",
              choices=_coded(OUTCOMES)),
        Field("data_origin", "visit", "text", "Data origin: SYNTHETIC (a rehearsal, never "
              "evidence) or recorded", annotation="@READONLY"),
    ]  # fmt: skip
    taken = {f.name for f in fields}
    for phase, form in PHASE_FORMS.items():
        items = [item for item in study.items if item.phase == phase]
        for i, item in enumerate(items):
            if item.id in taken:
                raise RecordError(
                    f"the regimen's item {item.id} has the name of a field irlink gives "
                    "REDCap; export as csv instead (irlink study export --format csv)"
                )
            fields.append(_item_field(item, form, f"Asked {phase} the session" if i == 0 else ""))
    return fields


def _item_field(item: Item, form: str, section: str) -> Field:
    if item.kind == "nrs":
        return Field(item.id, form, "text", item.label, section=section,
                     note="0 (no pain) to 10 (worst pain imaginable)", validation="integer",
                     low="0", high="10", required=item.required)  # fmt: skip
    return Field(item.id, form, "notes", item.label, section=section, required=item.required)


def _event(number: int) -> str:
    return f"visit_{number}_arm_{ARM_NUM}"


def _forms_at(study: StudyData, number: int) -> list[str]:
    forms = (["participant"] if number == 1 else []) + ["visit"]
    return forms + [
        form
        for phase, form in PHASE_FORMS.items()
        if any(item.phase == phase and number in item.visits for item in study.items)
    ]


def _days(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.2f}"


def _when(at: datetime | None) -> str | None:
    return None if at is None else at.strftime("%Y-%m-%d %H:%M")


def _minutes(seconds: int | None) -> str | None:
    return None if seconds is None else f"{seconds / 60:.1f}"


def _values(
    study: StudyData, person: Participant, visit: Visit | None, number: int
) -> dict[str, Any]:
    """A record's fields at the event of visit ``number`` (only its forms' fields)."""
    values: dict[str, Any] = {"data_origin": origin(study)}
    if number == 1:
        values |= {
            "enrolled_at": _when(person.enrolled),
            "stratum": person.stratum,
            "withdrawn_at": _when(person.withdrawn),
            "withdrawn_reason": person.withdrawn_reason,
        }
        if not study.blinded:
            values["arm"] = study.groups.index(person.group) + 1
    if visit is None:
        return values
    values |= {
        "visit_started": _when(visit.started),
        "visit_ended": _when(visit.ended),
        "visit_on_time": int(visit.on_time),
        "visit_override_reason": visit.override_reason,
        "visit_planned_min": _minutes(visit.planned_s),
        "visit_delivered_min": _minutes(visit.delivered_s),
        "visit_outcome": OUTCOMES.index(visit.outcome) + 1 if visit.outcome in OUTCOMES else None,
    }
    asked = {item.id: item for item in study.items if number in item.visits}
    for answer in visit.answers:
        item = asked.get(answer.item)
        if item is not None and item.phase == answer.phase:
            values[item.id] = answer.score if item.kind == "nrs" else answer.text
    return values


def _records(study: StudyData, fields: list[Field]) -> list[dict[str, Any]]:
    names = [f.name for f in fields if f.name != "record_id"]
    rows = []
    for person in study.participants:
        numbers = sorted({1} | {v.number for v in person.visits})
        for number in numbers:
            values = _values(study, person, person.visit(number), number)
            row = {"record_id": person.code, "redcap_event_name": _event(number)}
            rows.append(row | {name: values.get(name) for name in names})
    return rows


def export_redcap(study: StudyData, folder: str | Path) -> list[Written]:
    """Write the four REDCap CSV files into ``folder`` (made if missing)."""
    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    fields = dictionary(study)
    interval_d = study.interval.total_seconds() / 86400
    window_d = _days(study.window.total_seconds() / 86400)
    numbers = range(1, study.visit_count + 1)
    events = [
        dict(zip(EVENTS_HEADER, (f"Visit {n}", ARM_NUM, _days((n - 1) * interval_d), window_d,
                                 window_d, _event(n), ""), strict=True))
        for n in numbers
    ]  # fmt: skip
    designations = [
        dict(zip(DESIGNATIONS_HEADER, (ARM_NUM, _event(n), form), strict=True))
        for n in numbers
        for form in _forms_at(study, n)
    ]
    records_header = ("record_id", "redcap_event_name", *[f.name for f in fields[1:]])
    files = {
        "redcap_data_dictionary": (DICTIONARY_HEADER, [f.row() for f in fields]),
        "redcap_records": (records_header, _records(study, fields)),
        "redcap_events": (EVENTS_HEADER, events),
        "redcap_instrument_designations": (DESIGNATIONS_HEADER, designations),
    }
    written = []
    for name, (header, rows) in files.items():
        path = where / f"{name}.csv"
        written.append(Written(name, path, write_csv(path, header, rows)))
    return written
