"""Every API call on every device family over every link: pty, socket://, bleak, bumble."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irlink import EndReason, PortState
from irlink.events import SessionEnded, SessionStarted, StatusUpdate
from irlink.spec import load_device_profile
from tests.host.links import FAMILIES, LINKS, SESSIONS, connected, run


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_call_works(family: str, link: str) -> None:
    async def body() -> None:
        async with connected(family, link) as host:
            device, sim, clock = host.device, host.sim, host.clock
            limits = load_device_profile(family).info
            assert (device.info.model, device.info.serial) == (sim.profile.identity.model, "0001")
            assert device.info.port_count == limits.port_count
            assert device.info.session_max == timedelta(seconds=limits.session_max_s)

            status = await device.status()
            assert [p.port for p in status.ports] == list(range(1, limits.port_count + 1))

            await device.configure(1, **SESSIONS[family])
            session_id = await device.start(1)
            port = (await device.status()).port(1)
            assert (port.state, port.session_id) == (PortState.RUNNING, session_id)
            assert port.remaining == port.duration
            started = await host.wait_for(SessionStarted)
            assert (started.port, started.session_id) == (1, session_id)

            assert await device.subscribe("1s") == timedelta(seconds=1)
            clock.advance(5)
            update = await host.wait_for(
                StatusUpdate, lambda e: e.status.port(1).elapsed == timedelta(seconds=5)
            )
            assert update.status.port(1).remaining == port.duration - timedelta(seconds=5)

            await device.pause(1)
            assert (await device.status()).port(1).state is PortState.PAUSED
            clock.advance(30)  # the device's timer stands still while paused
            await device.resume(1)
            assert (await device.status()).port(1).remaining == port.duration - timedelta(seconds=5)

            await device.set_heartbeat("5s")
            await device.set_heartbeat(None)
            await device.stop(1)
            ended = await host.wait_for(SessionEnded)
            assert (ended.session_id, ended.reason) == (session_id, EndReason.STOPPED)
            assert ended.delivered == timedelta(seconds=5)
            await device.clear_fault()
            await device.subscribe(None)

            [record] = await device.usage_log()
            assert (record.session_id, record.end_reason) == (session_id, EndReason.STOPPED)
            assert record.planned == port.duration
            assert record.delivered == timedelta(seconds=5)

    run(body())
