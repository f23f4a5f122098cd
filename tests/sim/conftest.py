"""What every simulator test holds: the reserved error code never comes back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from irlink.protocol import HostCodec, Refusal
from irlink.protocol.messages import ErrorCode


@pytest.fixture(autouse=True)
def _never_unauthorized(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """unauthorized (13) is reserved for the authentication extension: v1 never sends it."""
    seen: list[Any] = []
    feed = HostCodec.feed

    def watching(self: HostCodec, data: bytes) -> Any:
        incoming = feed(self, data)
        seen.extend(incoming)
        return incoming

    monkeypatch.setattr(HostCodec, "feed", watching)
    yield
    assert ErrorCode.UNAUTHORIZED not in [i.error.code for i in seen if isinstance(i, Refusal)]
