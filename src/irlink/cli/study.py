"""``irlink study``: blinded, sham-controlled studies from enrolment to the results table.

A study is a regimen file plus its participants, kept in the session log. These
commands never show a participant's arm or the sham flag of their sessions while the
study is blinded: operators see the visit, not the arm.
"""

from __future__ import annotations

import typer

from irlink.cli import study_admin, study_results, study_simulate, study_visit

app = typer.Typer(
    name="study",
    help="Run a study: create it from a regimen, enrol, run visits, unblind, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

study_admin.register(app)
app.command("visit")(study_visit.visit)
app.command("report")(study_results.report)
app.command("export")(study_results.export)
app.command("simulate")(study_simulate.simulate)
