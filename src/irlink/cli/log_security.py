"""What ``irlink log security`` prints for people: the security events kept, oldest first.

Verifies, refusals (not paired, key changed, pairing removed, a downgrade), devices
controlled without security, sessions the device ended, frames dropped (counted, a few
rows at most per link), pairings made and removed. Never a key or a setup code. This
module loads rich: the command imports it inside its body only.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from irlink.cli.logview import local
from irlink.cli.texts import console
from irlink.record.security import SecurityRow
from irlink.record.store import SessionLog

__all__ = ["print_security"]

# Refusals and attacks stand out; what went well does not.
_ALARM = frozenset(
    {
        "not_paired",
        "key_changed",
        "pairing_removed",
        "downgrade_refused",
        "info_altered",
        "frames_dropped",
    }
)
_WARN = frozenset({"unsecured", "verify_failed", "wrong_code", "session_lost"})


def print_security(log: SessionLog, rows: Sequence[SecurityRow], *, filtered: bool) -> None:
    """Print the security events: one line each, times local, refusals and drops in red."""
    out = console()
    if not rows:
        out.print(f"no security events{' match' if filtered else ''} in the session log {log.path}")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("#", "when", "device", "event", "what"):
        table.add_column(column, justify="right" if column == "#" else "left")
    for row in rows:
        style = "red" if row.kind in _ALARM else "yellow" if row.kind in _WARN else ""
        table.add_row(
            str(row.id),
            local(row.at),
            # Text, never markup: a serial or a detail can hold what someone on the link
            # sent (an altered get_info), brackets included.
            Text(row.serial or "?"),
            Text(row.kind, style=style),
            Text(row.detail),
        )
    out.print(table)
    out.print(
        Text(
            "times are local; `irlink log security --json` gives every field (pairing ids, "
            "counts of frames dropped)",
            style="dim",
        )
    )
