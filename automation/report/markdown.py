"""Markdown: the report, the dashboard's body and the cells the Slack digest shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from automation import registry
from automation.attention import Attention
from automation.checklist import progress_bar
from automation.neutralise import Context, neutralise
from automation.report import cycle, history, mermaid
from automation.report.give_back_adoption import adoption_markdown
from automation.report.model import (
    STATUS_TEXT,
    Hire,
    Person,
    PhaseState,
    Row,
    Snapshot,
    Totals,
)
from automation.report.rollups import Rollup, by_manager, by_seller
from automation.workflows.group_consults import cadence_markdown

T = TypeVar("T")

# -- Markdown ----------------------------------------------------------------------


def trends_lines(snapshot: Snapshot) -> list[str]:
    """The "Trends" section (automation.report.mermaid), from the history block."""
    if history.no_history(snapshot):
        return []
    kept, weeks = history.weekly(snapshot)
    times = cycle.cycle_times(kept, snapshot.closed)
    notice = history.reset_notice(kept, snapshot.today)
    return mermaid.trends_markdown(weeks, times, notice)


ActionLines = Callable[[Sequence[Row]], list[str]]


def totals_words(totals: Totals) -> str:
    """One workflow's figures in words (the Slack digest's line)."""
    return (
        f"{totals.open} open, {totals.overdue} overdue, {totals.due_soon} due within a week, "
        f"{totals.closed} closed"
    )


def more_words(count: int, where: str = "") -> str:
    """The line under a list cut short: the report's tables, the Slack digest."""
    return f"…and {count} more" + (f", {where}" if where else "")


def overdue_rows(snapshot: Snapshot) -> list[Row]:
    """The open issues past due, most overdue first (the order of the tables)."""
    return [r for r in snapshot.rows if r.overdue]


def cell(value: object) -> str:
    """Untrusted text made safe for one Markdown table cell."""
    return neutralise(str(value), "table")


def _who(person: Person | None, context: Context = "table") -> str:
    if person is None:
        return "—"
    if person.name == person.username:
        return neutralise(person.username, context)
    return f"{neutralise(person.name, context)} ({neutralise(person.username, context)})"


def _issue_cell(row: Row) -> str:
    return f"[#{row.iid}]({row.url}) {cell(row.title)}"


def days_words(days: int) -> str:
    return f"{days} day" + ("" if days == 1 else "s")


def status_words(row: Row) -> str:
    """The status as a manager reads it: how many days overdue, not only "overdue"."""
    if row.overdue and row.days_overdue > 0:
        return f"{days_words(row.days_overdue)} overdue"
    return STATUS_TEXT[row.status]


def _status_cell(row: Row) -> str:
    text = status_words(row)
    return f"**{text}**" if row.overdue else text


def _progress(row: Row) -> str:
    return f"{progress_bar(row.progress)} ({row.done}/{row.count})"


def summary_table(snapshot: Snapshot) -> list[str]:
    lines = [
        "| Workflow | Open | Overdue | Due within a week | Closed | Average progress |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for t in snapshot.totals():
        lines.append(
            f"| {t.title} | {t.open} | {t.overdue} | {t.due_soon} | {t.closed} "
            f"| {progress_bar(t.average_progress) if t.open else '—'} |"
        )
    return lines


def issue_table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| Issue | Owner | Manager | Phase | Progress | Due | Status |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {_issue_cell(row)} | {_who(row.owner)} | {_who(row.manager)} "
            f"| {cell(row.phase) or '—'} | {_progress(row)} | {row.due or '—'} "
            f"| {_status_cell(row)} |"
        )
    return lines


def _facts_cells(row: Row) -> str:
    found = row.facts
    if found is None:
        return "| — | — | — | — "
    close = found.close_date.isoformat() if found.close_date else "—"
    return (
        f"| {found.iacv_text} | {cell(found.segment) or '—'} | {close} "
        f"| {cell(found.stage) or '—'} "
    )


def opportunity_table(rows: Sequence[Row]) -> list[str]:
    """Consults and LDRs with the deal's facts the issue keeps ("—": not kept)."""
    lines = [
        "| Issue | Owner | Manager | Review | iACV | Segment | Close date | Stage | Progress "
        "| Due | Status |",
        "|---|---|---|---|---:|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {_issue_cell(row)} | {_who(row.owner)} | {_who(row.manager)} "
            f"| {cell(row.phase) or '—'} {_facts_cells(row)}| {_progress(row)} "
            f"| {row.due or '—'} | {_status_cell(row)} |"
        )
    return lines


def _on_time_cell(found: Rollup) -> str:
    share = found.on_time
    if share is None:
        return "—"
    return f"{int(share * 100)}% ({found.closed_on_time}/{found.closed_with_due})"


def _rollup_cells(found: Rollup) -> str:
    oldest = days_words(found.oldest_days_overdue) if found.overdue else "—"
    total = days_words(found.total_days_overdue) if found.overdue else "—"
    return f"| {found.open} | {found.overdue} | {oldest} | {total} | {_on_time_cell(found)} |"


def rollup_tables(snapshot: Snapshot, max_rows: int | None = None) -> list[str]:
    """Per manager and per seller: open, overdue, days overdue (oldest, in
    all), completed on time; most behind first."""
    managers = by_manager(snapshot)
    if not managers:
        return []
    figures = "Open | Overdue | Oldest overdue | Days overdue in all | Completed on time |"
    lines = [
        "Completed on time: closed issues closed on or before their due date.",
        "",
        f"| Manager | {figures}",
        "|---|---:|---:|---:|---:|---|",
    ]
    for found in managers:
        name = _who(found.person) if found.person else "No manager"
        lines.append(f"| {name} {_rollup_cells(found)}")
    sellers, more = _capped(by_seller(snapshot), max_rows)
    lines += ["", f"| Seller | Manager | {figures}", "|---|---|---:|---:|---:|---:|---|"]
    for found in sellers:
        lines.append(f"| {_who(found.person)} | {_who(found.manager)} {_rollup_cells(found)}")
    return [*lines, *more]


def _mermaid_text(text: str) -> str:
    """Mermaid has no escaping: keep letters, digits and harmless punctuation only,
    so a name cannot end a task (`:`), start a comment (`%%`) or a new line."""
    kept = "".join(ch if ch.isalnum() or ch in " .,'()&+-_" else " " for ch in text)
    return " ".join(kept.split()) or "?"


def gantt(cohort: Sequence[Hire]) -> list[str]:
    """The cohort's 30/60/90 phases as a Mermaid gantt chart (GitLab renders it)."""
    lines = [
        "```mermaid",
        "gantt",
        "    title Onboarding cohort",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %d %b",
    ]
    tags: dict[PhaseState, str] = {
        "done": "done, ",
        "overdue": "crit, ",
        "active": "active, ",
        "upcoming": "",
    }
    for hire in cohort:
        who = hire.row.owner.name if hire.row.owner else hire.row.key
        lines.append(f"    section {_mermaid_text(who)}")
        for bar in hire.phases:
            lines.append(f"    {_mermaid_text(bar.title)} :{tags[bar.state]}{bar.start}, {bar.due}")
    lines.append("```")
    return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def adoption_line(rows: Sequence[Row]) -> str:
    done = sum(1 for r in rows if r.status == "complete")
    adopted = sum(1 for r in rows if r.adopted)
    used = sum(1 for r in rows if r.used_monthly)
    share = adopted / len(rows) if rows else 0.0
    return (
        f"{len(rows)} Give Back project(s): {done} complete, {adopted} adopted by at least 70% "
        f"of the team ({int(share * 100)}%), {used} used at least once a month."
    )


def give_back_table(rows: Sequence[Row]) -> list[str]:
    """Every Give Back project with the template's adoption boxes as columns."""
    lines = [
        adoption_line(rows),
        "",
        "| Project | Hire | Manager | Stage | Progress | Adopted by 70% | Used monthly "
        "| Due | Status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        status = _status_cell(row) if row.is_open else "complete (closed)"
        lines.append(
            f"| {_issue_cell(row)} | {_who(row.owner)} | {_who(row.manager)} "
            f"| {cell(row.phase) or '—'} | {_progress(row)} | {_yes(row.adopted)} "
            f"| {_yes(row.used_monthly)} | {row.due or '—'} | {status} |"
        )
    return lines


def _capped(rows: Sequence[T], max_rows: int | None) -> tuple[Sequence[T], list[str]]:
    """At most `max_rows` rows (the most urgent come first), and a line saying
    how many were left out: an issue description holds at most 1 MB."""
    if max_rows is None or len(rows) <= max_rows:
        return rows, []
    left = len(rows) - max_rows
    return rows[:max_rows], ["", more_words(left, "in the report (`salesbot report`)") + "."]


def _workflow_blocks(
    snapshot: Snapshot, level: str, actions: ActionLines | None, max_rows: int | None
) -> list[str]:
    lines: list[str] = []
    for totals in snapshot.totals():
        workflow = totals.workflow
        rows, more = _capped(snapshot.of(workflow), max_rows)
        if workflow == registry.GIVE_BACK.name:
            every, more = _capped(snapshot.give_back, max_rows)
            if not every:
                continue
            lines += ["", f"{level} Give Back adoption", "", *give_back_table(every), *more]
            keys = (r.key for r in snapshot.give_back)
            lines += adoption_markdown(snapshot.give_back_adoption, keys, level + "#")
            rows = [r for r in every if r.is_open]
        elif rows:
            counts = f"{totals.open} open, {totals.overdue} overdue"
            table = opportunity_table if workflow == registry.OPPORTUNITY.name else issue_table
            lines += ["", f"{level} {totals.title} ({counts})", "", *table(rows), *more]
        else:
            continue
        if actions is not None and rows:
            extra = actions(rows)
            if extra:
                lines += ["", *extra]
        if workflow == registry.ONBOARDING.name and snapshot.cohort:
            shown = {r.iid for r in rows}
            lines += ["", *gantt([h for h in snapshot.cohort if h.row.iid in shown])]
    return lines


def run_words(found: Attention) -> str:
    count = f"{found.total} action" + ("" if found.total == 1 else "s")
    return (
        f"The last `salesbot run` ({found.day}) could not carry out {count}; "
        "the next run tries again. Fix what GitLab's answer points at."
    )


def attention_markdown(found: Attention) -> list[str]:
    """The "Needs attention" section: the last run's failures, first on the page."""
    lines = [
        "## Needs attention",
        "",
        run_words(found),
        "",
        "| Workflow | Issue | Action | GitLab's answer |",
        "|---|---|---|---|",
    ]
    for failure in found.failures:
        lines.append(
            f"| {cell(failure.workflow)} | {cell(failure.issue)} | {cell(failure.action)} "
            f"| {cell(failure.answer)} |"
        )
    if found.left_out:
        lines += ["", more_words(found.left_out, "in the run's job log") + "."]
    return lines


def render_markdown(
    snapshot: Snapshot,
    *,
    rollup_threshold: int,
    title: str | None = None,
    actions: ActionLines | None = None,
    max_rows: int | None = None,
) -> str:
    """Summary, then one section per workflow (overdue first), the onboarding
    cohort as a gantt chart and Give Back adoption as a table. With more than
    `rollup_threshold` people, one section per manager with only their people.
    `actions` adds lines (the dashboard's checkboxes) under each workflow's
    table; `max_rows` caps each table."""
    lines: list[str] = [f"# {neutralise(title, 'heading')}", ""] if title else []
    if snapshot.attention is not None:
        lines += [*attention_markdown(snapshot.attention), ""]
    lines += [f"As of {snapshot.today}.", ""]
    lines += ["## Summary", "", *summary_table(snapshot)]
    rollups = rollup_tables(snapshot, max_rows)
    if rollups:
        lines += ["", "## Rollups", "", *rollups]
    if snapshot.cadences:
        # ASM: "ASMs should be conducting multiple opportunity consults every week"
        lines += ["", "## Consult cadence", "", "Consults opened per week by each Area Sales"]
        lines += ["Manager's team (target: 2 or more a week).", ""]
        lines += cadence_markdown(snapshot.cadences)
    lines += trends_lines(snapshot)
    if not snapshot.rows and not snapshot.give_back:
        lines += ["", "No open salesbot issues."]
    elif len(snapshot.people) > rollup_threshold:
        for manager in snapshot.managers():
            part = snapshot.for_manager(manager)
            heading = f"Team of {_who(manager, 'heading')}" if manager else "No manager"
            people = len(part.people)
            lines += ["", f"## {heading} ({people} {'person' if people == 1 else 'people'})"]
            lines += _workflow_blocks(part, "###", actions, max_rows)
    else:
        lines += _workflow_blocks(snapshot, "##", actions, max_rows)
    return "\n".join(lines) + "\n"
