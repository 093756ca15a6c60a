"""What every sub-command shares: the app and its groups, the consoles, the
state (config, project, today) and running a plan."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from automation import __version__
from automation.errors import InputError

DEFAULT_CONFIG = Path("config/salesbot.yml")

app = typer.Typer(
    name="salesbot",
    help="Run a sales team's recurring workflows (account handovers, onboarding 30/60/90, "
    "Give Back projects, opportunity consults) as GitLab issues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Check and describe the configuration.", no_args_is_help=True)
templates_app = typer.Typer(help="Render and export the issue templates.", no_args_is_help=True)
handover_app = typer.Typer(help="Open account handover issues.", no_args_is_help=True)
onboard_app = typer.Typer(
    help="Onboarding 30/60/90 plans and Give Back projects.", no_args_is_help=True
)
consults_app = typer.Typer(
    help="Opportunity consults and Lightweight Deal Reviews.", no_args_is_help=True
)
sandbox_app = typer.Typer(help="A local GitLab to try salesbot on.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(templates_app, name="templates")
app.add_typer(handover_app, name="handover")
app.add_typer(onboard_app, name="onboard")
app.add_typer(consults_app, name="consults")
app.add_typer(sandbox_app, name="sandbox")

# Piped into a CI log, rich would assume 80 columns and fold every table row.
_WIDTH = None if sys.stdout.isatty() else 200
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print the plan and change nothing in GitLab.")
]
AsJson = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print machine-readable JSON (for commands that write: `salesbot schema output`).",
    ),
]


@dataclass
class State:
    config_path: Path = DEFAULT_CONFIG
    project: str | None = None
    today: date | None = None
    _loaded: Any = field(default=None, repr=False)

    def load(self) -> tuple[Any, Any]:
        from automation.config import load

        if self._loaded is None:
            self._loaded = load(self.config_path)
        return self._loaded  # type: ignore[no-any-return]

    def date(self) -> date:
        """Today in the team's timezone: the only place salesbot reads the clock."""
        if self.today is not None:
            return self.today
        config, _ = self.load()
        return datetime.now(config.tz).date()

    def bot(self, *, bounded: bool = True) -> Any:
        """The bot for this command. `bounded`: SALESBOT_DEADLINE applies (every
        command but the long-running receiver, which has no end to bound)."""
        from automation.api import GitLabApi, Settings
        from automation.bot import Bot
        from automation.config import templates_path

        config, team = self.load()
        settings = Settings.from_env(project=self.project, default_project=config.gitlab.project)
        deadline = _deadline() if bounded else None
        return Bot(
            # reads and writes: no request starts past the deadline
            api=GitLabApi(settings, deadline=deadline),
            config=config,
            team=team,
            deadline=deadline,
            templates_dir=templates_path(self.config_path, config),
        )


def _deadline() -> float | None:
    """SALESBOT_DEADLINE (seconds): after this long no new request starts; the
    writes not made are reported as failed (exit 2) for the next run, so a job
    never overruns its schedule against a slow or failing GitLab."""
    value = os.environ.get("SALESBOT_DEADLINE", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise InputError(f"SALESBOT_DEADLINE: '{value}' is not a number of seconds") from None
    return time.monotonic() + seconds


def _state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: '{value}' is not a date (YYYY-MM-DD)") from None


def _version(value: bool) -> None:
    if value:
        out.print(f"salesbot {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The salesbot config file.")
    ] = DEFAULT_CONFIG,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="GitLab project path or id (default: SALESBOT_PROJECT, CI_PROJECT_PATH, "
            "then gitlab.project in the config).",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", help="Act as if today were this date (YYYY-MM-DD)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version.", is_eager=True, callback=_version),
    ] = False,
) -> None:
    """GitLab is the database: every run reads the bot's issues and is safe to repeat.

    --config, --project and --today may also follow the command
    (`salesbot run --today 2026-12-01`).

    Set GITLAB_URL (default: CI_SERVER_URL or https://gitlab.com) and GITLAB_TOKEN
    (a token with the api scope) to point salesbot at your GitLab.
    """
    ctx.obj = State(config_path=config, project=project, today=_parse_date(today, "--today"))


# -- --config, --project, --today after the sub-command too --------------------

_SHARED = ("--config", "-c", "--project", "-p", "--today")


def hoist_shared_options(args: list[str]) -> list[str]:
    """`salesbot run --today 2026-12-01` means `salesbot --today 2026-12-01 run`:
    --config/-c, --project/-p and --today given after the sub-command move in
    front of it (where the root callback reads them; a later one wins, as in
    click). Nothing after `--` moves; no sub-command has options of these names."""
    start = 0
    while start < len(args) and args[start].startswith("-"):
        start += 2 if args[start] in _SHARED else 1
    front, rest, i = args[: start + 1], [], start + 1
    while i < len(args):
        token = args[i]
        if token == "--":
            rest += args[i:]
            break
        if token in _SHARED and i + 1 < len(args):
            front = [*front[:start], token, args[i + 1], *front[start:]]
            start += 2
            i += 2
            continue
        if token.split("=", 1)[0] in _SHARED and "=" in token and token.startswith("--"):
            front = [*front[:start], token, *front[start:]]
            start += 1
        else:
            rest.append(token)
        i += 1
    return [*front, *rest]


def run_plan(
    bot: Any, plan: Any, *, dry_run: bool, as_json: bool, title: str, command: str = ""
) -> None:
    """Print the plan (dry run) or apply it with a progress display; `--json`
    prints one `CommandOutput` document either way (`salesbot schema output`)."""
    from automation.output import (
        command_output,
        print_failures,
        print_json,
        print_plan,
        print_report,
        summary_lines,
    )

    name = command or title.lower()
    if dry_run:
        if as_json:
            print_json(command_output(name, plan, None))
        else:
            print_plan(out, plan, as_json=False, title=f"{title} (dry run)")
        return
    report = apply_with_progress(bot, plan, f"{title}: writes")
    if as_json:
        print_json(command_output(name, plan, report))
        print_failures(err, report)
    else:
        print_report(out, report, err)
        for note in plan.notes:
            out.print(note, markup=False)
        for line in summary_lines(report):
            out.print(line, markup=False)
    if report.failures:
        raise typer.Exit(2)


def apply_with_progress(bot: Any, plan: Any, label: str) -> Any:
    """`bot.apply(plan)`, its writes done / total shown as they finish."""
    from automation.progress import progress

    with progress(label, len(plan)) as bar:
        return bot.apply(plan, on_outcome=lambda _outcome: bar.advance())
