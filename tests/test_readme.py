"""The README's examples run: python blocks execute, console commands print what they show."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irlink.cli import app
from irlink.sim import trust_host

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
CONSOLE_BLOCKS = re.findall(r"```console\n(.*?)```", README, re.DOTALL)


@pytest.fixture(autouse=True)
def _as_a_user_runs_them() -> Iterator[None]:
    """The examples run as a user runs them: simulated devices fresh from the factory (no
    factory pairing, see tests/conftest.py), and sim:// ones pairing in process."""
    previous = trust_host(False)
    yield
    trust_host(previous)


def test_readme_has_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 3
    assert any("$ irlink" in block for block in CONSOLE_BLOCKS)


@pytest.mark.parametrize(
    "block", PYTHON_BLOCKS, ids=[f"python-{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_python_example_runs(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {})


def irlink_commands() -> list[tuple[str, str]]:
    """(command line, expected output) for each `$ irlink ...` shown with its output."""
    pairs = []
    for block in CONSOLE_BLOCKS:
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ irlink "):
                output = []
                for follow in lines[i + 1 :]:
                    if follow.startswith("$ "):
                        break
                    output.append(follow)
                pairs.append((line[2:], "\n".join(output)))
    return pairs


@pytest.mark.parametrize(("command", "expected"), irlink_commands())
def test_console_example_prints_what_the_readme_shows(command: str, expected: str) -> None:
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected.strip()
