"""`http`: one request to the deployed service; expectations on its status, headers, body and JSON.

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`):
- request: `url` (`{env.url}` is the environment's base URL), `method` (GET), `headers`
  (values may use `${VAR}` from the environment: masked in all output), `body` (text, or a
  mapping sent as JSON), `follow_redirects` (true; only to hosts the config declares),
  `verify` (true: system trust store; false; or a CA bundle path from the repository root),
  `body_cap` (1MB; bytes read at most);
- shorthand checks, so simple configs stay simple (each becomes an expectation):
  `status: [200, 2xx, 304]` → `status in [200, 2xx, 304]`;
  `json: {status: ok, checks.db: ok}` → `json.status == "ok"`, `json.checks.db == "ok"`
  (a key a path cannot spell, like `"first name"`, becomes `json("first name") == …`);
  `body_contains: "ok"` → `body contains "ok"`;
  `headers_present: [X-Request-Id]` → `headers.x-request-id exists`.
  Unless `status` is given or an `expect` entry reads `status`, the probe also expects
  `status in [2xx]`, whatever else it checks: `{"status": "ok"}` on a 503 is no health.

Facts: `status` (int), `reason`, `headers` (names lower-cased; repeated headers joined with
", "), `body` (text, at most `body_cap` bytes), `body_bytes` (bytes read), `truncated` (the
body was longer than the cap), `json` (the parsed body, when it is JSON: an expectation on
`json.x` when the body is not JSON is an error, never a pass), `final_url`, `redirects`
(count) and `redirect_chain` (`[{status, url, location}]`), `elapsed` (seconds, all hops),
`http_version` ("1.1"), `content_type` (media type, lower-cased, no parameters), and
`json_absent` (why there is no `json`, said in the reason when an expectation needed it).

Example:

    - id: health-checks
      title: Application health checks configured
      evidence:
        - http:
            url: "{env.url}/api/health"
            status: [200]
            json: {status: ok, checks.database: ok}
            headers_present: [X-Request-Id]
            expect: [elapsed < 1s, headers.content-type contains "application/json"]
            wait: {timeout: 10m, interval: 15s, consecutive_successes: 3}
"""

from __future__ import annotations

import json as jsonlib
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from apiq_gate import structure as st
from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.evidence import register
from apiq_gate.model import Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.http_client import HttpExchange, HttpRequest
from apiq_gate.probes.kinds._request import HEADER_NAME, JsonData, RequestProbe
from apiq_gate.structure import doc

DEFAULT_STATUS = "status in [2xx]"
_STATUS_CLASS = re.compile(r"^[1-5]xx$")
_PATH_SEGMENTS = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$")
_HEADER_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.IGNORECASE)
FACT_NAMES = frozenset(
    {
        "status", "reason", "headers", "body", "body_bytes", "truncated", "json", "json_absent",
        "final_url", "redirects", "redirect_chain", "elapsed", "http_version", "content_type",
    }
)  # fmt: skip


# --- shorthand field types --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusCodes:
    """Accepted statuses: codes and classes, `[200, 2xx, 304]`, or a single `200`."""

    codes: tuple[str, ...]

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not nodes:
            return s.problem(node, path, "the list of statuses is empty", "write e.g. [200, 2xx]")
        codes = [_status_code(item, s, f"{path}[{i}]" if len(nodes) > 1 else path) for i, item in enumerate(nodes)]
        return st.INVALID if st.INVALID in codes else cls(tuple(codes))

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        code = {
            "anyOf": [
                {"type": "integer", "minimum": 100, "maximum": 599},
                {"type": "string", "pattern": "^([1-5]xx|[1-5][0-9][0-9])$"},
            ]
        }
        return {
            "anyOf": [code, {"type": "array", "items": code, "minItems": 1}],
            "description": "Status codes and classes: 200, 2xx.",
        }


def _status_code(node: yaml.Node, s: st.Structurer, path: str) -> Any:
    """ "200" or "2xx" from one list item, or INVALID with a located problem."""
    hint = "write a code like 200 or a class like 2xx"
    if not (isinstance(node, yaml.ScalarNode) and node.tag in (st.INT, st.STR)):
        return s.problem(node, path, f"expected an HTTP status, got {st.describe(node)}", hint)
    text = node.value.strip().lower()
    if _STATUS_CLASS.match(text) or (text.isdigit() and 100 <= int(text) <= 599):
        return text
    return s.problem(node, path, f"'{node.value}' is not an HTTP status", hint)


@dataclass(frozen=True, slots=True)
class JsonFields:
    """JSON paths and the value each must have: `{status: ok, checks.db: ok}`."""

    fields: tuple[tuple[str, Any], ...]

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        fields = []
        for key, key_node, value_node in s.mapping_items(node, path):
            where = st.join(path, key)
            value = s.structure(value_node, JsonData, where)
            if value is st.INVALID:
                continue
            if not key.strip() or "*" in key.split("."):
                s.problem(
                    key_node,
                    where,
                    f"'{key}' is not a path into the JSON",
                    "write names joined by dots, e.g. data.items.0.id",
                )
            elif isinstance(value, dict | list):
                s.problem(
                    value_node,
                    where,
                    "compare one value per path",
                    f"list each field, e.g. {key}.name: x",
                )
            elif isinstance(value, float) and not math.isfinite(value):
                s.problem(value_node, where, "JSON has no NaN or infinity")
            else:
                fields.append((key, value))
        if not isinstance(node, yaml.MappingNode) or len(fields) != len(node.value):
            return st.INVALID
        return cls(tuple(fields))

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        scalar = {"type": ["string", "number", "boolean", "null"]}
        return {
            "type": "object",
            "additionalProperties": scalar,
            "description": "JSON path → expected value.",
        }


def literal(value: Any) -> str:
    """A JSON scalar written in the expectation language."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # the language has no exponent notation
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


# --- the probe ---------------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class HttpProbe(RequestProbe):
    """One HTTP request to the deployed service, judged on status, headers, body and JSON."""

    kind = "http"
    __shorthand__ = "url"

    status: StatusCodes | None = doc(
        "Accepted statuses (codes and classes); without it, 2xx unless an `expect` entry reads `status`",
        default=None,
        example=[200, "2xx", 304],
    )
    json: JsonFields | None = doc(
        "JSON fields and the value each must have (dotted paths)",
        default=None,
        example={"status": "ok", "checks.database": "ok"},
    )
    body_contains: str | None = doc("Text the body must contain", default=None, example="ok")
    headers_present: tuple[str, ...] = doc(
        "Response headers that must be present", default=(), example=["X-Request-Id"]
    )

    def shorthand(self) -> tuple[Expectation, ...]:
        texts = []
        if self.status is not None:
            texts.append(f"status in [{', '.join(self.status.codes)}]")
        elif not any("status" in expectation.roots for expectation in self.expect):
            # A body saying "ok" on a 503 is no health: other checks never drop the status check.
            texts.append(DEFAULT_STATUS)
        for path, value in self.json.fields if self.json else ():
            field = f"json.{path}" if _PATH_SEGMENTS.match(path) else f"json({literal(path)})"
            texts.append(f"{field} == {literal(value)}")
        if self.body_contains is not None:
            texts.append(f"body contains {literal(self.body_contains)}")
        for name in self.headers_present:
            texts.append(
                f"headers.{name.lower()} exists" if _HEADER_PATH.match(name) else f"header({literal(name)}) exists"
            )
        return tuple(parse(text) for text in texts)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = RequestProbe.check(self, checklist, item_id)
        problems += [
            f"'{name}' is not a valid header name" for name in self.headers_present if not HEADER_NAME.match(name)
        ]
        for expectation in self.expect:
            problems += unknown_names(expectation, FACT_NAMES)
        return problems

    def facts_of(self, exchange: HttpExchange, request: HttpRequest) -> dict[str, Any]:
        return exchange_facts(exchange)

    def judge(self, observation: ProbeFacts) -> Outcome:
        outcome = Probe.judge(self, observation)
        why = observation.facts.get("json_absent")
        needs_json = any("json" in expectation.roots for expectation in self.expectations())
        if outcome.status is Status.ERROR and why and needs_json:
            return Outcome(
                status=outcome.status,
                reason=f"no JSON in the response: {why}; {outcome.reason}",
                details=outcome.details,
            )
        return outcome


def exchange_facts(exchange: HttpExchange) -> dict[str, Any]:
    content_type = exchange.headers.get("content-type", "")
    text = decode(exchange.body, content_type)
    facts: dict[str, Any] = {
        "status": exchange.status,
        "reason": exchange.reason,
        "headers": dict(exchange.headers),
        "body": text,
        "body_bytes": len(exchange.body),
        "truncated": exchange.truncated,
        "final_url": exchange.final_url,
        "redirects": len(exchange.redirects),
        "redirect_chain": [dict(hop) for hop in exchange.redirects],
        "elapsed": exchange.total_s,
        "http_version": exchange.http_version,
        "content_type": content_type.split(";", 1)[0].strip().lower(),
    }
    parsed, why_not = parse_json(text, truncated=exchange.truncated)
    if why_not is None:
        facts["json"] = parsed
    else:
        facts["json_absent"] = why_not  # said in the reason when an expectation needs the JSON
    return facts


def decode(body: bytes, content_type: str) -> str:
    """The body as text, in its declared charset (UTF-8 when none or an unknown one)."""
    match = _CHARSET.search(content_type)
    if match:
        try:
            return body.decode(match[1], errors="replace")
        except LookupError:  # unknown, or not a text encoding (`charset=base64`)
            pass
    return body.decode("utf-8", errors="replace")


def parse_json(text: str, *, truncated: bool) -> tuple[Any, str | None]:
    """(data, None) when the body is JSON; (None, why not) otherwise."""
    if truncated:
        return None, "the body is longer than body_cap and was cut"
    if not text.strip():
        return None, "the body is empty"
    try:
        return jsonlib.loads(text, parse_constant=_no_constant), None
    except (ValueError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, jsonlib.JSONDecodeError) else str(exc) or "too deeply nested"
        return None, f"the body is not JSON ({message})"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


__all__ = ["HttpProbe", "StatusCodes", "exchange_facts"]
