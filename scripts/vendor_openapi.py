#!/usr/bin/env python3
"""Regenerate tests/fixtures/github/openapi-subset.json from GitHub's official OpenAPI description.

GitHub publishes its REST API description; the npm package `@octokit/openapi` ships it as
`generated/api.github.com.json`. This script installs a pinned version of that package with npm
into a temporary directory, keeps only the operations the fake GitHub API serves (the list in
tests/fakegithub/operations.py), and writes for each one:

- its operationId and documentation URL (the fake's error bodies carry it, as GitHub's do);
- its path and query parameters, `x-multi-segment` kept (a `{path}` or `{ref}` may hold `/`);
- its request body schema with every `$ref` resolved inline and OpenAPI 3.0's `nullable`
  turned into JSON Schema (`"type": ["string", "null"]`), so `jsonschema` validates it as is.

Run from anywhere: `python scripts/vendor_openapi.py`. Needs node and npm; network only to the npm
registry. The output is deterministic for a given package version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
DESCRIPTION_FILE = "generated/api.github.com.json"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "fixtures" / "github" / "openapi-subset.json"
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-04/schema#"
# OpenAPI-only keywords that mean nothing to a JSON Schema validator; dropped to keep the file lean.
DROPPED_KEYWORDS = frozenset({"example", "examples", "externalDocs", "xml", "discriminator"})
NAME_MAPS = frozenset({"properties", "patternProperties"})

sys.path.insert(0, str(ROOT))
from tests.fakegithub.operations import OPERATIONS  # noqa: E402


def npm_install(package: str, version: str, into: Path) -> tuple[Path, str]:
    """Install one exact package version into `into`; return its folder and its integrity."""
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--save-exact",
            "--prefix",
            str(into),
            f"{package}@{version}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    lock = json.loads((into / "package-lock.json").read_text(encoding="utf-8"))
    integrity = lock["packages"][f"node_modules/{package}"].get("integrity", "")
    return into / "node_modules" / package, integrity


def resolve(node: Any, document: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline every local `$ref` (GitHub's description has no others); convert to JSON Schema."""
    if isinstance(node, list):
        return [resolve(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise SystemExit(f"recursive $ref {ref} cannot be inlined; extend the script")
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return resolve(target, document, (*seen, ref))
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key in NAME_MAPS and isinstance(value, dict):
            # Property names are data, not keywords: keep every one, resolve what they name.
            converted[key] = {name: resolve(sub, document, seen) for name, sub in value.items()}
        elif key not in DROPPED_KEYWORDS and (not key.startswith("x-") or key == "x-multi-segment"):
            converted[key] = resolve(value, document, seen)
    if converted.pop("nullable", False):
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    return converted


def parameter_entry(parameter: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": parameter["name"],
        "required": bool(parameter.get("required", False)),
        "multi_segment": bool(parameter.get("x-multi-segment", False)),
        "schema": parameter.get("schema", {}),
    }


def operation_entry(key: str, description: dict[str, Any]) -> dict[str, Any]:
    method, template = key.split(" ", 1)
    operation = description["paths"].get(template, {}).get(method.lower())
    if operation is None:
        raise SystemExit(
            f"{key} is not in GitHub's description: fix tests/fakegithub/operations.py"
        )
    parameters = [resolve(p, description) for p in operation.get("parameters", [])]
    entry: dict[str, Any] = {
        "operation_id": operation["operationId"],
        "documentation_url": operation.get("externalDocs", {}).get(
            "url", "https://docs.github.com/rest"
        ),
        "path_parameters": [parameter_entry(p) for p in parameters if p["in"] == "path"],
        "query_parameters": [parameter_entry(p) for p in parameters if p["in"] == "query"],
        "request_body": None,
    }
    body = operation.get("requestBody")
    if body is not None:
        body = resolve(body, description)
        schema = body["content"]["application/json"]["schema"]
        entry["request_body"] = {
            "required": bool(body.get("required", False)),
            "schema": {"$schema": JSON_SCHEMA_DIALECT, **schema},
        }
    return entry


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vendor-openapi-") as temp:
        folder, integrity = npm_install(PACKAGE, VERSION, Path(temp))
        description = json.loads((folder / DESCRIPTION_FILE).read_text(encoding="utf-8"))
    subset = {
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "integrity": integrity,
            "file": DESCRIPTION_FILE,
            "openapi": description["openapi"],
            "regenerate": "python scripts/vendor_openapi.py",
        },
        "operations": {key: operation_entry(key, description) for key in sorted(OPERATIONS)},
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(subset, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"wrote {len(OPERATIONS)} operations to {OUTPUT.relative_to(ROOT)} from {PACKAGE}@{VERSION}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
