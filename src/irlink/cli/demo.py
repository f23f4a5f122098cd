"""``irlink demo``: a whole session on a simulated waistband, with no hardware and no setup.

It starts a simulated IR waistband in this process with its time running faster, runs a
short session with the live progress view, and prints what the device says it delivered.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

import typer

from irlink.cli.common import Options, emit, guarded, link_options, options

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.model import Info
    from irlink.record.store import SessionLog

__all__ = ["DEMO_PORT", "demo", "demo_session", "run_demo"]

DEMO_PORT = 1
DEMO_DURATION = timedelta(minutes=10)
DEMO_INTENSITY = 2

NEXT_STEPS = (
    "next: in one terminal, `irlink sim serve waistband --pty` serves a simulated waistband "
    "and prints its /dev/pts/N and its setup code; in another, `irlink pair -d /dev/pts/N` "
    "pairs this host with it, once (it asks for the code), `irlink status --watch -d "
    "/dev/pts/N` watches it (Ctrl-C ends the watch), then `irlink start -d /dev/pts/N "
    "--duration 10m --wait` runs a session on it. `irlink --help` lists every command."
)


def demo(ctx: typer.Context, speed: float) -> None:
    """Run ``irlink demo``: a short accelerated session on an in-process simulated waistband.

    ``speed`` is simulated seconds per real second (120: the 10-minute session takes 5 s).
    """
    opts = options(ctx)

    async def body() -> None:
        import irlink  # noqa: PLC0415  (the library loads only when a command runs)
        from irlink.cli.recording import open_recording  # noqa: PLC0415

        address = f"sim://waistband?speed={speed:g}"
        with contextlib.ExitStack() as stack:
            recording = open_recording(opts, stack)
            link = link_options(opts, address, stack, recording.log)
            async with irlink.connect(address, **link) as device:
                await run_demo(device, opts, speed)
            _point_at_record(opts, recording.log)
            recording.check()

    guarded(opts, body)


def demo_session(info: Info) -> tuple[timedelta, int | None]:
    """The demo's session within the device's limits: about 10 minutes, intensity 2."""
    duration = min(max(info.session_min, DEMO_DURATION), info.session_max)
    intensity = min(DEMO_INTENSITY, info.intensity_levels) if info.intensity_levels else None
    return duration, intensity


async def run_demo(device: Device, opts: Options, speed: float) -> None:
    """The demo on a connected device: configure, start, follow, then read the usage log.

    With ``--json`` the lines are ``configured``, ``started``, the session's events and
    ``status_update`` reports, ``summary`` and ``usage_record``; the rest goes to stderr.
    """
    from irlink.cli.follow import check_completed, follow_session  # noqa: PLC0415
    from irlink.cli.results import Configured  # noqa: PLC0415
    from irlink.cli.settings import configured_text  # noqa: PLC0415
    from irlink.cli.tables import print_usage  # noqa: PLC0415
    from irlink.durations import format_duration  # noqa: PLC0415
    from irlink.protocol.messages import Mode  # noqa: PLC0415

    info = device.info
    duration, intensity = demo_session(info)
    real = format_duration(round(duration.total_seconds() / speed, 1))
    pace = "in real time" if speed == 1 else f"with its time running {speed:g} times faster"
    typer.echo(
        f"irlink demo: a simulated infrared waistband ({info.model}, serial {info.serial}) "
        f"in this process, {pace}: its {format_duration(duration)} session takes {real}. "
        "No hardware involved.",
        err=opts.json,
    )
    await device.configure(DEMO_PORT, duration=duration, intensity=intensity)
    configured = Configured(
        DEMO_PORT, duration, intensity, Mode.CONTINUOUS, None, None, sham=False, override=False
    )
    emit(opts, "configured", configured, lambda: typer.echo(configured_text(configured)))
    events = device.events()  # before the start, so that the session's end is not missed
    session_id = await device.start(DEMO_PORT)
    summaries = await follow_session(device, opts, DEMO_PORT, session_id, events, stop_on_exit=True)

    records = [
        record
        for record in await device.usage_log()
        if record.session_id == session_id and record.port == DEMO_PORT
    ]
    if opts.json:
        for record in records:
            emit(opts, "usage_record", record, lambda: None)
    else:
        typer.echo("\nwhat was delivered, from the device's own usage log:")
        print_usage(records)
    typer.echo("\n" + NEXT_STEPS, err=opts.json)
    check_completed(summaries)


def _point_at_record(opts: Options, log: SessionLog | None) -> None:
    """Where the demo's session was recorded, and how to look at it."""
    if log is None or log.failure is not None:
        return
    from irlink.record.queries import sessions  # noqa: PLC0415

    kept = sessions(log)
    if not kept:
        return
    db = "" if opts.db is None else f" --db {opts.db}"
    typer.echo(
        f"\nrecorded: session {kept[-1].id} and every status the device sent are in the "
        f"session log {log.path}. Look at it with `irlink{db} log show {kept[-1].id}`, "
        f"`irlink{db} log sessions`, or `irlink{db} report` (an HTML page to open or print).",
        err=opts.json,
    )
