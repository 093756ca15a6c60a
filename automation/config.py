"""The configuration (`config/salesbot.yml`) and the roster (`config/team.yml`).

Both files are validated into frozen pydantic models. Every problem of a file
is reported at once, one line each, naming the file, the line, the key path
and what was expected, e.g.

    config/team.yml:14: members[3].start_date: not a date (YYYY-MM-DD)

The settings models are here; the roster's are in `automation.team`, and the
shared field types and error wording in `automation.fields`.

The JSON Schemas shipped next to the files (`*.schema.json`) are generated
from these models (`python -m automation.config` rewrites them) so editors
complete and check the files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from automation import yamlsource
from automation.config_checks import config_problems
from automation.errors import ConfigError
from automation.fields import (
    SUPPORTED_VERSIONS,
    Color,
    Department,
    Flag,
    LabelName,
    Loc,
    Model,
    Problem,
    Segment,
    Text,
    Version,
    Weekday,
    WholeNumber,
    dotted,
    id_as_text,
    is_int,
    known_timezone,
    message,
    raise_cross,
)
from automation.registry import TemplateKind
from automation.team import Team, team_problems

__all__ = [
    "Config",
    "ConfigValidationError",
    "WorkflowConfig",
    "load",
    "load_config",
    "load_team",
]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
TemplateName = TemplateKind
Assignee = Literal["incoming", "outgoing", "hire", "owner", "manager"]
SchemaKind = Literal["salesbot", "team"]


class ConfigValidationError(ConfigError):
    """Every problem found in the configuration; the message is one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems: list[str] = list(problems)


# -- salesbot.yml --------------------------------------------------------------


class GitLabConfig(Model):
    project: Annotated[
        Text,
        BeforeValidator(id_as_text),
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


class LabelsConfig(Model):
    bot: LabelName = Field("salesbot", description="Marks every bot-managed issue.")
    progress: LabelName = Field("progress", description="Scope of progress::not-started etc.")
    status: LabelName = Field("status", description="Scope of status::overdue etc.")
    phase: LabelName = Field("phase", description="Scope of phase::day-30 etc.")
    segment: LabelName = Field("segment", description="Scope of segment::SMB etc.")
    colors: dict[LabelName, Color] = Field(
        default_factory=dict, description='Label name -> colour "#rrggbb".'
    )


class NudgesConfig(Model):
    cadence_days: Annotated[WholeNumber, Field(ge=1)] = Field(
        3, description="At most one nudge per issue per this many days."
    )
    escalate_after: Annotated[WholeNumber, Field(ge=1)] = Field(
        2, description="After this many nudges, mention the manager."
    )
    quiet_days: tuple[Weekday, ...] = Field(
        ("saturday", "sunday"), description="No nudges on these weekdays (team timezone)."
    )


# The onboarding plans the onboarding template renders (its `plan` variable).
RolePlan = Literal["account-executive", "strategic-account-leader", "area-sales-manager"]
RoleTitle = Annotated[str, Field(min_length=1)]


class WorkflowConfig(Model):
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
    roles: dict[RoleTitle, RolePlan] = Field(
        default_factory=dict,
        description="onboarding: job title (the roster's role, any case) -> the plan it gets; "
        "a title not listed gets account-executive.",
    )
    roll_call_months: Annotated[WholeNumber, Field(ge=1)] = Field(
        6,
        description="give_back: months of adoption roll-call after the project is delivered "
        "(one roll-call issue a month; README, Give Back adoption roll-call).",
    )

    def plan_for(self, role: str) -> RolePlan:
        """The onboarding plan of a roster role (handbook: "an onboarding journey
        by segment and role")."""
        wanted = " ".join(role.split()).casefold()
        for title, plan in self.roles.items():
            if " ".join(title.split()).casefold() == wanted:
                return plan
        return "account-executive"


class WorkflowsConfig(Model):
    handover: WorkflowConfig
    onboarding: WorkflowConfig
    give_back: WorkflowConfig
    consult: WorkflowConfig
    ldr: WorkflowConfig
    # optional, so a config written before group consults still loads
    group_consult: WorkflowConfig = Field(
        default_factory=lambda: WorkflowConfig(
            template="group-consult",
            labels=("Group Consult",),
            assignee="manager",
            due_days=31,
        ),
        description="An Area Sales Manager's monthly group consult issue (due at month end).",
    )


class Thresholds(Model):
    """When an opportunity gets a review, in USD (handbook: Commercial Sales,
    "Opportunity Consults and LDR"; Enterprise Sales, "Opportunity management")."""

    consult: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        description="A consult from this iACV up; null: only when requested in the export "
        "(Enterprise: the Area Sales Manager picks them)."
    )
    ldr: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        None, description="An LDR from this iACV up when closing this or next month."
    )
    command_plan_narr: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        None, description="A Command Plan from this NARR up (Enterprise: $50K)."
    )
    custom_deck_amount: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        None,
        description="From this Amount (not iACV) up, a consult or LDR requires the custom deck "
        "and the opportunity overview (Commercial Sales Required 7: $5K SMB, $10K Mid-Market).",
    )
    consult_name: Text = "Opportunity Consult"

    def custom_deck(self, amount: Decimal | None) -> bool:
        """Does an opportunity of this Amount need a custom deck (Required 7)?
        An export without the Amount: yes, as before the rule (cannot tell)."""
        if self.custom_deck_amount is None:
            return False
        return amount is None or amount >= self.custom_deck_amount

    def kind_for(
        self,
        iacv: Decimal,
        close_in_window: bool,
        *,
        narr: Decimal | None = None,
        requested: bool = False,
    ) -> Literal["consult", "ldr"] | None:
        """Which review an opportunity needs; `close_in_window`: closes this or next
        month; `requested`: the manager asked for a consult (export column)."""
        if requested or (self.consult is not None and iacv >= self.consult):
            return "consult"
        plan_from = self.command_plan_narr
        if plan_from is not None and narr is not None and narr >= plan_from:
            return "consult"
        if self.ldr is not None and iacv >= self.ldr and close_in_window:
            return "ldr"
        return None


class ConsultsConfig(Model):
    opportunities: Text | None = Field(
        None, description="CRM export CSV read by `salesbot run` (relative to this file)."
    )
    on_bad_rows: Literal["abort", "skip"] = "abort"
    close_on: tuple[Text, ...] = Field(
        ("Closed Won", "Closed Lost"), description="Stages that close the consult issue."
    )
    close_below_threshold: Flag = True


class DashboardConfig(Model):
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
    escalate_after_days: Annotated[WholeNumber, Field(ge=1)] = Field(
        14,
        description="An item more days overdue than this is offered 'escalate to the"
        " manager' on the dashboard instead of 'extend'.",
    )


class TemplatesConfig(Model):
    auto_upgrade: Flag = Field(
        False,
        description="Let `salesbot run` carry template changes into open issues, as"
        " `salesbot templates upgrade` does (README, Template upgrades).",
    )


class Config(Model):
    """config/salesbot.yml"""

    version: Version
    gitlab: GitLabConfig
    timezone: Annotated[str, AfterValidator(known_timezone)] = Field(
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
    thresholds: dict[Segment, Thresholds] = Field(
        description="Per segment; Public Sector follows Enterprise unless it has its own."
    )
    consults: ConsultsConfig = ConsultsConfig()
    dashboard: DashboardConfig = DashboardConfig()
    templates: TemplatesConfig = TemplatesConfig()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def thresholds_for(self, segment: Segment) -> Thresholds | None:
        """Handbook (enterprise-sales.md): Enterprise "includes both Large and Public
        Sector sales teams", so Public Sector follows Enterprise unless the config
        gives it thresholds of its own."""
        found = self.thresholds.get(segment)
        if found is None and segment == Segment.PUBLIC_SECTOR:
            return self.thresholds.get(Segment.ENTERPRISE)
        return found

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        raise_cross(config_problems(self.model_dump()))
        return self


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
            (d.line, f"{dotted(d.path)}: duplicate key (first on line {d.first_line})")
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
        if is_int(version) and version not in SUPPORTED_VERSIONS:
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
        out.append((doc.line_for(error["loc"]), _with_path(loc, message(error))))
    return out


def _with_path(loc: Loc, message: str) -> str:
    return f"{dotted(loc)}: {message}" if loc else message


def load_config(path: Path) -> Config:
    """Read and validate a salesbot.yml; ConfigValidationError lists every problem."""
    return _validate(Config, _read(path), path, config_problems)


def load_team(path: Path) -> Team:
    """Read and validate a team.yml; ConfigValidationError lists every problem."""
    doc = _read(path)
    team = _validate(Team, doc, path, team_problems)
    team._source = str(path)
    team._lines = {i: doc.line_for(("members", i, "username")) for i in range(len(team.members))}
    return team


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
        config = _validate(Config, doc, config_path, config_problems)
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
