"""``irlink pairings list`` and ``remove``: this host's pairings, its errors, and no secret.

The key store is the test's own (``IRLINK_CONFIG``, set for every test by conftest).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from irlink.cli.common import EXIT_USAGE
from irlink.cli.words import failure
from irlink.security.keystore import (
    KeyStore,
    KeyStoreError,
    NewerKeyStore,
    NotAKeyStore,
    UnsafeKeyStore,
    default_path,
)
from tests.cli.proc import irlink as installed
from tests.cli.proc import json_lines
from tests.cli.schema import check_lines
from tests.cli.test_commands import irlink, lines
from tests.security.test_keystore import WHEN, pairing


@pytest.fixture
def store() -> KeyStore:
    """The host's store with its identity and two pairings: 0001 (admin) and 0002."""
    made = KeyStore.open()
    assert made.identity
    made.remember(pairing("0001", admin=True))
    made.remember(pairing("0002"))
    return made


def one_error(result: object, says: str) -> str:
    """The one ``error:`` line of a failed command (exit 2, no traceback)."""
    assert getattr(result, "exit_code", None) == EXIT_USAGE
    stderr = str(getattr(result, "stderr", ""))
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert says in errors[0], stderr
    return errors[0]


def test_list_shows_each_pairing(store: KeyStore) -> None:
    result = irlink("pairings", "list")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0][:4] == ["serial", "model", "device", "id"]
    first = pairing("0001")
    assert rows[1][:5] == ["0001", "IR", "Waistband", first.device_id.hex()[:8], "admin"]
    assert rows[1][-1] == "sim://waistband?serial=0001"
    assert rows[2][:4] == ["0002", "IR", "Waistband", pairing("0002").device_id.hex()[:8]]
    assert "admin" not in rows[2]
    assert str(store.path) in result.stdout


def test_list_as_json_lines(store: KeyStore) -> None:
    found = lines(irlink("pairings", "list", "--json"))
    assert lines(irlink("--json", "pairings", "list")) == found
    assert [line["type"] for line in found] == ["pairing", "pairing"]
    first = pairing("0001")
    assert found[0] == {
        "type": "pairing",
        "serial": "0001",
        "model": "IR Waistband",
        "device_id": first.device_id.hex(),
        "device_public_key": first.device_public_key.hex(),
        "admin": True,
        "paired_at": WHEN.isoformat(),
        "address": "sim://waistband?serial=0001",
    }
    assert (found[1]["serial"], found[1]["admin"]) == ("0002", False)


def test_list_with_no_pairings_says_so_and_writes_nothing() -> None:
    result = irlink("pairings", "list")
    assert result.exit_code == 0, result.output
    assert "no devices are paired with this host" in result.stdout
    assert "irlink pair -d ADDRESS" in result.stdout
    json_result = irlink("--json", "pairings", "list")
    assert json_result.exit_code == 0
    assert json_result.stdout == ""
    assert not default_path().parent.exists()


def test_remove_by_serial_says_the_device_still_lists_this_host(store: KeyStore) -> None:
    result = irlink("pairings", "remove", "0002")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "forgot IR Waistband serial 0002" in said
    assert "The device still lists this host until an admin host removes it there" in said
    assert [p.serial for p in store.pairings()] == ["0001"]
    result = irlink("pairings", "remove", "0001")
    assert "still lists this host (as an admin)" in " ".join(result.stdout.split())
    assert store.pairings() == []


def test_remove_by_device_id_prefix_as_a_json_line(store: KeyStore) -> None:
    prefix = pairing("0002").device_id.hex()[:6]
    [removed] = lines(irlink("--json", "pairings", "remove", prefix))
    assert removed == {
        "type": "pairing_removed",
        "serial": "0002",
        "model": "IR Waistband",
        "device_id": pairing("0002").device_id.hex(),
        "admin": False,
        "still_on_device": True,
    }
    assert [p.serial for p in store.pairings()] == ["0001"]


def test_removing_what_is_not_kept_is_one_error_line_and_a_json_line(store: KeyStore) -> None:
    before = store.path.read_bytes()
    one_error(irlink("pairings", "remove", "0009"), "no pairing in")
    result = irlink("pairings", "remove", "0009", "--json")
    message = one_error(result, "`irlink pairings list` shows them")
    [error] = lines(result)
    assert error == {
        "type": "error",
        "code": EXIT_USAGE,
        "message": message.removeprefix("error: "),
        "device_code": None,
        "option": None,
    }
    assert store.path.read_bytes() == before


def test_an_ambiguous_device_id_names_both_and_removes_none(store: KeyStore) -> None:
    store.remember(pairing("A", id=bytes.fromhex("abcd0000" * 4)))
    store.remember(pairing("B", id=bytes.fromhex("abcd1111" * 4)))
    result = irlink("--json", "pairings", "remove", "abcd")
    message = one_error(result, "matches 2 pairings")
    assert "serial A" in message
    assert "serial B" in message
    [error] = lines(result)
    assert error["type"] == "error"
    assert len(store.pairings()) == 4


def write_store(content: str, mode: int = 0o600) -> Path:
    path = default_path()
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    path.write_text(content)
    path.chmod(mode)
    return path


BAD_FILES = {
    "group-readable": ("chmod 600", 0o640, None),
    "damaged": ("move it away", 0o600, '{"format": "irlink-pairings", "ver'),
    "newer": (
        "update irlink",
        0o600,
        json.dumps({"format": "irlink-pairings", "version": 99, "pairings": []}),
    ),
}


@pytest.mark.parametrize(("fix", "mode", "content"), BAD_FILES.values(), ids=BAD_FILES.keys())
@pytest.mark.parametrize("command", [["list"], ["remove", "0001"]])
def test_a_file_irlink_may_not_use_is_one_error_naming_it_and_the_fix(
    command: list[str], fix: str, mode: int, content: str | None
) -> None:
    if content is None:
        KeyStore.open().remember(pairing("0001"))
        content = default_path().read_text()
    path = write_store(content, mode)
    message = one_error(irlink("pairings", *command), fix)
    assert str(path) in message
    result = irlink("pairings", *command, "--json")
    one_error(result, fix)
    [error] = lines(result)
    assert (error["type"], error["code"]) == ("error", EXIT_USAGE)
    assert fix in error["message"]
    assert path.read_text() == content  # left as it was


def test_the_installed_irlink_refuses_a_damaged_file_without_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir(mode=0o700)
    (folder / "pairings.json").write_text("not json")
    (folder / "pairings.json").chmod(0o600)
    result = installed("--json", "pairings", "list", env={"IRLINK_CONFIG": str(folder)})
    assert result.returncode == EXIT_USAGE
    assert "Traceback" not in result.stderr
    [error] = json_lines(result.stdout)
    check_lines([error])
    assert "move it away" in error["message"]


def test_nothing_secret_is_printed(store: KeyStore) -> None:
    seed = store.identity.seed
    secrets = [base64.b64encode(seed).decode(), seed.hex(), base64.b64encode(seed[:12]).decode()]
    assert secrets[0] in store.path.read_text()  # the file has it: that is where it is kept
    outputs = []
    for args in (
        ["pairings", "list"],
        ["--json", "pairings", "list"],
        ["-vv", "pairings", "list"],
        ["pairings", "remove", "nothing-such"],
        ["--json", "pairings", "remove", "nothing-such"],
        ["--json", "-vv", "pairings", "remove", "0002"],
        ["pairings", "remove", "0001"],
    ):
        result = irlink(*args)
        outputs.append(result.stdout + result.stderr)
    store.path.chmod(0o644)
    result = irlink("-vv", "--json", "pairings", "list")
    outputs.append(result.stdout + result.stderr)
    printed = "\n".join(outputs)
    assert "forgot" in printed
    for secret in secrets:
        assert secret not in printed


@pytest.mark.parametrize("error", [NotAKeyStore, UnsafeKeyStore, NewerKeyStore, KeyStoreError])
def test_a_key_store_error_under_any_command_is_a_usage_error(error: type[Exception]) -> None:
    """The pairings file is to be fixed by the user (its message says how), not a link: exit 2."""
    made = failure(error("the pairings file ...: run `chmod 600 FILE`"))
    assert (made.code, made.message) == (EXIT_USAGE, "the pairings file ...: run `chmod 600 FILE`")
