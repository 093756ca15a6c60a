"""Give Back adoption roll-call: one issue a month per delivered project.

Handbook (commercial-sales.md): a Give Back project, once complete, "is adopted
by no less than 70% of the Commercial Sales team and used at least once a
month". salesbot measures it instead of trusting two boxes ticked once:

- *Delivered* is the Give Back issue's "Deliver it" box
  (`give-back.deliver`) ticked, whether the issue is open or closed.
- From the month the bot first sees a project delivered, and for
  `workflows.give_back.roll_call_months` months (counted in calendar months
  from the first roll-call, whether or not the bot ran in each), every run
  makes sure this month's roll-call issue exists: a bot issue keyed
  `<give back key>@YYYY-MM` (workflow `roll-call`), linked to the Give Back
  issue so that issue's history stays clean. It has one box per member of
  the hire's team (the roster's active members with the hire's manager, the
  hire excluded), "@bob: I used <project> this month", each person mentioned
  once, when the month's issue opens.
- No roll-call is opened for a project whose hire is no longer active on the
  roster, nor for an empty team.
- A month's roll-call is closed by the first run of the next month, once: a
  person who reopens it is not overruled (the ledger remembers the close).
- Only a box ticked by its owner counts (`credited`); the months' figures and
  the flag to the manager are `automation.adoption`'s.

Cost: the notes of a roll-call issue are read only when its `updated_at`
moved since the bot last read them (a tick edits the description, so it
moves); what was read is kept in the dashboard's hidden ledger. A quiet run
reads no note and writes nothing. The bot's own writes (open, link, close)
move `updated_at` too: the issue is read once more after them and the ledger
records it as it is then. So a box ticked in the seconds between the run's
read of the notes and its month-end close waits for the next change on that
issue to be counted.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from automation import adoption, hidden, registry
from automation.actions import Comment, CreateIssue, IssueRef, LinkIssues, Plan, Step, UpdateIssue
from automation.adoption import Adoption, Ledger, Seen
from automation.applier import Outcome
from automation.checklist import parse
from automation.dashboard.ticks import read_tick
from automation.errors import SalesbotError
from automation.index import Listing, Tracked
from automation.marker import Marker
from automation.neutralise import mention, neutralise
from automation.records import Issue, Note
from automation.team import Team
from automation.workflows.common import Environment

if TYPE_CHECKING:
    from automation.bot import Bot

ROLL_CALL = registry.ROLL_CALL.name
GIVE_BACK = registry.GIVE_BACK.name
DELIVER_KEY = "give-back.deliver"
VERSION = 1


def delivered(tracked: Tracked) -> bool:
    item = parse(tracked.issue.description).item(DELIVER_KEY)
    return bool(item and item.checked)


def roster(team: Team, hire: str) -> tuple[str, ...]:
    """The hire's team: active members with the hire's manager, the hire excluded."""
    member = team.member(hire)
    if member is None:
        return ()
    return tuple(
        m.username
        for m in team.active_members()
        if m.manager == member.manager and m.username != hire
    )


def credited(notes: Iterable[Note], description: str, bot: str) -> tuple[str, ...]:
    """Who ticked their own box: the box is ticked now and the last checklist
    note about it (whoever wrote it) is its owner's "marked ... as completed".
    A box ticked by someone else, or ticked by an edit of the whole
    description (GitLab then notes only "changed the description"), does not
    count for its owner: never a guess."""
    boxes = adoption.members_of(description)
    by_text = {_normalise(item.text): item.key for item in parse(description).items if item.key}
    latest: dict[str, tuple[str, bool]] = {}
    for note in sorted(notes, key=lambda n: (n.created_at, n.id)):
        if not note.system or note.author == bot:
            continue
        tick = read_tick(note.body)
        if tick is None:
            continue
        key = tick.key or by_text.get(_normalise(tick.text))
        if key is None or not key.startswith(adoption.BOX_PREFIX):
            continue
        latest[key.removeprefix(adoption.BOX_PREFIX)] = (note.author.lower(), tick.completed)
    return tuple(
        user
        for user, ticked in boxes.items()
        if ticked and latest.get(user) == (user.lower(), True)
    )


def _normalise(text: str) -> str:
    return " ".join(hidden.COMMENT_RE.sub(" ", text).split())


def ledger_of(listing: Listing) -> Ledger:
    board = next(listing.full_of(registry.DASHBOARD.name), None)
    return Ledger.read(board.issue.description) if board else Ledger()


def stale(roll_calls: Iterable[Tracked], ledger: Ledger) -> list[Tracked]:
    """The roll-call issues changed since the bot last read their notes."""
    found = []
    for tracked in roll_calls:
        seen = ledger.seen.get(tracked.issue.iid)
        if seen is None or seen.read != tracked.issue.updated_at:
            found.append(tracked)
    return found


def reread(
    ledger: Ledger, roll_calls: Iterable[Tracked], notes: Mapping[int, Sequence[Note]], bot: str
) -> Ledger:
    """`ledger` with what these issues' notes say now."""
    seen = dict(ledger.seen)
    for tracked in roll_calls:
        issue = tracked.issue
        if issue.iid not in notes:
            continue
        old = seen.get(issue.iid)
        by = credited(notes[issue.iid], issue.description, bot)
        seen[issue.iid] = Seen(issue.updated_at, by, bool(old and old.closed) or not issue.is_open)
    return replace(ledger, seen=seen)


# -- the plan ----------------------------------------------------------------------


def _last_day(month: str) -> date:
    year, number = (int(x) for x in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


def _description(team: Team, give_back: Tracked, month: str, members: Sequence[str]) -> str:
    project = neutralise(give_back.issue.title, "text")
    hire = team.member(give_back.marker.key.rpartition("@")[0])
    who = neutralise(hire.name if hire and hire.name else give_back.marker.key, "text")
    boxes = [
        f"- [ ] {mention(user)}: I used {project} this month "
        f"{hidden.task_key(adoption.box_key(user))}"
        for user in members
    ]
    return "\n".join(
        [
            f"Roll-call for {adoption.month_title(month)}: did you use {who}'s Give Back "
            f"project #{give_back.issue.iid} this month?",
            "",
            "The handbook's target: a Give Back project is adopted by no less than 70% of "
            "the team and used at least once a month. Tick **your own** box if you used it "
            "this month; a box ticked by someone else does not count for its owner. "
            "salesbot closes this issue when the month ends.",
            "",
            *boxes,
        ]
    )


def _open(env: Environment, team: Team, give_back: Tracked, month: str) -> list[Step]:
    members = roster(team, give_back.marker.key.rpartition("@")[0])
    key = adoption.roll_call_key(give_back.marker.key, month)
    marker = Marker(ROLL_CALL, key, VERSION)
    body = _description(team, give_back, month, members)
    title = neutralise(f"Give Back roll-call {month}: {give_back.issue.title}", "title")
    create = CreateIssue(
        marker=marker,
        title=title,
        description=f"{body}\n\n{marker.render()}\n",
        labels=(env.labels.bot,),
        assignees=(),
        due_date=_last_day(month),
        confidential=env.config.workflows.give_back.confidential,
    )
    link = LinkIssues(target=create.target, other=IssueRef(iid=give_back.issue.iid))
    return [Step(ROLL_CALL, create), Step(ROLL_CALL, link)]


def _flag_note(project: adoption.Project, flag: str) -> Comment:
    done = [m for m in project.months if m.complete][-2:]
    figures = ", ".join(
        f"{adoption.month_title(m.month)}: {len(m.used)} of {m.members} ({int(m.rate * 100)}%)"
        for m in done
    )
    who = mention(project.manager) if project.manager else mention(project.hire)
    body = (
        f"{who}: this Give Back project was used by less than 70% of the team two "
        f"months running ({figures}; from the monthly roll-call issues). The handbook "
        "expects a Give Back project to be adopted by no less than 70% of the team and "
        "used at least once a month.\n\n" + hidden.adoption_flag(flag)
    )
    return Comment(IssueRef(iid=project.iid), body, reason="adoption under target")


def plan(
    env: Environment,
    team: Team,
    give_backs: Sequence[Tracked],
    roll_calls: Sequence[Tracked],
    found: Adoption,
) -> Plan:
    """Open this month's roll-calls, close last month's, flag projects under
    target two months running (pure)."""
    this_month = adoption.month_of(env.today)
    months = env.config.workflows.give_back.roll_call_months
    active = {m.username for m in team.active_members()}
    left = env.labels.status("left-company")
    by_project: dict[str, list[str]] = {}
    for tracked in roll_calls:
        owner, month = adoption.split_key(tracked.marker.key)
        by_project.setdefault(owner, []).append(month)
    steps: list[Step] = []
    for give_back in give_backs:
        key = give_back.marker.key
        hire = key.rpartition("@")[0]
        if hire not in active or left in give_back.issue.labels or not delivered(give_back):
            continue
        held = by_project.get(key, [])
        first = min(held, default=this_month)
        if this_month in held or adoption.months_between(first, this_month) >= months:
            continue
        if not roster(team, hire):
            continue
        steps.extend(_open(env, team, give_back, this_month))
    ledger = found.ledger
    for tracked in roll_calls:
        month = adoption.split_key(tracked.marker.key)[1]
        seen = ledger.seen.get(tracked.issue.iid)
        if tracked.issue.is_open and month < this_month and not (seen and seen.closed):
            steps.append(
                Step(
                    ROLL_CALL,
                    UpdateIssue(
                        IssueRef(iid=tracked.issue.iid), state_event="close", reason="month ended"
                    ),
                )
            )
    last_complete = {p.key: [m for m in p.months if m.complete] for p in found.projects}
    for project in found.projects:
        done = last_complete[project.key]
        for flag in project.flags():
            if flag in ledger.flagged or not done:
                continue
            if flag != adoption.flag_id(project.key, done[-1].month):
                continue  # an old run of bad months: said then, or too late to say now
            steps.append(Step(GIVE_BACK, _flag_note(project, flag)))
    return Plan(tuple(steps))


# -- reading, and the ledger after the writes ---------------------------------------


@dataclass(frozen=True)
class Prepared:
    plan: Plan
    ledger: Ledger
    give_backs: tuple[Tracked, ...]
    roll_calls: tuple[Tracked, ...]


def prepare(bot: Bot, today: date, listing: Listing) -> Prepared:
    """Read the notes of the roll-calls changed since the ledger's last read,
    then plan. `listing`: the run's one listing."""
    env = bot.env(today)
    me = bot.api.me().username
    give_backs = tuple(listing.full_of(GIVE_BACK))
    roll_calls = tuple(listing.full_of(ROLL_CALL))
    ledger = ledger_of(listing)
    notes = {t.issue.iid: list(bot.api.iter_notes(t.issue.iid)) for t in stale(roll_calls, ledger)}
    ledger = reread(ledger, roll_calls, notes, me)
    found = adoption.build(bot.team, give_backs, roll_calls, ledger, today)
    return Prepared(
        plan(env, bot.team, give_backs, roll_calls, found), ledger, give_backs, roll_calls
    )


def settle(
    bot: Bot, today: date, prepared: Prepared, listing: Listing, outcomes: Sequence[Outcome]
) -> tuple[Adoption, Listing]:
    """The adoption figures and ledger after the roll-call writes: each roll-call
    the bot opened or closed is read once more (its link or close moved its
    `updated_at`), so the next run does not take the bot's own write for news."""
    seen = dict(prepared.ledger.seen)
    flagged = set(prepared.ledger.flagged)
    touched: dict[int, bool] = {}  # iid: closed by the bot
    for outcome in outcomes:
        action = outcome.step.action
        if not outcome.ok:
            continue
        if isinstance(action, Comment) and (flag := hidden.ADOPTION_FLAG_RE.search(action.body)):
            flagged.add(flag["id"])
        elif isinstance(action, CreateIssue) and action.marker.workflow == ROLL_CALL:
            if outcome.issue is not None:
                touched[outcome.issue.iid] = False
        elif isinstance(action, UpdateIssue) and action.target.iid is not None:
            touched[action.target.iid] = True
    fresh: dict[int, Issue] = {}
    for iid, closed in sorted(touched.items()):
        try:
            issue = bot.api.get_issue(iid)
        except SalesbotError:
            continue  # GitLab is down: the next run reads its notes again
        fresh[iid] = issue
        old = seen.get(iid)
        seen[iid] = Seen(
            issue.updated_at, old.by if old else (), closed or bool(old and old.closed)
        )
    listing = listing.with_issues(fresh, bot.api.me().username)
    ledger = Ledger(seen, frozenset(flagged))
    give_backs = tuple(listing.full_of(GIVE_BACK))
    roll_calls = tuple(listing.full_of(ROLL_CALL))
    return adoption.build(bot.team, give_backs, roll_calls, ledger, today), listing
