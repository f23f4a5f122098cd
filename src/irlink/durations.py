"""Durations as people write them: ``90s``, ``30m``, ``1h``, ``1h30m``, or plain seconds.

>>> parse_duration("1h30m")
datetime.timedelta(seconds=5400)
>>> parse_duration("2.5")
datetime.timedelta(seconds=2, microseconds=500000)
>>> parse_duration("30 minutes")
Traceback (most recent call last):
...
ValueError: '30 minutes' is not a duration; write it like 90s, 30m, 1h or 1h30m
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str | float | timedelta) -> timedelta:
    """A non-negative duration from seconds or text such as ``90s``, ``30m``, ``1h30m``."""
    if isinstance(value, timedelta):
        total = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        total = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower().replace(" ", "")
        try:
            total = float(text)
        except ValueError:
            total = _parse_units(text, value)
    else:
        raise ValueError(f"{value!r} is not a duration; write it like 90s, 30m, 1h or 1h30m")
    if not math.isfinite(total):
        raise ValueError(f"{value!r} is not a finite duration; write it like 90s, 30m or 1h")
    if total < 0:
        raise ValueError(f"{value!r} is negative; a duration is 0 or more")
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise ValueError(f"{value!r} is too long; keep a duration under a million days") from None


def _parse_units(text: str, original: str) -> float:
    position, total, units = 0, 0.0, []
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        units.append(match.group(2))
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        position = match.end()
    if position != len(text) or not units or len(set(units)) != len(units):
        raise ValueError(f"{original!r} is not a duration; write it like 90s, 30m, 1h or 1h30m")
    return total


def format_duration(value: timedelta | float) -> str:
    """A short text for a duration: ``30m``, ``1h30m``, ``45s``, ``1m30s``."""
    total = value.total_seconds() if isinstance(value, timedelta) else float(value)
    whole = round(total)
    if abs(total - whole) > 1e-6:
        return f"{total:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return "".join(parts) or "0s"
