"""The host's key store: owner-only, written whole, shared by processes, never overwriting
a file it cannot read, and never showing the host's private key."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from irlink.security import keystore
from irlink.security.keystore import (
    MIN_PREFIX,
    VERSION,
    AmbiguousPairing,
    KeyStore,
    KeyStoreError,
    NewerKeyStore,
    NoSuchPairing,
    NotAKeyStore,
    Pairing,
    UnsafeKeyStore,
    default_path,
)

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def device_id(serial: str) -> bytes:
    return hashlib.sha256(b"id" + serial.encode()).digest()[:16]


def pairing(serial: str, *, id: bytes | None = None, admin: bool = False) -> Pairing:
    return Pairing(
        serial=serial,
        device_id=device_id(serial) if id is None else id,
        device_public_key=hashlib.sha256(b"key" + serial.encode()).digest(),
        admin=admin,
        paired_at=WHEN,
        address=f"sim://waistband?serial={serial}",
        model="IR Waistband",
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Where the pairings file goes: in a folder not made yet."""
    return tmp_path / "config" / "irlink" / "pairings.json"


def test_the_default_place_is_irlink_config_else_the_users_config_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IRLINK_CONFIG", str(tmp_path / "here"))
    assert default_path() == tmp_path / "here" / "pairings.json"
    assert KeyStore.open().path == tmp_path / "here" / "pairings.json"
    monkeypatch.delenv("IRLINK_CONFIG")
    import platformdirs

    expected = platformdirs.user_config_path("irlink", appauthor=False) / "pairings.json"
    assert default_path() == expected


def test_reading_an_empty_store_writes_nothing(path: Path) -> None:
    store = KeyStore.open(path)
    assert store.pairings() == []
    assert store.pairing_for("0001") is None
    assert store.by_device_id(device_id("0001")) is None
    assert not path.parent.exists()


def test_the_folder_is_0700_and_the_file_and_its_lock_0600_whatever_the_umask(
    path: Path,
) -> None:
    old = os.umask(0)
    try:
        KeyStore.open(path).remember(pairing("0001"))
    finally:
        os.umask(old)
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(path.with_name("pairings.json.lock")) == 0o600
    # Written whole: no temporary file is left beside it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["pairings.json", "pairings.json.lock"]


def test_the_identity_is_made_once_on_first_need_and_kept(path: Path) -> None:
    store = KeyStore.open(path)
    assert not path.exists()
    identity = store.identity
    assert path.exists()
    assert store.identity is identity  # not made again
    again = KeyStore.open(path).identity
    assert (again.id, again.public_key) == (identity.id, identity.public_key)
    stored = json.loads(path.read_text())
    assert stored["format"] == "irlink-pairings"
    assert stored["version"] == VERSION
    assert base64.b64decode(stored["host"]["id"]) == identity.id


def test_a_pairing_is_kept_as_given_and_found_by_serial_and_device_id(path: Path) -> None:
    store = KeyStore.open(path)
    kept = pairing("0001", admin=True)
    store.remember(kept)
    store.remember(pairing("0002"))
    reopened = KeyStore.open(path)
    assert reopened.pairing_for("0001") == kept
    assert reopened.by_device_id(kept.device_id) == kept
    assert [p.serial for p in reopened.pairings()] == ["0001", "0002"]
    [record, _] = json.loads(path.read_text())["pairings"]
    assert record == {
        "serial": "0001",
        "device_id": kept.device_id.hex(),
        "device_public_key": kept.device_public_key.hex(),
        "admin": True,
        "paired_at": "2026-12-01T09:30:00+00:00",
        "address": "sim://waistband?serial=0001",
        "model": "IR Waistband",
    }


def test_paired_at_is_kept_in_utc(path: Path) -> None:
    elsewhere = WHEN.astimezone(timezone(timedelta(hours=5)))
    KeyStore.open(path).remember(replace(pairing("0001"), paired_at=elsewhere))
    assert json.loads(path.read_text())["pairings"][0]["paired_at"].endswith("+00:00")
    assert KeyStore.open(path).pairing_for("0001") == replace(pairing("0001"), paired_at=WHEN)


def test_remembering_a_serial_again_replaces_it(path: Path) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    moved = replace(pairing("0001"), address="/dev/ttyACM0")
    store.remember(moved)
    assert store.pairings() == [moved]


def test_a_device_id_kept_under_another_serial_is_refused(path: Path) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    with pytest.raises(KeyStoreError, match=r"already paired under serial '0001'.*remove 0001"):
        store.remember(pairing("0002", id=device_id("0001")))
    assert [p.serial for p in store.pairings()] == ["0001"]


def test_one_store_sees_what_another_wrote(path: Path) -> None:
    first, second = KeyStore.open(path), KeyStore.open(path)
    assert first.identity.id == second.identity.id
    first.remember(pairing("0001"))
    assert second.pairing_for("0001") == pairing("0001")
    second.forget("0001")
    assert first.pairings() == []


def test_forget_by_serial_or_by_device_id_prefix(path: Path) -> None:
    store = KeyStore.open(path)
    for serial in ("0001", "0002", "0003"):
        store.remember(pairing(serial))
    assert store.forget("0002") == pairing("0002")
    prefix = device_id("0003").hex()[:MIN_PREFIX].upper()  # case does not matter
    assert store.forget(prefix) == pairing("0003")
    assert [p.serial for p in KeyStore.open(path).pairings()] == ["0001"]


def test_forget_what_is_not_kept_is_an_error_that_changes_nothing(path: Path) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    before = path.read_bytes()
    for given in ("0009", "", device_id("0001").hex()[: MIN_PREFIX - 1]):
        with pytest.raises(NoSuchPairing, match="irlink pairings list"):
            store.forget(given)
    assert path.read_bytes() == before


def test_an_ambiguous_device_id_prefix_names_every_match_and_forgets_none(path: Path) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("A", id=bytes.fromhex("abcd0000" * 4)))
    store.remember(pairing("B", id=bytes.fromhex("abcd1111" * 4)))
    with pytest.raises(AmbiguousPairing) as raised:
        store.forget("abcd")
    assert {p.serial for p in raised.value.matches} == {"A", "B"}
    assert "serial A" in str(raised.value)
    assert "serial B" in str(raised.value)
    assert len(store.pairings()) == 2
    assert store.forget("abcd1").serial == "B"


def test_a_serial_that_starts_another_devices_id_is_ambiguous_until_the_whole_id(
    path: Path,
) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    other = bytes.fromhex("0001" + "ee" * 14)
    store.remember(pairing("0002", id=other))
    with pytest.raises(AmbiguousPairing, match="the whole id"):
        store.forget("0001")
    assert store.forget(other.hex()).serial == "0002"
    assert store.forget("0001").serial == "0001"


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o620, 0o602, 0o644])
def test_a_file_open_to_other_users_is_refused_and_left_alone(path: Path, loose: int) -> None:
    KeyStore.open(path).remember(pairing("0001"))
    path.chmod(loose)
    before = path.read_bytes()
    with pytest.raises(UnsafeKeyStore) as raised:
        KeyStore.open(path)
    assert str(path) in str(raised.value)
    assert f"chmod 600 {path}" in str(raised.value)
    assert path.read_bytes() == before
    assert mode(path) == loose  # never quietly "fixed": the user decides


def test_a_file_opened_up_after_open_is_refused_before_a_change(path: Path) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    path.chmod(0o644)
    with pytest.raises(UnsafeKeyStore, match="chmod 600"):
        store.remember(pairing("0002"))
    with pytest.raises(UnsafeKeyStore):
        store.pairings()
    assert mode(path) == 0o644


def test_a_folder_others_may_change_is_refused(path: Path) -> None:
    KeyStore.open(path).remember(pairing("0001"))
    path.parent.chmod(0o777)
    with pytest.raises(UnsafeKeyStore, match=rf"chmod 700 {path.parent}"):
        KeyStore.open(path)
    empty = path.parent.parent / "shared"
    empty.mkdir(mode=0o777)
    empty.chmod(0o777)
    with pytest.raises(UnsafeKeyStore):  # not even a first write goes there
        _ = KeyStore.open(empty / "pairings.json").identity
    assert not (empty / "pairings.json").exists()


@pytest.mark.skipif(os.getuid() != 0, reason="only root gives a file away")
def test_a_file_of_another_user_is_refused(path: Path) -> None:
    KeyStore.open(path).remember(pairing("0001"))
    os.chown(path, 12345, -1)
    with pytest.raises(UnsafeKeyStore, match="belongs to another user"):
        KeyStore.open(path)


DAMAGED = {
    "not json": b'{"format": "irlink-pairings", "vers',
    "not utf-8": b"\xff\xfe\x00",
    "empty": b"",
    "another program's json": b'{"servers": []}',
    "a list": b"[]",
    "no version": b'{"format": "irlink-pairings", "host": null, "pairings": []}',
    "a bad record": (
        b'{"format": "irlink-pairings", "version": 1, "host": null, "pairings": '
        b'[{"serial": "0001", "device_id": "zz", "device_public_key": "00", "admin": true, '
        b'"paired_at": "2026-12-01T09:30:00+00:00", "address": "x", "model": "y"}]}'
    ),
    "a naive time": (
        b'{"format": "irlink-pairings", "version": 1, "host": null, "pairings": '
        b'[{"serial": "0001", "device_id": "'
        + b"00" * 16
        + b'", "device_public_key": "'
        + b"00" * 32
        + b'", "admin": true, "paired_at": "2026-12-01T09:30:00", "address": "x", '
        b'"model": "y"}]}'
    ),
    "a short host key": (
        b'{"format": "irlink-pairings", "version": 1, "pairings": [], '
        b'"host": {"id": "AAAAAAAAAAAAAAAAAAAAAA==", "private_key": "AAAA"}}'
    ),
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_or_foreign_file_is_refused_and_never_overwritten(
    path: Path, content: bytes
) -> None:
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(NotAKeyStore) as raised:
        KeyStore.open(path)
    message = str(raised.value)
    assert str(path) in message
    assert "move it away" in message
    store = KeyStore(path)  # as if it had been damaged after opening
    for change in (
        lambda: store.identity,
        lambda: store.remember(pairing("0002")),
        lambda: store.forget("0001"),
    ):
        with pytest.raises(NotAKeyStore):
            change()
    assert path.read_bytes() == content


def test_a_file_from_a_newer_irlink_is_refused_and_never_overwritten(path: Path) -> None:
    path.parent.mkdir(parents=True, mode=0o700)
    newer = json.dumps({"format": "irlink-pairings", "version": VERSION + 1, "keys": {}})
    path.write_text(newer)
    path.chmod(0o600)
    with pytest.raises(NewerKeyStore, match=r"newer irlink.*update irlink") as raised:
        KeyStore.open(path)
    assert str(path) in str(raised.value)
    with pytest.raises(NewerKeyStore):
        KeyStore(path).remember(pairing("0001"))
    assert path.read_text() == newer


def test_a_folder_in_place_of_the_file_is_refused(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(NotAKeyStore, match="is a folder"):
        KeyStore.open(path)


def test_a_write_that_fails_leaves_the_file_as_it_was_and_no_temporary(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    before = path.read_bytes()

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keystore.os, "replace", full)
    with pytest.raises(KeyStoreError, match=r"No space left on device; it was left as it was"):
        store.remember(pairing("0002"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["pairings.json", "pairings.json.lock"]


def test_a_change_waits_for_the_lock_and_then_says_who_holds_it(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    monkeypatch.setattr(keystore, "LOCK_TIMEOUT_S", 0.05)
    with open(path.with_name("pairings.json.lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(KeyStoreError, match="another irlink process has held"):
            store.remember(pairing("0002"))
        assert store.pairings() == [pairing("0001")]  # reading needs no lock
    store.remember(pairing("0002"))
    assert len(store.pairings()) == 2


# Several processes at once ---------------------------------------------------------------

PROCESSES = 8
EACH = 10
CHILD = """
import hashlib, sys
from datetime import UTC, datetime
from irlink.security.keystore import KeyStore, Pairing

name, where, each = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = KeyStore.open(where)
print("ready", flush=True)
sys.stdin.readline()  # every process starts at once
identity = store.identity
for n in range(each):
    serial = f"{name}-{n}"
    store.remember(Pairing(
        serial, hashlib.sha256(serial.encode()).digest()[:16], bytes(32), False,
        datetime.now(UTC), "sim://waistband", "IR Waistband",
    ))
print(identity.id.hex(), flush=True)
"""


def test_processes_pairing_at_once_all_land_with_one_identity(path: Path) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, f"p{n}", str(path), str(EACH)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert [child.returncode for child in children] == [0] * PROCESSES, results
    identities = {out.strip() for out, _ in results}
    assert len(identities) == 1  # the first to need it made it; the others used it
    store = KeyStore.open(path)
    assert identities == {store.identity.id.hex()}
    expected = {f"p{n}-{i}" for n in range(PROCESSES) for i in range(EACH)}
    assert {p.serial for p in store.pairings()} == expected
    assert mode(path) == 0o600


# Nothing secret shows ---------------------------------------------------------------------


def secrets(store: KeyStore) -> list[str]:
    """The host's private key as it is stored (base64) and as hex."""
    seed = store.identity.seed
    return [base64.b64encode(seed).decode(), seed.hex()]


def test_no_repr_shows_the_private_key(path: Path) -> None:
    store = KeyStore.open(path)
    store.remember(pairing("0001"))
    shown = " ".join(repr(x) for x in (store, store.identity, store.pairings()))
    assert store.identity.id.hex() in shown
    for secret in secrets(store):
        assert secret not in json.dumps(json.loads(path.read_text())["pairings"])
        assert secret not in shown


def test_a_damaged_host_key_is_not_quoted_in_the_error(path: Path) -> None:
    store = KeyStore.open(path)
    [stored, _] = secrets(store)
    document = json.loads(path.read_text())
    document["host"]["private_key"] = stored[:-4] + "!!!!"
    path.write_text(json.dumps(document))
    with pytest.raises(NotAKeyStore) as raised:
        KeyStore.open(path)
    assert stored[:-4] not in str(raised.value)
    assert "the host's id or private key" in str(raised.value)


def test_a_pairing_needs_whole_ids_keys_and_a_time_zone() -> None:
    good = pairing("0001")
    for bad in (
        {"device_id": bytes(15)},
        {"device_public_key": bytes(31)},
        {"paired_at": datetime(2026, 12, 1)},
        {"serial": ""},
    ):
        with pytest.raises(ValueError):  # noqa: PT011  (each says which)
            replace(good, **bad)  # type: ignore[arg-type]
