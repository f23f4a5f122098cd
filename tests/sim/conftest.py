"""What every simulator test holds: no test host is ever refused as unauthorized."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from irlink.protocol import HostCodec, Refusal
from irlink.protocol.messages import ErrorCode


@pytest.fixture(autouse=True)
def _never_unauthorized(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """unauthorized (13) answers a host that did not verify (IRLink 1.2): every test host
    here verifies with its factory pairing, so none is refused (tests/security checks the
    refusals)."""
    seen: list[Any] = []
    feed = HostCodec.feed

    def watching(self: HostCodec, data: bytes) -> Any:
        incoming = feed(self, data)
        seen.extend(incoming)
        return incoming

    monkeypatch.setattr(HostCodec, "feed", watching)
    yield
    assert ErrorCode.UNAUTHORIZED not in [i.error.code for i in seen if isinstance(i, Refusal)]
