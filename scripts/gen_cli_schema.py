"""Generate src/irlink/cli/irlink-output.schema.json: the JSON Schema of ``--json`` lines.

    python scripts/gen_cli_schema.py          # rewrite the published schema
    python scripts/gen_cli_schema.py --check  # exit 1 if it is stale

The schema is built by ``irlink.cli.jsonlines.schema()`` from the dataclasses the
command line prints (``irlink schema`` prints the same). tests/test_cli_schema.py
fails when the published copy and the code differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from irlink.cli.jsonlines import schema

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "irlink" / "cli" / "irlink-output.schema.json"


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
