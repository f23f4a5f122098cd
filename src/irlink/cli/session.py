"""``irlink session set``, ``start [--wait]``, ``stop``, ``pause``, ``resume``, ``clear-fault``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from irlink.cli.common import DeviceHere, JsonHere, Options, duration_option, emit, fail, run

if TYPE_CHECKING:
    from datetime import timedelta

    from irlink.cli.results import Configured
    from irlink.device import Device

app = typer.Typer(
    name="session",
    help="Set up the next session of a port.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Port = Annotated[
    int, typer.Option("--port", "-p", metavar="N", help="The port (from 1); 0: every port.", min=0)
]
Duration = Annotated[
    str | None,
    typer.Option(
        metavar="DURATION", help="Session length: 90s, 30m, 1h, 1h30m.", show_default=False
    ),
]


@app.command("set")
def set_(
    ctx: typer.Context,
    port: Port = 0,
    duration: Duration = None,
    intensity: Annotated[
        int | None,
        typer.Option(metavar="LEVEL", help="Output level, from 1 (lamps).", show_default=False),
    ] = None,
    mode: Annotated[str, typer.Option(metavar="MODE", help="continuous or pulsed.")] = "continuous",
    hz: Annotated[
        int | None,
        typer.Option(metavar="HZ", help="Pulse rate, for --mode pulsed.", show_default=False),
    ] = None,
    setpoint: Annotated[
        float | None,
        typer.Option(metavar="°C", help="Target temperature (heated mats).", show_default=False),
    ] = None,
    sham: Annotated[
        bool, typer.Option("--sham", help="A blinded session: reports as real, no output.")
    ] = False,
    override: Annotated[
        bool, typer.Option("--override", help="Allow a setpoint above the device's safe one.")
    ] = False,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Set the next session: every value is checked against the device's limits first."""
    length = None if duration is None else duration_option("--duration", duration)
    if mode not in ("continuous", "pulsed"):
        fail(f"--mode must be continuous or pulsed, not {mode!r}")

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.results import Configured  # noqa: PLC0415
        from irlink.protocol.messages import Mode  # noqa: PLC0415

        await device.configure(
            port,
            duration=length,
            intensity=intensity,
            mode=mode,
            pulse_hz=hz,
            setpoint=setpoint,
            sham=sham,
            override=override,
        )
        done = Configured(
            port,
            length if length is not None else device.info.session_default,
            intensity,
            Mode[mode.upper()],
            hz,
            setpoint,
            sham,
        )
        emit(opts, "configured", done, lambda: typer.echo(configured_text(done)))

    run(ctx, body, device_here, json_here)


def configured_text(done: Configured) -> str:
    """What ``session set`` tells a person: the next session of a port, in one line."""
    from irlink.durations import format_duration  # noqa: PLC0415

    where = "every port" if done.port == 0 else f"port {done.port}"
    parts = [format_duration(done.duration)]
    if done.intensity is not None:
        parts.append(f"intensity {done.intensity}")
    parts.append(done.mode.name.lower() + (f" {done.pulse_hz} Hz" if done.pulse_hz else ""))
    if done.setpoint_c is not None:
        parts.append(f"setpoint {done.setpoint_c:g} °C")
    if done.sham:
        parts.append("sham")
    return f"{where}: next session {', '.join(parts)}"


def start(
    ctx: typer.Context,
    port: Port = 0,
    duration: Duration = None,
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
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Start the configured session; with --duration, change its length first (every other
    setting, sham included, stays as configured). The device's own timer ends it."""
    length = None if duration is None else duration_option("--duration", duration)
    if stop_on_exit and not wait:
        fail("--stop-on-exit needs --wait (without it irlink leaves at once)")

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.results import Started  # noqa: PLC0415

        if length is not None:
            await _change_length(device, port, length)
        if wait:
            from irlink.cli.follow import follow_session  # noqa: PLC0415

            events = device.events()  # before the start: a short session's end is not missed
            session_id = await _start(device, port, stop_on_exit=stop_on_exit)
            await follow_session(device, opts, port, session_id, events, stop_on_exit=stop_on_exit)
            return
        session_id = await device.start(port)
        started = Started(port, session_id)
        where = "every port" if port == 0 else f"port {port}"
        emit(
            opts, "started", started, lambda: typer.echo(f"started session {session_id} on {where}")
        )

    run(ctx, body, device_here, json_here)


async def _change_length(device: Device, port: int, length: timedelta) -> None:
    """Set the next session's length on ``port`` (0: each port), keeping its other settings.

    configure() sets every field, so each is taken from what the port reports it is set
    to: a sham session stays sham (a blinded trial arm must not get real output), and
    intensity, mode, pulse rate and setpoint stay as they were.
    """
    from irlink.protocol.messages import CapabilityFlags, Mode  # noqa: PLC0415

    info, now = device.info, await device.status()
    heater = bool(info.capabilities & CapabilityFlags.HEATER)
    for current in now.ports:
        if port not in (0, current.port):
            continue
        await device.configure(
            current.port,
            duration=length,
            intensity=current.intensity if info.intensity_levels else None,
            mode=current.mode,
            pulse_hz=current.pulse_hz if current.mode is Mode.PULSED else None,
            setpoint=current.setpoint_c if heater else None,
            sham=current.sham,
        )


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


def _simple(command: Literal["stop", "pause", "resume", "clear_fault"], past: str) -> object:
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
clear_fault = _simple("clear_fault", "cleared the faults of")
