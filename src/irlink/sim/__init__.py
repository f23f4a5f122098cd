"""Simulated irlink devices: firmware and physics on a clock, served on real byte links.

>>> from irlink.sim import ManualClock, SimulatedDevice
>>> clock = ManualClock()
>>> device = SimulatedDevice("waistband", clock=clock, battery_pct=80)
>>> device.battery_pct()
80
"""

from __future__ import annotations

from irlink.sim.clock import Clock, ManualClock, RealClock
from irlink.sim.device import SimulatedDevice, SimulationError
from irlink.sim.guard import AuthStats
from irlink.sim.link import Impairment, Link, LinkStats
from irlink.sim.provision import trust_host

__all__ = [
    "AuthStats",
    "Clock",
    "Impairment",
    "Link",
    "LinkStats",
    "ManualClock",
    "RealClock",
    "SimulatedDevice",
    "SimulationError",
    "trust_host",
]
