"""Whether a regimen fits a device: its settings, ports and visits against the device's limits.

The limits are the ones the device advertises (:class:`~irlink.model.Info`): each arm's
session is checked on each port with :func:`irlink.limits.configure_request`, as the
runner will send it, and the visits against the device's daily start limit. Every
misfit is a :class:`~irlink.regimen.files.Problem` naming the regimen's field and its
line, with the device's limit and the fix.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from irlink.errors import LimitError
from irlink.limits import configure_request
from irlink.model import Info
from irlink.regimen.files import Path_, Problem, field_lines, line_of
from irlink.regimen.model import Regimen, format_span

__all__ = ["describe", "misfits"]

DAY = timedelta(days=1)
# What a refused value is put back to, so that the values after it are checked too.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "duration": {"duration": None},
    "intensity": {"intensity": None},
    "mode": {"mode": "continuous", "pulse_hz": None},
    "pulse_hz": {"mode": "continuous", "pulse_hz": None},
    "sham": {"sham": False},
    "setpoint": {"setpoint": None, "override": False},
}

# The library's advice names Python arguments; a regimen file's reader edits YAML.
_IN_YAML = [
    (re.compile(r"\bpass override=True\b"), "add override: true to session"),
    (re.compile(r"\bleave sham out\b"), "drop the sham arm"),
    (re.compile(r"\bleave setpoint and override out\b"), "remove setpoint and override"),
    (re.compile(r"\bleave intensity out and give\b"), "remove intensity and give"),
    (re.compile(r"\buse continuous\b"), "use mode: continuous"),
]


def misfits(
    regimen: Regimen, info: Info, *, text: str = "", name: str = "<regimen>"
) -> list[Problem]:
    """What of ``regimen`` the device ``info`` describes would refuse; none if it fits.

    ``text`` is the regimen file (for the line of each field) and ``name`` its name.
    """
    found: dict[Path_, str] = {}
    family = info.family.name.lower()
    if family != regimen.family:
        found["family",] = (
            f"this regimen is for a {regimen.family}, and {info.model} is a {family}; "
            f"check it against a {regimen.family}, or write a regimen for the {family}"
        )
    else:
        ports = _ports(regimen, info, found)
        for index, arm in enumerate(regimen.arms):
            for port in ports:
                _settings(regimen, info, port, arm.sham, index, found)
        _daily(regimen, info, found)
    lines = field_lines(text)
    return [
        Problem(name, line_of(lines, path) if lines else None, _dotted(path), message)
        for path, message in found.items()
    ]


def _dotted(path: Path_) -> str:
    return ".".join(str(part) for part in path)


def _ports(regimen: Regimen, info: Info, found: dict[Path_, str]) -> list[int]:
    """The regimen's ports that the device has; a problem for each other one."""
    have = "port 1" if info.port_count == 1 else f"ports 1 to {info.port_count}"
    usable = []
    for index, port in enumerate(regimen.session.ports):
        if 1 <= port <= info.port_count:
            usable.append(port)
        else:
            found["session", "ports", index] = (
                f"port {port}: this device has {have}; list only those ports"
            )
    return usable


def _settings(
    regimen: Regimen, info: Info, port: int, sham: bool, arm: int, found: dict[Path_, str]
) -> None:
    """Check one arm's session on one port, as the runner will configure it.

    The device's check stops at the first value it refuses; each refused value is put
    back to the device's default and the rest checked again, so every misfit is found.
    """
    session = regimen.session
    values: dict[str, Any] = {
        "duration": session.duration,
        "intensity": session.intensity,
        "mode": session.mode,
        "pulse_hz": session.pulse_hz,
        "setpoint": session.setpoint,
        "sham": sham,
        "override": session.override,
    }
    for _ in _DEFAULTS:
        try:
            configure_request(info, port=port, **values)
        except LimitError as error:
            where: Path_ = ("study", "arms", arm, "sham") if error.name == "sham" else ()
            found.setdefault(where or ("session", error.name), _in_yaml(error))
            if error.name not in _DEFAULTS:
                return
            values.update(_DEFAULTS[error.name])
        else:
            return


def _in_yaml(error: LimitError) -> str:
    """The limit's message without its leading name (the field says it), in YAML's words."""
    message = str(error)
    for lead in (f"{error.name}: ", f"{error.name} "):
        if message.startswith(lead):
            message = message[len(lead) :]
            break
    for pattern, words in _IN_YAML:
        message = pattern.sub(words, message)
    return message


def _daily(regimen: Regimen, info: Info, found: dict[Path_, str]) -> None:
    """Visits closer together than the device's daily start limit allows."""
    limit, visits = info.max_starts_per_day, regimen.visits
    if limit is None or visits.count <= limit or visits.interval <= timedelta(0):
        return
    starts = min(visits.count, math.ceil(DAY / visits.interval))
    if starts > limit:
        found["visits", "interval"] = (
            f"a visit every {format_span(visits.interval)} starts {starts} sessions per port "
            f"in 24 hours, and this device allows {limit}; make the interval at least "
            f"{format_span(DAY / limit)}"
        )


def describe(regimen: Regimen) -> str:
    """The course in a few words: ``7 visits of 30m at level 2, one every 1w (± 1d)``."""
    session, visits = regimen.session, regimen.visits
    text = f"{visits.count} visit{'s' if visits.count != 1 else ''} of "
    text += format_span(session.duration)
    if session.intensity is not None:
        text += f" at level {session.intensity}"
    if session.setpoint is not None:
        text += f" at {session.setpoint:g} °C"
    text += f", pulsed at {session.pulse_hz} Hz" if session.mode == "pulsed" else ", continuous"
    ports = session.ports
    text += f", on port{'s' if len(ports) > 1 else ''} {', '.join(map(str, ports))}"
    if visits.count > 1:
        text += f", one every {format_span(visits.interval)}"
        text += f" (± {format_span(visits.window)})" if visits.window else ""
    if regimen.study is not None:
        arms = [arm.name + (" (sham)" if arm.sham else "") for arm in regimen.study.arms]
        text += f"; arms {', '.join(arms)}"
    return text
