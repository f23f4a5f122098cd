"""No output of any command reveals an arm while a study is blinded: every one is grepped.

A blinded rehearsal runs sham and active visits on simulated devices; then every command
that reads the study, the session log or a device of the study is run, text and
``--json``, and every file it writes is read. None may name an arm or say whether a
session was sham; once unblinded, the arms appear.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.proc import irlink
from tests.regimen.rig import SHORT

# What would reveal an arm: its name, or a sham flag with a value (true/false, yes/no, 1/0).
REVEALING = re.compile(
    r"glowing|\bsham\b[\"']?\s*[:=,]\s*[\"']?(true|false|yes|no|1|0)\b|sham \(no output\)"
    r"|real output",
    re.IGNORECASE,
)


def outputs(db: Path, folder: Path, study: str) -> dict[str, str]:
    """What every reading command prints and writes, by the command's words."""
    base = ["--db", str(db)]
    commands = [
        ["study", "list"],
        ["study", "status", study],
        ["study", "audit", study],
        ["study", "report", study, "--out", str(folder / "report.html")],
        ["study", "export", study, "--format", "csv", "--out", str(folder / "csv")],
        ["study", "export", study, "--format", "jsonl", "--out", "-"],
        ["study", "export", study, "--format", "redcap", "--out", str(folder / "redcap")],
        ["log", "sessions"],
        ["log", "show", "1"],
        ["log", "devices"],
        ["log", "export", "--out", str(folder / "log")],
        ["log", "export", "--format", "jsonl", "--out", "-"],
        ["report", "--out", str(folder / "log.html")],
    ]
    folder.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str] = {}
    for words in commands:
        for json in ([], ["--json"]):
            done = irlink(*base, *json, *words)
            assert done.returncode == 0, (words, done.stderr)
            seen[" ".join(json + words)] = done.stdout + done.stderr
    for path in folder.rglob("*"):
        if path.is_file():
            seen[str(path.relative_to(folder))] = path.read_text(encoding="utf-8")
    return seen


def test_no_output_of_any_command_reveals_an_arm_while_blinded(tmp_path: Path) -> None:
    db, regimen = tmp_path / "sessions.db", tmp_path / "short.yaml"
    # blinded (the default); the active arm named so that no other text says it
    regimen.write_text(SHORT.replace("name: infrared", "name: glowing"), "utf-8")
    made = irlink(
        "--db",
        str(db),
        "study",
        "simulate",
        str(regimen),
        "-n",
        "4",
        "--seed",
        "3",
        "--name",
        "short",
    )
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "out"
    seen = outputs(db, folder, "short")
    leaks = {name: REVEALING.search(text) for name, text in seen.items()}
    assert {name: m.group(0) for name, m in leaks.items() if m} == {}
    assert len(seen) >= 30  # every command twice, and the files they wrote
    # The check can fail: once unblinded, the same commands name the arms.
    unblind = ["--db", str(db), "study", "unblind", "short", "--reason", "analysis", "--yes"]
    assert irlink(*unblind).returncode == 0
    after = outputs(db, tmp_path / "after", "short")
    assert any(REVEALING.search(text) for text in after.values())


@pytest.mark.parametrize("text", ['"sham": true', "sham: False", "glowing", "real output"])
def test_the_pattern_catches_what_would_reveal_an_arm(text: str) -> None:
    assert REVEALING.search(text)


@pytest.mark.parametrize("text", ['"sham": null', "blinded", "arm A", "sham_credible"])
def test_the_pattern_passes_what_reveals_nothing(text: str) -> None:
    assert not REVEALING.search(text)
