"""What ``irlink log`` prints for people: tables of sessions and devices, one session whole.

Times are shown in this computer's local time zone, named on each (``--json`` keeps UTC).
This module loads rich: commands import it inside their bodies only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rich.table import Table
from rich.text import Text

from irlink.cli.logged import LoggedCommand, LoggedEvent, Span, ended_word, samples_of, timeline
from irlink.cli.texts import console, fmt
from irlink.record.queries import DeviceRow, SessionDetail, SessionRow
from irlink.record.store import SessionLog

__all__ = ["local", "print_detail", "print_devices", "print_sessions"]


def local(at: datetime | None, *, estimated: bool = False) -> str:
    """A time in the local zone, named: ``2026-12-02 09:30:00 CET``; ``?`` when unknown."""
    if at is None:
        return "?"
    shown = at.astimezone()
    return ("~" if estimated else "") + f"{shown:%Y-%m-%d %H:%M:%S} {shown.tzname()}"


def _span(seconds: int | None) -> str:
    return "?" if seconds is None else fmt(timedelta(seconds=seconds))


def _ending(row: SessionRow) -> Text:
    if row.end_reason is None:
        return Text("unknown (no end seen)", style="dim")
    word = row.end_reason.replace("_", " ")
    return Text(word, style="" if ended_word(row) == "completed" else "yellow")


def print_sessions(
    log: SessionLog,
    rows: Sequence[SessionRow],
    *,
    filtered: bool,
    undated: int = 0,
    serials: Sequence[str] | None = None,
) -> None:
    """Print the sessions kept: one line each, times local. ``undated`` sessions with no
    known time were left out by a time range; ``serials`` are the log's, when the serial
    asked for is not among them."""
    out = console()
    if serials is not None:
        known = ", ".join(serials) or "none yet"
        out.print(f"no device with that serial in the session log {log.path} (serials: {known})")
        return
    if undated:
        out.print(
            Text(
                f"{undated} session(s) known only from a device's usage log, with no known "
                "time, are not in a time range: `irlink log sessions` without --since and "
                "--until lists them",
                style="dim",
            )
        )
    if not rows:
        out.print(f"no sessions{' match' if filtered else ''} in the session log {log.path}")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("#", "started", "device", "port", "planned", "delivered", "ended", "", "seen"):
        table.add_column(column, justify="right" if column in ("#", "port") else "left")
    for row in rows:
        short = row.delivered_s is not None and (row.delivered_s < (row.duration_s or 0))
        table.add_row(
            str(row.id),
            local(row.started_at, estimated=row.times_estimated),
            f"{row.model} {row.serial}" + (" (simulated)" if row.simulated else ""),
            str(row.port),
            _span(row.duration_s),
            Text(_span(row.delivered_s), style="yellow" if short else ""),
            _ending(row),
            "sham" if row.sham else "",
            row.source,
        )
    out.print(table)
    out.print(
        Text(
            "times are local; ~ estimated from the device's uptime; ? not known (a session "
            "from the device's usage log, in an earlier boot). "
            "`irlink log show #` shows one session whole",
            style="dim",
        )
    )


def _settings(row: SessionRow) -> str:
    parts = []
    if row.intensity:
        parts.append(f"level {row.intensity}")
    if row.mode:
        parts.append(row.mode + (f" {row.pulse_hz} Hz" if row.mode == "pulsed" else ""))
    if row.setpoint_c is not None:
        parts.append(f"setpoint {row.setpoint_c:g} °C")
    parts.append("sham (no output)" if row.sham else "real output" if row.sham is False else "")
    if row.override:
        parts.append("override")
    return ", ".join(part for part in parts if part) or "not known"


def _said(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {json.dumps(value)}" for key, value in values.items())


def _happened(item: LoggedCommand | LoggedEvent) -> tuple[Text, str, str]:
    if isinstance(item, LoggedCommand):
        style = "" if item.outcome == "done" else "yellow"
        outcome = item.outcome + (f" ({item.code})" if item.code else "")
        outcome += f": {item.detail}" if item.detail and item.outcome != "done" else ""
        return Text(f"{item.name} {_said(item.args)}", style=style), outcome, item.by
    style = "bold red" if item.kind in ("fault_raised", "link_down") else ""
    port = f" port {item.port}" if item.port else ""
    return Text(f"{item.kind}{port} {_said(item.data)}".rstrip(), style=style), "", ""


def _range(name: str, span: Span | None, unit: str) -> str:
    if span is None:
        return f"{name} not read"
    return f"{name} {span.min:g} to {span.max:g}{unit} (mean {span.mean:g}{unit})"


def print_detail(detail: SessionDetail) -> None:
    """Print one session: settings, then its commands and events in order, then its samples."""
    row = detail.session
    out = console()
    out.print(
        Text(
            f"session {row.id} · {row.model} serial {row.serial}"
            f"{' (simulated)' if row.simulated else ''} · port {row.port} "
            f"(the device's session {row.session_id})",
            style="bold",
        )
    )
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("started", local(row.started_at, estimated=row.times_estimated))
    ending = _ending(row)
    if row.end_seen:
        ending.append(f", seen {row.end_seen}")
    grid.add_row("ended", Text(f"{local(row.ended_at)}: ").append_text(ending))
    grid.add_row("planned", _span(row.duration_s))
    grid.add_row("delivered", _span(row.delivered_s) + " (the device's own count)")
    grid.add_row("settings", _settings(row))
    grid.add_row("known", "live (seen while it ran)" if row.source == "live" else row.source)
    out.print(grid)

    events = timeline(detail)
    out.print(Text("\ncommands and events (local time)", style="bold"))
    if events:
        table = Table(box=None, pad_edge=False)
        for column in ("time", "what", "outcome", "asked by"):
            table.add_column(column)
        for item in events:
            what, outcome, by = _happened(item)
            table.add_row(local(item.at), what, outcome, by)
        out.print(table)
    else:
        out.print("none kept")

    summary = samples_of(detail)
    out.print(Text(f"\n{summary.count} status samples", style="bold"))
    if summary.count:
        out.print(_range("pad", summary.pad_temp_c, " °C"))
        out.print(_range("skin", summary.skin_temp_c, " °C"))
        battery = summary.battery_pct
        if battery is not None:
            out.print(f"battery {battery.first:g}% to {battery.last:g}%")


def _limits(info: dict[str, Any]) -> str:
    parts = [f"{info.get('port_count', '?')} port" + ("s" if info.get("port_count") != 1 else "")]
    low, high = info.get("session_min"), info.get("session_max")
    if isinstance(low, int | float) and isinstance(high, int | float):
        parts.append(f"{fmt(timedelta(seconds=low))} to {fmt(timedelta(seconds=high))}")
    if info.get("intensity_levels"):
        parts.append(f"levels 1 to {info['intensity_levels']}")
    if info.get("setpoint_max_c"):
        parts.append(f"setpoint {info['setpoint_min_c']:g} to {info['setpoint_max_c']:g} °C")
    if info.get("temp_trip_c") is not None:
        parts.append(f"trips at {info['temp_trip_c']:g} °C")
    if info.get("max_starts_per_day"):
        parts.append(f"{info['max_starts_per_day']} starts a day")
    return ", ".join(parts)


def print_devices(log: SessionLog, rows: Sequence[DeviceRow]) -> None:
    """Print the devices seen: identity, firmware, limits, when seen, connections, sessions."""
    out = console()
    if not rows:
        out.print(f"no devices in the session log {log.path} yet")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("serial", "model", "firmware", "limits", "first seen", "last seen"):
        table.add_column(column)
    table.add_column("connections", justify="right")
    table.add_column("sessions", justify="right")
    for row in rows:
        table.add_row(
            row.serial,
            f"{row.model} ({row.family}{', simulated' if row.simulated else ''})",
            f"{row.firmware_version} (hw {row.hardware_version})",
            _limits(row.info),
            local(row.first_seen),
            local(row.last_seen),
            str(row.connections),
            str(row.sessions),
        )
    out.print(table)
