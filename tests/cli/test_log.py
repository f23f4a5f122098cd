"""``irlink log``: the session log read back, filtered, shown whole and exported; its errors."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from irlink.cli.exits import json_wanted
from irlink.cli.log import ENDINGS, REASONS
from irlink.protocol.messages import EndReason
from irlink.record.schema import SCHEMA_VERSION
from tests.cli.test_commands import irlink, lines
from tests.record.logs import make_log


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A log of three sessions: 0101 port 1 completed, 0707 port 2 stopped, 0707 port 1."""
    path = tmp_path_factory.mktemp("log") / "log.db"
    make_log(path)
    return str(path)


def test_sessions_lists_every_session_with_how_it_ended(db: str) -> None:
    result = irlink("--db", db, "log", "sessions")
    assert result.exit_code == 0, result.output
    assert "completed" in result.stdout
    assert "stopped" in result.stdout
    assert "times are local" in result.stdout
    found = lines(irlink("--db", db, "--json", "log", "sessions"))
    assert [(s["type"], s["serial"], s["port"], s["ended"]) for s in found] == [
        ("logged_session", "0101", 1, "completed"),
        ("logged_session", "0707", 2, "early"),
        ("logged_session", "0707", 1, "completed"),
    ]
    assert found[1]["end_reason"] == "stopped"
    assert found[1]["planned"] == 1200
    assert found[0]["started_at"].endswith("+00:00")  # JSON keeps UTC


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--serial", "0707"], [("0707", 2), ("0707", 1)]),
        (["--port", "2"], [("0707", 2)]),
        (["--ended", "early"], [("0707", 2)]),
        (["--ended", "stopped"], [("0707", 2)]),
        (["--ended", "completed", "--serial", "0101"], [("0101", 1)]),
        (["--ended", "unknown"], []),
        (
            ["--since", "2000-01-01", "--until", "2999-12-31"],
            [("0101", 1), ("0707", 2), ("0707", 1)],
        ),
        (["--until", "2000-01-01"], []),
        (["--since", "2999-01-01T00:00Z"], []),
    ],
)
def test_sessions_filters(db: str, args: list[str], expected: list[tuple[str, int]]) -> None:
    found = lines(irlink("--db", db, "log", "sessions", "--json", *args))
    assert [(s["serial"], s["port"]) for s in found] == expected


def test_no_session_matching_says_so(db: str) -> None:
    result = irlink("--db", db, "log", "sessions", "--ended", "unknown")
    assert result.exit_code == 0
    assert "no sessions match" in result.stdout


def test_ended_takes_every_end_reason() -> None:
    assert set(REASONS) == {r.name.lower() for r in EndReason} - set(ENDINGS)


def test_show_has_settings_commands_events_and_samples(db: str) -> None:
    result = irlink("--db", db, "log", "show", "2")
    assert result.exit_code == 0, result.output
    for text in ("port 2", "pulsed 73 Hz", "configure", "start", "stop", "session_ended"):
        assert text in result.stdout
    found = lines(irlink("--db", db, "--json", "log", "show", "2"))
    assert found[0]["type"] == "logged_session"
    assert found[0]["id"] == 2
    commands = [(c["name"], c["outcome"]) for c in found if c["type"] == "logged_command"]
    assert commands == [("configure", "done"), ("start", "done"), ("stop", "done")]
    assert all("@" in c["by"] for c in found if c["type"] == "logged_command")
    events = [e["kind"] for e in found if e["type"] == "logged_event"]
    assert events == ["session_started", "session_ended"]
    [ended] = [e for e in found if e["type"] == "logged_event" and e["kind"] == "session_ended"]
    assert ended["data"]["reason"] == "stopped"
    assert found[-1]["type"] == "logged_samples"
    assert found[-1]["count"] > 0
    assert 20 < found[-1]["pad_temp_c"]["min"] <= found[-1]["pad_temp_c"]["max"] < 50
    times = [item["at"] for item in found[1:-1]]
    assert times == sorted(times)


def test_show_an_unknown_session_is_one_error_line(db: str) -> None:
    result = irlink("--db", db, "--json", "log", "show", "99")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "has no session 99" in result.stderr
    [error] = lines(result)
    assert error["type"] == "error"


def test_devices_lists_each_device_with_its_counts(db: str) -> None:
    result = irlink("--db", db, "log", "devices")
    assert result.exit_code == 0, result.output
    assert "0707" in result.stdout
    assert "2 ports" in result.stdout
    found = lines(irlink("--db", db, "--json", "log", "devices"))
    counts = {d["serial"]: (d["connections"], d["sessions"]) for d in found}
    assert counts == {"0101": (1, 1), "0707": (2, 2)}
    assert all(d["type"] == "logged_device" for d in found)


def test_export_csv_writes_a_folder_of_tables(db: str, tmp_path: Path) -> None:
    out = tmp_path / "tables"
    found = lines(irlink("--db", db, "--json", "log", "export", "--out", str(out)))
    assert [e["table"] for e in found] == [
        "devices", "connections", "sessions", "samples", "events", "commands", "security_events",
    ]  # fmt: skip
    for each in found:
        with Path(each["path"]).open(newline="") as stream:
            assert len(list(csv.DictReader(stream))) == each["rows"]
    text = irlink("--db", db, "log", "export", "-o", str(out), "--serial", "0101")
    assert text.exit_code == 0, text.output
    assert "sessions: 1 row to" in text.stdout


def test_export_jsonl_to_stdout_keeps_stdout_for_the_rows(db: str) -> None:
    result = irlink("--db", db, "log", "export", "--format", "jsonl", "--out", "-")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {row["table"] for row in rows} >= {"sessions", "samples", "events", "commands"}
    assert "samples:" in result.stderr


def test_export_jsonl_to_a_file(db: str, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    found = lines(
        irlink("--db", db, "--json", "log", "export", "--format", "jsonl", "-o", str(out))
    )
    assert sum(e["rows"] for e in found) == len(out.read_text().splitlines())
    assert {e["path"] for e in found} == {str(out)}


def test_export_csv_to_a_file_is_a_usage_error(db: str, tmp_path: Path) -> None:
    out = tmp_path / "a-file"
    out.write_text("")
    result = irlink("--db", db, "log", "export", "--out", str(out))
    assert result.exit_code == 2
    assert "--out" in result.stderr


def _newer(path: Path) -> None:
    make = sqlite3.connect(path)
    make.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    make.execute("INSERT INTO meta VALUES ('application', 'irlink session log')")
    make.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    make.commit()
    make.close()


def _other(path: Path) -> None:
    make = sqlite3.connect(path)
    make.execute("CREATE TABLE photos (id INTEGER)")
    make.commit()
    make.close()


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (None, "there is no session log"),
        (lambda p: p.write_bytes(b"not a database at all, not even close" * 50), "not an irlink"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (_other, "another program"),
        (_newer, "newer irlink"),
    ],
)
@pytest.mark.parametrize("command", [["sessions"], ["show", "1"], ["devices"]])
def test_a_log_that_cannot_be_read_is_one_error_line(
    tmp_path: Path, make: object, said: str, command: list[str]
) -> None:
    path = tmp_path / "sessions.db"
    if callable(make):
        make(path)
    result = irlink("--db", str(path), "log", *command)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert said in result.stderr
    assert str(path) in result.stderr
    [error] = lines(irlink("--db", str(path), "log", *command, "--json"))
    assert (error["type"], error["option"]) == ("error", "--db")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["sessions", "--since", "last tuesday"], "--since"),
        (["sessions", "--until", "2026-13-01"], "--until"),
        (["sessions", "--ended", "sometime"], "--ended"),
        (["sessions", "--port", "0"], "--port"),
        (["export", "--format", "xlsx", "--out", "x"], "--format"),
        (["show", "first"], "SESSION"),
    ],
)
def test_a_bad_filter_names_its_option(db: str, args: list[str], option: str) -> None:
    result = irlink("--db", db, "--json", "log", *args)
    assert result.exit_code == 2
    assert option in result.stderr
    assert result.stderr.startswith("error: ")
    [error] = lines(result)
    assert error["type"] == "error"


def test_log_commands_write_json_errors() -> None:
    assert json_wanted(["--db", "log", "log", "sessions", "--json"])
    assert json_wanted(["--json", "log", "show", "3"])
    assert not json_wanted(["--db", "x.db", "log", "devices"])
