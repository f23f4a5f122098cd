"""Test settings shared by every test."""

from __future__ import annotations

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
