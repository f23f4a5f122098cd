"""``irlink pair`` and ``irlink pairings ... -d``: pairing with a device, as a user does it.

The device is ``irlink sim serve`` in another process, made as from the factory (paired
with nobody: the test turns the suite's factory pairing off), and ``irlink`` runs as a
real process too; the key store is the test's own (IRLINK_CONFIG, tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from irlink.cli.common import EXIT_NO_DEVICE, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from irlink.sim.provision import TRUST_ENV
from tests.cli.proc import SCRIPT, irlink, json_lines
from tests.cli.schema import check_lines
from tests.test_cli_sim import serving

CODE = "482-19-736"


@pytest.fixture(autouse=True)
def _from_the_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Devices served here start paired with nobody; a host must pair first."""
    monkeypatch.setenv(TRUST_ENV, "0")


@contextmanager
def device(*args: str) -> Iterator[str]:
    """A waistband served by ``irlink sim serve`` with the setup code CODE: its pty."""
    with serving(1, "waistband", "--pty", "--code", CODE, *args) as (_, [[_, _, path]]):
        yield path


def test_an_unpaired_device_is_refused_then_pairing_with_the_code_lets_every_command_in() -> None:
    with device() as path:
        refused = irlink("-d", path, "status")
        assert refused.returncode == EXIT_NO_DEVICE
        assert f"run `irlink pair -d {path}`" in refused.stderr
        wrong = irlink("-d", path, "pair", "--code", "482-19-737")
        assert wrong.returncode == EXIT_REFUSED
        assert "the device refused pairing: pairing_failed" in wrong.stderr
        assert "99 attempts left" in wrong.stderr
        paired = irlink("--json", "pair", "-d", path, "--code", CODE)
        assert paired.returncode == EXIT_OK, paired.stderr
        [line] = json_lines(paired.stdout)
        check_lines([line])
        assert (line["type"], line["serial"], line["admin"], line["address"]) == (
            "paired",
            "0001",
            True,
            path,
        )
        assert "key" not in json.dumps(line).replace("device_public_key", "")
        status = irlink("-d", path, "status")
        assert status.returncode == EXIT_OK, status.stderr
        assert "no security" not in status.stderr
        again = irlink("-d", path, "pair", "--code", CODE)
        assert again.returncode == EXIT_USAGE
        assert "paired with this host already" in again.stderr
        assert "`irlink pairings remove 0001` first" in again.stderr


def test_the_code_is_read_from_stdin_when_it_is_not_a_terminal() -> None:
    with device() as path:
        result = irlink("pair", "-d", path, stdin=CODE + "\n")
        assert result.returncode == EXIT_OK, result.stderr
        assert "paired with IRL-W2 serial 0001" in result.stdout
        assert CODE not in result.stdout + result.stderr  # never echoed back
        empty = irlink("pair", "-d", path, stdin="")
        assert empty.returncode == EXIT_USAGE
        assert "give --code" in empty.stderr


def test_a_code_that_is_no_code_is_a_usage_error() -> None:
    result = irlink("--json", "pair", "-d", "sim://waistband", "--code", "111-11-111")
    assert result.returncode == EXIT_USAGE
    [error] = json_lines(result.stdout)
    assert error["option"] == "--code"
    assert "too easy to guess" in error["message"]


def test_a_closed_pairing_window_says_hold_the_button_and_sigusr1_holds_it(
    tmp_path: Path,
) -> None:
    other = {"IRLINK_CONFIG": str(tmp_path / "other")}
    with serving(1, "waistband", "--pty", "--code", CODE) as (proc, [[_, _, path]]):
        assert irlink("pair", "-d", path, "--code", CODE).returncode == EXIT_OK
        closed = irlink("pair", "-d", path, "--code", CODE, env=other)
        assert closed.returncode == EXIT_REFUSED
        assert "pairing window is closed" in closed.stderr
        assert "hold its pairing button" in closed.stderr
        os.kill(proc.pid, 10)  # SIGUSR1: the button
        second = irlink("--json", "pair", "-d", path, "--code", CODE, env=other)
        assert second.returncode == EXIT_OK, second.stderr
        assert json_lines(second.stdout)[0]["admin"] is False
        # The admin lists both; the second host may not.
        listed = irlink("--json", "pairings", "list", "-d", path)
        assert listed.returncode == EXIT_OK, listed.stderr
        lines = json_lines(listed.stdout)
        check_lines(lines)
        assert [(x["admin"], x["this_host"]) for x in lines] == [(True, True), (False, False)]
        refused = irlink("pairings", "list", "-d", path, env=other)
        assert refused.returncode == EXIT_REFUSED
        assert "unauthorized" in refused.stderr
        # The admin makes the device forget the second host, by the start of its id.
        gone = irlink(
            "--json", "pairings", "remove", "--host", lines[1]["pairing_id"][:6], "-d", path
        )
        assert gone.returncode == EXIT_OK, gone.stderr
        check_lines(json_lines(gone.stdout))
        assert irlink("-d", path, "status", env=other).returncode == EXIT_NO_DEVICE
        # And forget this host, on the device and here.
        mine = irlink("pairings", "remove", "0001", "-d", path)
        assert mine.returncode == EXIT_OK, mine.stderr
        assert "The device forgot this host too." in mine.stdout
        assert irlink("pairings", "list").stdout.startswith("no devices are paired")
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    said = err.decode()
    assert f"setup code {CODE}" in said
    assert "pairing button held" in said
    assert "pair setup refused: the pairing window is closed" in said  # its audit trail


def test_a_1_1_device_works_and_the_cli_says_once_that_anyone_can_control_it() -> None:
    result = irlink("-d", "sim://waistband?protocol=1.1", "status")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr.count("anyone who can reach its link can control it") == 1
    no_pairing = irlink("pair", "-d", "sim://waistband?protocol=1.1", "--code", CODE)
    assert no_pairing.returncode == EXIT_USAGE
    assert "without security" in no_pairing.stderr


def _codes(*args: str) -> list[str]:
    """The setup codes `irlink sim serve` printed for a waistband 0042 and a firmat 0043."""
    with serving(2, "waistband", "firmat", "--pty", "--serial", "0042", *args) as (proc, lines):
        assert [line[:2] for line in lines] == [["waistband", "0042"], ["firmat", "0043"]]
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return re.findall(r"setup code (\d{3}-\d{2}-\d{3})", err.decode())


def test_sim_serve_prints_each_device_s_random_setup_code() -> None:
    """Not derived from the serial (anyone who knows the serial would know the code): a new
    random code for each device at each start, unless --derived-code asks for that."""
    from irlink.security import derive_setup_code

    derived = [str(derive_setup_code(serial)) for serial in ("0042", "0043")]
    first, second = _codes(), _codes()
    assert len(first) == len(second) == 2
    assert len(set(first + second)) == 4  # two devices, two starts: four codes
    assert not set(first + second) & set(derived)
    assert _codes("--derived-code") == derived


def test_the_demo_pairs_its_simulator_in_process_with_no_setup(tmp_path: Path) -> None:
    """`make demo` stays one command: the sim:// device pairs itself, through pair setup."""
    env = {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "IRLINK_CONFIG": str(tmp_path / "config"),
        TRUST_ENV: "0",
    }
    run_env = {k: v for k, v in os.environ.items() if k != "IRLINK_DB"} | env
    result = subprocess.run(
        [SCRIPT, "demo", "--speed", "600"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=run_env,
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert "completed" in result.stdout
    assert "no security" not in result.stderr
    assert (tmp_path / "config" / "pairings.json").exists()  # this host's identity, made once
    kept = json.loads((tmp_path / "config" / "pairings.json").read_text())
    assert kept["pairings"] == []  # the simulator's pairing lived as long as the demo
