"""The far end for bench_security_link.py: one simulated device on a pty, in its own process.

    python bench/bench_security_servers.py FAMILY MINOR [--serial S]

What ``irlink sim serve FAMILY --pty`` runs (a real clock, the simulator's ``PtyServer``),
with the protocol revision the device announces: ``MINOR`` 2 is IRLink 1.2, with security
for a family whose profile has it (paired at the factory with the host of the key store in
``IRLINK_CONFIG`` when ``IRLINK_SIM_TRUST_HOST=1``, see :mod:`irlink.sim.provision`); 1 is
the same device speaking IRLink 1.1, without security. Prints one line, family, serial and
the pty's path, then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from irlink.sim import RealClock, SimulatedDevice
from irlink.sim.serve.runner import Fleet, serve_until_stopped


def announce(fleet: Fleet) -> None:
    for line in fleet.describe():
        print(line)
    sys.stdout.flush()


def main() -> None:
    """Serve one device until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family")
    parser.add_argument("minor", type=int)
    parser.add_argument("--serial", default="0001")
    args = parser.parse_args()
    device = SimulatedDevice(
        args.family, clock=RealClock(), serial=args.serial, protocol_minor=args.minor
    )
    try:
        asyncio.run(serve_until_stopped(Fleet([device], transport="pty"), on_ready=announce))
    finally:
        device.close()


if __name__ == "__main__":
    main()
