"""Locate and read the files of protocols/, in a wheel or in a source checkout."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from irlink.errors import SpecError


def protocols_dir() -> Traversable:
    """The protocols/ folder: inside the installed wheel, else the checkout's top level."""
    packaged = resources.files("irlink") / "protocols"
    if packaged.is_dir():
        return packaged
    # Editable installs and source checkouts: src/irlink/spec/_files.py -> <top>/protocols
    checkout = Path(__file__).resolve().parents[3] / "protocols"
    if checkout.is_dir():
        return checkout
    raise SpecError(
        "protocols/ was not found beside the irlink package; "
        "reinstall irlink (pip install --force-reinstall irlink) or run from a full checkout"
    )


def read_yaml(relative: str) -> Any:
    """Parse one YAML file of protocols/, naming the file in any error."""
    node = protocols_dir()
    for part in relative.split("/"):
        node = node / part
    try:
        text = node.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read protocols/{relative}: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"protocols/{relative} is not valid YAML: {exc}") from exc
