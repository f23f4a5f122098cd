"""The host's key store: its identity and the devices it is paired with, in ``pairings.json``.

The store is one JSON file in the user's config folder (``IRLINK_CONFIG``, else
``platformdirs.user_config_path("irlink")``: ``~/.config/irlink`` on Linux), made with
owner-only permissions (folder 0700, file 0600) and never readable by anyone else: it
holds the host's long-term private key, and whoever reads it can control every device
paired with this host. The file with those permissions *is* the store; no system
keyring is used (one may come later as an option, behind this same API).

Every change is written whole to a new file in the same folder, synced, and moved over
the old one (``os.replace``), so a crash leaves the old file or the new one, never half
of either; and it is made under an advisory lock (``pairings.json.lock``), re-reading
the file first, so two irlink processes pairing at once both land.

A file this irlink may not use is refused with an error that names it and says what to
do, and is never altered: one that other users may read or change (``chmod 600``), one
that is damaged or of another format (move it away), one from a newer irlink (update).
On Windows the permission checks are left to the folder's ACLs (the user's profile).

The private key never leaves :class:`~irlink.security.keys.Identity` except into the
file: no ``repr``, message or log line here contains it.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import os
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from irlink.errors import IRLinkError
from irlink.security.keys import ID_SIZE, KEY_SIZE, Identity

__all__ = [
    "FILE_NAME",
    "FORMAT",
    "LOCK_TIMEOUT_S",
    "MIN_PREFIX",
    "VERSION",
    "AmbiguousPairing",
    "KeyStore",
    "KeyStoreError",
    "NewerKeyStore",
    "NoSuchPairing",
    "NotAKeyStore",
    "Pairing",
    "UnsafeKeyStore",
    "default_path",
]

FILE_NAME = "pairings.json"
FORMAT = "irlink-pairings"  # the file's "format": what tells it from any other JSON
VERSION = 1  # the file's "version"; a newer one is refused, never rewritten
MIN_PREFIX = 4  # hex digits of a device id that ``forget`` takes as a prefix
LOCK_TIMEOUT_S = 5.0  # how long a change waits for another process's change to end
_LOCK_RETRY_S = 0.01
_POSIX = sys.platform != "win32"


class KeyStoreError(IRLinkError):
    """The key store cannot be used as asked (read, written, or the pairing looked up)."""


class NotAKeyStore(KeyStoreError):
    """The file is not an irlink pairings file: damaged, or another kind of file."""


class NewerKeyStore(KeyStoreError):
    """The file was written by a newer irlink; this one never alters it."""


class UnsafeKeyStore(KeyStoreError):
    """The file or its folder is open to other users, or belongs to another user."""


class NoSuchPairing(KeyStoreError, LookupError):
    """No pairing has that serial or device id."""


class AmbiguousPairing(KeyStoreError, LookupError):
    """Several pairings match what was given; ``matches`` lists them."""

    def __init__(self, message: str, matches: list[Pairing]) -> None:
        super().__init__(message)
        self.matches = matches


def default_path() -> Path:
    """Where the store is kept: ``IRLINK_CONFIG``'s folder, else the user's config folder."""
    given = os.environ.get("IRLINK_CONFIG", "").strip()
    if given:
        return Path(given).expanduser() / FILE_NAME
    import platformdirs  # noqa: PLC0415  (only when the store is used)

    return platformdirs.user_config_path("irlink", appauthor=False) / FILE_NAME


@dataclass(frozen=True, slots=True)
class Pairing:
    """A device this host is paired with, kept under its serial.

    ``device_id`` (16 bytes) and ``device_public_key`` (its Ed25519 long-term public key,
    32 bytes) are what pair verify checks the device against on every connection;
    ``admin`` whether this host is the device's administrator (it may list and remove
    the device's pairings); ``paired_at`` when (UTC); ``address`` the address last used
    to reach it; ``model`` the device's model name. Nothing here is secret.
    """

    serial: str
    device_id: bytes
    device_public_key: bytes
    admin: bool
    paired_at: datetime
    address: str
    model: str

    def __post_init__(self) -> None:
        if not self.serial:
            raise ValueError("a pairing's serial is empty")
        if len(self.device_id) != ID_SIZE:
            raise ValueError(f"a device id is {ID_SIZE} bytes, not {len(self.device_id)}")
        if len(self.device_public_key) != KEY_SIZE:
            raise ValueError(
                f"a device's public key is {KEY_SIZE} bytes, not {len(self.device_public_key)}"
            )
        if self.paired_at.utcoffset() is None:
            raise ValueError("paired_at needs a time zone (UTC)")

    def __repr__(self) -> str:
        return (
            f"Pairing(serial={self.serial!r}, device_id={self.device_id.hex()}, "
            f"device_public_key={self.device_public_key.hex()}, admin={self.admin}, "
            f"paired_at={self.paired_at.isoformat()}, address={self.address!r}, "
            f"model={self.model!r})"
        )


_Seen = tuple[int, int, int, int, int]
"""A file's device, inode, mtime, ctime (a chmod changes it) and size: when any differs, the
file is read (and checked) again."""


class _State(NamedTuple):
    """What the file holds, and which version of the file it was read from."""

    identity: Identity | None
    pairings: dict[str, Pairing]  # by serial
    seen: _Seen | None  # which file, as it was when read; None: no file


_EMPTY = _State(None, {}, None)


class KeyStore:
    """The host's identity and its pairings, kept in one owner-only JSON file.

    Open it with :meth:`open`. Lookups read the file again when another process has
    changed it since; :meth:`remember`, :meth:`forget` and the first :attr:`identity`
    change it under the lock. Nothing is written until something is to be kept: a
    store that was only read leaves no file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._state = _EMPTY
        self._mutex = threading.Lock()  # this process's threads; the file lock is for others

    @classmethod
    def open(cls, path: str | Path | None = None) -> KeyStore:
        """The store in the file ``path`` (default :func:`default_path`), read and checked.

        Raises :class:`UnsafeKeyStore`, :class:`NotAKeyStore`, :class:`NewerKeyStore` for
        a file this irlink may not use, :class:`KeyStoreError` for one it cannot read. A
        file that does not exist yet is an empty store.
        """
        where = Path(path).expanduser() if path is not None else default_path()
        if where.is_dir():
            raise NotAKeyStore(
                f"{where} is a folder, not a pairings file: give a file's path (or "
                "IRLINK_CONFIG the folder that holds pairings.json)"
            )
        store = cls(where)
        store._current()
        return store

    def __repr__(self) -> str:
        return f"KeyStore({str(self.path)!r})"

    @property
    def identity(self) -> Identity:
        """This host's identity (pairing id and long-term key pair); made and kept the
        first time it is asked for."""
        found = self._current().identity
        if found is not None:
            return found
        with self._changing() as state:
            if state.identity is not None:  # another process made it meanwhile: use it
                return state.identity
            made = Identity.create()
            self._write(state._replace(identity=made))
            return made

    def pairings(self) -> list[Pairing]:
        """Every pairing kept, by serial."""
        return sorted(self._current().pairings.values(), key=lambda p: p.serial)

    def pairing_for(self, serial: str) -> Pairing | None:
        """The pairing of the device with this serial, or None."""
        return self._current().pairings.get(serial)

    def by_device_id(self, device_id: bytes) -> Pairing | None:
        """The pairing of the device with this 16-byte id, or None."""
        for pairing in self._current().pairings.values():
            if pairing.device_id == device_id:
                return pairing
        return None

    def remember(self, pairing: Pairing) -> None:
        """Keep ``pairing``, in place of the one kept under its serial (if any).

        Refused (:class:`KeyStoreError`) when another serial is kept with the same device
        id: two devices never share one, and which of them to trust is not for irlink to
        guess.
        """
        with self._changing() as state:
            for kept in state.pairings.values():
                if kept.device_id == pairing.device_id and kept.serial != pairing.serial:
                    raise KeyStoreError(
                        f"device id {pairing.device_id.hex()} of serial {pairing.serial!r} is "
                        f"already paired under serial {kept.serial!r} in {self.path}: two "
                        "devices never share an id; if it is the same device, run `irlink "
                        f"pairings remove {kept.serial}` and pair again"
                    )
            self._write(state._replace(pairings={**state.pairings, pairing.serial: pairing}))

    def forget(self, serial_or_device_id_prefix: str) -> Pairing:
        """Drop the pairing with this serial, or whose device id (hex) starts with this
        prefix of at least :data:`MIN_PREFIX` digits; the pairing dropped.

        Raises :class:`NoSuchPairing` when none matches and :class:`AmbiguousPairing`
        when several do (a serial that is also the start of another device's id too: the
        whole device id then says which).
        """
        with self._changing() as state:
            pairing = self._match(serial_or_device_id_prefix.strip(), state)
            kept = {s: p for s, p in state.pairings.items() if s != pairing.serial}
            self._write(state._replace(pairings=kept))
            return pairing

    def _match(self, given: str, state: _State) -> Pairing:
        matches = [] if not given else [p for p in state.pairings.values() if p.serial == given]
        prefix = given.lower()
        by_id = len(prefix) >= MIN_PREFIX and all(c in "0123456789abcdef" for c in prefix)
        if by_id:
            matches += [
                p
                for p in state.pairings.values()
                if p.device_id.hex().startswith(prefix) and p not in matches
            ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = ", ".join(f"serial {p.serial} (id {p.device_id.hex()})" for p in matches)
            raise AmbiguousPairing(
                f"{given!r} matches {len(matches)} pairings in {self.path}: {listed}; give "
                "a serial or more of the device id (the whole id always says which)",
                matches,
            )
        short = (
            f"; a device id is given by at least {MIN_PREFIX} of its hex digits"
            if not by_id and len(prefix) < MIN_PREFIX
            else ""
        )
        raise NoSuchPairing(
            f"no pairing in {self.path} has the serial or device id {given!r}{short}: "
            "`irlink pairings list` shows them"
        )

    # Reading -------------------------------------------------------------------------

    def _current(self) -> _State:
        """The store as the file holds it now (read again only when the file changed)."""
        with self._mutex:
            seen = self._stat()
            if seen != self._state.seen:
                self._state = self._read(seen)
            return self._state

    def _stat(self) -> _Seen | None:
        try:
            found = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyStoreError(f"cannot read the pairings file {self.path}: {_why(exc)}") from exc
        return (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_ctime_ns, found.st_size)

    def _read(self, seen: _Seen | None) -> _State:
        if seen is None:
            return _EMPTY
        try:
            with open(self.path, "rb") as file:
                _check_safe(self.path, os.fstat(file.fileno()))
                raw = file.read()
        except FileNotFoundError:  # moved away since the stat: as if never there
            return _EMPTY
        except OSError as exc:
            raise KeyStoreError(f"cannot read the pairings file {self.path}: {_why(exc)}") from exc
        identity, pairings = _parse(raw, self.path)
        return _State(identity, pairings, seen)

    # Changing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _changing(self) -> Iterator[_State]:
        """The store as the file holds it, under the lock until the change is written."""
        with self._mutex:
            folder = self.path.parent
            _make_folder(folder)
            _check_folder(folder)
            with _locked(self._lock_path):
                self._state = self._read(self._stat())
                yield self._state

    def _write(self, state: _State) -> None:
        """Write ``state`` whole, atomically (a new file, synced, moved over the old)."""
        document = {
            "format": FORMAT,
            "version": VERSION,
            "host": None if state.identity is None else state.identity.to_dict(),
            "pairings": [_record(p) for p in sorted(state.pairings.values(), key=_serial)],
        }
        text = json.dumps(document, indent=2) + "\n"
        folder = self.path.parent
        try:
            handle, temporary = tempfile.mkstemp(  # mode 0600
                prefix=f".{self.path.name}.", suffix=".tmp", dir=folder
            )
        except OSError as exc:
            raise KeyStoreError(f"cannot write the pairings file {self.path}: {_why(exc)}") from exc
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise KeyStoreError(
                f"cannot write the pairings file {self.path}: {_why(exc)}; it was left as it was"
            ) from exc
        _sync_folder(folder)
        self._state = state._replace(seen=self._stat())


def _serial(pairing: Pairing) -> str:
    return pairing.serial


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


# Permissions ---------------------------------------------------------------------------


def _check_safe(path: Path, found: os.stat_result) -> None:
    """Refuse a file that is not a regular file, not this user's, or open to other users."""
    if not stat.S_ISREG(found.st_mode):
        raise NotAKeyStore(
            f"{path} is not a file: move it away and irlink makes a new pairings file"
        )
    if not _POSIX:
        return
    if found.st_uid != os.getuid():
        raise UnsafeKeyStore(
            f"the pairings file {path} belongs to another user (uid {found.st_uid}): it "
            "holds this host's private key, so irlink uses only a file of yours; set "
            "IRLINK_CONFIG to a folder of your own, or `chown` the file to you"
        )
    mode = stat.S_IMODE(found.st_mode)
    if mode & 0o077:
        raise UnsafeKeyStore(
            f"the pairings file {path} is open to other users (mode {mode:03o}): it holds "
            "this host's private key, which lets whoever reads it control every device "
            f"paired with this host; run `chmod 600 {path}` (and if someone else may have "
            "read it, move it away and pair each device again)"
        )
    _check_folder(path.parent)


def _check_folder(folder: Path) -> None:
    """Refuse a folder other users may change: they could put a file of their own (with
    the keys of a device of theirs) in the pairings file's place."""
    if not _POSIX:
        return
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError as exc:
        raise KeyStoreError(f"cannot read the folder {folder}: {_why(exc)}") from exc
    if mode & 0o022:
        raise UnsafeKeyStore(
            f"the folder {folder} of the pairings file can be changed by other users (mode "
            f"{mode:03o}), who could put a file of their own in its place; run "
            f"`chmod 700 {folder}`"
        )


def _make_folder(folder: Path) -> None:
    """The store's folder, made owner-only (0700) if it is not there yet."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _POSIX:
            folder.chmod(0o700)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise KeyStoreError(
            f"cannot create the folder {folder} for the pairings file: {_why(exc)} (set "
            "IRLINK_CONFIG to a folder you may write)"
        ) from exc


def _sync_folder(folder: Path) -> None:
    """Make the rename itself last (a power cut could otherwise undo it)."""
    if not _POSIX:
        return
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold the advisory lock on ``lock_path`` (for :data:`LOCK_TIMEOUT_S` at most)."""
    try:
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise KeyStoreError(f"cannot open the lock file {lock_path}: {_why(exc)}") from exc
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise KeyStoreError(
                    f"another irlink process has held {lock_path} for {LOCK_TIMEOUT_S:g} s "
                    "while changing the pairings file: let it finish (or end it), then try again"
                )
            time.sleep(_LOCK_RETRY_S)
        yield
    finally:
        os.close(handle)  # closing releases the lock


if sys.platform != "win32":
    import fcntl

    def _try_lock(handle: int) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

else:  # pragma: no cover  (Windows)
    import msvcrt

    def _try_lock(handle: int) -> bool:
        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


# The file's form -----------------------------------------------------------------------


def _record(pairing: Pairing) -> dict[str, Any]:
    return {
        "serial": pairing.serial,
        "device_id": pairing.device_id.hex(),
        "device_public_key": pairing.device_public_key.hex(),
        "admin": pairing.admin,
        "paired_at": pairing.paired_at.astimezone(UTC).isoformat(),
        "address": pairing.address,
        "model": pairing.model,
    }


class _Damaged(Exception):
    """Why the file is not a pairings file this irlink reads (never quoting a secret)."""


def _parse(raw: bytes, where: Path) -> tuple[Identity | None, dict[str, Pairing]]:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotAKeyStore(_damaged(where, f"not JSON: {exc}")) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise NotAKeyStore(_damaged(where, f'no "format": "{FORMAT}"'))
    version = document.get("version")
    if type(version) is not int or version < 1:
        raise NotAKeyStore(_damaged(where, "no valid version"))
    if version > VERSION:
        raise NewerKeyStore(
            f"the pairings file {where} was written by a newer irlink (version {version}; "
            f"this irlink reads up to {VERSION}) and is left as it is: update irlink"
        )
    try:
        identity = _identity(document.get("host"))
        pairings: dict[str, Pairing] = {}
        records = document.get("pairings")
        if not isinstance(records, list):
            raise _Damaged('"pairings" is not a list')
        for number, record in enumerate(records, 1):
            pairing = _pairing(record, number)
            if pairing.serial in pairings:
                raise _Damaged(f"serial {pairing.serial!r} is kept twice")
            pairings[pairing.serial] = pairing
    except _Damaged as exc:
        raise NotAKeyStore(_damaged(where, str(exc))) from None
    return identity, pairings


def _damaged(where: Path, reason: str) -> str:
    return (
        f"{where} is not an irlink pairings file ({reason}): it is damaged or another kind "
        "of file, and irlink leaves it as it is; move it away and irlink makes a new one "
        "(each device must then be paired again), or set IRLINK_CONFIG to another folder"
    )


def _identity(stored: object) -> Identity | None:
    if stored is None:
        return None
    if not isinstance(stored, dict):
        raise _Damaged('"host" is not an object')
    try:
        identity = Identity.from_dict(
            {
                "id": _text(stored, "id", "host"),
                "private_key": _text(stored, "private_key", "host"),
            }
        )
    except (binascii.Error, ValueError):  # the key's value is never quoted
        raise _Damaged("the host's id or private key is not base64 of the right length") from None
    return identity


def _pairing(record: object, number: int) -> Pairing:
    where = f"pairing {number}"
    if not isinstance(record, dict):
        raise _Damaged(f"{where} is not an object")
    admin = record.get("admin")
    if not isinstance(admin, bool):
        raise _Damaged(f'{where}: "admin" is not true or false')
    try:
        paired_at = datetime.fromisoformat(_text(record, "paired_at", where))
        return Pairing(
            serial=_text(record, "serial", where),
            device_id=bytes.fromhex(_text(record, "device_id", where)),
            device_public_key=bytes.fromhex(_text(record, "device_public_key", where)),
            admin=admin,
            paired_at=paired_at.astimezone(UTC) if paired_at.utcoffset() is not None else paired_at,
            address=_text(record, "address", where),
            model=_text(record, "model", where),
        )
    except ValueError as exc:
        raise _Damaged(f"{where}: {exc}") from None


def _text(record: dict[str, Any], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str):
        raise _Damaged(f'{where}: "{name}" is not text')
    return value
