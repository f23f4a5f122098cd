"""``irlink study simulate``: rehearse a study end to end on simulated devices, SYNTHETIC.

Every visit of every synthetic participant runs through the same runner as ``irlink
study visit``, on simulated devices, with answers from a made-up outcome model
(:mod:`irlink.regimen.synthetic`). The study is kept in the session log marked
synthetic, and its report says so on every page: a rehearsal checks the regimen, the
workflow and the analysis, never the treatment.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli import values
from irlink.cli.common import JsonHere, Options, emit, fail, guarded, options

if TYPE_CHECKING:
    from irlink.regimen.rehearsal import Progress, Rehearsal

NOT_EVIDENCE = "SYNTHETIC rehearsal: not evidence"
PROGRESS_LINES = 10  # progress is told about this many times over a rehearsal


def simulate(
    ctx: typer.Context,
    regimen: Annotated[
        str,
        typer.Argument(
            metavar="REGIMEN",
            help="A regimen file, or the name of an example shipped with irlink (gale-2006).",
        ),
    ],
    participants: Annotated[
        int,
        typer.Option(
            "--participants",
            "-n",
            metavar="N",
            help="Synthetic participants, enrolled one a day.",
            parser=values.whole(1, 999),
        ),
    ] = 40,
    seed: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="The same seed makes the same allocation and answers (default: a new one, "
            "printed).",
            parser=values.whole(0, 2**63 - 1),
            show_default=False,
        ),
    ] = None,
    no_record_samples: Annotated[
        bool,
        typer.Option(
            "--no-record-samples",
            help="Keep the study, visits and answers, but not the devices' sessions and samples.",
        ),
    ] = False,
    name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The study's name (default: REGIMEN-rehearsal-N).",
            show_default=False,
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """Rehearse a study: a SYNTHETIC study of made-up participants, every visit run through
    the runner on simulated devices, kept in the session log. Not evidence."""
    opts = options(ctx, json=json_here)
    text, source = _regimen_text(regimen)
    say = _Teller(opts)
    say.line(NOT_EVIDENCE)

    async def rehearse() -> Rehearsal:
        from irlink.cli.recording import open_recording  # noqa: PLC0415
        from irlink.regimen.rehearsal import simulate as run  # noqa: PLC0415

        with contextlib.ExitStack() as stack:
            recording = open_recording(opts, stack)
            if recording.log is None:
                fail(
                    "a rehearsal is kept in the session log, and it cannot be opened "
                    f"({recording.failure or '--no-log was given'}); give a writable --db",
                    option="--db",
                )
            done = await run(
                text,
                log=recording.log,
                participants=participants,
                seed=seed,
                record=not no_record_samples,
                name=name,
                source=source,
                on_progress=say.progress,
            )
            recording.check()
            return done

    done = guarded(opts, rehearse)
    emit(opts, "rehearsal", done, lambda: typer.echo(_summary(done)))


def _regimen_text(given: str) -> tuple[str, str]:
    """The regimen's text and the name its errors give: a file, else a shipped example."""
    path = Path(given)
    if not path.exists():
        from irlink.regimen import example, examples  # noqa: PLC0415

        if given in examples():
            path = example(given)
        else:
            fail(
                f"{given}: no such file, nor an example shipped with irlink "
                f"({', '.join(examples())}); give a regimen file's path",
                option="REGIMEN",
            )
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: cannot be read ({error}); give a readable UTF-8 file", option="REGIMEN")


class _Teller:
    """Progress, now and then: a line of text, or a ``rehearsal_progress`` JSON line."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.told = -1

    def line(self, text: str) -> None:
        if not self.opts.json:
            typer.echo(text)

    def progress(self, now: Progress) -> None:
        share = now.visits_done * PROGRESS_LINES // max(1, now.visits)
        if share == self.told:
            return
        self.told = share
        emit(
            self.opts,
            "rehearsal_progress",
            now,
            lambda: typer.echo(
                f"{now.study}: {now.enrolled}/{now.participants} enrolled, "
                f"{now.visits_done}/{now.visits} visits done ({now.at:%Y-%m-%d}, simulated)"
            ),
        )


def _summary(done: Rehearsal) -> str:
    recorded = (
        f"{done.recorded_sessions:,} sessions and {done.recorded_samples:,} samples recorded"
        if done.recorded
        else "samples not recorded (--no-record-samples)"
    )
    return "\n".join(
        [
            f"{done.study}: {done.participants} synthetic "
            f"participant{'' if done.participants == 1 else 's'} (seed {done.seed})",
            f"  visits: {done.visits_completed} completed, {done.visits_short} ended early, "
            f"{done.visits_missed} missed; {done.withdrawn} withdrawn",
            f"  {done.sessions} sessions, {done.delivered_s / 3600:.1f} h delivered; {recorded}",
            f"  simulated {done.started:%Y-%m-%d} to {done.ended:%Y-%m-%d} in "
            f"{done.wall_s:.1f} s of wall time",
            NOT_EVIDENCE,
            f"next: irlink study report {done.study}",
        ]
    )
