"""Issue templates: `templates/<kind>.md.j2` rendered into issue titles and descriptions.

A template file is YAML front matter between two `---` lines, then a Jinja
body:

    ---
    title: "Give Back Project: {{ name }}"   # Jinja, rendered with the same data
    labels: [Give Back Project]
    due_days: 90                             # from the workflow's anchor date
    sections_due: {}                         # optional: section heading -> days
    items_due: {}                            # optional: task key -> days (before its section)
    version: 1                               # goes into the bot marker
    description: One line for humans.
    ---
    {# documents the variables #}
    ## Problem
    - [ ] 🔴 A required task <!-- task:give-back.problem -->

Rendering is safe by construction: the environment is sandboxed, a missing
variable is an error, and every `{{ ... }}` output passes through
`automation.neutralise` (title context for the title) unless it is `Trusted`,
which only `mention()` returns. A template author therefore cannot forget to
escape a value, and cannot mention anyone except through `mention(username)`.
`owned_by(username)` writes the hidden owner comment of a section or item
(`automation.hidden.section_owner`; nothing for None).

The front matter is validated in `automation.template_front_matter`, the
filters are in `automation.template_filters`, and `templates export` is in
`automation.template_export`. `Templates.load` reads every kind once (a run's
`Environment` holds the result), so planners render without touching files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    meta,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from automation import hidden, registry, template_front_matter
from automation.errors import TemplateError
from automation.neutralise import Trusted, mention, neutralise
from automation.template_filters import default, iso_date, money, neutralised_as

KINDS: Final = registry.TEMPLATE_KINDS
# The templates shipped with salesbot: the repository's `templates/` folder,
# packaged as `automation.bundled_templates` (see pyproject.toml), so they are
# found in the editable install and in an installed wheel alike. A regular
# package on the file system, so its files are real paths (the loader stats
# them to notice edits).
_BUNDLED: Final = files("automation.bundled_templates")
if not isinstance(_BUNDLED, Path):  # a zipped install: Jinja and the cache need real files
    raise ImportError("salesbot's templates must be installed as files, not inside a zip")
DEFAULT_TEMPLATES_DIR: Final = _BUNDLED.resolve()
SUFFIX: Final = ".md.j2"


@dataclass(frozen=True)
class TemplateInfo:
    """A template's front matter and the variables its title and body use."""

    kind: str
    title: str  # the unrendered Jinja title
    labels: tuple[str, ...]
    due_days: int
    sections_due: Mapping[str, int]
    version: int
    description: str
    variables: tuple[str, ...]
    # task key -> days after the anchor, for items due before their section
    items_due: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RenderedIssue:
    """A rendered template: what the engine needs to open the issue (minus the marker)."""

    kind: str
    title: str
    description: str
    labels: tuple[str, ...]
    due_days: int
    sections_due: Mapping[str, int]
    version: int


# -- public API ------------------------------------------------------------------


def load_info(kind: str, templates_dir: Path | None = None) -> TemplateInfo:
    """The front matter of `kind`'s template and the variables it needs."""
    return _source(path_of(kind, templates_dir)).info


def render(
    kind: str, data: Mapping[str, object], templates_dir: Path | None = None
) -> RenderedIssue:
    """Render `kind` with `data`, reading the template file (see `Templates`
    for a set read once). Raises TemplateError naming the template and the
    variable when `data` lacks one the template uses."""
    return _Loaded.read(kind, templates_dir).render(kind, data)


def export(dest: Path, *, check: bool = False, templates_dir: Path | None = None) -> list[Path]:
    """`automation.template_export.export` (the CLI's entry point)."""
    from automation.template_export import export as write

    return write(dest, check=check, templates_dir=templates_dir)


@dataclass(frozen=True)
class Templates:
    """Every kind's template, read once: a run's planners ask this, not the
    files. A template that could not be read fails when it is used, as it
    did when it was read on use, so one broken template stops only its kind."""

    directory: Path | None
    _loaded: Mapping[str, _Loaded | TemplateError]

    @classmethod
    def load(cls, templates_dir: Path | None = None) -> Templates:
        loaded: dict[str, _Loaded | TemplateError] = {}
        for kind in KINDS:
            try:
                loaded[kind] = _Loaded.read(kind, templates_dir)
            except TemplateError as exc:
                loaded[kind] = exc
        return cls(templates_dir, MappingProxyType(loaded))

    @classmethod
    @functools.cache
    def shipped(cls) -> Templates:
        return cls.load(None)

    def _get(self, kind: str) -> _Loaded:
        found = self._loaded.get(kind)
        if found is None:
            path_of(kind, self.directory)  # raises: unknown kind
            raise AssertionError(kind)  # pragma: no cover
        if isinstance(found, TemplateError):
            raise found
        return found

    def info(self, kind: str) -> TemplateInfo:
        return self._get(kind).source.info

    def render(self, kind: str, data: Mapping[str, object]) -> RenderedIssue:
        return self._get(kind).render(kind, data)


@dataclass(frozen=True)
class _Loaded:
    """A template file's parts and its compiled body."""

    source: _Source
    body: Template

    @classmethod
    def read(cls, kind: str, templates_dir: Path | None) -> _Loaded:
        path = path_of(kind, templates_dir)
        source = _source(path)
        with _jinja_errors(source.display):
            body = _environments(path.parent).body.get_template(path.name)
        return cls(source, body)

    def render(self, kind: str, data: Mapping[str, object]) -> RenderedIssue:
        source = self.source
        info = source.info
        for name in info.variables:
            if name not in data:
                raise TemplateError(f"{source.display}: variable '{name}' is undefined")
        values = dict(data)
        with _jinja_errors(source.display):
            title = source.title.render(values)
            description = self.body.render(values)
        return RenderedIssue(
            kind=kind,
            title=neutralise(title, "title"),
            description=description,
            labels=info.labels,
            due_days=info.due_days,
            sections_due=info.sections_due,
            version=info.version,
        )


# -- loading ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A template file split into its front matter and its Jinja body."""

    display: str  # the path as error messages show it
    body: str  # front matter replaced by a Jinja comment of as many lines
    title: Template  # the front matter title, compiled in title context
    info: TemplateInfo


@dataclass(frozen=True)
class _Environments:
    body: SandboxedEnvironment
    title: SandboxedEnvironment


class _FrontMatterLoader(BaseLoader):
    """Loads `<dir>/<name>` with its front matter blanked out, so Jinja line
    numbers in errors still match the file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get_source(
        self, environment: Any, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        path = self.directory / template
        stat = _stat(path)
        if stat is None:
            raise TemplateNotFound(template)
        source = _source(path)
        return source.body, str(path), lambda: _stat(path) == stat


def path_of(kind: str, templates_dir: Path | None) -> Path:
    if kind not in KINDS:
        raise TemplateError(f"unknown template '{kind}'; expected one of: {', '.join(KINDS)}")
    return (templates_dir or DEFAULT_TEMPLATES_DIR) / f"{kind}{SUFFIX}"


def _source(path: Path) -> _Source:
    stat = _stat(path)
    if stat is None:
        raise TemplateError(f"{display(path)}: template file not found")
    return _parse_file(path, stat)


@functools.lru_cache(maxsize=64)
def _parse_file(path: Path, stat: tuple[int, int]) -> _Source:
    """Parse a template file; `stat` (mtime, size) keys the cache."""
    shown = display(path)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise TemplateError(f"{shown}:1: a template starts with '---' and YAML front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise TemplateError(f"{shown}:1: front matter has no closing '---' line")
    front = template_front_matter.parse(shown, "\n".join(lines[1:end]))
    # `-#}` also eats the newline after the front matter; the comment spans
    # the front matter's lines, so body line numbers equal file line numbers.
    body = "{#" + "\n" * end + "-#}\n" + "\n".join(lines[end + 1 :])
    env = _environments(path.parent)
    variables = _variables(shown, env, body, front.title)
    for heading in front.sections_due:
        # Phases are read back from the issue by heading (automation.checklist).
        if not re.search(rf"^## {re.escape(heading)}[ \t]*$", body, re.MULTILINE):
            raise TemplateError(f"{shown}: sections_due names '{heading}', a missing '## ' heading")
    for key in front.items_due:
        if hidden.task_key(key) not in body:
            raise TemplateError(f"{shown}: items_due names '{key}', a task key the template lacks")
    info = TemplateInfo(
        kind=path.name.removesuffix(SUFFIX),
        title=front.title,
        labels=tuple(front.labels),
        due_days=front.due_days,
        sections_due=MappingProxyType(dict(front.sections_due)),
        version=front.version,
        description=front.description,
        variables=variables,
        items_due=MappingProxyType(dict(front.items_due)),
    )
    compiled = env.title.from_string(front.title)
    return _Source(display=shown, body=body, title=compiled, info=info)


def _variables(display: str, env: _Environments, body: str, title: str) -> tuple[str, ...]:
    names: set[str] = set()
    for part, source in (("", body), ("title: ", title)):
        try:
            names |= meta.find_undeclared_variables(env.body.parse(source))
        except TemplateSyntaxError as exc:
            where = f"{display}:{exc.lineno}" if not part else f"{display}: title"
            raise TemplateError(f"{where}: {exc.message}") from None
    return tuple(sorted(names - set(env.body.globals)))


@functools.lru_cache(maxsize=16)
def _environments(directory: Path) -> _Environments:
    def finalize_text(value: object) -> str:
        return str(value) if isinstance(value, Trusted) else neutralise(value, "text")

    def finalize_title(value: object) -> str:
        return neutralise(value, "title")

    def build(finalize: Callable[[object], str], loader: BaseLoader | None) -> SandboxedEnvironment:
        env = SandboxedEnvironment(
            loader=loader,
            undefined=StrictUndefined,
            finalize=finalize,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(
            money=money,
            date=iso_date,
            default=default,
            d=default,
            cell=neutralised_as("table"),
            heading=neutralised_as("heading"),
        )
        env.globals["mention"] = mention
        env.globals["owned_by"] = section_owner
        return env

    return _Environments(
        body=build(finalize_text, _FrontMatterLoader(directory)),
        title=build(finalize_title, None),
    )


def section_owner(username: object) -> Trusted:
    """The hidden owner comment for the section heading above it (see
    `automation.hidden.section_owner`); nothing for None, so the sweep falls
    back to the issue's assignees for that section."""
    if username is None:
        return Trusted("")
    return Trusted(hidden.section_owner(mention(username).removeprefix("@")))


@contextmanager
def _jinja_errors(display: str) -> Iterator[None]:
    """Turn errors while rendering into TemplateError naming the template file."""
    try:
        yield
    except UndefinedError as exc:
        found = re.fullmatch(r"'([^']+)' is undefined", exc.message or "")
        what = f"variable '{found[1]}' is undefined" if found else exc.message
        raise TemplateError(f"{display}: {what}") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{display}:{exc.lineno}: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateError(f"{display}: {exc}") from None
    except TemplateError as exc:  # from a filter or mention()
        raise TemplateError(f"{display}: {exc}") from None


# -- small helpers ---------------------------------------------------------------


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def display(path: Path) -> str:
    """`templates/handover.md.j2` for the shipped templates (installed or in
    the checkout); a team's own are shown relative to the working directory."""
    resolved = path.resolve()
    if bundled(resolved):
        return f"templates/{resolved.name}"
    if resolved.is_relative_to(Path.cwd()):
        return resolved.relative_to(Path.cwd()).as_posix()
    return str(path)


def bundled(path: Path) -> bool:
    return path.resolve().parent == DEFAULT_TEMPLATES_DIR
