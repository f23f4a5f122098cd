"""Option values read by irlink itself: a bad one is irlink's own ``error:`` line, exit 2.

Each maker returns a ``parser`` for ``typer.Option``: it turns the text typed (or set
in an environment variable) into the value, or raises ``ValueError`` with a message
that starts with the value quoted and says what to write instead; the command line's
error handling puts the option's name, or the environment variable's, in front.
Nothing here loads the library: ``irlink --help`` stays quick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

__all__ = ["choice", "day", "duration", "moment", "number", "whole"]


def whole(low: int, high: int) -> Callable[[Any], int]:
    """A parser of whole numbers from ``low`` to ``high``."""

    def parse(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                number = low - 1
        if not low <= number <= high:
            raise ValueError(f"{str(value)!r} is not a whole number from {low} to {high}")
        return number

    return parse


def number(
    low: float, high: float, unit: str = "", *, closed: bool = False
) -> Callable[[Any], float]:
    """A parser of finite numbers above ``low`` (from it, if ``closed``) up to ``high``."""

    def parse(value: Any) -> float:
        try:
            found = float(value)
        except (TypeError, ValueError):
            found = math.nan
        above = found >= low if closed else found > low
        if not (math.isfinite(found) and above and found <= high):
            span = f"from {low:g} to" if closed else f"above {low:g} and at most"
            raise ValueError(f"{str(value)!r} is not a number {span} {high:g}{unit}")
        return found

    return parse


def duration(value: Any) -> timedelta:
    """A duration above 0 as people write it: ``90s``, ``30m``, ``1h30m``."""
    if isinstance(value, timedelta):
        return value
    from irlink.durations import parse_duration  # noqa: PLC0415  (small, no library)

    length = parse_duration(str(value))  # its ValueError says how to write one
    if length <= timedelta(0):
        raise ValueError(f"{str(value)!r} is not above 0; write it like 90s, 30m or 1h")
    return length


def choice(*words: str) -> Callable[[Any], str]:
    """A parser of one of ``words``, in any case."""
    listed = ", ".join(words[:-1]) + f" or {words[-1]}"

    def parse(value: Any) -> str:
        word = str(value).strip().lower()
        if word not in words:
            raise ValueError(f"{str(value)!r} is not one of them; choose {listed}")
        return word

    return parse


def day(value: Any) -> date:
    """A calendar day written as ``YYYY-MM-DD``."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{str(value)!r} is not a day; write it like 2026-11-30") from None


def moment(*, end: bool = False) -> Callable[[Any], datetime]:
    """A parser of a day (``2026-12-01``) or a time (``2026-12-01T09:30``, ``...Z``,
    ``...+01:00``), local time unless a zone is given. A day given to an ``end`` option
    counts whole: ``--until 2026-12-01`` is up to the end of that day."""

    def parse(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a date or time; write it like 2026-12-01 or 2026-12-01T09:30"
            ) from None
        if end and len(text) == len("2026-12-01"):
            found += timedelta(days=1)
        return found if found.tzinfo is not None else found.astimezone()  # local time

    return parse
