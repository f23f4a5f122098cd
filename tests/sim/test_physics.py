"""The simulator's physics (src/irlink/sim/model) against DOMAIN.md and the device profiles."""

from __future__ import annotations

import math

import pytest

from irlink.sim.model import BatteryModel, BurnDoseMeter, Drive, PortHardware, ThermalModel
from irlink.spec import load_device_profile
from irlink.spec.devices import DeviceProfile

WAISTBAND = load_device_profile("waistband")
MULTIPORT = load_device_profile("multiport")
FIRMAT = load_device_profile("firmat")


def full_output_mw(profile: DeviceProfile) -> float:
    """What the pack delivers at full output: every port at its top, plus the controller."""
    out, thermal = profile.physics.output, profile.physics.thermal
    if profile.info.has("heater"):
        # Holding the top setpoint: the element's steady power at the highest setpoint.
        per_port = (profile.info.setpoint_max_dc - thermal.ambient_dc) / thermal.rise_dc_per_w
        per_port *= 1000
    else:
        per_port = max(out.drive_mw)
    return per_port * profile.info.port_count + out.controller_mw


def run_to_cutoff(battery: BatteryModel, load_mw: float, cutoff_pct: int) -> int:
    """Seconds of 1-second steps at ``load_mw`` until the charge reaches the cut-off."""
    seconds = 0
    while battery.pct > cutoff_pct:
        battery.step(1.0, load_mw)
        seconds += 1
        assert seconds < 100_000, "the battery never reached the cut-off"
    return seconds


# Battery.


def test_waistband_full_output_is_the_4000_mw_drive_plus_the_50_mw_controller() -> None:
    assert full_output_mw(WAISTBAND) == 4000 + 50


@pytest.mark.parametrize("profile", [WAISTBAND, MULTIPORT, FIRMAT], ids=lambda p: p.family)
def test_full_output_runs_the_profiles_run_time_to_the_cutoff(profile: DeviceProfile) -> None:
    # The multiport's figures are its battery-pack variant's (the mains model has none).
    battery = BatteryModel(profile.physics.battery, soc=1.0)
    seconds = run_to_cutoff(battery, full_output_mw(profile), profile.info.battery_cutoff_pct)
    expected = profile.physics.battery.run_time_full_output_s
    assert abs(seconds - expected) <= 0.10 * expected, (seconds, expected)


def test_waistband_runs_about_four_hours_at_full_output() -> None:
    battery = BatteryModel(WAISTBAND.physics.battery, soc=1.0)
    seconds = run_to_cutoff(battery, 4050, WAISTBAND.info.battery_cutoff_pct)
    assert abs(seconds - 14400) <= 1440


def test_drain_is_the_energy_drawn_over_the_packs_energy() -> None:
    spec = WAISTBAND.physics.battery
    battery = BatteryModel(spec, soc=1.0)
    battery.step(3600, 4050)
    capacity_j = spec.capacity_mah / 1000 * spec.nominal_mv / 1000 * 3600
    assert battery.soc == pytest.approx(1 - 4.050 * 3600 / capacity_j, rel=1e-12)


def test_voltage_sags_under_load_and_stays_between_empty_and_full() -> None:
    spec = WAISTBAND.physics.battery
    battery = BatteryModel(spec, soc=1.0)
    checked = 0
    while battery.pct > WAISTBAND.info.battery_cutoff_pct:
        ocv = battery.open_circuit_mv()
        loaded = battery.voltage_mv(4050)
        assert loaded < ocv
        assert spec.empty_mv <= loaded <= spec.full_mv
        assert battery.voltage_mv(0) == ocv
        battery.step(60, 4050)
        checked += 1
    assert checked > 200  # the whole run, minute by minute


@pytest.mark.parametrize(
    "soc", [0.0, 0.025, 0.05, 0.07, 0.1, 0.2, 0.333, 0.5, 0.64, 0.8, 0.99, 1.0, -0.5, 1.5]
)
def test_open_circuit_voltage_interpolates_the_curve_and_clamps_outside_it(soc: float) -> None:
    spec = WAISTBAND.physics.battery
    battery = BatteryModel(spec, soc=soc)
    # The curve's points as fractions of the way from empty to full, written out here.
    curve = [(0.0, 0.0), (0.05, 0.2), (0.1, 0.33), (0.2, 0.43), (0.5, 0.58), (0.8, 0.79)]
    curve.append((1.0, 1.0))
    clamped = min(max(soc, 0.0), 1.0)
    i = next(i for i in range(1, len(curve)) if clamped <= curve[i][0])
    (s0, v0), (s1, v1) = curve[i - 1], curve[i]
    fraction = v0 + (v1 - v0) * (clamped - s0) / (s1 - s0)
    expected = spec.empty_mv + fraction * (spec.full_mv - spec.empty_mv)
    assert battery.open_circuit_mv() == expected  # exactly: status rounds this value
    assert battery.voltage_mv(0) == expected


def test_voltage_falls_as_the_battery_drains() -> None:
    battery = BatteryModel(WAISTBAND.physics.battery, soc=1.0)
    previous = math.inf
    for soc in (1.0, 0.8, 0.5, 0.2, 0.1, 0.05, 0.0):
        battery.soc = soc
        assert battery.open_circuit_mv() < previous
        previous = battery.open_circuit_mv()
    assert battery.open_circuit_mv() == WAISTBAND.physics.battery.empty_mv
    battery.soc = 1.0
    assert battery.open_circuit_mv() == WAISTBAND.physics.battery.full_mv


def test_a_bigger_load_sags_the_voltage_more() -> None:
    battery = BatteryModel(WAISTBAND.physics.battery, soc=0.5)
    assert battery.voltage_mv(4050) < battery.voltage_mv(510) < battery.voltage_mv(0)


@pytest.mark.parametrize("profile", [WAISTBAND, FIRMAT], ids=lambda p: p.family)
def test_charging_from_empty_to_full_takes_the_charge_time(profile: DeviceProfile) -> None:
    charge_time = profile.physics.battery.charge_time_s
    battery = BatteryModel(profile.physics.battery, soc=0.0, charging=True)
    seconds = 0
    while battery.soc < 1.0:
        battery.step(1.0, 4050)  # the load does not drain a battery on the charger
        seconds += 1
        assert seconds <= charge_time + 1
    assert abs(seconds - charge_time) <= 1
    battery.step(600, 0)
    assert battery.soc == 1.0  # a full pack stays full


def test_charging_is_linear_in_time() -> None:
    charge_time = WAISTBAND.physics.battery.charge_time_s
    battery = BatteryModel(WAISTBAND.physics.battery, soc=0.0, charging=True)
    battery.step(charge_time / 2, 0)
    assert battery.soc == pytest.approx(0.5)
    assert battery.pct == 50


# Warm-up.


@pytest.mark.parametrize(
    ("profile", "tau_s"), [(WAISTBAND, 300), (FIRMAT, 180)], ids=["waistband", "firmat"]
)
def test_warm_up_reaches_63_percent_of_its_rise_after_one_tau(
    profile: DeviceProfile, tau_s: float
) -> None:
    thermal = profile.physics.thermal
    assert thermal.tau_s == tau_s
    model = ThermalModel(thermal.ambient_dc, thermal.tau_s, thermal.skin_offset_dc)
    rise = 200.0
    for _ in range(tau_s):
        model.step(1.0, rise)
    fraction = (model.temp_dc - thermal.ambient_dc) / rise
    assert fraction == pytest.approx(1 - math.exp(-1), abs=1e-9)
    assert 0.63 <= fraction <= 0.633


@pytest.mark.parametrize("tau_s", [300, 180])
def test_warm_up_is_exact_for_big_and_small_steps_alike(tau_s: float) -> None:
    one_step = ThermalModel(330, tau_s, 0)
    one_step.step(tau_s, 45)
    expected = 330 + 45 * (1 - math.exp(-1))
    for dt, count in ((1.0, tau_s), (0.1, tau_s * 10), (tau_s / 3, 3), (0.001, tau_s * 1000)):
        model = ThermalModel(330, tau_s, 0)
        for _ in range(count):
            model.step(dt, 45)
        assert model.temp_dc == pytest.approx(expected, abs=1e-6), dt
    assert one_step.temp_dc == pytest.approx(expected, abs=1e-9)


def test_cooling_relaxes_back_to_ambient_with_the_same_tau() -> None:
    model = ThermalModel(330, 300, 0, temp_dc=430)
    model.step(300, 0)
    assert model.temp_dc == pytest.approx(330 + 100 * math.exp(-1))
    model.step(30 * 300, 0)
    assert model.temp_dc == pytest.approx(330, abs=1e-6)


def test_skin_side_is_the_element_less_the_offset() -> None:
    thermal = FIRMAT.physics.thermal
    model = ThermalModel(thermal.ambient_dc, thermal.tau_s, thermal.skin_offset_dc, temp_dc=480)
    assert model.skin_dc == 430


@pytest.mark.parametrize("profile", [WAISTBAND, MULTIPORT], ids=lambda p: p.family)
def test_light_at_the_top_level_keeps_the_skin_within_normal_use(profile: DeviceProfile) -> None:
    # DOMAIN safety rule 3: skin contact <= 41 degC in normal use, well below the trip.
    port = PortHardware.build(1, profile)
    port.drive = Drive(level=profile.info.intensity_levels)
    for _ in range(3600):
        port.step(1.0)
    thermal = profile.physics.thermal
    assert port.thermal.skin_dc <= thermal.normal_skin_max_dc < profile.info.temp_trip_dc
    assert port.thermal.skin_dc == pytest.approx(
        thermal.ambient_dc + thermal.rise_per_level_dc[-1], abs=0.5
    )


# The firmat's thermostat.


def heat(setpoint_dc: int, seconds: int) -> PortHardware:
    port = PortHardware.build(1, FIRMAT)
    port.drive = Drive(level=1, setpoint_dc=setpoint_dc)
    for _ in range(seconds):
        port.step(1.0)
    return port


@pytest.mark.parametrize("setpoint_dc", [300, 430, 490, 700])
def test_firmat_heater_holds_its_setpoint_at_steady_state(setpoint_dc: int) -> None:
    port = heat(setpoint_dc, 20 * FIRMAT.physics.thermal.tau_s)
    assert abs(port.thermal.temp_dc - setpoint_dc) <= 3
    assert port.power_mw <= FIRMAT.physics.output.heater_max_mw
    settled = port.thermal.temp_dc
    for _ in range(600):
        port.step(1.0)
    assert port.thermal.temp_dc == pytest.approx(settled, abs=0.5)  # it holds there


def test_firmat_skin_side_runs_5_degc_below_the_element() -> None:
    port = heat(430, 20 * FIRMAT.physics.thermal.tau_s)
    assert port.thermal.temp_dc - port.thermal.skin_dc == 50
    assert abs(port.thermal.skin_dc - 380) <= 3


def test_firmat_heater_draws_the_steady_power_the_profile_computes() -> None:
    port = heat(700, 20 * FIRMAT.physics.thermal.tau_s)
    thermal = FIRMAT.physics.thermal
    steady_mw = (700 - thermal.ambient_dc) / thermal.rise_dc_per_w * 1000
    assert port.power_mw == pytest.approx(steady_mw, rel=0.01)


def test_firmat_heater_off_cools_to_ambient() -> None:
    port = heat(430, 1800)
    port.drive = Drive()
    for _ in range(20 * FIRMAT.physics.thermal.tau_s):
        port.step(1.0)
    assert port.power_mw == 0
    assert port.thermal.temp_dc == pytest.approx(FIRMAT.physics.thermal.ambient_dc, abs=0.5)


# The burn-dose meter (DOMAIN safety rule 4).


def meter() -> BurnDoseMeter:
    return BurnDoseMeter(FIRMAT.physics.thermal.burn_dose)


def test_burn_takes_6_hours_at_44_degc() -> None:
    assert meter().t_burn_s(440) == 6 * 3600


@pytest.mark.parametrize("skin_dc", [400, 430, 440, 445, 450, 470, 490])
def test_burn_time_halves_for_every_degree(skin_dc: int) -> None:
    m = meter()
    assert m.t_burn_s(skin_dc + 10) == pytest.approx(m.t_burn_s(skin_dc) / 2, rel=1e-12)
    assert m.t_burn_s(skin_dc) == pytest.approx(21600 * 2 ** (-(skin_dc - 440) / 10))


def test_burn_takes_about_6_minutes_at_50_degc() -> None:
    assert meter().t_burn_s(500) == pytest.approx(6 * 3600 / 64)  # 5.6 min


def test_guard_trips_when_the_dose_reaches_a_quarter() -> None:
    m = meter()
    m.step(0.25 * 21600 - 1, 440)
    assert not m.tripped
    m.step(1, 440)
    assert m.dose == pytest.approx(0.25)
    assert m.tripped


def test_dose_sums_dt_over_t_burn_across_temperatures() -> None:
    m = meter()
    m.step(1800, 440)  # 1/12 of a burn
    m.step(900, 450)  # 1/12 more: half the time at twice the rate
    assert m.dose == pytest.approx(1 / 6)
    assert not m.tripped
    m.step(337.5 / 12 - 0.5, 500)  # nearly the last twelfth at 50 degC (t_burn 337.5 s)
    assert not m.tripped
    m.step(0.5, 500)
    assert m.tripped
