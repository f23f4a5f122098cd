"""The device_info limits of a device profile, with the rules that make them consistent."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, Strict, StringConstraints, model_validator

from irlink.spec._models import SpecModel, require

Capability = Literal["battery", "sham", "heater", "light", "pulsed", "secure"]

# The wire types and ranges of device_info in protocols/irlink-v1.yaml, repeated here so
# that a profile a device could not send fails when it is loaded, not on the wire.
# A test cross-checks these bounds against the YAML.
U16 = Annotated[int, Strict(), Field(ge=0, le=0xFFFF)]
Pct = Annotated[int, Strict(), Field(ge=0, le=100)]
Dc = Annotated[int, Strict(), Field(ge=0, le=1000)]  # i16 fields with range [0, 1000]
PulseHz = Annotated[int, Strict(), Field(ge=1, le=10000)]


def _printable_ascii(value: str) -> str:
    # device_info strings travel as ASCII bytes; a display on either end must show them.
    if not all(" " <= char <= "~" for char in value):
        raise ValueError(f"{value!r} must be printable ASCII")
    return value


Ascii16 = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=16), AfterValidator(_printable_ascii)
]
Ascii24 = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=24), AfterValidator(_printable_ascii)
]

# DOMAIN.md safety rules 1 and 6, in wire units.
LIGHT_SESSION_MAX_S = 3600
LIGHT_IRRADIANCE_MAX_DMW_CM2 = 500


class AdvertisedLimits(SpecModel):
    """The limit fields of the device_info response, named and scaled as on the wire."""

    capabilities: tuple[Capability, ...]
    port_count: Annotated[int, Strict(), Field(ge=1, le=4)]
    session_min_s: U16
    session_max_s: U16
    session_step_s: Annotated[int, Strict(), Field(ge=1, le=0xFFFF)]
    session_default_s: U16
    intensity_levels: Annotated[int, Strict(), Field(ge=0, le=10)]
    irradiance_dmw_cm2: Annotated[tuple[U16, ...], Field(max_length=10)]
    pulse_hz: Annotated[tuple[PulseHz, ...], Field(max_length=8)]
    pulse_duty_pct: Pct
    setpoint_min_dc: Dc
    setpoint_max_dc: Dc
    setpoint_step_dc: Dc
    setpoint_override_dc: Dc
    temp_trip_dc: Dc
    battery_warn_pct: Pct
    battery_start_pct: Pct
    battery_cutoff_pct: Pct
    status_period_min_ms: Annotated[int, Strict(), Field(ge=1, le=0xFFFF)]
    heartbeat_max_ms: U16
    heartbeat_misses: Annotated[int, Strict(), Field(ge=1, le=0xFF)]
    max_starts_per_day: Annotated[int, Strict(), Field(ge=0, le=0xFF)]  # 0: no daily limit
    setpoint_default_dc: Dc  # what a port holds before its first configure; 0 without a heater

    def has(self, capability: Capability) -> bool:
        """Whether the device advertises this capability."""
        return capability in self.capabilities

    @model_validator(mode="after")
    def _consistent(self) -> AdvertisedLimits:
        problems = _capability_problems(self) + _session_problems(self)
        problems += _light_problems(self) + _heater_problems(self)
        problems += _battery_problems(self)
        require(problems)
        return self


_BATTERY = ("battery_warn_pct", "battery_start_pct", "battery_cutoff_pct")


def _battery_problems(info: AdvertisedLimits) -> list[str]:
    if not info.has("battery"):
        # Without a battery the limits mean nothing; 1.1 sends them as 0.
        nonzero = [name for name in _BATTERY if getattr(info, name)]
        return [f"{', '.join(nonzero)} must be 0 without the battery capability"] if nonzero else []
    if not info.battery_warn_pct >= info.battery_start_pct >= info.battery_cutoff_pct:
        return [
            f"battery_warn_pct ({info.battery_warn_pct}) >= battery_start_pct "
            f"({info.battery_start_pct}) >= battery_cutoff_pct "
            f"({info.battery_cutoff_pct}) does not hold"
        ]
    return []


def _capability_problems(info: AdvertisedLimits) -> list[str]:
    problems = []
    if len(set(info.capabilities)) != len(info.capabilities):
        problems.append(f"capabilities lists a name twice: {list(info.capabilities)}")
    if not (info.has("light") or info.has("heater")):
        problems.append("capabilities has neither light nor heater: the device has no output")
    if info.has("pulsed") and not info.has("light"):
        problems.append("capabilities has pulsed without light: only light output is pulsed")
    return problems


def _session_problems(info: AdvertisedLimits) -> list[str]:
    problems = []
    lo, default, hi = info.session_min_s, info.session_default_s, info.session_max_s
    if not 0 < lo <= default <= hi:
        problems.append(
            f"0 < session_min_s ({lo}) <= session_default_s ({default}) "
            f"<= session_max_s ({hi}) does not hold"
        )
    for name in ("session_min_s", "session_default_s", "session_max_s"):
        value = getattr(info, name)
        if value % info.session_step_s:
            problems.append(f"{name} ({value}) is not a multiple of session_step_s")
    return problems


def _light_problems(info: AdvertisedLimits) -> list[str]:
    problems = []
    if len(info.irradiance_dmw_cm2) != info.intensity_levels:
        problems.append(
            f"irradiance_dmw_cm2 has {len(info.irradiance_dmw_cm2)} values for "
            f"intensity_levels = {info.intensity_levels}; give one per level"
        )
    if info.has("light"):
        if info.intensity_levels < 1:
            problems.append("intensity_levels is 0 on a light device; give at least 1")
        if any(v > LIGHT_IRRADIANCE_MAX_DMW_CM2 for v in info.irradiance_dmw_cm2):
            problems.append(
                f"irradiance_dmw_cm2 exceeds {LIGHT_IRRADIANCE_MAX_DMW_CM2} (50 mW/cm2, "
                "DOMAIN safety rule 6)"
            )
        if info.session_max_s > LIGHT_SESSION_MAX_S:
            problems.append(
                f"session_max_s ({info.session_max_s}) exceeds {LIGHT_SESSION_MAX_S} "
                "for a light device (DOMAIN safety rule 1)"
            )
    if bool(info.pulse_hz) != info.has("pulsed"):
        problems.append("pulse_hz must be non-empty exactly when capabilities has pulsed")
    if len(set(info.pulse_hz)) != len(info.pulse_hz):
        problems.append("pulse_hz lists a frequency twice")
    if info.has("pulsed") != (info.pulse_duty_pct > 0):
        problems.append("pulse_duty_pct must be above 0 exactly when capabilities has pulsed")
    return problems


_SETPOINTS = (
    "setpoint_min_dc",
    "setpoint_max_dc",
    "setpoint_step_dc",
    "setpoint_override_dc",
    "setpoint_default_dc",
)


def _heater_problems(info: AdvertisedLimits) -> list[str]:
    values = {name: getattr(info, name) for name in _SETPOINTS}
    if not info.has("heater"):
        nonzero = [name for name, value in values.items() if value]
        return [f"{', '.join(nonzero)} must be 0 without the heater capability"] if nonzero else []
    zero = [name for name, value in values.items() if not value]
    if zero:
        return [f"{', '.join(zero)} must be above 0 with the heater capability"]
    problems = []
    lo, override, hi = info.setpoint_min_dc, info.setpoint_override_dc, info.setpoint_max_dc
    if not lo <= override <= hi:
        problems.append(
            f"setpoint_min_dc ({lo}) <= setpoint_override_dc ({override}) "
            f"<= setpoint_max_dc ({hi}) does not hold"
        )
    for name in (
        "setpoint_min_dc",
        "setpoint_max_dc",
        "setpoint_override_dc",
        "setpoint_default_dc",
    ):
        if values[name] % info.setpoint_step_dc:
            problems.append(f"{name} ({values[name]}) is not a multiple of setpoint_step_dc")
    if not lo <= info.setpoint_default_dc <= override:
        problems.append(
            f"setpoint_default_dc ({info.setpoint_default_dc}) must lie between setpoint_min_dc "
            f"and setpoint_override_dc: a port never starts out needing the override"
        )
    return problems
