"""``irlink sim``: run simulated devices that serial programs can open.

The simulator is imported inside the command, so ``irlink --help`` stays quick.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from irlink.sim.serve.runner import Fleet

EXIT_USAGE = 2
MAX_SERIAL = 24  # get_info's serial field: up to 24 printable ASCII characters

app = typer.Typer(
    name="sim",
    help="Run simulated devices on ptys or TCP ports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command("serve", no_args_is_help=True)
def serve(
    families: Annotated[
        list[str],
        typer.Argument(
            help="Device families to serve, one device each: waistband, multiport, firmat.",
            metavar="FAMILY",
            show_default=False,
        ),
    ],
    pty: Annotated[
        bool, typer.Option("--pty", help="Serve each device on a pseudo-terminal (the default).")
    ] = False,
    tcp: Annotated[
        str | None,
        typer.Option(
            "--tcp",
            metavar="PORT",
            help="Serve on TCP 127.0.0.1:PORT, PORT+1, ... instead; 0 picks free ports.",
            show_default=False,
        ),
    ] = None,
    speed: Annotated[
        str, typer.Option(metavar="N", help="Simulated seconds per real second.")
    ] = "1",
    scenario: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="A fault scenario to start on every device: a YAML file or a shipped name.",
            show_default=False,
        ),
    ] = None,
    serial: Annotated[
        str,
        typer.Option(metavar="S", help="Serial number of the first device; the rest count up."),
    ] = "0001",
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            metavar="XXX-XX-XXX",
            help="The setup code of every device (default: each one's own, random, printed "
            "on stderr); `irlink pair -d ADDRESS --code ...` pairs with it.",
            show_default=False,
        ),
    ] = None,
    derived_code: Annotated[
        bool,
        typer.Option(
            "--derived-code",
            envvar="IRLINK_SIM_DERIVED_CODE",
            help="Derive each device's setup code from its serial, as in-process simulators "
            "do: the same at every start, for scripts, and known to anyone who knows the "
            "serial. --code wins over it.",
        ),
    ] = False,
    protocol: Annotated[
        str,
        typer.Option(
            metavar="1.N",
            help="The IRLink revision the devices speak: 1.2 (with security: pairing, "
            "verified sessions), 1.1 or 1.0 (without).",
        ),
    ] = "1.2",
    trust_host: Annotated[
        bool,
        typer.Option(
            "--trust-host",
            envvar="IRLINK_SIM_TRUST_HOST",
            help="Pair every device with this host's key store as a factory would (both "
            "sides written directly), so `irlink` commands need no `irlink pair` first.",
        ),
    ] = False,
) -> None:
    """Serve devices until Ctrl-C or SIGTERM; print one line per device: family, serial, address.

    The address is a pty path (/dev/pts/5) or a pyserial URL (socket://127.0.0.1:7000).
    Each device's setup code, which `irlink pair` asks for, is printed on stderr: random
    at each start, unless --code or --derived-code;
    `kill -USR1 PID` holds every device's pairing button (to pair a second host).
    """
    from irlink.spec.devices import FAMILIES  # noqa: PLC0415  (keeps --help quick)

    for family in families:
        if family not in FAMILIES:
            _fail(f"unknown device family {family!r}; choose from {', '.join(FAMILIES)}")
    if pty and tcp is not None:
        _fail("--pty and --tcp serve differently; give one of them, not both")
    rate = _speed(speed)
    port = None if tcp is None else _port(tcp, len(families))

    from irlink.sim.serve.runner import serials  # noqa: PLC0415

    for name in serials(serial, len(families)):
        if not (0 < len(name) <= MAX_SERIAL and name.isascii() and name.isprintable()):
            _fail(
                f"serial {name!r} is not 1..{MAX_SERIAL} printable ASCII characters; "
                "give one like 0001"
            )
    minor = _protocol(protocol)
    if code is not None:
        from irlink.security.codes import parse_setup_code  # noqa: PLC0415
        from irlink.security.errors import InvalidSetupCode  # noqa: PLC0415

        try:
            code = str(parse_setup_code(code))
        except InvalidSetupCode as exc:
            _fail(f"--code: {exc}")
    from irlink.sim.provision import trust_host as trusting  # noqa: PLC0415

    previous = trusting(trust_host)
    try:
        _run(
            families,
            port=port,
            speed=rate,
            scenario=scenario,
            serial=serial,
            code=code,
            minor=minor,
            derived_code=derived_code,
        )
    finally:
        trusting(previous)


def _protocol(text: str) -> int:
    revisions = {"1.0": 0, "1.1": 1, "1.2": 2}
    if text not in revisions:
        _fail(f"--protocol {text!r} is not one of {', '.join(revisions)}")
    return revisions[text]


# An hour a second: the simulator keeps up with this on one core, even mid-session.
MAX_SPEED = 3600


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_SPEED):
        _fail(
            f"--speed {text!r} is not a number above 0 and at most {MAX_SPEED}; "
            "give 1 for real time, 60 to run an hour a minute"
        )
    return value


def _port(text: str, count: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    last = value + count - 1
    if not 0 <= value <= 65535 or (value and last > 65535):
        _fail(
            f"--tcp {text!r} is not a port that fits {count} device(s) (each takes the next "
            "port); give one in 1..65535, or 0 for free ports"
        )
    return value


def _run(
    families: list[str],
    *,
    port: int | None,
    speed: float,
    scenario: str | None,
    serial: str,
    code: str | None = None,
    minor: int = 2,
    derived_code: bool = False,
) -> None:
    import asyncio  # noqa: PLC0415
    import logging  # noqa: PLC0415  (not needed by `irlink --help`)

    from irlink.errors import IRLinkError  # noqa: PLC0415
    from irlink.sim.serve.runner import (  # noqa: PLC0415
        Fleet,
        ServeError,
        apply_scenario,
        build_devices,
        serve_until_stopped,
    )

    logger = logging.getLogger("irlink")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("irlink sim: %(message)s"))
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False  # only this handler prints
    level = logger.level
    logger.setLevel(logging.INFO)
    guard = logging.getLogger("irlink.sim.guard")  # the devices' audit trail: shown
    guard_level = guard.level
    guard.setLevel(logging.NOTSET)
    try:
        devices = build_devices(
            families,
            speed=speed,
            first_serial=serial,
            setup_code=code,
            protocol_minor=minor,
            derived_codes=derived_code,
        )
    except IRLinkError as exc:  # a key store that keeps another device under a serial
        _fail(str(exc))
    try:
        if scenario is not None:
            try:
                name = apply_scenario(scenario, devices)
            except IRLinkError as exc:
                _fail(str(exc))
            logger.info("scenario %s started on %d device(s)", name, len(devices))
        fleet = Fleet(devices, transport="pty" if port is None else "tcp", port=port or 0)
        try:
            asyncio.run(serve_until_stopped(fleet, on_ready=_announce))
        except ServeError as exc:
            fix = "; choose another --tcp PORT, or 0 for free ports" if port else ""
            _fail(f"{exc}{fix}")
        except KeyboardInterrupt:
            pass  # Ctrl-C before the signal handlers were in place: stopping is what was asked
    finally:
        for device in devices:
            device.close()
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)
        guard.setLevel(guard_level)
    typer.echo(f"irlink sim: stopped; {len(devices)} device(s) closed", err=True)


def _announce(fleet: Fleet) -> None:
    from irlink.security.codes import derive_setup_code  # noqa: PLC0415

    for line in fleet.describe():
        typer.echo(line)
    sys.stdout.flush()
    for server in fleet.servers:  # stdout stays family, serial, address: scripts read it
        device = server.device
        if device.secure:
            paired = "; paired with this host already" if device.pairings else ""
            derived = (
                "; derived from the serial (--derived-code): anyone who knows the serial knows it"
                if device.setup_code == derive_setup_code(device.serial)
                else ""
            )
            typer.echo(
                f"irlink sim: {device.family} {device.serial} at {server.address}: setup code "
                f"{device.setup_code} (irlink pair -d {server.address} --code "
                f"{device.setup_code}){derived}{paired}",
                err=True,
            )
        else:
            typer.echo(
                f"irlink sim: {device.family} {device.serial} at {server.address}: IRLink "
                f"1.{device.protocol_minor}, no security: anyone who can open it controls it",
                err=True,
            )
