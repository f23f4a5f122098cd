"""One output port's hardware: pad, sensor, emitters or heating element, and its temperature."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from irlink.sim.model.thermal import BurnDoseMeter, ThermalModel
from irlink.spec.devices import DeviceProfile

__all__ = ["Drive", "PortHardware", "SensorState"]

SensorState = Literal["ok", "open", "short"]
HEATER_GAIN_W_PER_DC = 0.05  # EST: proportional gain of the element's thermostat


@dataclass(frozen=True)
class Drive:
    """What the firmware asks of a port's output; ``level`` 0 means off."""

    level: int = 0  # intensity level for light; 1 (on) for a heater
    duty: float = 1.0  # fraction of time on: 1 continuous, pulse_duty_pct / 100 pulsed
    setpoint_dc: int = 0  # heater only


OFF = Drive()


@dataclass
class PortHardware:
    """A port as the physics sees it: what is plugged in, what is driven, how hot it is."""

    number: int
    profile: DeviceProfile
    thermal: ThermalModel
    burn: BurnDoseMeter
    pad_present: bool = True
    pad_type: int = 0
    sensor: SensorState = "ok"
    emitter_ok: bool = True
    extra_rise_dc: float = 0.0  # outside heat: a covered pad, a hot-water bottle, a blocked vent
    drive: Drive = field(default=OFF)
    power_mw: float = 0.0  # electrical power into the emitters or element right now
    _scales: dict[int, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Looked up every physics step: keep them at hand.
        self._heater = self.profile.info.has("heater")
        self._drive_mw = self.profile.physics.output.drive_mw
        self._rise_dc = self.profile.physics.thermal.rise_per_level_dc

    @classmethod
    def build(cls, number: int, profile: DeviceProfile) -> PortHardware:
        """A port of ``profile`` at ambient temperature, with its first pad type plugged in."""
        thermal = profile.physics.thermal
        pads = profile.physics.pads
        return cls(
            number=number,
            profile=profile,
            thermal=ThermalModel(thermal.ambient_dc, thermal.tau_s, thermal.skin_offset_dc),
            # DOMAIN rule 3: skin at or below 41 degC is normal use; the sum counts above it.
            burn=BurnDoseMeter(thermal.burn_dose, floor_dc=thermal.normal_skin_max_dc),
            pad_type=pads[0].id if pads else 0,
        )

    def _light_scale(self) -> float:
        # A pad draws and heats in proportion to its drive against the reference pad's.
        scale = self._scales.get(self.pad_type)
        if scale is None:
            pads = {pad.id: pad for pad in self.profile.physics.pads}
            reference = max(self.profile.physics.output.drive_mw)
            pad = pads.get(self.pad_type)
            scale = self._scales[self.pad_type] = pad.drive_mw / reference if pad else 1.0
        return scale

    def step(self, dt: float) -> None:
        """Drive the output and move the temperature on by ``dt`` seconds."""
        drive = self.drive
        rise = 0.0
        if not (drive.level and self.pad_present and self.emitter_ok):
            self.power_mw = 0.0
        elif self._heater:
            out, thermal = self.profile.physics.output, self.profile.physics.thermal
            target = self.drive.setpoint_dc
            feed_forward_w = max(0.0, (target - thermal.ambient_dc) / thermal.rise_dc_per_w)
            wanted_w = feed_forward_w + HEATER_GAIN_W_PER_DC * (target - self.thermal.temp_dc)
            self.power_mw = min(max(wanted_w * 1000, 0.0), out.heater_max_mw)
            rise = thermal.rise_dc_per_w * self.power_mw / 1000
        else:
            index = drive.level - 1
            scale = self._light_scale() * drive.duty
            self.power_mw = self._drive_mw[index] * scale
            rise = self._rise_dc[index] * scale
        self.thermal.step(dt, rise + self.extra_rise_dc)
        self.burn.step(dt, self.thermal.skin_dc)
