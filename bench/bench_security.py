"""IRLink 1.2 security, the figures without a link: guessing, handshakes, sealed frames.

    python bench/bench_security.py [--rounds N]

- **Setup-code guessing**: a guesser runs the real host side of pair setup with wrong
  codes against a device's pair-setup state machine on a device clock that jumps
  ahead by exactly each wait the device imposes (the fastest guesser there can be),
  until the device locks pair setup. Reported: attempts allowed in the first hour, in
  the first day, in all, and the odds of finding an 8-digit code before the lock.
- **Handshake cost** (CPU, both sides in this process, no link): a whole pair setup
  (SRP-6a, 3072-bit group) and a whole pair verify (X25519 + Ed25519), median of N.
- **Sealed frames**: bytes on the wire of a status answer and of the longest answer
  (a usage-log page of 8 records), plain and sealed (COBS and delimiter included), and
  the time to seal and open one status frame against a plain encode and decode.

The round-trip figures through a link (pty, bumble) are in ``bench_security_link.py``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench_codec import full_status
from bench_host_proc import machine
from irlink.protocol import encode_message
from irlink.protocol.framing import decode_frame
from irlink.protocol.messages import EndReason, Mode, ReadUsageLogResponse, UsageRecord
from irlink.security import (
    DevicePairing,
    Identity,
    PairSetupHost,
    SetupCodeRejected,
    VerifyDevice,
    VerifyHost,
    parse_setup_code,
)
from irlink.security.pairing import MAX_FAILURES
from irlink.security.sealed import Opener, Sealer

CODE = parse_setup_code("482-91-307")
WRONG = parse_setup_code("482-91-308")
HOUR, DAY = 3600.0, 86400.0


def usage_page() -> ReadUsageLogResponse:
    """The longest answer of 1.1: a usage-log page of 8 records."""
    record = UsageRecord(
        log_index=1000,
        session_id=4242,
        port=1,
        end_reason=EndReason.COMPLETED,
        sham=False,
        mode=Mode.PULSED,
        intensity=3,
        pulse_hz=73,
        setpoint_dc=0,
        planned_s=1800,
        delivered_s=1800,
        ended_uptime_s=86400,
        boot_count=12,
    )
    return ReadUsageLogResponse(oldest_index=0, next_index=1008, records=(record,) * 8)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _exchange(host: Any, device: Any) -> None:
    """Run a host's state machine against a device's until the host is done."""
    request = host.start()
    while request is not None:
        request = host.receive(device.receive(request))


def guessing() -> dict[str, float]:
    """The fastest guesser against one device: attempts per hour and day, and in all."""
    clock = _Clock()
    device = DevicePairing(Identity.derive("bench"), CODE, clock)
    attempts: list[float] = []  # the device time of each wrong code the device judged
    began = time.perf_counter()
    while True:
        try:
            _exchange(PairSetupHost(WRONG, Identity.create()), device)
        except SetupCodeRejected as refusal:
            if device.failures > len(attempts):
                attempts.append(clock.now)
            if refusal.wait_s < 0:
                break  # locked until a factory reset
            clock.now += max(refusal.wait_s, 0)
            continue
        raise AssertionError("a wrong code paired")
    return {
        "first_hour": sum(1 for t in attempts if t < HOUR),
        "first_day": sum(1 for t in attempts if t < DAY),
        "in_all": len(attempts),
        "days_to_lock": attempts[-1] / DAY,
        "odds": len(attempts) / 10**8,
        "seconds": time.perf_counter() - began,
        "max_failures": MAX_FAILURES,
    }


def median_s(work: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def handshakes(rounds: int) -> dict[str, float]:
    host, device_identity = Identity.create(), Identity.derive("bench")

    def pair_setup() -> None:
        device = DevicePairing(device_identity, CODE, _Clock())
        _exchange(PairSetupHost(CODE, host), device)

    device = DevicePairing(device_identity, CODE, _Clock())
    _exchange(PairSetupHost(CODE, host), device)

    def pair_verify() -> None:
        verify = VerifyHost(host, device_identity.id, device_identity.public_key)
        _exchange(verify, VerifyDevice(device_identity, device.pairings))
        assert verify.keys is not None

    return {
        "pair_setup_s": median_s(pair_setup, max(3, rounds // 20)),
        "pair_verify_s": median_s(pair_verify, rounds),
    }


def frames(rounds: int) -> dict[str, float]:
    key = bytes(range(32))
    status = encode_message(full_status(), seq=7)
    page = encode_message(usage_page(), seq=8)
    sealer = Sealer(key)
    sealed_status = sealer.seal_encoded(status)
    sealed_page = sealer.seal_encoded(page)
    figures: dict[str, float] = {
        "status_plain_bytes": len(status),
        "status_sealed_bytes": len(sealed_status),
        "page_plain_bytes": len(page),
        "page_sealed_bytes": len(sealed_page),
    }
    n = 2000

    def plain() -> None:
        for _ in range(n):
            decode_frame(encode_message(full_status(), seq=7)[:-1])

    def sealed() -> None:
        seal, opener = Sealer(key), Opener(key)
        for _ in range(n):
            wire = seal.seal_encoded(encode_message(full_status(), seq=7))
            opener.open(decode_frame(wire[:-1]))

    figures["plain_us"] = median_s(plain, rounds) / n * 1e6
    figures["sealed_us"] = median_s(sealed, rounds) / n * 1e6
    assert isinstance(usage_page(), ReadUsageLogResponse)
    return figures


def main() -> None:
    """Measure and print the figures for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    print(machine())
    g = guessing()
    print("\nsetup-code guessing, fastest guesser (device clock jumps each wait):")
    print(f"  first hour: {g['first_hour']:.0f} attempts; first day: {g['first_day']:.0f}")
    print(
        f"  in all: {g['in_all']:.0f} (locked after {g['max_failures']} wrong codes, "
        f"{g['days_to_lock']:.1f} days of device time)"
    )
    print(
        f"  odds of finding the code before the lock: {g['odds']:.0e} ({g['seconds']:.1f} s here)"
    )
    h = handshakes(rounds)
    print("\nhandshakes, CPU of both sides in one process (median):")
    print(f"  pair setup (SRP-6a 3072): {h['pair_setup_s'] * 1e3:.1f} ms")
    print(f"  pair verify (X25519 + Ed25519): {h['pair_verify_s'] * 1e3:.2f} ms")
    f = frames(max(5, rounds // 20))
    print("\nsealed frames:")
    for what in ("status", "page"):
        plain, sealed = f[f"{what}_plain_bytes"], f[f"{what}_sealed_bytes"]
        print(f"  {what}: {plain:.0f} bytes plain, {sealed:.0f} sealed (+{sealed - plain:.0f})")
    ratio = f["sealed_us"] / f["plain_us"]
    print(
        f"  status encode+decode {f['plain_us']:.1f} us plain, {f['sealed_us']:.1f} us with "
        f"seal+open ({ratio:.2f}x)"
    )
    assert math.isfinite(ratio)


if __name__ == "__main__":
    main()
