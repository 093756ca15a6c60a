"""The issue templates: rendering, their checklists, errors and the exported copies."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from automation import checklist
from automation.errors import TemplateError
from automation.neutralise import WORD_JOINER
from automation.template_export import EXPORT_NAMES, export, render_export
from automation.template_filters import default, iso_date, money
from automation.templates import DEFAULT_TEMPLATES_DIR, KINDS, Templates, load_info, render

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = ROOT / ".gitlab" / "issue_templates"
START = date(2026, 3, 2)

SAMPLES: Mapping[str, Mapping[str, object]] = {
    "handover": {
        "account": "Globex Corp",
        "account_id": "0015g00000XyZ",
        "from_user": "bob",
        "to_user": "carol",
        "manager": "alice",
        "effective_date": date(2026, 3, 2),
        "due_date": date(2026, 3, 16),
        "reason": "Territory realignment",
        "opportunities": ["0061", "0062"],
        "commercial": True,
    },
    "onboarding": {
        "hire": "erin",
        "name": "Erin Evans",
        "manager": "alice",
        "segment": "SMB",
        "role": "SMB Account Executive",
        "department": "Commercial",
        "region": "EMEA",
        "start_date": START,
        "day30": date(2026, 4, 1),
        "day60": date(2026, 5, 1),
        "day90": date(2026, 5, 31),
        "plan": "account-executive",
    },
    "give-back": {
        "hire": "erin",
        "name": "Erin Evans",
        "manager": "alice",
        "start_date": START,
        "due_date": date(2026, 5, 31),
        "onboarding_ref": "#12",
    },
    "consult": {
        "opportunity_id": "0069",
        "opportunity": "Globex Ultimate",
        "account": "Globex Corp",
        "owner": "bob",
        "manager": "alice",
        "segment": "SMB",
        "iacv": 12500.5,
        "amount": Decimal("30000"),
        "close_date": date(2026, 3, 31),
        "stage": "3-Technical Evaluation",
        "consult_name": "Opportunity Consult",
        "why": "its iACV of $12,501 is at or over the $10,000 threshold for SMB",
        "narr": None,
        "due_date": date(2026, 3, 24),
        "custom_deck": True,
        "custom_deck_amount": 5000,
        "account_team": (("SA", "sam"), ("SDR", "sid")),
    },
    "ldr": {
        "opportunity_id": "0070",
        "opportunity": "Initech Premium",
        "account": "Initech",
        "owner": "carol",
        "manager": None,
        "segment": "Mid-Market",
        "iacv": 11000,
        "amount": 15000,
        "close_date": date(2026, 3, 20),
        "stage": "4-Proposal",
        "consult_name": "Lightweight Deal Review",
        "why": "its iACV of $11,000 is at or over the $10,000 LDR threshold for Mid-Market",
        "due_date": date(2026, 3, 20),
        "custom_deck": True,
        "custom_deck_amount": 10000,
    },
    "group-consult": {
        "manager": "alice",
        "name": "Alice Adams",
        "month": "March 2026",
        "due_date": date(2026, 3, 31),
        "consults": (("#7", "Opportunity Consult: Globex Ultimate (Globex Corp)", "bob"),),
        "weekly": (
            (date(2026, 2, 2), 3),
            (date(2026, 2, 9), 1),
            (date(2026, 2, 16), 2),
            (date(2026, 2, 23), 0),
        ),
        "weekly_target": 2,
    },
}
TASK_LINE = re.compile(r"^\s*[-*+] \[[ xX~]\] ")
KEY_AT_END = re.compile(r"<!-- task:([A-Za-z0-9._-]+) -->$")


def onboarding(**changes: object) -> checklist.Checklist:
    return checklist.parse(render("onboarding", {**SAMPLES["onboarding"], **changes}).description)


def copy_templates(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT_TEMPLATES_DIR, tmp_path / "templates"))


# -- rendering ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_checklist_with_required_items(kind: str) -> None:
    rendered = render(kind, SAMPLES[kind])
    info = load_info(kind)
    assert rendered.kind == kind and rendered.version == info.version >= 1
    assert rendered.labels == info.labels and rendered.labels
    assert rendered.due_days == info.due_days > 0
    assert rendered.title and "{{" not in rendered.title and "\n" not in rendered.title
    assert "salesbot:marker" not in rendered.description  # the engine appends it
    parsed = checklist.parse(rendered.description)
    assert len(parsed.sections) >= 2
    assert all(section.required_items for section in parsed.sections)
    assert not parsed.is_complete and parsed.completed_count == 0


def test_titles_carry_the_values() -> None:
    titles = {kind: render(kind, SAMPLES[kind]).title for kind in KINDS}
    assert titles == {
        "handover": "Account Handover: Globex Corp (bob → carol)",
        "onboarding": "Onboarding 30/60/90: Erin Evans (SMB Account Executive)",
        "give-back": "Give Back Project: Erin Evans",
        "consult": "Opportunity Consult: Globex Ultimate (Globex Corp)",
        "ldr": "Lightweight Deal Review: Initech Premium (Initech)",
        "group-consult": "Group consult March 2026: Alice Adams",
    }
    assert load_info("give-back").labels == ("Give Back Project",)


@pytest.mark.parametrize("kind", KINDS)
def test_every_item_ends_with_a_unique_key_of_its_kind(kind: str) -> None:
    description = render_export(kind)  # the superset: every optional block shown
    lines = [line for line in description.splitlines() if TASK_LINE.match(line)]
    keys = [KEY_AT_END.search(line) for line in lines]
    assert all(keys), [line for line, key in zip(lines, keys, strict=True) if not key]
    names = [key[1] for key in keys if key]
    assert len(names) == len(set(names)), "duplicate task keys"
    assert all(name.startswith(f"{kind}.") for name in names)
    parsed = checklist.parse(description)
    assert [item.key for item in parsed.items] == names


def test_the_handover_mentions_only_the_outgoing_seller_and_manager() -> None:
    description = render("handover", SAMPLES["handover"]).description
    assert set(re.findall(r"(?<![\w@])@([\w.-]+)", description)) == {"bob", "alice"}
    assert "| 0061 |" in description and "| 0062 |" in description
    assert [s.title for s in checklist.parse(description).sections] == [
        "Outgoing seller",
        "Incoming seller",
        "Manager",
    ]


def test_missing_optional_values_show_a_dash() -> None:
    data = {**SAMPLES["handover"], "manager": None, "reason": None, "opportunities": []}
    description = render("handover", data).description
    assert "**Manager:** —" in description and "**Reason:** —" in description
    assert "No open opportunities" in description
    assert "@alice" not in description


def test_onboarding_has_three_phases_with_required_items() -> None:
    info = load_info("onboarding")
    assert dict(info.sections_due) == {"Day 30": 30, "Day 60": 60, "Day 90": 90}
    parsed = onboarding()
    assert [s.title for s in parsed.sections] == ["Day 30", "Day 60", "Day 90"]
    for section in parsed.sections:
        assert section.required_items and len(section.items) > len(section.required_items)
    description = render("onboarding", SAMPLES["onboarding"]).description
    for due in ("2026-04-01", "2026-05-01", "2026-05-31"):
        assert f"Due {due}." in description


def test_the_handbooks_onboarding_activities_are_required() -> None:
    required = {item.key for item in onboarding().items if item.required}
    assert {
        "onboarding.onboarding-issue-red-dots",
        "onboarding.shadow-program",
        "onboarding.sales-quickstart",
        "onboarding.pathway-complete",
        "onboarding.territory-plan",
        "onboarding.account-ranking",
    } <= required


def test_a_commercial_hire_gets_the_required_7_and_give_back() -> None:
    keys = {item.key for item in onboarding().items}
    required_7 = {k for k in keys if k and k.startswith("onboarding.required-7-")}
    assert len(required_7) >= 7
    assert "onboarding.give-back-project" in keys


def test_an_enterprise_hire_does_not_get_the_required_7() -> None:
    parsed = onboarding(department="Enterprise", segment="Enterprise", role="SAE")
    keys = {item.key for item in parsed.items}
    assert not any(k and k.startswith("onboarding.required-7-") for k in keys)
    assert "onboarding.give-back-project" not in keys
    assert "onboarding.account-plans" in keys
    assert (
        "Required 7"
        not in render(
            "onboarding", {**SAMPLES["onboarding"], "department": "Enterprise"}
        ).description
    )


def test_account_ranking_definitions_follow_the_segment() -> None:
    smb = render("onboarding", SAMPLES["onboarding"]).description
    mid = render("onboarding", {**SAMPLES["onboarding"], "segment": "Mid-Market"}).description
    assert "Small Business definitions" in smb and "Mid-Market definitions" not in smb
    assert "Mid-Market definitions" in mid and "Small Business definitions" not in mid


def test_the_consult_checks_every_meddppicc_letter() -> None:
    parsed = checklist.parse(render("consult", SAMPLES["consult"]).description)
    section = parsed.section("MEDDPPICC")
    assert section is not None and all(item.required for item in section.items)
    letters = [item.text.split(":")[0] for item in section.items]
    assert letters == [
        "Metrics",
        "Economic buyer",
        "Decision criteria",
        "Decision process",
        "Paper process",
        "Implicate the pain",
        "Champion",
        "Competition",
    ]
    assert [s.title for s in parsed.sections] == [
        "Account team",
        "MEDDPPICC",
        "Command Plan",
        "Close plan",
        "Next steps",
    ]


def test_the_ldr_is_shorter_than_the_consult() -> None:
    ldr = checklist.parse(render("ldr", SAMPLES["ldr"]).description)
    consult = checklist.parse(render("consult", SAMPLES["consult"]).description)
    assert 0 < ldr.count < consult.count


def test_amounts_and_dates_are_formatted() -> None:
    description = render("consult", SAMPLES["consult"]).description
    assert "**iACV:** $12,501" in description and "**Amount:** $30,000" in description
    assert "over the $10,000 threshold" in description
    assert "**Close date:** 2026-03-31" in description


def test_filters() -> None:
    assert money(1234.5) == "$1,235" and money(0) == "$0" and money(-5.5) == "-$6"
    assert money("2500") == "$2,500" and money(None) is None and money("IACV") == "IACV"
    for bad in (True, float("nan"), [1]):
        with pytest.raises(TemplateError, match="money"):
            money(bad)
    assert iso_date(date(2026, 1, 5)) == "2026-01-05" and iso_date(None) is None
    assert default(None) == "—" and default(" ") == "—" and default(0) == 0
    assert default(0, "n/a", boolean=True) == "n/a" and default("x") == "x"


# -- what a template author cannot do -------------------------------------------------


def test_a_template_cannot_emit_untrusted_text_raw(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    path = templates / "give-back.md.j2"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "{{ name | safe }}\n{{ mention(hire) ~ name }}\n{{ mention(hire) + name }}\n",
        encoding="utf-8",
    )
    hostile = "x\n/close @all"
    description = render(
        "give-back", {**SAMPLES["give-back"], "name": hostile}, templates
    ).description
    tail = description.splitlines()[-3:]
    assert tail == [
        f"x /close @{WORD_JOINER}all",
        f"@{WORD_JOINER}erinx /close @{WORD_JOINER}all",
        f"@{WORD_JOINER}erinx /close @{WORD_JOINER}all",
    ]


def test_the_sandbox_blocks_internals(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    path = templates / "ldr.md.j2"
    path.write_text(
        path.read_text(encoding="utf-8") + "{{ owner.__class__.__mro__ }}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError, match=r"ldr\.md\.j2"):
        render("ldr", SAMPLES["ldr"], templates)


# -- errors --------------------------------------------------------------------------


def test_a_missing_variable_names_the_template_and_the_variable() -> None:
    data = {k: v for k, v in SAMPLES["handover"].items() if k != "account"}
    with pytest.raises(TemplateError) as raised:
        render("handover", data)
    assert str(raised.value) == "templates/handover.md.j2: variable 'account' is undefined"


def test_a_variable_used_only_in_a_branch_is_still_required() -> None:
    data = {k: v for k, v in SAMPLES["onboarding"].items() if k != "department"}
    with pytest.raises(TemplateError, match=r"onboarding\.md\.j2: variable 'department'"):
        render("onboarding", data)


def test_the_documented_variables_are_the_ones_used() -> None:
    for kind in KINDS:
        assert set(load_info(kind).variables) == set(SAMPLES[kind]), kind


def test_an_unknown_kind_lists_the_kinds() -> None:
    kinds = "handover, onboarding, give-back, consult, ldr, group-consult"
    with pytest.raises(TemplateError, match=kinds):
        render("party", {})


def test_a_bad_username_for_a_mention_names_the_template() -> None:
    with pytest.raises(TemplateError, match=r"handover\.md\.j2: mention: 'a b'"):
        render("handover", {**SAMPLES["handover"], "from_user": "a b"})


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    path = templates / "ldr.md.j2"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(24, "{% if %}")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TemplateError, match=r"ldr\.md\.j2:25: "):
        render("ldr", SAMPLES["ldr"], templates)


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: x\nlabels: []\ndue_days: 5\ndescription: d\n", "'version'"),
        ("title: [x\n", "front matter"),
        (
            "title: x\nlabels: []\ndue_days: 5\nversion: 1\ndescription: d\n"
            "sections_due: {Week 1: 7}\n",
            "'Week 1'",
        ),
    ],
)
def test_bad_front_matter_is_reported(tmp_path: Path, front: str, message: str) -> None:
    templates = copy_templates(tmp_path)
    (templates / "ldr.md.j2").write_text(f"---\n{front}---\n## A\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=message):
        load_info("ldr", templates)


# -- export ------------------------------------------------------------------------------


def test_the_committed_exports_are_in_sync_with_the_templates() -> None:
    assert export(EXPORTED, check=True) == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_export_is_the_checklist_without_a_marker(kind: str) -> None:
    text = render_export(kind)
    first = text.splitlines()[0]
    assert first.startswith("<!-- Generated by `salesbot templates export`")
    assert f"templates/{kind}.md.j2" in first and "edit the template" in first
    assert "salesbot:marker" not in text
    assert checklist.parse(text).count > 0
    assert (EXPORTED / f"{EXPORT_NAMES[kind]}.md").is_file()


def test_drift_and_stale_files_are_detected_and_fixed(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    dest = tmp_path / "issue_templates"
    assert len(export(dest, templates_dir=templates)) == len(KINDS)
    assert export(dest, check=True, templates_dir=templates) == []

    path = templates / "give-back.md.j2"
    path.write_text(path.read_text(encoding="utf-8") + "One more line.\n", encoding="utf-8")
    stale = dest / "Old Workflow.md"
    stale.write_text(render_export("ldr", templates), encoding="utf-8")
    (dest / "Hand written.md").write_text("# Mine\n", encoding="utf-8")
    drift = export(dest, check=True, templates_dir=templates)
    assert drift == [dest / "Give Back Project.md", stale]
    assert stale.exists()  # check writes nothing

    assert export(dest, templates_dir=templates) == drift
    assert not stale.exists() and (dest / "Hand written.md").exists()
    assert (dest / "Give Back Project.md").read_text(encoding="utf-8").endswith("One more line.\n")
    assert export(dest, check=True, templates_dir=templates) == []


# -- read once -----------------------------------------------------------------------


def test_a_loaded_template_set_renders_without_reading_files_again(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    loaded = Templates.load(templates)
    shutil.rmtree(templates)
    rendered = loaded.render("handover", SAMPLES["handover"])
    assert "Globex Corp" in rendered.title
    assert loaded.info("onboarding").sections_due


def test_one_broken_template_fails_only_when_its_kind_is_used(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    (templates / "ldr.md.j2").write_text("no front matter\n", encoding="utf-8")
    loaded = Templates.load(templates)
    assert loaded.render("handover", SAMPLES["handover"]).version >= 1
    with pytest.raises(TemplateError, match=r"ldr\.md\.j2:1: a template starts with '---'"):
        loaded.render("ldr", SAMPLES["ldr"])
    with pytest.raises(TemplateError, match="unknown template 'nope'"):
        loaded.info("nope")


def test_items_due_must_name_a_task_key_of_the_template(tmp_path: Path) -> None:
    templates = copy_templates(tmp_path)
    path = templates / "onboarding.md.j2"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('onboarding.level-up-highspot": 7', 'onboarding.typo": 7', 1))
    with pytest.raises(TemplateError, match="items_due names 'onboarding.typo'"):
        render("onboarding", SAMPLES["onboarding"], templates)


def test_an_area_sales_manager_plan_has_no_seller_items_and_keeps_the_shared_ones() -> None:
    asm = onboarding(plan="area-sales-manager", department="Enterprise", segment="Enterprise")
    keys = {item.key for item in asm.items}
    assert "onboarding.asm-manager-challenge" in keys and "onboarding.buddy" in keys
    assert "onboarding.sales-quickstart" not in keys and "onboarding.required-7-read" not in keys
    assert [s.title for s in asm.sections] == ["Day 30", "Day 60", "Day 90"]
