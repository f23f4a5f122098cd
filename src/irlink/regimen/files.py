"""Reading a regimen file: YAML in, a :class:`~irlink.regimen.model.Regimen` out.

Every error names the file, the line and the field, and says what to write instead:

>>> try:
...     parse_regimen("irlink_regimen: 1\\nname: x\\nfamily: toaster\\n", "r.yaml")
... except RegimenError as error:
...     print(str(error).splitlines()[0])
r.yaml:3: family: 'toaster' is not one of waistband, multiport, firmat; write one of them
>>> from irlink.regimen import example
>>> load_regimen(example("gale-2006")).family
'waistband'
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from irlink.errors import IRLinkError
from irlink.regimen.model import Regimen

__all__ = [
    "SCHEMA_NAME",
    "Problem",
    "RegimenError",
    "field_lines",
    "line_of",
    "load_regimen",
    "parse_regimen",
    "regimen_schema",
]

SCHEMA_NAME = "regimen.schema.json"

Path_ = tuple[str | int, ...]
# A validator's message may start with the field it is about, relative to where it ran:
# ``window must be ...``, ``measures.2.visits: ...`` (the colon: the name is not prose).
_FIELD_FIRST = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*)(: | )")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a regimen file: where, which field, and what to do about it."""

    file: str
    line: int | None  # 1-based; None when the file as a whole is at fault
    field: str  # dotted: session.duration, measures.2.visits; "" for the file's syntax
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class RegimenError(IRLinkError, ValueError):
    """A regimen file that cannot be used: its message names the file, line and field.

    ``problems`` holds each of them apart (one per line of the message).
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> RegimenError:
        """The error that lists ``problems``, one per line."""
        return cls("\n".join(str(p) for p in problems), problems)


def load_regimen(path: str | Path) -> Regimen:
    """The regimen in the YAML file at ``path``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = "no such file; give the path of a regimen file"
    except (OSError, UnicodeDecodeError) as error:
        problem = f"cannot be read ({error}); give a readable UTF-8 file"
    else:
        return parse_regimen(text, str(file))
    raise RegimenError.of([Problem(str(file), None, "", problem)])


def parse_regimen(text: str, name: str = "<regimen>") -> Regimen:
    """The regimen written in ``text`` (YAML); ``name`` is the file named in errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise RegimenError.of(
            [
                Problem(
                    name,
                    None if mark is None else mark.line + 1,
                    "",
                    f"not valid YAML ({problem}); fix the syntax there",
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise RegimenError.of(
            [
                Problem(
                    name,
                    1,
                    "",
                    "a regimen is a YAML mapping starting with 'irlink_regimen: 1'; see the "
                    "examples shipped with irlink (irlink regimen examples)",
                )
            ]
        )
    lines = _lines(node)
    try:
        return Regimen.model_validate(data)
    except ValidationError as error:
        raise RegimenError.of(
            [_problem(e, name, lines) for e in error.errors(include_url=False)]
        ) from None


def regimen_schema() -> dict[str, Any]:
    """The published JSON Schema of regimen files."""
    text = resources.files("irlink.regimen").joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def field_lines(text: str) -> dict[Path_, int]:
    """The line (1-based) of every key and item of the regimen file ``text``, by its path."""
    try:
        return _lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return {}


def line_of(lines: dict[Path_, int], path: Path_) -> int:
    """The line of ``path``, or of the nearest field above it that the file has."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return 1


def _lines(node: yaml.Node | None) -> dict[Path_, int]:
    """The line (1-based) of every key and item in the document, by its path."""
    found: dict[Path_, int] = {}

    def walk(node: yaml.Node, path: Path_) -> None:
        found.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*path, str(key.value))
                found[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if node is not None:
        walk(node, ())
    return found


def _problem(error: Any, name: str, lines: dict[Path_, int]) -> Problem:
    """One validation error as a :class:`Problem`: ``file:line: field: problem; fix``."""
    path: Path_ = tuple(p for p in error["loc"] if not _is_tag(p))
    message = _explain(error)
    named = _FIELD_FIRST.match(message) if error["type"] == "value_error" else None
    if named is not None:
        deeper = (*path, *(int(p) if p.isdigit() else p for p in named[1].split(".")))
        if deeper in lines:
            path = deeper
            if named[2] == ": ":
                message = message[named.end() :]
    field = ".".join(str(p) for p in path) or "(top)"
    return Problem(name, line_of(lines, path), field, message)


def _is_tag(part: object) -> bool:
    """Pydantic puts a validator's name in the path of some errors; it is not a field."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _explain(error: Any) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "missing; add it (see regimen.schema.json for what it takes)"
    if kind == "extra_forbidden":
        return "not a field of a regimen here; remove it or check its spelling"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{value!r} is not one of {expected}; write one of them"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        return (
            f"{value!r} is not a valid name; use lower-case letters, digits and underscores, "
            "starting with a letter"
        )
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{value!r}: {error['msg'].lower()}; change the value"
    return f"{error['msg']} (got {value!r}); correct the value"
