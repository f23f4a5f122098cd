"""What ``make generate`` writes is current: each generator's ``--check`` passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assert_current(script: str) -> None:
    """Fail, with the generator's own message, if ``scripts/SCRIPT --check`` finds stale output."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
