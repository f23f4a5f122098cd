"""The baselines' far ends for bench_host.py: each serves on a pty in a process of its own.

    python bench/bench_host_servers.py echo REQUEST_SIZE REPLY_HEX
    python bench/bench_host_servers.py device
    python bench/bench_host_servers.py modbus REGISTERS

Each prints the pty's slave path on one line, then serves until SIGTERM. The pty is
made as the simulator's server makes it (``irlink.sim.serve.pty``): ``os.openpty``,
the slave in raw mode, the server holding the master.

``echo``: for every ``REQUEST_SIZE`` bytes read, write back the ``REPLY_HEX`` bytes, in
a blocking loop: the least a server can do per round trip.
``device``: an IRLink device reduced to its codec, in the same blocking loop: each
request decoded with ``DeviceCodec``, answered with the body a simulated waistband gave
the first request of its kind. irlink's host against it shows what the host costs
without the simulated firmware.
``modbus``: a pymodbus serial server (RTU framing) with ``REGISTERS`` holding registers.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import select
import signal
import sys
import termios
import time
import tty
import types
from collections.abc import Callable
from typing import Any

import serial
import serial.serialposix

from irlink.protocol import DeviceCodec, HostCodec, Rejected
from irlink.protocol.framing import decode_frame
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import Pipe

PROBE_S = 0.05  # as the simulator's PtyServer looks for a host
READ_SIZE = 4096


def open_pty(*, keep_slave: bool) -> tuple[int, int | None, str]:
    """A raw pty: the master, the slave if kept open here, and the slave's path."""
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    path = os.ttyname(slave)
    if keep_slave:
        return master, slave, path
    os.close(slave)
    return master, None, path


def serve_blocking(answer: Callable[[bytes], bytes]) -> None:
    """Print a raw pty's path; then, host after host, write ``answer(bytes read)`` back."""
    master, _, path = open_pty(keep_slave=False)
    print(path, flush=True)
    poll = select.poll()
    poll.register(master, select.POLLIN)
    while True:
        # Nobody holds the slave until the host opens it: the master polls HUP till then.
        while any(events & select.POLLHUP for _, events in poll.poll(0)):
            time.sleep(PROBE_S)
        while True:
            try:
                data = os.read(master, READ_SIZE)
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                break  # the host closed the slave
            if reply := answer(data):
                os.write(master, reply)


def echo(request_size: int, reply: bytes) -> None:
    """Answer every ``request_size`` bytes with ``reply``."""
    pending = 0

    def answer(data: bytes) -> bytes:
        nonlocal pending
        answers, pending = divmod(pending + len(data), request_size)
        return reply * answers

    serve_blocking(answer)


def device() -> None:
    """Answer each request through the device codec with a body cached from a simulator."""
    simulator = Pipe(
        SimulatedDevice("waistband", clock=ManualClock(), protocol_minor=1)
    )  # plain frames
    host, codec = HostCodec(), DeviceCodec()
    bodies: dict[type[object], tuple[int, bytes]] = {}

    def answer(data: bytes) -> bytes:
        out = bytearray()
        for item in codec.feed(data):
            if isinstance(item, Rejected):
                out += item.reply
                continue
            kind = type(item.message)
            if kind not in bodies:
                simulator.write(host.request(item.message)[1])
                frame = decode_frame(simulator.read_now()[:-1])
                bodies[kind] = frame.msg_id, frame.body
            msg_id, body = bodies[kind]
            out += codec.response_body(item.seq, msg_id, body)
        return bytes(out)

    serve_blocking(answer)


class _MasterSerial(serial.serialposix.Serial):
    """pyserial over a pty master this process already holds (``ptymaster://FD``).

    pymodbus's serial server opens its port by URL; the master of a pty has no path of
    its own, so this adopts the descriptor. The slave is already raw: nothing to set.
    """

    def open(self) -> None:
        self.fd = int(str(self.portstr).split("://", 1)[1])
        os.set_blocking(self.fd, False)
        self.pipe_abort_read_r, self.pipe_abort_read_w = os.pipe()
        self.pipe_abort_write_r, self.pipe_abort_write_w = os.pipe()
        os.set_blocking(self.pipe_abort_read_r, False)
        os.set_blocking(self.pipe_abort_write_r, False)
        self.is_open = True

    def _reconfigure_port(self, force_update: bool = False) -> None:
        pass


def _register_master_urls() -> None:
    """Teach ``serial.serial_for_url`` the ``ptymaster://FD`` scheme (pyserial's hook)."""
    package = types.ModuleType("bench_host_urls")
    package.__path__ = []
    handler = types.ModuleType("bench_host_urls.protocol_ptymaster")
    handler.Serial = _MasterSerial  # type: ignore[attr-defined]
    sys.modules[package.__name__] = package
    sys.modules[handler.__name__] = handler
    serial.protocol_handler_packages.append(package.__name__)


async def modbus(registers: int) -> None:
    """A pymodbus RTU serial server on the pty's master, holding ``registers`` registers."""
    from pymodbus import FramerType  # noqa: PLC0415  (only this server needs pymodbus)
    from pymodbus.server import ModbusSerialServer  # noqa: PLC0415
    from pymodbus.simulator import DataType, SimData, SimDevice  # noqa: PLC0415

    _register_master_urls()
    # Kept open here: pymodbus's transport takes the EIO a master reads while no host
    # holds the slave for a dead port, and would stop serving before the host came.
    master, _slave, path = open_pty(keep_slave=True)
    values = [(0x1234 + i) & 0xFFFF for i in range(registers)]
    device = SimDevice(
        id=1, simdata=[SimData(address=0, values=values, datatype=DataType.REGISTERS)]
    )
    server: Any = ModbusSerialServer(
        device, framer=FramerType.RTU, port=f"ptymaster://{master}", baudrate=115200
    )
    print(path, flush=True)
    await server.serve_forever()


def main() -> None:
    """Serve one baseline's far end until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    echo_args = kinds.add_parser("echo")
    echo_args.add_argument("request_size", type=int)
    echo_args.add_argument("reply_hex")
    kinds.add_parser("device")
    modbus_args = kinds.add_parser("modbus")
    modbus_args.add_argument("registers", type=int)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.kind == "echo":
        echo(args.request_size, bytes.fromhex(args.reply_hex))
    elif args.kind == "device":
        device()
    else:
        asyncio.run(modbus(args.registers))


if __name__ == "__main__":
    main()
