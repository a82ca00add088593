"""The request fields the `http` and `latency` probes share, and how they become an HttpRequest.

`url`, `method`, `headers`, `body`, `follow_redirects`, `verify`, `body_cap`: `{env.*}`
placeholders are filled from the run's environment and `${VAR}` from the process
environment; every `${VAR}` value is a secret, masked in the target label and the facts.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from apiq_gate import structure as st
from apiq_gate.config_types import RepoPath, format_size, parse_size
from apiq_gate.evidence.base import RunContext
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.http_client import DEFAULT_BODY_CAP, HttpClient, HttpExchange, HttpFailure, HttpRequest
from apiq_gate.probes.targets import TargetError, expand, expand_url, mask, password_masked, url_problem, url_secrets
from apiq_gate.structure import doc

MAX_BODY_CAP = 10_000_000  # bytes; a probe reads a health answer, not a download
_METHOD = re.compile(r"^[A-Za-z]+$")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


# --- config types -------------------------------------------------------------------


class JsonData:
    """JSON data written as YAML (mappings, lists, text, numbers, booleans, null).

    Structuring returns the plain value. Each child goes through `Structurer.structure`,
    so the loader's guards (tags, alias bombs) hold inside bodies too.
    """

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            pairs = s.mapping_items(node, path)
            result = {key: s.structure(value, JsonData, st.join(path, key)) for key, _, value in pairs}
            return st.INVALID if any(v is st.INVALID for v in result.values()) else result
        if isinstance(node, yaml.SequenceNode):
            items = [s.structure(value, JsonData, f"{path}[{i}]") for i, value in enumerate(node.value)]
            return st.INVALID if any(v is st.INVALID for v in items) else items
        if node.tag in (st.INT, st.FLOAT, st.BOOL, st.NULL):
            return s.scalar(node)  # the loader has checked that it constructs
        return str(node.value)  # text; a date in a JSON body is text anyway

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, slots=True)
class RequestBody:
    """What a request sends: text as written, or a mapping or list sent as JSON."""

    text: str | None = None
    data: Any = None  # JSON data, when `text` is None

    @property
    def is_json(self) -> bool:
        return self.text is None

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            data = JsonData.__structure__(node, s, path)
            return st.INVALID if data is st.INVALID else cls(data=data)
        if isinstance(node, yaml.ScalarNode) and node.tag in (st.STR, st.INT, st.FLOAT):
            return cls(text=str(node.value))
        return s.problem(node, path, f"expected text or a mapping (sent as JSON), got {st.describe(node)}")

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "string"}, {"type": "object"}, {"type": "array"}],
            "description": "Text sent as written, or a mapping or list sent as JSON (Content-Type: application/json).",
        }


@dataclass(frozen=True, slots=True)
class Verify:
    """Certificate checks: on (system trust store), off, or a CA bundle in the repository."""

    enabled: bool = True
    ca_bundle: RepoPath | None = None

    def value(self, ctx: RunContext) -> bool | str:
        """What HttpRequest.verify takes; TargetError when the bundle is not there."""
        if self.ca_bundle is None:
            return self.enabled
        path = ctx.root / self.ca_bundle.path
        if not path.is_file():
            raise TargetError(f"CA bundle {self.ca_bundle.path} not found in the repository")
        return str(path)

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == st.BOOL:
            return cls(enabled=bool(s.scalar(node)))
        if isinstance(node, yaml.ScalarNode) and node.tag == st.STR:
            bundle = s.structure(node, RepoPath, path)
            return st.INVALID if bundle is st.INVALID else cls(ca_bundle=bundle)
        return s.problem(node, path, f"expected true, false or the path of a CA bundle, got {st.describe(node)}")

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "boolean"}, {"type": "string", "minLength": 1}],
            "description": "true (system trust store), false (no verification) or a CA bundle "
            "path from the repository root.",
        }


@dataclass(frozen=True, slots=True)
class ByteCount:
    """A number of bytes: `65536`, `64KB`, `1MB`."""

    size: int

    def __str__(self) -> str:
        return format_size(self.size)

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == st.INT:
            return cls(int(s.scalar(node)))
        if isinstance(node, yaml.ScalarNode) and node.tag == st.STR:
            try:
                return cls(parse_size(node.value))
            except ValueError as exc:
                return s.problem(node, path, str(exc))
        return s.problem(node, path, f"expected a size like 64KB, got {st.describe(node)}")

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
            "description": "Bytes: 65536, 64KB, 1MB.",
        }


# --- the shared fields ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class PreparedRequest:
    request: HttpRequest
    target: str  # "GET https://app.example/api/health", secrets masked
    secrets: tuple[str, ...]

    def failed(self, error: str, *, transient: bool = False) -> ProbeFacts:
        return ProbeFacts(target=self.target, error=error, transient=transient, secrets=self.secrets)

    def observed(self, facts: dict[str, Any]) -> ProbeFacts:
        return ProbeFacts(target=self.target, facts=facts, secrets=self.secrets)


@dataclass(frozen=True, kw_only=True, slots=True)
class RequestProbe(Probe):
    """Fields of one HTTP request (not registered: `http` and `latency` build on it)."""

    url: str = doc("URL to request; `{env.url}` is the environment's base URL", example="{env.url}/api/health")
    method: str = doc("HTTP method", default="GET", example="POST")
    headers: dict[str, str] = doc(
        "Request headers; `${VAR}` takes a value from the environment, masked in all output",
        default_factory=dict,
        example={"Authorization": "Bearer ${APIQ_PROBE_TOKEN}"},
    )
    body: RequestBody | None = doc(
        "Request body: text, or a mapping sent as JSON",
        default=None,
        example={"prompt": "Post new GitHub issues to Slack"},
    )
    follow_redirects: bool = doc("Follow redirects (only to hosts the config declares)", default=True)
    verify: Verify = doc(
        "Verify the certificate: true (system trust store), false, or a CA bundle path from the repository root",
        default=Verify(),
        example="certs/internal-ca.pem",
    )
    body_cap: ByteCount = doc(
        "Read at most this much of the response body",
        default=ByteCount(DEFAULT_BODY_CAP),
        example="64KB",
    )

    def label(self) -> str:
        return f"{self.kind} {self.method.upper()} {password_masked(self.url)}"

    def probe(self, ctx: RunContext) -> ProbeFacts:
        """One request, its answer turned into facts: the shape of most HTTP probe kinds."""
        prepared = self.prepare(ctx)
        request = self.adjust(prepared.request)
        try:
            with HttpClient(ctx) as client:
                exchange = client.send(request)
        except HttpFailure as exc:
            return prepared.failed(str(exc), transient=exc.transient)
        except TargetError as exc:
            return prepared.failed(str(exc))
        return prepared.observed(self.facts_of(exchange, request))

    def adjust(self, request: HttpRequest) -> HttpRequest:
        """A kind's changes to the configured request (e.g. Accept-Encoding)."""
        return request

    def facts_of(self, exchange: HttpExchange, request: HttpRequest) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = Probe.check(self, checklist, item_id)
        if (problem := url_problem(self.url)) is not None:
            problems.append(problem)
        if not _METHOD.match(self.method):
            problems.append(f"'{self.method}' is not an HTTP method; write e.g. GET or POST")
        for name, value in self.headers.items():
            if not HEADER_NAME.match(name):
                problems.append(f"'{name}' is not a valid header name")
            if "\r" in value or "\n" in value:
                problems.append(f"the value of header {name} has a line break")
        if not 1 <= self.body_cap.size <= MAX_BODY_CAP:
            problems.append(f"body_cap must be between 1B and {format_size(MAX_BODY_CAP)}")
        return problems

    def prepare(self, ctx: RunContext) -> PreparedRequest:
        """The request to send, with placeholders filled; TargetError says what is missing."""
        secrets: list[str] = []

        def fill(text: str, *, url: bool = False) -> str:
            expanded = (expand_url if url else expand)(text, ctx.environment, ctx.environ)
            secrets.extend(expanded.secrets)
            return expanded.value

        url = fill(self.url, url=True)
        secrets.extend(url_secrets(url))
        headers = {name: fill(value) for name, value in self.headers.items()}
        for name, value in headers.items():
            if "\r" in value or "\n" in value:  # requests would quote the value in its error
                raise TargetError(f"the value of header {name} has a line break (from an environment variable?)")
        body: bytes | None = None
        if self.body is not None and self.body.is_json:
            body = jsonlib.dumps(_fill_json(self.body.data, fill), ensure_ascii=False).encode()
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        elif self.body is not None and self.body.text is not None:
            body = fill(self.body.text).encode()
        method = self.method.upper()
        request = HttpRequest(
            method=method,
            url=url,
            headers=headers,
            body=body,
            timeout=self.seconds(ctx),
            follow_redirects=self.follow_redirects,
            verify=self.verify.value(ctx),
            ipv6=self.ipv6,
            body_cap=self.body_cap.size,
        )
        return PreparedRequest(request=request, target=mask(f"{method} {url}", secrets), secrets=tuple(secrets))


def _fill_json(value: Any, fill: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, Mapping):
        return {key: _fill_json(item, fill) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_json(item, fill) for item in value]
    return value
