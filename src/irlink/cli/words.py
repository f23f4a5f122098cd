"""The command line's own words for what the library raises.

The library writes its messages for people who call it from Python (``pass
override=True``, ``read status()``); a person at a shell typed ``--override`` and
runs ``irlink status``. :func:`failure` turns an exception into the
:class:`~irlink.cli.common.Failure` the command exits with: the exit code, the
message in the command line's words, the device's error code and the option at fault.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from irlink.cli.blinding import TraceRefused
from irlink.cli.common import (
    EXIT_BUG,
    EXIT_NO_DEVICE,
    EXIT_RECORD,
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    Failure,
)
from irlink.durations import format_duration
from irlink.errors import AddressError, IRLinkError, LimitError, RequestTimeout
from irlink.refusals import DeviceRefused

if TYPE_CHECKING:
    import pydantic

__all__ = ["OPTIONS", "failure", "missing_extra", "translate"]

# The library's parameter names (LimitError.name) and the options that set them.
OPTIONS = {
    "duration": "--duration",
    "intensity": "--intensity",
    "mode": "--mode",
    "pulse_hz": "--hz",
    "setpoint": "--setpoint",
    "sham": "--sham",
    "override": "--override",
    "port": "--port",
    "period": "--period",
    "heartbeat": "--heartbeat",
}

# The fields a device names in a refusal (wire names, with their units), as options,
# and how to show the limit the device gave in that field's wire unit.
_FIELDS: dict[str, tuple[str, str]] = {
    "port": ("--port", ""),
    "duration_s": ("--duration", "s"),
    "intensity": ("--intensity", ""),
    "mode": ("--mode", ""),
    "pulse_hz": ("--hz", " Hz"),
    "sham": ("--sham", ""),
    "setpoint_dc": ("--setpoint", "dc"),
    "override": ("--override", ""),
    "period_ms": ("--period", "ms"),
    "interval_ms": ("--heartbeat", "ms"),
    "from_index": ("--since", ""),
}

# The requests a device may refuse, as the command line's words.
_REQUESTS = {
    "configure": "the session's settings",
    "clear_fault": "clear-fault",
    "read_usage_log": "the usage log",
    "get_status": "status",
    "get_info": "info",
    "subscribe": "the status reports",
    "heartbeat": "the heartbeat",
    "pair_setup": "pairing",
    "pair_verify": "verification",
    "list_pairings": "its pairing list",
    "remove_pairing": "removing a pairing",
}

# Python in library messages, and what a person at a shell does instead. Each library
# message that names a call or an argument has its line here (tests check them all).
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"\boverride=True\b", "--override"),
        (r"\bmode=pulsed\b", "--mode pulsed"),
        (r"\bpulse_hz\b", "--hz"),
        (r"^status period\b", "--period"),
        (r"\bleave setpoint and override out\b", "leave --setpoint and --override out"),
        (r"\bleave intensity out and give a setpoint\b", "leave --intensity out, give --setpoint"),
        (r"\bleave sham out\b", "leave --sham out"),
        (r"\bread status\(\)", "run `irlink status`"),
        (r"\bread the status\b", "run `irlink status`"),
        (r" once events\(\) reports LinkRestored", " once the device is back"),
        (r"\bthen clear_fault\(\)", "then run `irlink clear-fault`"),
        (r"\bpick one from device\.info\b", "`irlink info` lists the values it takes"),
        (r"\breconnect to re-read its limits\b", "`irlink info` shows its limits"),
        (r"irlink\.discovery\.discover\(\)", "`irlink scan`"),
        (r"\buse `async with irlink\.connect\(\)`", "connect first"),
        (r"\bcall open\(\) first", "connect first"),
        (r"\braise the timeout\b", "raise --timeout"),
        (r"\bwith blind=True\b", "through `irlink study visit`, which blinds it"),
        (r" \(reconnection is off\)", ""),
        (r" \(or irlink\.pair\(\)\)", ""),
        (r"\bdevice\.pairings\(\) lists them\b", "`irlink pairings list -d ADDRESS` lists them"),
        (
            r"\bconnect to it by its address\b",
            "give its address with -d (`irlink scan` lists them)",
        ),
    ]
]

# Optional extras: the module a link needs, and the extra that installs it.
_EXTRAS = {"bleak": ("Bluetooth LE", "ble"), "bumble": ("the bumble BLE stack", "bumble")}


def translate(message: str) -> str:
    """A library message in the command line's words."""
    for pattern, replacement in _PHRASES:
        message = pattern.sub(replacement, message)
    return message


def _limit(error: LimitError) -> Failure:
    option = OPTIONS.get(error.name)
    message = translate(str(error))
    if option is not None and re.match(rf"{re.escape(error.name)}\b", message):
        message = option + message[len(error.name) :]
    return Failure(message, EXIT_USAGE, option=option)


def _shown_limit(limit: int, unit: str) -> str:
    if unit == "s":
        return format_duration(limit)
    if unit == "ms":
        return format_duration(limit / 1000)
    if unit == "dc":
        return f"{limit / 10:g} °C"
    return f"{limit}{unit}"


def _refused(error: DeviceRefused) -> Failure:
    """The refusal with the request, the field and its limit in the command line's words;
    what the library says it means (and what to do) kept after them, translated."""
    code = error.code.name.lower()
    said = f"the device refused {error.request}: {code}"
    what = f"{_REQUESTS.get(error.request, error.request)}: {code}"
    option = None
    if error.field:
        said += f" ({error.field}, device limit {error.limit})"
        option, unit = _FIELDS.get(error.field, (error.field, ""))
        what += f" ({option}, device limit {_shown_limit(error.limit, unit)})"
    text = str(error)
    meaning = text[len(said) + 2 :] if text.startswith(said + ": ") else error.advice
    message = f"the device refused {what}: {translate(meaning)}"
    return Failure(message, EXIT_REFUSED, device_code=error.code, option=option)


def missing_extra(error: ModuleNotFoundError) -> Failure | None:
    """The one line for a link whose optional extra is not installed, or None."""
    module = (error.name or "").split(".")[0]
    if module not in _EXTRAS:
        return None
    what, extra = _EXTRAS[module]
    return Failure(
        f"{what} needs {module}, which is not installed: pip install 'irlink[{extra}]'",
        EXIT_NO_DEVICE,
    )


def _invalid(error: pydantic.ValidationError) -> Failure:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or error.title
    return Failure(f"{where}: {first.get('msg', 'not valid')}", EXIT_USAGE)


def failure(error: BaseException) -> Failure:
    """What the command exits with for ``error``: code, message, device code, option."""
    if isinstance(error, Failure):
        return error
    if isinstance(error, DeviceRefused):
        return _refused(error)
    if isinstance(error, LimitError):
        return _limit(error)
    if isinstance(error, TraceRefused):
        return Failure(str(error), EXIT_USAGE, option=error.option)
    if isinstance(error, AddressError):
        return Failure(translate(str(error)), EXIT_USAGE, option="--device")
    if isinstance(error, RequestTimeout):
        return Failure(translate(str(error)), EXIT_TIMEOUT)
    if isinstance(error, IRLinkError) and type(error).__module__.startswith("irlink.sim."):
        return Failure(str(error), EXIT_USAGE)  # the simulator refused what sim:// asked
    if isinstance(error, IRLinkError) and type(error).__module__.startswith("irlink.regimen."):
        # A study or regimen refused what was asked; a visit cut off by its link is exit 3.
        lost = type(error).__name__ == "VisitInterrupted"
        return Failure(str(error), EXIT_NO_DEVICE if lost else EXIT_USAGE)
    if isinstance(error, IRLinkError) and type(error).__module__ == "irlink.security.keystore":
        return Failure(str(error), EXIT_USAGE)  # the pairings file: its message says the fix
    if type(error).__name__ in ("AlreadyPaired", "NotSecure", "InvalidSetupCode"):
        return Failure(translate(str(error)), EXIT_USAGE)  # nothing to pair, or no code
    if isinstance(error, IRLinkError) and type(error).__name__ == "RecordingFailed":
        return Failure(str(error), EXIT_RECORD, option="--db")
    if isinstance(error, IRLinkError):
        return Failure(translate(str(error)), EXIT_NO_DEVICE)
    if isinstance(error, ModuleNotFoundError) and (extra := missing_extra(error)) is not None:
        return extra
    import pydantic  # noqa: PLC0415  (loaded already by the library, which raised)

    if isinstance(error, pydantic.ValidationError):
        return _invalid(error)
    if isinstance(error, ValueError):
        return Failure(translate(str(error)), EXIT_USAGE)  # a value refused before sending
    return Failure(
        f"irlink failed unexpectedly ({type(error).__name__}: {error}); this is a bug in "
        "irlink: please report it with what -v prints",
        EXIT_BUG,
    )
