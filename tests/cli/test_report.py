"""``irlink report``: the page written, a JSON line, and one error line when it cannot be."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from irlink.cli import app
from irlink.cli.common import EXIT_OK, EXIT_USAGE
from tests.cli.schema import check_lines
from tests.record.conftest import four_days

runner = CliRunner()


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return four_days(tmp_path_factory.mktemp("cli-report") / "sessions.db")


def one_error(stderr: str, says: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert says in lines[0], stderr


def test_report_writes_the_page_and_says_where(log_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["--db", str(log_path), "report", "--out", str(out)])
    assert result.exit_code == EXIT_OK, result.stderr
    assert f"wrote {out}: 4 session(s) of 1 device(s)" in result.stdout
    assert "Infrared therapy sessions" in out.read_text(encoding="utf-8")


def test_report_json_is_one_line_the_schema_accepts(log_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    args = ["--db", str(log_path), "--json", "report", "-o", str(out), "--plots-days", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    check_lines([line])
    assert line == {
        "type": "report",
        "path": str(out.resolve()),
        "devices": 1,
        "sessions": 4,
        "plotted": 0,
        "plots_from": None,
        "plots_until": None,
    }


def test_report_without_matplotlib_names_the_extra(
    log_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib: ImportError
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["--db", str(log_path), "report", "--out", str(out)])
    assert result.exit_code == EXIT_USAGE
    one_error(result.stderr, "pip install 'irlink[report]'")
    assert not out.exists()


def test_report_of_a_missing_log_is_one_error_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.db"), "report"])
    assert result.exit_code == EXIT_USAGE
    one_error(result.stderr, f"there is no session log at {tmp_path / 'none.db'}")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "2026-13-01"], "--since '2026-13-01' is not a day"),
        (["--since", "2026-11-22", "--until", "2026-11-21"], "--until 2026-11-21 is before"),
        (["--plots-days", "-1"], "--plots-days '-1' is not a whole number"),
        (["--serial", "XX"], "has no device with serial XX (it has: WB-0001)"),
        (["--out", "/nonexistent/dir/r.html"], "--out '/nonexistent/dir/r.html' cannot be"),
    ],
)
def test_report_bad_options_are_one_error_line(log_path: Path, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["--db", str(log_path), "report", *args])
    assert result.exit_code == EXIT_USAGE
    one_error(result.stderr, says)
