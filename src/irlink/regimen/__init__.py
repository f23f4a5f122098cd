"""Scripted sessions: regimen files, studies (allocation, blinding), the runner and results.

>>> from irlink.regimen import example, load_regimen
>>> trial = load_regimen(example("gale-2006"))
>>> trial.visits.count, [arm.name for arm in trial.arms], trial.study.blinded
(7, ['infrared', 'sham'], True)

A regimen file (YAML, :mod:`irlink.regimen.model`) describes a course; a study is a
regimen plus its participants, kept in the session log (:class:`irlink.record.SessionLog`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from irlink.regimen.files import RegimenError, load_regimen, parse_regimen, regimen_schema
from irlink.regimen.model import Regimen

__all__ = [
    "Regimen",
    "RegimenError",
    "example",
    "examples",
    "load_regimen",
    "parse_regimen",
    "regimen_schema",
]


def examples() -> list[str]:
    """The names of the example regimens shipped with irlink."""
    folder = resources.files("irlink.regimen").joinpath("examples")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def example(name: str) -> Path:
    """The path of the example regimen ``name`` (see :func:`examples`)."""
    path = Path(str(resources.files("irlink.regimen").joinpath("examples", f"{name}.yaml")))
    if not path.is_file():
        raise RegimenError(f"no example regimen {name!r}; the examples are {', '.join(examples())}")
    return path
