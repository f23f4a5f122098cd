"""What people see: tables for ``info``, ``status`` and ``usage``, and the live views of
``status --watch`` and ``start --wait`` (and ``irlink demo``).

This module loads rich, so commands import it inside their bodies only: ``irlink --help``
never loads it. With ``--json`` nothing here writes to stdout but JSON lines (through
:func:`irlink.cli.common.emit`); progress and messages then go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncGenerator, Sequence
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING

import typer
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from irlink.cli.common import Options, emit
from irlink.cli.jsonlines import kind_of
from irlink.cli.results import Started, Summary
from irlink.durations import format_duration, parse_duration
from irlink.errors import IRLinkError, LinkLost
from irlink.events import (
    ChargerConnected,
    ChargerDisconnected,
    EventsMissed,
    FaultCleared,
    FaultRaised,
    LinkDown,
    LinkRestored,
    LowBattery,
    PadAttached,
    PadDetached,
    SessionEnded,
    SessionStarted,
    StatusUpdate,
)
from irlink.model import Info, PortStatus, Status, UsageRecord
from irlink.protocol.messages import CapabilityFlags, EndReason, FaultFlags, Mode, PortState

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.events import DeviceEvent

__all__ = [
    "describe",
    "follow_session",
    "print_info",
    "print_status",
    "print_usage",
    "status_line",
    "watch_status",
]

# Real seconds between two status reports while following a session: an accelerated
# simulator is asked for a longer period (in its own time) so the view and the JSON
# output get about ten reports a second, not hundreds.
PROGRESS_REAL_PERIOD_S = 0.1
PROGRESS_PERIOD_S = 1.0  # the period asked of a real-time device
MAX_PERIOD_S = 60.0  # the protocol's longest period is 65.535 s
LIVE_REFRESH_PER_S = 8

_STATE_STYLE = {
    PortState.IDLE: "dim",
    PortState.RUNNING: "green",
    PortState.PAUSED: "yellow",
    PortState.FAULT: "bold red",
    PortState.NO_PAD: "yellow",
}


# Small texts.


def _fmt(value: timedelta) -> str:
    return format_duration(value)


def _name(value: Enum) -> str:
    return (value.name or str(value.value)).lower().replace("_", " ")


def _flags(flags: FaultFlags | CapabilityFlags, empty: str = "none") -> str:
    """The names of the bits set, ``bitN`` for a bit this version does not name."""
    names = []
    for bit in range(int(flags).bit_length()):
        if int(flags) >> bit & 1:
            member = type(flags)(1 << bit)
            names.append(_name(member) if member.name else f"bit{bit}")
    return ", ".join(names) or empty


def _on(port: int) -> str:
    return "the device" if port == 0 else f"port {port}"


NO_READING = "\u2013"  # an en dash: a temperature the device could not read (no pad, a bad sensor)


def _celsius(value: float | None) -> str:
    return NO_READING if value is None else f"{value:.1f} °C"


def _setting(info: Info, port: PortStatus) -> str:
    """What the port's session does: its level and mode, or its setpoint."""
    parts = []
    if port.setpoint_c is not None:
        parts.append(f"setpoint {port.setpoint_c:g} °C")
    if info.intensity_levels:
        parts.append(f"level {port.intensity}")
    if port.mode is Mode.PULSED:
        parts.append(f"{port.pulse_hz} Hz")
    if port.sham:
        parts.append("sham")
    return ", ".join(parts)


def status_line(status: Status) -> str:
    """One line for a status: battery, board temperature, faults and each port's session."""
    parts = [f"{_name(status.state)}"]
    if status.battery_pct is not None:  # None: the device has no battery
        parts.append(f"battery {status.battery_pct}%")
    if status.charger_connected:
        parts.append("charging")
    parts.append(f"board {_celsius(status.board_temp_c)}")
    if status.faults:
        parts.append(f"faults: {_flags(status.faults)}")
    for port in status.ports:
        text = f"port {port.port} {_name(port.state)}"
        if port.session_id:
            text += f" {_fmt(port.remaining)} left of {_fmt(port.duration)}"
        text += f" {_celsius(port.temp_c)}"
        if port.faults:
            text += f" faults: {_flags(port.faults)}"
        parts.append(text)
    return " · ".join(parts)


def describe(event: DeviceEvent) -> str:
    """One line for a person about an event."""
    match event:
        case StatusUpdate():
            return status_line(event.status)
        case SessionStarted():
            return (
                f"session {event.session_id} started on port {event.port}: {_fmt(event.duration)}"
            )
        case SessionEnded():
            text = (
                f"session {event.session_id} ended on port {event.port}: "
                f"{_name(event.reason)}, delivered {_fmt(event.delivered)}"
            )
            return text + (" (read from the device's usage log)" if event.recovered else "")
        case FaultRaised():
            return f"fault on {_on(event.port)}: {_flags(event.fault)}"
        case FaultCleared():
            return f"fault cleared on {_on(event.port)}: {_flags(event.fault)}"
        case PadAttached():
            return f"pad attached to port {event.port} (type {event.pad_type})"
        case PadDetached():
            return f"pad detached from port {event.port}"
        case ChargerConnected():
            return "charger connected"
        case ChargerDisconnected():
            return "charger disconnected"
        case LowBattery():
            return f"low battery: {event.battery_pct}% ({event.battery_v:.2f} V)"
        case LinkDown():
            return f"link down: {event.reason}"
        case LinkRestored():
            return "link restored" + (" (the device restarted meanwhile)" if event.rebooted else "")
        case EventsMissed():
            return f"{event.missed} events missed; status read again"
    return repr(event)  # pragma: no cover  (every event is named above)


def _event_style(event: DeviceEvent) -> str:
    if isinstance(event, FaultRaised | LinkDown | LowBattery | PadDetached | EventsMissed):
        return "bold red" if isinstance(event, FaultRaised | LinkDown) else "yellow"
    if isinstance(event, SessionEnded) and event.reason is not EndReason.COMPLETED:
        return "yellow"
    return ""


# info, status and usage.


def _info_table(info: Info) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    row = table.add_row
    row("family", _name(info.family))
    row("model", info.model)
    row("serial", info.serial)
    row(
        "firmware",
        f"{info.firmware_version} (hardware {info.hardware_version}, "
        f"protocol v{info.protocol_version})",
    )
    row("capabilities", _flags(info.capabilities))
    row("ports", str(info.port_count))
    row(
        "session",
        f"{_fmt(info.session_min)} to {_fmt(info.session_max)} in {_fmt(info.session_step)} "
        f"steps; default {_fmt(info.session_default)}",
    )
    if info.intensity_levels:
        levels = ", ".join(f"{level:g}" for level in info.irradiance_mw_cm2)
        row("intensity", f"levels 1 to {info.intensity_levels}: {levels} mW/cm²")
    else:
        row("intensity", "set by temperature (no levels)")
    if info.has(CapabilityFlags.PULSED) and info.pulse_hz:
        rates = ", ".join(str(hz) for hz in info.pulse_hz)
        row("pulsed", f"{rates} Hz at {info.pulse_duty_pct}% duty")
    if info.has(CapabilityFlags.HEATER):
        row(
            "setpoint",
            f"{info.setpoint_min_c:g} to {info.setpoint_max_c:g} °C in "
            f"{info.setpoint_step_c:g} °C steps; above {info.setpoint_override_c:g} °C "
            "needs --override",
        )
    row("temperature trip", f"{info.temp_trip_c:g} °C")
    if info.has(CapabilityFlags.BATTERY):
        row(
            "battery",
            f"warns at {info.battery_warn_pct}%, starts from {info.battery_start_pct}%, "
            f"stops at {info.battery_cutoff_pct}%",
        )
    row("status period", f"at least {_fmt(info.status_period_min)}")
    row(
        "heartbeat",
        f"up to {_fmt(info.heartbeat_max)}; {info.heartbeat_misses} missed beats stop output",
    )
    return table


def print_info(info: Info) -> None:
    """Print what the device is: identity, firmware, ports and every limit, with units."""
    title = f"{info.model} · serial {info.serial}"
    Console().print(Panel(_info_table(info), title=title, title_align="left", expand=False))


def _bar(port: PortStatus) -> RenderableType:
    """The session's elapsed part of its duration; as wide as the table allows."""
    total = port.duration.total_seconds() if port.session_id else 0.0
    return ProgressBar(
        total=total or 1.0,
        completed=port.elapsed.total_seconds() if total else 0.0,
        width=None,
        complete_style="yellow" if port.state is PortState.PAUSED else "green",
        finished_style="green",
    )


def _status_view(info: Info, status: Status) -> RenderableType:
    """The device line and a table of ports with a progress bar each."""
    head = Text()
    head.append(f"{info.model} {info.serial}", style="bold")
    head.append(f"  {_name(status.state)}")
    if status.battery_pct is not None and status.battery_v is not None:
        low = info.battery_warn_pct is not None and status.battery_pct <= info.battery_warn_pct
        head.append(
            f"  battery {status.battery_pct}% ({status.battery_v:.2f} V)",
            style="red" if low else "",
        )
    if status.charger_connected:
        head.append("  charger connected")
    head.append(f"  board {_celsius(status.board_temp_c)}")
    head.append("  faults: ")
    head.append(_flags(status.faults), style="bold red" if status.faults else "")

    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column("port", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("session", justify="right", no_wrap=True)
    table.add_column("progress", min_width=8, max_width=30)
    table.add_column("left", no_wrap=True)
    table.add_column("setting", min_width=8)
    table.add_column("temp", no_wrap=True)
    table.add_column("skin", no_wrap=True)
    table.add_column("faults", min_width=4)
    for port in status.ports:
        active = bool(port.session_id)
        state = _name(port.state) if port.pad_present else "no pad"
        table.add_row(
            str(port.port),
            Text(state, style=_STATE_STYLE.get(port.state, "")),
            str(port.session_id) if active else "",
            _bar(port),
            f"{_fmt(port.remaining)} of {_fmt(port.duration)}" if active else "",
            _setting(info, port) if active else "",
            _celsius(port.temp_c),
            _celsius(port.skin_temp_c),
            Text(_flags(port.faults), style="bold red" if port.faults else "dim"),
        )
    return Group(head, table)


def print_status(info: Info, status: Status) -> None:
    """Print each port's state, remaining time, setting, temperatures and faults, with the
    battery, board temperature and device faults."""
    Console().print(_status_view(info, status))


def print_usage(records: Sequence[UsageRecord]) -> None:
    """Print the device's log of past sessions: planned against delivered, and how each ended."""
    console = Console()
    if not records:
        console.print("the device's usage log is empty")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("#", "session", "port", "planned", "delivered", "ended", "sham", "setting"):
        table.add_column(column, justify="right" if column in ("#", "session", "port") else "left")
    for record in records:
        short = record.delivered < record.planned
        setting = [f"level {record.intensity}" if record.intensity else ""]
        if record.mode is Mode.PULSED:
            setting.append(f"pulsed {record.pulse_hz} Hz")
        if record.setpoint_c:
            setting.append(f"setpoint {record.setpoint_c:g} °C")
        table.add_row(
            str(record.log_index),
            str(record.session_id),
            str(record.port),
            _fmt(record.planned),
            Text(_fmt(record.delivered), style="yellow" if short else ""),
            Text(
                _name(record.end_reason),
                style="" if record.end_reason is EndReason.COMPLETED else "yellow",
            ),
            "sham" if record.sham else "",
            ", ".join(part for part in setting if part),
        )
    console.print(table)


# status --watch.


async def _unsubscribe(device: Device) -> None:
    """Stop pushed status if the link is still up; errors do not matter on the way out."""
    if not device.connected:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(device.subscribe(None), timeout=2 * device.timeout)


class _Link:
    """Tells when a lost link is not coming back, from the events.

    With reconnection off (as the command line connects) the first ``LinkDown`` is the
    end; with it on, the library sends ``LinkDown`` once more when it gives up, with no
    ``LinkRestored`` between.
    """

    def __init__(self, device: Device, doing: str) -> None:
        self.reconnects = device.reconnect is not None
        self.doing = doing  # what irlink does about it, for the message
        self.down = False

    def check(self, event: DeviceEvent) -> None:
        """Raise :class:`irlink.LinkLost` if ``event`` says the link is gone for good."""
        if isinstance(event, LinkRestored):
            self.down = False
        elif isinstance(event, LinkDown):
            if self.down or not self.reconnects:
                raise LinkLost(f"lost the link to the device ({event.reason}); {self.doing}")
            self.down = True

    def gone(self, event: DeviceEvent) -> bool:
        """Whether ``event`` ends the link for good (without changing what was seen)."""
        return isinstance(event, LinkDown) and (self.down or not self.reconnects)


async def watch_status(device: Device, opts: Options, period: str, count: int | None) -> None:
    """``irlink status --watch``: follow pushed status and events until Ctrl-C or ``count``.

    For people, a live view of every port (state, remaining time as a progress bar,
    setting, temperatures, faults) with battery and board temperature, and events as
    lines above it; without a terminal, one line per status. With ``--json``, every
    status (``status_update``) and event as one JSON line. ``count`` stops after that
    many pushed statuses. Raises ``ValueError`` for a bad ``period`` (exit 2) and
    :class:`irlink.LinkLost` when the link goes and is not coming back (exit 3).
    """
    try:
        every = parse_duration(period)
    except ValueError as exc:
        raise ValueError(f"--period: {exc}") from None
    if every <= timedelta(0):
        raise ValueError(f"--period must be above 0, not {period!r}")
    events = device.events()  # before subscribing: the first report is not missed
    try:
        granted = await device.subscribe(every)
        if granted != every and not opts.json:
            typer.echo(f"the device reports every {_fmt(granted)}", err=True)
        if opts.json:
            await _watch_json(device, opts, events, count)
        else:
            await _watch_live(device, events, count)
    finally:
        await events.aclose()
        await _unsubscribe(device)


async def _watch_json(
    device: Device, opts: Options, events: AsyncGenerator[DeviceEvent, None], count: int | None
) -> None:
    seen = 0
    link = _Link(device, "stopped watching")
    async for event in events:
        emit(opts, kind_of(event), event, lambda: None)
        link.check(event)
        if isinstance(event, StatusUpdate):
            seen += 1
            if count is not None and seen >= count:
                return


async def _watch_live(
    device: Device, events: AsyncGenerator[DeviceEvent, None], count: int | None
) -> None:
    from rich.live import Live  # noqa: PLC0415  (only --watch on a terminal needs it)

    console = Console()
    info = device.info
    latest = [device.last_status or await device.status()]
    watching = [True]

    def view() -> RenderableType:
        if not watching[0]:  # the last frame, left on the terminal
            return _status_view(info, latest[0])
        hint = Text("Ctrl-C to stop watching", style="dim")
        return Group(_status_view(info, latest[0]), hint)

    seen = 0
    link = _Link(device, "stopped watching")
    if not console.is_terminal:  # piped: a line per report, no cursor movements
        console.print(status_line(latest[0]))
        async for event in events:
            if not link.gone(event):  # else the error says it
                console.print(describe(event), style=_event_style(event), highlight=False)
            link.check(event)
            if isinstance(event, StatusUpdate):
                seen += 1
                if count is not None and seen >= count:
                    return
        return

    with Live(
        console=console,
        get_renderable=view,
        refresh_per_second=LIVE_REFRESH_PER_S,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as live:  # closed on every way out, Ctrl-C included: the terminal is left clean
        try:
            async for event in events:
                if isinstance(event, StatusUpdate | LinkRestored | EventsMissed):
                    latest[0] = event.status
                if not isinstance(event, StatusUpdate) and not link.gone(event):
                    style = _event_style(event)
                    live.console.print(describe(event), style=style, highlight=False)
                link.check(event)
                if isinstance(event, StatusUpdate):
                    seen += 1
                    if count is not None and seen >= count:
                        return
        finally:
            watching[0] = False  # Live's exit draws the last frame without the hint


# start --wait.


def _progress_period(device: Device) -> timedelta:
    """About ten reports a real second on an accelerated simulator, one a second otherwise."""
    seconds = max(PROGRESS_PERIOD_S, PROGRESS_REAL_PERIOD_S / device.time_scale)
    seconds = max(min(seconds, MAX_PERIOD_S), device.info.status_period_min.total_seconds())
    return timedelta(seconds=round(seconds, 3))


class _Follower:
    """The state of one session being followed: its ports, bars and endings."""

    def __init__(self, device: Device, session_id: int, ports: list[int], console: Console):
        self.device = device
        self.session_id = session_id
        self.ports = ports
        self.link = _Link(device, "")
        # "every port" only where there is more than one
        self.where = f"port {ports[0]}" if len(ports) == 1 else "every port"
        self.planned: dict[int, timedelta] = {}
        self.ended: dict[int, SessionEnded] = {}
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[times]}"),
            TextColumn("{task.fields[note]}", style="dim"),
            console=console,
            refresh_per_second=LIVE_REFRESH_PER_S,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.tasks = {
            port: self.progress.add_task(
                f"session {session_id} port {port}", total=None, times="starting", note=""
            )
            for port in ports
        }

    @property
    def done(self) -> bool:
        return all(port in self.ended for port in self.ports)

    def started(self, event: SessionStarted) -> None:
        if event.session_id == self.session_id and event.port in self.tasks:
            self.planned.setdefault(event.port, event.duration)
            if event.port not in self.ended:
                self.progress.update(
                    self.tasks[event.port],
                    total=event.duration.total_seconds(),
                    completed=0,
                    times=f"0s / {_fmt(event.duration)}",
                )

    def status(self, status: Status) -> None:
        for number in self.ports:
            if number in self.ended:
                continue
            try:
                port = status.port(number)
            except KeyError:
                continue
            if port.session_id != self.session_id:
                continue
            self.planned[number] = port.duration
            times = f"{_fmt(port.elapsed)} / {_fmt(port.duration)}, {_fmt(port.remaining)} left"
            if port.state is PortState.PAUSED:
                times += " (paused)"
            note = f"{_celsius(port.temp_c)}"
            if status.battery_pct is not None:
                note += f" · battery {status.battery_pct}%"
            if port.faults or status.faults:
                note += f" · faults: {_flags(port.faults | status.faults)}"
            self.progress.update(
                self.tasks[number],
                total=port.duration.total_seconds(),
                completed=port.elapsed.total_seconds(),
                times=times,
                note=note,
            )

    def ended_on(self, event: SessionEnded) -> bool:
        """Take a session ending; True if it is this session's, on one of its ports."""
        if event.session_id != self.session_id or event.port not in self.tasks:
            return False
        self.ended[event.port] = event
        planned = self.planned.get(event.port)
        total = (planned or event.delivered).total_seconds() or 1.0
        done = total if event.reason is EndReason.COMPLETED else event.delivered.total_seconds()
        of = f" of {_fmt(planned)}" if planned is not None else ""
        self.progress.update(
            self.tasks[event.port],
            total=total,
            completed=done,
            times=f"{_name(event.reason)}, delivered {_fmt(event.delivered)}{of}",
        )
        return True


def _summary_text(summary: Summary) -> str:
    head = f"session {summary.session_id} on port {summary.port}: "
    if summary.reason is None or summary.delivered is None:
        state = "left running" if summary.left_running else "stopped"
        return head + f"{state} (irlink was interrupted), planned {_fmt(summary.planned)}"
    return (
        head + f"{_name(summary.reason)}, delivered {_fmt(summary.delivered)} "
        f"of {_fmt(summary.planned)}"
    )


async def _planned_from_log(device: Device, session_id: int, port: int) -> timedelta | None:
    """The planned time of a session from the device's log, when no report gave it."""
    with contextlib.suppress(IRLinkError):
        for record in reversed(await device.usage_log()):
            if record.session_id == session_id and record.port == port:
                return record.planned
    return None


async def follow_session(
    device: Device,
    opts: Options,
    port: int,
    session_id: int,
    events: AsyncGenerator[DeviceEvent, None],
    *,
    stop_on_exit: bool,
) -> list[Summary]:
    """``irlink start --wait``: follow a started session to its end on each of its ports.

    ``events`` must come from ``device.events()`` called *before* ``device.start()``, so
    that a short session's end is not missed; it is closed here. Shows a progress bar
    per port from the device's own timer (on stderr with ``--json``, where stdout gets
    ``started``, every event and status as JSON lines), then emits a
    :class:`~irlink.cli.results.Summary` per port and returns them.

    On cancellation (Ctrl-C) it asks nothing: with ``stop_on_exit`` the session is
    stopped, else it is left to the device's timer; either way a line on stderr says
    which, ``--json`` gets a summary per unfinished port, and ``CancelledError`` goes on.
    A lost link that irlink will not restore raises :class:`irlink.LinkLost` (exit 3).
    """
    info = device.info
    ports = list(range(1, info.port_count + 1)) if port == 0 else [port]
    console = Console(stderr=opts.json)
    follower = _Follower(device, session_id, ports, console)
    emit(opts, "started", Started(port, session_id), lambda: None)
    if not opts.json:
        after = "stops it" if stop_on_exit else "leaves it running"
        console.print(
            f"started session {session_id} on {follower.where}; following it to its end "
            f"(Ctrl-C {after})",
            highlight=False,
        )
    try:
        try:
            with follower.progress:
                await device.subscribe(_progress_period(device))
                if device.last_status is not None:
                    follower.status(device.last_status)
                async for event in events:
                    if opts.json:
                        emit(opts, kind_of(event), event, lambda: None)
                    _take(follower, event)
                    if follower.done:
                        break
        except asyncio.CancelledError:
            await _interrupted(device, opts, port, follower, stop_on_exit=stop_on_exit)
            raise
    finally:
        await events.aclose()
        await _unsubscribe(device)

    summaries = []
    for number in ports:
        ending = follower.ended[number]
        planned = follower.planned.get(number) or await _planned_from_log(
            device, session_id, number
        )
        summary = Summary(
            port=number,
            session_id=session_id,
            planned=planned if planned is not None else ending.delivered,
            reason=ending.reason,
            delivered=ending.delivered,
            left_running=False,
        )
        emit(opts, "summary", summary, functools.partial(typer.echo, _summary_text(summary)))
        summaries.append(summary)
    return summaries


def _take(follower: _Follower, event: DeviceEvent) -> None:
    """Move the view along with one event; raise when the link is gone for good."""
    console = follower.progress.console
    if isinstance(event, StatusUpdate | LinkRestored | EventsMissed):
        follower.status(event.status)
    if isinstance(event, SessionStarted):
        follower.started(event)
    elif isinstance(event, SessionEnded):
        if not follower.ended_on(event):
            console.print(describe(event), highlight=False)
    elif isinstance(event, LinkDown):
        left = [p for p in follower.ports if p not in follower.ended]
        where = ("port " if len(left) == 1 else "ports ") + ", ".join(str(p) for p in left)
        follower.link.doing = (
            f"session {follower.session_id} is still running on {where}; the device's timer ends it"
        )
        if not follower.link.gone(event):  # else the error raised below says it all
            console.print("warning: " + describe(event), style=_event_style(event), highlight=False)
    elif not isinstance(event, StatusUpdate):
        console.print(describe(event), style=_event_style(event), highlight=False)
    follower.link.check(event)


async def _interrupted(
    device: Device, opts: Options, port: int, follower: _Follower, *, stop_on_exit: bool
) -> None:
    """Ctrl-C while following: stop the session or leave it, say which, report it."""
    session_id = follower.session_id
    where = follower.where
    stopped = False
    if stop_on_exit:
        try:
            await device.stop(port)
            stopped = True
            message = f"interrupted: stopped session {session_id} on {where}"
        except IRLinkError as exc:
            message = (
                f"interrupted: could not stop session {session_id} on {where} ({exc}); "
                "the device's timer ends it"
            )
    else:
        message = (
            f"interrupted: session {session_id} is still running on {where} "
            f"(the device's timer ends it; `irlink stop -p {port}` stops it now)"
        )
    typer.echo(message, err=True)
    if not opts.json:
        return
    for number in follower.ports:
        ending = follower.ended.get(number)
        planned = follower.planned.get(number, ending.delivered if ending else timedelta(0))
        summary = Summary(
            port=number,
            session_id=session_id,
            planned=planned,
            reason=ending.reason if ending else None,
            delivered=ending.delivered if ending else None,
            left_running=ending is None and not stopped,
        )
        emit(opts, "summary", summary, lambda: None)
