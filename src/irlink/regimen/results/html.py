"""A study's results as one self-contained HTML page, to open offline or print.

The page is the session report's (:mod:`irlink.record.report.page`: its stylesheet,
nothing fetched, inline SVG): a header that says whether the study is blinded and
whether its placebo is credible; the CONSORT-style flow; adherence; the results table as
the 2006 trial reports it (:mod:`~irlink.regimen.results.table`); each NRS item's scores
over the visits. While the study is blinded, arms are their sealed letters and the
page never names an arm nor uses the word for the inactive device. A synthetic study's
every section opens with SYNTHETIC in large letters, and a printed page carries it too.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from irlink.record.report import page, write_whole
from irlink.record.report.plots import require
from irlink.regimen.model import format_span
from irlink.regimen.results import StudyResults
from irlink.regimen.results.flow import Adherence, Dose, Flow
from irlink.regimen.results.plots import nrs_svg
from irlink.regimen.results.records import StudyData
from irlink.regimen.results.table import results_html, shown_share

__all__ = ["CSS", "SYNTHETIC_BANNER", "write_study_report"]

SYNTHETIC_BANNER = "SYNTHETIC: a rehearsal made by irlink study simulate, never evidence"

CSS = """
.synthetic { font-size: 26pt; font-weight: 800; letter-spacing: .08em; color: #8a1f11;
  border: 3px solid #8a1f11; text-align: center; padding: .15em; margin: .6em 0; }
.watermark { display: none; }
table.study { border-collapse: collapse; font-size: 8.5pt; margin: .4em 0 .8em; }
table.study th, table.study td { border-bottom: 1px solid #ddd; padding: 2px 6px;
  text-align: left; vertical-align: top; }
table.study th { border-bottom: 1.5px solid #555; background: #f2f2f2; }
table.study td.num, table.study th.num { text-align: right; font-variant-numeric: tabular-nums; }
.box { border: 1.5px solid #1f4e79; display: inline-block; padding: .3em .8em; margin: .2em 0; }
.down { color: #1f4e79; margin-left: 2em; }
.figure svg { width: 100%; height: auto; display: block; }
section.study + section.study { margin-top: 1.5em; }
@media print {
  section.study + section.study { break-before: page; }
  .watermark { display: block; position: fixed; top: 45%; left: 0; right: 0;
    text-align: center; font-size: 70pt; font-weight: 800; color: rgba(138, 31, 17, .13);
    transform: rotate(-30deg); z-index: -1; }
  table.study tr, .figure { break-inside: avoid; }
}
"""


def write_study_report(results: StudyResults, path: str | Path) -> Path:
    """Write the page of ``results`` to ``path`` (needs matplotlib); the path written."""
    require()
    study = results.study
    sections = (
        _header(results),
        _flow(study, results.flow),
        _adherence(study, results.adherence),
        results_html(study, results.table),
        _plots(study),
    )
    body = [_section(study, inner) for inner in sections]
    if study.synthetic:
        body.insert(0, '<div class="watermark" aria-hidden="true">SYNTHETIC</div>')
    title = f"irlink study {study.name} · {results.made:%Y-%m-%d}"
    target = Path(path)
    write_whole(
        target, page.document(("SYNTHETIC · " if study.synthetic else "") + title, body, CSS)
    )
    return target


def _section(study: StudyData, inner: str) -> str:
    banner = f'<div class="synthetic">{SYNTHETIC_BANNER}</div>' if study.synthetic else ""
    return f'<section class="study">{banner}{inner}</section>'


def _facts(facts: dict[str, str]) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items())
    return f'<dl class="facts">{rows}</dl>'


def _header(results: StudyResults) -> str:
    study = results.study
    title = (
        f"{study.regimen}: {study.title}"
        if study.title
        else f"{study.regimen} (its title is not shown while the study is blinded: it names an arm)"
    )
    if study.kind != "study":
        blinding = "not a study: one person's course, with no arms to blind"
    elif study.blinded:
        blinding = (
            f"blinded: arms are shown as their sealed letters ({', '.join(study.groups)}); "
            "which letter is which arm stays sealed until the study is unblinded"
        )
    else:
        when = "" if study.unblinded_at is None else f" on {study.unblinded_at:%Y-%m-%d}"
        blinding = f"unblinded{when}: arms are shown by name ({', '.join(study.groups)})"
    facts = {
        "Regimen": title,
        "Blinding": blinding,
        "Visits": f"{study.visit_count}, one every {format_span(study.interval)}, on time within "
        f"± {format_span(study.window)}",
        "Participants": f"{len(study.participants)} enrolled",
        "Made": f"{results.made:%Y-%m-%d %H:%M} UTC by irlink, from the session log; times are UTC",
    }
    if study.placebo_credible is not None:
        facts["Credible placebo"] = (
            "yes: the inactive device looks and behaves like the active one (the regimen says so)"
            if study.placebo_credible
            else "no: participants can tell the inactive device apart (no warmth felt, for "
            "instance), so the blinding is doubtful; read the results with that in mind"
        )
    if study.synthetic:
        facts["Data"] = SYNTHETIC_BANNER
    return f"<header><h1>Study {escape(study.name)}: results</h1>{_facts(facts)}</header>"


def _row(label: str, counts: dict[str, int], groups: tuple[str, ...]) -> str:
    cells = "".join(f'<td class="num">{counts.get(g, 0)}</td>' for g in groups)
    return f'<tr><th>{escape(label)}</th>{cells}<td class="num">{sum(counts.values())}</td></tr>'


def _flow(study: StudyData, flow: Flow) -> str:
    groups = study.groups
    head = "".join(f'<th class="num">{escape(g)}</th>' for g in groups)
    rows = [
        _row("Allocated", flow.allocated, groups),
        _row("Received every allocated session", flow.received_all, groups),
        _row("Finished the course (last visit done)", flow.finished, groups),
        _row("Withdrawn", flow.withdrawn, groups),
        _row("Lost to follow-up (missed the last visit)", flow.lost, groups),
        _row("Still in follow-up", flow.in_follow_up, groups),
    ]
    rows += [_row(f"Analysed: {item}", counts, groups) for item, counts in flow.analysed.items()]
    why = "".join(
        f"<li>{escape(w.participant)} ({escape(w.group)}), {w.at:%Y-%m-%d}, after "
        f"{w.visits_done} visit(s): {escape(w.reason or 'no reason given')}</li>"
        for w in flow.withdrawals
    )
    return (
        f'<h2>Flow of participants</h2><p class="box">Enrolled: {flow.enrolled}</p>'
        '<p class="down">↓ allocated</p>'
        f'<table class="study"><thead><tr><th></th>{head}<th class="num">All</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        + (f"<h3>Withdrawals</h3><ul>{why}</ul>" if why else "")
        + '<p class="note">Analysed: participants with both the baseline and the final score '
        "of the item (complete cases); nobody's missing score is filled in.</p>"
    )


def _dose_cells(dose: Dose) -> str:
    minutes = f"{page.minutes(dose.delivered_s)} / {page.minutes(dose.planned_s)}"
    return (
        f'<td class="num">{dose.done} / {dose.scheduled} {shown_share(dose.done, dose.scheduled)}'
        f'</td><td class="num">{dose.on_time} / {dose.done} {shown_share(dose.on_time, dose.done)}'
        f'</td><td class="num">{minutes} {shown_share(dose.delivered_s, dose.planned_s)}</td>'
        f'<td class="num">{dose.unknown_sessions}</td>'
    )


def _adherence(study: StudyData, adherence: Adherence) -> str:
    head = (
        "<th>Visits done / scheduled</th><th>On time / done</th>"
        "<th>Minutes delivered / planned</th><th>Sessions, delivery unknown</th>"
    )
    groups = "".join(
        f'<tr><th>{escape(g)}</th><td class="num">{d.participants}</td>{_dose_cells(d)}</tr>'
        for g, d in adherence.groups.items()
    )
    groups += (
        f'<tr><th>All</th><td class="num">{adherence.overall.participants}</td>'
        f"{_dose_cells(adherence.overall)}</tr>"
    )
    people = "".join(
        f"<tr><td>{escape(p.participant)}</td><td>{escape(p.group)}</td>"
        f"<td>{'withdrawn' if p.withdrawn else ''}</td>{_dose_cells(p.dose)}</tr>"
        for p in adherence.participants
    )
    deviations = "".join(
        f"<li>{escape(d.participant)} ({escape(d.group)}), visit {d.visit} on "
        f"{d.started:%Y-%m-%d %H:%M}: {escape(d.reason)}</li>"
        for d in adherence.deviations
    )
    return (
        "<h2>Adherence</h2>"
        f'<table class="study"><thead><tr><th>Group</th><th>Participants</th>{head}</tr>'
        f"</thead><tbody>{groups}</tbody></table>"
        '<p class="note">Scheduled: visits whose window has closed, or that took place (none '
        "after a withdrawal). Delivered: the device's own count; a session whose delivery is "
        "not known counts as none.</p>"
        + f"<h3>Deviations: {len(adherence.deviations)} visit(s) outside their window</h3>"
        + (f"<ul>{deviations}</ul>" if deviations else "")
        + f'<h3>Per participant</h3><table class="study"><thead><tr><th>Participant</th>'
        f"<th>Group</th><th></th>{head}</tr></thead><tbody>{people}</tbody></table>"
    )


def _plots(study: StudyData) -> str:
    figures = "".join(
        f'<div class="figure"><h3>{escape(item.id)}: {escape(item.label)}</h3>'
        f"{nrs_svg(study, item)}</div>"
        for item in study.nrs_items
        if item.visits
    )
    return (
        "<h2>Scores over the visits</h2>"
        '<p class="note">A thin line per participant, a thick one for each group\'s mean '
        "over those who answered at that visit; a missing score is a gap, never a value.</p>"
        + (figures or '<p class="note">The regimen has no NRS items.</p>')
    )
