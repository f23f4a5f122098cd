"""The session log for a device command: opened before it connects, checked when it ends.

Every command that talks to a device records into the log (``--db``, ``IRLINK_DB``,
else the user's data folder) unless ``--no-log``. A file that is not an irlink log, or
is a newer irlink's, stops the command before it talks to the device. A log that
cannot be written does not: the device's work goes on, irlink says once on stderr
that recording failed and why, and the command exits 7 at the end.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from irlink.cli.common import EXIT_RECORD, Failure, Options, fail

if TYPE_CHECKING:
    from irlink.record.store import SessionLog

__all__ = ["Recording", "open_recording"]

log = logging.getLogger("irlink.record")


class Recording:
    """This command's session log (None with ``--no-log``, or when it could not be opened)."""

    def __init__(self, opened: SessionLog | None, failure: str | None = None) -> None:
        self.log = opened
        self.failure = failure  # why the log could not even be opened for writing

    def check(self) -> None:
        """Raise the exit-7 :class:`Failure` if anything went unrecorded (once all is written)."""
        if self.log is not None:
            self.log.flush()  # a write nobody waited for (a cancelled wait) counts too
        if self.failure is not None:
            raise Failure(
                f"nothing was recorded in the session log: {self.failure}; use --db for "
                "another file, or --no-log",
                EXIT_RECORD,
                option="--db",
            )
        if self.log is not None and self.log.failure is not None:
            lost = ", ".join(f"{n} {kind}" for kind, n in sorted(self.log.lost.items()))
            raise Failure(
                f"the session log {self.log.path} is missing what could not be written "
                f"({lost}): {self.log.failure}; what was recorded before is intact",
                EXIT_RECORD,
                option="--db",
            )


def open_recording(opts: Options, stack: contextlib.ExitStack) -> Recording:
    """Open the log as ``opts`` say; a log irlink must not touch ends the command here."""
    if not opts.log:
        return Recording(None)
    from irlink.record.store import (  # noqa: PLC0415
        NewerSessionLog,
        NotASessionLog,
        RecordingFailed,
        SessionLog,
    )

    try:
        opened = SessionLog.open(opts.db)
    except (NotASessionLog, NewerSessionLog) as exc:
        fail(f"{exc} (or --no-log to run without recording)", option="--db")
    except RecordingFailed as exc:
        log.warning("recording failed: %s; the device's work goes on, unrecorded", exc)
        return Recording(None, str(exc))
    stack.callback(opened.close)
    return Recording(opened)
