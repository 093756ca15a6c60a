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
