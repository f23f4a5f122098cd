"""The published JSON Schema of ``--json`` lines: current, valid, what `irlink schema` prints."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import jsonschema
from typer.testing import CliRunner

import irlink.cli
from irlink.cli import app

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = Path(irlink.cli.__file__).with_name("irlink-output.schema.json")


def generator() -> ModuleType:
    """scripts/gen_cli_schema.py, the script `make generate` runs."""
    spec = importlib.util.spec_from_file_location(
        "gen_cli_schema", ROOT / "scripts" / "gen_cli_schema.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_published_schema_is_what_the_code_makes_now() -> None:
    gen = generator()
    assert gen.TARGET == PUBLISHED
    assert PUBLISHED.read_text(encoding="utf-8") == gen.generate(), (
        f"{PUBLISHED.relative_to(ROOT)} is stale: run make generate"
    )


def test_the_published_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_irlink_schema_prints_the_published_schema() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.stdout == PUBLISHED.read_text(encoding="utf-8")
