"""The examples in docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "irlink.protocol",
    "irlink.durations",
    "irlink.record",
    "irlink.regimen",
    "irlink.regimen.allocation",
    "irlink.regimen.files",
    "irlink.regimen.rehearsal",
    "irlink.regimen.schedule",
    "irlink.security",
    "irlink.security.codes",
    "irlink.security.sealed",
    "irlink.sim",
    "irlink.sim.device",
    "irlink.sim.provision",
    "irlink.sim.serve.pty",
    "irlink.sim.serve.tcp",
    "irlink.sim.serve.runner",
    "irlink.sim.serve.threads",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(
        importlib.import_module(name), raise_on_error=True, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted >= 2
