"""``irlink log security``: the security events the session log keeps, as a user reads them.

The device is ``irlink sim serve`` in another process, made as from the factory (paired
with nobody), and ``irlink`` runs as a real process too, recording into the test's log
(IRLINK_DB) with the test's key store (IRLINK_CONFIG, tests/conftest.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from irlink.cli.common import EXIT_NO_DEVICE, EXIT_OK, EXIT_USAGE
from irlink.security.keys import Identity
from irlink.security.keystore import KeyStore
from irlink.sim.provision import TRUST_ENV
from tests.cli.proc import irlink, json_lines
from tests.cli.schema import check_lines
from tests.test_cli_sim import serving

CODE = "482-19-736"


@pytest.fixture(autouse=True)
def _from_the_factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Devices served here start paired with nobody; each test has a log of its own."""
    monkeypatch.setenv(TRUST_ENV, "0")
    monkeypatch.setenv("IRLINK_DB", str(tmp_path / "sessions.db"))


def test_a_device_whose_key_changed_is_refused_as_before_and_the_log_says_so() -> None:
    with serving(1, "waistband", "--pty", "--code", CODE) as (_, [[_, _, path]]):
        paired = irlink("pair", "-d", path, "--code", CODE)
        assert paired.returncode == EXIT_OK, paired.stderr
        # What this host keeps of serial 0001 is now another device's id and key: the
        # device answering is not the one paired (it was reset, or it is another).
        store = KeyStore.open()
        kept = store.forget("0001")
        other = Identity.derive("another", 7)
        store.remember(replace(kept, device_id=other.id, device_public_key=other.public_key))
        refused = irlink("-d", path, "status")
    assert refused.returncode == EXIT_NO_DEVICE
    assert "its key changed" in refused.stderr
    assert "`irlink pairings remove 0001`" in refused.stderr
    assert "Traceback" not in refused.stderr

    shown = irlink("--json", "log", "security")
    assert shown.returncode == EXIT_OK, shown.stderr
    lines = json_lines(shown.stdout)
    check_lines(lines)
    assert [line["kind"] for line in lines] == ["verified", "paired", "key_changed"]
    changed = lines[-1]
    assert changed["type"] == "logged_security_event"
    assert (changed["serial"], changed["connection_id"]) == ("0001", None)
    assert changed["data"] == {"device_id": other.id.hex()}
    assert "its key changed" in changed["detail"]
    assert lines[1]["data"]["device_id"] == kept.device_id.hex()

    text = irlink("log", "security", "--kind", "key_changed")
    assert text.returncode == EXIT_OK, text.stderr
    assert "key_changed" in text.stdout
    assert "paired" not in text.stdout.replace("not the device paired", "")
    none = irlink("log", "security", "--serial", "9999")
    assert none.returncode == EXIT_OK
    assert "no security events match" in none.stdout


def test_pairings_forgotten_on_this_host_are_logged() -> None:
    with serving(1, "waistband", "--pty", "--code", CODE) as (_, [[_, _, path]]):
        assert irlink("pair", "-d", path, "--code", CODE).returncode == EXIT_OK
    kept = KeyStore.open().pairing_for("0001")
    assert kept is not None
    gone = irlink("pairings", "remove", "0001")
    assert gone.returncode == EXIT_OK, gone.stderr
    shown = irlink("--json", "log", "security", "--kind", "pairing_removed_by_host")
    [line] = json_lines(shown.stdout)
    assert line["serial"] == "0001"
    assert line["data"] == {"device_id": kept.device_id.hex(), "admin": True, "on_device": False}


def test_a_wrong_kind_or_an_older_log_is_a_clear_answer_never_a_traceback(tmp_path: Path) -> None:
    bad = irlink("--json", "log", "security", "--kind", "nope")
    assert bad.returncode == EXIT_USAGE
    [error] = json_lines(bad.stdout)
    assert error["option"] == "--kind"
    assert "choose verified" in error["message"]
    older = tmp_path / "older.db"
    with sqlite3.connect(older) as db:  # a log of schema 2: no security_events table yet
        from irlink.record.schema import APPLICATION, MIGRATIONS, _statements

        for migration in MIGRATIONS[:2]:
            for statement in _statements(migration):
                db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('application', ?)", (APPLICATION,))
        db.execute("PRAGMA user_version = 2")
    db.close()
    read = irlink("--db", str(older), "log", "security")
    assert read.returncode == EXIT_OK, read.stderr
    assert "no security events in the session log" in read.stdout
    assert "Traceback" not in read.stderr


def test_what_someone_on_the_link_sent_is_printed_as_text_never_read_as_markup(
    tmp_path: Path,
) -> None:
    """An altered get_info's serial and values reach the log's detail: brackets included,
    they are printed as they are, and never stop the audit trail being read."""
    from irlink.record.store import SessionLog

    path = tmp_path / "attacked.db"
    with SessionLog.open(path):
        pass  # a log of the current schema
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO security_events (at_ms, address, serial, kind, detail, data, host, "
            "user, pid) VALUES (0, '/dev/ttyACM0', '[red]0001', 'info_altered', ?, '{}', "
            "'h', 'u', 1)",
            ("serial '[/b]' in plain, '0001' verified [bold]",),
        )
    db.close()
    read = irlink("--db", str(path), "log", "security")
    assert read.returncode == EXIT_OK, read.stderr
    assert "Traceback" not in read.stderr
    assert "[/b]" in read.stdout
    assert "[red]0001" in read.stdout
    assert "info_altered" in read.stdout


def test_log_security_takes_every_kind_the_journal_has() -> None:
    from irlink.cli.log import SECURITY_KINDS
    from irlink.journal import SecurityKind

    assert tuple(str(kind) for kind in SecurityKind) == SECURITY_KINDS
