"""What a generator in scripts/ does with the file it made: write it, or check it is current.

python scripts/gen_X.py          # rewrite the published file
python scripts/gen_X.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def publish(target: Path, text: str, doc: str | None) -> int:
    """Write ``text`` to ``target``; with ``--check`` on the command line, exit 1 instead
    if ``target`` differs from it. ``doc`` is the generator's docstring, for ``--help``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is stale: run make generate", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0
