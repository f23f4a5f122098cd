"""``irlink status --watch``: pushed status and events as they come, until Ctrl-C or a count.

For people, a live view of every port with events as lines above it (one line per
report when stdout is not a terminal); with ``--json``, one JSON line per status and
event. :class:`Link` tells when a lost link is gone for good (shared with
:mod:`irlink.cli.follow`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Group, RenderableType
from rich.text import Text

from irlink.cli.common import Options, emit
from irlink.cli.jsonlines import kind_of
from irlink.cli.tables import status_view
from irlink.cli.texts import console, describe, event_style, fmt, status_line
from irlink.errors import LinkLost
from irlink.events import EventsMissed, LinkDown, LinkRestored, StatusUpdate

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.events import DeviceEvent

__all__ = ["LIVE_REFRESH_PER_S", "Link", "unsubscribe", "watch_status"]

LIVE_REFRESH_PER_S = 8


async def unsubscribe(device: Device) -> None:
    """Stop pushed status if the link is still up; errors do not matter on the way out."""
    if not device.connected:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(device.subscribe(None), timeout=2 * device.timeout)


class Link:
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


async def watch_status(device: Device, opts: Options, every: timedelta, count: int | None) -> None:
    """``irlink status --watch``: follow pushed status and events until Ctrl-C or ``count``.

    For people, a live view of every port (state, remaining time as a progress bar,
    setting, temperatures, faults) with battery and board temperature, and events as
    lines above it; without a terminal, one line per status. With ``--json``, every
    status (``status_update``) and event as one JSON line. ``count`` stops after that
    many status reports. Raises :class:`irlink.LimitError` for a period outside the
    device's (exit 2) and :class:`irlink.LinkLost` when the link goes for good (exit 3).
    """
    events = device.events()  # before subscribing: the first report is not missed
    try:
        granted = await device.subscribe(every)
        if granted != every and not opts.json:
            typer.echo(f"the device reports every {fmt(granted)}", err=True)
        if opts.json:
            await _watch_json(device, opts, events, count)
        else:
            await _watch_live(device, events, count)
    finally:
        await events.aclose()
        await unsubscribe(device)


async def _watch_json(
    device: Device, opts: Options, events: AsyncGenerator[DeviceEvent, None], count: int | None
) -> None:
    seen = 0
    link = Link(device, "stopped watching")
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
    """The status for people: the first report at once, then each pushed one.

    The first report counts: ``--count N`` shows N reports, as ``--json`` writes N.
    """
    from rich.live import Live  # noqa: PLC0415  (only --watch on a terminal needs it)

    out = console()
    info = device.info
    latest = [device.last_status or await device.status()]
    watching = [True]
    seen = [1]
    link = Link(device, "stopped watching")

    def view() -> RenderableType:
        if not watching[0]:  # the last frame, left on the terminal
            return status_view(info, latest[0])
        hint = Text("Ctrl-C to stop watching", style="dim")
        return Group(status_view(info, latest[0]), hint)

    def enough() -> bool:
        return count is not None and seen[0] >= count

    async def follow(say: Callable[[DeviceEvent], None]) -> None:
        async for event in events:
            if isinstance(event, StatusUpdate | LinkRestored | EventsMissed):
                latest[0] = event.status
            if not link.gone(event):  # else the error says it
                say(event)
            link.check(event)
            if isinstance(event, StatusUpdate):
                seen[0] += 1
                if enough():
                    return

    if not out.is_terminal:  # piped: a line per report, no cursor movements
        out.print(status_line(latest[0]), highlight=False)
        if not enough():
            await follow(
                lambda event: out.print(describe(event), style=event_style(event), highlight=False)
            )
        return

    def above(event: DeviceEvent) -> None:
        if not isinstance(event, StatusUpdate):  # statuses are the view itself
            live.console.print(describe(event), style=event_style(event), highlight=False)

    with Live(
        console=out,
        get_renderable=view,
        refresh_per_second=LIVE_REFRESH_PER_S,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as live:  # closed on every way out, Ctrl-C included: the terminal is left clean
        try:
            if not enough():
                await follow(above)
        finally:
            watching[0] = False  # Live's exit draws the last frame without the hint
