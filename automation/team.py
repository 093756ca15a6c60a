"""The roster (`config/team.yml`): who is on the team, since when, and whom
they report to; checked across members (duplicates, unknown managers,
circular management chains)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from automation.fields import (
    Department,
    IsoDate,
    Model,
    Problem,
    Segment,
    Text,
    Username,
    Version,
    raise_cross,
)


class Member(Model):
    username: Username = Field(description="GitLab username.")
    name: Text
    role: Text
    segment: Segment
    region: Text
    manager: Username | None = Field(None, description="Username of their manager.")
    start_date: IsoDate
    department: Department
    status: Literal["active", "left"] = "active"


class Team(Model):
    """config/team.yml"""

    version: Version
    members: tuple[Member, ...]

    # where each member's username was written (set by load_team), so roster
    # problems found later (against GitLab) still name file and line
    _source: str = PrivateAttr(default="team.yml")
    _lines: dict[int, int] = PrivateAttr(default_factory=dict)

    # username -> the first member with it, built on first use: the report and
    # the sweep look a member up per issue (10,000 issues, thousands of members)
    _by_username: dict[str, Member] | None = PrivateAttr(default=None)

    def member(self, username: str) -> Member | None:
        if self._by_username is None:
            found: dict[str, Member] = {}
            for m in self.members:
                found.setdefault(m.username, m)
            self._by_username = found
        return self._by_username.get(username)

    def where(self, index: int) -> str:
        """`file:line` of `members[index].username`."""
        line = self._lines.get(index)
        return f"{self._source}:{line}" if line else self._source

    def active_members(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.status == "active")

    @model_validator(mode="after")
    def _consistent(self) -> Team:
        raise_cross(team_problems(self.model_dump()))
        return self


# -- checks across members ---------------------------------------------------------
# They read plain data (the YAML as parsed, or a model dump) so that the loader
# reports them even when other keys of the file are invalid.


def team_problems(data: object) -> list[Problem]:
    members = data.get("members") if isinstance(data, Mapping) else None
    if not isinstance(members, Sequence) or isinstance(members, str):
        return []
    rows = [(i, m) for i, m in enumerate(members) if isinstance(m, Mapping)]
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for i, member in rows:
        username = member.get("username")
        if not isinstance(username, str):
            continue
        if username in first:
            problems.append(
                (
                    ("members", i, "username"),
                    f"duplicate username (also members[{first[username]}])",
                )
            )
        else:
            first[username] = i
    for i, member in rows:
        manager = member.get("manager")
        if not isinstance(manager, str) or not manager:
            continue
        if manager == member.get("username"):
            problems.append((("members", i, "manager"), "a member cannot be their own manager"))
        elif manager not in first:
            problems.append((("members", i, "manager"), f"'{manager}' is not a member"))
    problems.extend(_manager_cycles(rows))
    return problems


def _manager_cycles(rows: Sequence[tuple[int, Mapping[Any, Any]]]) -> list[Problem]:
    """A chain of managers that comes back to where it started (a -> b -> a):
    escalations would go round it. Reported once, at its first member."""
    manager_of = {
        m["username"]: m["manager"]
        for _, m in rows
        if isinstance(m.get("username"), str) and isinstance(m.get("manager"), str)
    }
    index_of = {m["username"]: i for i, m in rows if isinstance(m.get("username"), str)}
    reported: set[str] = set()
    problems: list[Problem] = []
    for _, member in rows:
        start = member.get("username")
        if not isinstance(start, str) or start in reported:
            continue
        chain = [start]
        while (nxt := manager_of.get(chain[-1])) is not None and nxt not in chain:
            chain.append(nxt)
        if nxt is None or nxt != start or len(chain) < 2:
            continue  # no cycle, a self-manager (reported above), or a cycle further up
        reported.update(chain)
        first = min(chain, key=lambda u: index_of[u])
        at = chain.index(first)
        loop = [*chain[at:], *chain[:at], first]
        problems.append(
            (("members", index_of[first], "manager"), f"circular managers: {' -> '.join(loop)}")
        )
    return problems


def unknown_usernames(team: Team, known: Callable[[str], bool]) -> list[str]:
    """One problem per active roster member whose username GitLab does not
    know (a typo would otherwise read as the real member having left).
    Departed members are not looked up: their GitLab account may be gone."""
    return [
        f"{team.where(i)}: members[{i}].username: '{m.username}' is not a GitLab user"
        for i, m in enumerate(team.members)
        if m.status == "active" and not known(m.username)
    ]
