"""Security-header grading in the manner of the MDN HTTP Observatory: pure, no network.

Source of the method and the numbers: the MDN HTTP Observatory,
github.com/mdn/mdn-http-observatory (read at commit a57b50e): `src/grader/charts.js` for the
score table and the grade chart, `src/grader/grader.js` and `src/scanner/index.js` for the
score and the extra-credit rule, `src/analyzer/tests/*.js` for how each header is read. It
continues mozilla/http-observatory (`httpobs/docs/scoring.md`, the same bands). In short:

- every response starts at 100; each test adds its modifier; the score never drops below 0;
- bonuses (positive modifiers) count only if the score with the penalties alone is 90 or more;
- grade bands: 100+ A+, 90-99 A, 85-89 A-, 80-84 B+, 70-79 B, 65-69 B-, 60-64 C+, 50-59 C,
  45-49 C-, 40-44 D+, 30-39 D, 25-29 D-, 0-24 F.

Tests and modifiers (the Observatory's result ids are in SCORE_TABLE):
- hsts: max-age of six months (15552000 s) or more 0; less -10; missing, invalid or not
  served over https -20;
- csp: `default-src 'none'` +10; no unsafe source +5; unsafe sources in style-src only 0;
  http: for images/media -10; `'unsafe-eval'` -10; `'unsafe-inline'`, `data:` or a broad
  source in script-src, or a broad object-src -20; http: for active content -20; missing,
  report-only or unreadable -25;
- x_content_type_options: nosniff 0; missing or invalid -5;
- x_frame_options: CSP frame-ancestors +5; DENY, SAMEORIGIN or ALLOW-FROM 0; missing or
  invalid -20;
- referrer_policy: no-referrer, same-origin, strict-origin[-when-cross-origin] +5; missing
  0; unsafe or invalid -5;
- cookies: all Secure, session cookies HttpOnly, all with SameSite +5; the same without
  SameSite 0; none 0; not Secure but HSTS -5 (session cookie -10); not Secure -20; invalid
  SameSite -20; CSRF token without SameSite -20; session cookie without HttpOnly -30 or
  without Secure -40 (the worst finding counts; a session cookie is one whose name
  has "sess" or "login" in it, a CSRF token one with "csrf");
- cross_origin_resource_policy: same-origin or same-site +10; cross-origin or missing 0;
  invalid -5;
- redirection, only when the probed URL is plain http: first hop to https on the same host
  0; to another host -5; first hop to plain http -10; ends on http or no redirect -20;
- permissions_policy: ours, not the Observatory's: modifier 0, a fact and a `missing` entry.

Differences, on purpose: no HSTS-preload-list bonus (no list is shipped; `hsts.preload` is the
directive only); no SRI test (it needs the HTML and its scripts); CORS and the redirect chain
have their own probe kinds (`cors`, `redirect`). Profiles: `web` judges every test; `api`
leaves out what only matters to a browser rendering a page (csp, x_frame_options,
referrer_policy, permissions_policy) and keeps transport (hsts, redirection), MIME sniffing
(x_content_type_options), cookies and CORP. The facts are reported in both profiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from apiq_gate.probes.kinds._header_values import (
    BROAD,
    UNSAFE_INLINE,
    Cookie,
    CspView,
    Hsts,
    parse_hsts,
    parse_set_cookie,
    read_csp,
    script_sources,
    sources,
)

Profile = Literal["web", "api"]

GRADE_BANDS = ((100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"),
               (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"))  # fmt: skip
GRADES = tuple(grade for _, grade in GRADE_BANDS)
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
_CSP = "Content-Security-Policy"
HSTS_SIX_MONTHS_S = 15_552_000  # the Observatory's threshold (180 days, "a white lie" for 15768000)

SCORE_TABLE: Mapping[str, int] = {
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    "cross-origin-resource-policy-implemented-with-same-origin": 10,
    "cross-origin-resource-policy-implemented-with-same-site": 10,
    "cross-origin-resource-policy-implemented-with-cross-origin": 0,
    "cross-origin-resource-policy-not-implemented": 0,
    "cross-origin-resource-policy-header-invalid": -5,
    "redirection-to-https": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-not-to-https": -20,
    "redirection-missing": -20,
    "permissions-policy-implemented": 0,
    "permissions-policy-not-implemented": 0,
}
# Cookie results from least to most severe: a worse finding replaces a milder one.
_COOKIE_SEVERITY = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)
WEB_ONLY_TESTS = frozenset({"csp", "x_frame_options", "referrer_policy", "permissions_policy"})
_PRIVATE_REFERRER = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
_UNSAFE_REFERRER = (
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class TestResult:
    name: str  # "hsts", "csp", … (the fact names)
    result: str  # the Observatory's result id, e.g. "hsts-not-implemented"
    passed: bool
    modifier: int
    missing_header: str | None = None  # the header this test found missing, for `missing`


@dataclass(frozen=True, kw_only=True, slots=True)
class Response:
    """What grading needs from one exchange."""

    url: str  # as requested
    final_url: str  # after redirects
    headers: Mapping[str, str]  # lower-cased names
    set_cookies: Sequence[str] = ()
    redirects: Sequence[Mapping[str, object]] = ()  # {"status", "url", "location"} per hop


@dataclass(frozen=True, kw_only=True, slots=True)
class Grading:
    score: int
    grade: str
    tests: tuple[TestResult, ...]

    @property
    def missing(self) -> list[str]:
        return [t.missing_header for t in self.tests if t.missing_header]


def grade_for(score: int) -> str:
    return next(grade for floor, grade in GRADE_BANDS if score >= floor)


def total_score(modifiers: Sequence[int]) -> int:
    """100 plus the modifiers; bonuses only count if the penalties alone leave 90 or more."""
    penalised = 100 + sum(m for m in modifiers if m < 0)
    score = 100 + sum(modifiers) if penalised >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else penalised
    return max(score, 0)


def grade(response: Response, profile: Profile) -> Grading:
    https = urlsplit(response.final_url).scheme == "https"
    headers = response.headers
    hsts = _hsts_test(parse_hsts(headers.get("strict-transport-security")), https=https)
    tests = [
        hsts,
        _csp_test(read_csp(headers), https=https),
        _xcto_test(headers.get("x-content-type-options")),
        _xfo_test(headers.get("x-frame-options"), read_csp(headers)),
        _referrer_test(headers.get("referrer-policy")),
        _permissions_test(headers.get("permissions-policy")),
        _cookies_test([parse_set_cookie(c) for c in response.set_cookies], hsts_ok=hsts.passed),
        _corp_test(headers.get("cross-origin-resource-policy")),
    ]
    if urlsplit(response.url).scheme == "http":
        tests.append(_redirection_test(response))
    if profile == "api":
        tests = [t for t in tests if t.name not in WEB_ONLY_TESTS]
    score = total_score([t.modifier for t in tests])
    return Grading(score=score, grade=grade_for(score), tests=tuple(tests))


def _result(name: str, result: str, passed: bool, missing_header: str | None = None) -> TestResult:
    modifier = SCORE_TABLE[result]
    return TestResult(name=name, result=result, passed=passed, modifier=modifier, missing_header=missing_header)


def _hsts_test(hsts: Hsts, *, https: bool) -> TestResult:
    missing = None if hsts.present else "Strict-Transport-Security"
    if not https:  # browsers ignore HSTS received over plain http
        return _result("hsts", "hsts-not-implemented-no-https", False, missing)
    if not hsts.present:
        return _result("hsts", "hsts-not-implemented", False, missing)
    if not hsts.valid:
        return _result("hsts", "hsts-header-invalid", False)
    if hsts.max_age < HSTS_SIX_MONTHS_S:
        return _result("hsts", "hsts-implemented-max-age-less-than-six-months", False)
    return _result("hsts", "hsts-implemented-max-age-at-least-six-months", True)


def _csp_test(csp: CspView, *, https: bool) -> TestResult:
    if not csp.present:
        if csp.report_only:
            return _result("csp", "csp-not-implemented-but-reporting-enabled", False, _CSP)
        return _result("csp", "csp-not-implemented", False, _CSP)
    d = csp.directives
    script_src, style_src, object_src = (
        script_sources(d),
        sources(d, "style-src"),
        sources(d, "object-src"),
    )
    passive_names = ("img-src", "media-src")
    active = [s for name, found in d.items() if name not in (*passive_names, "script-src") for s in found]
    passive = [s for name in passive_names for s in d.get(name, d.get("default-src", []))]
    insecure_scheme = ("http:", "ftp:")
    if script_src & (BROAD | UNSAFE_INLINE) or object_src & BROAD:
        result = "csp-implemented-with-unsafe-inline"
    elif https and any(s.startswith(insecure_scheme) for s in [*active, *script_src]):
        result = "csp-implemented-with-insecure-scheme"
    elif "'unsafe-eval'" in script_src | style_src:
        result = "csp-implemented-with-unsafe-eval"
    elif https and any(s.startswith(insecure_scheme) for s in passive):
        result = "csp-implemented-with-insecure-scheme-in-passive-content-only"
    elif style_src & (BROAD | UNSAFE_INLINE):
        result = "csp-implemented-with-unsafe-inline-in-style-src-only"
    elif d.get("default-src") == ["'none'"]:
        result = "csp-implemented-with-no-unsafe-default-src-none"
    else:
        result = "csp-implemented-with-no-unsafe"
    passing = ("csp-implemented-with-no-unsafe", "csp-implemented-with-no-unsafe-default-src-none",
               "csp-implemented-with-unsafe-inline-in-style-src-only",
               "csp-implemented-with-insecure-scheme-in-passive-content-only")  # fmt: skip
    return _result("csp", result, result in passing)


def _xcto_test(value: str | None) -> TestResult:
    if value is None:
        missing = "X-Content-Type-Options"
        return _result("x_content_type_options", "x-content-type-options-not-implemented", False, missing)
    if value.strip().lower() != "nosniff":
        return _result("x_content_type_options", "x-content-type-options-header-invalid", False)
    return _result("x_content_type_options", "x-content-type-options-nosniff", True)


def _xfo_test(value: str | None, csp: CspView) -> TestResult:
    if "frame-ancestors" in csp.directives:
        return _result("x_frame_options", "x-frame-options-implemented-via-csp", True)
    if value is None:
        return _result("x_frame_options", "x-frame-options-not-implemented", False, "X-Frame-Options")
    xfo = value.strip().lower()
    if xfo in ("deny", "sameorigin"):
        return _result("x_frame_options", "x-frame-options-sameorigin-or-deny", True)
    if xfo.startswith("allow-from"):
        return _result("x_frame_options", "x-frame-options-allow-from-origin", True)
    return _result("x_frame_options", "x-frame-options-header-invalid", False)


def _referrer_test(value: str | None) -> TestResult:
    if value is None:
        return _result("referrer_policy", "referrer-policy-not-implemented", True, "Referrer-Policy")
    policies = [p.strip().lower() for p in value.split(",")]
    known = [p for p in policies if p in _PRIVATE_REFERRER + _UNSAFE_REFERRER]
    policy = known[-1] if known else ""  # the last policy a browser understands applies
    if policy in _PRIVATE_REFERRER:
        return _result("referrer_policy", "referrer-policy-private", True)
    if policy in _UNSAFE_REFERRER:
        return _result("referrer_policy", "referrer-policy-unsafe", False)
    return _result("referrer_policy", "referrer-policy-header-invalid", False)


def _permissions_test(value: str | None) -> TestResult:
    if value is None:
        missing = "Permissions-Policy"
        return _result("permissions_policy", "permissions-policy-not-implemented", False, missing)
    return _result("permissions_policy", "permissions-policy-implemented", True)


def _cookies_test(cookies: list[Cookie], *, hsts_ok: bool) -> TestResult:
    if not cookies:
        return _result("cookies", "cookies-not-found", True)
    found: list[str] = []
    for cookie in cookies:
        name = cookie.name.lower()
        session, anticsrf = any(k in name for k in ("login", "sess")), "csrf" in name
        samesite = cookie.samesite.lower()
        bad_samesite = samesite not in ("strict", "lax", "none") or (samesite == "none" and not cookie.secure)
        if cookie.samesite_set and bad_samesite:
            found.append("cookies-samesite-flag-invalid")
        if not cookie.secure:
            found.append(
                "cookies-without-secure-flag-but-protected-by-hsts" if hsts_ok else "cookies-without-secure-flag"
            )
            if session:
                found.append(
                    "cookies-session-without-secure-flag-but-protected-by-hsts"
                    if hsts_ok
                    else "cookies-session-without-secure-flag"
                )
        if anticsrf and not cookie.samesite_set:
            found.append("cookies-anticsrf-without-samesite-flag")
        if session and not cookie.httponly:
            found.append("cookies-session-without-httponly-flag")
    if found:
        return _result("cookies", max(found, key=_COOKIE_SEVERITY.index), False)
    if all(c.samesite_set for c in cookies):
        return _result("cookies", "cookies-secure-with-httponly-sessions-and-samesite", True)
    return _result("cookies", "cookies-secure-with-httponly-sessions", True)


def _corp_test(value: str | None) -> TestResult:
    corp = (value or "").strip().lower()
    results = {
        "": "cross-origin-resource-policy-not-implemented",
        "same-origin": "cross-origin-resource-policy-implemented-with-same-origin",
        "same-site": "cross-origin-resource-policy-implemented-with-same-site",
        "cross-origin": "cross-origin-resource-policy-implemented-with-cross-origin",
    }
    result = results.get(corp, "cross-origin-resource-policy-header-invalid")
    valid = result != "cross-origin-resource-policy-header-invalid"
    return _result("cross_origin_resource_policy", result, valid)


def _redirection_test(response: Response) -> TestResult:
    final = urlsplit(response.final_url)
    if not response.redirects:
        return _result("redirection", "redirection-missing", False)
    if final.scheme != "https":
        return _result("redirection", "redirection-not-to-https", False)
    first = urlsplit(str(response.redirects[0]["location"]))
    if first.scheme != "https":
        return _result("redirection", "redirection-not-to-https-on-initial-redirection", False)
    if first.hostname != urlsplit(response.url).hostname:
        return _result("redirection", "redirection-off-host-from-http", False)
    return _result("redirection", "redirection-to-https", True)
