"""Exporting the session log: tidy CSV tables and JSON lines, filtered, as the log holds them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from irlink.record import SessionLog
from irlink.record.export import export_csv, export_jsonl
from irlink.record.samples import read_samples
from irlink.record.tidy import COLUMNS, TABLES
from tests.record.logs import Ran, make_log


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Ran]]:
    path = tmp_path_factory.mktemp("export") / "log.db"
    return path, make_log(path)


@pytest.fixture
def log(made: tuple[Path, list[Ran]]) -> Iterator[SessionLog]:
    with SessionLog.open(made[0], readonly=True) as opened:
        yield opened


def port_samples(log: SessionLog, serial: str | None = None) -> int:
    """Port samples kept, counted the way the log itself reads them back."""
    ids = [
        row[0]
        for row in log.db.execute(
            "SELECT c.id FROM connections c JOIN devices d ON d.id = c.device_id "
            "WHERE ? IS NULL OR d.serial = ?",
            (serial, serial),
        )
    ]
    return sum(len(sample.ports) for sample in read_samples(log.db, ids))


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


def test_csv_has_one_file_per_table_with_stable_headers(log: SessionLog, tmp_path: Path) -> None:
    written = export_csv(log, tmp_path / "out")
    assert [w.table for w in written] == list(TABLES)
    for each in written:
        assert each.path is not None
        header, rows = read_csv(each.path)
        assert header == list(COLUMNS[each.table])
        assert len(rows) == each.rows


def test_samples_are_one_row_per_port_per_status(log: SessionLog, tmp_path: Path) -> None:
    export_csv(log, tmp_path)
    _, rows = read_csv(tmp_path / "samples.csv")
    assert len(rows) == port_samples(log) > 0
    multiport = [row for row in rows if row["device_serial"] == "0707"]
    assert {row["port"] for row in multiport} == {"1", "2"}
    # Both ports of one status carry its device-level values.
    by_sample: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in multiport:
        by_sample.setdefault((row["connection_id"], row["sample_id"]), []).append(row)
    assert all(len(pair) == 2 for pair in by_sample.values())
    assert all(pair[0]["battery_v"] == pair[1]["battery_v"] for pair in by_sample.values())


def test_csv_values_read_as_numbers_times_and_empty_nulls(log: SessionLog, tmp_path: Path) -> None:
    export_csv(log, tmp_path)
    _, rows = read_csv(tmp_path / "samples.csv")
    running = [row for row in rows if row["port_state"] == "running"]
    assert running
    for row in running:
        float(row["board_temp_c"]), int(row["remaining_s"]), int(row["uptime_s"])
        assert 20 < float(row["pad_temp_c"]) < 50  # degrees Celsius, not tenths
        assert row["setpoint_c"] == ""  # lamps have no heater: unknown is an empty cell
        assert row["pushed"] in ("true", "false")
        at = datetime.fromisoformat(row["at_utc"].replace("Z", "+00:00"))
        assert at == datetime.fromtimestamp(int(row["at_ms"]) / 1000, UTC)
        assert row["log_session_id"] != ""  # a running port's sample names its session
    _, sessions = read_csv(tmp_path / "sessions.csv")
    assert [(s["device_serial"], s["port"], s["end_reason"]) for s in sessions] == [
        ("0101", "1", "completed"),
        ("0707", "2", "stopped"),
        ("0707", "1", "completed"),
    ]
    assert sessions[1]["outcome"] == "ended early"
    assert int(sessions[1]["delivered_s"]) < int(sessions[1]["planned_s"]) == 1200


def test_csv_quotes_json_cells_per_rfc_4180(log: SessionLog, tmp_path: Path) -> None:
    export_csv(log, tmp_path)
    text = (tmp_path / "commands.csv").read_bytes().decode()
    assert text.count("\r\n") == text.count("\n")  # CRLF line ends
    _, rows = read_csv(tmp_path / "commands.csv")
    assert [row["name"] for row in rows] == [
        "configure", "start", "configure", "start", "stop", "configure", "start",
    ]  # fmt: skip
    assert all(row["outcome"] == "done" for row in rows)
    assert json.loads(rows[2]["args"])["pulse_hz"] == 73  # commas and quotes survive


def test_filters_apply_to_every_table(log: SessionLog, tmp_path: Path) -> None:
    written = {w.table: w.rows for w in export_csv(log, tmp_path, serial="0707")}
    assert (written["devices"], written["connections"], written["sessions"]) == (1, 2, 2)
    assert written["samples"] == port_samples(log, "0707")
    _, events = read_csv(tmp_path / "events.csv")
    assert {row["device_serial"] for row in events} == {"0707"}

    future = datetime.now(UTC) + timedelta(days=1)
    later = {w.table: w.rows for w in export_csv(log, tmp_path / "later", since=future)}
    assert later["sessions"] == later["samples"] == later["events"] == later["commands"] == 0
    earlier = {w.table: w.rows for w in export_csv(log, tmp_path / "before", until=future)}
    assert earlier["sessions"] == 3


def test_jsonl_has_every_row_with_its_table(log: SessionLog, tmp_path: Path) -> None:
    stream = io.StringIO()
    written = export_jsonl(log, stream)
    rows = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(rows) == sum(w.rows for w in written)
    export_csv(log, tmp_path)
    for table in TABLES:
        mine = [row for row in rows if row["table"] == table]
        assert all(list(row)[1:] == list(COLUMNS[table]) for row in mine)
        assert len(mine) == len(read_csv(tmp_path / f"{table}.csv")[1])
    command = next(row for row in rows if row["table"] == "commands")
    assert isinstance(command["args"], dict)  # JSON kept as objects, not strings of them
    sample = next(row for row in rows if row["table"] == "samples")
    assert sample["setpoint_c"] is None
    assert isinstance(sample["pad_temp_c"], float)
