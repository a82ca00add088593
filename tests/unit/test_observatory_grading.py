"""Pure security-header grading, by table: score bands, extra credit, and each test's result."""

from __future__ import annotations

from typing import get_args

import pytest

from apiq_gate.conditions.values import GRADES as EXPECTATION_GRADES
from apiq_gate.probes.kinds import _observatory as obs
from apiq_gate.probes.kinds._header_values import Cookie, parse_set_cookie, read_csp
from apiq_gate.probes.kinds.security_headers import GradeLetter

HTTPS = "https://app.test/"
GOOD = {
    "strict-transport-security": "max-age=31536000",
    "content-security-policy": "default-src 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def hop(url: str, location: str) -> dict[str, object]:
    return {"status": 301, "url": url, "location": location}


def result_of(
    test: str,
    headers: dict[str, str],
    *,
    url: str = HTTPS,
    final_url: str | None = None,
    **kw: object,
) -> str:
    response = obs.Response(url=url, final_url=final_url or url, headers=headers, **kw)  # type: ignore[arg-type]
    (found,) = [t for t in obs.grade(response, "web").tests if t.name == test]
    return found.result


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (0, "F"),
        (24, "F"),
        (25, "D-"),
        (29, "D-"),
        (30, "D"),
        (39, "D"),
        (40, "D+"),
        (44, "D+"),
        (45, "C-"),
        (50, "C"),
        (59, "C"),
        (60, "C+"),
        (65, "B-"),
        (70, "B"),
        (79, "B"),
        (80, "B+"),
        (85, "A-"),
        (90, "A"),
        (99, "A"),
        (100, "A+"),
        (135, "A+"),
    ],
)
def test_grade_for__observatory_bands(score: int, grade: str) -> None:
    assert obs.grade_for(score) == grade


def test_grades__config_choices_and_expectation_ordering_are_the_observatory_grades() -> None:
    assert get_args(GradeLetter) == obs.GRADES == EXPECTATION_GRADES


@pytest.mark.parametrize(
    ("modifiers", "score"),
    [
        ([], 100),
        ([10, 5, 5], 120),  # bonuses on a clean slate count
        ([10, -10], 100),  # penalties leave 90: bonuses still count
        ([10, -15], 85),  # penalties leave 85: bonuses are withheld
        ([-25, -20, -20, -20, -20, -40], 0),  # never below 0
    ],
)
def test_total_score__bonuses_only_count_from_90_up(modifiers: list[int], score: int) -> None:
    assert obs.total_score(modifiers) == score


@pytest.mark.parametrize(
    ("csp", "result"),
    [
        (None, "csp-not-implemented"),
        ("default-src 'none'", "csp-implemented-with-no-unsafe-default-src-none"),
        ("default-src 'self'", "csp-implemented-with-no-unsafe"),
        (
            "default-src 'self'; script-src 'self' 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline",
        ),
        (
            "default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'",
            "csp-implemented-with-no-unsafe",
        ),
        (
            "default-src 'self' 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline",
        ),  # script-src falls back
        ("script-src 'self'", "csp-implemented-with-unsafe-inline"),  # object-src unrestricted
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        (
            "default-src 'self'; style-src 'self' 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        (
            "default-src 'self'; img-src http://cdn.test",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
        ),
        ("default-src 'self'; connect-src http://api.test", "csp-implemented-with-insecure-scheme"),
        ("default-src https:", "csp-implemented-with-unsafe-inline"),  # a whole scheme is too broad
    ],
)
def test_csp_test__results(csp: str | None, result: str) -> None:
    headers = (
        {**GOOD, "content-security-policy": csp}
        if csp
        else {k: v for k, v in GOOD.items() if "security-policy" not in k}
    )
    assert result_of("csp", headers) == result


@pytest.mark.parametrize(
    ("hsts", "url", "result"),
    [
        ("max-age=15552000", HTTPS, "hsts-implemented-max-age-at-least-six-months"),
        (
            "max-age=15551999; includeSubDomains",
            HTTPS,
            "hsts-implemented-max-age-less-than-six-months",
        ),
        ("includeSubDomains", HTTPS, "hsts-header-invalid"),
        ("max-age=31536000, max-age=31536000", HTTPS, "hsts-header-invalid"),  # sent twice
        (None, HTTPS, "hsts-not-implemented"),
        ("max-age=31536000", "http://app.test/", "hsts-not-implemented-no-https"),
    ],
)
def test_hsts_test__results(hsts: str | None, url: str, result: str) -> None:
    headers = (
        {**GOOD, "strict-transport-security": hsts}
        if hsts
        else {"x-content-type-options": "nosniff"}
    )
    assert result_of("hsts", headers, url=url) == result


@pytest.mark.parametrize(
    ("headers", "result"),
    [
        ({"x-frame-options": "DENY"}, "x-frame-options-sameorigin-or-deny"),
        ({"x-frame-options": "sameorigin"}, "x-frame-options-sameorigin-or-deny"),
        ({"x-frame-options": "ALLOW-FROM https://a.test"}, "x-frame-options-allow-from-origin"),
        ({"x-frame-options": "maybe"}, "x-frame-options-header-invalid"),
        ({}, "x-frame-options-not-implemented"),
        (
            {"content-security-policy": "frame-ancestors 'self'"},
            "x-frame-options-implemented-via-csp",
        ),
    ],
)
def test_x_frame_options_test__results(headers: dict[str, str], result: str) -> None:
    assert result_of("x_frame_options", headers) == result


@pytest.mark.parametrize(
    ("value", "result", "passed"),
    [
        (None, "referrer-policy-not-implemented", True),
        ("strict-origin-when-cross-origin", "referrer-policy-private", True),
        ("unsafe-url", "referrer-policy-unsafe", False),
        ("no-referrer, unsafe-url", "referrer-policy-unsafe", False),  # the last known one applies
        ("unsafe-url, made-up", "referrer-policy-unsafe", False),
        ("made-up", "referrer-policy-header-invalid", False),
    ],
)
def test_referrer_policy_test__results(value: str | None, result: str, passed: bool) -> None:
    headers = {"referrer-policy": value} if value else {}
    (test,) = [
        t
        for t in obs.grade(obs.Response(url=HTTPS, final_url=HTTPS, headers=headers), "web").tests
        if t.name == "referrer_policy"
    ]
    assert (test.result, test.passed) == (result, passed)


@pytest.mark.parametrize(
    ("cookies", "hsts", "result"),
    [
        ([], True, "cookies-not-found"),
        (
            ["a=1; Secure; HttpOnly; SameSite=Lax"],
            True,
            "cookies-secure-with-httponly-sessions-and-samesite",
        ),
        (["a=1; Secure"], True, "cookies-secure-with-httponly-sessions"),
        (["a=1"], True, "cookies-without-secure-flag-but-protected-by-hsts"),
        (["a=1"], False, "cookies-without-secure-flag"),
        (["sessionid=1; Secure"], True, "cookies-session-without-httponly-flag"),
        (["sessionid=1; HttpOnly"], False, "cookies-session-without-secure-flag"),
        (
            ["sessionid=1; HttpOnly"],
            True,
            "cookies-session-without-secure-flag-but-protected-by-hsts",
        ),
        (["csrftoken=1; Secure"], True, "cookies-anticsrf-without-samesite-flag"),
        (["a=1; Secure; SameSite=Sometimes"], True, "cookies-samesite-flag-invalid"),
        (["a=1; SameSite=None"], True, "cookies-samesite-flag-invalid"),  # None needs Secure
    ],
)
def test_cookies_test__results(cookies: list[str], hsts: bool, result: str) -> None:
    headers = {"strict-transport-security": "max-age=31536000"} if hsts else {}
    assert result_of("cookies", headers, set_cookies=cookies) == result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (None, "cross-origin-resource-policy-not-implemented"),
        ("same-origin", "cross-origin-resource-policy-implemented-with-same-origin"),
        ("same-site", "cross-origin-resource-policy-implemented-with-same-site"),
        ("cross-origin", "cross-origin-resource-policy-implemented-with-cross-origin"),
        ("everyone", "cross-origin-resource-policy-header-invalid"),
    ],
)
def test_cross_origin_resource_policy_test__results(value: str | None, result: str) -> None:
    assert (
        result_of(
            "cross_origin_resource_policy", {"cross-origin-resource-policy": value} if value else {}
        )
        == result
    )


@pytest.mark.parametrize(
    ("redirects", "final_url", "result"),
    [
        ([], "http://app.test/", "redirection-missing"),
        ([hop("http://app.test/", "https://app.test/")], HTTPS, "redirection-to-https"),
        (
            [hop("http://app.test/", "https://www.app.test/")],
            "https://www.app.test/",
            "redirection-off-host-from-http",
        ),
        (
            [
                hop("http://app.test/", "http://www.app.test/"),
                hop("http://www.app.test/", "https://www.app.test/"),
            ],
            "https://www.app.test/",
            "redirection-not-to-https-on-initial-redirection",
        ),
        (
            [hop("http://app.test/", "http://www.app.test/")],
            "http://www.app.test/",
            "redirection-not-to-https",
        ),
    ],
)
def test_redirection_test__results_when_the_probed_url_is_plain_http(
    redirects: list[dict[str, object]], final_url: str, result: str
) -> None:
    assert (
        result_of(
            "redirection", GOOD, url="http://app.test/", final_url=final_url, redirects=redirects
        )
        == result
    )


def test_redirection_test__not_run_for_an_https_url() -> None:
    tests = obs.grade(obs.Response(url=HTTPS, final_url=HTTPS, headers=GOOD), "web").tests
    assert "redirection" not in {t.name for t in tests}


def test_grade__api_profile_judges_transport_sniffing_cookies_and_corp_only() -> None:
    response = obs.Response(
        url=HTTPS, final_url=HTTPS, headers={"strict-transport-security": "max-age=31536000"}
    )
    web, api = obs.grade(response, "web"), obs.grade(response, "api")
    assert {t.name for t in api.tests} == {
        "hsts",
        "x_content_type_options",
        "cookies",
        "cross_origin_resource_policy",
    }
    assert (api.score, api.grade, api.missing) == (95, "A", ["X-Content-Type-Options"])
    assert (web.score, web.grade) == (50, "C")  # 100 - 25 CSP - 5 nosniff - 20 X-Frame-Options


def test_parse_set_cookie__keeps_the_name_and_flags_never_the_value() -> None:
    cookie = parse_set_cookie("sid=TOPSECRET; secure; HTTPONLY; samesite=strict; Path=/")
    assert cookie == Cookie(
        name="sid", secure=True, httponly=True, samesite="strict", samesite_set=True
    )
    assert "TOPSECRET" not in repr(cookie)


@pytest.mark.parametrize(
    ("value", "unsafe_inline", "unsafe_eval", "frame_ancestors"),
    [
        ("default-src 'self'", False, False, False),
        ("script-src 'self' 'unsafe-inline' 'unsafe-eval'", True, True, False),
        (
            "default-src 'self' 'unsafe-inline'; script-src 'self'",
            False,
            False,
            False,
        ),  # script-src wins
        ("img-src 'self'; frame-ancestors 'none'", True, True, True),  # scripts unrestricted
        ("default-src 'self'; frame-ancestors *", False, False, False),
    ],
)
def test_read_csp__facts(
    value: str, unsafe_inline: bool, unsafe_eval: bool, frame_ancestors: bool
) -> None:
    csp = read_csp({"content-security-policy": value})
    assert (csp.unsafe_inline, csp.unsafe_eval, csp.frame_ancestors) == (
        unsafe_inline,
        unsafe_eval,
        frame_ancestors,
    )
