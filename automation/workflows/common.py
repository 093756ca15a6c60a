"""What every workflow does the same way: render a template into a new issue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from automation.actions import CreateIssue
from automation.config import Config, WorkflowConfig
from automation.labels import LabelSet
from automation.marker import Marker
from automation.neutralise import neutralise
from automation.templates import Templates


def label_set(config: Config) -> LabelSet:
    labels = config.labels
    return LabelSet(
        bot=labels.bot,
        progress_scope=labels.progress,
        status_scope=labels.status,
        phase_scope=labels.phase,
        segment_scope=labels.segment,
    )


@dataclass(frozen=True)
class Environment:
    """Everything a planner reads besides its inputs and the index."""

    config: Config
    today: date
    # every template, read once before planning: planners read no files
    templates: Templates = field(default_factory=Templates.shipped)

    @property
    def labels(self) -> LabelSet:
        return label_set(self.config)

    @property
    def premium(self) -> bool:
        return self.config.gitlab.tier == "premium"


def unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def new_issue(
    env: Environment,
    *,
    workflow: str,
    key: str,
    settings: WorkflowConfig,
    data: Mapping[str, object],
    assignees: Iterable[str],
    due_date: date | None,
    extra_labels: Iterable[str] = (),
) -> CreateIssue:
    """Render `settings.template` with `data` into a CreateIssue carrying the marker."""
    rendered = env.templates.render(settings.template, data)
    marker = Marker(workflow, key, rendered.version)
    title = rendered.title
    if settings.title:
        values = {k: neutralise(v, "title") for k, v in data.items()}
        title = neutralise(settings.title.format_map(values), "title")
    description = f"{rendered.description.rstrip()}\n\n{marker.render()}\n"
    labels = unique(
        [
            env.labels.bot,
            *rendered.labels,
            *settings.labels,
            env.labels.progress("not-started"),
            *extra_labels,
        ]
    )
    people = unique(assignees)
    # GitLab Free keeps only the first assignee (reference §4): send one there.
    return CreateIssue(
        marker=marker,
        title=title,
        description=description,
        labels=labels,
        assignees=people if env.premium else people[:1],
        due_date=due_date,
        confidential=settings.confidential,
    )


def assignees(
    settings: WorkflowConfig, people: Mapping[str, str | None], also: Iterable[str] = ()
) -> tuple[str, ...]:
    """Who owns the issue: the person the config's `assignee` rule names among
    `people` (else the first of them, the workflow's natural owner), then `also`,
    whom only GitLab Premium keeps as extra assignees."""
    named = [who for who in people.values() if who]
    first = people.get(settings.assignee) or (named[0] if named else "")
    return unique([first, *also])


def days_after(anchor: date, days: int) -> date:
    return anchor + timedelta(days=days)
