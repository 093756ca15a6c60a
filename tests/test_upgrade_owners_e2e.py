"""A handover opened before its template named section owners: `templates
upgrade` names them, then the sweep nudges the outgoing seller (GitLab Free:
only the incoming seller is assigned)."""

from __future__ import annotations

import re
import shutil

from automation import hidden
from automation.marker import find
from tests.e2e import ROOT, World

SYNC_DAY = "2026-11-27"
LATE = "2026-12-22"  # the day after the handover's due date
HANDOVER = (
    "handover", "open", "--account", "Acme Corp", "--account-id", "001ACME",
    "--from", "bob", "--to", "carol", "--effective", "2026-12-07",
)  # fmt: skip


def _open_with_the_old_template(world: World) -> int:
    """Open the handover from a copy of the template before owners (version 1)."""
    folder = world.config.parent / "templates"
    folder.mkdir()
    for path in (ROOT / "templates").glob("*.md.j2"):
        shutil.copy(path, folder / path.name)
    old = folder / "handover.md.j2"
    text = re.sub(r"^\{\{ owned_by\(\w+\) \}\}\n", "", old.read_text(encoding="utf-8"), flags=re.M)
    old.write_text(text.replace("version: 2\n", "version: 1\n", 1), encoding="utf-8")
    shipped = world.config.read_text(encoding="utf-8")
    world.config.write_text(shipped + "templates_dir: templates\n", encoding="utf-8")
    assert world.cli(*HANDOVER, today=SYNC_DAY).code == 0
    world.config.write_text(shipped, encoding="utf-8")  # back to the shipped templates
    (issue,) = world.issues("handover")
    assert "owner:" not in issue.description
    return issue.iid


def test_the_upgrade_names_the_owners_and_the_sweep_nudges_the_outgoing_seller(
    world: World,
) -> None:
    iid = _open_with_the_old_template(world)
    world.tick("carol", iid, "Read the handover notes")  # a person's tick before the upgrade
    before = world.writes()
    result = world.cli("templates", "upgrade", today=SYNC_DAY)
    assert result.code == 0, result.err
    assert world.writes() == before + 1  # one description write
    issue = world.api.get_issue(iid)
    owners = set(hidden.section_owners(issue.description).values())
    assert owners == {"bob", "carol", "alice"}
    assert find(issue.description).version == 2  # type: ignore[union-attr]
    assert "- [x] 🔴 Read the handover notes" in issue.description
    assert world.cli("templates", "upgrade", today=SYNC_DAY).code == 0
    assert world.writes() == before + 1  # a rerun writes nothing
    assert issue.assignees == ("carol",)  # GitLab Free: bob is not assigned
    world.at(LATE)
    assert world.cli("sweep", today=LATE).code == 0
    (nudge,) = [n.body for n in world.notes(iid) if hidden.nudge_date(n.body)]
    head = nudge.splitlines()[0]
    assert "@bob" in head and "Write the handover notes" in nudge


def test_without_the_upgrade_the_old_handover_nudges_only_its_assignee(world: World) -> None:
    iid = _open_with_the_old_template(world)
    world.at(LATE)
    assert world.cli("sweep", today=LATE).code == 0
    (nudge,) = [n.body for n in world.notes(iid) if hidden.nudge_date(n.body)]
    assert "@bob" not in nudge.splitlines()[0]
