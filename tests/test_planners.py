"""Planners are pure: config + inputs + today + index in, actions out. No HTTP here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from automation.actions import Comment, CreateIssue, EditIssue, LinkIssues, UpdateIssue
from automation.fields import Segment
from automation.marker import Marker
from automation.workflows import consults, onboarding, sweep
from automation.workflows.consults import Opportunity
from tests.factories import environment, index_of, issue, shipped

TODAY = date(2026, 11, 27)


def opp(
    iacv: int,
    *,
    segment: Segment = Segment.SMB,
    close: str = "2026-12-15",
    stage: str = "3-Technical Evaluation",
    oid: str = "0061",
    narr: int | None = None,
    requested: bool = False,
) -> Opportunity:
    return Opportunity(
        id=oid,
        name="Deal",
        account="Acme",
        owner="bob",
        segment=segment,
        iacv=Decimal(iacv),
        amount=None,
        close_date=date.fromisoformat(close),
        stage=stage,
        narr=None if narr is None else Decimal(narr),
        requested=requested,
    )


def plan_for(*opps: Opportunity, index=None):  # type: ignore[no-untyped-def]
    _, team = shipped()
    return consults.plan(environment(TODAY), team, index or index_of(), opps)


def created(plan) -> list[CreateIssue]:  # type: ignore[no-untyped-def]
    return [s.action for s in plan if isinstance(s.action, CreateIssue)]


def test_thresholds_follow_the_handbook_per_segment() -> None:
    cases = [
        (opp(10_000), "Opportunity Consult"),  # SMB consult at $10K
        (opp(5_000), "Lightweight Deal Review"),  # SMB LDR at $5K closing next month
        (opp(4_999), None),
        (opp(5_000, close="2027-02-15"), None),  # LDR only this or next month
        (opp(20_000, segment=Segment("Mid-Market")), "Opportunity Consult"),
        (opp(10_000, segment=Segment("Mid-Market")), "Lightweight Deal Review"),
        (opp(19_999, segment=Segment("Mid-Market"), close="2027-03-01"), None),
        # Enterprise: a Command Plan from $50K NARR; iACV alone opens nothing
        (opp(50_000, segment=Segment("Enterprise"), narr=50_000), "Opportunity Consult"),
        (opp(50_000, segment=Segment("Enterprise"), narr=49_999), None),
        (opp(90_000, segment=Segment("Enterprise")), None),
        (opp(1_000, segment=Segment("Enterprise"), requested=True), "Opportunity Consult"),
        # Public Sector follows Enterprise (no row of its own in the shipped config)
        (opp(1_000, segment=Segment("Public Sector"), narr=60_000), "Opportunity Consult"),
    ]
    config, _ = shipped()
    for case, expected in cases:
        made = created(plan_for(case))
        if expected is None:
            assert made == [], case
        else:
            labels = (
                config.workflows.consult.labels
                if expected == "Opportunity Consult"
                else config.workflows.ldr.labels
            )
            assert len(made) == 1 and set(labels) <= set(made[0].labels), case


def test_an_existing_opportunity_issue_is_not_opened_twice() -> None:
    config, _ = shipped()
    existing = issue(
        3, Marker("opportunity", "0061"), labels=tuple(config.workflows.consult.labels)
    )
    assert list(plan_for(opp(12_000), index=index_of(existing))) == []


def test_an_ldr_that_grows_into_a_consult_becomes_one_when_its_checklist_is_read() -> None:
    config, _ = shipped()
    labels = (*config.workflows.ldr.labels, "status::close-date-moved")
    ldr = issue(3, Marker("opportunity", "0061"), labels=labels)
    grown = opp(15_000)
    assert consults.growing(environment(TODAY), index_of(ldr), [grown]) == [3]
    # without the description (the index keeps markers only) nothing is planned
    assert list(plan_for(grown, index=index_of(ldr))) == []
    _, team = shipped()
    full = {3: ldr}
    steps = list(consults.plan(environment(TODAY), team, index_of(ldr), [grown], full))
    edit, note = (s.action for s in steps)
    assert isinstance(edit, EditIssue) and edit.title == "Opportunity Consult: Deal (Acme)"
    assert "task:consult.metrics" in edit.description and edit.due_date == date(2026, 12, 4)
    assert isinstance(note, Comment)
    assert set(note.add_labels) == set(config.workflows.consult.labels)
    assert set(note.remove_labels) == set(labels)
    assert "$15,000" in note.body


def test_a_closed_won_deal_gets_a_note_a_label_and_is_closed_once() -> None:
    marker = Marker("opportunity", "0061")
    (step,) = list(plan_for(opp(15_000, stage="Closed Won"), index=index_of(issue(3, marker))))
    assert isinstance(step.action, Comment) and step.action.close
    assert step.action.add_labels == ("status::closed-won",)
    done = issue(3, marker, labels=("status::closed-won",))
    assert list(plan_for(opp(15_000, stage="Closed Won"), index=index_of(done))) == []


def test_onboarding_opens_a_plan_and_a_linked_give_back_for_commercial_hires() -> None:
    _config, team = shipped()
    hire = next(m for m in team.active_members() if str(m.department) == "Commercial")
    start = TODAY
    team = team.model_copy(update={"members": [hire.model_copy(update={"start_date": start})]})
    plan = onboarding.plan(environment(TODAY), team, index_of())
    kinds = [(s.workflow, type(s.action).__name__) for s in plan]
    assert kinds == [
        ("onboarding", "CreateIssue"),
        ("give-back", "CreateIssue"),
        ("give-back", "LinkIssues"),
    ]
    plan_issue = plan.steps[0].action
    assert isinstance(plan_issue, CreateIssue)
    assert plan_issue.assignees == (hire.username,)
    assert plan_issue.due_date == date(2026, 12, 27)  # end of the first phase
    assert "phase::day-30" in plan_issue.labels
    link = plan.steps[2].action
    assert isinstance(link, LinkIssues) and link.other == plan_issue.target


def test_onboarding_skips_people_outside_the_window_and_existing_plans() -> None:
    _, team = shipped()
    member = team.active_members()[0]
    long_ago = team.model_copy(
        update={"members": [member.model_copy(update={"start_date": date(2024, 1, 1)})]}
    )
    assert len(onboarding.plan(environment(TODAY), long_ago, index_of())) == 0


def _onboarding_issue(description: str, **kwargs):  # type: ignore[no-untyped-def]
    return issue(
        4,
        Marker("onboarding", "bob@2026-10-01"),
        description=description,
        assignees=("bob",),
        **kwargs,
    )


PLAN = """## Day 30
- [x] 🔴 Red dot tasks <!-- task:onboarding.red-dot -->
- [ ] 🔴 Shadow program <!-- task:onboarding.shadow -->
## Day 60
- [ ] 🔴 Territory plan <!-- task:onboarding.territory -->
## Day 90
- [ ] 🔴 Account ranking <!-- task:onboarding.ranking -->
"""


def test_sweep_labels_progress_and_overdue_phase_and_nudges() -> None:
    env = environment(date(2026, 11, 4))  # a Wednesday, day 34 of a plan started 2026-10-01
    tracked = index_of(
        _onboarding_issue(
            PLAN, labels=("progress::not-started", "phase::day-30"), due_date=date(2026, 10, 31)
        )
    ).get("onboarding", "bob@2026-10-01")
    assert tracked is not None
    assessment = sweep.assess(env, tracked)
    assert assessment.progress == "in-progress"
    assert [s.title for s in assessment.overdue] == ["Day 30"]
    _, team = shipped()
    decision = sweep.decide(env, team, assessment, sweep.History(bot="salesbot"))
    # one request: the nudge carries the label change as quick actions
    (nudge,) = decision.actions
    assert isinstance(nudge, Comment)
    assert set(nudge.add_labels) == {"progress::in-progress", "status::overdue"}
    assert nudge.remove_labels == ("progress::not-started",)
    assert "@bob" in nudge.body and "Shadow program" in nudge.body
    assert "Territory plan" not in nudge.body  # day 60 is not due yet


def test_sweep_moves_the_due_date_when_a_phase_is_done() -> None:
    env = environment(date(2026, 10, 20))
    done30 = PLAN.replace("- [ ] 🔴 Shadow", "- [x] 🔴 Shadow")
    tracked = index_of(
        _onboarding_issue(
            done30, labels=("progress::in-progress", "phase::day-30"), due_date=date(2026, 10, 31)
        )
    ).get("onboarding", "bob@2026-10-01")
    assert tracked is not None
    assessment = sweep.assess(env, tracked)
    assert assessment.due_date == date(2026, 11, 30)
    assert assessment.want_labels == ("phase::day-60",)
    assert assessment.drop_labels == ("phase::day-30",)
    assert not assessment.needs_notes and not assessment.needs_events


def test_sweep_nudges_at_most_once_per_cadence_and_escalates() -> None:
    from automation.records import Note

    config, team = shipped()
    cadence = config.nudges.cadence_days
    env = environment(date(2026, 11, 4))
    tracked = index_of(
        _onboarding_issue(
            PLAN,
            labels=("progress::in-progress", "phase::day-30", "status::overdue"),
            due_date=date(2026, 10, 31),
        )
    ).get("onboarding", "bob@2026-10-01")
    assert tracked is not None
    assessment = sweep.assess(env, tracked)

    def nudge(n: int, day: date) -> Note:
        return Note(
            n,
            f"reminder\n<!-- salesbot:nudge date={day.isoformat()} -->",
            "salesbot",
            False,
            f"{day.isoformat()}T09:00:00Z",
        )

    recent = sweep.History([nudge(1, date(2026, 11, 3))], bot="salesbot")
    if cadence > 1:
        assert sweep.decide(env, team, assessment, recent).actions == ()
    many = [nudge(i, date(2026, 10, 1 + i)) for i in range(config.nudges.escalate_after)]
    (comment,) = sweep.decide(env, team, assessment, sweep.History(many, bot="salesbot")).actions
    assert isinstance(comment, Comment) and "Escalating" in comment.body
    # the owner's own activity resets the count: no escalation
    owner = Note(99, "working on it", "bob", False, "2026-10-30T09:00:00Z")
    (comment,) = sweep.decide(
        env, team, assessment, sweep.History([*many, owner], bot="salesbot")
    ).actions
    assert "Escalating" not in comment.body


def test_sweep_never_nudges_on_quiet_days() -> None:
    config, _team = shipped()
    saturday = date(2026, 11, 7)
    assert "saturday" in [d.lower() for d in config.nudges.quiet_days]
    tracked = index_of(
        _onboarding_issue(
            PLAN,
            labels=("progress::in-progress", "phase::day-30", "status::overdue"),
            due_date=date(2026, 10, 31),
        )
    ).get("onboarding", "bob@2026-10-01")
    assert tracked is not None
    assert not sweep.assess(environment(saturday), tracked).nudge_due


def test_sweep_respects_a_label_a_person_removed() -> None:
    from automation.records import LabelEvent

    env = environment(date(2026, 10, 20))
    tracked = index_of(
        _onboarding_issue(PLAN, labels=("phase::day-30",), due_date=date(2026, 10, 31))
    ).get("onboarding", "bob@2026-10-01")
    assert tracked is not None
    assessment = sweep.assess(env, tracked)
    assert assessment.needs_events == ("progress::in-progress",)
    _, team = shipped()
    removed = sweep.History(
        label_events=[
            LabelEvent("progress::in-progress", "add", "salesbot", "2026-10-10T00:00:00Z"),
            LabelEvent("progress::in-progress", "remove", "alice", "2026-10-11T00:00:00Z"),
        ],
        bot="salesbot",
    )
    assert sweep.decide(env, team, assessment, removed).actions == ()
    by_bot = sweep.History(
        label_events=[
            LabelEvent("progress::in-progress", "remove", "salesbot", "2026-10-11T00:00:00Z"),
        ],
        bot="salesbot",
    )
    (update,) = sweep.decide(env, team, assessment, by_bot).actions
    assert isinstance(update, UpdateIssue) and update.add_labels == ("progress::in-progress",)


def test_sweep_completes_once_and_respects_a_reopen() -> None:
    from automation.records import Note

    env = environment(date(2026, 10, 20))
    _, team = shipped()
    done = PLAN.replace("- [ ]", "- [x]")
    tracked = index_of(
        _onboarding_issue(done, labels=("progress::in-progress", "phase::day-60"))
    ).get("onboarding", "bob@2026-10-01")
    assert tracked is not None
    assessment = sweep.assess(env, tracked)
    (comment,) = sweep.decide(env, team, assessment, sweep.History(bot="salesbot")).actions
    assert isinstance(comment, Comment) and comment.close
    assert "progress::complete" in comment.add_labels
    # reopened by a person after that summary: left alone until the checklist changes
    reopened = index_of(_onboarding_issue(done, labels=("progress::complete",))).get(
        "onboarding", "bob@2026-10-01"
    )
    assert reopened is not None
    again = sweep.assess(env, reopened)
    assert again.reopened
    history = sweep.History(
        [Note(1, comment.body, "salesbot", False, "2026-10-20T09:00:00Z")], bot="salesbot"
    )
    assert sweep.decide(env, team, again, history).actions == ()


def test_the_configured_assignee_rule_decides_who_owns_a_handover() -> None:
    from automation.workflows import handover

    config, team = shipped()
    workflows = config.workflows
    outgoing = workflows.model_copy(
        update={"handover": workflows.handover.model_copy(update={"assignee": "outgoing"})}
    )
    moved = config.model_copy(update={"workflows": outgoing})
    item = handover.make(account="Acme", from_user="bob", to_user="carol", effective=TODAY)
    default = handover.plan(environment(TODAY), team, index_of(), [item])
    changed = handover.plan(environment(TODAY, moved), team, index_of(), [item])
    assert [s.action.assignees for s in default] == [("carol",)]  # type: ignore[union-attr]
    assert [s.action.assignees for s in changed] == [("bob",)]  # type: ignore[union-attr]
