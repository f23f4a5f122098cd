"""The session log's file: where it lives, opening it safely, and writing to it without losing it.

One SQLite file (WAL mode, so readers never wait for writers and several irlink
processes write it at once; a busy timeout, so a writer waits its turn rather than
failing). Each record is committed in its own short ``BEGIN IMMEDIATE`` transaction
the moment it arrives: a process killed an instant later loses none of it (with
``synchronous=NORMAL`` a power cut of the host itself may still lose the last moments,
never the file). A write that fails never stops the device's work: the first failure
is logged once, and what was lost is counted (:attr:`SessionLog.lost`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from irlink.errors import IRLinkError
from irlink.record.schema import APPLICATION, SCHEMA_VERSION, migrate

if TYPE_CHECKING:
    from irlink.record.recorder import DeviceRecorder

__all__ = [
    "BUSY_TIMEOUT_S",
    "NewerSessionLog",
    "NotASessionLog",
    "RecordError",
    "RecordingFailed",
    "SessionLog",
    "default_path",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 2.0  # how long a write waits for another writer before it counts as failed
T = TypeVar("T")


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


class SessionLog:
    """The session log: every device, connection, session, status sample, event and command.

    Open one with :meth:`open` and hand it to :func:`irlink.connect` as ``log``; close it
    when done (or use it as a context manager). One log may record many devices at once,
    and several processes may share its file.
    """

    def __init__(self, db: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
        self._db = db
        self.path = path
        self.readonly = readonly
        self._lock = threading.Lock()  # the sync facade runs devices on another thread
        self.failure: str | None = None  # why the first write failed, if one did
        self.lost: Counter[str] = Counter()  # what was not recorded, by kind
        self._closed = False

    @classmethod
    def open(cls, path: str | Path | None = None, *, readonly: bool = False) -> SessionLog:
        """Open (or create) the log at ``path`` (default :func:`default_path`).

        Raises :class:`NotASessionLog` for a file that is not one, :class:`NewerSessionLog`
        for one from a newer irlink, and :class:`RecordingFailed` when it cannot be created
        or brought up to date. ``readonly`` opens an existing log for reading only.
        """
        where = Path(path).expanduser() if path is not None else default_path()
        if readonly:
            if not where.is_file():
                raise RecordError(
                    f"there is no session log at {where} yet: irlink keeps one as soon as a "
                    "command talks to a device (or give --db / IRLINK_DB)"
                )
            db = _connect(f"{where.resolve().as_uri()}?mode=ro", where, uri=True)
            _check(db, where)
            return cls(db, where, readonly=True)
        if where.is_dir():
            raise NotASessionLog(f"{where} is a folder, not a session log: give a file's path")
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingFailed(
                f"cannot create the session log's folder {where.parent}: "
                f"{exc.strerror or exc}; give --db another path"
            ) from exc
        db = _connect(str(where), where)
        version = _check(db, where)
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            if version < SCHEMA_VERSION:
                migrate(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            if _damaged(exc):
                raise NotASessionLog(_damaged_message(where, exc)) from exc
            raise RecordingFailed(f"cannot write the session log {where}: {exc}") from exc
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        return cls(db, where, readonly=False)

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; harmless twice."""
        if not self._closed:
            self._closed = True
            with self._lock:
                self._db.close()

    def journal(self, address: str) -> DeviceRecorder:
        """The recorder of the device at ``address`` (what :func:`irlink.connect` asks for)."""
        from irlink.record.recorder import DeviceRecorder  # noqa: PLC0415

        return DeviceRecorder(self, address)

    @property
    def db(self) -> sqlite3.Connection:
        """The SQLite connection, for reading (writes go through :meth:`write`)."""
        return self._db

    def write(self, kind: str, work: Callable[[sqlite3.Connection], T]) -> T | None:
        """Run ``work`` in one committed transaction; on failure count ``kind`` lost, never raise.

        Returns what ``work`` returned, or None if nothing was written.
        """
        if self.readonly or self._closed:
            self._failed(kind, "the log is open for reading only" if self.readonly else "closed")
            return None
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:
                    with suppress(sqlite3.Error):  # the failure already said what matters
                        db.execute("ROLLBACK")
                self._failed(kind, _why(exc))
                return None
        return result

    def _failed(self, kind: str, why: str) -> None:
        self.lost[kind] += 1
        if self.failure is None:
            self.failure = why
            log.warning(
                "recording to the session log %s failed (%s): the device's work goes on, "
                "and what cannot be written is counted",
                self.path,
                why,
            )

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for a consistent read of several queries (one read transaction)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")


def _connect(target: str, where: Path, *, uri: bool = False) -> sqlite3.Connection:
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


def _check(db: sqlite3.Connection, where: Path) -> int:
    """The log's schema version; raises if the file is not a log this irlink may use."""
    try:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        application = None
        if "meta" in tables:
            found = db.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
            application = found[0] if found else None
    except sqlite3.DatabaseError as exc:
        db.close()
        raise NotASessionLog(_damaged_message(where, exc)) from exc
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


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorname", "") in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


def _damaged_message(where: Path, exc: sqlite3.DatabaseError) -> str:
    return (
        f"{where} is not an irlink session log ({exc}): it is damaged or another kind of "
        "file; give --db (or IRLINK_DB) another path, or move it away and irlink starts a "
        "new log"
    )


def _why(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "")
    return f"{exc} ({name})" if name and name not in str(exc) else str(exc)
