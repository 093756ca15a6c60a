"""Commands on local files: `salesbot checklist`, `config validate|schema`,
`templates render|export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from automation.cli.common import (
    AsJson,
    DryRun,
    State,
    _state,
    app,
    config_app,
    err,
    out,
    templates_app,
)
from automation.errors import InputError

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
    checked, problems = _check_inputs(state)
    for problem in problems:
        err.print(problem, markup=False)
    if problems:
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
    for line in checked:
        out.print(line, markup=False)


def _check_inputs(state: State) -> tuple[list[str], list[str]]:
    """Each file `config validate` read, one line each, and their problems:
    salesbot.yml, the roster, the templates, the opportunities export if configured."""
    from automation.config import team_path, templates_path
    from automation.errors import TemplateError
    from automation.templates import KINDS, Templates
    from automation.workflows import consults

    path = state.config_path
    config, team = state.load()
    checked = [
        f"{path}: valid",
        f"{team_path(path, config.team_file)}: valid ({len(team.members)} people)",
    ]
    problems: list[str] = []
    folder = templates_path(path, config)
    loaded = Templates.load(folder)
    broken = [
        str(e) for e in (loaded._loaded.get(k) for k in KINDS) if isinstance(e, TemplateError)
    ]
    problems += broken
    where = str(folder) if folder is not None else "templates (shipped with salesbot)"
    checked.append(f"{where}: {len(KINDS) - len(broken)} of {len(KINDS)} templates valid")
    name = config.consults.opportunities
    if name:
        export_path = Path(name) if Path(name).is_absolute() else path.parent / name
        try:
            export = consults.read_csv(export_path)
        except InputError as exc:
            problems.append(str(exc))
        else:
            for warning in export.warnings:
                err.print(warning, markup=False)
            problems += export.problems
            count = len(export.opportunities)
            checked.append(f"{export_path}: valid ({count} opportunities)")
    else:
        checked.append("opportunities export: not configured (consults.opportunities)")
    return checked, problems


schema_app = typer.Typer(help="JSON Schemas of what salesbot prints.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("output")
def schema_output() -> None:
    """Print the JSON Schema of every writing command's --json output.

    The same document for handover, onboard sync, consults sync, sweep, run,
    dashboard, notify and templates export; `command` names which one ran.

    Example: salesbot schema output > salesbot-output.schema.json
    """
    from automation.output import output_schema

    sys.stdout.write(json.dumps(output_schema(), indent=2) + "\n")


@config_app.command("schema")
def config_schema(
    kind: Annotated[str, typer.Option(help="Which file: salesbot or team.")] = "salesbot",
) -> None:
    """Print the JSON Schema of a config file (for editor completion)."""
    from automation.config_schema import json_schema

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
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Generate .gitlab/issue_templates/*.md from templates/*.md.j2.

    --dry-run lists the files that would be written (or deleted) and writes
    nothing; --json prints a `salesbot schema output` document whose
    `details.files` are those files.

    Examples: salesbot templates export --dry-run; salesbot templates export --check
    """
    from automation.actions import Plan
    from automation.output import command_output, print_json
    from automation.templates import export

    changed = export(dest, check=check or dry_run, templates_dir=_own_templates(_state(ctx)))
    if as_json:
        would = check or dry_run
        details = {"dest": str(dest), "files": [str(p) for p in changed], "written": not would}
        print_json(command_output("templates export", Plan(), None, details=details)
                   if would else _written("templates export", details))  # fmt: skip
    if check and changed:
        for path in changed:
            err.print(f"{path}: out of date; run `salesbot templates export`", markup=False)
        raise typer.Exit(1)
    if as_json:
        return
    if dry_run:
        for path in changed:
            out.print(f"would write {path}", markup=False)
        out.print(f"{dest}: {len(changed)} file(s) would be written (dry run)", markup=False)
        return
    verb = "up to date" if check else f"{len(changed)} file(s) written"
    out.print(f"{dest}: {verb}", markup=False)


def _written(command: str, details: dict[str, Any]) -> Any:
    from automation.actions import Plan
    from automation.applier import Report
    from automation.output import command_output

    return command_output(command, Plan(), Report(), details=details)
