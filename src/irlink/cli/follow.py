"""``irlink start --wait`` (and ``irlink demo``): follow a started session to its end.

A progress bar per port from the device's own timer, then a summary per port of what
the device says was delivered. This module loads rich: commands import it inside
their bodies only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from irlink.cli.common import EXIT_ENDED_EARLY, Failure, Options, emit
from irlink.cli.exits import silence_stdout
from irlink.cli.jsonlines import kind_of
from irlink.cli.results import Started, Summary
from irlink.cli.texts import celsius, console, describe, event_style, flags, fmt, name_of
from irlink.cli.watch import LIVE_REFRESH_PER_S, Link, unsubscribe
from irlink.errors import IRLinkError
from irlink.events import (
    EventsMissed,
    LinkDown,
    LinkRestored,
    SessionEnded,
    SessionStarted,
    StatusUpdate,
)
from irlink.model import Status
from irlink.protocol.messages import EndReason, PortState

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.events import DeviceEvent

__all__ = ["check_completed", "follow_session", "summary_text"]

# Real seconds between two status reports while following a session: an accelerated
# simulator is asked for a longer period (in its own time) so the view and the JSON
# output get about ten reports a second, not hundreds.
PROGRESS_REAL_PERIOD_S = 0.1
PROGRESS_PERIOD_S = 1.0  # the period asked of a real-time device
MAX_PERIOD_S = 60.0  # the protocol's longest period is 65.535 s


def _progress_period(device: Device) -> timedelta:
    """About ten reports a real second on an accelerated simulator, one a second otherwise."""
    seconds = max(PROGRESS_PERIOD_S, PROGRESS_REAL_PERIOD_S / device.time_scale)
    seconds = max(min(seconds, MAX_PERIOD_S), device.info.status_period_min.total_seconds())
    return timedelta(seconds=round(seconds, 3))


class _Follower:
    """The state of one session being followed: its ports, bars and endings."""

    def __init__(self, device: Device, session_id: int, ports: list[int], out: Console):
        self.device = device
        self.session_id = session_id
        self.ports = ports
        self.link = Link(device, "")
        # "every port" only where there is more than one
        self.where = f"port {ports[0]}" if len(ports) == 1 else "every port"
        self.planned: dict[int, timedelta] = {}
        self.ended: dict[int, SessionEnded] = {}
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[times]}"),
            TextColumn("{task.fields[note]}", style="dim"),
            console=out,
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
                    times=f"0s / {fmt(event.duration)}",
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
            times = f"{fmt(port.elapsed)} / {fmt(port.duration)}, {fmt(port.remaining)} left"
            if port.state is PortState.PAUSED:
                times += " (paused)"
            note = f"{celsius(port.temp_c)}"
            if status.battery_pct is not None:
                note += f" · battery {status.battery_pct}%"
            if port.faults or status.faults:
                note += f" · faults: {flags(port.faults | status.faults)}"
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
        delivered = event.delivered
        total = (planned or delivered or timedelta(0)).total_seconds() or 1.0
        if event.reason is EndReason.COMPLETED:
            done = total
        else:
            done = delivered.total_seconds() if delivered is not None else 0.0
        of = f" of {fmt(planned)}" if planned is not None else ""
        said = f"delivered {fmt(delivered)}{of}" if delivered is not None else "delivered unknown"
        self.progress.update(
            self.tasks[event.port],
            total=total,
            completed=done,
            times=f"{name_of(event.reason)}, {said}",
        )
        return True


# Why a session ended early, in plain words (the reason's own name follows in brackets).
_WHY = {
    EndReason.STOPPED: "it was stopped",
    EndReason.FAULT: "a fault stopped it",
    EndReason.LOW_BATTERY: "the battery ran down",
    EndReason.LINK_LOST: "the device stopped output when no heartbeat reached it",
    EndReason.POWER_LOSS: "the device lost power",
    EndReason.PAD_DETACHED: "the pad was unplugged",
    EndReason.CHARGER: "the charger was plugged in",
}


def _why(reason: EndReason) -> str:
    return f"{_WHY.get(reason, name_of(reason))} ({name_of(reason).replace(' ', '_')})"


def summary_text(summary: Summary) -> str:
    """One line for a person: how the session ended, and what was delivered of the plan."""
    head = f"session {summary.session_id} on port {summary.port}"
    if summary.reason is None:
        state = "left running" if summary.left_running else "stopped"
        return f"{head}: {state} (irlink was interrupted), planned {fmt(summary.planned)}"
    if summary.delivered is None:  # a restart cut it, and the device kept no record
        return (
            f"{head} ended early: {_why(summary.reason)}; the device kept no record of what "
            f"it delivered of the planned {fmt(summary.planned)}"
        )
    delivered = f"delivered {fmt(summary.delivered)} of the planned {fmt(summary.planned)}"
    if summary.completed:
        return f"{head} completed: {delivered}"
    return f"{head} ended early: {_why(summary.reason)}; {delivered}"


def check_completed(summaries: list[Summary]) -> None:
    """Raise the ended-early failure (exit 5) unless every port's session completed."""
    early = [s for s in summaries if not s.completed]
    if not early:
        return
    ports = ", ".join(
        f"port {s.port}: {name_of(s.reason).replace(' ', '_') if s.reason else 'unknown'}"
        for s in early
    )
    raise Failure(
        f"session {early[0].session_id} ended early: it did not complete ({ports})",
        EXIT_ENDED_EARLY,
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

    Each summary says whether the session completed; :func:`check_completed` turns
    one that ended early into exit 5. On cancellation (Ctrl-C), or when stdout's reader
    goes (``irlink start --wait | head``), it asks nothing: with ``stop_on_exit`` the
    session is stopped, else it is left to the device's timer; either way a line on
    stderr says which, ``--json`` gets a summary per unfinished port, and the error goes
    on. A lost link that irlink will not restore raises :class:`irlink.LinkLost` (exit 3).
    """
    info = device.info
    ports = list(range(1, info.port_count + 1)) if port == 0 else [port]
    out = console(stderr=opts.json)
    follower = _Follower(device, session_id, ports, out)
    emit(opts, "started", Started(port, session_id), lambda: None)
    if not opts.json:
        after = "stops it" if stop_on_exit else "leaves it running"
        out.print(
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
        except BrokenPipeError:
            silence_stdout()
            why = "stdout was closed"
            await _interrupted(device, opts, port, follower, stop_on_exit=stop_on_exit, why=why)
            raise
    finally:
        await events.aclose()
        await unsubscribe(device)

    summaries = []
    for number in ports:
        ending = follower.ended[number]
        planned = follower.planned.get(number) or await _planned_from_log(
            device, session_id, number
        )
        summary = Summary(
            port=number,
            session_id=session_id,
            planned=planned if planned is not None else ending.delivered or timedelta(0),
            completed=ending.completed,
            reason=ending.reason,
            delivered=ending.delivered,
            left_running=False,
        )
        emit(opts, "summary", summary, functools.partial(typer.echo, summary_text(summary)))
        summaries.append(summary)
    return summaries


def _take(follower: _Follower, event: DeviceEvent) -> None:
    """Move the view along with one event; raise when the link is gone for good."""
    out = follower.progress.console
    if isinstance(event, StatusUpdate | LinkRestored | EventsMissed):
        follower.status(event.status)
    if isinstance(event, SessionStarted):
        follower.started(event)
    elif isinstance(event, SessionEnded):
        if not follower.ended_on(event):
            out.print(describe(event), highlight=False)
    elif isinstance(event, LinkDown):
        left = [p for p in follower.ports if p not in follower.ended]
        where = ("port " if len(left) == 1 else "ports ") + ", ".join(str(p) for p in left)
        follower.link.doing = (
            f"session {follower.session_id} is still running on {where}; the device's timer ends it"
        )
        if not follower.link.gone(event):  # else the error raised below says it all
            out.print("warning: " + describe(event), style=event_style(event), highlight=False)
    elif not isinstance(event, StatusUpdate):
        out.print(describe(event), style=event_style(event), highlight=False)
    follower.link.check(event)


async def _interrupted(
    device: Device,
    opts: Options,
    port: int,
    follower: _Follower,
    *,
    stop_on_exit: bool,
    why: str = "interrupted",
) -> None:
    """Ctrl-C (or stdout closed) while following: stop the session or leave it, say which."""
    session_id = follower.session_id
    where = follower.where
    stopped = False
    if stop_on_exit:
        try:
            await device.stop(port)
            stopped = True
            message = f"{why}: stopped session {session_id} on {where}"
        except IRLinkError as exc:
            message = (
                f"{why}: could not stop session {session_id} on {where} ({exc}); "
                "the device's timer ends it"
            )
    else:
        message = (
            f"{why}: session {session_id} is still running on {where} "
            f"(the device's timer ends it; `irlink stop -p {port}` stops it now)"
        )
    typer.echo(message, err=True)
    if not opts.json:
        return
    for number in follower.ports:
        ending = follower.ended.get(number)
        planned = follower.planned.get(
            number, (ending.delivered if ending else None) or timedelta(0)
        )
        summary = Summary(
            port=number,
            session_id=session_id,
            planned=planned,
            completed=ending is not None and ending.completed,
            reason=ending.reason if ending else None,
            delivered=ending.delivered if ending else None,
            left_running=ending is None and not stopped,
        )
        emit(opts, "summary", summary, lambda: None)
