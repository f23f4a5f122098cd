"""Test settings shared by every test."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# Derandomized: the same examples on every run, so CI never flakes; a failure
# reproduces exactly. Deadline off: CI machines are shared and slow at times.
settings.register_profile(
    "irlink",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("irlink")


@pytest.fixture(autouse=True)
def _session_log_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command a test runs (in process or as a subprocess) records into a log of its
    own, never into the user's data folder."""
    monkeypatch.setenv("IRLINK_DB", str(tmp_path_factory.mktemp("log") / "sessions.db"))


@pytest.fixture(autouse=True)
def _config_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test keeps the host's pairings (its private key) in a folder of its own, never
    in the user's config folder."""
    monkeypatch.setenv("IRLINK_CONFIG", str(tmp_path_factory.mktemp("config") / "irlink"))
