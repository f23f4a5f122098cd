"""The simulated device as a whole: its verbs, its links and what impairments do."""

from __future__ import annotations

import pytest

from irlink.protocol import Reply
from irlink.protocol.messages import (
    GetStatusRequest,
    SessionStartedEvent,
    StartRequest,
)
from irlink.sim import Impairment, ManualClock, SimulatedDevice, SimulationError
from tests.sim.host import TestHost


@pytest.mark.parametrize(
    ("family", "verb", "message"),
    [
        ("waistband", lambda d: d.unplug_pad(1), "emitters are built in"),
        ("multiport", lambda d: d.plug_pad(1), "already has a pad"),
        ("multiport", lambda d: d.plug_pad(1, pad_type=9), "pad type 9 is not one of"),
        ("multiport", lambda d: d.set_battery(50), "has no battery"),
        ("multiport", lambda d: d.set_charger(True), "runs from mains"),
        ("waistband", lambda d: d.set_battery(120), "0..100"),
        ("waistband", lambda d: d.add_heat(2, 10), "port 2 does not exist"),
    ],
)
def test_a_verb_the_hardware_cannot_do_is_refused_with_the_reason(
    family: str, verb: object, message: str
) -> None:
    device = SimulatedDevice(family)
    with pytest.raises(SimulationError, match=message):
        verb(device)  # type: ignore[operator]


def test_an_answer_goes_to_the_asking_link_and_events_to_every_link() -> None:
    device = SimulatedDevice("waistband")
    serial, radio = TestHost(device), TestHost(device)
    serial.ok(StartRequest(port=1, session_id=3))
    assert not [item for item in radio.pump() if isinstance(item, Reply)]  # serial's only
    assert len(serial.take_events(SessionStartedEvent)) == 1
    assert len(radio.take_events(SessionStartedEvent)) == 1


def test_a_powered_off_device_answers_nothing_and_boots_with_output_off() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    host = TestHost(device)
    host.ok(StartRequest(port=1, session_id=1))
    device.power_off()
    assert not device.output_on(1)
    host.pipe.write(host.codec.request(GetStatusRequest())[1])
    assert host.pump() == []
    device.power_on()
    status = host.ok(GetStatusRequest())
    assert (status.boot_count, status.uptime_s, status.ports[0].session_id) == (2, 0, 0)


def test_the_same_impairment_seed_damages_the_same_bytes() -> None:
    def damage(seed: int) -> bytes:
        # 1.1: a verified session's bytes are new each time (fresh keys), and a request
        # sent twice under one counter is a replay; the link's damage is what is compared.
        device = SimulatedDevice("waistband", protocol_minor=1)
        host = TestHost(device)
        device.impair(Impairment(corrupt_rate=0.05, seed=seed))
        host.pipe.write(host.codec.request(GetStatusRequest())[1] * 20)
        return host.pipe.read_now()

    assert damage(7) == damage(7)
    assert damage(7) != damage(8)


def test_each_link_of_a_device_has_damage_of_its_own_and_it_repeats() -> None:
    def damage_on_three_links(seed: int) -> list[bytes]:
        device = SimulatedDevice("waistband", protocol_minor=1)  # plain bytes, as above
        device.impair(Impairment(corrupt_rate=0.05, seed=seed))
        damaged = []
        for _ in range(3):  # a host that reconnects: each link opened after the last closed
            host = TestHost(device)
            host.pipe.write(host.codec.request(GetStatusRequest())[1] * 20)
            damaged.append(host.pipe.read_now())
            host.pipe.link.close()
        return damaged

    first, second, third = damage_on_three_links(7)
    assert len({first, second, third}) == 3  # a new link meets new damage
    assert damage_on_three_links(7) == [first, second, third]  # the same order repeats


def test_a_new_impairment_reseeds_each_open_link_by_its_own_number() -> None:
    device = SimulatedDevice("waistband")
    hosts = [TestHost(device), TestHost(device)]
    device.impair(Impairment(corrupt_rate=0.05, seed=3))
    [a, b] = [host.pipe.link.number for host in hosts]
    for host in hosts:
        host.pipe.write(host.codec.request(GetStatusRequest())[1] * 20)
    # The same requests, answered each on its own link, and damaged apart.
    assert (a, b) == (0, 1)
    assert hosts[0].pipe.read_now() != hosts[1].pipe.read_now()


@pytest.mark.parametrize(
    "kwargs", [{"corrupt_rate": 1.5}, {"drop_rate": -0.1}, {"latency_s": -1.0}]
)
def test_an_impairment_out_of_range_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        Impairment(**kwargs)  # type: ignore[arg-type]


def test_latency_holds_bytes_until_the_clock_passes_it() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    host = TestHost(device)
    device.impair(Impairment(latency_s=0.5))
    host.pipe.write(host.codec.request(GetStatusRequest())[1])
    clock.advance(0.4)
    assert host.pump() == []  # still on its way to the device
    clock.advance(0.2)  # arrives; the answer starts back
    assert host.pump() == []
    clock.advance(0.5)
    assert len(host.pump()) == 1


def test_a_closed_device_stops_following_its_clock() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    TestHost(device).ok(StartRequest(port=1, session_id=1))
    device.close()
    clock.advance(60)
    assert device.remaining_s(1) == 1800
    assert device.links == []


@pytest.mark.parametrize("serial", ["", "x" * 25, "caf\u00e9"])
def test_a_serial_the_info_response_cannot_carry_is_refused(serial: str) -> None:
    with pytest.raises(SimulationError, match="printable ASCII"):
        SimulatedDevice("waistband", serial=serial)
