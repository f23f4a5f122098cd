"""The dead-man policy of ``irlink start --wait``: if irlink dies, the device stops output.

irlink arms the device's heartbeat before it starts the session and beats while it
follows it. Killed, crashed or cut off, irlink goes quiet, and after the device's
``heartbeat_misses`` missed beats the device stops output by itself (reason
``link_lost``). A clean exit (the session's end, Ctrl-C, an error) disarms it first:
leaving is not a lost link, and without ``--stop-on-exit`` the session runs on to its
timer.

The device counts beats in its own time. A simulator served with ``--speed N`` in
another process runs N times faster than irlink can be told, so irlink times the
device's clock from its status reports (a quarter of a second on a real device) and
beats as often as the device's time needs, within its ``heartbeat_max``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import typer

from irlink.cli.texts import fmt
from irlink.events import StatusUpdate

if TYPE_CHECKING:
    from irlink.device import Device

__all__ = ["DEFAULT_INTERVAL", "arm", "clock_scale"]

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(seconds=2)  # or the device's heartbeat_max, if shorter
FASTEST_BEAT_S = 0.1  # real seconds between beats, at the most often
MEASURE_S = 0.2  # real seconds of a faster device's status reports, first to last
REAL_TIME = 0.8  # a first report this late (in periods) means a clock in real time
MARGIN = 0.8  # beat a little early on an accelerated clock: a measure is never exact


async def clock_scale(device: Device) -> float:
    """Real seconds per device second: 1 for a real device, less for a faster simulator.

    Timed from the status reports the device pushes at its shortest period: a device
    sends them by its own clock. The first report comes a period after the request on
    a real device (one period's wait); on a faster one irlink times more reports, first
    to last, so that the delay of each on the link cancels out. A ``sim://`` device's
    speed is known without asking.
    """
    if device.simulator is not None:
        return device.time_scale
    period = device.info.status_period_min.total_seconds() or 0.25
    loop = asyncio.get_running_loop()
    events = device.events()
    times: list[float] = []
    try:
        await device.subscribe(timedelta(seconds=period))
        began = loop.time()
        deadline = began + 3 * period + device.timeout
        while loop.time() < deadline:
            try:
                event = await asyncio.wait_for(anext(events), deadline - loop.time())
            except TimeoutError:
                break
            if not isinstance(event, StatusUpdate):
                continue
            times.append(loop.time())
            if times[0] - began >= REAL_TIME * period or times[-1] - times[0] >= MEASURE_S:
                break
    finally:
        await events.aclose()
    if not times or times[0] - began >= REAL_TIME * period:
        return 1.0  # a period's wait (or none to time): the device keeps real time
    if len(times) == 1:
        return (times[0] - began) / period * MARGIN
    return (times[-1] - times[0]) / ((len(times) - 1) * period) * MARGIN


async def arm(device: Device, interval: timedelta | None) -> timedelta | None:
    """Arm the heartbeat for a session irlink follows; the interval armed, in device time.

    ``interval`` None picks the default: 2 s, or the device's ``heartbeat_max`` if
    shorter. An interval above the device's maximum is refused by the limit check
    (exit 2, before anything starts). Returns None when the device cannot keep one.
    """
    info = device.info
    longest = info.heartbeat_max
    if longest <= timedelta(0):
        typer.echo(
            "warning: this device has no heartbeat: if irlink dies, output runs on until "
            "the device's timer ends it",
            err=True,
        )
        return None
    wanted = interval if interval is not None else min(DEFAULT_INTERVAL, longest)
    scale = await clock_scale(device)
    device.time_scale = scale
    fastest = timedelta(seconds=FASTEST_BEAT_S / scale)
    if wanted < fastest:
        if fastest > longest:
            if device.simulator is not None:  # in this process: it ends when irlink does
                log.info("the simulator runs too fast for a heartbeat; following without one")
                return None
            typer.echo(
                f"warning: the device's clock runs {1 / scale:.0f} times faster than real "
                "time, too fast for a heartbeat irlink can keep; following without one",
                err=True,
            )
            return None
        log.info("the device clock runs %.0fx real time: heartbeat %s", 1 / scale, fmt(fastest))
        wanted = fastest
    await device.set_heartbeat(wanted)
    return wanted
