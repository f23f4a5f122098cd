"""How the host reads answers: by the waiting request's reader, and the long way otherwise.

A scripted link (``tests/host/scripted.py``) stands between the host and a simulated
device, so a test can damage or replace one answer, or make the link take its bytes only
through ``write()``.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings

from irlink import Status
from irlink.device import Device
from irlink.protocol import MessageError, decode_body, encode_body
from irlink.protocol.messages import ConfigureResponse, GetStatusResponse
from irlink.sim import ManualClock, SimulatedDevice
from tests.host.scripted import Scripted, answer, run_with
from tests.protocol.strategies import all_models, messages


def test_status_is_read_straight_from_the_answer_and_equals_the_wire_reading() -> None:
    link = Scripted()

    async def body(device: Device) -> None:
        status = await device.status()
        wire = decode_body(GetStatusResponse, link.sim.firmware.status_body())  # type: ignore[union-attr]
        assert status == Status.from_wire(wire, device.info)
        assert device.last_status is status

    run_with(link, body)


def test_a_garbled_answer_counts_and_the_retry_completes_the_request() -> None:
    link = Scripted()

    async def body(device: Device) -> None:
        good = link.sim.firmware.status_body()  # type: ignore[union-attr]
        bad = good[:1] + bytes([200]) + good[2:]  # battery at 200 %
        link.mangles.append(lambda request, _: answer(request, GetStatusResponse.MSG_ID, bad))
        status = await device.status()
        assert status.battery_pct == 100
        assert (device.stats.garbled, device.stats.retries) == (1, 1)

    run_with(link, body)


def test_an_answer_of_another_id_does_not_complete_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = Scripted()

    async def body(device: Device) -> None:
        # A well-formed configure answer carrying get_status's sequence number.
        link.mangles.append(lambda request, _: answer(request, ConfigureResponse.MSG_ID, b""))
        with caplog.at_level(logging.WARNING, logger="irlink"):
            status = await device.status()
        assert isinstance(status, Status)
        assert (device.stats.retries, device.stats.garbled) == (1, 0)
        assert "answered get_status with configure" in caplog.text

    run_with(link, body)


def test_a_late_answer_to_the_first_try_completes_the_request() -> None:
    link = Scripted()
    held: list[bytes] = []

    def hold(_: bytes, out: bytes) -> bytes:
        held.append(out)
        return b""

    async def body(device: Device) -> None:
        link.mangles += [hold, lambda _, out: held[0] + out]
        status = await device.status()
        assert status.battery_pct == 100
        assert device.stats.retries == 1

    run_with(link, body)


def test_a_link_that_cannot_take_bytes_at_once_gets_them_through_write() -> None:
    link = Scripted(at_once=False)

    async def body(device: Device) -> None:
        writes = link.writes
        await device.status()
        assert link.writes == writes + 1
        assert device.stats.retries == 0

    run_with(link, body)


GET_STATUS_FIELDS = dict(all_models())[GetStatusResponse]


@given(messages(GetStatusResponse, GET_STATUS_FIELDS))
@settings(max_examples=200)
def test_from_body_reads_every_status_as_from_wire_does(wire: GetStatusResponse) -> None:
    assert Status.from_body(encode_body(wire)) == Status.from_wire(wire)


@pytest.mark.parametrize("cut", [0, 1, 5, 14])
def test_from_body_refuses_what_the_wire_reader_refuses(cut: int) -> None:
    body = SimulatedDevice("waistband", clock=ManualClock()).firmware.status_body()  # type: ignore[union-attr]
    short = body[:cut]
    with pytest.raises(MessageError) as by_wire:
        decode_body(GetStatusResponse, short)
    with pytest.raises(type(by_wire.value)) as by_status:
        Status.from_body(short)
    assert str(by_status.value) == str(by_wire.value)
