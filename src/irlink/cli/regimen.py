"""``irlink regimen``: check a regimen file against a device, run a personal course."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="regimen",
    help="Regimen files: check one against a device's limits, run a personal course.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from irlink.cli import study_visit  # noqa: E402  (the commands hang on the app above)

app.command("run")(study_visit.run_course)
