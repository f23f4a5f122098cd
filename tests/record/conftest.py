"""Small session logs for the record tests, recorded through the real recorder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench.yearlog import Clock, ScriptedDevice, device_info

from irlink.protocol.messages import EndReason
from irlink.record.store import SessionLog

FIRST_DAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def four_days(path: Path) -> Path:
    """A waistband's four days, one 10-minute session each, on port 1 (times in UTC):

    - 2026-11-20 08:00: completed, 10 of 10 minutes;
    - 2026-11-21: the link lost for a minute, then a fault ends it after 5 minutes;
    - 2026-11-22: the host was not there: known only from the usage log, 10 minutes;
    - 2026-11-23: stopped after 4 minutes.
    """
    with SessionLog.open(path) as log:
        clock = Clock(FIRST_DAY)
        device = ScriptedDevice(log, device_info("waistband", "WB-0001"), clock, "sim://waistband")
        device.link()
        device.run(5)
        device.start(1, 10, 2)
        device.run(605)
        device.close()

        clock.move_to(datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
        device.link()
        device.start(1, 10, 2)
        device.run(120)
        device.lose_link()
        device.run(60)
        device.restore_link()
        device.run(120)
        device.fault(1)
        device.run(5)
        device.clear(1)
        device.unread = []
        device.close()

        clock.move_to(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
        device.start(1, 10, 2)
        device.run(610)
        device.link()
        device.read_usage()
        device.close()

        clock.move_to(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
        device.link()
        device.start(1, 10, 2)
        device.run(240)
        device.end(1, EndReason.STOPPED)
        device.run(5)
        device.unread = []
        device.close()
    return path


@pytest.fixture(scope="session")
def four_days_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of a log holding :func:`four_days` (shared: read it only)."""
    return four_days(tmp_path_factory.mktemp("four") / "sessions.db")
