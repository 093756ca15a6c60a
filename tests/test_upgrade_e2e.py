"""`salesbot templates upgrade` over HTTP against the sandbox: a team changes
its templates folder, open issues follow, people's ticks and words stay."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from automation import checklist
from automation.bot import Bot
from automation.config import load, templates_path
from automation.marker import find
from tests.e2e import ROOT, World

TODAY = "2026-11-27"  # grace (Commercial) and kim (Enterprise) start within the lead days
DELIVER = "🔴 Deliver it"
DELIVER_NOW = "🔴 Deliver it, and show it to your manager"
# a static item (the buddy item names its owner, a value, so upgrades leave it alone)
BUDDY = "🔴 Agree this 30/60/90 day plan and your performance expectations with your manager"
BUDDY_NOW = f"{BUDDY}, and introduce them"


def _team_templates(world: World) -> Path:
    """Copy the shipped templates into the config's own `templates_dir`."""
    folder = world.config.parent / "templates"
    folder.mkdir()
    for path in (ROOT / "templates").glob("*.md.j2"):
        shutil.copy(path, folder / path.name)
    with world.config.open("a", encoding="utf-8") as handle:
        handle.write("templates_dir: templates\n")
    return folder


def _edit(path: Path, *replacements: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _change_give_back(folder: Path) -> None:
    _edit(
        folder / "give-back.md.j2",
        ("version: 2\nreworded:\n", f'version: 3\nreworded:\n  give-back.deliver: ["{DELIVER}"]\n'),
        (
            f"- [ ] {DELIVER} <!-- task:give-back.deliver -->",
            f"- [ ] {DELIVER_NOW} <!-- task:give-back.deliver -->",
        ),
        (
            "- [ ] 🔴 Confirm it is used at least once a month"
            " <!-- task:give-back.used-monthly -->\n",
            "",
        ),
        (
            "## Proposal\n\n",
            "## Proposal\n\n- [ ] 🔴 Write a one-page proposal <!-- task:give-back.one-pager -->\n",
        ),
    )


def _items(description: str) -> dict[str, checklist.TaskItem]:
    return {i.key: i for i in checklist.parse(description).items if i.key}


def test_an_upgrade_reaches_open_issues_and_keeps_what_people_did(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    folder = _team_templates(world)
    give_back = world.issue("give-back", "grace@2026-12-01")
    world.tick("grace", give_back.iid, "Deliver it", "at least once a month", "Describe here")
    # a line and a section of grace's own
    body = world.api.get_issue(give_back.iid).description.replace(
        "## Adoption", "- [x] My own step\n\n## Adoption", 1
    )
    body = body.replace("## Handbook", "## Notes\n\nSome notes of mine.\n\n## Handbook", 1)
    world.person("grace").update_issue(give_back.iid, {"description": body})
    _change_give_back(folder)

    before = world.writes()
    dry = world.cli("templates", "upgrade", "--dry-run", today=TODAY)
    assert dry.code == 0, dry.err
    assert "upgrade to template version 3" in dry.out and f"#{give_back.iid}" in dry.out
    assert world.writes() == before  # a dry run writes nothing

    result = world.cli("templates", "upgrade", today=TODAY)
    assert result.code == 0, result.err
    assert world.writes() == before + 1  # one description write, one issue changed
    upgraded = world.api.get_issue(give_back.iid)
    items = _items(upgraded.description)
    # new item in its section, first (template order)
    proposal = checklist.parse(upgraded.description).section("Proposal")
    assert proposal is not None
    assert [i.key for i in proposal.items][:2] == ["give-back.one-pager", "give-back.proposal"]
    # reworded, tick kept
    assert items["give-back.deliver"].checked
    assert items["give-back.deliver"].text == DELIVER_NOW.removeprefix("🔴 ")
    # removed from the template: ticked stays ticked
    assert (
        items["give-back.used-monthly"].checked and not items["give-back.used-monthly"].inapplicable
    )
    assert items["give-back.problem"].checked
    # a person's line and section are still there
    assert "- [x] My own step" in upgraded.description
    assert "## Notes\n\nSome notes of mine." in upgraded.description
    marker = find(upgraded.description)
    assert marker is not None and marker.version == 3
    assert upgraded.task_count == checklist.parse(upgraded.description).count  # GitLab agrees

    # the onboarding plans did not change template: untouched
    assert world.notes(give_back.iid) == []
    rerun = world.cli("templates", "upgrade", today=TODAY)
    assert rerun.code == 0 and world.writes() == before + 1  # a rerun writes nothing
    assert "No open issue needs an upgrade." in rerun.out


def test_an_unticked_removed_item_is_marked_not_applicable(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    _change_give_back(_team_templates(world))
    assert world.cli("templates", "upgrade", "--workflow", "give-back", today=TODAY).code == 0
    issue = world.issue("give-back", "grace@2026-12-01")
    item = _items(issue.description)["give-back.used-monthly"]
    assert item.inapplicable and not item.checked
    assert "- [~] 🔴 Confirm it is used at least once a month" in issue.description
    # GitLab (15.3+) leaves [~] out of its counts, as the reader does
    assert issue.task_count == checklist.parse(issue.description).count


def test_a_conflicting_edit_is_left_alone_and_said_once(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    folder = _team_templates(world)
    kim = world.issue("onboarding", "kim@2026-12-03")
    grace = world.issue("onboarding", "grace@2026-12-01")
    words = "- [ ] 🔴 Kim and Heidi agreed the plan on Monday"
    body = kim.description.replace(f"- [ ] {BUDDY}", words, 1)
    world.person("heidi").update_issue(kim.iid, {"description": body})
    _edit(
        folder / "onboarding.md.j2",
        ("version: 3\n", "version: 4\n"),
        ("reworded:\n", f'reworded:\n  onboarding.plan-agreed: ["{BUDDY}"]\n'),
        (f"- [ ] {BUDDY} <!--", f"- [ ] {BUDDY_NOW} <!--"),
    )
    before = world.writes()
    result = world.cli("templates", "upgrade", "--json", today=TODAY)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert {a["issue"] for a in document["actions"]} == {f"#{kim.iid}", f"#{grace.iid}"}
    assert document["written"] == 2
    # kim's: the person's words stay, one note says why; grace's: the new text
    assert world.writes() == before + 3
    kim_after = world.api.get_issue(kim.iid)
    assert words + " <!-- task:onboarding.plan-agreed -->" in kim_after.description
    (note,) = world.notes(kim.iid)
    assert "onboarding.plan-agreed" in note.body and "left 1 item(s) as they are" in note.body
    assert (
        f"- [ ] {BUDDY_NOW} <!-- task:onboarding.plan-agreed -->"
        in world.api.get_issue(grace.iid).description
    )
    assert world.notes(grace.iid) == []
    assert world.cli("templates", "upgrade", today=TODAY).code == 0
    assert world.writes() == before + 3  # no second note, no second write


def test_a_tick_made_between_the_read_and_the_write_survives(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    _change_give_back(_team_templates(world))
    config, team = load(world.config)
    bot = Bot(
        api=world.api, config=config, team=team, templates_dir=templates_path(world.config, config)
    )
    plan = bot.plan_upgrades()
    assert len(plan) == 1
    issue = world.issue("give-back", "grace@2026-12-01")
    world.tick("grace", issue.iid, "at least once a month", "Deliver it")  # after the read
    report = bot.apply(plan)
    assert not report.failures
    items = _items(world.api.get_issue(issue.iid).description)
    assert (
        items["give-back.used-monthly"].checked and not items["give-back.used-monthly"].inapplicable
    )
    assert items["give-back.deliver"].checked
    assert items["give-back.one-pager"].text == "Write a one-page proposal"


def test_the_scheduled_run_upgrades_only_when_asked(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    _change_give_back(_team_templates(world))
    assert world.cli("run", today=TODAY).code == 0
    issue = world.issue("give-back", "grace@2026-12-01")
    assert find(issue.description).version == 2  # type: ignore[union-attr]
    with world.config.open("a", encoding="utf-8") as handle:
        handle.write("templates:\n  auto_upgrade: true\n")
    assert world.cli("run", today=TODAY).code == 0
    issue = world.issue("give-back", "grace@2026-12-01")
    assert find(issue.description).version == 3  # type: ignore[union-attr]
    assert "give-back.one-pager" in issue.description
