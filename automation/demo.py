"""`salesbot demo`: the whole story against the embedded sandbox.

A realistic team (the shipped roster, with three hires starting on the demo's
day 0), twenty opportunities from a CRM export and two account handovers; then
`salesbot run` on simulated days 0, 15, 35, 65 and 95 while simulated people
tick some boxes and miss others. Everything goes over HTTP to a local GitLab
sandbox, exactly as it would to GitLab.com.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from rich.console import Console
from rich.table import Table

from automation import registry
from automation.api import GitLabApi, Settings
from automation.bot import Bot
from automation.checklist import parse
from automation.config import load
from automation.output import summary_lines
from automation.records import Issue, IssueChange
from automation.run import run
from automation.sandbox import Sandbox
from automation.team import Team
from automation.workflows import handover

DAY0 = date(2026, 11, 30)  # a Monday
DAYS = (0, 15, 35, 65, 95)
HIRES = 3
# the people who keep up with their checklists; everyone else lags behind
DILIGENT_SHARE = 0.6


@dataclass(frozen=True)
class DemoWorld:
    sandbox: Sandbox
    bot: Bot
    export: Path  # the CRM export the run reads, rewritten as the days pass
    team: Team


def demo_team(team: Team, day0: date = DAY0) -> Team:
    """The shipped roster, with its newest members turned into hires starting near day 0."""
    newest = sorted(team.active_members(), key=lambda m: m.start_date)[-HIRES:]
    starts = {m.username: day0 + timedelta(days=3 * i) for i, m in enumerate(newest)}
    members = [
        m.model_copy(update={"start_date": starts[m.username]}) if m.username in starts else m
        for m in team.members
    ]
    return team.model_copy(update={"members": members})


def opportunities(team: Team, day0: date, offset: int = 0) -> list[dict[str, str]]:
    """Twenty opportunities across segments: some over a threshold, some not. From
    day 35 the CRM has moved on: one LDR grew into a consult, one deal closed won,
    one shrank below its threshold."""
    sellers = [m for m in team.active_members() if m.manager] or list(team.active_members())
    amounts = [4_000, 6_500, 12_000, 25_000, 8_000, 55_000, 15_000, 3_000, 30_000, 9_500]
    rows = []
    for n in range(20):
        seller = sellers[n % len(sellers)]
        iacv = amounts[n % len(amounts)] * (1 + n // 10)
        close = day0 + timedelta(days=10 + 9 * n)
        rows.append(
            {
                "id": f"0065e00000{n:04d}",
                "name": f"Expansion {n + 1}",
                "account": f"Account {chr(65 + n)} Corp",
                "owner": seller.username,
                "segment": str(seller.segment),
                "iacv": str(iacv),
                "amount": str(iacv * 3),
                "close_date": close.isoformat(),
                "stage": "3-Technical Evaluation",
            }
        )
    if offset >= 35:
        rows[1]["iacv"] = "26000"  # the LDR grows into a consult
        rows[2]["stage"] = "Closed Won"
        rows[3]["iacv"] = "2000"  # shrinks below every threshold
    return rows


def write_csv(path: Path, rows: Iterable[dict[str, str]]) -> None:
    rows = list(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def tick(text: str, lines: set[int]) -> str:
    """Tick the boxes on the given 1-based lines, as a person would in GitLab."""
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if number in lines:
            line = line.replace("[ ]", "[x]", 1)
        out.append(line)
    return "\n".join(out)


def is_diligent(username: str, team: Team) -> bool:
    ordered = sorted(m.username for m in team.members)
    return ordered.index(username) < len(ordered) * DILIGENT_SHARE if username in ordered else True


def simulate_people(world: DemoWorld, today: date, horizon: date) -> int:
    """Diligent people tick every open item due before `horizon`; others tick a few."""
    ticked = 0
    for issue in world.bot.issues(state="opened"):
        owner = issue.assignees[0] if issue.assignees else None
        if owner is None:
            continue
        checklist = parse(issue.description)
        diligent = is_diligent(owner, world.team)
        lines: set[int] = set()
        for section in checklist.sections:
            due = _section_due(issue, section.title)
            if due is not None and due > horizon:
                continue
            open_items = [i for i in section.items if not i.checked and not i.inapplicable]
            chosen = open_items if diligent else open_items[:1]
            lines.update(i.line for i in chosen)
        if not lines:
            continue
        person = GitLabApi(
            Settings(world.sandbox.url, world.sandbox.project_path, world.sandbox.token_for(owner))
        )
        person.edit_issue(issue.iid, IssueChange(description=tick(issue.description, lines)))
        ticked += 1
    return ticked


def _section_due(issue: Issue, title: str) -> date | None:
    if title.startswith("Day ") and title[4:].isdigit():
        created = date.fromisoformat(issue.created_at[:10])
        return created + timedelta(days=int(title[4:]))
    return issue.due_date


def build_world(config_path: Path, workdir: Path, sandbox: Sandbox) -> DemoWorld:
    config, team = load(config_path)
    team = demo_team(team)
    api = GitLabApi(Settings(sandbox.url, sandbox.project_path, sandbox.bot_token))
    for member in team.members:
        if api.find_user(member.username) is None:
            sandbox.add_user(member.username, member.name)
    export = workdir / "opportunities.csv"
    write_csv(export, opportunities(team, DAY0, 0))
    config = config.model_copy(
        update={"consults": config.consults.model_copy(update={"opportunities": str(export)})}
    )
    return DemoWorld(sandbox, Bot(api=api, config=config, team=team), export, team)


def handovers(team: Team) -> list[handover.Handover]:
    sellers = [m for m in team.active_members() if m.manager][:4]
    return [
        handover.make(
            account="Globex Corporation",
            account_id="001GLOBEX",
            from_user=sellers[0].username,
            to_user=sellers[1].username,
            effective=DAY0 + timedelta(days=7),
            reason="Territory realignment (FY27 Q4)",
            opportunities=["0065e00000G1"],
        ),
        handover.make(
            account="Initech",
            account_id="001INITECH",
            from_user=sellers[2].username,
            to_user=sellers[3].username,
            effective=DAY0 + timedelta(days=14),
            reason="Seller promoted to Mid-Market",
        ),
    ]


def final_table(bot: Bot) -> Table:
    table = Table(title="Final state of the bot's issues", title_justify="left")
    for column in ("issue", "title", "state", "assignee", "due", "labels"):
        table.add_column(column, overflow="fold")
    for issue in bot.issues(state="all"):
        labels = [x for x in issue.labels if "::" in x]
        table.add_row(
            issue.reference.split("/")[-1],
            issue.title,
            issue.state,
            ", ".join(issue.assignees),
            str(issue.due_date or ""),
            ", ".join(labels),
        )
    return table


def run_demo(console: Console, *, config_path: Path, serve: bool = False) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="salesbot-demo-") as tmp, Sandbox() as sandbox:
        console.print(f"GitLab sandbox running at {sandbox.url}", markup=False)
        world = build_world(config_path, Path(tmp), sandbox)
        bot = world.bot
        for n, offset in enumerate(DAYS):
            today = DAY0 + timedelta(days=offset)
            sandbox.set_time(datetime.combine(today, clock(9, 0), tzinfo=UTC))
            console.rule(f"Day {offset}: {today:%a %d %b %Y}")
            write_csv(world.export, opportunities(world.team, DAY0, offset))
            if offset == 35:
                console.print(
                    "  CRM: Expansion 2 grew to $26,000, Expansion 3 closed won, "
                    "Expansion 4 shrank to $2,000",
                    markup=False,
                )
            if offset == 0:
                report = bot.apply(bot.plan_handovers(handovers(world.team), today))
                console.print(
                    f"  2 account handovers requested: {len(report.created)} opened", markup=False
                )
            result = run(bot, today, config_path=config_path)
            for line in summary_lines(result.report, tuple(w.name for w in registry.ALL)):
                console.print(f"  {line}", markup=False)
            if n + 1 < len(DAYS):
                next_day = DAY0 + timedelta(days=DAYS[n + 1])
                people = simulate_people(world, today, next_day - timedelta(days=5))
                console.print(f"  team members ticked boxes on {people} issue(s)", markup=False)
        sandbox.set_time(None)
        console.print(final_table(bot))
        console.print(
            f"Finished in {time.monotonic() - started:.1f}s with "
            f"{bot.api.stats.total} API requests.",
            markup=False,
        )
        inspect(console, sandbox, serve=serve)


def inspect(console: Console, sandbox: Sandbox, *, serve: bool) -> None:
    """Where to look: the issue pages while the sandbox is up (`--serve`),
    which a browser opens after a sign-in by username."""
    issues = f"{sandbox.url}/{sandbox.project_path}/-/issues"
    if not serve:
        console.print(
            "The sandbox stops now; run `salesbot demo --serve` to browse the issues.",
            markup=False,
        )
        return
    console.print(f"Inspect: {issues} (sign in with any username, e.g. salesbot)", markup=False)
    console.print(
        f"API: GITLAB_URL={sandbox.url} SALESBOT_PROJECT={sandbox.project_path} "
        f"GITLAB_TOKEN={sandbox.bot_token!s} (the sandbox's own fake token)",
        markup=False,
    )
    serve_until_interrupted(console)


def serve_until_interrupted(console: Console) -> None:
    """Keep what runs in the background (the sandbox, the receiver) up until Ctrl+C."""
    console.print("Serving until Ctrl+C.", markup=False)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
