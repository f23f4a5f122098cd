"""``irlink regimen check``, ``examples``, ``show`` and ``schema``: regimen files before a course.

``check`` reads a regimen file and says every problem with its line and fix (exit 2);
with ``-d`` it connects and checks every visit's session against the limits the device
advertises, without it against its family's published profile (``protocols/devices/``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from irlink.cli.common import DeviceHere, JsonHere, Options, emit, fail, options, run, write_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from irlink.device import Device
    from irlink.model import Info
    from irlink.regimen.files import Problem
    from irlink.regimen.model import Regimen

__all__ = ["load", "profile_info", "refuse", "register"]

Source = Annotated[
    str,
    typer.Argument(
        metavar="FILE",
        help="A regimen file (YAML), or the name of an example (`irlink regimen examples`).",
        show_default=False,
    ),
]


def refuse(opts: Options, problems: Sequence[Problem], summary: str) -> NoReturn:
    """End the command with every problem, one per line (a ``regimen_problem`` line each
    with ``--json``), then ``summary`` as the error (exit 2); one problem is the error."""
    for problem in problems:
        if opts.json:
            write_json("regimen_problem", problem)
        elif len(problems) > 1:
            typer.echo(f"error: {problem}", err=True)
    fail(str(problems[0]) if len(problems) == 1 else summary)


def load(opts: Options, source: str) -> tuple[str, str, Regimen]:
    """The regimen at ``source`` (a file, or an example's name): its name, text and model."""
    from pathlib import Path  # noqa: PLC0415

    from irlink.regimen import RegimenError, example, examples, load_regimen  # noqa: PLC0415
    from irlink.regimen.files import Problem  # noqa: PLC0415

    path = Path(source)
    if not path.exists() and source in examples():
        path = example(source)
    elif not path.exists():
        known = ", ".join(examples())
        said = f"no such file; give a regimen file's path, or an example's name ({known})"
        refuse(opts, [Problem(source, None, "", said)], said)
    try:
        regimen = load_regimen(path)
    except RegimenError as error:
        count = len(error.problems)
        refuse(
            opts,
            error.problems,
            f"{source}: {count} problem{'s' if count != 1 else ''} in the regimen; fix "
            f"{'it' if count == 1 else 'each'} as said, then run `irlink regimen check "
            f"{source}` again",
        )
    return source, path.read_text(encoding="utf-8"), regimen


def profile_info(family: str) -> Info:
    """The limits the family's published profile advertises, as a device of it says them."""
    from irlink.model import Info  # noqa: PLC0415
    from irlink.sim.model import Hardware  # noqa: PLC0415
    from irlink.sim.state import info_response  # noqa: PLC0415
    from irlink.spec import load_device_profile  # noqa: PLC0415

    return Info.from_wire(info_response(Hardware.build(load_device_profile(family)), "profile"))


def _device_given(ctx: typer.Context, device_here: str | None) -> bool:
    """Whether a device was named: -d here, or the global -d or IRLINK_DEVICE."""
    source = ctx.find_root().get_parameter_source("device")
    return device_here is not None or getattr(source, "name", "DEFAULT") != "DEFAULT"


def check(
    ctx: typer.Context,
    source: Source,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Check a regimen file: its fields, then every visit's session on every port, each
    arm's sham, and the visits a day, against the device's limits (-d ADDRESS, or
    IRLINK_DEVICE, connects; without either, the published limits of its family). Every
    problem is said with its line and fix (exit 2)."""
    opts = options(ctx, device_here, json_here)
    from irlink.cli.study_lines import RegimenFits  # noqa: PLC0415
    from irlink.regimen.fit import describe, misfits  # noqa: PLC0415

    name, text, regimen = load(opts, source)
    connect = _device_given(ctx, device_here)
    if connect:

        async def body(device: Device, _: Options) -> Info:
            return device.info

        info = run(ctx, body, device_here, json_here)
        where = f"{opts.device} ({info.model}, serial {info.serial})"
    else:
        info = profile_info(regimen.family)
        where = f"the {regimen.family} profile ({info.model}, protocols/devices/)"
    problems = misfits(regimen, info, text=text, name=name)
    if problems:
        count = len(problems)
        refuse(
            opts,
            problems,
            f"{name} does not fit {where}: {count} problem{'s' if count != 1 else ''}; fix "
            f"{'it' if count == 1 else 'each'} as said, then check again",
        )
    fits = RegimenFits(
        regimen.name,
        name,
        regimen.family,
        "device" if connect else "profile",
        opts.device if connect else None,
        info.model,
        info.serial if connect else None,
        regimen.visits.count,
        describe(regimen),
    )
    said = f"ok: {regimen.name} fits {where}: {describe(regimen)}"
    if not connect:
        said += (
            "\nchecked against the family's published limits, not a device: check again "
            "with -d ADDRESS against the device the course will use"
        )
    emit(opts, "regimen_fits", fits, functools.partial(typer.echo, said))


def list_examples(ctx: typer.Context, json_here: JsonHere = False) -> None:
    """List the example regimens shipped with irlink: name, family and title
    (`irlink regimen show NAME > my.yaml` copies one to edit)."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_lines import RegimenExample  # noqa: PLC0415
    from irlink.regimen import example, examples, load_regimen  # noqa: PLC0415

    found = [(name, load_regimen(example(name))) for name in examples()]
    wide = max(len(name) for name, _ in found)
    for name, regimen in found:
        line = RegimenExample(name, regimen.title, regimen.family, regimen.study is not None)
        said = f"{name:<{wide}}  {regimen.family:<9}  {regimen.title}"
        emit(opts, "regimen_example", line, functools.partial(typer.echo, said))


def show(ctx: typer.Context, source: Source) -> None:
    """Print a regimen file as YAML: an example, to copy and edit
    (`irlink regimen show gale-2006 > trial.yaml`), or a file, once it reads."""
    _, text, _ = load(options(ctx), source)
    typer.echo(text, nl=not text.endswith("\n"))


def schema() -> None:
    """Print the JSON Schema of regimen files (editors use it to check and complete them)."""
    import json  # noqa: PLC0415

    from irlink.regimen import regimen_schema  # noqa: PLC0415

    typer.echo(json.dumps(regimen_schema(), indent=2))


def register(app: typer.Typer) -> None:
    """Add these commands to ``irlink regimen``."""
    app.command("check")(check)
    app.command("examples")(list_examples)
    app.command("show")(show)
    app.command("schema")(schema)
