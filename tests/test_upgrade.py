"""The template upgrade engine (`automation.upgrade`), without GitLab."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation import checklist
from automation.actions import RewriteDescription
from automation.errors import TemplateError
from automation.index import Tracked
from automation.marker import Marker
from automation.records import Issue
from automation.template_export import PLACEHOLDERS
from automation.templates import render
from automation.upgrade import carry_ticks, kind_of, load_spec, plan, upgrade
from automation.upgrade_spec import spec_from

ROOT = Path(__file__).resolve().parent.parent


def _onboarding(department: str) -> str:
    data = {**PLACEHOLDERS["onboarding"], "department": department, "segment": "Enterprise"}
    rendered = render("onboarding", data).description
    marker = Marker("onboarding", "kim@2026-12-03", load_spec("onboarding").version)
    return f"{rendered.rstrip()}\n\n{marker.render()}\n"


def _issue(iid: int, description: str, state: str = "opened") -> Issue:
    return Issue(
        iid=iid,
        project_id=1,
        title="t",
        description=description,
        state=state,
        labels=(),
        assignees=(),
        author="salesbot",
        due_date=None,
        web_url="",
        reference=f"#{iid}",
        created_at="2026-01-01",
        updated_at="2026-01-01",
        confidential=False,
        task_count=0,
        task_completed=0,
    )


def _templates(tmp_path: Path, kind: str, *edits: tuple[str, str]) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for path in (ROOT / "templates").glob("*.md.j2"):
        text = path.read_text(encoding="utf-8")
        if path.name == f"{kind}.md.j2":
            for old, new in edits:
                assert old in text, old
                text = text.replace(old, new, 1)
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_templates_change_nothing_in_an_issue_they_rendered() -> None:
    for department in ("Commercial", "Enterprise"):
        description = _onboarding(department)
        spec = load_spec("onboarding")
        result = upgrade(description, spec)
        assert not result.changes_items and not result.conflicts
        assert result.description == description  # same version: the marker stays too


def test_items_that_depend_on_data_are_never_inserted_or_retired(tmp_path: Path) -> None:
    """An Enterprise hire's plan has no Required 7: a new version must not add
    them (they sit inside `{% if department == "Commercial" %}`)."""
    folder = _templates(tmp_path, "onboarding", ("version: 3", "version: 4"))
    spec = load_spec("onboarding", folder)
    assert spec.item("onboarding.required-7-read") is not None
    assert not spec.item("onboarding.required-7-read").static  # type: ignore[union-attr]
    enterprise = upgrade(_onboarding("Enterprise"), spec)
    commercial = upgrade(_onboarding("Commercial"), spec)
    for result in (enterprise, commercial):
        assert not result.changes_items
        assert "version=4 -->" in result.description
    assert "Required 7" not in enterprise.description


def test_a_new_section_goes_in_template_order_and_a_removed_item_is_marked(tmp_path: Path) -> None:
    folder = _templates(
        tmp_path,
        "give-back",
        ("version: 2", "version: 3"),
        (
            "## Adoption\n",
            "## Pilot\n\n- [ ] Try it with two colleagues <!-- task:give-back.pilot -->\n\n"
            "## Adoption\n",
        ),
        (
            "- [ ] Add your project to the team's list of Give Back Projects"
            " <!-- task:give-back.project-list -->",
            "",
        ),
    )
    data = {**PLACEHOLDERS["give-back"], "onboarding_ref": None}
    old = render("give-back", data).description + "\n" + Marker("give-back", "g", 1).render() + "\n"
    result = upgrade(old, load_spec("give-back", folder))
    assert result.added == ("give-back.pilot",)
    assert result.retired == ("give-back.project-list",)
    titles = [s.title for s in checklist.parse(result.description).sections]
    assert titles == ["Problem", "Proposal", "Pilot", "Adoption", "Handbook"]
    assert "- [~] Add your project" in result.description
    assert result.description.endswith(Marker("give-back", "g", 3).render() + "\n")


def test_windows_line_endings_are_kept() -> None:
    old = (
        "## A\r\n\r\n- [ ] one <!-- task:give-back.one -->\r\n\r\n"
        "<!-- salesbot:marker workflow=give-back key=k version=1 -->\r\n"
    )
    new_template = (
        "## A\n\n- [ ] one <!-- task:give-back.one -->\n- [ ] two <!-- task:give-back.two -->\n"
    )
    result = upgrade(old, spec_from("give-back", 2, new_template, new_template))
    assert result.description == old.replace(
        "-->\r\n\r\n<!-- s", "-->\r\n- [ ] two <!-- task:give-back.two -->\r\n\r\n<!-- s"
    ).replace("version=1", "version=2")


def test_a_bad_reworded_front_matter_names_the_file(tmp_path: Path) -> None:
    folder = _templates(tmp_path, "ldr", ("version: 2\n", "version: 3\nreworded: [a, b]\n"))
    with pytest.raises(TemplateError, match=r"templates/ldr.md.j2: front matter 'reworded'"):
        load_spec("ldr", folder)


def test_the_planner_skips_current_issues_and_filters_by_workflow(tmp_path: Path) -> None:
    folder = _templates(
        tmp_path,
        "give-back",
        ("version: 2", "version: 3"),
        ("## Proposal\n\n", "## Proposal\n\n- [ ] New <!-- task:give-back.new -->\n"),
    )
    data = {**PLACEHOLDERS["give-back"], "onboarding_ref": None}
    body = render("give-back", data).description
    specs = {"give-back": load_spec("give-back", folder), "onboarding": load_spec("onboarding")}
    old = Marker("give-back", "a", 1)
    current = Marker("give-back", "b", 3)
    tracked = [
        Tracked(old, _issue(1, f"{body}\n{old.render()}\n")),
        Tracked(current, _issue(2, f"{body}\n{current.render()}\n")),
        Tracked(old, _issue(3, f"{body}\n{old.render()}\n", state="closed")),
        Tracked(Marker("onboarding", "k", 1), _issue(4, _onboarding("Commercial"))),
    ]
    found = plan(tracked, specs)
    assert [s.action.target.iid for s in found] == [1]
    action = found.steps[0].action
    assert isinstance(action, RewriteDescription) and action.note == ""
    assert "1 added" in action.summary()
    assert len(plan(tracked, specs, only="onboarding")) == 0
    assert len(plan(tracked, specs, only="give-back")) == 1
    assert kind_of(body) == "give-back" and kind_of("no tasks") is None


def test_a_version_that_changes_no_item_writes_nothing() -> None:
    spec = load_spec("onboarding")
    bumped = spec_from("onboarding", 5, "", "")  # no items at all: nothing to insert
    marker = Marker("onboarding", "kim", 1)
    result = plan(
        [Tracked(marker, _issue(9, "- [x] mine <!-- task:onboarding.x -->\n\n" + marker.render()))],
        {"onboarding": bumped},
    )
    assert len(result) == 0 and result.notes  # said, not written
    assert spec.version == 3


def test_carry_ticks_gives_up_when_more_than_a_box_changed() -> None:
    seen = "- [ ] a <!-- task:give-back.a -->\n- [ ] b <!-- task:give-back.b -->\n"
    planned = seen.replace("- [ ] b", "- [~] b")
    ticked = seen.replace("[ ] a", "[x] a")
    assert carry_ticks(seen, ticked, planned) == planned.replace("[ ] a", "[x] a")
    assert carry_ticks(seen, seen.replace("a <!--", "A <!--"), planned) is None
    assert carry_ticks(seen, seen + "- [ ] c\n", planned) is None


def test_a_reworded_item_inside_a_block_takes_the_new_text() -> None:
    """Row 6 (ES: "having a complete Command Plan for all $50k+ NARR
    opportunities"): version 3 rewords an item that only non-Commercial plans
    hold; an open plan with the old text takes the new one, its tick kept."""
    old_text = (
        "🔴 Have a complete Command Plan, with MEDDPPICC, for every opportunity that needs one"
    )
    spec = load_spec("onboarding")
    assert spec.item("onboarding.command-plans") is None  # not in the Commercial render
    current = _onboarding("Enterprise")
    key = "task:onboarding.command-plans"
    new_line = next(line for line in current.splitlines() if key in line)
    assert "$50k+ NARR" in new_line
    for box in (" ", "x"):
        before = current.replace(new_line, f"- [{box}] {old_text} <!-- {key} -->")
        before = before.replace("version=3 -->", "version=2 -->")
        result = upgrade(before, spec)
        assert result.reworded == ("onboarding.command-plans",) and not result.conflicts
        assert result.description == current.replace(new_line, new_line.replace("[ ]", f"[{box}]"))
        assert upgrade(result.description, spec).description == result.description
    # the Commercial plan has no such item: nothing is inserted
    assert key not in upgrade(_onboarding("Commercial"), spec).description
