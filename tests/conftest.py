"""Test settings shared by every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from irlink.sim.provision import TRUST_ENV

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


@pytest.fixture(autouse=True, scope="session")
def _simulators_trust_the_test_host() -> Iterator[None]:
    """Every secure simulated device a test makes, in this process or in an ``irlink sim
    serve`` it starts, is provisioned with a pairing of the test's host (the key store in
    the test's IRLINK_CONFIG), so existing tests connect as before, verified and sealed;
    see :mod:`irlink.sim.provision`. The security tests turn it off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TRUST_ENV, "1")
        yield
