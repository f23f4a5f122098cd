"""The security tests meet simulated devices as they leave the factory: paired with nobody."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from irlink.sim import trust_host


@pytest.fixture(autouse=True)
def _devices_from_the_factory() -> Iterator[None]:
    """No factory-provisioned pairing here (see tests/conftest.py): a host pairs first."""
    previous = trust_host(False)
    yield
    trust_host(previous)
