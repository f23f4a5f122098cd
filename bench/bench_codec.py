"""Codec speed: encode + decode of a full four-port status frame, against plain struct.

    python bench/bench_codec.py [--seconds S]

The baseline is the same fields packed and unpacked with one struct.Struct, with no
framing, no CRC, no checks and no models: the floor any Python codec stands on.
Each figure is the best of several timed repeats, taken in one run on one core.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import struct
import timeit
from collections.abc import Callable
from datetime import UTC, datetime

from irlink.protocol import HostCodec, decode_frame, decode_message, encode_body, encode_message
from irlink.protocol.framing import COBS_NATIVE
from irlink.protocol.messages import (
    DeviceState,
    FaultFlags,
    GetStatusResponse,
    Mode,
    PortState,
    PortStatus,
)


def full_status() -> GetStatusResponse:
    """A multiport status with four running ports: the largest status a device sends."""
    ports = tuple(
        PortStatus(
            port=i,
            state=PortState.RUNNING,
            pad_present=True,
            pad_type=2,
            session_id=100 + i,
            duration_s=1800,
            remaining_s=1200 + i,
            intensity=3,
            mode=Mode.PULSED,
            pulse_hz=73,
            sham=False,
            setpoint_dc=0,
            temp_dc=352,
            skin_temp_dc=338,
            faults=FaultFlags(0),
            override=False,
            starts_left=2,
        )
        for i in range(1, 5)
    )
    return GetStatusResponse(
        state=DeviceState.RUNNING,
        battery_pct=76,
        battery_mv=7712,
        charger_connected=False,
        board_temp_dc=311,
        faults=FaultFlags(0),
        uptime_s=86_400,
        boot_count=12,
        ports=ports,
    )


def measure(fns: dict[str, Callable[[], object]], seconds: float) -> dict[str, list[float]]:
    """Calls per second of each function, in interleaved rounds of about 0.1 s each.

    Interleaving puts every function through the same moments of a shared machine, so
    their ratio holds even when the machine's speed drifts; the best round of each is
    its figure, the median shows the spread.
    """
    timers = {name: timeit.Timer(fn) for name, fn in fns.items()}
    numbers = {name: max(1, timer.autorange()[0] // 2) for name, timer in timers.items()}
    rounds = max(5, int(seconds / (0.1 * len(fns))))
    rates: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, timer in timers.items():
            rates[name].append(numbers[name] / timer.timeit(numbers[name]))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="total measuring time")
    args = parser.parse_args()

    status = full_status()
    frame = encode_message(status, 7)
    assert decode_message(decode_frame(frame[:-1])) == status

    def codec_round_trip() -> object:
        return decode_message(decode_frame(encode_message(status, 7)[:-1]))

    # The same 71 values, packed and unpacked with one precompiled Struct.
    port_fmt = "BBBBHHHBBHBhhhHBB"
    flat = struct.Struct("<BBHBhHIHB" + port_fmt * 4)
    values = [
        *(int(v) for k, v in status.__dict__.items() if k != "ports"),
        len(status.ports),
    ]
    for port in status.ports:
        values += [int(v) for v in port]
    assert flat.pack(*values) == encode_body(status)  # the very bytes of the frame's body

    def baseline_round_trip() -> object:
        return flat.unpack(flat.pack(*values))

    host = HostCodec()
    stream = frame * 64

    def stream_decode() -> object:
        return host.feed(stream)

    rates = measure(
        {
            "baseline": baseline_round_trip,
            "codec": codec_round_trip,
            "stream": stream_decode,
        },
        args.seconds,
    )
    base, codec = max(rates["baseline"]), max(rates["codec"])
    feed = max(rates["stream"]) * 64
    spread = statistics.median(rates["codec"]) / statistics.median(rates["baseline"])
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"status frame: {len(frame)} bytes on the wire, body {flat.size} bytes")
    print(f"COBS: {'C extension' if COBS_NATIVE else 'pure Python'}")
    print(f"rounds: {len(rates['codec'])} interleaved; figures are the best round")
    print(f"baseline struct pack+unpack: {base:,.0f} /s")
    print(f"codec encode+decode round trip: {codec:,.0f} /s  ({codec / base:.3f}x baseline)")
    print(
        f"  medians: codec {statistics.median(rates['codec']):,.0f} /s, "
        f"baseline {statistics.median(rates['baseline']):,.0f} /s, ratio {spread:.3f}x"
    )
    print(f"host stream decode (64 frames a chunk): {feed:,.0f} frames/s")
    if not COBS_NATIVE:
        print("WARNING: cobs runs as pure Python (no C compiler at install); figures are slow")
    verdict = "met" if codec >= 100_000 else "NOT met"
    print(f"target 100,000 round trips/s: {verdict} on the best round (the timeit convention)")


if __name__ == "__main__":
    main()
