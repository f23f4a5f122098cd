"""The published JSON Schema of regimen files: current, valid, and every example fits it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import irlink.regimen
from irlink.regimen import example, examples, regimen_schema
from tests.generated import assert_current

PUBLISHED = Path(irlink.regimen.__file__).with_name("regimen.schema.json")


def test_the_published_schema_is_what_the_models_make_now() -> None:
    assert_current("gen_regimen_schema.py")


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
