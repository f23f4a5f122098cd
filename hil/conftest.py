"""The hil suite's plumbing: what it runs against, capability markers, async tests, JUnit.

``pytest hil`` runs every test against three accelerated simulators, one per family;
``pytest hil --device ADDRESS`` (or ``IRLINK_HIL_DEVICE=ADDRESS``) runs them once
against that device. Tests are ``async def`` functions taking the ``dut`` fixture; they
run on the device's own event loop (see hil/rig.py). hil/README.md tells the rest.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
from collections.abc import Callable, Iterator

import pytest

from hil.rig import CAPABILITIES, Dut, Target, connected, identity, missing
from irlink.durations import format_duration
from irlink.errors import AddressError
from irlink.sim.provision import TRUST_ENV

ENV = "IRLINK_HIL_DEVICE"
TARGETS = pytest.StashKey[list[Target]]()
IDENTITIES = pytest.StashKey[dict[str, dict[str, str]]]()
# The order a firmware engineer reads the results in; it also gives the core session rules
# the few starts a real device allows a day per port (protocols/README.md 7.6).
ORDER = [
    "test_info",
    "test_limits",
    "test_sessions",
    "test_link",
    "test_capabilities",
    "test_revision",
    "test_security",
]
_NEED = re.compile(rf"({'|'.join(CAPABILITIES)}|ports>=[1-4])")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "IRLink hardware-in-the-loop conformance suite")
    group.addoption(
        "--device",
        metavar="ADDRESS",
        help=f"run the hil suite against the device at ADDRESS (a serial port, socket://, "
        f"ble://, sim://...; or set {ENV}); default: one accelerated simulator per family",
    )
    group.addoption(
        "--hil-long",
        action="store_true",
        help="on a real-time device also run the tests marked long (whole sessions "
        "on the device's own timer)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(capability): run only on a device whose info advertises the capability "
        "(battery, sham, heater, light, pulsed) or has enough ports (ports>=N)",
    )
    config.addinivalue_line(
        "markers",
        "long: takes whole sessions of device time: skipped on a real-time device "
        "unless --hil-long is given",
    )
    option, env = config.getoption("device"), os.environ.get(ENV)
    try:
        if option:
            targets = [Target.given(option, "--device")]
        elif env:
            targets = [Target.given(env, ENV)]
        else:
            targets = Target.simulators()
    except AddressError as exc:
        raise pytest.UsageError(f"hil: {exc}") from None
    config.stash[TARGETS] = targets
    config.stash[IDENTITIES] = {}


def pytest_report_header(config: pytest.Config) -> list[str]:
    targets = config.stash[TARGETS]
    lines = [f"hil: runs against {target.describe()}" for target in targets]
    if targets[0].source == "default":
        lines.append(f"hil: no --device or {ENV}: the suite runs against simulators")
    if all(target.accelerated for target in targets):
        lines.append("hil: long tests run (the device's clock is accelerated)")
    elif config.getoption("hil_long"):
        lines.append("hil: long tests run in real time (--hil-long)")
    else:
        lines.append("hil: long tests skipped (real time; add --hil-long to run them)")
    return lines


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by target
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for mark in item.iter_markers("needs"):
            for need in mark.args:
                if not _NEED.fullmatch(str(need)):
                    raise pytest.UsageError(
                        f"{item.nodeid}: needs({need!r}): a need is one of "
                        f"{', '.join(CAPABILITIES)} or ports>=N"
                    )
    targets = [t.label for t in config.stash[TARGETS]]
    items.sort(key=lambda item: _place(item, targets))


def _place(item: pytest.Item, targets: list[str]) -> tuple[int, int]:
    """Per target, the modules in ORDER; tests outside hil/ first, as they were."""
    callspec = getattr(item, "callspec", None)
    module = getattr(item, "module", None)
    name = getattr(module, "__name__", "").rpartition(".")[2]
    if callspec is None or "target" not in callspec.params or name not in ORDER:
        return (-1, 0)
    return (targets.index(callspec.params["target"].label), ORDER.index(name))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        targets = metafunc.config.stash[TARGETS]
        metafunc.parametrize(
            "target", targets, ids=[t.label for t in targets], indirect=True, scope="session"
        )


@pytest.fixture(autouse=True, scope="session")
def _simulators_trust_the_suite(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Against simulators (sim://, made in this process): a key store in a temporary folder,
    and every simulated device provisioned with a pairing of its host (a factory pairing,
    :mod:`irlink.sim.provision`), so each test's fresh simulator is verified at once.
    Against a device, the user's own key store: pair with it first (`irlink pair`)."""
    if not all(target.simulated for target in request.config.stash[TARGETS]):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IRLINK_CONFIG", str(tmp_path_factory.mktemp("config") / "irlink"))
        patch.setenv(TRUST_ENV, "1")
        yield


@pytest.fixture(scope="session")
def target(
    request: pytest.FixtureRequest, record_testsuite_property: Callable[[str, object], None]
) -> Target:
    """The device the suite runs against, with the info it gave once at the start."""
    given: Target = request.param
    with connected(given) as dut:
        info = dut.info
    named = identity(info)
    request.config.stash[IDENTITIES][given.label] = named
    record_testsuite_property(f"{given.label}.address", given.address)
    for key, value in named.items():
        record_testsuite_property(f"{given.label}.{key}", value)
    return dataclasses.replace(given, info=info)


@pytest.fixture
def dut(target: Target, request: pytest.FixtureRequest) -> Iterator[Dut]:
    """The device under test, connected for this test; left with every port stopped."""
    info = target.info
    assert info is not None
    for mark in request.node.iter_markers("needs"):
        for need in mark.args:
            why = missing(info, need)
            if why:
                pytest.skip(f"needs {need}: {info.model} {info.serial} at {target.address}: {why}")
    if (
        request.node.get_closest_marker("long")
        and not target.accelerated
        and not request.config.getoption("hil_long")
    ):
        pytest.skip(
            f"long: runs on the device's own timer, up to a whole session "
            f"({format_duration(info.session_min)}) of real time on {target.address}; "
            "add --hil-long to run it"
        )
    if _per_test_properties(request.config):
        record = request.getfixturevalue("record_property")
        for key, value in identity(info).items():
            record(f"device.{key}", value)
    with connected(target) as device:
        yield device


def _per_test_properties(config: pytest.Config) -> bool:
    """Whether the JUnit flavour allows properties on a test case (xunit2 does not)."""
    try:
        return str(config.getini("junit_family")) in ("legacy", "xunit1")
    except ValueError:  # the junitxml plugin is off
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` hil test on its device's event loop."""
    test = pyfuncitem.obj
    if not inspect.iscoroutinefunction(test):
        return None
    dut = pyfuncitem.funcargs.get("dut")
    if not isinstance(dut, Dut):
        pytest.fail(f"{pyfuncitem.nodeid}: an async hil test takes the dut fixture", pytrace=False)
    args = {name: pyfuncitem.funcargs[name] for name in inspect.signature(test).parameters}
    dut.run(test(**args))
    return True


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for label, named in terminalreporter.config.stash.get(IDENTITIES, {}).items():
        terminalreporter.write_line(
            f"hil {label}: {named['model']} serial {named['serial']}, firmware "
            f"{named['firmware']}, hardware {named['hardware']}, family {named['family']}"
        )
