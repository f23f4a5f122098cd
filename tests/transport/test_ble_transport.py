"""BleTransport against the simulator, through bleak's own front end, on both backends.

Each test runs on the stackless simulator backend and on bumble's real Bluetooth stack
(tests/sim/serve/ble_host.py); failures are injected by subclassing a backend's client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.exc import (
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
)
from bleak.exc import BleakGATTProtocolErrorCode as Code
from bumble.pairing import PairingConfig, PairingDelegate

from irlink.address import BleAddress
from irlink.errors import ConnectError, DeviceNotFound, LinkLost, TransportError
from irlink.protocol import HostCodec, Reply, Request
from irlink.protocol.messages import (
    CapabilityFlags,
    GetInfoRequest,
    GetInfoResponse,
    GetStatusRequest,
    GetStatusResponse,
)
from irlink.security import Sealer
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.bleak_radio import Backends
from irlink.transport.ble import BleTransport
from irlink.transport.ble_retry import Failure, classify, retry_delay
from tests.security.sealing import SealingCodec, averify
from tests.sim.serve.ble_host import BACKENDS, WAIT_S, Bench, bench, run

on_both = pytest.mark.parametrize("backend", BACKENDS)
# Bytes of one get_status sealed (the devices have security: a verified session seals it).
SEALED_STATUS = len(Sealer(bytes(32)).seal_encoded(HostCodec().request(GetStatusRequest())[1]))
FAST: dict[str, Any] = {"backoff": (0.001, 0.004), "scan_timeout": WAIT_S}
Fail = Callable[[int], BaseException | None]  # the error for connect call n (1 first), if any


class Host:
    """Requests written through a transport, answers decoded from what it received.

    Against a device with security it verifies first, with the test's factory pairing
    (tests/security/sealing.py), and seals from then on.
    """

    def __init__(self, link: BleTransport) -> None:
        self.link = link
        self.codec = SealingCodec()
        self.stream = link.received()
        self._checked = False

    async def ask(self, *requests: Request) -> list[Any]:
        """Write ``requests`` in one write; their responses, in order."""
        if not self._checked:
            self._checked = True
            [info] = await self.ask(GetInfoRequest())
            if info.capabilities & CapabilityFlags.SECURE:
                await averify(self.codec, self._one, info.serial)
        sent = [self.codec.request(request) for request in requests]
        await self.link.write(b"".join(data for _, data in sent))
        answers: dict[int, Any] = {}
        async with asyncio.timeout(WAIT_S):
            while len(answers) < len(sent):
                for item in self.codec.feed(await anext(self.stream)):
                    assert isinstance(item, Reply), item
                    answers[item.seq] = item.message
        return [answers[seq] for seq, _ in sent]

    async def _one(self, request: Request) -> Any:
        [answer] = await self.ask(request)
        return answer


def injected(base: type[BaseBleakClient], fail: Fail, calls: list[int]) -> type[BaseBleakClient]:
    """``base`` whose connect fails as ``fail`` says; each call is appended to ``calls``."""

    class Failing(base):  # type: ignore[misc,valid-type]
        async def connect(self, pair: bool, **kwargs: Any) -> None:
            calls.append(len(calls) + 1)
            error = fail(len(calls))
            if error is not None:
                raise error
            await super().connect(pair, **kwargs)

    return Failing


def transport(air: Bench, address: BleAddress, **kwargs: Any) -> BleTransport:
    """A transport on ``air`` (the sim's own Backends tuple), fast backoff unless told."""
    client = kwargs.pop("client", air.client)
    return BleTransport(address, backends=Backends(air.scanner, client), **FAST | kwargs)


# The pure parts.

REFUSED_PAIRING = BleakDBusError("org.bluez.Error.AuthenticationFailed", [])
CLASSES = [
    (BleakGATTProtocolError(Code.INSUFFICIENT_AUTHENTICATION), Failure.REFUSED),
    (BleakGATTProtocolError(Code.INSUFFICIENT_ENCRYPTION), Failure.REFUSED),
    (BleakGATTProtocolError(Code.UNLIKELY_ERROR), Failure.TRANSIENT),
    (REFUSED_PAIRING, Failure.REFUSED),
    (BleakError("ProtocolError(smp/CONFIRM_VALUE_FAILED [0x4])"), Failure.REFUSED),
    (BleakError("Peer removed pairing information"), Failure.REFUSED),
    (BleakError("HCI_Error(hci/PIN_OR_KEY_MISSING_ERROR [0x6])"), Failure.REFUSED),
    (BleakDeviceNotFoundError("CA:FE:00:00:00:01"), Failure.MISSING),
    (BleakDBusError("org.freedesktop.DBus.Error.UnknownObject", []), Failure.MISSING),
    (BleakError("No backend with an available connection slot"), Failure.OUT_OF_SLOTS),
    (BleakError("Connection Limit Exceeded"), Failure.OUT_OF_SLOTS),
    (BleakDBusError("org.bluez.Error.Failed", ["le-connection-abort-by-local"]), Failure.TRANSIENT),
    (BleakError("disconnected"), Failure.TRANSIENT),
    (TimeoutError(), Failure.TRANSIENT),
    (BrokenPipeError(), Failure.TRANSIENT),
    (ValueError("att_mtu must be 23..517"), None),
    (ConnectError("not an irlink device"), None),
]


@pytest.mark.parametrize(("error", "failure"), CLASSES, ids=lambda x: repr(x)[:60])
def test_classify_sorts_connect_failures(error: BaseException, failure: Failure | None) -> None:
    assert classify(error) is failure


def test_retry_delay_doubles_up_to_the_longest() -> None:
    delays = [retry_delay(Failure.TRANSIENT, retry, (0.25, 4.0)) for retry in range(7)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert retry_delay(Failure.MISSING, 1, (0.25, 4.0)) == 0.5
    assert retry_delay(Failure.OUT_OF_SLOTS, 0, (0.25, 4.0)) == 4.0


# Against the simulator.


@on_both
def test_opens_by_address_and_answers_info_and_status(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock(), serial="0042")
        async with bench(backend) as air:
            link = transport(air, BleAddress(address=await air.serve(device)))
            await link.open()
            info, status = await Host(link).ask(GetInfoRequest(), GetStatusRequest())
            assert isinstance(info, GetInfoResponse)
            assert (info.model, info.serial) == (device.profile.identity.model, "0042")
            assert isinstance(status, GetStatusResponse)
            await link.close()

    run(body())


@on_both
def test_opens_by_advertised_name(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("firmat", clock=ManualClock(), serial="0007")
        async with bench(backend) as air:
            await air.serve(SimulatedDevice("firmat", clock=ManualClock(), serial="0008"))
            await air.serve(device)
            link = transport(air, BleAddress(name="IRL-F1-0007"))
            assert link.address == "ble://name/IRL-F1-0007"
            await link.open()
            (info,) = await Host(link).ask(GetInfoRequest())
            assert info.serial == "0007"
            await link.close()

    run(body())


@on_both
@pytest.mark.parametrize(
    "address", [BleAddress(address="CA:FE:99:99:99:99"), BleAddress(name="IRL-W2-9999")]
)
def test_an_absent_device_is_not_found(backend: str, address: BleAddress) -> None:
    async def body() -> None:
        async with bench(backend) as air:
            await air.serve(SimulatedDevice("waistband", clock=ManualClock()))
            link = transport(air, address, scan_timeout=0.1)
            with pytest.raises(DeviceNotFound) as missing:
                await link.open()
            message = str(missing.value)
            assert str(address.address or address.name) in message
            assert "switch the device on and bring it closer" in message

    run(body())


@on_both
@pytest.mark.parametrize("att_mtu", [23, 247])
def test_writes_are_cut_at_the_mtu_and_reassembled(backend: str, att_mtu: int) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        writes: list[int] = []
        async with bench(backend) as air:

            class Recording(air.client):  # type: ignore[name-defined,misc]
                async def write_gatt_char(
                    self, char: BleakGATTCharacteristic, data: SizedBuffer, response: bool
                ) -> None:
                    writes.append(len(data))
                    await super().write_gatt_char(char, data, response)

            address = BleAddress(address=await air.serve(device))
            link = transport(air, address, client=Recording, client_kwargs={"att_mtu": att_mtu})
            await link.open()
            host = Host(link)
            await host.ask(GetInfoRequest())  # and pair verify: their writes are not counted
            writes.clear()
            requests = [GetStatusRequest()] * 3  # 3 x 30 bytes sealed: several writes at 23
            answers = await host.ask(*requests)
            assert all(isinstance(answer, GetStatusResponse) for answer in answers)
            size = att_mtu - 3
            total = 3 * SEALED_STATUS
            assert sum(writes) == total
            assert writes == [min(size, total - at) for at in range(0, total, size)]
            await link.close()

    run(body())


@on_both
def test_a_link_cut_by_the_device_ends_received_with_link_lost(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        async with bench(backend) as air:
            link = transport(air, BleAddress(address=await air.serve(device)))
            await link.open()
            host = Host(link)
            await host.ask(GetStatusRequest())
            device.cut_link(30)  # the manual clock never brings it back
            async with asyncio.timeout(WAIT_S):
                assert [chunk async for chunk in host.stream] == []
            assert link.closed.is_set()
            assert isinstance(link.error, LinkLost)
            assert "bring it closer" in str(link.error)
            with pytest.raises(LinkLost):
                await link.write(b"\x00")
            await link.close()
            assert isinstance(link.error, LinkLost)  # closing later keeps why it went down

    run(body())


async def refuse_pairing(air: Bench, calls: list[int]) -> type[BaseBleakClient]:
    """A client backend whose pairing the device refuses."""
    if air.air is None:  # the simulator pairs at once: fail as BlueZ reports a refusal
        return injected(air.client, lambda _: REFUSED_PAIRING, calls)
    # A host that can only do Just Works, which irlink devices refuse.
    delegate = PairingDelegate(PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT)
    config = PairingConfig(sc=True, mitm=True, bonding=True, delegate=delegate)
    (await air.air.central()).pairing_config_factory = lambda _: config
    return injected(air.client, lambda _: None, calls)


@on_both
@pytest.mark.parametrize("how", ["unpaired", "pairing refused"])
def test_refused_link_security_is_a_connect_error_not_retried(backend: str, how: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        calls: list[int] = []
        async with bench(backend) as air:
            address = BleAddress(address=await air.serve(device))
            if how == "unpaired":
                client = injected(air.client, lambda _: None, calls)
                link = transport(air, address, client=client, pair=False)
            else:
                link = transport(air, address, client=await refuse_pairing(air, calls))
            with pytest.raises(ConnectError, match="pair with the device") as refused:
                await link.open()
            assert isinstance(refused.value.__cause__, BleakError)
            assert calls == [1]  # retrying cannot help
            assert sum(each.stats.bytes_to_device for each in device.links) == 0

    run(body())


@on_both
def test_a_second_host_pairs_only_once_the_device_button_is_pressed(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        calls: list[int] = []
        async with bench(backend) as air:
            where = await air.serve(device)
            address = BleAddress(address=where)
            first = transport(air, address)
            await first.open()  # out of the box: the first host bonds
            await first.close()
            second_host = {"bluez": {"adapter": "hci1"}}
            client = injected(air.client, lambda _: None, calls)
            link = transport(air, address, client=client, client_kwargs=second_host)
            with pytest.raises(ConnectError, match="pairing button") as refused:
                await link.open()
            assert isinstance(refused.value.__cause__, BleakError)
            assert calls == [1]  # retrying cannot help
            air.security(where).open_pairing_window()
            link = transport(air, address, client_kwargs=second_host)
            await link.open()
            (status,) = await Host(link).ask(GetStatusRequest())
            assert isinstance(status, GetStatusResponse)
            await link.close()
            assert len(air.security(where).bonds) == 2

    run(body())


@on_both
def test_transient_failures_are_retried_with_backoff(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    errors = {1: TimeoutError(), 2: BleakError("le-connection-abort-by-local")}

    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        calls: list[int] = []
        async with bench(backend) as air:
            client = injected(air.client, errors.get, calls)
            link = transport(air, BleAddress(address=await air.serve(device)), client=client)
            await link.open()
            assert calls == [1, 2, 3]
            (status,) = await Host(link).ask(GetStatusRequest())
            assert isinstance(status, GetStatusResponse)
            await link.close()

    with caplog.at_level(logging.INFO, logger="irlink.transport.ble"):
        run(body())
    retries = [r.getMessage() for r in caplog.records if r.name == "irlink.transport.ble"]
    assert len(retries) == 2
    assert retries[0].endswith("retry in 0.001 s")
    assert retries[1].endswith("retry in 0.002 s")


@on_both
@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (TimeoutError(), "switch the device on and bring it closer"),
        (BleakError("No backend with an available connection slot"), "connection slot"),
    ],
)
def test_gives_up_after_connect_attempts(backend: str, error: Exception, advice: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        calls: list[int] = []
        async with bench(backend) as air:
            client = injected(air.client, lambda _: error, calls)
            address = BleAddress(address=await air.serve(device))
            link = transport(air, address, client=client, connect_attempts=3)
            with pytest.raises(ConnectError, match="after 3 attempts") as gave_up:
                await link.open()
            assert not isinstance(gave_up.value, DeviceNotFound)
            assert advice in str(gave_up.value)
            assert gave_up.value.__cause__ is error
            assert calls == [1, 2, 3]
            assert not link.closed.is_set()  # never opened; close() still works
            await link.close()

    run(body())


@on_both
def test_a_device_the_stack_forgot_is_scanned_for_again(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        calls: list[int] = []
        scans: list[int] = []
        async with bench(backend) as air:
            address = await air.serve(device)

            class Counting(air.scanner):  # type: ignore[name-defined,misc]
                async def start(self) -> None:
                    scans.append(1)
                    await super().start()

            forgot = {1: BleakDeviceNotFoundError(address, "not found")}
            client = injected(air.client, forgot.get, calls)
            link = BleTransport(
                BleAddress(address=address), backends=Backends(Counting, client), **FAST
            )
            await link.open()
            assert (len(scans), calls) == (2, [1, 2])
            await link.close()

    run(body())


@on_both
@pytest.mark.parametrize("family", ["waistband", "multiport"])
def test_battery_and_device_information(backend: str, family: str) -> None:
    async def body() -> None:
        device = SimulatedDevice(family, clock=ManualClock(), serial="0123")
        async with bench(backend) as air:
            link = transport(air, BleAddress(address=await air.serve(device)))
            await link.open()
            identity = device.profile.identity
            assert await link.read_device_information() == {
                "manufacturer": device.manufacturer,
                "model": identity.model,
                "serial": "0123",
                "hardware": identity.hardware_version,
                "firmware": identity.firmware_version,
            }
            if family == "multiport":  # mains powered: no Battery service
                assert await link.read_battery() is None
            else:
                device.set_battery(37)
                assert await link.read_battery() == 37
            await link.close()

    run(body())


@on_both
def test_close_is_idempotent_and_ends_the_stream(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", clock=ManualClock())
        async with bench(backend) as air:
            link = transport(air, BleAddress(address=await air.serve(device)))
            await link.open()
            await link.close()
            await link.close()
            assert link.closed.is_set()
            assert link.error is None
            async with asyncio.timeout(WAIT_S):
                assert [chunk async for chunk in link.received()] == []
            with pytest.raises(TransportError, match="closed"):
                await link.write(b"\x00")
            with pytest.raises(TransportError, match="closed"):
                await link.read_battery()
            with pytest.raises(TransportError, match="closed"):
                await link.open()

    run(body())


def test_writing_before_open_says_to_open() -> None:
    link = BleTransport(BleAddress(name="IRL-W2-0001"))
    with pytest.raises(TransportError, match=r"call open\(\) first"):
        asyncio.run(link.write(b"\x00"))
