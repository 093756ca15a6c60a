"""The bot: config and a GitLab adapter in, plans and reports out.

`Bot(*, api, config, team)` is what the CLI, the demo and the tests build;
the adapter is always handed in (tests point it at the sandbox). Planning
only reads GitLab; `apply` is the only place that writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from automation.actions import Plan, Step
from automation.api import GitLabApi, Issue
from automation.applier import Applier, Outcome, Report
from automation.config import Config, Team
from automation.errors import InputError
from automation.index import Index, build, track
from automation.workflows import consults, handover, onboarding, sweep
from automation.workflows.common import Environment

SWEPT = frozenset({"handover", "onboarding", "give-back", "opportunity"})


@dataclass(frozen=True)
class Shard:
    """This job's share of the tracked issues: index `number` (0-based) of `total`."""

    number: int
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`I/N` with I counted from 1, as GitLab's CI_NODE_INDEX is."""
        try:
            index, total = (int(x) for x in text.split("/"))
        except ValueError:
            raise InputError(f"--shard: '{text}' is not I/N (for example 2/4)") from None
        if not 1 <= index <= total:
            raise InputError(f"--shard: '{text}': I must be between 1 and N")
        return cls(index - 1, total)

    def owns(self, workflow: str, key: str) -> bool:
        # a stable hash (not Python's salted hash()) so every job agrees
        value = 0
        for char in f"{workflow}:{key}".encode():
            value = (value * 31 + char) % 2_147_483_647
        return value % self.total == self.number


class Bot:
    def __init__(
        self,
        *,
        api: GitLabApi,
        config: Config,
        team: Team,
        templates_dir: Path | None = None,
    ) -> None:
        self.api = api
        self.config = config
        self.team = team
        self.templates_dir = templates_dir

    def env(self, today: date) -> Environment:
        return Environment(self.config, today, self.templates_dir)

    # -- reading GitLab ------------------------------------------------------

    def issues(self, *, state: str) -> Iterator[Issue]:
        return self.api.iter_issues(labels=[self.config.labels.bot], state=state)

    def index(self, *, state: str = "all") -> Index:
        """Every bot issue (closed ones too, so a finished handover is not reopened)."""
        return build(self.issues(state=state), self.api.me().username)

    def user_exists(self, username: str) -> bool:
        return self.api.find_user(username) is not None

    # -- planning ------------------------------------------------------------

    def plan_handovers(
        self, handovers: Iterable[handover.Handover], today: date, *, source: str = "handover"
    ) -> Plan:
        items = list(handovers)
        handover.check_users(items, self.user_exists, source=source)
        return handover.plan(self.env(today), self.team, self.index(), items)

    def plan_onboarding(self, today: date, index: Index | None = None) -> Plan:
        return onboarding.plan(self.env(today), self.team, index or self.index())

    def plan_consults(
        self, export: consults.Export, today: date, index: Index | None = None
    ) -> Plan:
        if export.problems and self.config.consults.on_bad_rows == "abort":
            raise InputError(
                f"{len(export.problems)} bad row(s) in the opportunity export, nothing was "
                "written (set consults.on_bad_rows: skip to go on without them):\n"
                + "\n".join(export.problems)
            )
        return consults.plan(
            self.env(today), self.team, index or self.index(), export.opportunities
        )

    def plan_sweep(self, today: date, *, shard: Shard | None = None) -> Plan:
        """Reads open bot issues page by page; fetches notes or label events only
        for the few issues whose decision needs them."""
        env = self.env(today)
        bot = self.api.me().username
        tracked = []
        steps: list[Step] = []
        for issue in self.issues(state="opened"):
            item = track(issue, bot)
            if item is None or item.marker.workflow not in SWEPT:
                continue  # the dashboard is the bot's own page, not a checklist to sweep
            if shard and not shard.owns(*item.key):
                continue
            tracked.append(item)
        index = Index(tracked)
        steps.extend(sweep.close_duplicates(index.duplicates, env))
        for item in index:
            assessment = sweep.assess(env, item)
            history = self._history(assessment, bot)
            decision = sweep.decide(env, self.team, assessment, history)
            steps.extend(Step(item.marker.workflow, a) for a in decision.actions)
        return Plan(tuple(steps))

    def _history(self, assessment: sweep.Assessment, bot: str) -> sweep.History | None:
        iid = assessment.tracked.issue.iid
        notes = list(self.api.iter_notes(iid)) if assessment.needs_notes else []
        events = self.api.label_events(iid) if assessment.needs_events else []
        if not notes and not events:
            return None
        return sweep.History(notes=notes, label_events=events, bot=bot)

    # -- writing -------------------------------------------------------------

    def apply(self, plan: Plan, *, on_outcome: Callable[[Outcome], None] | None = None) -> Report:
        return Applier(self.api).apply(plan, on_outcome=on_outcome)
