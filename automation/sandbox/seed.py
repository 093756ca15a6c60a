"""The users, tokens and project of `seed.yml`, created in a store."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from automation.sandbox.store import (
    DEVELOPER,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    Member,
    Project,
    Store,
    User,
)

_ACCESS = {
    "guest": GUEST,
    "reporter": REPORTER,
    "developer": DEVELOPER,
    "maintainer": MAINTAINER,
    "owner": OWNER,
}


@lru_cache(maxsize=1)
def seed_data() -> dict[str, Any]:
    text = resources.files("automation.sandbox").joinpath("seed.yml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def token_of(username: str) -> str:
    return f"sandbox-token-{username}"


def populate(store: Store, data: dict[str, Any], *, everyone: bool, now: Callable[[], str]) -> int:
    """Create the seed's project and users, unless a reloaded file has them;
    returns the project's id. Without `everyone` only the bot is created."""
    project = store.project_by_ref(data["project"]["path"])
    if project is None:
        spec = data["project"]
        project = store.put(
            Project(
                id=store.new_id(Project),
                path=spec["path"],
                name=spec["name"],
                description=spec.get("description", ""),
                created_at=now(),
                visibility=spec.get("visibility", "private"),
            )
        )
    for spec in data["users"]:
        if not everyone and spec["username"] != data["bot"]:
            continue
        if store.user_by_username(spec["username"]) is None:
            access = spec.get("access")
            level = _ACCESS[access] if access else 0
            add_user(store, project.id, spec["username"], spec["name"], level, now=now)
    return project.id


def add_user(
    store: Store,
    project_id: int,
    username: str,
    name: str,
    access_level: int,
    *,
    now: Callable[[], str],
) -> User:
    """The user (created with a token if new), a member at `access_level` if not 0."""
    user = store.user_by_username(username)
    if user is None:
        user = store.put(
            User(
                id=store.new_id(User),
                username=username,
                name=name,
                token=token_of(username),
                created_at=now(),
            )
        )
    if access_level and store.member(project_id, user.id) is None:
        store.put(
            Member(
                id=store.new_id(Member),
                project_id=project_id,
                user_id=user.id,
                access_level=access_level,
                created_at=now(),
            )
        )
    return user
