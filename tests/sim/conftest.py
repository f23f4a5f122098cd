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
    read = HostCodec.read  # every frame a host codec reads, whoever feeds it

    def watching(self: HostCodec, frame: Any) -> Any:
        incoming = read(self, frame)
        seen.append(incoming)
        return incoming

    monkeypatch.setattr(HostCodec, "read", watching)
    yield
    refused = [i for i in seen if isinstance(i, Refusal) and i.error.code == ErrorCode.UNAUTHORIZED]
    # The one exception: a device that restarted says it has no session (seq 0, msg_id 0),
    # and the host verifies again.
    assert [(i.seq, i.msg_id) for i in refused if (i.seq, i.msg_id) != (0, 0)] == []
