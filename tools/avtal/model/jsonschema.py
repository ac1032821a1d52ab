"""JSON Schemas for the source files, generated from the pydantic models.

Committed under sources/schema/ and referenced from each source file's
`# yaml-language-server: $schema=…` line, so editors validate and complete.
"""

from __future__ import annotations

import json
from pathlib import Path

from .remiss import REMISS_SCHEMAS
from .schema import SCHEMAS

ALL_SCHEMAS = {**SCHEMAS, **REMISS_SCHEMAS}

BASE_URI = "https://avtal.invalid/schema/"


def schema_for(name: str) -> dict:
    """The JSON Schema of one source kind ('document', 'terms', 'parties', 'round', …)."""
    schema = ALL_SCHEMAS[name].model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{BASE_URI}{name}.schema.json", **schema}


def render(name: str) -> str:
    return json.dumps(schema_for(name), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema; returns the paths written."""
    from ..fsutil import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ALL_SCHEMAS:
        path = folder / f"{name}.schema.json"
        atomic_write_text(path, render(name))
        written.append(path)
    return written
