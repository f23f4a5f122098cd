"""The whole device's hardware: its ports, battery, charger and controller board."""

from __future__ import annotations

from dataclasses import dataclass, field

from irlink.sim.model.battery import BatteryModel
from irlink.sim.model.ports import PortHardware
from irlink.sim.model.thermal import ThermalModel
from irlink.spec.devices import DeviceProfile

__all__ = ["Hardware"]

BOARD_AMBIENT_DC = 230  # EST: room temperature
BOARD_TAU_S = 600  # EST
BOARD_RISE_DC_PER_W = 4  # EST: a small enclosure


@dataclass
class Hardware:
    """Physics of one device, stepped by ``dt``; the firmware reads and drives it."""

    profile: DeviceProfile
    ports: list[PortHardware]
    battery: BatteryModel | None
    board: ThermalModel = field(
        default_factory=lambda: ThermalModel(BOARD_AMBIENT_DC, BOARD_TAU_S, 0)
    )
    charger_connected: bool = False
    powered: bool = True
    load_mw: float = 0.0

    @classmethod
    def build(cls, profile: DeviceProfile, battery_pct: float = 100) -> Hardware:
        """The hardware of ``profile``: every port with a pad, a battery at ``battery_pct``."""
        ports = [PortHardware.build(n, profile) for n in range(1, profile.info.port_count + 1)]
        battery = None
        if profile.info.has("battery"):
            battery = BatteryModel(profile.physics.battery, soc=battery_pct / 100)
        return cls(profile=profile, ports=ports, battery=battery)

    def __post_init__(self) -> None:
        self._controller_mw = float(self.profile.physics.output.controller_mw)

    def step(self, dt: float) -> None:
        """Move every part on by ``dt`` seconds."""
        load_mw = self._controller_mw if self.powered else 0.0
        for port in self.ports:
            port.step(dt)
            load_mw += port.power_mw
        self.load_mw = load_mw
        self.board.step(dt, BOARD_RISE_DC_PER_W / 1000 * load_mw)
        battery = self.battery
        if battery is not None:
            battery.charging = self.charger_connected
            battery.step(dt, load_mw)

    def battery_mv(self) -> int:
        """Battery voltage under the present load; 0 without a battery."""
        return round(self.battery.voltage_mv(self.load_mw)) if self.battery else 0

    def battery_pct(self) -> int:
        """State of charge in percent; 0 without a battery."""
        return self.battery.pct if self.battery else 0
