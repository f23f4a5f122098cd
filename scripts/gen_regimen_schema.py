"""Generate src/irlink/regimen/regimen.schema.json: the JSON Schema of regimen files.

    python scripts/gen_regimen_schema.py          # rewrite the published schema
    python scripts/gen_regimen_schema.py --check  # exit 1 if it is stale

The schema is ``Regimen.model_json_schema()`` (irlink.regimen.model) with the draft,
an id and a description added; editors use it to check and complete regimen files
(YAML language servers read JSON Schema). tests/regimen/test_schema.py fails when the
published copy and the models differ (it runs ``--check``).
"""

from __future__ import annotations

import json
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


def main() -> int:
    from publish import publish  # noqa: PLC0415  (scripts/ leads sys.path when run as a script)

    return publish(TARGET, json.dumps(schema(), indent=2) + "\n", __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
