"""Opening the session log's file: where it lives, and whether it is one irlink may use.

A file that is not an irlink log (not SQLite, damaged, another program's database, an
empty file, a folder) or one from a newer irlink is refused with an error that names it
and says what to do; it is never altered. A log that cannot be opened or written at all
(a read-only folder, a full disk) is :class:`RecordingFailed`: a device command goes on
without recording. Readers open a log read-only, and in a folder they may not write, as
unchanging.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from irlink.errors import IRLinkError
from irlink.record.schema import APPLICATION, SCHEMA_VERSION

__all__ = [
    "BUSY_TIMEOUT_S",
    "NewerSessionLog",
    "NotASessionLog",
    "RecordError",
    "RecordingFailed",
    "busy",
    "check",
    "connect_file",
    "damaged",
    "damaged_message",
    "default_path",
    "open_to_read",
    "why",
]

BUSY_TIMEOUT_S = 2.0  # how long a write waits for another writer before it counts as failed


class RecordError(IRLinkError):
    """The session log cannot be used as asked."""


class NotASessionLog(RecordError):
    """The file is not an irlink session log: not SQLite, damaged, or another program's."""


class NewerSessionLog(RecordError):
    """The log was written by a newer irlink; this one never alters it."""


class RecordingFailed(RecordError):
    """The log cannot be written (read-only, locked, disk full, damaged)."""


def default_path() -> Path:
    """Where the log is kept unless told: ``IRLINK_DB``, else the user's data folder."""
    given = os.environ.get("IRLINK_DB", "").strip()
    if given:
        return Path(given).expanduser()
    import platformdirs  # noqa: PLC0415  (only when the log is used)

    return platformdirs.user_data_path("irlink", appauthor=False) / "sessions.db"


def connect_file(target: str, where: Path, *, uri: bool = False) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
            check_same_thread=False,  # guarded by SessionLog's lock
            uri=uri,
        )
    except sqlite3.Error as exc:
        raise RecordingFailed(f"cannot open the session log {where}: {exc}") from exc
    return db


def open_to_read(where: Path) -> sqlite3.Connection:
    """A read-only connection to an existing log, checked.

    A log in a folder this user may not write is still read: SQLite cannot make the
    shared-memory file a WAL reader needs there, so such a log is read as unchanging
    (``immutable``), which is exact as long as no writer left a write-ahead file beside it.
    """
    if not where.is_file():
        raise RecordError(
            f"there is no session log at {where} yet: irlink keeps one as soon as a "
            "command talks to a device (or give --db / IRLINK_DB)"
        )
    uri = where.resolve().as_uri()
    db = connect_file(f"{uri}?mode=ro", where, uri=True)
    try:
        version = check(db, where, RecordError)
    except RecordError as exc:
        wal = where.with_name(where.name + "-wal")
        if isinstance(exc, NotASessionLog | NewerSessionLog) or (
            wal.exists() and wal.stat().st_size
        ):
            raise
        db = connect_file(f"{uri}?mode=ro&immutable=1", where, uri=True)
        version = check(db, where, RecordError)
    if version == 0:  # an empty file: a writer would make it a log, not a reader
        db.close()
        raise NotASessionLog(
            f"{where} is empty, not an irlink session log yet: give --db (or "
            "IRLINK_DB) the path of an irlink log"
        )
    return db


def check(db: sqlite3.Connection, where: Path, cannot: type[RecordError]) -> int:
    """The log's schema version; raises if the file is not a log this irlink may use, and
    ``cannot`` if it cannot be read at all (a folder without rights, a file gone)."""
    try:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        application = None
        if "meta" in tables:
            found = db.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
            application = found[0] if found else None
    except sqlite3.DatabaseError as exc:
        db.close()
        if damaged(exc):
            raise NotASessionLog(damaged_message(where, exc)) from exc
        raise cannot(f"cannot open the session log {where}: {why(exc)}") from exc
    if (tables and application != APPLICATION) or (version and "meta" not in tables):
        db.close()
        raise NotASessionLog(
            f"{where} is a SQLite database of another program, not an irlink session log: "
            "give --db (or IRLINK_DB) the path of an irlink log or of a new file"
        )
    if version > SCHEMA_VERSION:
        db.close()
        raise NewerSessionLog(
            f"the session log {where} was written by a newer irlink (schema {version}; this "
            f"irlink reads up to {SCHEMA_VERSION}) and is left as it is: update irlink"
        )
    return version


def busy(exc: sqlite3.DatabaseError) -> bool:
    """Whether ``exc`` is another connection holding a lock (worth another try)."""
    return getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def damaged(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorname", "") in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


def damaged_message(where: Path, exc: sqlite3.DatabaseError) -> str:
    return (
        f"{where} is not an irlink session log ({exc}): it is damaged or another kind of "
        "file; give --db (or IRLINK_DB) another path, or move it away and irlink starts a "
        "new log"
    )


def why(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", "")
    return f"{exc} ({name})" if name and name not in str(exc) else str(exc)
