"""``irlink study``: blinded, sham-controlled studies from enrolment to the results table.

A study is a regimen file plus its participants, kept in the session log. These
commands never show a participant's arm or the sham flag of their sessions while the
study is blinded: operators see the visit, not the arm.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="study",
    help="Run a study: create it from a regimen, enrol, run visits, unblind, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from irlink.cli import study_simulate, study_visit  # noqa: E402  (the commands hang on the app above)

app.command("visit")(study_visit.visit)
app.command("simulate")(study_simulate.simulate)
