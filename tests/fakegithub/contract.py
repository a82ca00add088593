"""Requests checked against GitHub's own OpenAPI description (the vendored subset).

`check_request("POST", "/repos/o/r/check-runs", body)` lists what GitHub's description says is
wrong with a request: no such path, no such method on it, a query parameter it does not define or
a value of the wrong type, a body missing where one is required, or a body that does not validate
against the operation's request schema. An empty list means the request is well-formed.

Paths of the form `/repositories/{id}/...` (what GitHub writes in `Link` headers) are checked as
the `/repos/{owner}/{repo}/...` operation they stand for. Operations outside the subset count as
unknown: the subset is exactly what the fake serves (tests/fakegithub/operations.py), so a request
for anything else is a request the gate was not meant to make.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

SUBSET_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "github" / "openapi-subset.json"
REPOSITORY_BY_ID = re.compile(r"^/repositories/(?P<repository_id>\d+)(?=/|$)")
MAX_SHOWN = 120


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    key: str  # "POST /repos/{owner}/{repo}/check-runs"
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_length: int  # more literal text = more specific, tried first
    operation_id: str
    documentation_url: str
    query_schemas: Mapping[str, Mapping[str, Any]]
    body_required: bool
    body_schema: Mapping[str, Any] | None


def _compile(template: str, multi_segment: set[str]) -> tuple[re.Pattern[str], int]:
    pattern, literal = "", 0
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            pattern += f"(?P<{name}>.+)" if name in multi_segment else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(part)
            literal += len(part)
    return re.compile(f"^{pattern}$"), literal


def _operation(key: str, entry: Mapping[str, Any]) -> Operation:
    method, template = key.split(" ", 1)
    multi = {p["name"] for p in entry["path_parameters"] if p["multi_segment"]}
    pattern, literal = _compile(template, multi)
    body = entry["request_body"]
    return Operation(
        key=key,
        method=method,
        template=template,
        pattern=pattern,
        literal_length=literal,
        operation_id=entry["operation_id"],
        documentation_url=entry["documentation_url"],
        query_schemas={p["name"]: p["schema"] for p in entry["query_parameters"]},
        body_required=bool(body and body["required"]),
        body_schema=body["schema"] if body else None,
    )


def _where(error: ValidationError) -> str:
    where = "body"
    for step in error.absolute_path:
        where += f"[{step}]" if isinstance(step, int) else f".{step}"
    return where


def _describe(error: ValidationError) -> str:
    # jsonschema repeats the whole instance in its message; a 70 kB summary would flood the report.
    if error.validator in ("maxLength", "maxItems", "minLength", "minItems"):
        return f"{error.validator} is {error.validator_value}"
    message = str(error.message)
    return message if len(message) <= MAX_SHOWN else message[:MAX_SHOWN] + "..."


def _query_problem(key: str, name: str, value: str, schema: Mapping[str, Any]) -> str | None:
    if schema.get("type") == "integer":
        try:
            int(value)
        except ValueError:
            return f"{key}: query parameter {name}={value!r} is not an integer"
    if "enum" in schema and value not in schema["enum"]:
        return f"{key}: query parameter {name}={value!r} is not one of {schema['enum']}"
    return None


class Contract:
    def __init__(self, subset: Mapping[str, Any]) -> None:
        self.source: Mapping[str, Any] = subset["source"]
        operations = [_operation(key, entry) for key, entry in subset["operations"].items()]
        self.operations = {op.key: op for op in operations}
        self._by_specificity = sorted(operations, key=lambda op: -op.literal_length)

    @classmethod
    def load(cls, path: Path = SUBSET_PATH) -> Contract:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation a request is for, and its path parameters (still percent-encoded)."""
        for operation in self._by_specificity:
            if operation.method == method.upper() and (found := operation.pattern.match(path)):
                return operation, found.groupdict()
        return None

    def check_request(
        self, method: str, path: str, body: Any, query: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        method = method.upper()
        canonical = REPOSITORY_BY_ID.sub("/repos/{owner}/{repo}", path)
        matched = self.match(method, canonical)
        if matched is None:
            methods = sorted(
                {op.method for op in self.operations.values() if op.pattern.match(canonical)}
            )
            if methods:
                only = ", ".join(methods)
                return [f"{method} {path}: GitHub's description has only {only} on this path"]
            return [f"{method} {path}: no operation in GitHub's description matches this path"]
        operation, _ = matched
        problems: list[str] = []
        for name, value in query:
            schema = operation.query_schemas.get(name)
            if schema is None:
                problems.append(f"{operation.key}: query parameter {name!r} is not defined")
            elif (problem := _query_problem(operation.key, name, value, schema)) is not None:
                problems.append(problem)
        if operation.body_schema is None:
            if body is not None:
                problems.append(f"{operation.key}: takes no request body")
            return problems
        if body is None:
            if operation.body_required:
                problems.append(f"{operation.key}: requires a JSON request body")
            return problems
        validator = Draft4Validator(operation.body_schema)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        problems += [f"{operation.key}: {_where(e)}: {_describe(e)}" for e in errors]
        return problems


@cache
def default_contract() -> Contract:
    return Contract.load()


def check_request(
    method: str, path: str, body: Any, query: Sequence[tuple[str, str]] = ()
) -> list[str]:
    """Problems with one request under GitHub's description; empty when it is well-formed."""
    return default_contract().check_request(method, path, body, query)
