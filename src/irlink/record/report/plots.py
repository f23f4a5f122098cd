"""One session's plots, drawn by matplotlib as inline SVG: remaining time, temperatures, output.

matplotlib is imported here only, when a report is made, with the Agg backend (no
display); :func:`require` says in one line how to install it when it is missing. The
figure is drawn straight onto an SVG canvas, without pyplot's global state, with text
kept as text (no embedded font; the page's own sans-serif draws it).
"""

from __future__ import annotations

import bisect
import io
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from irlink.record.queries import SessionRow
from irlink.record.samples import SampleRow
from irlink.record.store import RecordError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "EVENT_LABELS",
    "ReportUnavailable",
    "Series",
    "require",
    "series_of",
    "session_svg",
    "svg_of",
]

INSTALL = "pip install 'irlink[report]'"
GAP_S = 3.0  # samples further apart than this are not joined by a line: nothing was heard

# How each marked event reads in a legend (the SVG keeps these words: tests look for them).
EVENT_LABELS = {
    "fault_raised": "fault raised",
    "fault_cleared": "fault cleared",
    "link_down": "link lost (no samples)",
    "restarted": "device restarted",
    "ended_early": "ended early",
}
_COLOURS = {
    "remaining": "#1f4e79",
    "pad": "#c0504d",
    "skin": "#e69138",
    "setpoint": "#7f7f7f",
    "intensity": "#38761d",
    "battery": "#674ea7",
    "fault_raised": "#cc0000",
    "fault_cleared": "#6aa84f",
    "link_down": "#bbbbbb",
    "restarted": "#9900cc",
    "ended_early": "#000000",
}


class ReportUnavailable(RecordError):
    """The report cannot be made here: matplotlib, which draws its plots, is not installed."""


def require() -> None:
    """Load matplotlib with the Agg backend; raise :class:`ReportUnavailable` if it is missing."""
    try:
        import matplotlib  # noqa: PLC0415  (only when a report is made)
    except ImportError as exc:
        raise ReportUnavailable(
            f"the report's plots need matplotlib, which is not installed: {INSTALL}"
        ) from exc
    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text as text: smaller, and no font embedded
            "font.family": "sans-serif",
            "font.size": 8,
            "axes.titlesize": 8,
            "axes.labelsize": 8,
            "legend.fontsize": 7,
            "path.simplify_threshold": 0.5,
            "svg.hashsalt": "irlink",  # the same log gives the same file
        }
    )


@dataclass(frozen=True, slots=True)
class Series:
    """What one port did during a session, against minutes since its start by the device's
    clock (its uptime): a simulated device that runs faster than real time plots as it ran.

    ``wall_ms`` and ``clock`` (the sample times, host wall clock and plotted minutes) place
    what only has a wall time, such as events, on the same axis.
    """

    minutes: list[float]
    remaining_min: list[float]
    pad_c: list[float]
    skin_c: list[float]
    setpoint_c: list[float]
    intensity: list[float]
    battery_pct: list[float]
    wall_ms: list[int]
    clock: list[float]

    def at(self, when: datetime | None) -> float | None:
        """Where the wall time ``when`` falls on the plot's axis (between the samples around
        it, or reckoned from the nearest one in real time); None without a time."""
        if when is None:
            return None
        wall = when.timestamp() * 1000
        walls, clock = self.wall_ms, self.clock
        if not walls:
            return None
        i = bisect.bisect_left(walls, wall)
        if i == 0:
            return clock[0] - (walls[0] - wall) / 60_000
        if i == len(walls):
            return clock[-1] + (wall - walls[-1]) / 60_000
        low, high = walls[i - 1], walls[i]
        share = 0.0 if high == low else (wall - low) / (high - low)
        return clock[i - 1] + share * (clock[i] - clock[i - 1])


def _value(raw: Any, scale: float = 1.0) -> float:
    return math.nan if raw is None else raw / scale


def series_of(samples: Iterable[SampleRow], kept: SessionRow, start: datetime) -> Series:
    """The session's port in ``samples`` while it shows the session (not the idle port around
    it) as series; a gap in the samples (over three times their usual spacing, and over
    :data:`GAP_S`) breaks every line: nothing was heard then."""
    port, session_id = kept.port, kept.session_id
    origin = start.timestamp() * 1000
    points: list[tuple[int, float, dict[str, Any], SampleRow]] = []
    last: tuple[int, int, float] | None = None  # wall ms, uptime s, minutes of the last sample
    for sample in samples:
        at, uptime = sample.values["at_ms"], sample.values["uptime_s"]
        mine = next((p for p in sample.ports if p["port"] == port), None)
        if mine is None or mine["session_id"] != session_id:
            continue
        if last is None:
            minutes = (at - origin) / 60_000
        elif uptime >= last[1]:  # the device's own clock, as long as it did not restart
            minutes = last[2] + (uptime - last[1]) / 60
        else:
            minutes = last[2] + (at - last[0]) / 60_000
        last = (at, uptime, minutes)
        points.append((at, minutes, mine, sample))
    steps = sorted(b[1] - a[1] for a, b in itertools.pairwise(points))
    gap = max(GAP_S / 60, 3 * steps[len(steps) // 2]) if steps else math.inf
    columns: list[list[float]] = [[] for _ in range(7)]
    previous: float | None = None
    for _, minutes, mine, sample in points:
        if previous is not None and minutes - previous > gap:
            for column in columns[1:]:
                column.append(math.nan)
            columns[0].append(previous)
        previous = minutes
        columns[0].append(minutes)
        columns[1].append(mine["remaining_s"] / 60)
        columns[2].append(_value(mine["temp_dc"], 10))
        columns[3].append(_value(mine["skin_dc"], 10))
        columns[4].append(_value(mine["setpoint_dc"], 10))
        columns[5].append(float(mine["intensity"]))
        columns[6].append(_value(sample.values["battery_pct"]))
    x, remaining, pad, skin, setpoint, intensity, battery = columns
    walls, clock = [p[0] for p in points], [p[1] for p in points]
    return Series(x, remaining, pad, skin, setpoint, intensity, battery, walls, clock)


def _some(values: Sequence[float]) -> bool:
    return any(not math.isnan(v) for v in values)


def session_svg(
    kept: SessionRow,
    series: Series,
    events: Sequence[dict[str, Any]],
    tz: tzinfo,
    width_in: float = 7.0,
) -> str:
    """The session's figure as an SVG element: three panels sharing time, events marked."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    figure = Figure(figsize=(width_in, 4.4), layout="constrained")
    FigureCanvasSVG(figure)
    remaining, temps, output = figure.subplots(3, 1, sharex=True, height_ratios=(1, 1.3, 1))
    x = series.minutes
    remaining.plot(x, series.remaining_min, color=_COLOURS["remaining"], lw=1.2)
    remaining.set_ylabel("remaining\n(min)")
    remaining.set_ylim(bottom=0)
    temps.plot(x, series.pad_c, color=_COLOURS["pad"], lw=1.2, label="pad temperature")
    if _some(series.skin_c):
        temps.plot(x, series.skin_c, color=_COLOURS["skin"], lw=1.2, label="skin temperature")
    if _some(series.setpoint_c):
        temps.plot(
            x, series.setpoint_c, color=_COLOURS["setpoint"], ls="--", lw=1, label="setpoint"
        )
    temps.set_ylabel("°C")
    output.step(x, series.intensity, where="post", color=_COLOURS["intensity"], lw=1.2,
                label="intensity (level)")  # fmt: skip
    output.set_ylabel("intensity\n(level)")
    output.yaxis.set_major_locator(MaxNLocator(integer=True))
    output.set_ylim(bottom=0, top=max([v for v in series.intensity if not math.isnan(v)] + [1]) + 1)
    lines = list(temps.get_lines()) + list(output.get_lines())
    if _some(series.battery_pct):
        battery = output.twinx()
        battery.plot(x, series.battery_pct, color=_COLOURS["battery"], lw=1, label="battery (%)")
        battery.set_ylabel("battery\n(%)")
        battery.set_ylim(0, 100)
        lines += battery.get_lines()
    else:
        output.text(0.99, 0.9, "no battery", transform=output.transAxes, ha="right", va="top",
                    color="#666666", fontsize=7)  # fmt: skip
    output.set_xlabel(
        f"minutes since the start ({_clock(kept.started_at, tz)}), by the device's clock"
    )
    span_end = max(x) if x else (kept.duration_s or 60) / 60
    marked = _mark_events((remaining, temps, output), events, series, span_end) + _mark_end(
        kept, (remaining, temps, output), series, span_end
    )
    handles = lines + marked
    for axes in (remaining, temps, output):
        axes.grid(True, color="#dddddd", lw=0.5)
        axes.set_xlim(left=0, right=max(span_end, (kept.duration_s or 0) / 60, 1))
    if handles:
        figure.legend(handles=_unique(handles), loc="outside lower center", ncols=4, frameon=False)
    return svg_of(figure)


def svg_of(figure: Figure) -> str:
    """A figure as an SVG element to put inline: no XML prolog, no date, the same each time."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    return text[text.index("<svg") :]


def _clock(at: datetime | None, tz: tzinfo) -> str:
    return "time unknown" if at is None else at.astimezone(tz).strftime("%H:%M")


def _mark_events(
    panels: tuple[Axes, ...],
    events: Sequence[dict[str, Any]],
    series: Series,
    span_end: float,
) -> list[Any]:
    """Faults and restarts as vertical lines, link losses as shaded spans; their handles."""
    handles: list[Any] = []
    down: float | None = None
    for event in events:
        when = event.get("at")
        kind, at = event["kind"], series.at(when if isinstance(when, datetime) else None)
        if at is None:
            continue
        if kind == "link_down":
            down = at if down is None else down
        elif kind == "link_restored" and down is not None:
            handles.append(_span(panels, down, at))
            down = None
        elif kind in ("fault_raised", "fault_cleared", "restarted"):
            label = EVENT_LABELS[kind]
            if kind != "restarted" and event.get("faults"):
                label += ": " + ", ".join(str(f).replace("_", " ") for f in event["faults"])
            handles.append(_line(panels, at, kind, label))
    if down is not None:
        handles.append(_span(panels, down, span_end))
    return handles


def _mark_end(
    kept: SessionRow, panels: tuple[Axes, ...], series: Series, span_end: float
) -> list[Any]:
    """A session cut short: a line where it ended, saying why."""
    if kept.outcome != "ended early":
        return []
    at = series.at(kept.ended_at)
    if at is None:
        at = span_end
    label = f"{EVENT_LABELS['ended_early']}: {(kept.end_reason or '').replace('_', ' ')}"
    return [_line(panels, at, "ended_early", label)]


def _line(panels: tuple[Axes, ...], at: float, kind: str, label: str) -> Any:
    # The end is dashed and underneath: a fault that ended the session shows through it.
    style = {"fault_cleared": ":", "ended_early": "--"}.get(kind, "-")
    handle = None
    for axes in panels:
        handle = axes.axvline(
            at,
            color=_COLOURS[kind],
            ls=style,
            lw=1.3,
            label=label,
            zorder=1.5 if style == "--" else 3,
        )
    return handle


def _span(panels: tuple[Axes, ...], low: float, high: float) -> Any:
    handle = None
    for axes in panels:
        handle = axes.axvspan(
            low,
            high,
            color=_COLOURS["link_down"],
            alpha=0.45,
            lw=0,
            label=EVENT_LABELS["link_down"],
        )
    return handle


def _unique(handles: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for handle in handles:
        label = handle.get_label()
        if label not in seen and not label.startswith("_"):
            seen.add(label)
            out.append(handle)
    return out
