"""The session log's file: where it lives, opening it safely, and writing to it without losing it.

One SQLite file in WAL mode, so readers never wait for writers and several irlink
processes write it at once; a writer waits its turn for up to :data:`BUSY_TIMEOUT_S`.
Writes run on the log's own writer thread, never on the event loop: a log that is
locked or slow never holds up the link, its heartbeat or a session. Each write is
queued (:meth:`SessionLog.record`, or :meth:`SessionLog.submit` for one whose result is
wanted); the thread takes everything queued and commits it in one short
``BEGIN IMMEDIATE`` transaction, then completes the batch's future. If that fails for
another reason than a lock, each write is tried alone, so one that cannot be done takes
nothing else with it. The device waits for that future before it hands a status or an
event to its caller: what the caller has, the file has, and a process killed an
instant later loses none of it (with ``synchronous=NORMAL`` a power cut of the host
itself may still lose the last moments, never the file). A write that fails never
stops the device's work: the first failure is logged once, and what was lost is
counted (:attr:`SessionLog.lost`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

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
Work = Callable[[sqlite3.Connection], Any]
_STOP = object()
_DONE: Future[Any] = Future()  # what a write that cannot be queued waits for: nothing
_DONE.set_result(None)


class _Write(NamedTuple):
    """A write waiting for the writer thread."""

    kind: str
    work: Work
    undo: Callable[[], None] | None
    done: Future[Any] | None  # its own future, for a write whose result is wanted


@dataclass(frozen=True, slots=True)
class _Why:
    """Why a transaction did not commit."""

    text: str
    busy: bool  # another writer held the log beyond the busy timeout


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
        self._db = db  # for reads, on the caller's thread
        self.path = path
        self.readonly = readonly
        self._lock = threading.Lock()  # reads from the sync facade's thread and the caller's
        self.failure: str | None = None  # why the first write failed, if one did
        self.lost: Counter[str] = Counter()  # what was not recorded, by kind
        self._tally = threading.Lock()  # failures are counted from the writer and the caller
        self._closed = False
        self._gate = threading.Lock()  # a write is queued before the close, or refused
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._batch: Future[Any] = Future()  # shared by the writes queued since the last batch
        self._writer: threading.Thread | None = None
        if not readonly:
            writes = _connect(str(path), path)
            writes.execute("PRAGMA synchronous = NORMAL")
            writes.execute("PRAGMA foreign_keys = ON")
            self._writer = threading.Thread(
                target=self._write_queued, args=(writes,), name="irlink-log-writer", daemon=True
            )
            self._writer.start()

    @classmethod
    def open(cls, path: str | Path | None = None, *, readonly: bool = False) -> SessionLog:
        """Open (or create) the log at ``path`` (default :func:`default_path`).

        Raises :class:`NotASessionLog` for a file that is not one, :class:`NewerSessionLog`
        for one from a newer irlink, and :class:`RecordingFailed` when it cannot be created
        or brought up to date. ``readonly`` opens an existing log for reading only.
        """
        where = Path(path).expanduser() if path is not None else default_path()
        if where.is_dir():
            raise NotASessionLog(f"{where} is a folder, not a session log: give a file's path")
        if readonly:
            return cls(_open_to_read(where), where, readonly=True)
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingFailed(
                f"cannot create the session log's folder {where.parent}: {exc.strerror or exc}"
            ) from exc
        db = _connect(str(where), where)
        version = _check(db, where, RecordingFailed)
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
        return cls(db, where, readonly=False)

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Write what is queued, then close the file; harmless twice."""
        with self._gate:
            if self._closed:
                return
            self._closed = True
            if self._writer is not None:
                self._queue.put(_STOP)
        if self._writer is not None:
            self._writer.join()
        with self._lock:
            self._db.close()

    def journal(self, address: str) -> DeviceRecorder:
        """The recorder of the device at ``address`` (what :func:`irlink.connect` asks for)."""
        from irlink.record.recorder import DeviceRecorder  # noqa: PLC0415

        return DeviceRecorder(self, address)

    @property
    def db(self) -> sqlite3.Connection:
        """The SQLite connection for reading, on the caller's thread (writes: :meth:`submit`)."""
        return self._db

    def submit(self, kind: str, work: Work, undo: Callable[[], None] | None = None) -> Future[Any]:
        """Queue ``work`` for the writer thread; its future gets what ``work`` returned once
        committed, or None if it could not be written (``kind`` is then counted lost).

        The future never raises. Writes are done in the order submitted. ``undo`` is
        called (on the writer thread) when ``work`` ran but its transaction did not
        commit: whatever ``work`` remembered of rows that are not there is to be forgotten.
        """
        done: Future[Any] = Future()
        with self._gate:
            if self._writer is not None and not self._closed:
                self._queue.put(_Write(kind, work, undo, done))
                return done
        self._failed(kind, "the log is open for reading only" if self.readonly else "closed")
        _settle(done, None)
        return done

    def record(self, kind: str, work: Work, undo: Callable[[], None] | None = None) -> Future[Any]:
        """:meth:`submit` without a result of its own: the future returned is shared by the
        writes queued with it, and done once they are all written (or counted lost).

        What a recorder waits for, many times a second: one future a batch, not one a write.
        """
        with self._gate:
            if self._writer is not None and not self._closed:
                self._queue.put(_Write(kind, work, undo, None))
                return self._batch
        self._failed(kind, "the log is open for reading only" if self.readonly else "closed")
        return _DONE

    def write(self, kind: str, work: Callable[[sqlite3.Connection], T]) -> T | None:
        """:meth:`submit`, waiting for the commit: what ``work`` returned, or None if lost."""
        result: T | None = self.submit(kind, work).result()
        return result

    def flush(self) -> None:
        """Wait until everything submitted so far is written (or counted lost)."""
        if self._writer is not None and not self._closed:
            self.submit("flush", lambda _db: None).result()

    def _write_queued(self, db: sqlite3.Connection) -> None:
        """The writer thread: commit what is queued, a batch at a time, until closed."""
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            with self._gate:  # what is queued now, every write the batch's future covers
                while True:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                shared, self._batch = self._batch, Future()
            if _STOP in batch:
                stopping = True
                batch = [item for item in batch if item is not _STOP]
            try:
                if batch:
                    self._commit(db, batch)
            except Exception as exc:  # a bug here must not stop the thread: all would wait
                log.error("the session log's writer failed", exc_info=exc)
                for write in batch:
                    if write.done is None or not write.done.done():
                        self._failed(write.kind, _why(exc))
                    if write.done is not None:
                        _settle(write.done, None)
            _settle(shared, None)
        db.close()

    def _commit(self, db: sqlite3.Connection, batch: list[_Write]) -> None:
        """Commit ``batch`` in one transaction; if it fails for another reason than a lock
        (a write that cannot be done, a full disk), write each alone: one lost write
        takes nothing else with it. A locked log fails the whole batch at once (each
        alone would wait out the busy timeout again)."""
        why = self._transaction(db, batch)
        if why is None:
            return
        _undo(batch)
        if len(batch) > 1 and not why.busy:
            for at, write in enumerate(batch):
                alone = self._transaction(db, [write])
                if alone is None:
                    continue
                _undo([write])
                if alone.busy:  # locked now: the rest would each wait out the timeout again
                    self._lose(batch[at:], alone)
                    return
                self._lose([write], alone)
            return
        self._lose(batch, why)

    def _lose(self, writes: list[_Write], why: _Why) -> None:
        for write in writes:
            self._failed(write.kind, why.text)
            if write.done is not None:
                _settle(write.done, None)

    def _transaction(self, db: sqlite3.Connection, batch: list[_Write]) -> _Why | None:
        """Run ``batch`` and commit it: None if done (each future completed), else why not."""
        try:
            db.execute("BEGIN IMMEDIATE")
            results = [write.work(db) for write in batch]
            db.execute("COMMIT")
        except (
            BaseException
        ) as exc:  # a write that cannot be done, or a file that cannot be written
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # the failure says what matters
                    db.execute("ROLLBACK")
            busy = getattr(exc, "sqlite_errorname", "") in {"SQLITE_BUSY", "SQLITE_LOCKED"}
            return _Why(_why(exc), busy)
        for write, value in zip(batch, results, strict=True):
            if write.done is not None:
                _settle(write.done, value)
        return None

    def unrecorded(self, kind: str) -> None:
        """Count one ``kind`` lost because an earlier write failed (its row is missing)."""
        self._failed(kind, "an earlier write failed")

    def _failed(self, kind: str, why: str) -> None:
        with self._tally:
            self.lost[kind] += 1
            first = self.failure is None
            if first:
                self.failure = why
        if first:
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


def _undo(writes: list[_Write]) -> None:
    """Call the undo of each write that did not commit, the last first (each undoes what its
    write found done by those before it); one that fails does not stop the others."""
    for write in reversed(writes):
        if write.undo is not None:
            try:
                write.undo()
            except Exception as exc:
                log.error("undoing a write of the session log failed", exc_info=exc)


def _settle(done: Future[Any], value: Any) -> None:
    """Complete ``done``, unless its waiter gave up on it (cancelled, as asyncio does when
    the task that awaited it is cancelled): the write stands all the same."""
    try:  # noqa: SIM105  (a third of contextlib.suppress's cost, once a write)
        done.set_result(value)
    except InvalidStateError:
        pass


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


def _open_to_read(where: Path) -> sqlite3.Connection:
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
    db = _connect(f"{uri}?mode=ro", where, uri=True)
    try:
        version = _check(db, where, RecordError)
    except RecordError as exc:
        wal = where.with_name(where.name + "-wal")
        if isinstance(exc, NotASessionLog | NewerSessionLog) or (
            wal.exists() and wal.stat().st_size
        ):
            raise
        db = _connect(f"{uri}?mode=ro&immutable=1", where, uri=True)
        version = _check(db, where, RecordError)
    if version == 0:  # an empty file: a writer would make it a log, not a reader
        db.close()
        raise NotASessionLog(
            f"{where} is empty, not an irlink session log yet: give --db (or "
            "IRLINK_DB) the path of an irlink log"
        )
    return db


def _check(db: sqlite3.Connection, where: Path, cannot: type[RecordError]) -> int:
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
        if _damaged(exc):
            raise NotASessionLog(_damaged_message(where, exc)) from exc
        raise cannot(f"cannot open the session log {where}: {_why(exc)}") from exc
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


def _why(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", "")
    return f"{exc} ({name})" if name and name not in str(exc) else str(exc)
