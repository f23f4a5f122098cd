"""``irlink study report`` and ``irlink study export``: a study's results, page and data.

Both read the session log (``--db``, ``IRLINK_DB``, else the user's data folder) without
writing to it. While a study is blinded they show its arms as their sealed letters and
never name an arm. ``report`` needs matplotlib for its plots and scipy and statsmodels
for its tests (the ``report`` and ``study`` extras); without them it says how to
install them, in one line. ``export`` needs neither.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli.common import JsonHere, Options, emit, fail, options
from irlink.cli.exporting import check_folder, format_option, out_option, say_written, write_out
from irlink.cli.log import opened

if TYPE_CHECKING:
    from irlink.cli.study_report_lines import StudyReported
    from irlink.record.export import Written
    from irlink.regimen.results import StudyData, StudyResults

__all__ = ["export", "report"]

SYNTHETIC_SAID = "SYNTHETIC: study {} is a rehearsal made by irlink study simulate, never evidence"

Study = Annotated[
    str,
    typer.Argument(
        metavar="STUDY", help="The study's name (`irlink study status` lists the studies)."
    ),
]


def _study(opts: Options, name: str) -> StudyData:
    """The study ``name`` from the log; one ``error:`` line if it is not there."""
    from irlink.record.store import RecordError  # noqa: PLC0415
    from irlink.regimen.results import StudyNotFound, read_study  # noqa: PLC0415

    with opened(opts) as log:
        try:
            return read_study(log, name)
        except StudyNotFound as exc:
            fail(str(exc), option="STUDY")
        except RecordError as exc:
            fail(str(exc), option="--db")


def _require_extras() -> None:
    from irlink.record.report.plots import ReportUnavailable, require  # noqa: PLC0415
    from irlink.regimen.results.stats import StatsUnavailable, require_stats  # noqa: PLC0415

    missing: dict[str, str] = {}
    for extra, needs, check in (
        ("study", "scipy and statsmodels (its tests)", require_stats),
        ("report", "matplotlib (its plots)", require),
    ):
        try:
            check()
        except (StatsUnavailable, ReportUnavailable):
            missing[extra] = needs
    if missing:
        fail(
            f"the study report needs {' and '.join(missing.values())}, not installed here: "
            f"pip install 'irlink[{','.join(missing)}]'"
        )


def report(
    ctx: typer.Context,
    name: Study,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="The HTML file to write (replaced if there); default STUDY-report.html here.",
            show_default=False,
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """Write a study's results as one HTML page: flow, adherence, the results table, plots.
    A blinded study shows its arms as letters."""
    opts = options(ctx, json=json_here)
    _require_extras()
    from irlink.regimen.results import analyse  # noqa: PLC0415
    from irlink.regimen.results.html import write_study_report  # noqa: PLC0415

    study = _study(opts, name)
    results = analyse(study)
    target = out or Path(f"{study.name}-report.html")
    try:
        written = write_study_report(results, target)
    except OSError as exc:
        fail(f"--out {str(target)!r} cannot be written: {exc.strerror or exc}", option="--out")
    _emit_report(opts, results, written)


def _emit_report(opts: Options, results: StudyResults, written: Path) -> None:
    from irlink.cli.study_report_lines import StudyReported  # noqa: PLC0415

    study = results.study
    head = StudyReported(
        str(written.resolve()),
        study.name,
        study.kind,
        study.regimen,
        study.blinded,
        study.synthetic,
        study.placebo_credible,
        study.groups,
        len(study.participants),
        results.made,
    )
    emit(opts, "study_report", head, lambda: typer.echo(_said(head)))
    if opts.json:
        emit(opts, "study_flow", results.flow, lambda: None)
        emit(opts, "study_adherence", results.adherence, lambda: None)
        for row in results.table:
            emit(opts, "study_result", row, lambda: None)


def _said(head: StudyReported) -> str:
    groups = ", ".join(head.groups)
    blinding = f"blinded, groups {groups}" if head.blinded else f"arms {groups}"
    text = (
        f"wrote {head.path}: study {head.study} ({blinding}), {head.participants} "
        "participant(s). Open it in a browser, or print it."
    )
    return (SYNTHETIC_SAID.format(head.study) + "\n" + text) if head.synthetic else text


def export(
    ctx: typer.Context,
    name: Study,
    out: Annotated[str, out_option("csv and redcap")],
    form: Annotated[
        str,
        format_option(
            "csv: participants, visits and measures as tidy tables in the folder --out; "
            "jsonl: the same rows as JSON lines, with their table; redcap: a data dictionary, "
            "records, events and instrument designations for a longitudinal REDCap project.",
            "csv",
            "jsonl",
            "redcap",
        ),
    ] = "csv",
    json_here: JsonHere = False,
) -> None:
    """Export a study's data: tidy CSV or JSON lines, or CSV files for REDCap. A blinded
    study's arms are their letters (and REDCap gets no arm at all)."""
    opts = options(ctx, json=json_here)
    from irlink.cli.study_report_lines import StudyExported  # noqa: PLC0415
    from irlink.regimen.results.redcap import export_redcap  # noqa: PLC0415
    from irlink.regimen.results.tidy import export_csv, export_jsonl  # noqa: PLC0415

    if form != "jsonl":
        check_folder(out, form, "writes several files")
    study = _study(opts, name)
    folder = {"csv": export_csv, "redcap": export_redcap}.get(form)
    written = write_out(
        out,
        None if folder is None else functools.partial(folder, study),
        functools.partial(export_jsonl, study),
    )
    if study.synthetic:
        typer.echo(SYNTHETIC_SAID.format(study.name), err=out == "-" or opts.json)

    def line(each: Written) -> StudyExported:
        where = str(each.path or out)
        whose = (study.name, study.blinded, study.synthetic)
        return StudyExported(form, each.table, where, each.rows, *whose)

    say_written(opts, out, written, "study_exported", line)
