"""The session log's tables, and the migrations that bring an older log forward.

``PRAGMA user_version`` holds the schema version. Opening a log applies every
migration it lacks, in one transaction each; a log from a newer irlink (a higher
version) is refused and never altered. A SQLite file without irlink's ``meta`` table
is someone else's and is refused too.

Times are kept twice: ``*_at_ms``, UTC wall time in milliseconds since 1970, and
``mono_ms``, the host's monotonic clock in milliseconds since its connection opened
(a connection keeps the monotonic reading it opened at in ``opened_mono_ns``). Values
are in wire units, named for them (``temp_dc`` tenths of a degree, ``battery_mv``).

Status samples are written as they arrive, one row in ``samples`` and one per port in
``port_samples``. Every ``CHUNK`` samples of a connection (and the rest when it closes)
they are moved into one row of ``sample_chunks``: the same values, column by column,
each column as differences from the value before, as JSON, compressed with zlib (a
twentieth of the size). Readers see both alike (:mod:`irlink.record.samples`). A sample's
``id`` is never reused (AUTOINCREMENT), though packed rows are deleted.
"""

from __future__ import annotations

import sqlite3

__all__ = ["APPLICATION", "MIGRATIONS", "SCHEMA_VERSION"]

APPLICATION = "irlink session log"

_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    family TEXT NOT NULL,
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    simulated INTEGER NOT NULL DEFAULT 0,  -- 1: irlink's simulator, never a real device
    first_seen_at_ms INTEGER NOT NULL,
    last_seen_at_ms INTEGER NOT NULL,
    firmware_version TEXT NOT NULL,  -- as last seen; each connection keeps its own
    hardware_version TEXT NOT NULL,
    info TEXT NOT NULL,  -- the limits it advertised (JSON), as last seen
    log_next_index INTEGER NOT NULL DEFAULT 0,  -- usage-log records before it are reconciled
    UNIQUE (family, model, serial, simulated)
);
CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    address TEXT NOT NULL,
    link TEXT NOT NULL,  -- serial, tcp, ble, sim
    opened_at_ms INTEGER NOT NULL,
    opened_mono_ns INTEGER NOT NULL,
    closed_at_ms INTEGER,  -- NULL: still open, or the process died
    close_reason TEXT,
    firmware_version TEXT NOT NULL,
    protocol TEXT NOT NULL,  -- 1.0, 1.1
    info TEXT NOT NULL,  -- the limits it advertised on this connection (JSON)
    host TEXT NOT NULL,
    user TEXT NOT NULL,
    pid INTEGER NOT NULL,
    irlink_version TEXT NOT NULL
);
CREATE INDEX connections_by_device ON connections (device_id, opened_at_ms);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    connection_id INTEGER REFERENCES connections (id),  -- NULL: recovered, never seen live
    port INTEGER NOT NULL,
    session_id INTEGER NOT NULL,  -- the device's id, 1..65535 (reused over time)
    source TEXT NOT NULL,  -- live: seen running; recovered: known only from the usage log
    started_at_ms INTEGER,  -- NULL when not known (recovered)
    ended_at_ms INTEGER,  -- NULL: not ended yet, or the end not seen (see end_reason)
    times_estimated INTEGER NOT NULL DEFAULT 0,  -- 1: times reckoned from the device's uptime
    duration_s INTEGER,  -- planned
    intensity INTEGER,
    mode TEXT,
    pulse_hz INTEGER,
    setpoint_dc INTEGER,
    sham INTEGER,
    override INTEGER,
    end_reason TEXT,  -- NULL: not ended, or its end not known yet
    end_seen TEXT,  -- live: the device's event; recovered: its usage log
    delivered_s INTEGER,  -- by the device's own count; NULL: not known
    boot_count INTEGER,  -- the device boot it ran in
    log_index INTEGER,  -- its usage-log record, once matched
    log_ended_uptime_s INTEGER
);
CREATE INDEX sessions_by_device ON sessions (device_id, started_at_ms);
CREATE INDEX sessions_by_key ON sessions (device_id, port, session_id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    at_ms INTEGER NOT NULL,
    mono_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,  -- session_started, fault_raised, link_down, restarted, ...
    port INTEGER,
    session_id INTEGER,
    data TEXT NOT NULL  -- the rest of the event (JSON)
);
CREATE INDEX events_by_connection ON events (connection_id, at_ms);
CREATE TABLE commands (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    at_ms INTEGER NOT NULL,
    mono_ms INTEGER NOT NULL,
    name TEXT NOT NULL,  -- configure, start, stop, pause, resume, clear_fault, heartbeat
    args TEXT NOT NULL,  -- what was asked (JSON)
    outcome TEXT NOT NULL,  -- done, refused, invalid, unanswered, link_lost, not_sent
    code TEXT,  -- the device's error code when it refused
    detail TEXT NOT NULL,
    result TEXT NOT NULL  -- what the answer said (JSON)
);
CREATE INDEX commands_by_connection ON commands (connection_id, at_ms);
CREATE TABLE samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, though packed rows are deleted
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    at_ms INTEGER NOT NULL,
    mono_ms INTEGER NOT NULL,
    pushed INTEGER NOT NULL,  -- 1: a subscription pushed it; 0: a request read it
    state INTEGER NOT NULL,
    battery_pct INTEGER,
    battery_mv INTEGER,
    charger INTEGER,
    board_dc INTEGER,
    faults INTEGER NOT NULL,
    uptime_s INTEGER NOT NULL,
    boot_count INTEGER NOT NULL
);
CREATE INDEX samples_by_connection ON samples (connection_id, id);
CREATE TABLE port_samples (
    sample_id INTEGER NOT NULL,  -- samples (id); deleted with it when packed
    port INTEGER NOT NULL,
    state INTEGER NOT NULL,
    pad_present INTEGER NOT NULL,
    pad_type INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    duration_s INTEGER NOT NULL,
    remaining_s INTEGER NOT NULL,
    intensity INTEGER NOT NULL,
    mode INTEGER NOT NULL,
    pulse_hz INTEGER NOT NULL,
    sham INTEGER NOT NULL,
    setpoint_dc INTEGER,
    temp_dc INTEGER,
    skin_dc INTEGER,
    faults INTEGER NOT NULL,
    override INTEGER,
    starts_left INTEGER,
    PRIMARY KEY (sample_id, port)
) WITHOUT ROWID;
CREATE TABLE sample_chunks (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    first_at_ms INTEGER NOT NULL,
    last_at_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    data BLOB NOT NULL  -- zlib(JSON): {"samples": {column: deltas}, "ports": {column: deltas}}
);
CREATE INDEX chunks_by_connection ON sample_chunks (connection_id, first_at_ms);
"""

# Version 2: studies and courses (irlink.regimen) kept beside the sessions they ran, and
# sham masked while a study is blinded. The tables are the record's, so that every
# reader of the log masks alike; irlink.regimen writes them.
_V2 = """
CREATE TABLE port_samples_v2 (
    sample_id INTEGER NOT NULL,
    port INTEGER NOT NULL,
    state INTEGER NOT NULL,
    pad_present INTEGER NOT NULL,
    pad_type INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    duration_s INTEGER NOT NULL,
    remaining_s INTEGER NOT NULL,
    intensity INTEGER NOT NULL,
    mode INTEGER NOT NULL,
    pulse_hz INTEGER NOT NULL,
    sham INTEGER,  -- NULL: masked (the device was in a blinded study)
    setpoint_dc INTEGER,
    temp_dc INTEGER,
    skin_dc INTEGER,
    faults INTEGER NOT NULL,
    override INTEGER,
    starts_left INTEGER,
    PRIMARY KEY (sample_id, port)
) WITHOUT ROWID;
INSERT INTO port_samples_v2 SELECT * FROM port_samples;
DROP TABLE port_samples;
ALTER TABLE port_samples_v2 RENAME TO port_samples;
CREATE TABLE studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,  -- study: arms and an allocation; course: one person's regimen
    regimen TEXT NOT NULL,  -- the regimen file's text when the study was created
    regimen_sha256 TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    blinded INTEGER NOT NULL,  -- 1: arms sealed; 0: never blinded, or unblinded
    unblinded_at_ms INTEGER,
    synthetic INTEGER NOT NULL DEFAULT 0,  -- 1: a rehearsal (irlink study simulate), never evidence
    sealed TEXT NOT NULL  -- JSON {"seed": n, "letters": {arm: "A"}}: shown only once unblinded
);
CREATE TABLE allocation (  -- the concealed list, made when the study is created
    study_id INTEGER NOT NULL REFERENCES studies (id),
    stratum TEXT NOT NULL,  -- '' when not stratified; else factor=level,factor=level
    position INTEGER NOT NULL,  -- 1, 2, ...: the order in which the stratum enrols
    block INTEGER NOT NULL,  -- the permuted block it was drawn in
    arm TEXT NOT NULL,
    PRIMARY KEY (study_id, stratum, position)
);
CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies (id),
    code TEXT NOT NULL,  -- pseudonymous: never a name or a birth date
    stratum TEXT NOT NULL,
    position INTEGER,  -- their slot in their stratum's list; NULL in a course
    enrolled_at_ms INTEGER NOT NULL,
    withdrawn_at_ms INTEGER,
    withdrawn_reason TEXT,
    unblinded_at_ms INTEGER,  -- this participant's arm revealed (an emergency)
    UNIQUE (study_id, code)
);
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    number INTEGER NOT NULL,  -- 1 is the first (the baseline)
    state TEXT NOT NULL,  -- measuring, running, ended, missed
    due_at_ms INTEGER,  -- when it was due; NULL for the first visit
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    device_id INTEGER REFERENCES devices (id),
    address TEXT,
    on_time INTEGER NOT NULL,  -- 1: inside its window (or the first visit)
    override_reason TEXT,  -- why a visit outside its window went ahead
    outcome TEXT,  -- completed, partial, not_started, unknown, missed
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (participant_id, number)
);
CREATE TABLE visit_sessions (
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    port INTEGER NOT NULL,
    session_id INTEGER NOT NULL,  -- the device's id, chosen before start was sent
    planned_s INTEGER NOT NULL,
    delivered_s INTEGER,  -- by the device's own count; NULL: not known
    end_reason TEXT,  -- NULL: not ended yet, or never started
    started INTEGER NOT NULL DEFAULT 0,  -- 1: the device confirmed the start
    PRIMARY KEY (visit_id, port)
);
CREATE TABLE measures (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    item TEXT NOT NULL,
    phase TEXT NOT NULL,  -- before, after
    score INTEGER,  -- an NRS item, 0-10
    text TEXT,  -- a free-text item
    at_ms INTEGER NOT NULL,
    UNIQUE (visit_id, item, phase)
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies (id),
    participant_id INTEGER REFERENCES participants (id),
    at_ms INTEGER NOT NULL,
    action TEXT NOT NULL,  -- created, enrolled, visit, missed, deviation, withdrawn, unblinded
    reason TEXT,
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    data TEXT NOT NULL  -- the rest (JSON)
);
CREATE INDEX audit_by_study ON audit (study_id, at_ms);
CREATE TABLE study_devices (  -- devices a study has used: their sham is masked while blinded
    study_id INTEGER NOT NULL REFERENCES studies (id),
    device_id INTEGER NOT NULL REFERENCES devices (id),
    PRIMARY KEY (study_id, device_id)
);
"""

# Version 3: security events (IRLink 1.2) in a table of their own. Some come before the
# connection row exists (a verify runs before the link is recorded) or with no link at
# all (a pairing removed from the key store), so their device and connection may be NULL.
# Never a key, a setup code or a session key: pairing ids, device ids, counts.
_V3 = """
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    mono_ms INTEGER,  -- since its connection opened (negative: while it was set up); NULL: none
    device_id INTEGER REFERENCES devices (id),  -- NULL: a device the log has not seen
    connection_id INTEGER REFERENCES connections (id),  -- NULL: no link recorded for it
    address TEXT NOT NULL,  -- as given; '' when no device was reached
    serial TEXT,  -- the device's, when known
    kind TEXT NOT NULL,  -- verified, verify_failed, not_paired, key_changed, frames_dropped, ...
    detail TEXT NOT NULL,
    data TEXT NOT NULL,  -- the rest (JSON): pairing id, counts, ...
    host TEXT NOT NULL,
    user TEXT NOT NULL,
    pid INTEGER NOT NULL
);
CREATE INDEX security_by_time ON security_events (at_ms);
CREATE INDEX security_by_device ON security_events (device_id, at_ms);
"""

# Each migration takes a log from version i to i + 1; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations the log lacks, each in its own transaction.

    The version is read again inside each write transaction: another process opening
    the same new log at the same moment migrates it once, not twice.
    """
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                db.execute("COMMIT")
                return
            for statement in _statements(MIGRATIONS[version]):
                db.execute(statement)
            if version == 0:
                db.execute("INSERT INTO meta VALUES ('application', ?)", (APPLICATION,))
            db.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """The statements of ``script`` (executescript would commit the open transaction)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
