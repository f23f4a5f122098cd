"""The examples in docstrings run."""

from __future__ import annotations

import doctest

import irlink.protocol


def test_protocol_package_docstring_example_runs() -> None:
    result = doctest.testmod(irlink.protocol, raise_on_error=True)
    assert result.attempted >= 2
