"""A session log per test, and small regimens to make studies from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from irlink.record.store import SessionLog
from irlink.regimen import example

# A seeded two-arm study with a short list: its arms are known to the test, not the user.
TRIAL = (
    example("gale-2006")
    .read_text(encoding="utf-8")
    .replace("    size: 100", "    seed: 2006\n    size: 12")
)


def regimen(text: str = TRIAL, **allocation: str) -> str:
    """``text`` with ``key: value`` lines added to its allocation (``strata``, ``size``...)."""
    lines = "".join(f"    {key}: {value}\n" for key, value in allocation.items())
    if "size" in allocation:
        text = text.replace("    size: 12\n", "")
    return text.replace("    seed: 2006\n", "    seed: 2006\n" + lines)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SessionLog]:
    """An empty session log of this test's own."""
    with SessionLog.open(tmp_path / "sessions.db") as opened:
        yield opened
