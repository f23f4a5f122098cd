"""IRLink 1.2 security through a link: what a verified session costs a status round trip.

    python bench/bench_security_link.py [--rounds N] [--calls N] [--handshakes N] [--quick]

All measured in one run, the subjects taking turns round by round (each warmed up first),
against a simulated waistband paired at the factory with this run's host (a key store in
a temporary folder), and the same waistband announcing IRLink 1.1 (no security):

1. ``await device.status()`` through ``irlink.connect`` over a **pty**, to a simulator in
   another process (``irlink sim serve --pty --trust-host``): in a verified session
   (``--protocol 1.2``) and without security (``--protocol 1.1``); and the same secured
   status through the **sync facade** (``irlink.sync``, its own loop thread) to a third.
2. The same over bumble's virtual **BLE** link (LE Secure Connections, bonded; the device
   and the radio in this process), against the floor: a raw bumble GATT write without
   response and its notification back, between bumble's own central and a peripheral
   that only answers, at the sizes of each exchange (1.1's and 1.2's).
3. **Handshakes** over the pty, alternating: a whole ``irlink.connect`` with pair verify
   (1.2) and without (1.1), and the pair verify alone as the library runs it inside the
   connect (timed around ``Verified._verify``); **pair setup** (``irlink.pair``, SRP-6a
   3072) over a pty to a simulator in this process, factory-reset between pairings.
4. **Frame overhead**: ``irlink.security.sealed.OVERHEAD`` and the bytes a status round
   trip puts on the device's link, counted by the simulator, with and without security.

The sans-I/O figures (guessing, handshake CPU, seal+open) are ``bench_security.py``'s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bumble import core, hci
from bumble.att import Attribute, AttributeValue
from bumble.device import Connection as BleConnection
from bumble.device import Peer
from bumble.gatt import Characteristic, Service

import irlink
import irlink.sync
from bench_host import Subject, irlink_command, paired
from bench_host_proc import OtherLoad, machine, served
from factory import trust_this_run
from irlink.connection import Connection
from irlink.security.keystore import KeyStore
from irlink.security.sealed import OVERHEAD
from irlink.sim import ManualClock, SimulatedDevice, trust_host
from irlink.sim.serve.bumble_bleak import bumble_backends
from irlink.sim.serve.bumble_gatt import BumbleAir
from irlink.sim.serve.pty import PtyServer
from irlink.verified import Verified

FAMILY = "waistband"  # as bench_host.py: its status answer is 48 bytes plain
WARM_UP = 200  # round trips before each timed round, at least
TARGET = 1.25  # the issue's: a verified status round trip at most 1.25x the plain one
QUIET_CORES = 0.25
ECHO_SERVICE = "0b8e0001-5e1f-4a8b-9d3c-15ec0b0e0001"
ECHO_RX = "0b8e0002-5e1f-4a8b-9d3c-15ec0b0e0001"
ECHO_TX = "0b8e0003-5e1f-4a8b-9d3c-15ec0b0e0001"
BYTES_CALLS = 100  # status round trips counted on the device's link for the bytes


def key_store() -> KeyStore:
    """This run's host identity, in a temporary folder the servers it starts share, every
    simulator it makes paired with it at the factory (``bench/factory.py``)."""
    trust_this_run()
    store = KeyStore.open()
    _ = store.identity  # made and written now, before any server reads the store
    return store


class _Echo:
    """A bumble peripheral that answers every write to rx with one notification on tx."""

    def __init__(self, air: BumbleAir, reply: bytes) -> None:
        self.reply = reply
        self.bumble = air.add_device("echo")
        self.tx = Characteristic[bytes](
            ECHO_TX,
            Characteristic.Properties.NOTIFY,
            Attribute.Permissions(0),
            AttributeValue(lambda _: b""),
        )
        rx = Characteristic[bytes](
            ECHO_RX,
            Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
            Attribute.Permissions.WRITEABLE,
            AttributeValue(lambda _: b"", self._written),
        )
        self.bumble.add_services([Service(ECHO_SERVICE, [rx, self.tx])])
        self._tasks: set[asyncio.Task[None]] = set()

    def _written(self, connection: BleConnection, value: bytes) -> None:
        task = asyncio.ensure_future(self.bumble.notify_subscriber(connection, self.tx, self.reply))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> str:
        await self.bumble.power_on()
        await self.bumble.start_advertising(auto_restart=True)
        return str(self.bumble.random_address)


async def raw_bumble(
    air: BumbleAir, stack: AsyncExitStack, request: bytes, reply: bytes
) -> Callable[[], Awaitable[None]]:
    """The floor: bumble's central writes ``request`` and awaits ``reply`` as a notification."""
    echo = _Echo(air, reply)
    address = await echo.start()
    central = await air.central()
    connection = await central.connect(hci.Address(address))
    stack.push_async_callback(connection.disconnect)
    await connection.gatt_client.request_mtu(247)  # as irlink's central asks
    peer = Peer(connection)
    await peer.discover_services()
    await peer.discover_characteristics()
    [rx] = peer.get_characteristics_by_uuid(core.UUID(ECHO_RX))
    [tx] = peer.get_characteristics_by_uuid(core.UUID(ECHO_TX))
    loop = asyncio.get_running_loop()
    waiter: list[asyncio.Future[None]] = []
    got = 0

    def notified(value: bytes) -> None:
        nonlocal got
        got += len(value)
        if got >= len(reply):
            got -= len(reply)
            waiter.pop().set_result(None)

    await peer.subscribe(tx, notified)

    async def once() -> None:
        answered = loop.create_future()
        waiter.append(answered)
        await peer.write_value(rx, request, with_response=False)
        await answered

    return once


@dataclass
class Handshakes:
    """Wall times (s) of each handshake tried, over the pty, from the device's first answer.

    The simulator's pty server looks for a newly opened host every 50 ms, so a connect
    first waits up to that long for its first answer, whatever it does next: the time
    is counted from the first bytes the device sends (its ``get_info`` answer).
    """

    connect_verified: list[float] = field(default_factory=list)
    connect_plain: list[float] = field(default_factory=list)
    verify: list[float] = field(default_factory=list)
    pair: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # from opening the pty to the first answer


@dataclass
class Bytes:
    """Bytes on the device's link per status round trip: host to device, device to host."""

    secure: tuple[float, float]
    plain: tuple[float, float]


def link_bytes(sim: SimulatedDevice) -> tuple[int, int]:
    link = sim.links[-1]
    return link.stats.bytes_to_device, link.stats.bytes_to_host


async def bytes_per_status(device: irlink.Device, sim: SimulatedDevice) -> tuple[float, float]:
    before = link_bytes(sim)
    for _ in range(BYTES_CALLS):
        await device.status()
    after = link_bytes(sim)
    return (after[0] - before[0]) / BYTES_CALLS, (after[1] - before[1]) / BYTES_CALLS


async def round_trips(
    paths: dict[str, str], store: KeyStore, rounds: int, calls: int
) -> tuple[list[Subject], Bytes]:
    """Interleaved rounds of every round-trip subject."""
    async with AsyncExitStack() as stack:
        options: dict[str, Any] = {"reconnect": None, "keys": store}
        plain = await stack.enter_async_context(irlink.connect(paths["plain"], **options))
        secure = await stack.enter_async_context(irlink.connect(paths["secure"], **options))
        facade = stack.enter_context(irlink.sync.connect(paths["sync"], **options))
        assert (secure.secured, facade.secured, plain.secured) == (True, True, False)
        air = await stack.enter_async_context(BumbleAir())
        backends = bumble_backends(air)
        sims = {
            "secure": SimulatedDevice(FAMILY, clock=ManualClock(), serial="B012"),
            "plain": SimulatedDevice(FAMILY, clock=ManualClock(), serial="B011", protocol_minor=1),
        }
        ble = {}
        for name, sim in sims.items():
            address = (await air.serve(sim)).address
            ble[name] = await stack.enter_async_context(
                irlink.connect(f"ble://{address}", ble_backends=backends, **options)
            )
        assert (ble["secure"].secured, ble["plain"].secured) == (True, False)
        secure_bytes = await bytes_per_status(ble["secure"], sims["secure"])
        plain_bytes = await bytes_per_status(ble["plain"], sims["plain"])
        floors = [
            await raw_bumble(air, stack, b"\1" * round(out), b"\2" * round(into))
            for out, into in (plain_bytes, secure_bytes)
        ]
        ble_plain, ble_secure = ble["plain"], ble["secure"]
        sizes = {k: f"{v[0]:.0f}/{v[1]:.0f}" for k, v in (("s", secure_bytes), ("p", plain_bytes))}
        subjects = [
            Subject("irlink `status()`, 1.1 no security, pty", sizes["p"], plain.status),
            Subject("**irlink `status()`, 1.2 verified, pty**", sizes["s"], secure.status),
            Subject(
                "irlink.sync `status()`, 1.2 verified, pty", sizes["s"], facade.status, aio=False
            ),
            Subject("raw bumble write + notify (floor), 1.1's sizes", sizes["p"], floors[0]),
            Subject("raw bumble write + notify (floor), 1.2's sizes", sizes["s"], floors[1]),
            Subject("irlink `status()`, 1.1 no security, bumble", sizes["p"], ble_plain.status),
            Subject("**irlink `status()`, 1.2 verified, bumble**", sizes["s"], ble_secure.status),
        ]
        for number in range(rounds):
            for subject in subjects:
                await subject.run(max(WARM_UP, calls // 3), keep=False)
                await subject.run(calls)
            print(f"round {number + 1} of {rounds}", file=sys.stderr, flush=True)
        for sim in sims.values():
            assert sim.auth.forged == sim.auth.replayed == sim.auth.unauthorized == 0
    return subjects, Bytes(secure_bytes, plain_bytes)


@contextmanager
def timed() -> Iterator[tuple[list[float], list[float]]]:
    """When each connection first heard its device, and how long each pair verify took, as
    the library ran it (the two methods wrapped for the benchmark's time only)."""
    heard: list[float] = []
    verifies: list[float] = []
    received, verify = Connection._received_bytes, Verified._verify

    def first(self: Connection, data: bytes) -> None:
        if not heard:
            heard.append(time.perf_counter())
        received(self, data)

    async def timed_verify(self: Verified, *args: Any) -> None:
        began = time.perf_counter()
        await verify(self, *args)
        verifies.append(time.perf_counter() - began)

    Connection._received_bytes = first  # type: ignore[method-assign]
    Verified._verify = timed_verify  # type: ignore[method-assign, assignment]
    try:
        yield heard, verifies
    finally:
        Connection._received_bytes = received  # type: ignore[method-assign]
        Verified._verify = verify  # type: ignore[method-assign]


async def handshakes(paths: dict[str, str], store: KeyStore, count: int) -> Handshakes:
    """Whole connects with and without verify, alternating; then pair setups."""
    figures = Handshakes()
    with timed() as (heard, verifies):
        for _ in range(count):
            for path, into in (
                (paths["secure"], figures.connect_verified),
                (paths["plain"], figures.connect_plain),
            ):
                heard.clear()
                began = time.perf_counter()
                async with irlink.connect(path, reconnect=None, keys=store) as device:
                    done = time.perf_counter()
                    assert device.secured == (path == paths["secure"])
                into.append(done - heard[0])
                figures.waits.append(heard[0] - began)
        figures.verify = list(verifies)
        assert len(figures.verify) == count
        figures.pair = await pair_setups(max(3, count // 3), heard)
    return figures


async def pair_setups(count: int, heard: list[float]) -> list[float]:
    """``irlink.pair`` over a pty, each to a device fresh from the factory."""
    times: list[float] = []
    previous = trust_host(False)
    try:
        sim = SimulatedDevice(FAMILY, clock=ManualClock(), serial="P001")
    finally:
        trust_host(previous)
    with tempfile.TemporaryDirectory(prefix="irlink-bench-pair-") as folder:
        store = KeyStore.open(Path(folder) / "irlink")
        async with PtyServer(sim) as pty:
            for _ in range(count):
                heard.clear()
                await irlink.pair(pty.path, sim.setup_code, store=store)
                times.append(time.perf_counter() - heard[0])
                store.forget(sim.serial)
                sim.factory_reset()  # paired with nobody again
    return times


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:.1f} ms (best {min(values) * 1e3:.1f})"


def report(subjects: list[Subject], shakes: Handshakes, sizes: Bytes) -> None:
    """The tables and verdicts, in the form bench/RESULTS.md keeps them."""
    plain, secure, facade, floor_plain, floor, ble_plain, ble_secure = subjects
    per_round = len(secure.rounds[0])
    print(f"\nround trips: {len(secure.rounds)} interleaved rounds of {per_round} calls each")
    print(
        "| | bytes out/in | median | best round | p90 | p99 | CPU here | against "
        "| medians | best rounds | round by round |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|")
    baseline = {  # each subject against the one it is to be judged by
        id(secure): ("1.1, pty", plain),
        id(facade): ("async, pty", secure),
        id(floor): ("floor, 1.1's sizes", floor_plain),
        id(ble_plain): ("floor, 1.1's sizes", floor_plain),
        id(ble_secure): ("1.1, bumble", ble_plain),
    }
    for s in subjects:
        against, base = baseline.get(id(s), ("", None))
        vs = (
            " | | "
            if base is None
            else f"{s.median / base.median:.2f}x | {s.best_round / base.best_round:.2f}x "
            f"| {paired(s, base):.2f}x"
        )
        print(
            f"| {s.label} | {s.sizes} | {s.median / 1e3:.0f} µs | {s.best_round / 1e3:.0f} µs "
            f"| {s.percentile(90) / 1e3:.0f} µs | {s.percentile(99) / 1e3:.0f} µs "
            f"| {s.cpu_ns / len(s.calls) / 1e3:.0f} µs | {against} | {vs} |"
        )
    checks = (
        ("pty: verified / 1.1", secure, plain, TARGET),
        ("bumble: verified / 1.1", ble_secure, ble_plain, TARGET),
        ("bumble: verified / raw floor at 1.2's sizes", ble_secure, floor, None),
        ("bumble: 1.1 / raw floor at 1.1's sizes", ble_plain, floor_plain, None),
        ("bumble: raw floor, 1.2's sizes / 1.1's", floor, floor_plain, None),
        ("sync facade / async, verified, pty", facade, secure, None),
    )
    for label, ours, base, target in checks:
        ratio = ours.median / base.median
        verdict = "" if target is None else f": {'met' if ratio <= target else 'NOT met'}"
        print(
            f"{label}: {ratio:.2f}x (medians), {ours.best_round / base.best_round:.2f}x "
            f"(best rounds), {paired(ours, base):.2f}x (round by round)"
            f"{'' if target is None else f'; target at most {target}x'}{verdict}"
        )
    print(
        f"\nhandshakes over the pty, {len(shakes.verify)} of each, alternating (median, best), "
        "from the device's first answer (before it: the server's probe for a new host, "
        f"{ms(shakes.waits)}):"
    )
    print(f"  irlink.connect with pair verify (1.2): {ms(shakes.connect_verified)}")
    print(f"  irlink.connect without (1.1): {ms(shakes.connect_plain)}")
    difference = statistics.median(shakes.connect_verified) - statistics.median(
        shakes.connect_plain
    )
    print(f"  difference of the medians: {difference * 1e3:.1f} ms")
    print(f"  pair verify alone, inside the connect: {ms(shakes.verify)}")
    print(f"  pair setup (irlink.pair, SRP-6a 3072), {len(shakes.pair)} times: {ms(shakes.pair)}")
    (s_out, s_in), (p_out, p_in) = sizes.secure, sizes.plain
    print(
        f"\nframe overhead: OVERHEAD = {OVERHEAD} bytes a sealed payload adds before COBS; on "
        f"the link a status round trip is {p_out:.0f} + {p_in:.0f} bytes plain, "
        f"{s_out:.0f} + {s_in:.0f} sealed: +{s_out - p_out:.0f} for the request, "
        f"+{s_in - p_in:.0f} for the answer (COBS and delimiter included)"
    )


async def run(args: argparse.Namespace) -> None:
    """Every measurement, then the report."""
    load = OtherLoad()
    serve = [irlink_command(), "sim", "serve", FAMILY, "--pty", "--trust-host", "--protocol"]
    commands = {
        "plain": [*serve, "1.1", "--serial", "0011"],
        "secure": [*serve, "1.2", "--serial", "0012"],
        "sync": [*serve, "1.2", "--serial", "0013"],
    }
    store = key_store()
    with ExitStack() as servers:
        paths = {name: servers.enter_context(served(c, 1))[1][0] for name, c in commands.items()}
        subjects, sizes = await round_trips(paths, store, args.rounds, args.calls)
        shakes = await handshakes(paths, store, args.handshakes)
    others = load.cores()
    print(f"machine: {machine()}")
    print(f"CPU used by everything else while this ran: {others:.2f} cores")
    if others > QUIET_CORES:
        print("WARNING: the machine was not quiet; the figures are disturbed")
    report(subjects, shakes, sizes)


def main() -> None:
    """Run every measurement and print the figures for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (20)")
    parser.add_argument("--calls", type=int, default=500, help="timed round trips a round (500)")
    parser.add_argument("--handshakes", type=int, default=30, help="connects of each kind (30)")
    parser.add_argument("--quick", action="store_true", help="4 rounds, 200 calls, 6 connects")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls, args.handshakes = 4, 200, 6
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
