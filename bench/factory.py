"""Benchmarks meet simulated devices as a test suite does: paired with them from the factory.

A benchmark that reaches its simulators through the library (by a pty's path, or a pipe)
would have to pair with each first. Like ``tests/conftest.py`` it keeps instead a key
store of its own, in a temporary folder, and has every simulated device it makes trust
that store's host (``irlink.sim.provision``): each connection still verifies, and every
frame is sealed, as in use.
"""

from __future__ import annotations

import os
import tempfile

from irlink.sim.provision import TRUST_ENV

__all__ = ["trust_this_run"]


def trust_this_run() -> None:
    """Keep this run's pairings in a temporary folder, and provision every simulator."""
    os.environ["IRLINK_CONFIG"] = tempfile.mkdtemp(prefix="irlink-bench-")
    os.environ[TRUST_ENV] = "1"
