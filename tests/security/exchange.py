"""Running a host's and a device's state machines against each other, as a link would."""

from __future__ import annotations

from typing import Any

from irlink.security import DevicePairing, Identity, PairedDevice, PairSetupHost, SetupCode
from tests.security.fixed import CODE, HOST


def run(host: Any, device: Any, log: list[tuple[Any, Any]] | None = None) -> None:
    """Send the host's requests to the device until the host is done (a refusal raises)."""
    request = host.start()
    while request is not None:
        answer = device.receive(request)
        if log is not None:
            log.append((request, answer))
        request = host.receive(answer)


def pair(device: DevicePairing, identity: Identity = HOST, code: SetupCode = CODE) -> PairedDevice:
    """Pair ``identity`` with ``device``; what the host keeps."""
    host = PairSetupHost(code, identity)
    run(host, device)
    assert host.device is not None
    return host.device
