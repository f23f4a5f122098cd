"""The session log: every device, connection, session, status sample, event and command, kept.

>>> import asyncio, irlink, tempfile, pathlib
>>> from irlink.record import SessionLog, sessions
>>> async def main(log: SessionLog) -> None:
...     async with irlink.connect("sim://waistband?speed=600", log=log) as device:
...         await device.configure(1, duration="10m")
...         await device.start(1)
>>> with SessionLog.open(pathlib.Path(tempfile.mkdtemp()) / "log.db") as log:
...     asyncio.run(main(log))
...     [(s.port, s.duration_s, s.source) for s in sessions(log)]
[(1, 600, 'live')]

Hand a :class:`SessionLog` to :func:`irlink.connect` as ``log``, and everything the
device says reaches the log before it reaches you. :mod:`irlink.record.queries` reads
it back, :mod:`irlink.record.export` writes CSV and JSON lines, and
:mod:`irlink.record.report` (the ``report`` extra) an HTML report.
"""

from __future__ import annotations

from irlink.record.queries import DeviceRow, SessionRow, devices, session, sessions
from irlink.record.store import (
    NewerSessionLog,
    NotASessionLog,
    RecordError,
    RecordingFailed,
    SessionLog,
    default_path,
)

__all__ = [
    "DeviceRow",
    "NewerSessionLog",
    "NotASessionLog",
    "RecordError",
    "RecordingFailed",
    "SessionLog",
    "SessionRow",
    "default_path",
    "devices",
    "session",
    "sessions",
]
