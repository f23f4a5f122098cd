"""``irlink session set``, ``start [--wait]``, ``stop``, ``pause``, ``resume``, ``clear-fault``."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from irlink.cli import values
from irlink.cli.common import DeviceHere, Failure, JsonHere, Options, emit, fail, run

if TYPE_CHECKING:
    from irlink.cli.results import Cleared
    from irlink.device import Device
    from irlink.model import Status
    from irlink.protocol.messages import FaultFlags

app = typer.Typer(
    name="session",
    help="Set up the next session of a port.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PORT_MAX = 255  # the wire's port is a byte; the device's own count is checked once connected
LEVEL_MAX = 255
HZ_MAX = 65535

Port = Annotated[
    int,
    typer.Option(
        "--port",
        "-p",
        metavar="N",
        help="The port (from 1); 0: every port.",
        parser=values.whole(0, PORT_MAX),
    ),
]
Length = Annotated[
    timedelta | None,
    typer.Option(
        "--duration",
        metavar="DURATION",
        help="Session length: 90s, 30m, 1h, 1h30m.",
        parser=values.duration,
        show_default=False,
    ),
]


@app.command("set")
def set_(
    ctx: typer.Context,
    port: Port = 0,
    duration: Length = None,
    intensity: Annotated[
        int | None,
        typer.Option(
            metavar="LEVEL",
            help="Output level, from 1 (lamps).",
            parser=values.whole(0, LEVEL_MAX),
            show_default=False,
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            metavar="MODE",
            help="continuous or pulsed.",
            parser=values.choice("continuous", "pulsed"),
            show_default=False,
        ),
    ] = None,
    hz: Annotated[
        int | None,
        typer.Option(
            metavar="HZ",
            help="Pulse rate, for --mode pulsed.",
            parser=values.whole(0, HZ_MAX),
            show_default=False,
        ),
    ] = None,
    setpoint: Annotated[
        float | None,
        typer.Option(
            metavar="°C",
            help="Target temperature (heated mats).",
            parser=values.number(0, 100, " °C"),
            show_default=False,
        ),
    ] = None,
    sham: Annotated[
        bool | None,
        typer.Option(
            "--sham/--no-sham",
            help="A blinded session: reports as real, no output (--no-sham: real output).",
            show_default=False,
        ),
    ] = None,
    override: Annotated[
        bool | None,
        typer.Option(
            "--override/--no-override",
            help="Allow a setpoint above the device's safe one (--no-override: do not).",
            show_default=False,
        ),
    ] = None,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Change the next session: only the settings given; each other one stays as the port
    has it (with --port 0, each port keeps its own). Every value is checked against the
    device's limits first, and every setting is echoed, sham included."""
    from irlink.cli.settings import Given  # noqa: PLC0415

    given = Given(duration, intensity, mode, hz, setpoint, sham, override)

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.settings import configure_keeping, configured_text  # noqa: PLC0415

        for done in await configure_keeping(device, opts, port, given):
            emit(opts, "configured", done, functools.partial(typer.echo, configured_text(done)))

    run(ctx, body, device_here, json_here)


def start(
    ctx: typer.Context,
    port: Port = 0,
    duration: Length = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the session to its end, then print a summary."),
    ] = False,
    stop_on_exit: Annotated[
        bool,
        typer.Option(
            "--stop-on-exit", help="With --wait: stop the session if irlink is interrupted."
        ),
    ] = False,
    heartbeat: Annotated[
        timedelta | None,
        typer.Option(
            "--heartbeat",
            metavar="DURATION",
            help="With --wait: beat this often; if irlink dies, the device stops output after "
            "its missed beats (default 2s, or the device's longest if shorter).",
            parser=values.duration,
            show_default=False,
        ),
    ] = None,
    no_heartbeat: Annotated[
        bool,
        typer.Option(
            "--no-heartbeat",
            help="With --wait: no heartbeat; if irlink dies, output runs on to the device's timer.",
        ),
    ] = False,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Start the configured session; with --duration, change its length first (every other
    setting, sham included, stays as configured). The device's own timer ends it.

    With --wait irlink arms the device's heartbeat, follows the session and says what
    was delivered of what was planned; a session that ended early exits 5."""
    if stop_on_exit and not wait:
        fail(
            "--stop-on-exit needs --wait (without it irlink leaves at once)",
            option="--stop-on-exit",
        )
    if (heartbeat is not None or no_heartbeat) and not wait:
        option = "--heartbeat" if heartbeat is not None else "--no-heartbeat"
        fail(
            f"{option} needs --wait (without it irlink leaves at once, and a heartbeat would "
            "stop the session as it left)",
            option=option,
        )
    if heartbeat is not None and no_heartbeat:
        fail("--heartbeat and --no-heartbeat contradict each other; give one", option="--heartbeat")

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.results import Started  # noqa: PLC0415

        if duration is not None:
            from irlink.cli.settings import Given, configure_keeping  # noqa: PLC0415

            try:
                await configure_keeping(device, opts, port, Given(duration=duration))
            except Failure as ending:
                if ending.option == "--setpoint":  # a hot setpoint kept: start has no --override
                    ending.message += (
                        "; start takes no --override: set the length with `irlink session set "
                        "--duration ... --override`, then run `irlink start`"
                    )
                raise
        if wait:
            from irlink.cli.follow import check_completed, follow_session  # noqa: PLC0415
            from irlink.cli.heartbeat import arm  # noqa: PLC0415

            if not no_heartbeat:
                await arm(device, heartbeat)  # before the start: output is never unguarded
            events = device.events()  # before the start: a short session's end is not missed
            session_id = await _start(device, port, stop_on_exit=stop_on_exit)
            summaries = await follow_session(
                device, opts, port, session_id, events, stop_on_exit=stop_on_exit
            )
            check_completed(summaries)
            return
        session_id = await device.start(port)
        started = Started(port, session_id)
        where = "every port" if port == 0 else f"port {port}"
        emit(
            opts, "started", started, lambda: typer.echo(f"started session {session_id} on {where}")
        )

    run(ctx, body, device_here, json_here)


async def _start(device: Device, port: int, *, stop_on_exit: bool) -> int:
    """device.start(port), saying what Ctrl-C during the start itself left behind."""
    import asyncio  # noqa: PLC0415

    try:
        return await device.start(port)
    except asyncio.CancelledError:
        # The request may have reached the device: a session may be running.
        if stop_on_exit:
            await device.stop(port)
            typer.echo(f"interrupted: stopped port {port} while starting it", err=True)
        else:
            typer.echo(
                f"interrupted while starting: a session may be running on port {port} "
                f"(the device's timer ends it; `irlink stop -p {port}` stops it now)",
                err=True,
            )
        raise


def _simple(command: Literal["stop", "pause", "resume"], past: str) -> object:
    def act(
        ctx: typer.Context,
        port: Port = 0,
        device_here: DeviceHere = None,
        json_here: JsonHere = False,
    ) -> None:
        async def body(device: Device, opts: Options) -> None:
            from irlink.cli.results import Done  # noqa: PLC0415

            await getattr(device, command)(port)
            where = "every port" if port == 0 else f"port {port}"
            emit(opts, "done", Done(command, port), lambda: typer.echo(f"{past} {where}"))

        run(ctx, body, device_here, json_here)

    return act


stop = _simple("stop", "stopped")
pause = _simple("pause", "paused")
resume = _simple("resume", "resumed")


def clear_fault(
    ctx: typer.Context,
    port: Port = 0,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Clear latched faults once their cause is gone; says what was cleared and what is still
    active, and why (exit 6 while a fault remains)."""

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.common import EXIT_FAULTS_REMAIN  # noqa: PLC0415
        from irlink.cli.texts import cleared_text  # noqa: PLC0415

        done = await device.clear_fault(port)
        status = await device.status()
        result = _cleared(port, done.cleared, done.remaining, status)
        emit(opts, "cleared", result, lambda: typer.echo(cleared_text(result)))
        if result.remaining:
            raise Failure(
                f"a fault is still active after clear-fault: {cleared_text(result, short=True)}",
                EXIT_FAULTS_REMAIN,
            )

    run(ctx, body, device_here, json_here)


def _cleared(port: int, cleared: FaultFlags, remaining: FaultFlags, now: Status) -> Cleared:
    """The command's result: the device's answer, and where each remaining fault is."""
    from irlink.cli.results import Cleared, PortFaults  # noqa: PLC0415

    still = [PortFaults(0, now.faults)] if now.faults else []
    still += [PortFaults(p.port, p.faults) for p in now.ports if p.faults and port in (0, p.port)]
    return Cleared(port, cleared, remaining, tuple(still))
