"""``--json`` output: one object per line, and the JSON Schema those objects follow.

Every line is ``{"type": KIND, ...fields}``. Fields are the library's own result and
event dataclasses in plain form: durations in seconds (a number), temperatures in
degrees Celsius, enums by name (``"running"``), flags as lists of names (``["over_
temperature"]``; a bit this version does not name shows as ``"bitN"``), times in ISO
8601. The schema is generated from those dataclasses by pydantic, with enums and flags
rewritten to their plain form; ``irlink schema`` prints it and
``src/irlink/cli/irlink-output.schema.json`` is its published copy.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from enum import IntEnum, IntFlag
from typing import Any

from irlink.cli.logged import Exported, LoggedCommand, LoggedEvent, LoggedSamples, LoggedSession
from irlink.cli.paired import (
    DevicePairingLine,
    DevicePairingRemoved,
    Paired,
    PairingLine,
    PairingRemoved,
)
from irlink.cli.results import Cleared, Configured, Done, Error, Reported, Started, Summary
from irlink.cli.study_lines import STUDY_KINDS
from irlink.cli.study_report_lines import StudyExported, StudyReported
from irlink.discovery import Found
from irlink.events import (
    ChargerConnected,
    ChargerDisconnected,
    EventsMissed,
    FaultCleared,
    FaultRaised,
    LinkDown,
    LinkRestored,
    LowBattery,
    PadAttached,
    PadDetached,
    Restarted,
    SessionEnded,
    SessionStarted,
    StatusUpdate,
)
from irlink.model import Info, Status, UsageRecord
from irlink.protocol import messages
from irlink.protocol.plain import plain_enum
from irlink.record.queries import DeviceRow
from irlink.record.security import SecurityRow
from irlink.regimen.rehearsal import Progress, Rehearsal
from irlink.regimen.results.flow import Adherence, Flow
from irlink.regimen.results.stats import ItemResult

__all__ = ["KINDS", "kind_of", "line", "plain", "schema"]

_EVENTS: list[type[Any]] = [
    StatusUpdate,
    SessionStarted,
    SessionEnded,
    FaultRaised,
    FaultCleared,
    PadAttached,
    PadDetached,
    ChargerConnected,
    ChargerDisconnected,
    LowBattery,
    LinkDown,
    LinkRestored,
    EventsMissed,
    Restarted,
]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Every kind of line, and the dataclass its fields come from.
KINDS: dict[str, type[Any]] = {
    "device": Found,
    "info": Info,
    "status": Status,
    "usage_record": UsageRecord,
    "configured": Configured,
    "started": Started,
    "done": Done,
    "cleared": Cleared,
    "summary": Summary,
    "logged_session": LoggedSession,
    "logged_command": LoggedCommand,
    "logged_event": LoggedEvent,
    "logged_samples": LoggedSamples,
    "logged_device": DeviceRow,
    "logged_security_event": SecurityRow,
    "exported": Exported,
    "report": Reported,
    **STUDY_KINDS,
    "study_report": StudyReported,
    "study_flow": Flow,
    "study_adherence": Adherence,
    "study_result": ItemResult,
    "study_exported": StudyExported,
    "rehearsal_progress": Progress,
    "rehearsal": Rehearsal,
    "pairing": PairingLine,
    "pairing_removed": PairingRemoved,
    "paired": Paired,
    "device_pairing": DevicePairingLine,
    "device_pairing_removed": DevicePairingRemoved,
    "error": Error,
    **{_snake(event.__name__): event for event in _EVENTS},
}
_KIND_OF = {cls: kind for kind, cls in KINDS.items()}


def kind_of(value: Any) -> str:
    """The line kind of a result or event."""
    return _KIND_OF[type(value)]


def line(kind: str, value: Any) -> dict[str, Any]:
    """The JSON object of one line."""
    return {"type": kind, **plain(value)}


def plain(value: Any) -> Any:
    """A dataclass (or any value in one) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, IntEnum | IntFlag):
        return plain_enum(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every ``--json`` line."""
    from pydantic import BaseModel, ConfigDict, create_model  # noqa: PLC0415  (slow import)

    defs: dict[str, Any] = {}
    choices: list[dict[str, Any]] = []
    for kind, cls in KINDS.items():
        model: type[BaseModel] = create_model(
            f"{cls.__name__}Line",
            __config__=ConfigDict(ser_json_timedelta="float", title=kind),
            data=(cls, ...),
        )
        generated = model.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
        defs.update(generated.get("$defs", {}))
        choices.append(
            {
                "title": kind,
                "allOf": [
                    generated["properties"]["data"],
                    {"properties": {"type": {"const": kind}}, "required": ["type"]},
                ],
            }
        )
    for name, definition in defs.items():
        _plain_enum(name, definition)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/irlink/irlink/irlink-output.schema.json",
        "title": "irlink --json output",
        "description": "One object per line on stdout; `type` says which kind it is.",
        "oneOf": choices,
        "$defs": dict(sorted(defs.items())),
    }


def _plain_enum(name: str, definition: dict[str, Any]) -> None:
    """Rewrite pydantic's integer enum as the plain form :func:`plain` writes."""
    enum = getattr(messages, name, None)
    if not (isinstance(enum, type) and issubclass(enum, IntEnum | IntFlag)):
        return
    names = [m.name.lower() for m in enum if m.name]
    definition.pop("enum", None)
    if issubclass(enum, IntFlag):
        definition["type"] = "array"
        definition["items"] = {"anyOf": [{"enum": names}, {"pattern": "^bit[0-9]+$"}]}
    else:
        definition["type"] = "string"
        definition["enum"] = names
