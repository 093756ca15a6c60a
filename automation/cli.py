"""The `salesbot` command. Thin: parse arguments, build the Bot, print results.

`main(argv) -> int` is the one place that turns exceptions into exit codes:
1 for the user's input (config, CSV, arguments), 2 for GitLab or the network.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from rich.console import Console

from automation import __version__, cli_reports, cli_webhook
from automation.errors import InputError, SalesbotError

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
AsJson = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


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

    def bot(self) -> Any:
        from automation.api import GitLabApi, Settings
        from automation.bot import Bot
        from automation.config import templates_path

        config, team = self.load()
        settings = Settings.from_env(project=self.project, default_project=config.gitlab.project)
        return Bot(
            api=GitLabApi(settings),
            config=config,
            team=team,
            deadline=_deadline(),
            templates_dir=templates_path(self.config_path, config),
        )


def _deadline() -> float | None:
    """SALESBOT_DEADLINE (seconds): after this long no new write starts, and the
    rest are reported as failed (exit 2) for the next run, so a job never
    overruns its schedule against a slow or failing GitLab."""
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

    Set GITLAB_URL (default: CI_SERVER_URL or https://gitlab.com) and GITLAB_TOKEN
    (a token with the api scope) to point salesbot at your GitLab.
    """
    ctx.obj = State(config_path=config, project=project, today=_parse_date(today, "--today"))


# -- checklist ---------------------------------------------------------------


@app.command()
def checklist(
    source: Annotated[str, typer.Argument(help="A Markdown file, or - for standard input.")],
    as_json: AsJson = False,
) -> None:
    """Print a description's checklist progress per section, counted as GitLab counts it."""
    from automation import checklist as reader

    text = _read_text(source)
    parsed = reader.parse(text)
    if as_json:
        # Plain JSON, not rich's pretty-printer: that took 5-7 s on a 1 MB description.
        sys.stdout.write(json.dumps(reader.to_json(parsed), ensure_ascii=False) + "\n")
    else:
        out.print(reader.render_text(parsed), markup=False)


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read ({exc.__class__.__name__})") from None


# -- config ------------------------------------------------------------------


@config_app.command("validate")
def config_validate(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not look the roster's usernames up in GitLab.")
    ] = False,
) -> None:
    """Check the config and team files; list every problem with file and line.

    Unless --offline, the roster's usernames are also looked up in GitLab
    (GITLAB_URL, GITLAB_TOKEN) when it is reachable."""
    from automation.config import validate_files
    from automation.errors import GitLabError

    state = _state(ctx)
    path = state.config_path
    problems = validate_files(path)
    if problems:
        for problem in problems:
            err.print(problem, markup=False)
        raise typer.Exit(1)
    if not offline:
        try:
            bot = state.bot()
        except InputError as exc:  # no token or project: no GitLab to ask
            err.print(f"usernames not checked against GitLab: {exc}", markup=False)
        else:
            try:
                bot.check_roster()  # an unknown username: InputError, exit 1
            except GitLabError as exc:
                err.print(f"usernames not checked against GitLab: {exc}", markup=False)
    out.print(f"{path}: valid")


@config_app.command("schema")
def config_schema(
    kind: Annotated[str, typer.Option(help="Which file: salesbot or team.")] = "salesbot",
) -> None:
    """Print the JSON Schema of a config file (for editor completion)."""
    from automation.config import json_schema

    if kind not in ("salesbot", "team"):
        raise InputError(f"--kind: '{kind}' is not one of salesbot, team")
    out.print_json(json.dumps(json_schema(kind)))  # type: ignore[arg-type]


# -- templates ---------------------------------------------------------------


@templates_app.command("render")
def templates_render(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="handover, onboarding, give-back, consult or ldr.")],
    data: Annotated[Path, typer.Option("--data", help="A YAML file with the template's values.")],
) -> None:
    """Print one rendered issue (title, labels, description)."""
    from automation.templates import render

    values = _read_yaml_mapping(data)
    rendered = render(kind, values, _own_templates(_state(ctx)))
    out.print(f"title: {rendered.title}", markup=False)
    out.print(f"labels: {', '.join(rendered.labels)}", markup=False)
    out.print("", markup=False)
    out.print(rendered.description, markup=False)


def _own_templates(state: State) -> Path | None:
    """The config's `templates_dir` when there is a config; None (the shipped
    templates) otherwise, so rendering works from an installed wheel anywhere."""
    from automation.config import templates_path

    if not state.config_path.is_file():
        return None
    return templates_path(state.config_path, state.load()[0])


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: invalid YAML") from None
    if not isinstance(loaded, dict):
        raise InputError(f"{path}: expected a mapping of template values")
    return {str(k): v for k, v in loaded.items()}


@templates_app.command("export")
def templates_export(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Option(help="Where GitLab looks for issue templates.")] = Path(
        ".gitlab/issue_templates"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; fail if the files are out of date.")
    ] = False,
) -> None:
    """Generate .gitlab/issue_templates/*.md from templates/*.md.j2."""
    from automation.templates import export

    changed = export(dest, check=check, templates_dir=_own_templates(_state(ctx)))
    if check and changed:
        for path in changed:
            err.print(f"{path}: out of date; run `salesbot templates export`", markup=False)
        raise typer.Exit(1)
    verb = "up to date" if check else f"{len(changed)} file(s) written"
    out.print(f"{dest}: {verb}", markup=False)


# -- workflows ---------------------------------------------------------------


@handover_app.command("open")
def handover_open(
    ctx: typer.Context,
    account: Annotated[str, typer.Option(help="The account's name.")],
    from_user: Annotated[str, typer.Option("--from", help="Outgoing seller's GitLab username.")],
    to_user: Annotated[str, typer.Option("--to", help="Incoming seller's GitLab username.")],
    account_id: Annotated[
        str | None, typer.Option(help="The CRM account id (keys the issue).")
    ] = None,
    effective: Annotated[
        str | None, typer.Option(help="Effective date, YYYY-MM-DD (default: today).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the account moves.")] = None,
    opportunity: Annotated[
        list[str] | None, typer.Option(help="An open opportunity id (repeatable).")
    ] = None,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Open one account handover issue, assigned to the incoming seller."""
    from automation.workflows import handover

    state = _state(ctx)
    today = state.date()
    item = handover.make(
        account=account,
        from_user=from_user,
        to_user=to_user,
        effective=_parse_date(effective, "--effective") or today,
        account_id=account_id,
        reason=reason,
        opportunities=opportunity or (),
        today=today,
    )
    bot = state.bot()
    plan = bot.plan_handovers([item], today)
    _run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Handover")


def _run_plan(bot: Any, plan: Any, *, dry_run: bool, as_json: bool, title: str) -> None:
    from automation.output import print_plan, print_report, summary_lines

    if dry_run:
        print_plan(out, plan, as_json=as_json, title=f"{title} (dry run)")
        return
    report = bot.apply(plan)
    print_report(out, report, err)
    for note in plan.notes:
        out.print(note, markup=False)
    for line in summary_lines(report):
        out.print(line, markup=False)
    if report.failures:
        raise typer.Exit(2)


@handover_app.command("import")
def handover_import(
    ctx: typer.Context,
    csv_file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="Columns: account, account_id, from, to, effective_date, reason, "
            "opportunities (ids separated by ;).",
        ),
    ],
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Open handover issues for every row of a territory-realignment CSV.

    The whole file is checked first; any bad row aborts with every bad row listed.
    """
    from automation.workflows import handover

    state = _state(ctx)
    today = state.date()
    read = handover.read(csv_file, today=today)
    for warning in read.warnings:
        err.print(warning, markup=False)
    bot = state.bot()
    plan = bot.plan_handovers(read.handovers, today, source=str(csv_file))
    _run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Handover import")


@onboard_app.command("sync")
def onboard_sync(ctx: typer.Context, dry_run: DryRun = False, as_json: AsJson = False) -> None:
    """Open 30/60/90 plans (and Give Back projects) for new hires on the roster."""
    state = _state(ctx)
    bot = state.bot()
    plan = bot.plan_onboarding(state.date())
    _run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Onboarding")


@consults_app.command("sync")
def consults_sync(
    ctx: typer.Context,
    opportunities: Annotated[
        Path, typer.Option(help="The CRM opportunity export (CSV).", metavar="FILE.csv")
    ],
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Open a consult or Lightweight Deal Review per opportunity over the threshold."""
    from automation.workflows import consults

    state = _state(ctx)
    export = consults.read_csv(opportunities)
    for problem in (*export.warnings, *export.problems):
        err.print(problem, markup=False)
    bot = state.bot()
    plan = bot.plan_consults(export, state.date())
    _run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Consults")


def _shard_default() -> str | None:
    index, total = os.environ.get("CI_NODE_INDEX"), os.environ.get("CI_NODE_TOTAL")
    return f"{index}/{total}" if index and total else None


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    dry_run: DryRun = False,
    as_json: AsJson = False,
    shard: Annotated[
        str | None,
        typer.Option(help="Sweep only share I of N (default: CI_NODE_INDEX/CI_NODE_TOTAL)."),
    ] = None,
) -> None:
    """Read every open bot issue's checklist: label progress, nudge, close finished work."""
    from automation.bot import Shard

    state = _state(ctx)
    chosen = shard or _shard_default()
    part = Shard.parse(chosen) if chosen else None  # a bad --shard before any set-up error
    bot = state.bot()
    plan = bot.plan_sweep(state.date(), shard=part)
    _run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Sweep")


@app.command("run")
def run_command(ctx: typer.Context, dry_run: DryRun = False, as_json: AsJson = False) -> None:
    """The scheduled job: onboard sync, consults sync (if an export is configured), sweep."""
    from automation.run import run

    state = _state(ctx)
    result = run(state.bot(), state.date(), config_path=state.config_path, dry_run=dry_run)
    from automation.output import print_failures, print_plan, summary_lines

    if dry_run:
        print_plan(out, result.plan, as_json=as_json, title="Run (dry run)")
        return
    print_failures(err, result.report)
    for line in summary_lines(
        result.report, ("onboarding", "give-back", "opportunity", "handover")
    ):
        out.print(line, markup=False)
    if result.report.failures:
        raise typer.Exit(2)


# -- sandbox and demo ----------------------------------------------------------


@sandbox_app.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8080,
    data: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps the sandbox across restarts.")
    ] = None,
    premium: Annotated[
        bool, typer.Option(help="Behave like GitLab Premium (exclusive scoped labels).")
    ] = False,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute per token before 429.")
    ] = None,
    latency: Annotated[float, typer.Option(help="Seconds added to every request.")] = 0.0,
    fault_rate: Annotated[float, typer.Option(help="Fraction of requests answered 502/503.")] = 0.0,
) -> None:
    """Serve a local GitLab REST v4 sandbox until interrupted."""
    from automation.sandbox import Sandbox

    sandbox = Sandbox(
        premium=premium, rate_limit=rate_limit, latency=latency, fault_rate=fault_rate, data=data
    )
    sandbox.start(port=port)
    out.print(f"GitLab sandbox on {sandbox.url} (project {sandbox.project_path})", markup=False)
    out.print(
        f"  export GITLAB_URL={sandbox.url} SALESBOT_PROJECT={sandbox.project_path} "
        # the sandbox's own fake token (seed.yml), not a secret
        f"GITLAB_TOKEN={sandbox.bot_token}",
        markup=False,
    )
    out.print("Press Ctrl+C to stop.", markup=False)
    try:
        while True:
            time.sleep(3600)
    finally:
        sandbox.stop()


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the sandbox running afterwards to inspect.")
    ] = False,
) -> None:
    """Run salesbot against an embedded sandbox over simulated days."""
    from importlib.resources import files

    from automation.demo import run_demo

    config_path = _state(ctx).config_path
    if config_path == DEFAULT_CONFIG and not config_path.is_file():
        # Installed from the wheel, outside a checkout: the shipped example config.
        example = files("automation.example_config") / "salesbot.yml"
        config_path = Path(str(example))
        out.print(f"no {DEFAULT_CONFIG} here: using the example config {config_path}", markup=False)
    run_demo(out, config_path=config_path, serve=serve)


# dashboard, report and notify live in their own module
cli_reports.register(app, state=_state, out=out, err=err)
# the webhook receiver and its hook: automation.cli_webhook
app.command("serve")(cli_webhook.serve)
app.add_typer(cli_webhook.webhook_app, name="webhook")


# -- entry points --------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 the user's input, 2 GitLab)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="salesbot", standalone_mode=False)
    except SalesbotError as exc:
        err.print(f"salesbot: error: {exc}", markup=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("salesbot: interrupted", markup=False)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument...
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"salesbot: error: {exc.format_message()}", markup=False)
        return 1
    except KeyboardInterrupt:
        err.print("salesbot: interrupted", markup=False)
        return 130
    return result if isinstance(result, int) else 0


def entrypoint() -> NoReturn:
    sys.exit(main())
