"""Blinded studies in the log: which devices they mask, and every reader of masked rows."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import irlink.sync
from irlink.record import SessionLog
from irlink.record.blinding import blind_policy, blinded_studies, study_device_ids
from irlink.record.export import export_csv, export_jsonl
from irlink.record.report import write_report
from tests.record.logs import add_study, make_blinded_log


@pytest.fixture(scope="module")
def blinded_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`make_blinded_log`: 0042 masked in study gale-2006, 0043 masked, 0101 real."""
    path = tmp_path_factory.mktemp("blinded") / "log.db"
    make_blinded_log(path)
    return path


def info_of(serial: str) -> irlink.Info:
    with irlink.sync.connect(f"sim://waistband?serial={serial}") as device:
        return device.info


def test_a_device_is_blinded_by_the_blinded_studies_that_use_it(
    blinded_log: Path, tmp_path: Path
) -> None:
    path = Path(shutil.copy(blinded_log, tmp_path / "log.db"))
    add_study(path, "open-label", "0101", blinded=False)
    add_study(path, "pbm-3x", "0042")
    with sqlite3.connect(path) as db:
        model = info_of("0042").model
        assert blinded_studies(db, "waistband", model, "0042", True) == ["gale-2006", "pbm-3x"]
        assert blinded_studies(db, "waistband", model, "0042", False) == []  # a real 0042
        assert blinded_studies(db, "waistband", model, "0101", True) == []  # not blinded
        assert blinded_studies(db, "waistband", model, "0043", True) == []
        ids = dict(db.execute("SELECT serial, id FROM devices"))
        assert study_device_ids(db) == {ids["0042"], ids["0101"]}
    db.close()


def test_the_policy_reads_the_log_by_path_or_open_and_blinds_the_studies_devices(
    blinded_log: Path,
) -> None:
    info = info_of("0042")
    policy = blind_policy(blinded_log, simulated=True)
    assert policy(info)
    assert policy.studies == ["gale-2006"]
    assert not policy(info_of("0101"))
    assert policy.studies == []
    assert not blind_policy(blinded_log)(info)  # the log keeps simulators apart
    with SessionLog.open(blinded_log, readonly=True) as log:
        assert blind_policy(log, simulated=True)(info)


def test_without_a_log_or_a_study_table_nothing_is_blinded(tmp_path: Path) -> None:
    info = info_of("0042")
    missing = tmp_path / "none.db"
    assert not blind_policy(missing, simulated=True)(info)
    assert not missing.exists()  # only read: never made
    with sqlite3.connect(tmp_path / "old.db") as db:  # a log before studies
        db.execute("CREATE TABLE devices (id INTEGER)")
        assert blinded_studies(db, "waistband", info.model, "0042", True) == []
        assert study_device_ids(db) == set()
    db.close()


def test_export_leaves_a_masked_sham_empty_in_csv_and_null_in_json_lines(
    blinded_log: Path, tmp_path: Path
) -> None:
    with SessionLog.open(blinded_log, readonly=True) as log:
        export_csv(log, tmp_path)
        stream = io.StringIO()
        export_jsonl(log, stream)

    def sham_of(table: str) -> dict[str, set[str]]:
        with (tmp_path / f"{table}.csv").open(newline="") as rows:
            found: dict[str, set[str]] = {}
            for row in csv.DictReader(rows):
                found.setdefault(row["device_serial"], set()).add(row["sham"])
        return found

    expected = {"0042": {""}, "0043": {""}, "0101": {"false"}}
    assert sham_of("sessions") == expected
    assert sham_of("samples") == expected
    rows = [json.loads(line) for line in stream.getvalue().splitlines()]
    for table in ("sessions", "samples"):
        found = {(r["device_serial"], r["sham"]) for r in rows if r["table"] == table}
        assert found == {("0042", None), ("0043", None), ("0101", False)}
    configured = [r for r in rows if r["table"] == "commands" and r["name"] == "configure"]
    assert [r["args"].get("sham", False) for r in configured] == [None, None, False]


def test_the_report_says_masked_for_a_studys_device_and_unknown_elsewhere(
    blinded_log: Path, tmp_path: Path
) -> None:
    with SessionLog.open(blinded_log, readonly=True) as log:
        write_report(log, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    sections = {
        serial: page[page.index(f"serial {serial} · simulated</h2>") :].split("</section>")[0]
        for serial in ("0042", "0043", "0101")
    }
    assert "<td>masked (blinded study)</td>" in sections["0042"]
    assert "<td>?</td>" in sections["0043"]
    assert "<td>no</td>" in sections["0101"]
    assert "<td>sham</td>" not in page
