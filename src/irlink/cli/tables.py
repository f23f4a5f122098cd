"""What ``info``, ``status`` and ``usage`` print for people: a panel and two tables.

This module loads rich, so commands import it inside their bodies only: ``irlink --help``
never loads it. With ``--json`` nothing here is used (:func:`irlink.cli.common.emit`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from irlink.cli.texts import celsius, console, flags, fmt, name_of
from irlink.model import Info, PortStatus, Status, UsageRecord
from irlink.protocol.messages import CapabilityFlags, EndReason, Mode, PortState

__all__ = ["print_info", "print_status", "print_usage", "status_view"]

BLINDED = "blinded"  # where a sham is shown, for one masked (the device is in a blinded study)

_STATE_STYLE = {
    PortState.IDLE: "dim",
    PortState.RUNNING: "green",
    PortState.PAUSED: "yellow",
    PortState.FAULT: "bold red",
    PortState.NO_PAD: "yellow",
}


def setting(info: Info, port: PortStatus) -> str:
    """What the port's session does: its level and mode, or its setpoint."""
    parts = []
    if port.setpoint_c is not None:  # None: the device has no heater
        parts.append(f"setpoint {port.setpoint_c:g} °C")
    if info.intensity_levels:
        parts.append(f"level {port.intensity}")
    if port.mode is Mode.PULSED:
        parts.append(f"{port.pulse_hz} Hz")
    if port.sham is None:
        parts.append(BLINDED)
    elif port.sham:
        parts.append("sham")
    return ", ".join(parts)


def _info_table(info: Info) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    row = table.add_row
    row("family", name_of(info.family))
    row("model", info.model)
    row("serial", info.serial)
    row(
        "firmware",
        f"{info.firmware_version} (hardware {info.hardware_version}, "
        f"IRLink {info.protocol_version}.{info.protocol_minor})",
    )
    row("capabilities", flags(info.capabilities))
    row("ports", str(info.port_count))
    row(
        "session",
        f"{fmt(info.session_min)} to {fmt(info.session_max)} in {fmt(info.session_step)} "
        f"steps; default {fmt(info.session_default)}",
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
            "needs --override"
            + (
                f"; {info.setpoint_default_c:g} °C until set"
                if info.setpoint_default_c is not None
                else ""
            ),
        )
    row("temperature trip", f"{info.temp_trip_c:g} °C")
    if info.has(CapabilityFlags.BATTERY):
        row(
            "battery",
            f"warns at {info.battery_warn_pct}%, starts from {info.battery_start_pct}%, "
            f"stops at {info.battery_cutoff_pct}%",
        )
    if info.max_starts_per_day is not None:
        row("daily limit", f"{info.max_starts_per_day} session starts per port in any 24 hours")
    row("status period", f"at least {fmt(info.status_period_min)}")
    row(
        "heartbeat",
        f"up to {fmt(info.heartbeat_max)}; {info.heartbeat_misses} missed beats stop output",
    )
    return table


def print_info(info: Info) -> None:
    """Print what the device is: identity, firmware, ports and every limit, with units."""
    title = f"{info.model} · serial {info.serial}"
    console().print(Panel(_info_table(info), title=title, title_align="left", expand=False))


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


def status_view(info: Info, status: Status) -> RenderableType:
    """The device line and a table of ports with a progress bar each."""
    head = Text()
    head.append(f"{info.model} {info.serial}", style="bold")
    head.append(f"  {name_of(status.state)}")
    if status.battery_pct is not None and status.battery_v is not None:
        low = info.battery_warn_pct is not None and status.battery_pct <= info.battery_warn_pct
        battery = f"  battery {status.battery_pct}% ({status.battery_v:.2f} V)"
        head.append(battery, style="red" if low else "")
    if status.charger_connected:
        head.append("  charger connected")
    head.append(f"  board {celsius(status.board_temp_c)}")
    head.append("  faults: ")
    head.append(flags(status.faults), style="bold red" if status.faults else "")

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
    # Starts left today: only a device with a daily limit says (1.1).
    today = any(port.starts_left is not None for port in status.ports)
    if today:
        table.add_column("starts left", justify="right", no_wrap=True)
    for port in status.ports:
        active = bool(port.session_id)
        state = name_of(port.state) if port.pad_present else "no pad"
        table.add_row(
            str(port.port),
            Text(state, style=_STATE_STYLE.get(port.state, "")),
            str(port.session_id) if active else "",
            _bar(port),
            f"{fmt(port.remaining)} of {fmt(port.duration)}" if active else "",
            setting(info, port) if active else BLINDED if port.sham is None else "",
            celsius(port.temp_c),
            celsius(port.skin_temp_c),
            Text(flags(port.faults), style="bold red" if port.faults else "dim"),
            *([str(port.starts_left) if port.starts_left is not None else ""] if today else []),
        )
    return Group(head, table)


def print_status(info: Info, status: Status) -> None:
    """Print each port's state, remaining time, setting, temperatures and faults, with the
    battery, board temperature and device faults."""
    console().print(status_view(info, status))


def print_usage(records: Sequence[UsageRecord]) -> None:
    """Print the device's log of past sessions: planned against delivered, and how each ended."""
    out = console()
    if not records:
        out.print("the device's usage log is empty")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("#", "session", "port", "planned", "delivered", "ended", "sham", "setting"):
        table.add_column(column, justify="right" if column in ("#", "session", "port") else "left")
    for record in records:
        short = record.delivered < record.planned
        setting = [f"level {record.intensity}" if record.intensity else ""]
        if record.mode is Mode.PULSED:
            setting.append(f"pulsed {record.pulse_hz} Hz")
        if record.setpoint_c is not None:
            setting.append(f"setpoint {record.setpoint_c:g} °C")
        table.add_row(
            str(record.log_index),
            str(record.session_id),
            str(record.port),
            fmt(record.planned),
            Text(fmt(record.delivered), style="yellow" if short else ""),
            Text(
                name_of(record.end_reason),
                style="" if record.end_reason is EndReason.COMPLETED else "yellow",
            ),
            BLINDED if record.sham is None else "sham" if record.sham else "",
            ", ".join(part for part in setting if part),
        )
    out.print(table)
