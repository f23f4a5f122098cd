"""Device profiles (protocols/devices/): each family's identity, advertised limits and physics."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, Strict, StringConstraints, model_validator

from irlink.errors import SpecError
from irlink.spec._models import SpecModel, load, require
from irlink.spec.device_info import (
    LIGHT_IRRADIANCE_MAX_DMW_CM2,
    U16,
    AdvertisedLimits,
    Ascii16,
    Ascii24,
    Capability,
    Dc,
    Pct,
)

__all__ = [
    "FAMILIES",
    "AdvertisedLimits",
    "Capability",
    "DeviceProfile",
    "Family",
    "load_device_profile",
    "load_device_profiles",
]

Family = Literal["waistband", "multiport", "firmat"]
FAMILIES: tuple[str, ...] = get_args(Family)

# Physics figures are never sent, so only sense bounds them.
Positive = Annotated[int, Strict(), Field(gt=0)]
NonNegative = Annotated[int, Strict(), Field(ge=0)]
Text = Annotated[str, Strict(), StringConstraints(min_length=1)]


class Usb(SpecModel):
    """USB vendor and product id, for finding the device's serial port."""

    vid: U16
    pid: U16


class Identity(SpecModel):
    """What the device says it is: model, versions and the names it is found by."""

    model: Ascii24
    hardware_version: Ascii16
    firmware_version: Ascii16
    ble_name_prefix: Ascii16
    usb: Usb


class Battery(SpecModel):
    """The battery pack: voltages, capacity and the run and charge times it gives."""

    cells: Positive
    nominal_mv: Positive
    full_mv: Positive
    empty_mv: Positive
    capacity_mah: Positive
    charge_time_s: Positive
    run_time_full_output_s: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Battery:
        if not self.empty_mv < self.nominal_mv < self.full_mv:
            require([f"empty_mv < nominal_mv < full_mv does not hold for {self.cells} cells"])
        return self


class Output(SpecModel):
    """The emitters or heating element of one port and the electrical power they draw."""

    emitters_per_port: Positive
    wavelength_min_nm: Positive
    wavelength_max_nm: Positive
    drive_mw: tuple[Positive, ...]  # electrical, per intensity level; light only
    controller_mw: NonNegative
    wall_plug_efficiency_pct: Pct  # optical out / electrical in; 0 for a heater
    area_cm2: Positive
    heater_max_mw: NonNegative

    @model_validator(mode="after")
    def _band(self) -> Output:
        if self.wavelength_min_nm > self.wavelength_max_nm:
            require(["wavelength_min_nm is above wavelength_max_nm"])
        return self


class BurnDose(SpecModel):
    """DOMAIN rule 4: t_burn(T) = reference_s * 2^-((T - reference_dc) / halving_dc)."""

    reference_dc: Dc
    reference_s: Positive
    halving_dc: Positive
    stop_pct: Annotated[int, Strict(), Field(ge=1, le=100)]


class Thermal(SpecModel):
    """First-order thermal model of the element or pad and its skin side."""

    ambient_dc: Annotated[int, Strict()]
    tau_s: Positive
    skin_offset_dc: NonNegative
    rise_per_level_dc: tuple[NonNegative, ...]  # steady-state, per intensity level; light only
    rise_dc_per_w: NonNegative  # steady-state element rise per watt; heater only
    normal_skin_max_dc: Dc
    setpoint_levels_dc: tuple[Dc, ...]  # the panel's presets; heater only
    burn_dose: BurnDose


class Pad(SpecModel):
    """A pad type that can be plugged into a port, with the type id it reports."""

    id: Annotated[int, Strict(), Field(ge=1, le=0xFF)]  # 0 on the wire means no pad
    name: Text
    diodes: Positive
    wavelength_min_nm: Positive
    wavelength_max_nm: Positive
    area_cm2: Positive
    drive_mw: Positive  # electrical, at full output

    @model_validator(mode="after")
    def _band(self) -> Pad:
        if self.wavelength_min_nm > self.wavelength_max_nm:
            require([f"wavelength_min_nm of pad {self.name!r} is above wavelength_max_nm"])
        return self


class Safety(SpecModel):
    """Policy limits the firmware enforces beyond those it advertises."""

    charge_blocks_therapy: Annotated[bool, Strict()]
    sleep_mode_max_dc: Dc  # heater only; 0 otherwise


class Physics(SpecModel):
    """What the simulator needs to behave like the real device."""

    battery: Battery
    output: Output
    thermal: Thermal
    pads: tuple[Pad, ...]
    safety: Safety


class Security(SpecModel):
    """IRLink 1.2, for a device with the ``secure`` capability: what it answers before verify."""

    status_before_verify: Annotated[bool, Strict()] = False


class DeviceProfile(SpecModel):
    """One device family: identity, advertised limits and physics, from protocols/devices/."""

    family: Family
    name: Text
    doc: Text
    references: Annotated[tuple[Text, ...], Field(min_length=1)]
    identity: Identity
    info: AdvertisedLimits
    physics: Physics
    security: Security = Security()

    @model_validator(mode="after")
    def _physics_match_info(self) -> DeviceProfile:
        info, out, thermal = self.info, self.physics.output, self.physics.thermal
        problems = []
        if thermal.normal_skin_max_dc >= info.temp_trip_dc:
            problems.append("physics.thermal.normal_skin_max_dc must be below info.temp_trip_dc")
        levels = info.intensity_levels if info.has("light") else 0
        for name, values in (
            ("physics.output.drive_mw", out.drive_mw),
            ("physics.thermal.rise_per_level_dc", thermal.rise_per_level_dc),
        ):
            if len(values) != levels:
                problems.append(f"{name} has {len(values)} values; give one per light level")
        if info.has("light"):
            problems += self._light_physics_problems()
        elif out.wall_plug_efficiency_pct or self.physics.pads:
            problems.append("physics.output.wall_plug_efficiency_pct and pads are for light")
        problems += self._heater_physics_problems()
        require(problems)
        return self

    def _light_physics_problems(self) -> list[str]:
        out, thermal = self.physics.output, self.physics.thermal
        problems = []
        if not out.wall_plug_efficiency_pct:
            problems.append("physics.output.wall_plug_efficiency_pct is 0 on a light device")
        hottest = thermal.ambient_dc + max(thermal.rise_per_level_dc, default=0)
        if hottest - thermal.skin_offset_dc > thermal.normal_skin_max_dc:
            problems.append(
                "physics.thermal.rise_per_level_dc takes the skin above normal_skin_max_dc "
                "at the top level"
            )
        ids = [pad.id for pad in self.physics.pads]
        if len(set(ids)) != len(ids):
            problems.append(f"physics.pads ids are not unique: {ids}")
        limit_mw_cm2 = LIGHT_IRRADIANCE_MAX_DMW_CM2 / 10
        for pad in self.physics.pads:
            if pad.drive_mw * out.wall_plug_efficiency_pct / 100 / pad.area_cm2 > limit_mw_cm2:
                problems.append(
                    f"physics.pads {pad.name!r} exceeds {limit_mw_cm2:g} mW/cm2 "
                    "(DOMAIN safety rule 6)"
                )
        # Pluggable pads that report a type id are what makes a multiport; the others'
        # emitters are built in. physics.output describes the multiport's reference pad.
        if bool(self.physics.pads) != (self.family == "multiport"):
            problems.append("physics.pads must be listed for a multiport and only for it")
        reference = (out.emitters_per_port, out.area_cm2, max(out.drive_mw, default=0))
        if self.physics.pads and reference not in {
            (pad.diodes, pad.area_cm2, pad.drive_mw) for pad in self.physics.pads
        }:
            problems.append(
                "physics.output must describe one of physics.pads (diodes, area_cm2, "
                "drive_mw at the top level)"
            )
        return problems

    def _heater_physics_problems(self) -> list[str]:
        info, out = self.info, self.physics.output
        thermal, safety = self.physics.thermal, self.physics.safety
        heater_figures = {
            "physics.output.heater_max_mw": out.heater_max_mw,
            "physics.thermal.rise_dc_per_w": thermal.rise_dc_per_w,
            "physics.thermal.setpoint_levels_dc": len(thermal.setpoint_levels_dc),
            "physics.safety.sleep_mode_max_dc": safety.sleep_mode_max_dc,
        }
        wrong = [
            name for name, value in heater_figures.items() if bool(value) != info.has("heater")
        ]
        if wrong:
            state = "be set with" if info.has("heater") else "be 0 or empty without"
            return [f"{', '.join(wrong)} must {state} the heater capability"]
        if not info.has("heater"):
            return []
        problems = []
        levels = thermal.setpoint_levels_dc
        if list(levels) != sorted(set(levels)):
            problems.append("physics.thermal.setpoint_levels_dc must be ascending and unique")
        if any(
            not info.setpoint_min_dc <= v <= info.setpoint_max_dc or v % info.setpoint_step_dc
            for v in levels
        ):
            problems.append(
                "physics.thermal.setpoint_levels_dc must be allowed setpoints "
                "(within the info range, multiples of setpoint_step_dc)"
            )
        if not info.setpoint_min_dc <= safety.sleep_mode_max_dc <= info.setpoint_override_dc:
            problems.append(
                "physics.safety.sleep_mode_max_dc must lie between info.setpoint_min_dc "
                "and info.setpoint_override_dc"
            )
        return problems


def load_device_profile(family: str) -> DeviceProfile:
    """Load and validate the profile of one device family."""
    if family not in FAMILIES:
        raise SpecError(
            f"unknown device family {family!r}; the known families are {', '.join(FAMILIES)}"
        )
    relative = f"devices/{family}.yaml"
    profile = load(DeviceProfile, relative)
    if profile.family != family:
        raise SpecError(
            f"protocols/{relative} declares family {profile.family!r}; "
            f"set it to {family!r} or rename the file"
        )
    return profile


def load_device_profiles() -> dict[str, DeviceProfile]:
    """Load and validate every device family's profile, keyed by family."""
    return {family: load_device_profile(family) for family in FAMILIES}
