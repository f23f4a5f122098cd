"""A log file made read-only for a test, even for root."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["reader_only"]


@contextmanager
def reader_only(path: Path) -> Iterator[None]:
    """``path`` (a file or a folder) made read-only: its mode, and for root (whom a mode
    does not stop) the immutable attribute, where the file system has one."""
    writable = 0o755 if path.is_dir() else 0o644
    path.chmod(0o555 if path.is_dir() else 0o444)
    immutable = os.geteuid() == 0
    if immutable:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode:
            path.chmod(writable)
            pytest.skip(f"running as root, and chattr +i failed: {done.stderr!r}")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(writable)
