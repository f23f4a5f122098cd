"""Authenticated control (protocols/README.md section 13), as a host sees it.

A device with the ``secure`` capability speaks 1.2 and was verified when the test
connected: every frame both ways is sealed. Against hardware, pair with the device
first (``irlink pair -d ADDRESS``); the suite uses the user's key store. A device
without security is controlled as it is, and the host says so.
"""

from __future__ import annotations

import pytest

from hil.rig import Dut
from irlink.refusals import Unauthorized
from irlink.security import NotSecure


@pytest.mark.needs("secure")
async def test_a_secure_device_speaks_1_2_and_every_frame_is_sealed(dut: Dut) -> None:
    """13.1: secure is advertised with protocol_minor 2; 13.6: the link is a verified session,
    and requests and answers crossed it sealed without a frame refused either way."""
    device = dut.device
    assert dut.info.protocol_minor >= 2, "secure is a capability of IRLink 1.2"
    assert device.secured
    await device.status()
    stats = device.stats
    assert (stats.forged, stats.replayed, stats.plain_dropped) == (0, 0, 0)


@pytest.mark.needs("secure")
async def test_the_device_lists_this_host_among_its_pairings(dut: Dut) -> None:
    """13.8: list_pairings answers an admin host with every pairing, this host among them;
    a host that is not an admin is refused with unauthorized."""
    try:
        hosts = await dut.device.pairings()
    except Unauthorized:
        pytest.skip("this host is not an admin of the device: only admins list its pairings")
    assert any(host.this_host for host in hosts)
    assert any(host.admin for host in hosts)
    assert 1 <= len(hosts) <= 8


async def test_a_device_without_security_is_controlled_without_a_session(dut: Dut) -> None:
    """13.10: a 1.0/1.1 device (no secure) works with plain frames, and keeps no pairings."""
    if dut.device.secured:
        pytest.skip("the device has security: the tests above are its")
    with pytest.raises(NotSecure):
        await dut.device.pairings()
