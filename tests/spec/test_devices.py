"""The device profiles of protocols/devices/ and the schema that guards them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from irlink.errors import SpecError
from irlink.spec import _files
from irlink.spec.devices import (
    FAMILIES,
    AdvertisedLimits,
    DeviceProfile,
    load_device_profile,
    load_device_profiles,
)

HOUR_S = 3600


def _raw(family: str) -> dict[str, Any]:
    data: dict[str, Any] = _files.read_yaml(f"devices/{family}.yaml")
    return data


def _broken(family: str, path: str, value: Any) -> dict[str, Any]:
    """The real profile with the one value at a dotted path replaced."""
    data = copy.deepcopy(_raw(family))
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[leaf] = value
    return data


def _rejects(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        DeviceProfile.model_validate(data)


def _within(actual: float, expected: float, tolerance: float = 0.10) -> bool:
    return abs(actual - expected) <= tolerance * expected


# Loading


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_profile_loads_and_names_its_family(family: str) -> None:
    assert load_device_profile(family).family == family


def test_load_device_profiles_keys_every_family() -> None:
    profiles = load_device_profiles()
    assert sorted(profiles) == sorted(FAMILIES)
    assert all(profiles[f].family == f for f in profiles)


def test_unknown_family_is_a_spec_error_listing_the_known_ones() -> None:
    with pytest.raises(SpecError, match="waistband, multiport, firmat"):
        load_device_profile("toaster")


def test_invalid_file_is_a_spec_error_naming_file_and_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = _broken("waistband", "info.session_default_s", 4000)
    monkeypatch.setattr(_files, "read_yaml", lambda relative: broken)
    with pytest.raises(SpecError) as caught:
        load_device_profile("waistband")
    message = str(caught.value)
    assert "protocols/devices/waistband.yaml" in message
    assert "session_default_s" in message
    assert "errors.pydantic.dev" not in message


def test_profile_whose_family_differs_from_its_file_name_is_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    multiport = _raw("multiport")
    monkeypatch.setattr(_files, "read_yaml", lambda relative: multiport)
    with pytest.raises(SpecError, match="declares family 'multiport'"):
        load_device_profile("waistband")


def test_info_holds_exactly_the_limit_fields_of_device_info() -> None:
    protocol = _files.read_yaml("irlink-v1.yaml")
    wire = [f["name"] for f in protocol["structs"]["device_info"]["fields"]]
    identity = ["protocol_version", "family", "model", "serial"]
    identity += ["firmware_version", "hardware_version", "protocol_minor"]
    assert list(AdvertisedLimits.model_fields) == [n for n in wire if n not in identity]


def test_capability_names_are_those_of_the_protocol() -> None:
    protocol = _files.read_yaml("irlink-v1.yaml")
    wire = set(protocol["flags"]["capability_flags"]["bits"])
    for profile in load_device_profiles().values():
        assert set(profile.info.capabilities) <= wire


def test_profiles_are_immutable() -> None:
    profile = load_device_profile("waistband")
    with pytest.raises(ValidationError):
        profile.info.session_max_s = 7200  # type: ignore[misc]


# Cross-field and wire rules, each breaking one value of a real profile


def test_misspelt_key_is_rejected() -> None:
    _rejects(_broken("waistband", "info.session_max", 3600), "session_max")


def test_bool_where_a_number_is_expected_is_rejected() -> None:
    _rejects(_broken("waistband", "info.port_count", True), "port_count")


def test_unknown_capability_is_rejected() -> None:
    _rejects(_broken("waistband", "info.capabilities", ["light", "laser"]), "capabilities")


def test_session_default_above_max_is_rejected() -> None:
    _rejects(_broken("waistband", "info.session_default_s", 4200), "session_default_s")


def test_session_min_above_default_is_rejected() -> None:
    _rejects(_broken("multiport", "info.session_min_s", 2400), "session_min_s")


def test_session_value_off_the_step_is_rejected() -> None:
    _rejects(_broken("firmat", "info.session_default_s", 3630), "session_default_s")


def test_irradiance_list_needs_one_value_per_intensity_level() -> None:
    _rejects(_broken("waistband", "info.irradiance_dmw_cm2", [40, 350]), "irradiance_dmw_cm2")


def test_pulse_frequencies_without_pulsed_capability_are_rejected() -> None:
    _rejects(_broken("waistband", "info.capabilities", ["battery", "sham", "light"]), "pulse_hz")


def test_pulsed_capability_without_frequencies_is_rejected() -> None:
    _rejects(_broken("multiport", "info.pulse_hz", []), "pulse_hz")


def test_setpoints_without_heater_capability_are_rejected() -> None:
    _rejects(_broken("waistband", "info.setpoint_max_dc", 700), "setpoint_max_dc")


def test_heater_capability_without_setpoints_is_rejected() -> None:
    _rejects(_broken("firmat", "info.setpoint_step_dc", 0), "setpoint_step_dc")


def test_heater_override_outside_setpoint_range_is_rejected() -> None:
    _rejects(_broken("firmat", "info.setpoint_override_dc", 800), "setpoint_override_dc")


def test_battery_start_above_warn_is_rejected() -> None:
    _rejects(_broken("waistband", "info.battery_start_pct", 20), "battery_start_pct")


def test_battery_cutoff_above_start_is_rejected() -> None:
    _rejects(_broken("firmat", "info.battery_cutoff_pct", 16), "battery_cutoff_pct")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("info.port_count", 5),  # u8, range [1, 4]
        ("info.session_max_s", 70000),  # u16
        ("info.session_step_s", 0),  # range [1, 65535]
        ("info.intensity_levels", 11),  # range [0, 10]
        ("info.pulse_hz", [10, 40, 10001]),  # range [1, 10000]
        ("info.pulse_hz", [1, 2, 3, 4, 5, 6, 7, 8, 9]),  # at most 8
        ("info.pulse_duty_pct", 101),
        ("info.temp_trip_dc", 1001),  # i16, range [0, 1000]
        ("info.battery_warn_pct", 101),
        ("info.status_period_min_ms", 0),  # range [1, 65535]
        ("info.heartbeat_misses", 256),  # u8, range [1, 255]
        ("identity.model", "IRL-W2-WITH-A-VERY-LONG-NAME"),  # at most 24 chars
        ("identity.firmware_version", "1.0.0-rc.1+build.12345"),  # at most 16 chars
        ("identity.model", "IRL-W2\u00b5"),  # ASCII only
        ("identity.usb.pid", 0x10000),  # u16
    ],
)
def test_value_that_does_not_fit_its_wire_field_is_rejected(path: str, value: Any) -> None:
    _rejects(_broken("waistband", path, value), path.rsplit(".", 1)[-1])


def test_light_irradiance_above_50_mw_cm2_is_rejected() -> None:
    _rejects(_broken("waistband", "info.irradiance_dmw_cm2", [40, 200, 510]), "irradiance")


def test_light_session_longer_than_60_minutes_is_rejected() -> None:
    _rejects(_broken("multiport", "info.session_max_s", 4200), "session_max_s")


def test_light_device_whose_top_level_heats_skin_past_normal_is_rejected() -> None:
    _rejects(
        _broken("waistband", "physics.thermal.rise_per_level_dc", [5, 25, 90]),
        "rise_per_level_dc",
    )


def test_drive_power_list_needs_one_value_per_light_level() -> None:
    _rejects(_broken("waistband", "physics.output.drive_mw", [4000]), "drive_mw")


def test_pads_with_the_same_type_id_are_rejected() -> None:
    data = _raw("multiport")
    pads = data["physics"]["pads"]
    pads[1]["id"] = pads[0]["id"]
    _rejects(data, "pads")


def test_pad_above_50_mw_cm2_is_rejected() -> None:
    data = _raw("multiport")
    data["physics"]["pads"][0]["area_cm2"] = 100
    _rejects(data, "pads")


def test_pads_on_a_device_with_built_in_emitters_are_rejected() -> None:
    pads = _raw("multiport")["physics"]["pads"]
    _rejects(_broken("waistband", "physics.pads", pads), "pads")


def test_multiport_output_that_matches_no_pad_is_rejected() -> None:
    _rejects(_broken("multiport", "physics.output.area_cm2", 200), "physics.output")


def test_heater_preset_off_the_setpoint_step_is_rejected() -> None:
    levels = [300, 360, 435, 490, 560, 630, 700]
    _rejects(_broken("firmat", "physics.thermal.setpoint_levels_dc", levels), "setpoint_levels")


def test_sleep_mode_limit_above_override_is_rejected() -> None:
    _rejects(_broken("firmat", "physics.safety.sleep_mode_max_dc", 500), "sleep_mode_max_dc")


def test_normal_skin_limit_at_or_above_trip_is_rejected() -> None:
    _rejects(_broken("firmat", "physics.thermal.normal_skin_max_dc", 430), "normal_skin_max_dc")


# The figures agree with each other


def _full_output_mw(profile: DeviceProfile) -> float:
    """Battery draw at full output: every port at the top light level, or the heater
    holding its highest setpoint at steady state."""
    out, thermal, info = profile.physics.output, profile.physics.thermal, profile.info
    if info.has("light"):
        return out.controller_mw + info.port_count * out.drive_mw[-1]
    rise_dc = info.setpoint_max_dc - thermal.ambient_dc
    return out.controller_mw + info.port_count * 1000 * rise_dc / thermal.rise_dc_per_w


def _run_time_full_output_s(profile: DeviceProfile) -> float:
    battery = profile.physics.battery
    energy_mwh = battery.capacity_mah * battery.nominal_mv / 1000
    return energy_mwh / _full_output_mw(profile) * HOUR_S


def test_waistband_runs_about_four_hours_at_full_output() -> None:
    profile = load_device_profile("waistband")
    battery = profile.physics.battery
    run_time_s = _run_time_full_output_s(profile)
    assert _within(run_time_s, 4 * HOUR_S)
    assert _within(run_time_s, battery.run_time_full_output_s)


@pytest.mark.parametrize("family", FAMILIES)
def test_stated_run_time_follows_from_capacity_and_power(family: str) -> None:
    profile = load_device_profile(family)
    battery = profile.physics.battery
    run_time_s = _run_time_full_output_s(profile)
    assert _within(run_time_s, battery.run_time_full_output_s)


@pytest.mark.parametrize("family", ["waistband", "multiport"])
def test_advertised_irradiance_follows_from_drive_power_and_area(family: str) -> None:
    profile = load_device_profile(family)
    out = profile.physics.output
    for drive_mw, advertised in zip(out.drive_mw, profile.info.irradiance_dmw_cm2, strict=True):
        optical_mw = drive_mw * out.wall_plug_efficiency_pct / 100
        assert _within(optical_mw / out.area_cm2 * 10, advertised)


def test_longest_mat_session_just_below_the_trip_stays_clear_of_the_burn_guard() -> None:
    profile = load_device_profile("firmat")
    dose = profile.physics.thermal.burn_dose
    below_trip_dc = profile.info.temp_trip_dc - 1
    t_burn_s = dose.reference_s * 2 ** ((dose.reference_dc - below_trip_dc) / dose.halving_dc)
    assert profile.info.session_max_s < dose.stop_pct / 100 * t_burn_s


def test_usb_ids_are_distinct_pid_codes_test_ids() -> None:
    ids = [p.identity.usb for p in load_device_profiles().values()]
    assert all(usb.vid == 0x1209 and 0x0001 <= usb.pid <= 0x0010 for usb in ids)
    assert len({usb.pid for usb in ids}) == len(ids)


def test_ble_name_prefix_is_the_model_and_a_dash() -> None:
    for profile in load_device_profiles().values():
        assert profile.identity.ble_name_prefix == profile.identity.model + "-"


# The figures agree with DOMAIN.md's headline figures (copied here from its tables)


def test_every_profile_keeps_the_domain_safety_figures() -> None:
    for profile in load_device_profiles().values():
        info, thermal = profile.info, profile.physics.thermal
        assert (info.temp_trip_dc, thermal.normal_skin_max_dc) == (430, 410)  # rule 3
        dose = thermal.burn_dose  # rule 4: 6 h at 44 degC, halving per degC, stop at 0.25
        assert (dose.reference_dc, dose.reference_s, dose.halving_dc) == (440, 21600, 10)
        assert dose.stop_pct == 25
        assert (info.heartbeat_max_ms, info.heartbeat_misses) == (10000, 3)  # rule 2
        if info.has("battery"):
            assert info.battery_start_pct == 15  # rule 7
        else:  # the limits of a battery nobody has are 0 and unused
            assert (info.battery_warn_pct, info.battery_start_pct, info.battery_cutoff_pct) == (
                0,
                0,
                0,
            )
        assert profile.info.max_starts_per_day == 3  # rule 1
        if info.has("light"):
            assert info.session_max_s <= 3600  # rule 1
            assert info.session_default_s == 1800


def test_waistband_matches_the_domain_figures() -> None:
    profile = load_device_profile("waistband")
    info, physics = profile.info, profile.physics
    assert {"battery", "sham", "light"} <= set(info.capabilities)
    assert (info.session_min_s, info.session_default_s, info.session_max_s) == (600, 1800, 3600)
    assert info.intensity_levels == 3
    assert (info.irradiance_dmw_cm2[0], info.irradiance_dmw_cm2[-1]) == (40, 350)
    assert (info.battery_warn_pct, info.battery_start_pct, info.battery_cutoff_pct) == (15, 15, 5)
    assert physics.output.emitters_per_port * info.port_count == 2
    band = (physics.output.wavelength_min_nm, physics.output.wavelength_max_nm)
    assert band == (800, 1200)
    assert (physics.battery.cells, physics.battery.nominal_mv) == (2, 7400)
    assert physics.battery.capacity_mah == 2200
    assert physics.battery.charge_time_s <= 3 * HOUR_S


def test_multiport_matches_the_domain_figures() -> None:
    profile = load_device_profile("multiport")
    info, physics = profile.info, profile.physics
    assert info.port_count == 2
    assert info.pulse_hz == (10, 40, 73, 292, 584, 1168, 2336, 4672)
    assert info.pulse_duty_pct == 85
    assert _within(info.irradiance_dmw_cm2[-1], 350)
    lumbar = next(pad for pad in physics.pads if pad.diodes == 60)
    assert (lumbar.wavelength_min_nm, lumbar.wavelength_max_nm, lumbar.area_cm2) == (880, 890, 180)
    optical_mw = lumbar.drive_mw * physics.output.wall_plug_efficiency_pct / 100
    assert _within(optical_mw, 6200)
    assert any(pad.diodes == 52 for pad in physics.pads)


def test_firmat_matches_the_domain_figures() -> None:
    profile = load_device_profile("firmat")
    info, physics = profile.info, profile.physics
    assert info.has("heater")
    setpoints = (info.setpoint_min_dc, info.setpoint_max_dc, info.setpoint_step_dc)
    assert setpoints == (300, 700, 10)
    assert physics.thermal.setpoint_levels_dc == (300, 360, 430, 490, 560, 630, 700)
    assert info.setpoint_override_dc == 490  # rule 5: above 49 degC needs an override
    assert physics.safety.sleep_mode_max_dc == 360  # rule 5: sleep mode <= 36 degC
    assert physics.thermal.skin_offset_dc == 50
    assert info.session_default_s == 3600
    assert physics.battery.nominal_mv == 7400
    assert 2200 <= physics.battery.capacity_mah <= 4400
