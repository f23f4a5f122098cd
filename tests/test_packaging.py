"""The wheel ships protocols/ inside the package, and irlink.spec reads it from there.

It also ships the published JSON Schema of `irlink --json` lines beside the command line,
and the regimen files' schema and example regimens beside irlink.regimen.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("irlink-*.whl")
    return built


def test_wheel_contains_every_file_of_protocols(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "protocols").rglob("*") if p.is_file()
    }
    assert shipped
    assert {f"irlink/{name}" for name in shipped} <= names
    assert "irlink/py.typed" in names


def test_wheel_ships_the_published_schema_of_json_output(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert (ROOT / "src/irlink/cli/irlink-output.schema.json").is_file()
    assert "irlink/cli/irlink-output.schema.json" in names


def test_wheel_ships_the_regimen_schema_and_every_example_regimen(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = ROOT / "src" / "irlink" / "regimen"
    shipped = [folder / "regimen.schema.json", *sorted((folder / "examples").glob("*.yaml"))]
    assert len(shipped) > 3
    for path in shipped:
        assert path.is_file()
        assert f"irlink/{path.relative_to(ROOT / 'src' / 'irlink').as_posix()}" in names


def test_installed_wheel_loads_the_spec_from_inside_the_package(
    wheel: Path, tmp_path: Path
) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    code = (
        "import irlink.spec as s; d = s.protocols_dir(); "
        "s.load_protocol(); s.load_gatt(); s.load_device_profiles(); "
        "import irlink.regimen as r; r.regimen_schema(); "
        "[r.load_regimen(r.example(n)) for n in r.examples()]; print(d)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "irlink" / "protocols")


def test_every_top_level_name_loads_lazily() -> None:
    import irlink

    for name in irlink.__all__:
        assert getattr(irlink, name) is not None, name
    assert sorted(irlink._HOME_OF) == sorted(set(irlink.__all__) - {"__version__"})
