"""The JSON Schemas of salesbot.yml and team.yml, as shipped in config/.

`python -m automation.config_schema` regenerates config/*.schema.json (a test
checks the shipped files match the models in `automation.config` and
`automation.team`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from automation.config import SCHEMA_DIALECT, Config, SchemaKind
from automation.errors import InputError
from automation.team import Team

_SCHEMA_MODELS: dict[str, type[BaseModel]] = {"salesbot": Config, "team": Team}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The JSON Schema of salesbot.yml ("salesbot") or team.yml ("team")."""
    model = _SCHEMA_MODELS.get(kind)
    if model is None:
        raise InputError(f"unknown schema '{kind}' (expected one of: salesbot, team)")
    return {"$schema": SCHEMA_DIALECT, **model.model_json_schema()}


def schema_text(kind: SchemaKind) -> str:
    """The schema as shipped in config/<kind>.schema.json."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(config_dir: Path) -> list[Path]:
    """Regenerate the shipped schema files; returns the paths written."""
    written = []
    for kind in ("salesbot", "team"):
        target = config_dir / f"{kind}.schema.json"
        target.write_text(schema_text(kind), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":  # python -m automation.config_schema: regenerate config/*.schema.json
    write_schemas(Path(__file__).resolve().parent.parent / "config")
