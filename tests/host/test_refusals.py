"""Every refusal of the device, as its typed error, through the real Device on a pty link.

Each test provokes the real condition on the simulated device (an unplugged pad, a low
battery, a latched heat fault, ...) and checks the error class, what it carries, that
its message names the request and says what to do, that nothing was retried and that
no output is left on. Values the host would stop first go out as raw requests through
``Device.request``, so the device's own checks (protocols/README.md 7.5) answer them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import Field

import irlink
from irlink import DeviceRefused, FaultFlags, Mode, PortState
from irlink.device import BUSY_RETRIES
from irlink.protocol.messages import (
    ConfigureRequest,
    ConfigureResponse,
    ErrorCode,
    GetStatusRequest,
    GetStatusResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    StopRequest,
    StopResponse,
    SubscribeRequest,
    SubscribeResponse,
)
from irlink.protocol.wire import U8, Request, Response
from irlink.refusals import (
    BadRequest,
    BatteryTooLow,
    Charging,
    DailyLimit,
    DeviceBusy,
    FaultActive,
    NoPad,
    NoSession,
    NotAllowed,
    OutOfRange,
    OverrideRequired,
    OverTemperature,
    PairingFailed,
    PairingFull,
    SessionActive,
    Unauthorized,
    ValueInvalid,
    refusal,
)
from tests.host.links import SESSIONS, Host, connected, run

LINK = "pty"


async def refused(host: Host, call: Awaitable[Any], kind: type[DeviceRefused]) -> DeviceRefused:
    """Await ``call``, which the device must refuse once with ``kind``; the error."""
    stats = host.device.stats
    requests, retries = stats.requests, stats.retries
    with pytest.raises(kind) as caught:
        await call
    assert (stats.requests, stats.retries) == (requests + 1, retries)  # refused, not retried
    return caught.value


def says_what_to_do(error: DeviceRefused, request: str) -> None:
    """The message names the refused request and ends with advice."""
    message = str(error)
    assert isinstance(error, irlink.DeviceRefused)
    assert isinstance(error, irlink.IRLinkError)
    assert error.request == request
    assert message.startswith(f"the device refused {request}: {error.code.name.lower()}")
    advice = message.rsplit(": ", 1)[1]
    assert advice.strip()
    assert advice == type(error).explain(error.limit)


# Start refused by the device's state (7.5), each condition real on the simulator.


def test_start_on_a_port_without_a_pad_is_no_pad() -> None:
    async def body() -> None:
        async with connected("multiport", LINK) as host:
            device, sim = host.device, host.sim
            await device.configure(2, **SESSIONS["multiport"])
            sim.unplug_pad(2)
            assert (await device.status()).port(2).state is PortState.NO_PAD
            error = await refused(host, device.start(2), NoPad)
            assert (error.code, error.field, error.limit) == (ErrorCode.NO_PAD, "", 0)
            says_what_to_do(error, "start")
            assert not sim.output_on(2)
            assert (await device.status()).port(2).session_id == 0
            sim.plug_pad(2)  # the advice, followed
            await device.start(2)
            assert sim.output_on(2)

    run(body())


@pytest.mark.parametrize("family", ["waistband", "firmat"])
def test_start_below_the_start_battery_level_is_battery_too_low(family: str) -> None:
    async def body() -> None:
        async with connected(family, LINK) as host:
            device, sim = host.device, host.sim
            start_pct = device.info.battery_start_pct
            await device.configure(1, **SESSIONS[family])
            sim.set_battery(start_pct - 1)
            error = await refused(host, device.start(1), BatteryTooLow)
            assert error.code is ErrorCode.LOW_BATTERY
            says_what_to_do(error, "start")
            assert not sim.output_on(1)
            assert (await device.status()).port(1).state is PortState.IDLE
            sim.set_battery(start_pct)  # exactly the start level is enough
            await device.start(1)
            assert sim.output_on(1)

    run(body())


def test_resuming_a_paused_session_below_the_start_level_is_battery_too_low() -> None:
    async def body() -> None:
        async with connected("waistband", LINK) as host:
            device, sim = host.device, host.sim
            await device.configure(1, **SESSIONS["waistband"])
            session_id = await device.start(1)
            await device.pause(1)
            sim.set_battery(device.info.battery_start_pct - 1)  # above the cut-off
            error = await refused(host, device.resume(1), BatteryTooLow)
            says_what_to_do(error, "resume")
            assert not sim.output_on(1)
            port = (await device.status()).port(1)
            assert (port.state, port.session_id) == (PortState.PAUSED, session_id)

    run(body())


@pytest.mark.parametrize("family", ["waistband", "firmat"])
def test_start_with_the_charger_connected_is_charging(family: str) -> None:
    async def body() -> None:
        async with connected(family, LINK) as host:
            device, sim = host.device, host.sim
            await device.configure(1, **SESSIONS[family])
            sim.set_charger(True)
            error = await refused(host, device.start(1), Charging)
            assert error.code is ErrorCode.CHARGING
            says_what_to_do(error, "start")
            assert not sim.output_on(1)
            sim.set_charger(False)
            await device.start(1)

    run(body())


def test_start_with_a_latched_over_temperature_is_over_temperature() -> None:
    async def body() -> None:
        async with connected("waistband", LINK) as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(1, **SESSIONS["waistband"])
            sim.add_heat(1, 150)  # a blanket over the belt: the skin side trips at 43 degC
            clock.advance(600)
            port = (await device.status()).port(1)
            assert (port.state, port.faults) == (PortState.FAULT, FaultFlags.OVER_TEMPERATURE)
            error = await refused(host, device.start(1), OverTemperature)
            assert error.code is ErrorCode.OVER_TEMPERATURE
            says_what_to_do(error, "start")
            assert not sim.output_on(1)

            sim.add_heat(1, 0)
            clock.advance(900)  # cool again, but the fault is latched
            await refused(host, device.start(1), OverTemperature)
            assert not sim.output_on(1)
            await device.clear_fault(1)  # the advice, followed
            await device.start(1)
            assert sim.output_on(1)

    run(body())


# The refusals of state, each with its own code (1.1), and what a 1.0 device says instead.


def test_start_on_a_running_port_with_another_session_id_names_the_running_session() -> None:
    async def body() -> None:
        async with connected("waistband", LINK) as host:
            device, sim = host.device, host.sim
            await device.configure(1, **SESSIONS["waistband"])
            await device.start(1, session_id=100)
            error = await refused(host, device.start(1, session_id=101), SessionActive)
            assert (error.code, error.limit) == (ErrorCode.SESSION_ACTIVE, 100)
            assert "session 100 is running or paused on the port" in str(error)
            says_what_to_do(error, "start")
            port = (await device.status()).port(1)
            assert (port.state, port.session_id) == (PortState.RUNNING, 100)  # untouched
            assert sim.output_on(1)
            assert await device.start(1, session_id=100) == 100  # a repeat is fine

    run(body())


def test_configure_on_a_running_port_is_refused_as_session_active() -> None:
    async def body() -> None:
        async with connected("waistband", LINK) as host:
            device = host.device
            await device.configure(1, **SESSIONS["waistband"])
            await device.start(1)
            error = await refused(host, device.configure(1, duration="20m"), SessionActive)
            says_what_to_do(error, "configure")
            assert (await device.status()).port(1).duration.total_seconds() == 600

    run(body())


@pytest.mark.parametrize("verb", ["pause", "resume"])
def test_pause_or_resume_on_an_idle_port_is_refused_as_no_session(verb: str) -> None:
    async def body() -> None:
        async with connected("waistband", LINK) as host:
            error = await refused(host, getattr(host.device, verb)(1), NoSession)
            says_what_to_do(error, verb)
            assert not host.sim.output_on(1)
            assert (await host.device.status()).port(1).state is PortState.IDLE

    run(body())


def test_a_fourth_session_a_day_on_one_port_is_refused_as_the_daily_limit() -> None:
    async def body() -> None:
        async with connected("multiport", LINK) as host:
            device, sim, clock = host.device, host.sim, host.clock
            assert device.info.max_starts_per_day == 3
            await device.configure(0, **SESSIONS["multiport"])
            for left in (2, 1, 0):
                await device.start(1)
                clock.advance(60)
                await device.stop(1)
                assert (await device.status()).port(1).starts_left == left
            error = await refused(host, device.start(1), DailyLimit)
            assert error.limit == 3
            says_what_to_do(error, "start")
            assert not sim.output_on(1)
            await device.start(2)  # the limit is per body site
            await device.stop(2)
            clock.advance(24 * 3600 - 180 + 1)  # just over 24 h after the first start
            await device.start(1)
            assert sim.output_on(1)

    run(body())


def test_start_with_an_internal_fault_is_refused_naming_the_fault() -> None:
    async def body() -> None:
        async with connected("multiport", LINK) as host:
            device, sim = host.device, host.sim
            await device.configure(0, **SESSIONS["multiport"])
            sim.internal_fault()
            error = await refused(host, device.start(1), FaultActive)
            assert error.limit == FaultFlags.INTERNAL
            assert "a fault blocks output (internal)" in str(error)
            says_what_to_do(error, "start")
            assert not sim.output_on(1)
            await device.clear_fault(0)
            await device.start(1)

    run(body())


# DeviceBusy: the one refusal the host tries again, a few times, before giving up.


def test_a_busy_usage_log_is_device_busy_until_the_device_is_done() -> None:
    async def body() -> None:
        # A short timeout keeps the host's back-off (timeout/8, doubling) quick.
        async with connected("waistband", LINK, timeout=0.1) as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(1, **SESSIONS["waistband"])
            session_id = await device.start(1)
            clock.advance(30)
            await device.stop(1)
            sim.usage_log_busy(60)  # device seconds: the host's real waits do not end it
            requests, retries = device.stats.requests, device.stats.retries
            with pytest.raises(DeviceBusy) as caught:
                await device.usage_log()
            says_what_to_do(caught.value, "read_usage_log")
            assert caught.value.code is ErrorCode.BUSY
            assert device.stats.requests == requests + BUSY_RETRIES + 1
            assert device.stats.retries == retries  # busy is not a lost answer
            clock.advance(60)
            [record] = await device.usage_log()
            assert record.session_id == session_id

    run(body())


# Values the host checks first, sent raw so that the device's own checks answer.

CONTINUOUS: dict[str, Any] = {
    "port": 1,
    "duration_s": 1800,
    "intensity": 1,
    "mode": Mode.CONTINUOUS,
    "pulse_hz": 0,
    "sham": False,
    "setpoint_dc": 0,
    "override": False,
}
HEAT = {**CONTINUOUS, "intensity": 0, "setpoint_dc": 400}
BASE = {"waistband": CONTINUOUS, "multiport": CONTINUOUS, "firmat": HEAT}

# family, fields changed from a valid configure, error, field, limit
RAW_CONFIGURES: list[tuple[str, dict[str, Any], type[DeviceRefused], str, int]] = [
    ("waistband", {"port": 2}, OutOfRange, "port", 1),
    ("waistband", {"duration_s": 540}, OutOfRange, "duration_s", 600),
    ("waistband", {"duration_s": 3660}, OutOfRange, "duration_s", 3600),
    ("firmat", {"duration_s": 7260}, OutOfRange, "duration_s", 7200),
    ("waistband", {"duration_s": 1830}, ValueInvalid, "duration_s", 0),
    ("waistband", {"intensity": 0}, OutOfRange, "intensity", 1),
    ("waistband", {"intensity": 4}, OutOfRange, "intensity", 3),
    ("firmat", {"intensity": 1}, OutOfRange, "intensity", 0),
    ("firmat", {"mode": Mode.PULSED, "pulse_hz": 10}, ValueInvalid, "mode", 0),
    ("waistband", {"mode": Mode.PULSED, "pulse_hz": 292}, ValueInvalid, "pulse_hz", 0),
    ("multiport", {"mode": Mode.PULSED, "pulse_hz": 0}, ValueInvalid, "pulse_hz", 0),
    ("multiport", {"pulse_hz": 73}, ValueInvalid, "pulse_hz", 0),
    ("multiport", {"sham": True}, ValueInvalid, "sham", 0),
    ("firmat", {"sham": True}, ValueInvalid, "sham", 0),
    ("waistband", {"setpoint_dc": 300}, OutOfRange, "setpoint_dc", 0),
    ("firmat", {"setpoint_dc": 290}, OutOfRange, "setpoint_dc", 300),
    ("firmat", {"setpoint_dc": 710, "override": True}, OutOfRange, "setpoint_dc", 700),
    ("firmat", {"setpoint_dc": 435}, ValueInvalid, "setpoint_dc", 0),
    ("firmat", {"setpoint_dc": 500}, OverrideRequired, "setpoint_dc", 490),
    ("firmat", {"setpoint_dc": 700}, OverrideRequired, "setpoint_dc", 490),
    ("waistband", {"override": True}, ValueInvalid, "override", 0),
]


def _changes(change: dict[str, Any]) -> str:
    return "-".join(f"{k}={getattr(v, 'name', v)}" for k, v in change.items())


@pytest.mark.parametrize(
    ("family", "change", "kind", "field", "limit"),
    RAW_CONFIGURES,
    ids=[f"{family}-{_changes(change)}" for family, change, *_ in RAW_CONFIGURES],
)
def test_a_configure_past_the_host_checks_is_refused_by_the_device(
    family: str, change: dict[str, Any], kind: type[DeviceRefused], field: str, limit: int
) -> None:
    async def body() -> None:
        async with connected(family, LINK) as host:
            device = host.device
            before = (await device.status()).port(1)
            request = ConfigureRequest(**{**BASE[family], **change})
            error = await refused(host, device.request(request, ConfigureResponse), kind)
            assert (error.code, error.field, error.limit) == (kind.CODE, field, limit)
            says_what_to_do(error, "configure")
            assert f"({field}, device limit {limit})" in str(error)
            after = (await device.status()).port(1)
            assert after == before  # a refused configure changes nothing
            assert not host.sim.output_on(1)

    run(body())


def test_a_setpoint_above_the_threshold_is_accepted_with_override() -> None:
    async def body() -> None:
        async with connected("firmat", LINK) as host:
            request = ConfigureRequest(**{**HEAT, "setpoint_dc": 700, "override": True})
            await host.device.request(request, ConfigureResponse)
            assert (await host.device.status()).port(1).setpoint_c == 70.0

    run(body())


@pytest.mark.parametrize(
    ("family", "request_", "expect", "field", "limit"),
    [
        ("waistband", SubscribeRequest(period_ms=249), SubscribeResponse, "period_ms", 250),
        ("waistband", HeartbeatRequest(interval_ms=10001), HeartbeatResponse, "interval_ms", 10000),
        ("multiport", StopRequest(port=3), StopResponse, "port", 2),
    ],
    ids=["subscribe", "heartbeat", "stop"],
)
def test_other_requests_past_the_host_checks_are_out_of_range(
    family: str, request_: Request, expect: type[Response], field: str, limit: int
) -> None:
    async def body() -> None:
        async with connected(family, LINK) as host:
            error = await refused(host, host.device.request(request_, expect), OutOfRange)
            assert (error.code, error.field, error.limit) == (ErrorCode.OUT_OF_RANGE, field, limit)
            says_what_to_do(error, request_.NAME)

    run(body())


# BadRequest: requests the firmware cannot read at all.


class PaddedGetStatus(GetStatusRequest):
    """get_status with a byte v1 does not define: the device answers bad_length."""

    extra: Annotated[int, U8, Field(ge=0, le=255)] = 7


class FutureRequest(Request):
    """A message id v1 does not define: the device answers unknown_message."""

    MSG_ID: ClassVar[int] = 0x7E
    NAME: ClassVar[str] = "future"
    IDEMPOTENT: ClassVar[bool] = True
    RESPONSE: ClassVar[type[Response]] = GetStatusResponse


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (PaddedGetStatus(), ErrorCode.BAD_LENGTH),
        (FutureRequest(), ErrorCode.UNKNOWN_MESSAGE),
    ],
    ids=["bad_length", "unknown_message"],
)
def test_a_request_the_firmware_cannot_read_is_bad_request(
    request_: Request, code: ErrorCode
) -> None:
    async def body() -> None:
        async with connected("waistband", LINK) as host:
            call = host.device.request(request_, GetStatusResponse)
            error = await refused(host, call, BadRequest)
            assert (error.code, error.field, error.limit) == (code, "", 0)
            says_what_to_do(error, request_.NAME)
            await host.device.status()  # the link carries on

    run(body())


# The mapping itself, for every code (some the simulated firmware never sends).

CLASSES: dict[ErrorCode, type[DeviceRefused]] = {
    ErrorCode.BAD_FRAME: BadRequest,
    ErrorCode.UNSUPPORTED_VERSION: BadRequest,
    ErrorCode.UNKNOWN_MESSAGE: BadRequest,
    ErrorCode.BAD_LENGTH: BadRequest,
    ErrorCode.OUT_OF_RANGE: OutOfRange,
    ErrorCode.INVALID_VALUE: ValueInvalid,
    ErrorCode.NOT_ALLOWED: NotAllowed,
    ErrorCode.NO_PAD: NoPad,
    ErrorCode.LOW_BATTERY: BatteryTooLow,
    ErrorCode.OVER_TEMPERATURE: OverTemperature,
    ErrorCode.CHARGING: Charging,
    ErrorCode.BUSY: DeviceBusy,
    ErrorCode.UNAUTHORIZED: Unauthorized,
    ErrorCode.OVERRIDE_REQUIRED: OverrideRequired,
    ErrorCode.SESSION_ACTIVE: SessionActive,
    ErrorCode.NO_SESSION: NoSession,
    ErrorCode.DAILY_LIMIT: DailyLimit,
    ErrorCode.FAULT_ACTIVE: FaultActive,
    ErrorCode.PAIRING_FAILED: PairingFailed,
    ErrorCode.PAIRING_FULL: PairingFull,
}


def test_every_error_code_has_a_class() -> None:
    assert set(CLASSES) == set(ErrorCode)


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda c: c.name.lower())
def test_refusal_maps_each_code_to_its_class(code: ErrorCode) -> None:
    error = refusal(code, "configure", "duration_s", 3600)
    assert type(error) is CLASSES[code]
    assert (error.code, error.request, error.field, error.limit) == (
        code,
        "configure",
        "duration_s",
        3600,
    )
    assert "(duration_s, device limit 3600)" in str(error)
    says_what_to_do(error, "configure")
    bare = refusal(code, "start")
    assert (bare.field, bare.limit) == ("", 0)
    assert "device limit" not in str(bare)
    says_what_to_do(bare, "start")


def test_every_advice_is_its_own() -> None:
    advice = [cls.advice for cls in set(CLASSES.values())]
    assert len(set(advice)) == len(advice)


def test_errors_survive_pickling() -> None:
    import pickle

    from irlink.errors import LimitError

    limit = LimitError("duration 2h is too long", name="duration", value="2h", limit=3600)
    copy = pickle.loads(pickle.dumps(limit))
    assert (str(copy), copy.name, copy.value, copy.limit) == (str(limit), "duration", "2h", 3600)
    refused = refusal(ErrorCode.NO_PAD, "start", "port", 2)
    copy = pickle.loads(pickle.dumps(refused))
    assert (type(copy), str(copy), copy.code) == (type(refused), str(refused), ErrorCode.NO_PAD)
