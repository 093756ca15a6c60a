"""The configuration (`config/salesbot.yml`) and the roster (`config/team.yml`).

Both files are validated into frozen pydantic models. Every problem of a file
is reported at once, one line each, naming the file, the line, the key path
and what was expected, e.g.

    config/team.yml:14: members[3].start_date: not a date (YYYY-MM-DD)

The JSON Schemas shipped next to the files (`*.schema.json`) are generated
from these models (`python -m automation.config` rewrites them) so editors
complete and check the files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from automation import yamlsource
from automation.errors import ConfigError, InputError

SUPPORTED_VERSIONS = (1,)
USERNAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
# GitLab takes labels as a comma-separated list, and the bot names them in
# `/label ~"..."` quick actions: a comma or a double quote cannot survive both.
LABEL_PATTERN = r'^[^\s,"](?:[^,"]*[^\s,"])?$'
DATE_MESSAGE = "not a date (YYYY-MM-DD)"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
SchemaKind = Literal["salesbot", "team"]


class ConfigValidationError(ConfigError):
    """Every problem found in the configuration; the message is one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems: list[str] = list(problems)


class Segment(StrEnum):
    SMB = "SMB"
    MID_MARKET = "Mid-Market"
    ENTERPRISE = "Enterprise"
    PUBLIC_SECTOR = "Public Sector"


class Department(StrEnum):
    COMMERCIAL = "Commercial"
    ENTERPRISE = "Enterprise"


# -- field types ---------------------------------------------------------------


def _check_version(value: int) -> int:
    if value not in SUPPORTED_VERSIONS:
        raise PydanticCustomError(
            "version",
            "unsupported version {version}; supported versions: {supported}",
            {"version": value, "supported": ", ".join(map(str, SUPPORTED_VERSIONS))},
        )
    return value


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: `date.fromisoformat` would also take 20240201 or 2024-W05."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", DATE_MESSAGE)


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone",
            "unknown timezone '{zone}' (expected an IANA name like America/Los_Angeles)",
            {"zone": value},
        ) from None
    return value


def _id_as_text(value: object) -> object:
    """A numeric project id is written as a YAML number; keep it as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


Version = Annotated[
    int,
    Field(
        strict=True,
        description="Format version of this file.",
        json_schema_extra={"enum": list(SUPPORTED_VERSIONS)},
    ),
    AfterValidator(_check_version),
]
Text = Annotated[str, Field(min_length=1)]
WholeNumber = Annotated[int, Field(strict=True, ge=0)]
Flag = Annotated[bool, Field(strict=True)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Username = Annotated[str, Field(pattern=USERNAME_PATTERN)]
Color = Annotated[str, Field(pattern=COLOR_PATTERN)]
LabelName = Annotated[str, Field(pattern=LABEL_PATTERN)]
Weekday = Annotated[
    Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    BeforeValidator(_lower),
]
TemplateName = Literal["handover", "onboarding", "give-back", "consult", "ldr"]
Assignee = Literal["incoming", "outgoing", "hire", "owner", "manager"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- salesbot.yml --------------------------------------------------------------


class GitLabConfig(_Model):
    project: Annotated[
        Text,
        BeforeValidator(_id_as_text),
        Field(
            description="Project path or numeric id; overridden by --project, "
            "SALESBOT_PROJECT or CI_PROJECT_PATH.",
            json_schema_extra={"type": ["string", "integer"]},
        ),
    ]
    tier: Literal["free", "premium"] = Field(
        "free",
        description="premium: several assignees per issue, exclusive scoped labels.",
    )


class LabelsConfig(_Model):
    bot: LabelName = Field("salesbot", description="Marks every bot-managed issue.")
    progress: LabelName = Field("progress", description="Scope of progress::not-started etc.")
    status: LabelName = Field("status", description="Scope of status::overdue etc.")
    phase: LabelName = Field("phase", description="Scope of phase::day-30 etc.")
    segment: LabelName = Field("segment", description="Scope of segment::SMB etc.")
    colors: dict[LabelName, Color] = Field(
        default_factory=dict, description='Label name -> colour "#rrggbb".'
    )


class NudgesConfig(_Model):
    cadence_days: Annotated[WholeNumber, Field(ge=1)] = Field(
        3, description="At most one nudge per issue per this many days."
    )
    escalate_after: Annotated[WholeNumber, Field(ge=1)] = Field(
        2, description="After this many nudges, mention the manager."
    )
    quiet_days: tuple[Weekday, ...] = Field(
        ("saturday", "sunday"), description="No nudges on these weekdays (team timezone)."
    )


class WorkflowConfig(_Model):
    template: TemplateName = Field(description="The issue template to render.")
    title: str | None = Field(
        None, description="Title format; null uses the template's front-matter title."
    )
    labels: tuple[LabelName, ...] = Field((), description="Extra labels on every issue.")
    assignee: Assignee = Field(description="Who the issue is assigned to.")
    due_days: Annotated[WholeNumber, Field(ge=1)] = Field(
        description="The issue is due this many days after its start."
    )
    confidential: Flag = False
    close_when_complete: Flag = True
    lead_days: WholeNumber = Field(0, description="Open this many days before the start date.")
    departments: tuple[Department, ...] = Field(
        (), description="Departments whose new hires get this workflow (give_back)."
    )


class WorkflowsConfig(_Model):
    handover: WorkflowConfig
    onboarding: WorkflowConfig
    give_back: WorkflowConfig
    consult: WorkflowConfig
    ldr: WorkflowConfig


class Thresholds(_Model):
    """iACV thresholds in USD (handbook: Commercial Sales, Opportunity Consults and LDR)."""

    consult: Annotated[WholeNumber, Field(ge=1)] = Field(description="A consult from this iACV up.")
    ldr: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        None, description="An LDR from this iACV up when closing this or next month."
    )
    consult_name: Text = "Opportunity Consult"

    def kind_for(self, iacv: Decimal, close_in_window: bool) -> Literal["consult", "ldr"] | None:
        """Which review an opportunity needs; `close_in_window`: closes this or next month."""
        if iacv >= self.consult:
            return "consult"
        if self.ldr is not None and iacv >= self.ldr and close_in_window:
            return "ldr"
        return None


class ConsultsConfig(_Model):
    opportunities: Text | None = Field(
        None, description="CRM export CSV read by `salesbot run` (relative to this file)."
    )
    on_bad_rows: Literal["abort", "skip"] = "abort"
    close_on: tuple[Text, ...] = Field(
        ("Closed Won", "Closed Lost"), description="Stages that close the consult issue."
    )
    close_below_threshold: Flag = True


class DashboardConfig(_Model):
    title: Text = Field("salesbot dashboard", description="Title of the dashboard issue.")
    rollup_threshold: Annotated[WholeNumber, Field(ge=1)] = Field(
        15, description="With more people than this, one section per manager."
    )
    extend_days: Annotated[WholeNumber, Field(ge=1)] = Field(
        7, description="Days the dashboard's 'extend' action adds to a due date."
    )
    confidential: Flag = Field(
        True, description="It names who is behind plan: Reporter access and up only."
    )
    max_rows: Annotated[WholeNumber, Field(ge=1)] = Field(
        200, description="Rows per table (GitLab keeps at most 1 MB of description)."
    )


class TemplatesConfig(_Model):
    auto_upgrade: Flag = Field(
        False,
        description="Let `salesbot run` carry template changes into open issues, as"
        " `salesbot templates upgrade` does (README, Template upgrades).",
    )


class Config(_Model):
    """config/salesbot.yml"""

    version: Version
    gitlab: GitLabConfig
    timezone: Annotated[str, AfterValidator(_known_timezone)] = Field(
        description="IANA timezone of the team, e.g. America/Los_Angeles."
    )
    team_file: Text = Field("team.yml", description="The roster, relative to this file.")
    templates_dir: Text | None = Field(
        None,
        description="A folder of your own issue templates (<kind>.md.j2), relative to this"
        " file; null uses the templates shipped with salesbot.",
    )
    labels: LabelsConfig = LabelsConfig()
    nudges: NudgesConfig = NudgesConfig()
    workflows: WorkflowsConfig
    thresholds: dict[Segment, Thresholds] = Field(description="Per segment.")
    consults: ConsultsConfig = ConsultsConfig()
    dashboard: DashboardConfig = DashboardConfig()
    templates: TemplatesConfig = TemplatesConfig()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        _raise_cross(_config_problems(self.model_dump()))
        return self


# -- team.yml ------------------------------------------------------------------


class Member(_Model):
    username: Username = Field(description="GitLab username.")
    name: Text
    role: Text
    segment: Segment
    region: Text
    manager: Username | None = Field(None, description="Username of their manager.")
    start_date: IsoDate
    department: Department
    status: Literal["active", "left"] = "active"


class Team(_Model):
    """config/team.yml"""

    version: Version
    members: tuple[Member, ...]

    # where each member's username was written (set by load_team), so roster
    # problems found later (against GitLab) still name file and line
    _source: str = PrivateAttr(default="team.yml")
    _lines: dict[int, int] = PrivateAttr(default_factory=dict)

    def member(self, username: str) -> Member | None:
        return next((m for m in self.members if m.username == username), None)

    def where(self, index: int) -> str:
        """`file:line` of `members[index].username`."""
        line = self._lines.get(index)
        return f"{self._source}:{line}" if line else self._source

    def active_members(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.status == "active")

    @model_validator(mode="after")
    def _consistent(self) -> Team:
        _raise_cross(_team_problems(self.model_dump()))
        return self


# -- checks across fields --------------------------------------------------------
# They read plain data (the YAML as parsed, or a model dump) so that the loader
# reports them even when other keys of the same file are invalid.


def _config_problems(data: object) -> list[Problem]:
    if not isinstance(data, Mapping):
        return []
    return _threshold_problems(data.get("thresholds")) + _scope_problems(data.get("labels"))


def _threshold_problems(thresholds: object) -> list[Problem]:
    if not isinstance(thresholds, Mapping):
        return []
    problems: list[Problem] = []
    for segment, values in thresholds.items():
        if not isinstance(values, Mapping):
            continue
        consult, ldr = values.get("consult"), values.get("ldr")
        if _is_int(consult) and _is_int(ldr) and ldr >= consult:
            loc: Loc = ("thresholds", str(segment), "ldr")
            problems.append((loc, f"must be below consult ({consult})"))
    return problems


def _scope_problems(labels: object) -> list[Problem]:
    """Two scopes with one name would make each other's labels mutually exclusive."""
    if not isinstance(labels, Mapping):
        return []
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for key in ("progress", "status", "phase", "segment"):
        scope = labels.get(key)
        if not isinstance(scope, str):
            continue
        if scope in seen:
            problems.append((("labels", key), f"same scope as labels.{seen[scope]}"))
        else:
            seen[scope] = key
    return problems


def _team_problems(data: object) -> list[Problem]:
    members = data.get("members") if isinstance(data, Mapping) else None
    if not isinstance(members, Sequence) or isinstance(members, str):
        return []
    rows = [(i, m) for i, m in enumerate(members) if isinstance(m, Mapping)]
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for i, member in rows:
        username = member.get("username")
        if not isinstance(username, str):
            continue
        if username in first:
            problems.append(
                (
                    ("members", i, "username"),
                    f"duplicate username (also members[{first[username]}])",
                )
            )
        else:
            first[username] = i
    for i, member in rows:
        manager = member.get("manager")
        if not isinstance(manager, str) or not manager:
            continue
        if manager == member.get("username"):
            problems.append((("members", i, "manager"), "a member cannot be their own manager"))
        elif manager not in first:
            problems.append((("members", i, "manager"), f"'{manager}' is not a member"))
    problems.extend(_manager_cycles(rows))
    return problems


def _manager_cycles(rows: Sequence[tuple[int, Mapping[Any, Any]]]) -> list[Problem]:
    """A chain of managers that comes back to where it started (a -> b -> a):
    escalations would go round it. Reported once, at its first member."""
    manager_of = {
        m["username"]: m["manager"]
        for _, m in rows
        if isinstance(m.get("username"), str) and isinstance(m.get("manager"), str)
    }
    index_of = {m["username"]: i for i, m in rows if isinstance(m.get("username"), str)}
    reported: set[str] = set()
    problems: list[Problem] = []
    for _, member in rows:
        start = member.get("username")
        if not isinstance(start, str) or start in reported:
            continue
        chain = [start]
        while (nxt := manager_of.get(chain[-1])) is not None and nxt not in chain:
            chain.append(nxt)
        if nxt is None or nxt != start or len(chain) < 2:
            continue  # no cycle, a self-manager (reported above), or a cycle further up
        reported.update(chain)
        first = min(chain, key=lambda u: index_of[u])
        at = chain.index(first)
        loop = [*chain[at:], *chain[:at], first]
        problems.append(
            (("members", index_of[first], "manager"), f"circular managers: {' -> '.join(loop)}")
        )
    return problems


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _raise_cross(problems: list[Problem]) -> None:
    if problems:
        summary = "; ".join(f"{_dotted(loc)}: {message}" for loc, message in problems)
        raise PydanticCustomError("cross_field", "{summary}", {"summary": summary})


# -- messages ------------------------------------------------------------------

_PATTERN_MESSAGES = {
    USERNAME_PATTERN: "not a GitLab username (letters, digits, _ . -)",
    COLOR_PATTERN: "not a colour (#rrggbb)",
    LABEL_PATTERN: "not a label name GitLab can take (no commas, no double quotes, "
    "no spaces at either end)",
}


def _dotted(loc: Sequence[object]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _choices(expected: str) -> str:
    """pydantic says "'a', 'b' or 'c'"; people read "a, b, c"."""
    quoted = re.findall(r"'([^']*)'", expected)
    return ", ".join(quoted) if quoted else expected


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    for prefix, text in _PREFIX_MESSAGES:
        if kind.startswith(prefix):
            return text
    render = _MESSAGES.get(kind)
    return render(error, ctx) if render else error["msg"]


_PREFIX_MESSAGES = (
    ("int_", "not a whole number"),
    ("date_", DATE_MESSAGE),
    ("bool_", "expected true or false"),
)

_Render = Callable[[ErrorDetails, dict[str, Any]], str]
_MESSAGES: dict[str, _Render] = {
    "missing": lambda e, c: "required key missing",
    "extra_forbidden": lambda e, c: "unknown key",
    "enum": lambda e, c: f"expected one of: {_choices(str(c.get('expected', '')))}",
    "literal_error": lambda e, c: f"expected one of: {_choices(str(c.get('expected', '')))}",
    "string_type": lambda e, c: (
        "expected text"
        + (" (put it in quotes)" if isinstance(e.get("input"), bool | int | float) else "")
    ),
    "string_too_short": lambda e, c: "must not be empty",
    "string_pattern_mismatch": lambda e, c: _PATTERN_MESSAGES.get(
        str(c.get("pattern")), f"does not match {c.get('pattern')}"
    ),
    "greater_than_equal": lambda e, c: f"must be at least {c.get('ge')}",
    "list_type": lambda e, c: "expected a list",
    "tuple_type": lambda e, c: "expected a list",
    "dict_type": lambda e, c: "expected a mapping (key: value)",
    "model_type": lambda e, c: "expected a mapping (key: value)",
    "model_attributes_type": lambda e, c: "expected a mapping (key: value)",
}


# -- loading -------------------------------------------------------------------

_M = TypeVar("_M", bound=BaseModel)


def _read(path: Path) -> yamlsource.Document:
    """Parse one file; a missing, unreadable or malformed file is one problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigValidationError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ConfigValidationError([f"{path}: is a directory, not a file"]) from None
    except UnicodeDecodeError:
        raise ConfigValidationError([f"{path}: not UTF-8 text"]) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigValidationError([f"{path}: cannot read ({reason})"]) from None
    try:
        return yamlsource.parse(text)
    except yamlsource.YamlSyntaxError as exc:
        raise ConfigValidationError([f"{path}:{exc.line}: invalid YAML: {exc.reason}"]) from None


def _validate(
    model: type[_M],
    doc: yamlsource.Document,
    path: Path,
    cross: Callable[[object], list[Problem]],
) -> _M:
    """The model, or ConfigValidationError with every problem sorted by line."""
    found = _early_problems(doc)
    if found is None:
        found = [
            (d.line, f"{_dotted(d.path)}: duplicate key (first on line {d.first_line})")
            for d in doc.duplicates
        ]
        crossed = [(doc.line_for(loc), _with_path(loc, msg)) for loc, msg in cross(doc.data)]
        found += crossed
        try:
            result = model.model_validate(doc.data)
        except ValidationError as exc:
            # cross-field errors were just reported from the raw data, with lines
            found += _located(doc, exc, skip_cross=bool(crossed))
        else:
            if not found:
                return result
    found.sort(key=lambda item: item[0])
    raise ConfigValidationError([f"{path}:{line}: {text}" for line, text in found])


def _early_problems(doc: yamlsource.Document) -> list[tuple[int, str]] | None:
    """Problems that make the rest of the file meaningless to check."""
    if doc.data is None:
        return [(1, "file is empty (expected a mapping starting with 'version: 1')")]
    if isinstance(doc.data, Mapping):
        version = doc.data.get("version")
        if _is_int(version) and version not in SUPPORTED_VERSIONS:
            supported = ", ".join(map(str, SUPPORTED_VERSIONS))
            return [
                (
                    doc.line_for(("version",)),
                    f"version: unsupported version {version}; supported versions: {supported}",
                )
            ]
    return None


def _located(
    doc: yamlsource.Document, exc: ValidationError, *, skip_cross: bool
) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for error in exc.errors(include_url=False):
        if skip_cross and error["type"] == "cross_field":
            continue
        loc = tuple(part for part in error["loc"] if part != "[key]")
        out.append((doc.line_for(error["loc"]), _with_path(loc, _message(error))))
    return out


def _with_path(loc: Loc, message: str) -> str:
    return f"{_dotted(loc)}: {message}" if loc else message


def load_config(path: Path) -> Config:
    """Read and validate a salesbot.yml; ConfigValidationError lists every problem."""
    return _validate(Config, _read(path), path, _config_problems)


def load_team(path: Path) -> Team:
    """Read and validate a team.yml; ConfigValidationError lists every problem."""
    doc = _read(path)
    team = _validate(Team, doc, path, _team_problems)
    team._source = str(path)
    team._lines = {i: doc.line_for(("members", i, "username")) for i in range(len(team.members))}
    return team


def unknown_usernames(team: Team, known: Callable[[str], bool]) -> list[str]:
    """One problem per active roster member whose username GitLab does not
    know (a typo would otherwise read as the real member having left).
    Departed members are not looked up: their GitLab account may be gone."""
    return [
        f"{team.where(i)}: members[{i}].username: '{m.username}' is not a GitLab user"
        for i, m in enumerate(team.members)
        if m.status == "active" and not known(m.username)
    ]


def team_path(config_path: Path, team_file: str) -> Path:
    """The roster's path: `team_file` is relative to the config file."""
    return config_path.parent / team_file


def templates_path(config_path: Path, config: Config) -> Path | None:
    """The team's own templates folder (relative to the config file), or None
    for the templates shipped with salesbot."""
    return config_path.parent / config.templates_dir if config.templates_dir else None


def load(config_path: Path) -> tuple[Config, Team]:
    """The config and its roster; ConfigValidationError lists the problems of both."""
    config, team, problems = _load_both(config_path)
    if problems or config is None or team is None:
        raise ConfigValidationError(problems)
    return config, team


def validate_files(config_path: Path) -> list[str]:
    """Every problem of the config file and its roster; empty when both are valid."""
    return _load_both(config_path)[2]


def _load_both(config_path: Path) -> tuple[Config | None, Team | None, list[str]]:
    problems: list[str] = []
    config: Config | None = None
    team: Team | None = None
    try:
        doc = _read(config_path)
    except ConfigValidationError as exc:
        return None, None, exc.problems
    try:
        config = _validate(Config, doc, config_path, _config_problems)
        team_file: object = config.team_file
    except ConfigValidationError as exc:
        problems += exc.problems
        data = doc.data if isinstance(doc.data, Mapping) else {}
        team_file = data.get("team_file", Config.model_fields["team_file"].default)
    templates = templates_path(config_path, config) if config else None
    if templates is not None and not templates.is_dir():
        problems.append(f"{config_path}: templates_dir: {templates} is not a folder")
    if isinstance(team_file, str) and team_file:
        try:
            team = load_team(team_path(config_path, team_file))
        except ConfigValidationError as exc:
            problems += exc.problems
    return config, team, problems


# -- JSON Schema ---------------------------------------------------------------

_SCHEMA_MODELS: dict[str, type[BaseModel]] = {"salesbot": Config, "team": Team}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The JSON Schema of salesbot.yml ("salesbot") or team.yml ("team")."""
    model = _SCHEMA_MODELS.get(kind)
    if model is None:
        raise InputError(f"unknown schema '{kind}' (expected one of: salesbot, team)")
    return {"$schema": SCHEMA_DIALECT, **model.model_json_schema()}


def schema_text(kind: SchemaKind) -> str:
    """The schema as shipped in config/<kind>.schema.json."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(config_dir: Path) -> list[Path]:
    """Regenerate the shipped schema files; returns the paths written."""
    written = []
    for kind in ("salesbot", "team"):
        target = config_dir / f"{kind}.schema.json"
        target.write_text(schema_text(kind), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":  # python -m automation.config: regenerate config/*.schema.json
    write_schemas(Path(__file__).resolve().parent.parent / "config")
