from __future__ import annotations

import json
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from automation import yamlsource
from automation.config import (
    Config,
    ConfigValidationError,
    Thresholds,
    load,
    load_config,
    load_team,
    validate_files,
)
from automation.config_schema import json_schema
from automation.errors import ConfigError
from automation.fields import Department, Segment

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config"

CONFIG = """\
version: 1
gitlab:
  project: sales/salesbot
timezone: Europe/Berlin
workflows:
  handover: {template: handover, assignee: incoming, due_days: 14}
  onboarding: {template: onboarding, assignee: hire, due_days: 90, lead_days: 7}
  give_back: {template: give-back, assignee: hire, due_days: 90, departments: [Commercial]}
  consult: {template: consult, assignee: owner, due_days: 7}
  ldr: {template: ldr, assignee: owner, due_days: 5}
thresholds:
  SMB: {consult: 10000, ldr: 5000}
  Enterprise: {consult: 50000, consult_name: Command Plan}
"""

TEAM = """\
version: 1
members:
  - username: alice
    name: Alice
    role: Area Sales Manager
    segment: SMB
    region: AMER
    start_date: 2024-02-01
    department: Commercial
  - username: bob
    name: Bob
    role: Account Executive
    segment: Mid-Market
    region: EMEA
    manager: alice
    start_date: 2026-12-01
    department: Commercial
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with a valid config/ and the cwd set to it, so paths are relative."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "salesbot.yml").write_text(CONFIG)
    (tmp_path / "config" / "team.yml").write_text(TEAM)
    monkeypatch.chdir(tmp_path)
    return tmp_path


CONFIG_PATH = Path("config/salesbot.yml")
TEAM_PATH = Path("config/team.yml")


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


def problems_of(loader: object, path: Path) -> list[str]:
    assert callable(loader)
    with pytest.raises(ConfigValidationError) as caught:
        loader(path)
    return caught.value.problems


# -- the shipped files -----------------------------------------------------------


def test_the_shipped_config_and_team_load() -> None:
    config, team = load(SHIPPED / "salesbot.yml")
    assert validate_files(SHIPPED / "salesbot.yml") == []
    assert config.tz.key == "America/Los_Angeles"
    assert config.workflows.give_back.departments == (Department.COMMERCIAL,)
    assert config.thresholds[Segment.ENTERPRISE].command_plan_narr == 50000
    assert config.thresholds[Segment.SMB].ldr == 5000
    assert team.member("alice") is not None
    assert {m.username for m in team.members} >= {"alice", "bob", "carol", "dave", "erin"}


def test_the_shipped_team_has_managers_for_both_departments_and_three_new_hires() -> None:
    team = load_team(SHIPPED / "team.yml")
    managers = [m for m in team.members if any(x.manager == m.username for x in team.members)]
    assert {m.department for m in managers} == set(Department)
    hires = [m for m in team.active_members() if m.start_date >= date(2026, 11, 20)]
    assert len(hires) == 3
    assert all(m.start_date <= date(2026, 12, 31) for m in hires)


@pytest.mark.parametrize("kind", ["salesbot", "team"])
def test_shipped_yaml_points_editors_at_its_schema(kind: str) -> None:
    first = (SHIPPED / f"{kind}.yml").read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema=./{kind}.schema.json"


@pytest.mark.parametrize("kind", ["salesbot", "team"])
def test_shipped_schema_files_equal_the_generated_schema(kind: str) -> None:
    shipped = json.loads((SHIPPED / f"{kind}.schema.json").read_text())
    assert shipped == json_schema(kind), (
        "regenerate with: .venv/bin/python -m automation.config_schema"
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["salesbot", "team"])
def test_the_schema_accepts_the_shipped_yaml_and_rejects_an_unknown_key(kind: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema(kind)  # type: ignore[arg-type]
    data = yamlsource.parse((SHIPPED / f"{kind}.yml").read_text()).data
    jsonschema.validate(data, schema)
    assert isinstance(data, dict)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "colour": "red"}, schema)


# -- one problem, one line --------------------------------------------------------


def test_a_bad_date_names_file_line_and_key_path(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM.replace("start_date: 2026-12-01", "start_date: 2026-13-01"))
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:16: members[1].start_date: not a date (YYYY-MM-DD)"
    ]


def test_an_unknown_key_is_reported_not_ignored(workdir: Path) -> None:
    block = "  handover:\n    colour: red\n    template: handover\n    assignee: incoming\n"
    text = CONFIG.replace(
        "  handover: {template: handover, assignee: incoming, due_days: 14}\n",
        block + "    due_days: 14\n",
    )
    write(workdir / CONFIG_PATH, text)
    assert problems_of(load_config, CONFIG_PATH) == [
        "config/salesbot.yml:7: workflows.handover.colour: unknown key"
    ]


def test_malformed_yaml_names_the_line(workdir: Path) -> None:
    write(
        workdir / TEAM_PATH,
        "version: 1\nmembers:\n  - username: alice\n    name: Alice\n   role: x\n",
    )
    (problem,) = problems_of(load_team, TEAM_PATH)
    assert problem.startswith("config/team.yml:5: invalid YAML: ")


def test_a_missing_team_file_is_reported_relative_to_the_config(workdir: Path) -> None:
    (workdir / TEAM_PATH).unlink()
    assert validate_files(CONFIG_PATH) == ["config/team.yml: file not found"]
    with pytest.raises(ConfigError, match=r"^config/team\.yml: file not found$"):
        load(CONFIG_PATH)


def test_a_missing_config_file_is_reported(workdir: Path) -> None:
    assert validate_files(Path("config/nope.yml")) == ["config/nope.yml: file not found"]


def test_the_team_file_is_resolved_relative_to_the_config_file(workdir: Path) -> None:
    (workdir / "config" / "people").mkdir()
    (workdir / TEAM_PATH).rename(workdir / "config" / "people" / "roster.yml")
    write(workdir / CONFIG_PATH, CONFIG + "team_file: people/roster.yml\n")
    _, team = load(workdir / CONFIG_PATH)
    assert [m.username for m in team.members] == ["alice", "bob"]


def test_an_unknown_segment_lists_the_choices(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM.replace("segment: Mid-Market", "segment: midmarket"))
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:13: members[1].segment: "
        "expected one of: SMB, Mid-Market, Enterprise, Public Sector"
    ]


def test_a_missing_key_points_at_its_list_item(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM.replace("    name: Bob\n", ""))
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:10: members[1].name: required key missing"
    ]


def test_a_fraction_is_not_a_whole_number(workdir: Path) -> None:
    write(workdir / CONFIG_PATH, CONFIG.replace("due_days: 7}", "due_days: 7.5}"))
    assert problems_of(load_config, CONFIG_PATH) == [
        "config/salesbot.yml:9: workflows.consult.due_days: not a whole number"
    ]


def test_another_version_says_which_versions_are_supported(workdir: Path) -> None:
    write(workdir / TEAM_PATH, "# roster\nversion: 2\nteam: []\n")
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:2: version: unsupported version 2; supported versions: 1"
    ]


def test_the_version_is_required(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM.replace("version: 1\n", ""))
    assert problems_of(load_team, TEAM_PATH) == ["config/team.yml:1: version: required key missing"]


def test_a_word_yaml_reads_as_a_boolean_asks_for_quotes(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM.replace("region: EMEA", "region: no"))
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:14: members[1].region: expected text (put it in quotes)"
    ]


def test_a_key_written_twice_is_reported(workdir: Path) -> None:
    write(workdir / CONFIG_PATH, CONFIG + "timezone: UTC\n")
    assert problems_of(load_config, CONFIG_PATH) == [
        "config/salesbot.yml:14: timezone: duplicate key (first on line 4)"
    ]


# -- checks across fields ----------------------------------------------------------


def test_a_manager_must_be_on_the_roster(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM.replace("manager: alice", "manager: zed"))
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:15: members[1].manager: 'zed' is not a member"
    ]


def test_usernames_are_unique(workdir: Path) -> None:
    write(
        workdir / TEAM_PATH,
        TEAM.replace("username: bob", "username: alice").replace("    manager: alice\n", ""),
    )
    assert problems_of(load_team, TEAM_PATH) == [
        "config/team.yml:10: members[1].username: duplicate username (also members[0])"
    ]


def test_an_ldr_threshold_must_be_below_the_consult_threshold(workdir: Path) -> None:
    write(workdir / CONFIG_PATH, CONFIG.replace("ldr: 5000", "ldr: 10000"))
    assert problems_of(load_config, CONFIG_PATH) == [
        "config/salesbot.yml:12: thresholds.SMB.ldr: must be below consult (10000)"
    ]


def test_unknown_timezone_and_template_are_reported(workdir: Path) -> None:
    text = CONFIG.replace("Europe/Berlin", "Mars/Olympus").replace("template: ldr", "template: lrd")
    write(workdir / CONFIG_PATH, text)
    assert problems_of(load_config, CONFIG_PATH) == [
        "config/salesbot.yml:4: timezone: unknown timezone 'Mars/Olympus' "
        "(expected an IANA name like America/Los_Angeles)",
        "config/salesbot.yml:10: workflows.ldr.template: "
        "expected one of: handover, onboarding, give-back, consult, ldr, group-consult",
    ]


def test_every_problem_of_both_files_is_reported_at_once(workdir: Path) -> None:
    write(
        workdir / CONFIG_PATH,
        CONFIG.replace("ldr: 5000", "ldr: 20000").replace("project: sales/salesbot", "tier: gold"),
    )
    write(
        workdir / TEAM_PATH,
        TEAM.replace("2024-02-01", "yesterday").replace("manager: alice", "manager: zed"),
    )
    expected = [
        "config/salesbot.yml:2: gitlab.project: required key missing",
        "config/salesbot.yml:3: gitlab.tier: expected one of: free, premium",
        "config/salesbot.yml:12: thresholds.SMB.ldr: must be below consult (10000)",
        "config/team.yml:8: members[0].start_date: not a date (YYYY-MM-DD)",
        "config/team.yml:15: members[1].manager: 'zed' is not a member",
    ]
    assert validate_files(CONFIG_PATH) == expected
    with pytest.raises(ConfigValidationError) as caught:
        load(CONFIG_PATH)
    assert str(caught.value) == "\n".join(expected)
    assert caught.value.problems == expected


# -- behaviour of the models -------------------------------------------------------


@pytest.mark.parametrize(
    ("iacv", "in_window", "kind"),
    [
        ("10000", False, "consult"),
        ("9999.99", True, "ldr"),
        ("9999.99", False, None),
        ("5000", True, "ldr"),
        ("4999", True, None),
    ],
)
def test_smb_thresholds_choose_consult_or_ldr(iacv: str, in_window: bool, kind: str | None) -> None:
    smb = Thresholds(consult=10000, ldr=5000)
    assert smb.kind_for(Decimal(iacv), in_window) == kind


def test_without_an_ldr_threshold_only_consults_are_opened() -> None:
    enterprise = Thresholds(consult=50000, consult_name="Command Plan")
    assert enterprise.kind_for(Decimal(49999), True) is None
    assert enterprise.kind_for(Decimal(50000), False) == "consult"


def test_defaults_fill_optional_sections_and_a_numeric_project_id_is_text(workdir: Path) -> None:
    write(workdir / CONFIG_PATH, CONFIG.replace("sales/salesbot", "4242"))
    config = load_config(CONFIG_PATH)
    assert config.gitlab.project == "4242"
    assert config.gitlab.tier == "free"
    assert config.labels.bot == "salesbot"
    assert config.nudges.quiet_days == ("saturday", "sunday")
    assert config.consults.close_on == ("Closed Won", "Closed Lost")
    assert config.workflows.handover.title is None


def test_left_members_are_not_active(workdir: Path) -> None:
    write(workdir / TEAM_PATH, TEAM + "    status: left\n")
    team = load_team(TEAM_PATH)
    assert [m.username for m in team.active_members()] == ["alice"]
    assert team.member("bob") is not None
    assert team.member("nobody") is None


def test_models_are_frozen(workdir: Path) -> None:
    config = load_config(CONFIG_PATH)
    with pytest.raises(ValueError, match="frozen"):
        config.timezone = "UTC"  # type: ignore[misc]
    assert isinstance(config, Config)


def test_circular_managers_are_reported_once_at_the_cycles_first_member(tmp_path: Path) -> None:
    def member(name: str, manager: str | None) -> str:
        boss = manager or "null"
        return (
            f"  - {{username: {name}, name: {name.title()}, role: AE, segment: SMB, "
            f"region: AMER, manager: {boss}, start_date: 2024-01-01, department: Commercial}}\n"
        )

    team = tmp_path / "team.yml"
    # a -> b -> c -> a is a cycle; d reports into it but is not part of it
    write(
        team,
        "version: 1\nmembers:\n"
        + member("d", "a")
        + member("a", "b")
        + member("b", "c")
        + member("c", "a")
        + member("e", None),
    )
    with pytest.raises(ConfigValidationError) as caught:
        load_team(team)
    assert caught.value.problems == [
        f"{team}:4: members[1].manager: circular managers: a -> b -> c -> a"
    ]


def test_unknown_roster_usernames_name_file_and_line_and_skip_departed() -> None:
    from automation.team import unknown_usernames

    team = load_team(SHIPPED / "team.yml")
    asked: list[str] = []

    def known(name: str) -> bool:
        asked.append(name)
        return name != "bob"

    assert unknown_usernames(team, known) == [
        f"{SHIPPED / 'team.yml'}:16: members[1].username: 'bob' is not a GitLab user"
    ]
    # a departed member's account may be gone: not looked up
    assert sorted(asked) == sorted(m.username for m in team.active_members())
    assert len(asked) < len(team.members)
