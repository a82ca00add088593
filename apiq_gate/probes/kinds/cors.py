"""`cors`: preflights give no foreign origin credentialed access; allowed origins are served.

The probe sends the preflight a browser would: `OPTIONS` with `Origin` and
`Access-Control-Request-Method` (and `Access-Control-Request-Headers` if given), once from a
foreign origin and once from each allowed origin. Redirects are not followed (browsers fail
a preflight that redirects).

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`):
- `url`; `origin` (the foreign origin, default `https://evil.apiq-gate.invalid`);
- `method` (the Access-Control-Request-Method, GET) and `request_headers` (e.g. [Authorization]);
- `allowed_origins`: origins that must be allowed (at most 10);
- `headers` (extra request headers, `${VAR}` masked), `verify` (true, false or a CA bundle path).
Always, whatever `expect` adds: `not (reflects_foreign_origin and allow_credentials)`,
`not wildcard_with_credentials`, and `allowed_origins_ok` when origins are listed.

Facts (of the foreign preflight unless said): `status`, `allow_origin` (Access-Control-Allow-Origin,
"" when absent), `allow_credentials` (Access-Control-Allow-Credentials is `true`),
`allow_methods`, `allow_headers` (text, "" when absent), `reflects_foreign_origin` (the foreign
origin came back as allowed), `wildcard_with_credentials` (`*` with credentials, in any
preflight: browsers refuse it, so it is a misconfiguration), `allowed_origins`
([{`origin`, `allow_origin`, `allow_credentials`, `ok`}]) and `allowed_origins_ok` (every listed
origin is allowed: echoed back, or `*` without credentials; only when origins are listed).

Example:

    - id: cors-configured
      title: CORS configured correctly
      evidence:
        - cors:
            url: "{env.url}/api/workflows"
            method: POST
            request_headers: [Authorization, Content-Type]
            allowed_origins: ["https://app.apiq.example"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.http_client import HttpClient, HttpExchange, HttpFailure, HttpRequest
from apiq_gate.probes.kinds._request import HEADER_NAME, Verify
from apiq_gate.probes.targets import expand, expand_url, mask, password_masked, url_problem, url_secrets
from apiq_gate.structure import doc

FOREIGN_ORIGIN = "https://evil.apiq-gate.invalid"
MAX_ALLOWED_ORIGINS = 10
FACTS = frozenset({"status", "allow_origin", "allow_credentials", "allow_methods", "allow_headers",
                   "reflects_foreign_origin", "wildcard_with_credentials", "allowed_origins",
                   "allowed_origins_ok"})  # fmt: skip
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
ENV_REF = re.compile(r"\{env\.[A-Za-z0-9_-]+\}")
_MAX_SHOWN = 200  # characters of a header value kept in the facts


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class CorsProbe(Probe):
    """A CORS preflight from a foreign origin is not reflected with credentials; allowed origins are."""

    kind = "cors"
    __shorthand__ = "url"

    url: str = doc("URL whose CORS policy is checked", example="{env.url}/api/workflows")
    origin: str = doc("The foreign origin the preflight comes from", default=FOREIGN_ORIGIN)
    method: str = doc("Access-Control-Request-Method of the preflight", default="GET", example="POST")
    request_headers: tuple[str, ...] = doc(
        "Access-Control-Request-Headers of the preflight",
        default=(),
        example=["Authorization", "Content-Type"],
    )
    allowed_origins: tuple[str, ...] = doc(
        f"Origins that must be allowed (at most {MAX_ALLOWED_ORIGINS}); `{{env.url}}` is the run's own",
        default=(),
        example=["https://app.apiq.example"],
    )
    headers: dict[str, str] = doc("Extra request headers; `${VAR}` values are masked", default_factory=dict)
    verify: Verify = doc(
        "Verify the certificate: true, false, or a CA bundle path from the repository root",
        default=Verify(),
    )

    def label(self) -> str:
        return f"cors {password_masked(self.url)}"

    def shorthand(self) -> tuple[Expectation, ...]:
        # The safety checks hold whatever `expect` adds: an expectation of one's own must
        # never silently drop them.
        checks = [
            parse("not (reflects_foreign_origin and allow_credentials)"),
            parse("not wildcard_with_credentials"),
        ]
        if self.allowed_origins:
            checks.append(parse("allowed_origins_ok"))
        return tuple(checks)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = Probe.check(self, checklist, item_id)
        if (problem := url_problem(self.url)) is not None:
            problems.append(problem)
        for origin in (self.origin, *self.allowed_origins):
            # `{env.url}` is an origin once filled in; the base check knows the environments.
            if not _ORIGIN.match(ENV_REF.sub("env.example", origin.replace("{env.url}", "https://env.example"))):
                problems.append(f"'{origin}' is not an origin; write scheme://host[:port], e.g. https://app.example")
        if len(self.allowed_origins) > MAX_ALLOWED_ORIGINS:
            count = len(self.allowed_origins)
            problems.append(f"allowed_origins lists {count} origins; at most {MAX_ALLOWED_ORIGINS}")
        if self.origin.lower() in (o.lower() for o in self.allowed_origins):
            problems.append(f"the foreign origin {self.origin} is also in allowed_origins")
        for name in (*self.request_headers, *self.headers):
            if not HEADER_NAME.match(name):
                problems.append(f"'{name}' is not a valid header name")
        for expectation in self.expect:
            problems.extend(unknown_names(expectation, FACTS))
        return problems

    def probe(self, ctx: RunContext) -> ProbeFacts:
        secrets: list[str] = []

        def fill(text: str, *, url: bool = False) -> str:
            expanded = (expand_url if url else expand)(text, ctx.environment, ctx.environ)
            secrets.extend(expanded.secrets)
            return expanded.value

        url = fill(self.url, url=True)
        secrets.extend(url_secrets(url))
        extra = {name: fill(value) for name, value in self.headers.items()}
        target = mask(f"OPTIONS {url}", secrets)
        verify = self.verify.value(ctx)
        exchanges: dict[str, HttpExchange] = {}
        try:
            with HttpClient(ctx) as client:
                allowed = [fill(origin) for origin in self.allowed_origins[:MAX_ALLOWED_ORIGINS]]
                for origin in (self.origin, *allowed):
                    request = HttpRequest(
                        method="OPTIONS",
                        url=url,
                        headers={**extra, **self._preflight_headers(origin)},
                        timeout=self.seconds(ctx),
                        follow_redirects=False,
                        verify=verify,
                        ipv6=self.ipv6,
                        body_cap=64_000,
                    )
                    exchanges[origin] = client.send(request)
        except HttpFailure as exc:
            return ProbeFacts(target=target, error=str(exc), transient=exc.transient, secrets=tuple(secrets))
        return ProbeFacts(target=target, facts=cors_facts(self.origin, exchanges), secrets=tuple(secrets))

    def _preflight_headers(self, origin: str) -> dict[str, str]:
        headers = {"Origin": origin, "Access-Control-Request-Method": self.method.upper()}
        if self.request_headers:
            headers["Access-Control-Request-Headers"] = ", ".join(h.lower() for h in self.request_headers)
        return headers


def cors_facts(foreign: str, exchanges: dict[str, HttpExchange]) -> dict[str, Any]:
    """Facts from the preflights, keyed by the origin each came from (the foreign one first)."""
    answers = {origin: _answer(exchange) for origin, exchange in exchanges.items()}
    first = answers[foreign]
    facts: dict[str, Any] = {
        "status": exchanges[foreign].status,
        "allow_origin": first["allow_origin"],
        "allow_credentials": first["allow_credentials"],
        "allow_methods": _value(exchanges[foreign], "access-control-allow-methods"),
        "allow_headers": _value(exchanges[foreign], "access-control-allow-headers"),
        "reflects_foreign_origin": first["allow_origin"].lower() == foreign.lower(),
        "wildcard_with_credentials": any(a["allow_origin"] == "*" and a["allow_credentials"] for a in answers.values()),
    }
    listed = [
        {"origin": origin, **answer, "ok": _allows(origin, answer)}
        for origin, answer in answers.items()
        if origin != foreign
    ]
    facts["allowed_origins"] = listed
    if listed:
        facts["allowed_origins_ok"] = all(entry["ok"] for entry in listed)
    return facts


def _answer(exchange: HttpExchange) -> dict[str, Any]:
    return {
        "allow_origin": _value(exchange, "access-control-allow-origin"),
        "allow_credentials": _value(exchange, "access-control-allow-credentials").lower() == "true",
    }


def _allows(origin: str, answer: dict[str, Any]) -> bool:
    allow_origin = answer["allow_origin"]
    return allow_origin.lower() == origin.lower() or (allow_origin == "*" and not answer["allow_credentials"])


def _value(exchange: HttpExchange, name: str) -> str:
    return exchange.headers.get(name, "").strip()[:_MAX_SHOWN]
