"""``irlink study visit`` and ``irlink regimen run``: one visit, through the runner.

The visit due (or the one an interruption left open) is run on ``-d DEVICE``: the
before-session measures asked at the terminal (or given with ``--answer`` /
``--answers FILE`` in scripts), the device configured from the regimen and the sealed
allocation, the session followed live, the after-session measures, all kept in the
session log. A blinded study's device is connected blinded: nothing printed shows
the sham setting. The device's heartbeat is armed (2 s, or the device's longest if
shorter): if irlink dies, the device stops output after its missed beats.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from irlink.cli.common import (
    EXIT_ENDED_EARLY,
    DeviceHere,
    Failure,
    JsonHere,
    Options,
    emit,
    fail,
    guarded,
    options,
    trace_sink,
)

if TYPE_CHECKING:
    from irlink.events import DeviceEvent
    from irlink.regimen.model import Measure
    from irlink.regimen.runner import VisitDone

Answers = Annotated[
    list[str] | None,
    typer.Option(
        "--answer",
        metavar="ITEM=VALUE",
        help="An answer to a measure, e.g. --answer nrs_overall=7 (repeat for each item); "
        "items not given are asked at a terminal.",
        show_default=False,
    ),
]
AnswersFile = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="A YAML or JSON file of answers, item: value.",
        show_default=False,
    ),
]
Override = Annotated[
    str | None,
    typer.Option(
        "--override",
        metavar="REASON",
        help="Run a visit outside its window; the reason is kept as a protocol deviation.",
        show_default=False,
    ),
]
NoHeartbeat = Annotated[
    bool,
    typer.Option(
        "--no-heartbeat",
        help="No heartbeat: if irlink dies, output runs on to the device's timer.",
    ),
]


def visit(
    ctx: typer.Context,
    study: Annotated[str, typer.Argument(metavar="STUDY", help="The study's name.")],
    participant: Annotated[
        str, typer.Option("--participant", "-p", metavar="CODE", help="The participant's code.")
    ],
    answer: Answers = None,
    answers: AnswersFile = None,
    override: Override = None,
    no_heartbeat: NoHeartbeat = False,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Run the visit a participant is due for (or carry on one left open): measures,
    the session on the device, and the answers after it. A session that ended early
    exits 5."""
    opts = options(ctx, device_here, json_here)
    given = _given(answer, answers)
    _visit(opts, lambda log: _named(log, study), participant, given, override, no_heartbeat)


def run_course(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The regimen file.")],
    participant: Annotated[
        str,
        typer.Option("--participant", "-p", metavar="CODE", help="Whose course (default: self)."),
    ] = "self",
    answer: Answers = None,
    answers: AnswersFile = None,
    override: Override = None,
    no_heartbeat: NoHeartbeat = False,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Run the next session of a personal course (a regimen without a study): the course
    is kept in the session log under the regimen's name, and each run does the visit due."""
    opts = options(ctx, device_here, json_here)
    given = _given(answer, answers)
    _visit(
        opts,
        lambda log: _course(log, file, participant),
        participant,
        given,
        override,
        no_heartbeat,
    )


def _given(pairs: list[str] | None, file: Path | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if file is not None:
        import yaml  # noqa: PLC0415

        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            fail(
                f"{file}: cannot be read as answers ({error}); give a YAML or JSON file",
                option="--answers",
            )
        if not isinstance(data, dict):
            fail(f"{file}: answers are a mapping, item: value", option="--answers")
        found.update({str(k): v for k, v in data.items()})
    for pair in pairs or []:
        item, sep, value = pair.partition("=")
        if not sep or not item.strip():
            fail(f"--answer {pair!r}: write ITEM=VALUE, e.g. nrs_overall=7", option="--answer")
        found[item.strip()] = value.strip()
    return found


def _named(log: Any, name: str) -> Any:
    from irlink.regimen.studies import find_study  # noqa: PLC0415

    return find_study(log, name)


def _course(log: Any, file: Path, participant: str) -> Any:
    """The course of ``file`` in the log, created (and ``participant`` enrolled) if new."""
    from irlink.regimen import load_regimen  # noqa: PLC0415
    from irlink.regimen.studies import (  # noqa: PLC0415
        StudyError,
        create_study,
        enrol,
        find_participant,
        find_study,
    )

    regimen = load_regimen(file)
    if regimen.study is not None:
        fail(
            f"{file} describes a study (it has arms): run its visits with `irlink study visit`; "
            "`regimen run` is for a personal course",
            option="FILE",
        )
    try:
        course = find_study(log, regimen.name)
    except StudyError:
        course = create_study(log, file.read_text(encoding="utf-8"), source=str(file))
    if course.regimen != regimen:
        fail(
            f"the course {regimen.name} in the log was made from another version of {file}: "
            "keep the file as it was, or rename the course (name:) to start a new one",
            option="FILE",
        )
    try:
        find_participant(log, course, participant)
    except StudyError:
        enrol(log, course, participant)
    return course


def _visit(
    opts: Options,
    find: Any,
    participant: str,
    given: dict[str, Any],
    override: str | None,
    no_heartbeat: bool,
) -> None:
    async def connected() -> VisitDone:
        import irlink  # noqa: PLC0415
        from irlink.cli.heartbeat import arm  # noqa: PLC0415
        from irlink.cli.recording import open_recording  # noqa: PLC0415
        from irlink.regimen.runner import run_visit  # noqa: PLC0415

        with contextlib.ExitStack() as stack:
            recording = open_recording(opts, stack)
            log = recording.log
            if log is None:
                fail(
                    "a visit is kept in the session log, and it cannot be opened "
                    f"({recording.failure or '--no-log was given'}); give a writable --db",
                    option="--db",
                )
            study = find(log)
            if study.blinded and opts.trace:
                fail(
                    f"--trace would show the sham setting of blinded study {study.name}; leave "
                    "--trace out until the study is unblinded",
                    option="--trace",
                )
            view = _View(opts)
            async with irlink.connect(
                opts.device,
                timeout=opts.timeout,
                status_period=1,
                blind=study.blinded,
                trace=trace_sink(opts, stack),
                log=log,
            ) as device:
                if not no_heartbeat:
                    await arm(device, None)
                done = await run_visit(
                    log,
                    study,
                    participant,
                    device,
                    answers=given,
                    ask=_prompt if sys.stdin.isatty() and not opts.json else None,
                    override=override,
                    on_event=view.take,
                )
            recording.check()
            return done

    done = guarded(opts, connected)
    emit(opts, "visit", _result(done), lambda: typer.echo(_text(done)))
    if not done.completed:
        raise Failure(
            f"visit {done.number} of {done.participant} did not complete: {done.detail}",
            EXIT_ENDED_EARLY,
        )


def _prompt(measure: Measure, visit: int) -> int | str | None:
    """Ask one measure at the terminal until the answer is usable; end of input asks none."""
    import click  # noqa: PLC0415  (typer's own)

    try:
        return _asked(measure)
    except click.Abort:
        return None  # a needed item unanswered: the visit says which and keeps what it has


def _asked(measure: Measure) -> int | str | None:
    while True:
        if measure.kind == "text":
            text: str = typer.prompt(f"{measure.label}", default="", show_default=False)
            return text or None
        value: str = typer.prompt(f"{measure.label} [0-10]").strip()
        if value.isascii() and value.isdigit() and 0 <= int(value) <= 10:
            return int(value)
        typer.echo("a whole number from 0 to 10, please", err=True)


class _View:
    """The live view: what happens on the device, one line each (stderr with --json)."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.last_minute: dict[int, int] = {}

    def take(self, event: DeviceEvent) -> None:
        from irlink.cli.texts import describe  # noqa: PLC0415
        from irlink.events import StatusUpdate  # noqa: PLC0415

        if isinstance(event, StatusUpdate):
            for port in event.status.ports:
                minute = int(port.remaining.total_seconds() // 60)
                if port.session_id and self.last_minute.get(port.port) != minute:
                    self.last_minute[port.port] = minute
                    self._say(
                        f"port {port.port}: {_clock(port.remaining)} left, "
                        f"{port.state.name.lower()}"
                    )
            return
        self._say(describe(event))

    def _say(self, line: str) -> None:
        typer.echo(line, err=self.opts.json)


def _clock(left: timedelta) -> str:
    minutes, seconds = divmod(int(left.total_seconds()), 60)
    return f"{minutes}:{seconds:02d}"


def _result(done: VisitDone) -> dict[str, Any]:
    return {
        "study": done.study,
        "participant": done.participant,
        "visit": done.number,
        "outcome": done.outcome,
        "completed": done.completed,
        "on_time": done.on_time,
        "resumed": done.resumed,
        "detail": done.detail,
        "sessions": [
            {
                "port": s.port,
                "session_id": s.session_id,
                "planned_s": s.planned_s,
                "delivered_s": s.delivered_s,
                "end_reason": s.end_reason,
            }
            for s in done.sessions
        ],
        "answers": [
            {"item": item, "phase": phase, "value": value}
            for (item, phase), value in sorted(done.answers.items())
        ],
    }


def _text(done: VisitDone) -> str:
    head = (
        f"visit {done.number} of {done.participant} ({done.study}): "
        f"{'completed' if done.completed else 'did not complete'}"
        f"{', carried on after an interruption' if done.resumed else ''}"
        f"{'' if done.on_time else ', outside its window (deviation recorded)'}"
    )
    lines = [head]
    for s in done.sessions:
        delivered = "unknown" if s.delivered_s is None else _clock(timedelta(seconds=s.delivered_s))
        lines.append(
            f"  port {s.port}: {delivered} delivered of "
            f"{_clock(timedelta(seconds=s.planned_s))} planned, by the device's count "
            f"({s.end_reason.replace('_', ' ')})"
        )
    return "\n".join(lines)
