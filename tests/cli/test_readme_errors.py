"""The README's error examples (``text`` blocks that start with ``$ irlink``) are true.

Console blocks are run by tests/test_readme.py and must exit 0; these show errors, so
each line they show must be among the lines the command writes (stdout and stderr).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli.proc import irlink

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
EXAMPLES = [
    (lines[0][2:], lines[1:])
    for block in re.findall(r"```text\n(.*?)```", README, re.DOTALL)
    if (lines := block.strip().splitlines())[0].startswith("$ irlink ")
]


def test_the_readme_shows_errors() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize(("command", "shown"), EXAMPLES)
def test_an_error_example_prints_what_the_readme_shows(command: str, shown: list[str]) -> None:
    result = irlink(*shlex.split(command)[1:])
    assert result.returncode != 0
    written = result.stdout.splitlines() + result.stderr.splitlines()
    for line in shown:
        assert line in written, (line, written)
