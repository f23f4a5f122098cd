"""A regimen file's content: a course of sessions, the measures taken, and a study's arms.

A regimen says what a course is: how many visits and how far apart (with a window
around each), the device family and the settings of every visit's session, the
measures taken before or after it (0-10 NRS pain items, free text), and, for a study,
its arms (the same settings, sham or not) and how participants are allocated to them
(permuted blocks of varying size from a seed, optionally per stratum).

The JSON Schema of the format is :func:`irlink.regimen.regimen_schema`
(``regimen.schema.json``), made from these models by ``make generate``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from irlink.durations import format_duration, parse_duration

__all__ = [
    "FAMILIES",
    "Allocation",
    "Arm",
    "Measure",
    "Regimen",
    "Settings",
    "Study",
    "Visits",
    "format_span",
    "parse_span",
]

FAMILIES = ("waistband", "multiport", "firmat")

_DAYS = re.compile(r"(\d+(?:\.\d+)?)(w|d)(?![a-z])")
_DAY_H = {"w": 168.0, "d": 24.0}


def parse_span(value: object) -> timedelta:
    """A duration as a regimen writes it: ``30m``, ``1h30m``, ``7d``, ``1w``, ``12h`` or seconds."""
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        hours = sum(float(n) * _DAY_H[unit] for n, unit in _DAYS.findall(text))
        rest = _DAYS.sub("", text)
        if hours and not rest:
            return timedelta(hours=hours)
        if hours:
            return timedelta(hours=hours) + parse_duration(rest)
    if isinstance(value, str | int | float | timedelta):
        return parse_duration(value)
    raise ValueError(f"{value!r} is not a duration; write it like 30m, 1h30m, 7d or 1w")


def format_span(value: timedelta) -> str:
    """A duration as a regimen writes it (``1w``, ``3d``, ``30m``): :func:`parse_span` reads it."""
    days, rest = divmod(round(value.total_seconds()), 86400)
    if days and not rest:
        return f"{days // 7}w" if days % 7 == 0 else f"{days}d"
    return format_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_span),
    PlainSerializer(format_span, return_type=str),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": r"^\s*(\d+(\.\d+)?(w|d|h|m|s|ms))+\s*$|^\d+(\.\d+)?$",
            "description": "A duration: 30m, 1h30m, 12h, 7d, 1w, or seconds.",
        }
    ),
]
# A name REDCap and a CSV header both accept: lower case, digits and underscores.
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,25}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Visits(_Strict):
    """How many visits a course has, how far apart, and how early or late each may be."""

    count: int = Field(ge=1, le=1000, description="Visits in the course, the first included.")
    interval: Duration = Field(description="From one visit's due time to the next, e.g. 7d.")
    window: Duration = Field(
        default=timedelta(0),
        description="How early or late a visit may be and still be on time, e.g. 1d.",
        json_schema_extra={"default": "0s"},  # as a regimen writes it, not ISO 8601's PT0S
    )

    @model_validator(mode="after")
    def _window_inside_interval(self) -> Visits:
        if self.interval <= timedelta(0) and self.count > 1:
            raise ValueError("interval must be more than 0 when a course has several visits")
        if self.count > 1 and self.window * 2 >= self.interval:
            raise ValueError(
                "window must be less than half the interval, or two visits' windows overlap; "
                "make the window smaller"
            )
        return self


class Settings(_Strict):
    """The session each visit runs, on each of ``ports``: checked against the device's limits."""

    duration: Duration = Field(description="Session length, e.g. 30m.")
    intensity: int | None = Field(default=None, ge=1, description="Light level (light devices).")
    mode: Literal["continuous", "pulsed"] = "continuous"
    pulse_hz: int | None = Field(default=None, ge=1, description="Pulse rate when pulsed.")
    setpoint: float | None = Field(default=None, description="Degrees Celsius (heaters).")
    override: bool = Field(
        default=False, description="Allow a setpoint above the device's no-override limit."
    )
    ports: list[int] = Field(
        default_factory=lambda: [1], min_length=1, description="Ports that run the session."
    )

    @model_validator(mode="after")
    def _pulse_rate_with_pulsed(self) -> Settings:
        if self.mode == "pulsed" and self.pulse_hz is None:
            raise ValueError(
                "mode: a pulsed session needs pulse_hz; add pulse_hz: 73, for instance"
            )
        if self.mode == "continuous" and self.pulse_hz is not None:
            raise ValueError("pulse_hz applies to mode: pulsed; remove it, or add mode: pulsed")
        if len(set(self.ports)) != len(self.ports):
            raise ValueError("ports lists a port twice; list each port once")
        return self


class Measure(_Strict):
    """One item asked at a visit: a 0-10 NRS pain score, or free text."""

    id: Identifier = Field(description="The item's name in exports (REDCap field name).")
    kind: Literal["nrs", "text"] = "nrs"
    label: str = Field(min_length=1, description="The question, as the participant reads it.")
    when: Literal["before", "after"] = Field(
        default="before", description="Asked before the session starts, or after it ends."
    )
    visits: list[int] | None = Field(
        default=None,
        description="The visits it is asked at (1 is the first); every visit if left out.",
    )
    required: bool | None = Field(
        default=None, description="Whether a visit needs it; NRS items are by default, text not."
    )

    @property
    def needed(self) -> bool:
        """Whether a visit must have an answer."""
        return self.kind == "nrs" if self.required is None else self.required

    def asked_at(self, visit: int) -> bool:
        """Whether this item is asked at visit number ``visit``."""
        return self.visits is None or visit in self.visits


class Arm(_Strict):
    """One arm of a study: the regimen's settings, with output or sham."""

    name: Identifier
    sham: bool = False


class Allocation(_Strict):
    """How participants are allocated: permuted blocks of varying size from a seed."""

    ratio: list[int] | None = Field(
        default=None, description="Participants per arm in each block's unit; 1:1 if left out."
    )
    blocks: list[int] = Field(
        default_factory=lambda: [2, 4, 6],
        min_length=1,
        description="Block sizes to draw from, each a multiple of the ratio's sum.",
    )
    seed: int | None = Field(
        default=None,
        description=(
            "The random seed: the same seed makes the same list, so whoever has it can "
            "predict every arm. Left out, irlink draws a secret one and seals it."
        ),
    )
    size: int = Field(default=200, ge=1, le=100_000, description="Slots made per stratum.")
    strata: dict[Identifier, list[str]] = Field(
        default_factory=dict,
        description="Stratification factors and their levels: a list is made per combination.",
    )


class Study(_Strict):
    """A study's arms, its allocation and whether it is blinded."""

    arms: list[Arm] = Field(min_length=2)
    allocation: Allocation
    blinded: bool = Field(default=True, description="Arms sealed until unblinded.")
    sham_credible: bool = Field(
        description="Whether the sham feels the same: true for light, false for heat."
    )

    @model_validator(mode="after")
    def _arms_and_blocks_agree(self) -> Study:
        names = [arm.name for arm in self.arms]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(
                    f"arms.{index}.name: another arm is called {name}; give each arm its own name"
                )
        ratio = self.allocation.ratio or [1] * len(self.arms)
        if len(ratio) != len(self.arms) or min(ratio) < 1:
            raise ValueError(
                f"allocation.ratio: give one positive number per arm ({len(self.arms)})"
            )
        unit = sum(ratio)
        bad = [b for b in self.allocation.blocks if b % unit or b <= 0]
        if bad:
            raise ValueError(
                f"allocation.blocks: sizes {bad} are not multiples of the ratio's sum {unit}; "
                f"use sizes such as {unit}, {2 * unit}, {3 * unit}"
            )
        return self

    @property
    def ratio(self) -> list[int]:
        """Participants per arm in each unit of a block."""
        return self.allocation.ratio or [1] * len(self.arms)


class Regimen(_Strict):
    """A course of sessions: visits, each visit's settings, measures, and a study's arms."""

    irlink_regimen: Literal[1] = Field(description="The format's version: 1.")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    title: str = ""
    family: Literal["waistband", "multiport", "firmat"]
    visits: Visits
    session: Settings
    measures: list[Measure] = Field(default_factory=list)
    study: Study | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _measures_fit(self) -> Regimen:
        # Each message names the field it is about first: the error points at its line.
        ids = [m.id for m in self.measures]
        for index, measure in enumerate(self.measures):
            if measure.id in ids[:index]:
                raise ValueError(
                    f"measures.{index}.id: another measure has the id {measure.id}; give each "
                    "measure its own id"
                )
            for at, visit in enumerate(measure.visits or []):
                if not 1 <= visit <= self.visits.count:
                    raise ValueError(
                        f"measures.{index}.visits.{at}: measure {measure.id} is asked at visit "
                        f"{visit}, but the course has visits 1 to {self.visits.count}; ask it "
                        f"at visits from 1 to {self.visits.count}"
                    )
        return self

    def measures_at(self, visit: int, when: str) -> list[Measure]:
        """The items asked at visit ``visit``, ``before`` or ``after`` its session."""
        return [m for m in self.measures if m.when == when and m.asked_at(visit)]

    @property
    def arms(self) -> list[Arm]:
        """The study's arms; one arm with output for a course without a study."""
        return self.study.arms if self.study is not None else [Arm(name="course")]

    def dump(self) -> dict[str, Any]:
        """The regimen as plain data, durations written as text."""
        return self.model_dump(mode="json", exclude_defaults=True)
