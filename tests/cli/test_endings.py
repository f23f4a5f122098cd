"""A short session is not a success: ``start --wait`` and ``demo`` tell completed from early.

Accelerated simulated devices (600x: ten minutes take a second), with the shipped
scenario that pulls port 2's pad out five minutes in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from irlink.cli.common import EXIT_ENDED_EARLY
from irlink.events import SessionEnded
from irlink.protocol.messages import EndReason
from tests.cli.proc import irlink as installed
from tests.cli.proc import json_lines
from tests.cli.schema import check_lines
from tests.cli.test_commands import irlink, lines

UNPLUGGED = "sim://multiport?speed=600&scenario=pad_unplug"


@pytest.mark.parametrize("reason", list(EndReason))
def test_a_session_ended_event_says_whether_it_completed(reason: EndReason) -> None:
    ended = SessionEnded(port=1, session_id=7, reason=reason, delivered=timedelta(minutes=3))
    assert ended.completed is (reason is EndReason.COMPLETED)


def test_a_session_cut_short_exits_5_with_the_reason_and_what_was_delivered() -> None:
    result = irlink("--json", "-d", UNPLUGGED, "start", "--duration", "10m", "--wait")
    assert result.exit_code == EXIT_ENDED_EARLY, result.output
    parsed = lines(result)
    summaries = {s["port"]: s for s in parsed if s["type"] == "summary"}
    assert (summaries[1]["completed"], summaries[1]["reason"]) == (True, "completed")
    short = summaries[2]
    assert (short["completed"], short["reason"]) == (False, "pad_detached")
    assert 0 < short["delivered"] < short["planned"] == 600
    error = parsed[-1]
    assert (error["type"], error["code"], error["device_code"]) == ("error", 5, None)
    assert "ended early" in error["message"]
    assert "port 2: pad_detached" in error["message"]


def test_the_text_says_plainly_it_ended_early_why_and_how_much_was_delivered() -> None:
    result = irlink("-d", UNPLUGGED, "start", "--duration", "10m", "--wait")
    assert result.exit_code == EXIT_ENDED_EARLY, result.output
    out = result.stdout.splitlines()
    [done] = [line for line in out if "on port 1" in line]
    [early] = [line for line in out if "on port 2" in line]
    assert done.endswith("completed: delivered 10m of the planned 10m")
    assert "ended early: the pad was unplugged (pad_detached); delivered " in early
    assert early.endswith("of the planned 10m")
    assert result.stderr.strip().splitlines()[-1].startswith("error: session ")


def test_a_completed_session_exits_0_and_says_completed() -> None:
    result = irlink("-d", "sim://waistband?speed=600", "start", "--duration", "10m", "--wait")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip()
        .splitlines()[-1]
        .endswith("completed: delivered 10m of the planned 10m")
    )


def test_the_demo_summary_says_completed() -> None:
    [summary] = [
        x for x in lines(irlink("--json", "demo", "--speed", "600")) if x["type"] == "summary"
    ]
    assert (summary["completed"], summary["reason"]) == (True, "completed")


def test_the_installed_irlink_exits_5_for_a_session_that_ended_early() -> None:
    result = installed("--json", "-d", UNPLUGGED, "start", "--duration", "10m", "--wait")
    assert result.returncode == EXIT_ENDED_EARLY, result.stderr
    assert "Traceback" not in result.stderr
    parsed = json_lines(result.stdout)
    check_lines(parsed)
    assert [s["completed"] for s in parsed if s["type"] == "summary"] == [True, False]
    assert parsed[-1]["code"] == EXIT_ENDED_EARLY


def test_the_exit_codes_are_documented_where_people_look() -> None:
    from pathlib import Path

    import irlink.cli
    from irlink.cli import EPILOG

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for code, words in [(5, "ended early"), (70, "bug"), (141, "closed")]:
        assert f"| {code} |" in readme
        assert f"{code} " in EPILOG
        assert words in readme.split(f"| {code} |")[1].splitlines()[0]
    assert irlink.cli.common.EXIT_ENDED_EARLY == 5
    assert "5 the session ended early" in " ".join(installed("--help").stdout.split())
