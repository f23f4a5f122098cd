"""Generate src/irlink/cli/irlink-output.schema.json: the JSON Schema of ``--json`` lines.

    python scripts/gen_cli_schema.py          # rewrite the published schema
    python scripts/gen_cli_schema.py --check  # exit 1 if it is stale

The schema is built by ``irlink.cli.jsonlines.schema()`` from the dataclasses the
command line prints (``irlink schema`` prints the same). tests/test_cli_schema.py
fails when the published copy and the code differ.
"""

from __future__ import annotations

import json
from pathlib import Path

from irlink.cli.jsonlines import schema

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "irlink" / "cli" / "irlink-output.schema.json"


def generate() -> str:
    """The text of the published schema file."""
    return json.dumps(schema(), indent=2) + "\n"


def main() -> int:
    from publish import publish  # noqa: PLC0415  (scripts/ leads sys.path when run as a script)

    return publish(TARGET, generate(), __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
