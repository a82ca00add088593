"""`security_headers`: security headers and cookie flags, graded like the MDN HTTP Observatory.

One request (GET by default; redirects on declared hosts followed), then the headers a
browser acts on are read into facts and graded with the Observatory's score table (see
`_observatory.py` for the table, its source and where we differ on purpose).

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`, and the request
fields `url`, `method`, `headers`, `body`, `follow_redirects`, `verify`, `body_cap`):
- `profile`: `web` (default) judges the response as a page a browser renders; `api` leaves
  out what only matters there (CSP, X-Frame-Options/frame-ancestors, Referrer-Policy,
  Permissions-Policy) and keeps HSTS, the redirect to https, X-Content-Type-Options, cookies
  and Cross-Origin-Resource-Policy;
- shorthand: `grade: B` → `grade >= B`; `hsts_max_age: 180d` → `hsts.max_age >= 180d`.
  With neither and no `expect`, the probe expects `grade >= B`.

Facts:
- `status` (int), `final_url`;
- `hsts`: {`present`, `max_age` (seconds; 0 when absent or invalid), `include_subdomains`,
  `preload` (the directive)} — browsers ignore HSTS over plain http, and the grade says so;
- `csp`: {`present`, `unsafe_inline`, `unsafe_eval` (inline scripts / eval() allowed by
  script-src, falling back to default-src; also true when scripts are not restricted at
  all), `frame_ancestors` (framing restricted by a non-wildcard frame-ancestors)};
- `x_content_type_options` (true when `nosniff`), `x_frame_options` and `referrer_policy`
  (the header's value, "" when absent), `permissions_policy` (present), and
  `cross_origin_resource_policy` (value, "" when absent);
- `cookies`: [{`name`, `secure`, `httponly`, `samesite` ("" when absent)}] — names and flags
  only, never values; `insecure_cookies`: how many lack Secure, HttpOnly or SameSite;
- `score` (0 and up, 100 is the baseline), `grade` ("A+" … "F"), `profile`;
- `missing`: names of the judged headers that are absent;
- `tests`: per test (`hsts`, `csp`, `x_content_type_options`, `x_frame_options`,
  `referrer_policy`, `permissions_policy`, `cookies`, `cross_origin_resource_policy`, and
  `redirection` when the URL is plain http), {`passed`, `modifier`, `result`} where `result`
  is the Observatory's id, e.g. `csp-implemented-with-unsafe-inline`.

Example:

    - id: security-headers
      title: Security headers configured
      evidence:
        - security_headers:
            url: "{env.url}/"
            profile: web
            grade: B
            hsts_max_age: 180d
            expect: [not csp.unsafe_inline, insecure_cookies == 0]
        - security_headers: {url: "{env.url}/api/health", profile: api, grade: A}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.config_types import LongDuration, format_duration
from apiq_gate.evidence import register
from apiq_gate.probes.http_client import HttpExchange, HttpRequest
from apiq_gate.probes.kinds import _observatory as obs
from apiq_gate.probes.kinds._header_values import insecure, parse_hsts, parse_set_cookie, read_csp
from apiq_gate.probes.kinds._request import RequestProbe
from apiq_gate.structure import doc

GradeLetter = Literal["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F"]
DEFAULT_GRADE = "B"
FACTS = frozenset({"status", "final_url", "profile", "hsts", "csp", "x_content_type_options",
                   "x_frame_options", "referrer_policy", "permissions_policy",
                   "cross_origin_resource_policy", "cookies", "insecure_cookies", "score", "grade",
                   "missing", "tests"})  # fmt: skip
MAX_VALUE_SHOWN = 200  # characters of a header value kept in the facts


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class SecurityHeadersProbe(RequestProbe):
    """Security headers graded like the MDN HTTP Observatory, with a web or an api profile."""

    kind = "security_headers"
    __shorthand__ = "url"

    profile: obs.Profile = doc(
        "web: judged as a page a browser renders; api: CSP, X-Frame-Options, Referrer-Policy and "
        "Permissions-Policy are not judged",
        default="web",
    )
    grade: GradeLetter | None = doc("Lowest acceptable grade: shorthand for `grade >= B`", default=None, example="B")
    hsts_max_age: LongDuration | None = doc(
        "Lowest acceptable HSTS max-age: shorthand for `hsts.max_age >= 180d`",
        default=None,
        example="180d",
    )

    def shorthand(self) -> tuple[Expectation, ...]:
        checks = []
        if self.grade is not None:
            checks.append(parse(f"grade >= {self.grade}"))
        if self.hsts_max_age is not None:
            checks.append(parse(f"hsts.max_age >= {format_duration(self.hsts_max_age.seconds)}"))
        return tuple(checks)

    def default_expectations(self) -> tuple[Expectation, ...]:
        return (parse(f"grade >= {DEFAULT_GRADE}"),)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = RequestProbe.check(self, checklist, item_id)
        for expectation in self.expect:
            problems.extend(unknown_names(expectation, FACTS))
        return problems

    def facts_of(self, exchange: HttpExchange, request: HttpRequest) -> dict[str, Any]:
        return header_facts(exchange, self.profile)


def header_facts(exchange: HttpExchange, profile: obs.Profile) -> dict[str, Any]:
    headers = exchange.headers
    response = obs.Response(
        url=exchange.url,
        final_url=exchange.final_url,
        headers=headers,
        set_cookies=exchange.set_cookies,
        redirects=exchange.redirects,
    )
    grading = obs.grade(response, profile)
    hsts = parse_hsts(headers.get("strict-transport-security"))
    csp = read_csp(headers)
    cookies = [parse_set_cookie(c) for c in exchange.set_cookies]
    return {
        "status": exchange.status,
        "final_url": exchange.final_url,
        "profile": profile,
        "hsts": {
            "present": hsts.present,
            "max_age": hsts.max_age,
            "include_subdomains": hsts.include_subdomains,
            "preload": hsts.preload,
        },
        "csp": {
            "present": csp.present,
            "unsafe_inline": csp.unsafe_inline,
            "unsafe_eval": csp.unsafe_eval,
            "frame_ancestors": csp.frame_ancestors,
        },
        "x_content_type_options": headers.get("x-content-type-options", "").strip().lower() == "nosniff",
        "x_frame_options": _value(headers, "x-frame-options"),
        "referrer_policy": _value(headers, "referrer-policy"),
        "permissions_policy": "permissions-policy" in headers,
        "cross_origin_resource_policy": _value(headers, "cross-origin-resource-policy"),
        "cookies": [
            {"name": c.name, "secure": c.secure, "httponly": c.httponly, "samesite": c.samesite} for c in cookies
        ],
        "insecure_cookies": sum(1 for c in cookies if insecure(c)),
        "score": grading.score,
        "grade": grading.grade,
        "missing": grading.missing,
        "tests": {t.name: {"passed": t.passed, "modifier": t.modifier, "result": t.result} for t in grading.tests},
    }


def _value(headers: Mapping[str, str], name: str) -> str:
    return headers.get(name, "").strip()[:MAX_VALUE_SHOWN]
