"""What the device says it is and how it is: device_info and status (protocols/README.md 6.4).

The host keeps no per-model tables, so everything it checks comes from these two
answers: they must be consistent with themselves, with each other and with the
safety rules of DOMAIN.md.
"""

from __future__ import annotations

from datetime import timedelta

from hil.rig import SECOND, Dut
from irlink import Mode, PortState
from irlink.model import Info, PortStatus
from irlink.protocol.messages import CapabilityFlags

PLAUSIBLE_C = (-40.0, 100.0)  # a working sensor on a device in use reads inside this
AT_REST = (PortState.IDLE, PortState.NO_PAD, PortState.FAULT)


def _on_step(value: timedelta, step: timedelta) -> bool:
    return value % step == timedelta(0)


def _on_step_c(value: float, step: float) -> bool:
    return round(value * 10) % round(step * 10) == 0  # the wire's deci-degrees


async def test_info_names_a_v1_device(dut: Dut) -> None:
    """6.4 device_info: protocol version 1, and a model and serial that name the device."""
    info = dut.info
    assert info.protocol_version == 1
    assert info.model, "device_info.model is empty: the device does not say what it is"
    assert info.serial, "device_info.serial is empty: two devices of a model look the same"
    assert info.firmware_version, "device_info.firmware_version is empty"
    assert 1 <= info.port_count <= 4


async def test_session_limits_are_ordered(dut: Dut) -> None:
    """6.4 device_info: 0 < session_min <= session_default <= session_max, all on the step."""
    info = dut.info
    assert info.session_step >= SECOND
    assert timedelta(0) < info.session_min <= info.session_default <= info.session_max
    for name in ("session_min", "session_default", "session_max"):
        value = getattr(info, name)
        assert _on_step(value, info.session_step), (
            f"{name} {value} is not a multiple of session_step {info.session_step}"
        )


async def test_output_limits_match_the_capabilities(dut: Dut) -> None:
    """6.4 device_info: levels, pulse rates and setpoints are there exactly when the
    capabilities say so (light, pulsed, heater), and ordered."""
    info = dut.info
    if info.has(CapabilityFlags.LIGHT):
        assert info.intensity_levels >= 1, "a light device has at least one intensity level"
        assert len(info.irradiance_mw_cm2) == info.intensity_levels, (
            "irradiance_dmw_cm2 gives one figure per intensity level"
        )
        assert list(info.irradiance_mw_cm2) == sorted(info.irradiance_mw_cm2)
    else:
        assert not info.irradiance_mw_cm2, "irradiance is for light devices only"
    if info.has(CapabilityFlags.PULSED):
        assert info.pulse_hz, "a pulsed device lists its pulse rates"
        assert len(set(info.pulse_hz)) == len(info.pulse_hz), "pulse rates are listed once"
        assert 0 < info.pulse_duty_pct <= 100
    else:
        assert not info.pulse_hz, "pulse rates are listed only with the pulsed capability"
    if info.has(CapabilityFlags.HEATER):
        assert info.setpoint_step_c > 0
        assert info.setpoint_min_c <= info.setpoint_override_c <= info.setpoint_max_c
        for name in ("setpoint_min_c", "setpoint_max_c"):
            assert _on_step_c(getattr(info, name), info.setpoint_step_c), (
                f"{name} is not a multiple of setpoint_step"
            )
    else:
        setpoints = (info.setpoint_min_c, info.setpoint_max_c, info.setpoint_step_c)
        assert setpoints == (0, 0, 0), "setpoints are 0 on a device without a heater"


async def test_battery_and_link_limits_are_ordered(dut: Dut) -> None:
    """6.4 device_info: battery cut-off below the start level; a status period and a
    heartbeat policy the host can use."""
    info = dut.info
    if info.has(CapabilityFlags.BATTERY):
        warn, start, cutoff = info.battery_warn_pct, info.battery_start_pct, info.battery_cutoff_pct
        assert warn is not None
        assert start is not None
        assert cutoff is not None
        assert cutoff < start <= 100
        assert cutoff <= warn <= 100
    else:  # 5: limits of a battery the device does not have are not applied
        assert (info.battery_warn_pct, info.battery_start_pct, info.battery_cutoff_pct) == (
            None,
            None,
            None,
        )
    assert info.status_period_min > timedelta(0)
    assert info.heartbeat_max > timedelta(0), "a device must accept some heartbeat interval"
    assert info.heartbeat_misses >= 1


async def test_limits_keep_the_domain_safety_rules(dut: Dut) -> None:
    """DOMAIN.md safety rules 1, 2, 3, 5 and 6, as far as the advertised limits show them."""
    info = dut.info
    if info.has(CapabilityFlags.LIGHT):
        assert info.session_max <= timedelta(minutes=60), "rule 1: light sessions <= 60 min"
        assert all(mw <= 50 for mw in info.irradiance_mw_cm2), "rule 6: light <= 50 mW/cm2"
    assert info.heartbeat_max <= timedelta(seconds=10), "rule 2: a heartbeat interval <= 10 s"
    assert info.temp_trip_c <= 43, "rule 3: trip at 43 degC skin side"
    if info.has(CapabilityFlags.HEATER):
        assert info.setpoint_override_c <= 49, "rule 5: setpoints above 49 degC need override"
        assert info.setpoint_max_c <= 70, "rule 5: 70 degC is the element's limit"


async def test_status_lists_every_port_once(dut: Dut) -> None:
    """6.4 status: ports lists the device's ports, numbered 1..port_count."""
    status = await dut.device.status()
    assert [p.port for p in status.ports] == list(range(1, dut.info.port_count + 1))


async def test_status_fields_are_in_range(dut: Dut) -> None:
    """6.4 status and port_status: every field within its range and the device's limits."""
    info, device = dut.info, dut.device
    first = await device.status()
    if info.has(CapabilityFlags.BATTERY):
        assert first.battery_pct is not None
        assert 0 <= first.battery_pct <= 100
        assert first.battery_v is not None
        assert first.battery_v > 0, "a battery device reports its battery voltage"
    else:
        assert (first.battery_pct, first.battery_v) == (None, None), "no battery, no figures"
        assert not first.charger_connected
    for port in first.ports:
        _port_in_range(info, port)
    second = await device.status()
    assert second.uptime >= first.uptime, "uptime never goes back"
    assert second.boot_count == first.boot_count, "the device restarted while it was read"


def _port_in_range(info: Info, port: PortStatus) -> None:
    where = f"port {port.port}"
    assert port.state in AT_REST, f"{where} is {port.state.name} before the test started one"
    assert (port.session_id, port.remaining) == (0, timedelta(0)), (
        f"{where}: no session, so session_id and remaining_s are 0"
    )
    assert info.session_min <= port.duration <= info.session_max, f"{where}: duration_s"
    levels = info.intensity_levels
    assert (1 <= port.intensity <= levels) if levels else port.intensity == 0, f"{where}: intensity"
    if port.mode is Mode.PULSED:
        assert port.pulse_hz in info.pulse_hz, f"{where}: pulse_hz not advertised"
    else:
        assert port.pulse_hz == 0, f"{where}: pulse_hz is 0 in continuous mode"
    assert info.has(CapabilityFlags.SHAM) or not port.sham, f"{where}: sham without the capability"
    if info.has(CapabilityFlags.HEATER):
        assert port.setpoint_c is not None, f"{where}: a heater reports its setpoint"
        assert info.setpoint_min_c <= port.setpoint_c <= info.setpoint_max_c, f"{where}: setpoint"
    else:
        assert port.setpoint_c is None, f"{where}: no heater, so no setpoint"
    if not port.pad_present:
        assert port.pad_type == 0, f"{where}: pad_type is 0 without a pad"
        assert (port.temp_c, port.skin_temp_c) == (None, None), f"{where}: no pad, no reading"
    for name in ("temp_c", "skin_temp_c"):
        reading = getattr(port, name)
        low, high = PLAUSIBLE_C
        assert reading is None or low <= reading <= high, f"{where}: {name} {reading}"


async def test_default_session_is_accepted(dut: Dut) -> None:
    """7.5 and 6.2 configure: the device accepts its own default session on every port,
    and status then shows what was configured."""
    info, device = dut.info, dut.device
    await device.configure(0)
    status = await device.status()
    for port in status.ports:
        assert port.duration == info.session_default, f"port {port.port}: duration_s"
        assert port.intensity == (1 if info.intensity_levels else 0), f"port {port.port}"
        assert (port.mode, port.pulse_hz, port.sham) == (Mode.CONTINUOUS, 0, False)
        if info.has(CapabilityFlags.HEATER):
            default = info.setpoint_default_c  # 7.11; a 1.0 device does not say
            expected = info.setpoint_min_c if default is None else default
            assert port.setpoint_c == expected, f"port {port.port}: setpoint"
