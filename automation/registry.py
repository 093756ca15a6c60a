"""The workflows salesbot runs, each described once.

A workflow is what an issue's marker names (`handover`, `onboarding`,
`give-back`, `opportunity`, and the bot's own `dashboard`). A business
workflow opens issues of one or more *kinds*, each with its template and its
`workflows.<section>` settings in `config/salesbot.yml`: an opportunity issue
is a consult or a Lightweight Deal Review, told apart by its labels
(`kind_of`). Everything that lists workflows, picks a template or settings,
or asks "is this opportunity a consult?" asks this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, get_args

if TYPE_CHECKING:
    from automation.config import Config, WorkflowConfig

# The issue templates (`templates/<kind>.md.j2`), one per kind of issue.
TemplateKind = Literal["handover", "onboarding", "give-back", "consult", "ldr", "group-consult"]
TEMPLATE_KINDS: Final[tuple[TemplateKind, ...]] = get_args(TemplateKind)


@dataclass(frozen=True)
class Kind:
    """One kind of issue: its template, its settings and its name in GitLab's
    template picker (`salesbot templates export`)."""

    template: TemplateKind
    section: str  # the `workflows.<section>` settings in config/salesbot.yml
    export_name: str

    def settings(self, config: Config) -> WorkflowConfig:
        found: WorkflowConfig = getattr(config.workflows, self.section)
        return found


@dataclass(frozen=True)
class Workflow:
    name: str  # as the marker writes it
    title: str  # the report's and the dashboard's heading
    kinds: tuple[Kind, ...]  # the first is the default kind
    swept: bool = True  # read by the sweep (progress, overdue, nudges, completion)

    def kind(self, template: str) -> Kind:
        return next(k for k in self.kinds if k.template == template)


HANDOVER: Final = Workflow(
    "handover", "Account handovers", (Kind("handover", "handover", "Account Handover"),)
)
ONBOARDING: Final = Workflow(
    "onboarding", "Onboarding 30/60/90", (Kind("onboarding", "onboarding", "Onboarding 30-60-90"),)
)
GIVE_BACK: Final = Workflow(
    "give-back", "Give Back projects", (Kind("give-back", "give_back", "Give Back Project"),)
)
OPPORTUNITY: Final = Workflow(
    "opportunity",
    "Opportunity consults and deal reviews",
    (
        Kind("ldr", "ldr", "Lightweight Deal Review"),
        Kind("consult", "consult", "Opportunity Consult"),
    ),
)
# An Area Sales Manager's monthly group consults (workflows/group_consults.py).
GROUP_CONSULT: Final = Workflow(
    "group-consult",
    "Group consults",
    (Kind("group-consult", "group_consult", "Group Consult"),),
)
# The bot's own page: not a checklist to sweep (a duplicate is still closed).
DASHBOARD: Final = Workflow("dashboard", "Dashboard", (), swept=False)
# A Give Back project's monthly roll-call (automation.workflows.roll_call): the
# bot's own issue, keyed `<give back key>@YYYY-MM`; not swept (no nudges).
ROLL_CALL: Final = Workflow("roll-call", "Give Back roll-calls", (), swept=False)

# In the order the report and the dashboard show them.
BUSINESS: Final[tuple[Workflow, ...]] = (
    ONBOARDING,
    GIVE_BACK,
    OPPORTUNITY,
    GROUP_CONSULT,
    HANDOVER,
)
ALL: Final[tuple[Workflow, ...]] = (*BUSINESS, DASHBOARD, ROLL_CALL)
NAMES: Final[tuple[str, ...]] = tuple(w.name for w in BUSINESS)
SWEPT: Final = frozenset(w.name for w in ALL if w.swept)
KINDS: Final[tuple[Kind, ...]] = tuple(
    sorted((k for w in BUSINESS for k in w.kinds), key=lambda k: TEMPLATE_KINDS.index(k.template))
)
if tuple(k.template for k in KINDS) != TEMPLATE_KINDS:  # pragma: no cover
    raise AssertionError("every template kind belongs to exactly one workflow")


def workflow(name: str) -> Workflow | None:
    return next((w for w in ALL if w.name == name), None)


def kind(template: str) -> Kind:
    return next(k for k in KINDS if k.template == template)


def kind_of(config: Config, name: str, labels: Iterable[str]) -> Kind | None:
    """The kind of an issue of workflow `name` carrying `labels`: an
    opportunity issue is a consult once it carries the consult labels, else an
    LDR; None for a workflow without kinds (the dashboard) or an unknown one."""
    found = workflow(name)
    if found is None or not found.kinds:
        return None
    present = set(labels)
    for candidate in reversed(found.kinds[1:]):
        if set(candidate.settings(config).labels) & present:
            return candidate
    return found.kinds[0]


def settings_of(config: Config, name: str, labels: Iterable[str]) -> WorkflowConfig | None:
    """The `workflows.<section>` settings that govern an issue (see `kind_of`)."""
    found = kind_of(config, name, labels)
    return found.settings(config) if found else None
