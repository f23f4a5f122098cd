"""Reading a regimen file: YAML in, a :class:`~irlink.regimen.model.Regimen` out.

Every error names the file, the line and the field, and says what to write instead:

>>> try:
...     parse_regimen("irlink_regimen: 1\\nname: x\\nfamily: toaster\\n", "r.yaml")
... except RegimenError as error:
...     print(error)
r.yaml:3: family: 'toaster' is not one of waistband, multiport, firmat; write one of them
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from irlink.errors import IRLinkError
from irlink.regimen.model import Regimen

__all__ = ["SCHEMA_NAME", "RegimenError", "load_regimen", "parse_regimen", "regimen_schema"]

SCHEMA_NAME = "regimen.schema.json"

Path_ = tuple[str | int, ...]


class RegimenError(IRLinkError, ValueError):
    """A regimen file that cannot be used: its message names the file, line and field."""


def load_regimen(path: str | Path) -> Regimen:
    """The regimen in the YAML file at ``path``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegimenError(f"{file}: no such file; give the path of a regimen file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RegimenError(
            f"{file}: cannot be read ({error}); give a readable UTF-8 file"
        ) from None
    return parse_regimen(text, str(file))


def parse_regimen(text: str, name: str = "<regimen>") -> Regimen:
    """The regimen written in ``text`` (YAML); ``name`` is the file named in errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(error, "problem", None) or str(error)
        raise RegimenError(f"{where}: not valid YAML ({problem}); fix the syntax there") from None
    if not isinstance(data, dict):
        raise RegimenError(
            f"{name}:1: a regimen is a YAML mapping starting with 'irlink_regimen: 1'; "
            "see the examples shipped with irlink (irlink regimen examples)"
        )
    lines = _lines(node)
    try:
        return Regimen.model_validate(data)
    except ValidationError as error:
        raise RegimenError(
            "\n".join(_message(e, name, lines) for e in error.errors(include_url=False))
        ) from None


def regimen_schema() -> dict[str, Any]:
    """The published JSON Schema of regimen files."""
    text = resources.files("irlink.regimen").joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


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


def _message(error: Any, name: str, lines: dict[Path_, int]) -> str:
    """One validation error as ``file:line: field: problem; fix``."""
    path: Path_ = tuple(p for p in error["loc"] if not _is_tag(p))
    line = 1
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            line = lines[path[:cut]]
            break
    field = ".".join(str(p) for p in path) or "(top)"
    return f"{name}:{line}: {field}: {_explain(error)}"


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
