"""The report's HTML: one page with its stylesheet inline, for the screen and for A4 paper.

Nothing is fetched when it opens: no script, no web font, no image but the inline SVG.
The print stylesheet starts each device on a new page and keeps a month, a table row
and a session's plot whole; colours are light, so a black-and-white printer shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from html import escape

from irlink.record.queries import DeviceRow, SessionRow

__all__ = ["device_header", "document", "no_plot", "session_figure", "session_table", "sham_word"]

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", Helvetica, Arial, sans-serif; font-size: 10pt;
  color: #111; background: #fff; margin: 1.5em auto; max-width: 190mm; padding: 0 1em; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
h2 { font-size: 13pt; margin: 1.6em 0 .3em; border-bottom: 2px solid #1f4e79; }
h3 { font-size: 11pt; margin: 1.2em 0 .3em; }
p, li { line-height: 1.35; }
.meta { color: #333; margin: .2em 0; }
.note { color: #444; font-size: 9pt; }
.warn { color: #8a1f11; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: .4em 0; }
dl.facts dt { color: #444; } dl.facts dd { margin: 0; }
.calendar { display: grid; grid-template-columns: repeat(3, 1fr); gap: .6em 1em; }
table.month { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.month caption { text-align: left; font-weight: 600; font-size: 9pt; padding-bottom: .15em; }
table.month caption small { font-weight: normal; color: #444; margin-left: .5em; }
table.month th { font-size: 7pt; font-weight: normal; color: #555; }
table.month td { border: 1px solid #ccc; height: 2.5em; vertical-align: top; padding: 1px 2px;
  position: relative; font-size: 7pt; }
td.x { border: none !important; }
td .n { color: #555; font-size: 6.5pt; }
td .k { position: absolute; right: 2px; top: 1px; font-weight: 700; color: #8a1f11; }
td .m { display: block; text-align: center; font-weight: 600; font-size: 7.5pt; }
td .m small { font-weight: normal; font-size: 6.5pt; color: #333; }
.full, .sw.full { background: #cfe8cf; } .partial, .sw.partial { background: #fbe3a6; }
.low, .sw.low { background: #f6c3bb; } .none, .sw.none { background: #e88f84; }
.open, .sw.open { background: #e4e4e4; }
.key { font-size: 8pt; color: #333; }
.sw { display: inline-block; width: 1em; height: .8em; border: 1px solid #999;
  vertical-align: middle; margin: 0 .2em 0 .6em; }
table.sessions { border-collapse: collapse; width: 100%; font-size: 8pt; }
table.sessions th, table.sessions td { border-bottom: 1px solid #ddd; padding: 2px 4px;
  text-align: left; vertical-align: top; }
table.sessions th { border-bottom: 1.5px solid #555; background: #f2f2f2; }
table.sessions td, table.sessions th { white-space: nowrap; }
table.sessions td.why { white-space: normal; }
table.sessions td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.early td { background: #fdecea; }
tr.recovered td { font-style: italic; }
.session { margin: 1em 0 1.4em; }
.session svg { width: 100%; height: auto; display: block; }
a { color: #1f4e79; }
@page { size: A4; margin: 12mm 10mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.device + section.device { break-before: page; }
  .plots { break-before: page; }
  table.month, .session, tr, .key, dl.facts { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
"""


def document(title: str, body: Sequence[str]) -> str:
    """The whole page around ``body``'s parts."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def clock(at: datetime | None, tz: tzinfo, form: str = "%Y-%m-%d %H:%M") -> str:
    """A log time in the report's zone; ``unknown`` when the log has none."""
    return "unknown" if at is None else at.astimezone(tz).strftime(form)


def minutes(seconds: int | None) -> str:
    """Seconds as minutes (to the tenth when not whole); ``?`` when not known."""
    if seconds is None:
        return "?"
    return f"{seconds / 60:.0f}" if seconds % 60 == 0 else f"{seconds / 60:.1f}"


def device_header(device: DeviceRow, kept: Sequence[SessionRow], tz: tzinfo) -> str:
    """The device's name, identity and its totals over the sessions in the report."""
    planned = sum(s.duration_s or 0 for s in kept)
    delivered = sum(s.delivered_s or 0 for s in kept)
    counts = {
        "completed": sum(s.outcome == "completed" for s in kept),
        "ended early": sum(s.outcome == "ended early" for s in kept),
        "end not known": sum(s.outcome == "end unknown" for s in kept),
    }
    recovered = sum(s.source == "recovered" for s in kept)
    share = f" ({100 * delivered / planned:.0f}%)" if planned else ""
    facts = {
        "Device": f"{device.family} {device.model}, serial {device.serial}"
        + (" (irlink's simulator, not a real device)" if device.simulated else ""),
        "Firmware / hardware": f"{device.firmware_version} / {device.hardware_version}",
        "Seen by this host": f"{clock(device.first_seen, tz)} to {clock(device.last_seen, tz)}",
        "Sessions": f"{len(kept)}: "
        + ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        + (f"; {recovered} known only from the device's usage log" if recovered else ""),
        "Minutes delivered / planned": f"{minutes(delivered)} / {minutes(planned)}{share}",
    }
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items())
    return (
        f'<h2 id="device-{device.id}">{escape(device.model)} · serial {escape(device.serial)}'
        f"{' · simulated' if device.simulated else ''}</h2>"
        f'<dl class="facts">{rows}</dl>'
    )


def ending(kept: SessionRow) -> str:
    """How a session ended, in words, and whence that is known."""
    if kept.end_reason is None:
        return "end not seen yet"
    reason = kept.end_reason.replace("_", " ")
    text = "completed" if kept.outcome == "completed" else f"ended early: {reason}"
    if kept.end_seen == "recovered" and kept.source == "live":
        text += " (end from the usage log)"
    return text


def settings(kept: SessionRow) -> str:
    """Intensity, setpoint and mode, as far as known."""
    parts = []
    if kept.intensity is not None:
        parts.append(f"level {kept.intensity}")
    if kept.setpoint_c is not None:
        parts.append(f"{kept.setpoint_c:.1f} °C" + (" (override)" if kept.override else ""))
    if kept.mode == "pulsed":
        parts.append(f"pulsed {kept.pulse_hz} Hz")
    return ", ".join(parts) or "?"


def sham_word(kept: SessionRow, studied: bool) -> str:
    """Whether a session was sham; ``studied``: its device is in a study, whose blinding
    masks sham (an unknown sham of another device is ``?``)."""
    if kept.sham is None:
        return "masked (blinded study)" if studied else "?"
    return "sham" if kept.sham else "no"


def session_table(
    kept: Sequence[SessionRow], plotted: set[int], tz: tzinfo, *, studied: bool = False
) -> str:
    """Every session of a device in the report: one row each, oldest first; ``studied``:
    the device is in a study (see :func:`sham_word`)."""
    head = (
        "<tr><th>#</th><th>Date</th><th>Start</th><th>Port</th><th>Planned<br>min</th>"
        "<th>Delivered<br>min</th><th>How it ended</th><th>Sham</th><th>Seen</th>"
        "<th>Intensity / setpoint</th><th>Plot</th></tr>"
    )
    rows = []
    for s in kept:
        estimated = "≈ " if s.times_estimated else ""
        classes = " ".join(
            c
            for c, on in (("early", s.outcome == "ended early"), ("recovered", s.source != "live"))
            if on
        )
        seen = "live" if s.source == "live" else "recovered (usage log only)"
        sham = sham_word(s, studied)
        plot = f'<a href="#session-{s.id}">plot</a>' if s.id in plotted else ""
        rows.append(
            f'<tr class="{classes}"><td class="num">{s.id}</td>'
            f"<td>{clock(s.started_at or s.ended_at, tz, '%Y-%m-%d')}</td>"
            f"<td>{estimated}{clock(s.started_at, tz, '%H:%M')}</td>"
            f'<td class="num">{s.port}</td><td class="num">{minutes(s.duration_s)}</td>'
            f'<td class="num">{minutes(s.delivered_s)}</td><td class="why">{escape(ending(s))}</td>'
            f"<td>{sham}</td><td>{seen}</td><td>{escape(settings(s))}</td><td>{plot}</td></tr>"
        )
    return (
        f'<table class="sessions"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="note">Delivered is the device\'s own count of the time its output was on '
        "(for a sham session, the time it ran). ≈: times estimated from the device's uptime "
        "(the host did not see the session end). Italic: a session known only from the "
        "device's usage log, never seen live.</p>"
    )


def _title(kept: SessionRow, tz: tzinfo) -> str:
    estimated = "≈ " if kept.times_estimated else ""
    return (
        f"Session {kept.id} · {estimated}{clock(kept.started_at, tz)} · port {kept.port} · "
        f"{minutes(kept.delivered_s)} of {minutes(kept.duration_s)} min delivered · "
        f"{ending(kept)}"
    )


def session_figure(kept: SessionRow, svg: str, tz: tzinfo) -> str:
    """One session's heading and plot."""
    return (
        f'<div class="session" id="session-{kept.id}"><h3>{escape(_title(kept, tz))}</h3>'
        f"{svg}</div>"
    )


def no_plot(kept: SessionRow, why: str, tz: tzinfo) -> str:
    """One session's heading, and why it has no plot."""
    return (
        f'<div class="session" id="session-{kept.id}"><h3>{escape(_title(kept, tz))}</h3>'
        f'<p class="note">{escape(why)}</p></div>'
    )
