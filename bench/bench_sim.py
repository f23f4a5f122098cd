"""Simulator speed: a whole session on the manual clock, and requests served per second.

    python bench/bench_sim.py [--rounds N]

1. A 60-minute waistband session with status events at 1 Hz, run on a ManualClock in
   one ``advance``: physics, the session timer, 3,600 status frames and the session end,
   delivered into the in-process pipe. Target: under 50 ms of wall time.
2. ``get_status`` requests served over the in-process pipe (request bytes in, response
   bytes out), against the baseline of the codec alone: the same response encoded with
   ``encode_message`` and the request decoded with ``DeviceCodec.feed``, without the
   firmware. The ratio is what the simulated firmware costs on top of the wire.
Each figure is the best of interleaved rounds (timeit's convention), with the median.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from irlink.protocol import DeviceCodec, HostCodec, decode_body, encode_message
from irlink.protocol.messages import (
    ConfigureRequest,
    GetStatusRequest,
    GetStatusResponse,
    Mode,
    StartRequest,
    SubscribeRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import Pipe

# The firmware's own speed, in plain frames: an IRLink 1.1 device, as the figures in
# RESULTS.md were measured (a 1.2 device answers a host only once it has verified).
PLAIN = 1

SESSION_S = 3600


def session_once() -> tuple[float, int]:
    """Wall seconds for one 60-minute session at 1 Hz status, and the bytes it sent."""
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock, protocol_minor=PLAIN)
    pipe = Pipe(device)
    codec = HostCodec()
    for request in (
        ConfigureRequest(
            port=1,
            duration_s=SESSION_S,
            intensity=3,
            mode=Mode.CONTINUOUS,
            pulse_hz=0,
            sham=False,
            setpoint_dc=0,
            override=False,
        ),
        SubscribeRequest(period_ms=1000),
        StartRequest(port=1, session_id=1),
    ):
        pipe.write(codec.request(request)[1])
    pipe.read_now()
    start = time.perf_counter()
    clock.advance(SESSION_S)
    elapsed = time.perf_counter() - start
    sent = pipe.read_now()
    frames = sent.count(0)
    assert device.remaining_s(1) == 0, device.remaining_s(1)
    assert frames == SESSION_S + 1, frames
    return elapsed, len(sent)


def requests_per_s(n: int) -> float:
    """get_status requests served per second over the in-process pipe."""
    device = SimulatedDevice("multiport", clock=ManualClock(), protocol_minor=PLAIN)
    pipe = Pipe(device)
    _, request = HostCodec().request(GetStatusRequest())
    write, read = pipe.write, pipe.read_now
    start = time.perf_counter()
    for _ in range(n):
        write(request)
        read()
    return n / (time.perf_counter() - start)


def codec_only_per_s(n: int) -> float:
    """The baseline: decode the request and encode a status response, no firmware."""
    device = SimulatedDevice("multiport", clock=ManualClock(), protocol_minor=PLAIN)
    assert device.firmware is not None
    response = decode_body(GetStatusResponse, device.firmware.status_body())
    codec = DeviceCodec()
    _, request = HostCodec().request(GetStatusRequest())
    feed = codec.feed
    start = time.perf_counter()
    for _ in range(n):
        for incoming in feed(request):
            encode_message(response, incoming.seq)
    return n / (time.perf_counter() - start)


def _rounds(rounds: int, subjects: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(rounds):
        for name, run in subjects.items():
            results[name].append(run())
    return results


def main() -> None:
    """Run both benchmarks and print the figures for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (30)")
    args = parser.parse_args()
    session_once()  # warm the per-model codec caches
    sizes: list[int] = []

    def session_ms() -> float:
        elapsed, size = session_once()
        sizes.append(size)
        return elapsed * 1000

    results = _rounds(
        args.rounds,
        {
            "session_ms": session_ms,
            "requests": lambda: requests_per_s(5000),
            "codec_only": lambda: codec_only_per_s(5000),
        },
    )
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}, ", end="")
    print(f"{platform.machine()}, {os.cpu_count()} cpus, {args.rounds} interleaved rounds")
    session = results["session_ms"]
    print(
        f"60-min session, 1 Hz status: best {min(session):.1f} ms, "
        f"median {statistics.median(session):.1f} ms "
        f"({SESSION_S + 1} frames, {sizes[0]} bytes); target 50 ms: "
        f"{min(session) / 50:.2f}x of it (best), {statistics.median(session) / 50:.2f}x (median)"
    )
    served, base = results["requests"], results["codec_only"]
    print(
        f"get_status served over the pipe: best {max(served):,.0f}/s, "
        f"median {statistics.median(served):,.0f}/s"
    )
    print(
        f"baseline codec only (decode request + encode response): best {max(base):,.0f}/s, "
        f"median {statistics.median(base):,.0f}/s; "
        f"ratio {max(served) / max(base):.2f}x (best), "
        f"{statistics.median(served) / statistics.median(base):.2f}x (median)"
    )


if __name__ == "__main__":
    main()
