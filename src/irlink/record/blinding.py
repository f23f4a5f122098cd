"""Which devices are in a blinded study, from the session log: their sham is masked.

A study lists the devices it uses in ``study_devices``. While it is blinded
(``studies.blinded`` 1), every connection to one of them masks sham
(:mod:`irlink.masking`): :func:`blind_policy` is the ``blind`` of :func:`irlink.connect`
that says so. A log from before studies (schema 1, read without migrating) has none.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from irlink.model import Info
from irlink.record.opening import RecordError, default_path, open_to_read, why
from irlink.record.store import SessionLog

__all__ = ["BlindPolicy", "blind_policy", "blinded_studies", "study_device_ids"]


def _has_studies(db: sqlite3.Connection) -> bool:
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'study_devices'"
    ).fetchone()
    return found is not None


def blinded_studies(
    db: sqlite3.Connection, family: str, model: str, serial: str, simulated: bool
) -> list[str]:
    """The names of the blinded studies that use this device, in order; [] if none."""
    if not _has_studies(db):
        return []
    rows = db.execute(
        "SELECT s.name FROM studies s JOIN study_devices u ON u.study_id = s.id "
        "JOIN devices d ON d.id = u.device_id WHERE s.blinded = 1 AND d.family = ? "
        "AND d.model = ? AND d.serial = ? AND d.simulated = ? ORDER BY s.name",
        (family, model, serial, int(simulated)),
    ).fetchall()
    return [name for (name,) in rows]


def study_device_ids(db: sqlite3.Connection) -> set[int]:
    """The log's ids of the devices any study uses (blinded or not): their sham may be masked."""
    if not _has_studies(db):
        return set()
    return {device for (device,) in db.execute("SELECT DISTINCT device_id FROM study_devices")}


class BlindPolicy:
    """The ``blind`` of :func:`irlink.connect`: whether a device is in a blinded study.

    Called with the device's :class:`~irlink.Info` each time it is read on a new link;
    :attr:`studies` then names the blinded studies found. It reads ``log`` (an open
    :class:`SessionLog`, or a log's path, read-only; None: the default log); a log that
    does not exist yet blinds nothing. ``simulated`` is whether the device is irlink's
    simulator (a ``sim://`` address), which the log keeps apart from real devices.
    """

    def __init__(self, log: SessionLog | str | Path | None, *, simulated: bool = False) -> None:
        self.log = log
        self.simulated = simulated
        self.studies: list[str] = []

    def __call__(self, info: Info) -> bool:
        self.studies = self.studies_of(info)
        return bool(self.studies)

    def studies_of(self, info: Info) -> list[str]:
        """The blinded studies that use the device ``info`` describes."""
        key = (info.family.name.lower(), info.model, info.serial, self.simulated)
        if isinstance(self.log, SessionLog):
            with self.log.reading() as db:
                return self._read(db, key, self.log.path)
        where = default_path() if self.log is None else Path(self.log).expanduser()
        if not where.is_file() or where.stat().st_size == 0:
            return []  # no log yet: no study has been made in it
        db = open_to_read(where)
        try:
            return self._read(db, key, where)
        finally:
            db.close()

    @staticmethod
    def _read(db: sqlite3.Connection, key: tuple[str, str, str, bool], where: Path) -> list[str]:
        try:
            return blinded_studies(db, *key)
        except sqlite3.Error as exc:
            raise RecordError(
                f"cannot read the session log {where} to tell whether {key[1]} {key[2]} is in "
                f"a blinded study ({why(exc)}), so it was not used; try again once the log "
                "can be read"
            ) from exc


def blind_policy(log: SessionLog | str | Path | None, *, simulated: bool = False) -> BlindPolicy:
    """The ``blind`` that masks sham for the devices of ``log``'s blinded studies."""
    return BlindPolicy(log, simulated=simulated)
