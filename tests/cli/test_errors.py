"""No traceback, ever: every bad value, missing extra or refusal is one ``error:`` line.

In the command line's own words (options and commands, not Python), with the
documented exit code, and with ``--json`` also an ``error`` line on stdout that the
published schema accepts. Mostly through the installed ``irlink``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import irlink
from irlink.cli.common import EXIT_BUG, EXIT_NO_DEVICE, EXIT_REFUSED, EXIT_USAGE
from irlink.cli.words import failure, missing_extra, translate
from irlink.errors import DeviceNotFound, LinkLost, RequestTimeout
from irlink.protocol.messages import ErrorCode
from irlink.refusals import refusal
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer
from tests.cli.proc import irlink as installed
from tests.cli.proc import json_lines
from tests.cli.schema import check_lines

SRC = Path(irlink.__file__).resolve().parent
# Python in a message: a call, a keyword argument, an attribute of the API.
PYTHONISM = re.compile(r"\b[a-z_.]+\(\)|\b[a-z_]+=(True|False|pulsed)\b|\bdevice\.info\b")


def one_error_line(stderr: str, says: str) -> str:
    """The one ``error:`` line of stderr (no traceback), which must say ``says``."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert says in errors[0], stderr
    assert not PYTHONISM.search(errors[0]), errors[0]
    return errors[0]


BAD_VALUES = [
    (["-d", "sim://firmat", "session", "set", "--setpoint", "abc"], {}, "--setpoint 'abc' is not"),
    (["status", "--watch", "--count", "0"], {}, "--count '0' is not a whole number from 1"),
    (["--timeout", "0.001", "info"], {}, "--timeout '0.001' is not a number from 0.01"),
    (["demo", "--speed", "0"], {}, "--speed '0' is not a number from 1 to 3600"),
    (["-d", "sim://waistband", "usage", "--since", "-1"], {}, "--since '-1' is not a whole number"),
    (["info"], {"IRLINK_TIMEOUT": "abc"}, "IRLINK_TIMEOUT='abc' is not a number"),
    (["info"], {"IRLINK_VERBOSE": "lots"}, "IRLINK_VERBOSE='lots' is not a whole number"),
    (["-d", "sim://waistband", "start", "-p", "-1"], {}, "--port '-1' is not a whole number"),
    (["-d", "sim://waistband", "start", "-p", "3"], {}, "--port 3: this device has port 1"),
    (["-d", "sim://nope", "info"], {}, "simulated families are waistband"),
    (["-d", "bogus://x", "info"], {}, "irlink does not know the scheme 'bogus'"),
    (["-d", "sim://waistband?battery=lots", "info"], {}, "battery must be a number"),
    (["-d", "sim://waistband?scenario=no-such", "info"], {}, "no scenario file 'no-such'"),
    (["-d", "sim://waistband?scenario=pad_unplug", "info"], {}, "it is for multiport"),
    (["-d", "sim://waistband", "status", "-w", "--period", "10ms"], {}, "--period 0.01s is short"),
    (["-d", "sim://waistband", "status", "--period", "soon"], {}, "--period 'soon' is not a dur"),
    (["-d", "sim://waistband", "session", "set", "--mode", "strobe"], {}, "--mode 'strobe' is"),
    (["-d", "sim://waistband", "session", "set", "--hz", "40"], {}, "give --mode pulsed or leave"),
    (["-d", "sim://waistband", "session", "set", "--duration", "2h"], {}, "--duration 2h is above"),
    (["-d", "sim://waistband", "session", "set", "--duration", "0"], {}, "--duration '0' is not"),
    (
        ["-d", "sim://waistband", "session", "set", "--setpoint", "40"],
        {},
        "--setpoint: this device",
    ),
    (["-d", "sim://multiport", "session", "set", "--sham"], {}, "leave --sham out"),
    (["-d", "sim://firmat", "session", "set", "--setpoint", "56"], {}, "pass --override if"),
    (["-d", "sim://firmat", "session", "set", "--intensity", "2"], {}, "give --setpoint"),
    (["-d", "sim://waistband", "start", "--wait", "--heartbeat", "20s"], {}, "--heartbeat 20s is"),
    (["-d", "sim://waistband", "start", "--heartbeat", "2s"], {}, "--heartbeat needs --wait"),
    (["-d", "sim://waistband", "start", "--stop-on-exit"], {}, "--stop-on-exit needs --wait"),
    (["--trace", "/no/such/dir/t.log", "-d", "sim://waistband", "info"], {}, "--trace '/no/such"),
    (["-d", "sim://waistband", "scan", "--seconds", "-1"], {}, "--seconds '-1' is not a number"),
]


@pytest.mark.parametrize(("args", "env", "says"), BAD_VALUES)
def test_a_bad_value_is_irlinks_own_line_and_exit_2(
    args: list[str], env: dict[str, str], says: str
) -> None:
    result = installed(*args, env=env)
    assert result.returncode == EXIT_USAGE, result.stderr
    one_error_line(result.stderr, says)
    assert result.stdout == ""
    with_json = installed("--json", *args, env=env)
    assert with_json.returncode == EXIT_USAGE, with_json.stderr
    [error] = json_lines(with_json.stdout)
    check_lines([error])
    assert (error["type"], error["code"], error["device_code"]) == ("error", 2, None)
    assert says in error["message"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["decode", "zz"], "'zz' is not hex"),
        (["decode"], "no frames given"),
        (["decode", "--file", "/no/such/trace.log"], "--file '/no/such/trace.log' cannot be"),
        (["sim", "serve", "waistband", "--scenario", "/no/such.yaml"], "no scenario file"),
        (["sim", "serve", "waistband", "--speed", "0"], "--speed '0' is not a number"),
    ],
)
def test_commands_with_their_own_format_refuse_bad_input_in_one_line(
    args: list[str], says: str
) -> None:
    result = installed("--json", *args)
    assert result.returncode == EXIT_USAGE, result.stderr
    one_error_line(result.stderr, says)
    assert result.stdout == ""  # they write their own formats: no JSON error line


def test_a_usage_error_keeps_clicks_usage_and_adds_the_json_line() -> None:
    result = installed("--json", "status", "--frobnicate")
    assert result.returncode == EXIT_USAGE
    assert result.stderr.startswith("Usage: irlink status")
    one_error_line(result.stderr, "No such option: --frobnicate")
    [error] = json_lines(result.stdout)
    check_lines([error])
    assert (error["code"], error["message"]) == (2, "No such option: --frobnicate")
    missing = installed("--json", "session", "set", "--port")
    assert missing.returncode == EXIT_USAGE
    assert json_lines(missing.stdout)[0]["message"] == "Option '--port' requires an argument"


@pytest.fixture
def no_bleak(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``import bleak`` fails as it does when bleak is missing."""
    for module in ("bleak", "bumble"):
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text(
            f'raise ModuleNotFoundError("No module named " + repr(__name__), name="{module}")\n'
        )
    return {"PYTHONPATH": str(tmp_path)}


@pytest.mark.parametrize("address", ["sim://waistband?link=ble", "ble://AA:BB:CC:DD:EE:FF"])
def test_a_link_whose_extra_is_missing_says_what_to_install(
    no_bleak: dict[str, str], address: str
) -> None:
    result = installed("--json", "-d", address, "status", env=no_bleak)
    assert result.returncode == EXIT_NO_DEVICE, result.stderr
    one_error_line(result.stderr, "pip install 'irlink[ble]'")
    [error] = json_lines(result.stdout)
    assert error["code"] == EXIT_NO_DEVICE


def test_every_optional_extra_has_its_install_line() -> None:
    bumble = missing_extra(ModuleNotFoundError("No module named 'bumble.core'", name="bumble.core"))
    assert bumble is not None
    assert "pip install 'irlink[bumble]'" in bumble.message
    assert missing_extra(ModuleNotFoundError("x", name="yaml")) is None


def _library_messages() -> Iterator[str]:
    """Every string in the library (outside the command line) that names Python."""
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts or "sim" in path.relative_to(SRC).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and PYTHONISM.search(node.value)
            ):
                yield node.value


def test_every_library_message_that_names_python_is_translated_for_the_shell() -> None:
    found = list(_library_messages())
    assert any("override=True" in text for text in found)  # the check sees them
    for text in found:
        assert not PYTHONISM.search(translate(text)), (text, translate(text))


def test_refusals_name_options_and_commands_with_limits_in_their_units() -> None:
    hot = failure(refusal(ErrorCode.OVER_TEMPERATURE, "start"))
    assert (hot.code, hot.device_code) == (EXIT_REFUSED, ErrorCode.OVER_TEMPERATURE)
    assert hot.message.endswith("let it cool, then run `irlink clear-fault`")
    long = failure(refusal(ErrorCode.OUT_OF_RANGE, "configure", "duration_s", 3600))
    assert long.message.startswith(
        "the device refused the session's settings: out_of_range (--duration, device limit 1h)"
    )
    assert long.option == "--duration"
    hot_mat = failure(refusal(ErrorCode.OUT_OF_RANGE, "configure", "setpoint_dc", 700))
    assert "(--setpoint, device limit 70 °C)" in hot_mat.message
    now = failure(refusal(ErrorCode.NOT_ALLOWED, "resume"))
    assert "run `irlink status` and try again" in now.message
    assert (
        "pass --override to confirm it"
        in failure(refusal(ErrorCode.OVERRIDE_REQUIRED, "configure")).message
    )


def test_link_and_discovery_errors_speak_the_command_line() -> None:
    lost = failure(
        LinkLost(
            "the link to /dev/pts/5 went down while waiting for the answer to start; read "
            "status() once events() reports LinkRestored (reconnection is off)"
        )
    )
    assert lost.code == EXIT_NO_DEVICE
    assert lost.message.endswith("run `irlink status` once the device is back")
    timeout = failure(RequestTimeout("X did not answer get_info; check it, or raise the timeout"))
    assert timeout.message.endswith("or raise --timeout")
    none = failure(DeviceNotFound("auto found no irlink device; connect to it by its address"))
    assert none.message.endswith("give its address with -d (`irlink scan` lists them)")
    bug = failure(RuntimeError("boom"))
    assert bug.code == EXIT_BUG
    assert "a bug in irlink" in bug.message


def test_a_missing_port_points_at_irlink_scan() -> None:
    result = installed("-d", "/dev/irlink-no-such-port", "info")
    assert result.returncode == EXIT_NO_DEVICE
    one_error_line(result.stderr, "(`irlink scan` lists the devices it finds)")


def test_a_refusal_is_a_json_line_with_the_devices_code() -> None:
    sim = SimulatedDevice("multiport", clock=ManualClock())
    sim.unplug_pad(1)
    with serve_in_thread(PtyServer(sim)) as server:
        result = installed("--json", "-d", server.path, "start", "-p", "1")
    assert result.returncode == EXIT_REFUSED, result.stderr
    one_error_line(result.stderr, "the device refused start: no_pad")
    [error] = json_lines(result.stdout)
    check_lines([error])
    assert (error["code"], error["device_code"]) == (EXIT_REFUSED, "no_pad")


def test_a_bug_is_one_line_with_exit_70_and_its_traceback_only_with_v(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(
        "import irlink.cli.tables\n"
        "def broken(_):\n"
        "    raise RuntimeError('a bug')\n"
        "irlink.cli.tables.print_info = broken\n"
    )
    env = {"PYTHONPATH": str(tmp_path)}
    result = installed("-d", "sim://waistband", "info", env=env)
    assert result.returncode == EXIT_BUG
    one_error_line(result.stderr, "irlink failed unexpectedly (RuntimeError: a bug)")
    assert "Traceback" in installed("-v", "-d", "sim://waistband", "info", env=env).stderr


def test_a_message_of_several_lines_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ndoc: y\nsteps: [oops\n")
    result = installed("--json", "-d", f"sim://waistband?scenario={broken}", "info")
    assert result.returncode == EXIT_USAGE
    [line] = result.stderr.splitlines()
    one_error_line(line, "not valid YAML")
    [error] = json_lines(result.stdout)
    assert "\n" not in error["message"]


def test_what_a_refusal_explains_beyond_its_advice_is_kept() -> None:
    error = refusal(ErrorCode.NOT_ALLOWED, "start")
    error.args = ("the device refused start: not_allowed: session 7 holds it; read the status",)
    said = failure(error)
    assert said.message == (
        "the device refused start: not_allowed: session 7 holds it; run `irlink status`"
    )
