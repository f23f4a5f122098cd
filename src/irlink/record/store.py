"""The session log: writing to it without losing it (opening it: :mod:`irlink.record.opening`).

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
import queue
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from irlink.record.opening import (
    BUSY_TIMEOUT_S,
    NewerSessionLog,
    NotASessionLog,
    RecordError,
    RecordingFailed,
    busy,
    check,
    connect_file,
    damaged,
    damaged_message,
    default_path,
    open_to_read,
    why,
)
from irlink.record.schema import SCHEMA_VERSION, migrate

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

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
_STOP = object()
_OPEN_RETRY_S = 0.01  # between tries to open a log another process is creating
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
            writes = connect_file(str(path), path)
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
            return cls(open_to_read(where), where, readonly=True)
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingFailed(
                f"cannot create the session log's folder {where.parent}: {exc.strerror or exc}"
            ) from exc
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            db = connect_file(str(where), where)
            version = check(db, where, RecordingFailed)
            try:
                # SQLite answers "locked" at once, without waiting, when another process
                # switches the same new file to WAL at the same moment: try again.
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                if version < SCHEMA_VERSION:
                    migrate(db)
            except sqlite3.DatabaseError as exc:
                db.close()
                if damaged(exc):
                    raise NotASessionLog(damaged_message(where, exc)) from exc
                if busy(exc) and time.monotonic() < deadline:
                    time.sleep(_OPEN_RETRY_S)
                    continue
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
                        self._failed(write.kind, why(exc))
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
            return _Why(why(exc), busy)
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
