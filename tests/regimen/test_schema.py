"""The published JSON Schema of regimen files: current, valid, and every example fits it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
import yaml

import irlink.regimen
from irlink.regimen import example, examples, regimen_schema

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = Path(irlink.regimen.__file__).with_name("regimen.schema.json")


def generator() -> ModuleType:
    """scripts/gen_regimen_schema.py, the script `make generate` runs."""
    spec = importlib.util.spec_from_file_location(
        "gen_regimen_schema", ROOT / "scripts" / "gen_regimen_schema.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_published_schema_is_what_the_models_make_now() -> None:
    gen = generator()
    assert gen.TARGET == PUBLISHED
    assert PUBLISHED.read_text(encoding="utf-8") == gen.generate(), (
        f"{PUBLISHED.relative_to(ROOT)} is stale: run make generate"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema_read_from_the_package() -> None:
    schema = regimen_schema()
    assert schema == json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert schema["description"]
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", examples())
def test_every_example_regimen_validates_against_the_schema(name: str) -> None:
    data = yaml.safe_load(example(name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(regimen_schema()).validate(data)


def test_the_schema_refuses_what_the_models_refuse() -> None:
    data = yaml.safe_load(example("gale-2006").read_text(encoding="utf-8"))
    data["family"] = "toaster"
    data["colour"] = "red"
    errors = list(jsonschema.Draft202012Validator(regimen_schema()).iter_errors(data))
    assert {tuple(e.path) for e in errors} == {("family",), ()}
