"""Generate src/irlink/regimen/regimen.schema.json: the JSON Schema of regimen files.

    python scripts/gen_regimen_schema.py          # rewrite the published schema
    python scripts/gen_regimen_schema.py --check  # exit 1 if it is stale

The schema is ``Regimen.model_json_schema()`` (irlink.regimen.model) with the draft,
an id and a description added; editors use it to check and complete regimen files
(YAML language servers read JSON Schema). tests/regimen/test_schema.py fails when the
published copy and the models differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from irlink.regimen.files import SCHEMA_NAME
from irlink.regimen.model import Regimen

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "irlink" / "regimen" / SCHEMA_NAME


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a regimen file."""
    made = Regimen.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://github.com/irlink/irlink/{SCHEMA_NAME}",
        **made,
        "title": "irlink regimen file",
        "description": (
            "A course of infrared therapy sessions (YAML): its visits and their windows, "
            "each visit's settings, the measures taken, and a study's arms and allocation. "
            "`irlink regimen check FILE` checks one; `irlink regimen examples` lists examples."
        ),
    }


def generate() -> str:
    """The text of the published schema file."""
    return json.dumps(schema(), indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the schema file is stale")
    args = parser.parse_args()
    text = generate()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run make generate", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
