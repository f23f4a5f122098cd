"""Physics of a simulated device as plain state plus ``step(dt)``: battery, heat, ports."""

from __future__ import annotations

from irlink.sim.model.battery import BatteryModel
from irlink.sim.model.hardware import Hardware
from irlink.sim.model.ports import Drive, PortHardware, SensorState
from irlink.sim.model.thermal import BurnDoseMeter, ThermalModel

__all__ = [
    "BatteryModel",
    "BurnDoseMeter",
    "Drive",
    "Hardware",
    "PortHardware",
    "SensorState",
    "ThermalModel",
]
