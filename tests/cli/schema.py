"""The published JSON Schema of ``--json`` lines, and a check of lines against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

import irlink.cli

SCHEMA_FILE = Path(irlink.cli.__file__).with_name("irlink-output.schema.json")


@cache
def validator() -> jsonschema.Draft202012Validator:
    """A validator of the published schema (the file, as users get it)."""
    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft202012Validator(schema)


def check_lines(lines: list[dict[str, Any]]) -> None:
    """Fail with the first line that the published schema refuses, and why."""
    check = validator()
    for line in lines:
        errors = sorted(check.iter_errors(line), key=lambda e: e.path)
        assert not errors, f"{line} breaks the schema: {errors[0].message}"
