"""The base of the protocols/ schemas and the one way a file that fails them is reported."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from irlink.errors import SpecError
from irlink.spec import _files


class SpecModel(BaseModel):
    """Base of every protocols/ schema: immutable, and a misspelt key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


ModelT = TypeVar("ModelT", bound=SpecModel)


def require(problems: list[str]) -> None:
    """Raise every problem at once, so one run shows all that is wrong with a file."""
    if problems:
        raise ValueError("; ".join(problems))


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as one `where: what` line each, without its URLs and type tags."""
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        # Our own validators raise ValueError; the prefix pydantic adds says nothing.
        what = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  {where}: {what}")
    return "\n".join(lines)


def load(model: type[ModelT], relative: str) -> ModelT:
    """Read protocols/<relative> and validate it, raising SpecError naming the file."""
    data: Any = _files.read_yaml(relative)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        count = exc.error_count()
        problems = "problem" if count == 1 else "problems"
        raise SpecError(
            f"protocols/{relative} does not match its schema ({count} {problems}); "
            f"fix the file:\n{describe(exc)}"
        ) from exc
