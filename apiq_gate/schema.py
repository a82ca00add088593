"""The JSON Schema of the config, derived from the same declarations the loader reads."""

from __future__ import annotations

import json
from typing import Any

from apiq_gate.model import Checklist
from apiq_gate.structure import SchemaBuilder

SCHEMA_ID = "https://apiq.example/apiq-gate/schema/apiq-gate.schema.json"


def config_schema() -> dict[str, Any]:
    builder = SchemaBuilder()
    root = builder.schema(Checklist)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "apiq-gate config (version 1)",
        **root,
        "$defs": dict(sorted(builder.defs.items())),
    }


def config_schema_text() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
