"""The command line and a device in a blinded study: no output shows its sham, its sessions
are not set by hand, and a frame trace is refused before its first status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from irlink.protocol.messages import PortState
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer
from tests.cli.test_commands import irlink, lines
from tests.record.logs import add_study, make_blinded_log

SERIAL = "0042"
USED_BY = "device IRL-W2 0042 is used by blinded study gale-2006"
FAST_SIM = f"sim://waistband?speed=600&serial={SERIAL}"


@pytest.fixture
def blinded(tmp_path: Path) -> Iterator[tuple[SimulatedDevice, str, str]]:
    """A waistband on a pty running a sham session, then put in the blinded study
    gale-2006 of the log: the device, its address and the log's path."""
    sim = SimulatedDevice("waistband", clock=ManualClock(), serial=SERIAL)
    db = str(tmp_path / "sessions.db")
    with serve_in_thread(PtyServer(sim)) as server:
        path = server.path
        args = ["--duration", "10m", "--intensity", "2", "--sham"]
        done = irlink("--db", db, "-d", path, "session", "set", "-p", "1", *args)
        assert done.exit_code == 0, done.output
        assert "sham (no output)" in done.stdout  # before the study: said as it is
        assert irlink("--db", db, "-d", path, "start", "-p", "1").exit_code == 0
        add_study(Path(db), "gale-2006", SERIAL, simulated=False)
        yield sim, path, db


def test_status_shows_blinded_where_the_sham_would_be(
    blinded: tuple[SimulatedDevice, str, str],
) -> None:
    sim, path, db = blinded
    text = irlink("--db", db, "-d", path, "status")
    assert text.exit_code == 0, text.output
    assert "blinded" in text.stdout
    assert "sham" not in text.stdout
    assert "real output" not in text.stdout
    [status] = lines(irlink("--db", db, "-d", path, "--json", "status"))
    assert status["ports"][0]["state"] == "running"
    assert status["ports"][0]["sham"] is None
    [unlogged] = lines(irlink("--db", db, "--no-log", "-d", path, "--json", "status"))
    assert unlogged["ports"][0]["sham"] is None  # the log is read all the same
    assert sim.port_state(1) is PortState.RUNNING
    assert not sim.output_on(1)


def test_usage_shows_blinded_and_null(blinded: tuple[SimulatedDevice, str, str]) -> None:
    sim, path, db = blinded
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(600)
    text = irlink("--db", db, "-d", path, "usage")
    assert text.exit_code == 0, text.output
    header, row = text.stdout.splitlines()
    assert "sham" in header  # the column
    assert "blinded" in row
    assert "sham" not in row
    [record] = lines(irlink("--db", db, "-d", path, "--json", "usage"))
    assert record["sham"] is None


@pytest.mark.parametrize(
    "args",
    [
        ["session", "set", "-p", "1", "--duration", "20m"],
        ["session", "set", "--no-sham"],
        ["start", "-p", "1", "--duration", "20m"],
    ],
    ids=["session set", "session set --no-sham", "start --duration"],
)
def test_a_blinded_devices_sessions_are_not_set_by_hand(
    blinded: tuple[SimulatedDevice, str, str], args: list[str]
) -> None:
    sim, path, db = blinded
    sim.clock.advance(600)  # type: ignore[attr-defined]  (the session over: ports idle)
    done = irlink("--db", db, "-d", path, "--json", *args)
    assert done.exit_code == 2
    said = (
        f"error: {USED_BY}: its sessions are set by `irlink study visit`; unblind the study "
        "first to set them by hand\n"
    )
    assert done.stderr == said
    [error] = lines(done)
    assert error["type"] == "error"
    assert sim.memory.starts == {1: [0.0]}  # nothing started
    assert irlink("--db", db, "-d", path, "--json", "stop").exit_code == 0  # safety stays


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--trace", "TRACE"], {}, "--trace would show the sham setting of a blinded study"),
        ([], {"IRLINK_TRACE": "TRACE"}, "leave --trace (IRLINK_TRACE) out until study"),
        (["-vvv"], {}, "-vvv would show every frame"),
    ],
    ids=["--trace", "IRLINK_TRACE", "-vvv"],
)
def test_a_trace_of_a_blinded_device_is_refused_before_its_first_status(
    blinded: tuple[SimulatedDevice, str, str],
    tmp_path: Path,
    args: list[str],
    env: dict[str, str],
    says: str,
) -> None:
    _, path, db = blinded
    trace = tmp_path / "frames.txt"
    swap = {"TRACE": str(trace)}
    args = [swap.get(a, a) for a in args]
    env = {key: swap.get(value, value) for key, value in env.items()}
    done = irlink("--db", db, *args, "-d", path, "status", env=env)
    assert done.exit_code == 2, done.output
    assert USED_BY in done.stderr
    assert says in done.stderr
    assert "until study gale-2006 is unblinded" in done.stderr
    frames = trace.read_text() if trace.exists() else ""
    assert "get_status" not in frames + done.stderr
    assert "get_info" in frames + done.stderr  # what the device is was read: it decides


def test_live_views_of_a_blinded_device_show_no_sham(tmp_path: Path) -> None:
    db = str(tmp_path / "sessions.db")
    assert irlink("--db", db, "-d", FAST_SIM, "status").exit_code == 0  # the device's row
    add_study(Path(db), "gale-2006", SERIAL)
    watched = lines(
        irlink("--db", db, "--json", "-d", FAST_SIM, "status", "--watch", "--count", "2")
    )
    followed = lines(irlink("--db", db, "--json", "-d", FAST_SIM, "start", "-p", "1", "--wait"))
    shams = [
        port["sham"]
        for line in watched + followed
        if line["type"] in ("status", "status_update")
        for port in line["status"]["ports"]
    ]
    assert len(shams) >= 2
    assert set(shams) == {None}
    assert followed[-1]["type"] == "summary"
    assert irlink("--db", db, "-d", "sim://waistband?serial=0043", "status").exit_code == 0
    [other] = lines(irlink("--db", db, "--json", "-d", "sim://waistband?serial=0043", "status"))
    assert other["ports"][0]["sham"] is False  # a device in no study: as it is


def test_the_log_of_a_blinded_device_shows_no_sham(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    make_blinded_log(db)
    found = lines(irlink("--db", str(db), "--json", "log", "show", "1"))
    assert found[0]["serial"] == SERIAL
    assert found[0]["sham"] is None
    configure = [c for c in found if c["type"] == "logged_command" and c["name"] == "configure"]
    assert [c["args"]["sham"] for c in configure] == [None]
    for args in (["log", "show", "1"], ["log", "sessions", "--serial", SERIAL]):
        text = irlink("--db", str(db), *args)
        assert text.exit_code == 0, text.output
        for telling in ("sham true", "sham false", "sham (no output)", "real output"):
            assert telling not in text.stdout
