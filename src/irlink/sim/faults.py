"""Fault scenarios: declarative, timed steps that happen to a simulated device.

A scenario is a YAML file (schema in ``src/irlink/sim/scenarios/README.md``)::

    name: overtemp
    doc: A covered pad overheats two minutes into a session.
    steps:
      - at: 2m
        heat: {port: 1, rise_dc: 150}

The same file works in tests, from ``irlink sim serve --scenario`` and in hil/. Step
times count from the moment the scenario is applied; they run on the device's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from irlink.durations import format_duration, parse_duration
from irlink.errors import IRLinkError
from irlink.sim.device import SimulatedDevice
from irlink.sim.link import Impairment
from irlink.spec.devices import DeviceProfile, Family

__all__ = ["SCENARIOS_DIR", "Scenario", "ScenarioError", "Step", "load_scenario", "scenario_names"]

SCENARIOS_DIR = Path(__file__).parent / "scenarios"
MAX_ERRORS_SHOWN = 5  # a file that is not a scenario at all would list every key

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Port = Annotated[int, Field(ge=1, le=4)]


class ScenarioError(IRLinkError):
    """A scenario file that cannot be used; the message names the file, the step and the fix."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class PortArg(_Model):
    """A step that names only a port."""

    port: Port


class PlugPad(_Model):
    """Plug a pad into a multiport port; ``pad_type`` defaults to the first in the profile."""

    port: Port
    pad_type: Annotated[int, Field(ge=1, le=255)] | None = None


class Heat(_Model):
    """Outside heat on a port (a covered pad, a blanket); 0 removes it."""

    port: Port
    rise_dc: Annotated[int, Field(ge=0, le=1000)]


class Sensor(_Model):
    """A port's temperature sensor breaks open or short, or is mended (ok)."""

    port: Port
    state: Literal["ok", "open", "short"]


class Emitter(_Model):
    """A port's emitters or element fail (current out of window) or are mended."""

    port: Port
    ok: bool


class Battery(_Model):
    """The state of charge drops (or is set) at once, in percent."""

    pct: Annotated[float, Field(ge=0, le=100)]


class Charger(_Model):
    """The charger is connected or disconnected."""

    connected: bool


class Reboot(_Model):
    """A reset or brown-out: output off at once, booting again after ``off_for``."""

    off_for: Duration = timedelta(0)


class ForDuration(_Model):
    """A step that lasts a while: a link drop, a busy usage log."""

    duration: Duration


class Impair(_Model):
    """Damage on the host link from now on; all zero for a clean link."""

    corrupt_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    drop_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    latency: Duration = timedelta(0)
    seed: int = 0


ACTIONS = (
    "unplug_pad",
    "plug_pad",
    "heat",
    "sensor",
    "emitter",
    "battery",
    "charger",
    "reboot",
    "internal_fault",
    "link_drop",
    "impair",
    "usage_log_busy",
)


class Step(_Model):
    """One timed step: ``at`` and exactly one action."""

    at: Duration
    note: str = ""
    unplug_pad: PortArg | None = None
    plug_pad: PlugPad | None = None
    heat: Heat | None = None
    sensor: Sensor | None = None
    emitter: Emitter | None = None
    battery: Battery | None = None
    charger: Charger | None = None
    reboot: Reboot | None = None
    internal_fault: Literal[True] | None = None
    link_drop: ForDuration | None = None
    impair: Impair | None = None
    usage_log_busy: ForDuration | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"a step has exactly one action (found: {found}); the actions are "
                + ", ".join(ACTIONS)
            )
        return self

    @property
    def action(self) -> str:
        """The name of this step's action."""
        return next(name for name in ACTIONS if getattr(self, name) is not None)

    def port(self) -> int | None:
        """The port the step acts on, if it names one."""
        value = getattr(self, self.action)
        return getattr(value, "port", None)


class Scenario(_Model):
    """A named list of timed steps, and the families it applies to."""

    name: Annotated[str, Field(min_length=1)]
    doc: Annotated[str, Field(min_length=1)]
    families: tuple[Family, ...] = ("waistband", "multiport", "firmat")
    steps: Annotated[tuple[Step, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _in_order(self) -> Scenario:
        times = [step.at for step in self.steps]
        if times != sorted(times):
            raise ValueError("steps must be in time order (each `at` at or after the one before)")
        return self

    def problems(self, profile: DeviceProfile) -> list[str]:
        """Why this scenario cannot run on a device of ``profile`` (empty when it can)."""
        if profile.family not in self.families:
            return [f"it is for {', '.join(self.families)}, not the {profile.family}"]
        problems = []
        for i, step in enumerate(self.steps):
            where = f"steps[{i}] ({step.action} at {format_duration(step.at)})"
            port = step.port()
            if port is not None and port > profile.info.port_count:
                problems.append(
                    f"{where}: port {port} does not exist; the {profile.family} has "
                    f"1..{profile.info.port_count}"
                )
            if step.action in ("unplug_pad", "plug_pad") and not profile.physics.pads:
                problems.append(f"{where}: the {profile.family}'s emitters are built in")
            if step.action in ("battery", "charger") and not profile.info.has("battery"):
                problems.append(f"{where}: the {profile.family} runs from mains")
        return problems

    def apply(self, device: SimulatedDevice) -> None:
        """Schedule every step on ``device``, counting from the device's present time."""
        problems = self.problems(device.profile)
        if problems:
            raise ScenarioError(
                f"scenario {self.name!r} cannot run on this device: " + "; ".join(problems)
            )
        with device.lock:
            start = device.now
            for step in self.steps:
                device.at(start + step.at.total_seconds(), _action(device, step))


def _action(device: SimulatedDevice, step: Step) -> Callable[[], None]:
    value: Any = getattr(step, step.action)
    match step.action:
        case "unplug_pad":
            return lambda: device.unplug_pad(value.port)
        case "plug_pad":
            return lambda: device.plug_pad(value.port, value.pad_type)
        case "heat":
            return lambda: device.add_heat(value.port, value.rise_dc)
        case "sensor":
            return lambda: device.set_sensor(value.port, value.state)
        case "emitter":
            return lambda: device.set_emitter(value.port, value.ok)
        case "battery":
            return lambda: device.set_battery(value.pct)
        case "charger":
            return lambda: device.set_charger(value.connected)
        case "reboot":
            return lambda: device.reboot(value.off_for)
        case "internal_fault":
            return device.internal_fault
        case "link_drop":
            return lambda: device.cut_link(value.duration)
        case "usage_log_busy":
            return lambda: device.usage_log_busy(value.duration)
        case _:  # impair
            impairment = Impairment(
                value.corrupt_rate, value.drop_rate, value.latency.total_seconds(), value.seed
            )
            return lambda: device.impair(impairment)


def scenario_names() -> list[str]:
    """The scenarios shipped with irlink, by name."""
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.yaml"))


def load_scenario(source: str | Path) -> Scenario:
    """Load and validate a scenario: a file path, or the name of a shipped scenario."""
    path = Path(source)
    if not path.exists() and str(source) in scenario_names():
        path = SCENARIOS_DIR / f"{source}.yaml"
    if not path.is_file():
        raise ScenarioError(
            f"no scenario file {str(source)!r}; give a path to a YAML file or one of the "
            f"shipped scenarios: {', '.join(scenario_names())}"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: {_explain(exc)}") from None


def _explain(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    lines = []
    for error in errors[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(part) for part in error["loc"])[:60] or "the file"
        lines.append(f"{where}: {error['msg']}")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"and {len(errors) - MAX_ERRORS_SHOWN} more problems")
    return "; ".join(lines)
