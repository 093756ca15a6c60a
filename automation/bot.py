"""The bot: config and a GitLab adapter in, plans and reports out.

`Bot(*, api, config, team)` is what the CLI, the demo and the tests build;
the adapter is always handed in (tests point it at the sandbox). Planning
only reads GitLab; `apply` is the only place that writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from automation import recheck, registry
from automation.actions import LinkIssues, Plan, Step
from automation.api import GitLabApi
from automation.applier import Applier, Outcome, Report
from automation.config import Config
from automation.errors import InputError, SalesbotError
from automation.index import Duplicate, Index, Listing, Tracked, age, build, slim_text, track
from automation.marker import find
from automation.progress import progress as report_progress
from automation.records import Issue
from automation.team import Team, unknown_usernames
from automation.templates import Templates
from automation.workflows import consults, group_consults, handover, onboarding, status, sweep
from automation.workflows.common import Environment

# Issues whose notes or label events are read at once while the sweep plans
HISTORY_WORKERS = 4


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


def _marker_only(issue: Issue) -> str:
    marker = find(issue.description)
    return slim_text(issue.description, marker) if marker else ""


class Bot:
    def __init__(
        self,
        *,
        api: GitLabApi,
        config: Config,
        team: Team,
        templates_dir: Path | None = None,
        deadline: float | None = None,
    ) -> None:
        self.deadline = deadline  # time.monotonic() after which no new write starts
        self.api = api
        self.config = config
        self.team = team
        self.templates_dir = templates_dir
        # read once; planners then render from memory
        self.templates = Templates.load(templates_dir)

    def env(self, today: date) -> Environment:
        return Environment(self.config, today, self.templates)

    # -- reading GitLab ------------------------------------------------------

    def issues(
        self,
        *,
        state: str,
        updated_after: str | None = None,
        dated: Callable[[str | None, float], None] | None = None,
    ) -> Iterator[Issue]:
        return self.api.iter_issues(
            labels=[self.config.labels.bot], state=state, updated_after=updated_after, dated=dated
        )

    def index(self, *, state: str = "all", checklists: bool = True) -> Index:
        """Every bot issue (closed ones too, so a finished handover is not reopened).

        The sync planners need markers, labels and states, not checklists: with
        `checklists=False` descriptions are dropped as pages stream in, so 10,000
        issues cost tens of megabytes rather than hundreds."""
        issues = self.issues(state=state)
        if not checklists:
            issues = (replace(i, description=_marker_only(i)) for i in issues)
        return build(issues, self.api.me().username)

    def listing(self) -> Listing:
        """Every bot issue, closed ones too, in one streamed listing (one
        request per 100 issues) that a whole run shares."""
        began: list[str | None] = [None]

        def dated(header: str | None, elapsed: float) -> None:
            began[0] = recheck.since(header, elapsed)

        found = Listing.of(self.issues(state="all", dated=dated), self.api.me().username)
        return replace(found, since=began[0])

    def after_writes(self, listing: Listing, outcomes: Iterable[Outcome]) -> Listing:
        """`listing` with the issues these writes touched as GitLab has them now:
        an update answers with the issue; a note (its quick actions may have
        closed or relabelled it), or a write whose answer was lost, costs one
        read of that issue. A run with no write reads nothing more."""
        fresh: dict[int, Issue] = {}
        unsure: set[int] = set()
        for outcome in outcomes:
            action = outcome.step.action
            if outcome.ok and outcome.issue is not None:
                fresh[outcome.issue.iid] = outcome.issue
                unsure.discard(outcome.issue.iid)
            elif not isinstance(action, LinkIssues) and action.target.iid is not None:
                # a note after an answered edit (an LDR grown into a consult) may
                # have changed labels since that answer: read it again
                fresh.pop(action.target.iid, None)
                unsure.add(action.target.iid)
        for iid in sorted(unsure - set(fresh)):
            try:
                fresh[iid] = self.api.get_issue(iid)
            except SalesbotError:
                continue  # GitLab is down: the next run reads it
        return listing.with_issues(fresh, self.api.me().username)

    def user_exists(self, username: str) -> bool:
        return self.api.find_user(username) is not None

    def check_roster(self) -> None:
        """Stop (InputError, exit 1) when an active roster member's username is
        unknown to GitLab: planned on, a typo would read as the real member
        having left. The project's members are listed (a page per 100); only
        names not among them are looked up one by one, a few at a time."""
        # GitLab usernames are case-insensitive
        members = {name.lower() for name in self.api.member_usernames()}
        active = {m.username for m in self.team.active_members()}
        rest = sorted(name for name in active if name.lower() not in members)
        with ThreadPoolExecutor(HISTORY_WORKERS, thread_name_prefix="roster") as pool:
            known = dict(zip(rest, pool.map(self.user_exists, rest), strict=True))
        problems = unknown_usernames(self.team, lambda name: known.get(name, True))
        if problems:
            raise InputError("\n".join(problems))

    # -- planning ------------------------------------------------------------

    def plan_handovers(
        self, handovers: Iterable[handover.Handover], today: date, *, source: str = "handover"
    ) -> Plan:
        items = list(handovers)
        handover.check_users(items, self.user_exists, source=source)
        return handover.plan(self.env(today), self.team, self.index(checklists=False), items)

    def plan_onboarding(self, today: date, index: Index | None = None) -> Plan:
        env = self.env(today)
        # before anything is inferred from the roster (who is new, who left)
        self.check_roster()
        if index is None:  # an empty Index is falsy: test for None
            index = self.index(checklists=False)
        links = {
            iid: frozenset(self.api.linked_iids(iid))
            for iid in onboarding.links_to_check(env, self.team, index)
        }
        history = onboarding.History(
            events={
                iid: self.api.label_events(iid)
                for iid in onboarding.events_to_check(env, self.team, index)
            },
            bot=self.api.me().username,
        )
        return onboarding.plan(env, self.team, index, links, history)

    def plan_group_consults(self, today: date, index: Index | None = None) -> Plan:
        """This month's group consult issue of every Area Sales Manager without one
        (`salesbot run` checks the roster once, in `plan_onboarding`)."""
        if index is None:  # an empty Index is falsy: test for None
            index = self.index(checklists=False)
        return group_consults.plan(self.env(today), self.team, index)

    def plan_consults(
        self, export: consults.Export, today: date, index: Index | None = None
    ) -> Plan:
        # an owner GitLab does not know is a bad row, like any other (not a
        # failed assignment after other issues were already written)
        checked = consults.check_owners(export, self.user_exists)
        late = checked.problems[len(export.problems) :]
        export = checked
        if export.problems and self.config.consults.on_bad_rows == "abort":
            raise InputError(
                f"{len(export.problems)} bad row(s) in the opportunity export, nothing was "
                "written (set consults.on_bad_rows: skip to go on without them):\n"
                + "\n".join(export.problems)
            )
        env = self.env(today)
        if index is None:  # an empty Index is falsy: test for None
            index = self.index(checklists=False)
        # an LDR that grows into a consult: its checklist is read (rare: one GET each)
        # an LDR that grows, or whose kept deal facts the export changed
        wanted = consults.growing(env, index, export.opportunities)
        wanted += consults.stale_facts(index, export.opportunities)
        full = {iid: self.api.get_issue(iid) for iid in dict.fromkeys(wanted)}
        found = consults.plan(env, self.team, index, export.opportunities, full)
        found = replace(found, notes=(*found.notes, *late))
        # a wind-down label a person took off is not put back (rare: one GET each)
        to_check = status.issues_to_check(env.labels, found)
        if not to_check:
            return found
        events = {iid: self.api.label_events(iid) for iid in to_check}
        return status.respect_removals(env.labels, found, events, self.api.me().username)

    def plan_sweep(
        self, today: date, *, shard: Shard | None = None, listing: Listing | None = None
    ) -> Plan:
        """Reads open bot issues page by page and decides each one as it arrives,
        so a run holds the plan rather than every description. Notes or label
        events are read only for the issues whose decision needs them, a few at
        a time while the listing goes on. `salesbot run` hands in the listing it
        read once (`listing`) instead."""
        env = self.env(today)
        bot = self.api.me().username
        # per key, every issue listed (without its description) and the oldest's steps
        groups: dict[tuple[str, str], list[Tracked]] = {}
        decided: dict[tuple[str, str], list[Step] | Future[list[Step]]] = {}
        seen: dict[int, int] = {}  # iid: fingerprint of the copy planned from
        planned: set[int] = set()  # iids decided (not duplicates)
        began: list[str | None] = [listing.since if listing else None]

        def dated(header: str | None, elapsed: float) -> None:
            began[0] = recheck.since(header, elapsed)

        with (
            _Background(HISTORY_WORKERS) as background,
            report_progress("sweep: checking open issues", None) as progress,
        ):
            issues = listing.open_issues() if listing else self.issues(state="opened", dated=dated)
            for issue in issues:
                progress.advance()
                item = track(issue, bot)
                if item is None or (shard and not shard.owns(*item.key)):
                    continue
                seen[issue.iid] = recheck.fingerprint(issue)
                slim = Tracked(item.marker, replace(issue, description=""))
                group = groups.setdefault(item.key, [])
                # The list is oldest first, so this is the first of its key unless
                # GitLab broke a tie on created_at differently. The dashboard is the
                # bot's own page, not a checklist to sweep (but a duplicate is closed).
                oldest = not group or age(slim) < min(map(age, group))
                if oldest and item.marker.workflow in registry.SWEPT:
                    decided[item.key] = self._decide(env, item, bot, background)
                    planned.add(issue.iid)
                group.append(slim)
            duplicates: list[Duplicate] = []
            for group in groups.values():
                kept, *extra = sorted(group, key=age)
                duplicates.extend(Duplicate(kept, e) for e in extra)
            duplicates.sort(key=lambda d: age(d.extra))
            steps = sweep.close_duplicates(duplicates, env)
            for key in sorted(groups, key=lambda k: min(map(age, groups[k]))):
                found = decided.get(key, [])
                steps.extend(found.result() if isinstance(found, Future) else found)
        return self._recheck(Plan(tuple(steps)), today, began[0], seen, planned)

    def _recheck(
        self, plan: Plan, today: date, since: str | None, seen: dict[int, int], planned: set[int]
    ) -> Plan:
        """`plan`, less what a person (or the receiver) made stale since the
        listing: one list of the issues updated since (`automation.recheck`).
        Nothing to write, or no `Date` from GitLab: no request."""
        wanted = recheck.to_recheck(plan, seen)
        if not wanted or since is None:
            return plan
        changed = {
            issue.iid: issue
            for issue in self.issues(state="all", updated_after=since)
            if issue.iid in wanted and recheck.fingerprint(issue) != seen[issue.iid]
        }

        def replan(fresh: Issue) -> Plan | None:
            if fresh.is_open and fresh.iid not in planned:
                return None  # a duplicate: still closed by the sweep
            return self.plan_issue(fresh.iid, today, issue=fresh)

        return recheck.revise(plan, changed, replan)

    def _decide(
        self, env: Environment, item: Tracked, bot: str, background: _Background
    ) -> list[Step] | Future[list[Step]]:
        assessment = sweep.assess(env, item)

        def steps() -> list[Step]:
            history = self._history(assessment, bot)
            decision = sweep.decide(env, self.team, assessment, history)
            return [Step(item.marker.workflow, a) for a in decision.actions]

        if assessment.needs_notes or assessment.needs_events:
            return background.submit(steps)
        return steps()

    def _history(self, assessment: sweep.Assessment, bot: str) -> sweep.History | None:
        issue = assessment.tracked.issue
        # no comment at all (the list says so): no nudge or summary to look for
        read_notes = assessment.needs_notes and issue.user_notes_count != 0
        notes = list(self.api.iter_notes(issue.iid)) if read_notes else []
        events = self.api.label_events(issue.iid) if assessment.needs_events else []
        if not notes and not events:
            return None
        return sweep.History(notes=notes, label_events=events, bot=bot)

    def plan_issue(self, iid: int, today: date, *, issue: Issue | None = None) -> Plan:
        """One bot issue, planned exactly as `plan_sweep` plans it (`sweep.assess`,
        `_history`, `sweep.decide`), for the webhook receiver: a GET of the issue
        (`issue`, when the caller has just read it) plus the notes or label events
        its decision needs, never a listing. Nothing for a closed issue, one that
        is not the bot's, or a workflow the sweep does not check (the dashboard).
        Duplicates of a key are left to the sweep, which sees them all."""
        env = self.env(today)
        bot = self.api.me().username
        found = issue if issue is not None else self.api.get_issue(iid)
        item = track(found, bot)
        if item is None or not found.is_open or item.marker.workflow not in registry.SWEPT:
            return Plan()
        assessment = sweep.assess(env, item)
        needs_history = assessment.needs_notes or assessment.needs_events
        history = self._history(assessment, bot) if needs_history else None
        decision = sweep.decide(env, self.team, assessment, history)
        return Plan(tuple(Step(item.marker.workflow, a) for a in decision.actions))

    # -- writing -------------------------------------------------------------

    def apply(self, plan: Plan, *, on_outcome: Callable[[Outcome], None] | None = None) -> Report:
        """Every write of `plan` (the CLI shows their progress through `on_outcome`)."""
        return Applier(self.api, deadline=self.deadline).apply(plan, on_outcome=on_outcome)

    # -- template upgrades (issue 14) ------------------------------------------

    def plan_upgrades(self, *, only: str | None = None, listing: Listing | None = None) -> Plan:
        """Open bot issues whose template's version moved on, upgraded
        (`automation.upgrade`): one description write each, none when nothing
        changes. `only`: one workflow or template kind; `listing`: the run's
        one listing, when there is one (no second list of the bot's issues)."""
        from automation import upgrade
        from automation.templates import KINDS

        specs: dict[str, upgrade.TemplateSpec] = {
            kind: upgrade.load_spec(kind, self.templates_dir) for kind in KINDS
        }
        bot = self.api.me().username
        issues = listing.open_issues() if listing is not None else self.issues(state="opened")
        tracked = (track(issue, bot) for issue in issues)
        return upgrade.plan((t for t in tracked if t is not None), specs, only=only)


class _Background:
    """A few reads at a time in worker threads, with at most `backlog` waiting, so
    the issues waiting for their history never pile up in memory."""

    def __init__(self, workers: int, backlog: int = 64) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sweep-history")
        self._room = threading.BoundedSemaphore(backlog)

    def submit(self, job: Callable[[], list[Step]]) -> Future[list[Step]]:
        self._room.acquire()
        future = self._pool.submit(job)
        future.add_done_callback(lambda _: self._room.release())
        return future

    def __enter__(self) -> _Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
