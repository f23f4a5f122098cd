"""``irlink study visit`` as a real process: a SIGKILL mid-session, then the visit carried on."""

from __future__ import annotations

import signal
from pathlib import Path

from irlink.record import SessionLog
from tests.cli.proc import START_S, irlink, json_lines, read_until, started
from tests.regimen.rig import SHORT
from tests.test_cli_sim import serving

ANSWER = ["--answer", "nrs_overall=6", "--answer", "remarks=fine"]


def test_a_visit_killed_mid_session_is_carried_on_and_its_session_never_runs_twice(
    tmp_path: Path,
) -> None:
    db, regimen = tmp_path / "sessions.db", tmp_path / "short.yaml"
    regimen.write_text(SHORT, encoding="utf-8")
    base = ["--db", str(db)]
    assert irlink(*base, "study", "create", str(regimen)).returncode == 0
    assert irlink(*base, "study", "enrol", "short", "P01").returncode == 0
    with serving(1, "waistband", "--tcp", "0", "--speed", "120") as (_, [[_, _, url]]):
        visit = [*base, "-d", url, "study", "visit", "short", "-p", "P01", "--no-heartbeat"]
        with started(*visit, *ANSWER) as first:
            read_until(first, b"left, running")  # the session runs on the device
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=START_S)
        assert first.returncode == -signal.SIGKILL
        with SessionLog.open(db, readonly=True) as log:
            states = [r[0] for r in log.db.execute("SELECT state FROM visits")]
        assert states == ["running"]  # begun, its session planned and started, never ended
        again = irlink(*visit, "--json")
        usage = irlink("--no-log", "-d", url, "--json", "usage")
    assert again.returncode == 0, again.stderr
    [done] = [line for line in json_lines(again.stdout) if line["type"] == "visit"]
    assert done["resumed"] is True
    assert done["completed"] is True
    assert done["visit"] == 1
    assert done["sessions"][0]["delivered_s"] == 600
    records = [line for line in json_lines(usage.stdout) if line["type"] == "usage_record"]
    assert [r["session_id"] for r in records] == [done["sessions"][0]["session_id"]]
    assert "sham" not in again.stdout.replace('"sham": null', "")
