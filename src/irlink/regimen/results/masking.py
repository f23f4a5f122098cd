"""What a blinded study may show: each arm's sealed letter, never its name.

While a study is blinded its arms are labelled by the letters sealed for them when it
was created (``studies.sealed``: random per arm, so a letter tells nothing), shown in
the letters' order (the regimen's order would tell which is which), and a text that
names an arm, or says "sham", is not shown: the regimen's title or an item's label,
and what people wrote (a reason, a remark), which beside a letter would tell its arm.
The word is kept out of every output of a blinded study, so that one search of a page
or a file proves nothing leaked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from irlink.record.store import RecordError
from irlink.regimen.model import Arm, Regimen

__all__ = ["HIDDEN", "SHAM_WORD", "hider", "labels", "masker", "reference", "shown_order"]

SHAM_WORD = "sham"
HIDDEN = "(hidden while the study is blinded: it names an arm)"


def labels(study: str, regimen: Regimen, blinded: bool, sealed: str) -> dict[str, str]:
    """Each arm's label: its sealed letter while blinded, else its name."""
    names = [arm.name for arm in regimen.arms]
    if not blinded:
        return {name: name for name in names}
    try:
        letters: Any = json.loads(sealed).get("letters", {})
    except (ValueError, AttributeError):
        letters = None
    if not isinstance(letters, dict) or sorted(letters) != sorted(names):
        raise RecordError(
            f"study {study} is blinded but its sealed letters do not cover its arms; the log "
            "was altered: restore it from a backup"
        )
    return {name: str(letters[name]) for name in names}


def shown_order(regimen: Regimen, named: dict[str, str], blinded: bool) -> list[Arm]:
    """The arms in the order shown: by letter while blinded (the regimen's would tell)."""
    arms = list(regimen.arms)
    return sorted(arms, key=lambda arm: named[arm.name]) if blinded else arms


def reference(regimen: Regimen, named: dict[str, str], blinded: bool) -> str:
    """The group the others are compared with: the sham arm once unblinded, else the first."""
    shams = [arm.name for arm in regimen.arms if arm.sham]
    if not blinded and len(shams) == 1:
        return shams[0]
    return named[shown_order(regimen, named, blinded)[0].name]


def masker(regimen: Regimen, blinded: bool) -> Callable[[str], str | None]:
    """A function that gives back a text, or None when it names an arm while blinded."""
    words = [arm.name for arm in regimen.arms] + [SHAM_WORD]
    naming = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, words)) + r")(?![a-z0-9])")

    def masked(text: str) -> str | None:
        return None if blinded and naming.search(text.lower()) else text

    return masked


def hider(regimen: Regimen, blinded: bool) -> Callable[[str | None], str | None]:
    """A function that gives back what someone wrote, or :data:`HIDDEN` when it names an arm."""
    masked = masker(regimen, blinded)

    def hidden(text: str | None) -> str | None:
        return None if text is None else masked(text) or HIDDEN

    return hidden
