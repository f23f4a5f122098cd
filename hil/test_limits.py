"""Every value checked twice: by the host before sending, and by the device itself.

DOMAIN.md safety rule 8 and protocols/README.md 7.5. The host refuses a value outside
the device's advertised limits without sending anything; a device must not rely on
that, so the same values sent raw (past the host's checks) must come back refused
with the code, field and limit the table of 7.5 gives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from hil.rig import SECOND, Dut
from irlink.errors import LimitError
from irlink.limits import configure_request
from irlink.model import Info
from irlink.protocol import messages as wire
from irlink.protocol.messages import CapabilityFlags, ErrorCode
from irlink.refusals import DeviceRefused

Call = Callable[[], Awaitable[object]]

# One representative of every kind of limit, for the host's checks and the device's.
KINDS = [
    "port",
    "duration-below-min",
    "duration-above-max",
    "duration-off-step",
    "intensity",
    "pulse-rate",
    "sham",
    "setpoint",
    "heartbeat",
    "status-period",
]


def _has(info: Info, name: str) -> bool:
    return info.has(CapabilityFlags[name.upper()])


def _host_call(dut: Dut, kind: str) -> tuple[str, Call]:
    """The parameter the host must name, and a call with one value outside the limits."""
    info, device = dut.info, dut.device
    step = info.session_step
    match kind:
        case "port":
            return "port", lambda: device.configure(info.port_count + 1)
        case "duration-below-min":
            short = max(info.session_min - step, timedelta(0))
            return "duration", lambda: device.configure(1, duration=short)
        case "duration-above-max":
            return "duration", lambda: device.configure(1, duration=info.session_max + step)
        case "duration-off-step":
            if step == SECOND:
                pytest.skip("session_step is 1 s: every whole duration is on the step")
            return "duration", lambda: device.configure(1, duration=info.session_min + SECOND)
        case "intensity":
            return "intensity", lambda: device.configure(1, intensity=info.intensity_levels + 1)
        case "pulse-rate":
            if not _has(info, "pulsed"):
                return "mode", lambda: device.configure(1, mode="pulsed", pulse_hz=10)
            rate = max(info.pulse_hz) + 1
            return "pulse_hz", lambda: device.configure(1, mode="pulsed", pulse_hz=rate)
        case "sham":
            if _has(info, "sham"):
                pytest.skip("the device has a sham mode: sham=True is a valid value")
            return "sham", lambda: device.configure(1, sham=True)
        case "setpoint":
            if not _has(info, "heater"):
                return "setpoint", lambda: device.configure(1, setpoint=40.0)
            hot = info.setpoint_max_c + info.setpoint_step_c
            return "setpoint", lambda: device.configure(1, setpoint=hot, override=True)
        case "heartbeat":
            return "heartbeat", lambda: device.set_heartbeat(info.heartbeat_max + SECOND)
        case "status-period":
            return "period", lambda: device.subscribe(info.status_period_min / 2)
    raise AssertionError(f"no host call for {kind}")


@pytest.mark.parametrize("kind", KINDS)
async def test_host_refuses_out_of_limit_values_before_sending(dut: Dut, kind: str) -> None:
    """DOMAIN.md rule 8: the host checks every value against device_info and sends nothing."""
    name, call = _host_call(dut, kind)
    sent = dut.device.stats.requests
    with pytest.raises(LimitError) as refused:
        await call()
    assert refused.value.name == name
    assert dut.device.stats.requests == sent, "the host sent a request it had refused"


def _valid(info: Info) -> wire.ConfigureRequest:
    """A configure of port 1 the device accepts: its default session."""
    return configure_request(info, port=1)


def _device_call(dut: Dut, kind: str) -> tuple[ErrorCode, str, int | None, Call]:
    """The refusal the device must send (code, field, limit or None for "any"), and the raw
    request, past the host's checks, that must cause it."""
    info, device = dut.info, dut.device
    base = _valid(info)
    min_s = int(info.session_min.total_seconds())
    max_s = int(info.session_max.total_seconds())
    step_s = int(info.session_step.total_seconds())
    out_of_range, invalid = ErrorCode.OUT_OF_RANGE, ErrorCode.INVALID_VALUE

    def configure(**changes: object) -> Call:
        request = base.model_copy(update=changes)
        return lambda: device.request(request, wire.ConfigureResponse)

    match kind:
        case "port":
            beyond = info.port_count + 1
            return out_of_range, "port", info.port_count, configure(port=beyond)
        case "duration-below-min":
            return out_of_range, "duration_s", min_s, configure(duration_s=min_s - step_s)
        case "duration-above-max":
            return out_of_range, "duration_s", max_s, configure(duration_s=max_s + step_s)
        case "duration-off-step":
            if step_s == 1:
                pytest.skip("session_step is 1 s: every whole duration is on the step")
            return invalid, "duration_s", None, configure(duration_s=min_s + 1)
        case "intensity":
            levels = info.intensity_levels
            if levels == 10:
                pytest.skip("10 intensity levels: the codec's own range check comes first")
            return out_of_range, "intensity", levels, configure(intensity=levels + 1)
        case "pulse-rate":
            if not _has(info, "pulsed"):
                return invalid, "mode", None, configure(mode=wire.Mode.PULSED, pulse_hz=10)
            rate = max(info.pulse_hz) + 1
            return invalid, "pulse_hz", None, configure(mode=wire.Mode.PULSED, pulse_hz=rate)
        case "sham":
            if _has(info, "sham"):
                pytest.skip("the device has a sham mode: sham 1 is a valid value")
            return invalid, "sham", None, configure(sham=True)
        case "setpoint":
            top = round(info.setpoint_max_c * 10)
            over = top + max(round(info.setpoint_step_c * 10), 10)
            return out_of_range, "setpoint_dc", top, configure(setpoint_dc=over, override=True)
        case "heartbeat":
            top = round(info.heartbeat_max.total_seconds() * 1000)
            request = wire.HeartbeatRequest(interval_ms=top + 1000)
            return (
                out_of_range,
                "interval_ms",
                top,
                lambda: device.request(request, wire.HeartbeatResponse),
            )
        case "status-period":
            low = round(info.status_period_min.total_seconds() * 1000)
            if low <= 1:
                pytest.skip("status_period_min is 1 ms: no period below it but 0 (off)")
            subscribe = wire.SubscribeRequest(period_ms=low - 1)
            return (
                out_of_range,
                "period_ms",
                low,
                lambda: device.request(subscribe, wire.SubscribeResponse),
            )
    raise AssertionError(f"no raw request for {kind}")


@pytest.mark.parametrize("kind", KINDS)
async def test_device_refuses_out_of_limit_values_itself(dut: Dut, kind: str) -> None:
    """protocols/README.md 7.5: the device checks every value itself and refuses with the
    code, field and limit of the table; a refused configure changes nothing."""
    code, field, limit, call = _device_call(dut, kind)
    before = await dut.device.status()
    with pytest.raises(DeviceRefused) as refused:
        await call()
    error = refused.value
    assert (error.code, error.field) == (code, field), f"refused with {error}"
    if limit is not None:
        assert error.limit == limit, f"refused with limit {error.limit}, not {limit}"
    after = await dut.device.status()
    assert [p.duration for p in after.ports] == [p.duration for p in before.ports], (
        "a refused configure changed the port's session"
    )
