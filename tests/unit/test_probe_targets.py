"""Filling probe targets: placeholders, secrets in URLs, and masking every form of a secret."""

from __future__ import annotations

import urllib.parse

import pytest

from apiq_gate.config import loads
from apiq_gate.errors import ConfigError
from apiq_gate.model import Status
from apiq_gate.probes.targets import MASK, TargetError, expand, expand_url, mask, resolve
from apiq_gate.run import RunOptions, run

TOKEN = "Ab cd/ef+gh&ij=kl%mn"


def test_expand_url__a_secret_in_the_query_or_path_is_percent_encoded():
    expanded = expand_url("https://app.example/keys/${T}?key=${T}", None, {"T": TOKEN})

    encoded = urllib.parse.quote(TOKEN, safe="")
    assert expanded.value == f"https://app.example/keys/{encoded}?key={encoded}"
    assert expanded.secrets == (TOKEN, TOKEN)
    assert expanded.shown == f"https://app.example/keys/{MASK}?key={MASK}"


def test_expand_url__a_secret_that_is_the_whole_url_goes_in_as_it_is():
    url = "https://app.example/health?token=abc"

    assert expand_url("${HEALTH_URL}", None, {"HEALTH_URL": url}).value == url


def test_expand__outside_urls_a_secret_goes_in_as_it_is():
    assert expand("Bearer ${T}", None, {"T": TOKEN}).value == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "form",
    [
        TOKEN,
        urllib.parse.quote(TOKEN, safe=""),
        urllib.parse.quote(TOKEN),
        urllib.parse.quote_plus(TOKEN),
        urllib.parse.quote("Tökén/ü", safe=""),
    ],
)
def test_mask__masks_a_secret_as_written_and_percent_encoded(form):
    secrets = (TOKEN, "Tökén/ü")

    assert mask(f"got {form}!", secrets) == f"got {MASK}!"


# --- resolving ------------------------------------------------------------------------------


def test_resolve__an_override_that_is_no_ip_address_is_refused():
    with pytest.raises(TargetError, match=r"resolve maps app.example to 'lb.internal', which is not an IP address"):
        resolve("app.example", 443, overrides={"app.example": "lb.internal"}, ipv6=False)


@pytest.mark.parametrize(
    ("host", "overrides"), [("::1", {}), ("app.example", {"app.example": "2001:db8::10"})], ids=["literal", "override"]
)
def test_resolve__an_ipv6_address_without_ipv6_says_to_set_it(host, overrides):
    with pytest.raises(TargetError, match=r"is an IPv6 address; set `ipv6: true` on the probe to reach it"):
        resolve(host, 443, overrides=overrides, ipv6=False)


def test_resolve__ipv6_addresses_are_used_when_allowed():
    assert resolve("::1", 443, overrides={}, ipv6=True) == "::1"
    assert resolve("app.example", 443, overrides={"app.example": "2001:db8::10"}, ipv6=True) == "2001:db8::10"


def test_http_probe__an_ipv6_url_without_ipv6_is_an_error_saying_to_set_it(tmp_path):
    report = run(
        loads(
            "version: 1\nname: g\nsections:\n  - id: s\n    title: S\n    items:\n"
            "      - id: health\n        title: Health\n        evidence:\n"
            "          - http: 'http://[::1]:9/health'\n"
        ),
        RunOptions(root=tmp_path, environ={}),
    )

    (item,) = report.items()
    assert item.status is Status.ERROR
    assert "::1 is an IPv6 address; set `ipv6: true` on the probe to reach it" in item.reason


def config_problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(text, "apiq-gate.yml")
    return [str(problem) for problem in caught.value.problems]


def test_config__a_resolve_value_that_is_no_ip_address_is_an_error_of_the_environment():
    problems = config_problems(
        "version: 1\nname: g\n"
        "environments:\n  production:\n    url: https://app.example\n"
        "    resolve: {app.example: lb.internal, other.example: 10.0.0.1}\n"
        "sections:\n  - id: s\n    title: S\n    items:\n"
        "      - id: health\n        title: Health\n        evidence:\n"
        "          - http: '{env.url}/health'\n"
        "          - tcp: {host: other.example, port: 5432, state: closed}\n"
    )

    assert problems == [
        "apiq-gate.yml:6:14: environments.production.resolve: 'lb.internal' (for app.example) is not an IP address; "
        "resolve pins a host to an address, like curl's --resolve: write e.g. 127.0.0.1"
    ]


def test_config__a_resolve_to_ipv6_for_a_probe_without_ipv6_is_an_error():
    problems = config_problems(
        "version: 1\nname: g\n"
        "environments:\n  production:\n    host: app.example\n"
        "    resolve: {app.example: '::1'}\n"
        "sections:\n  - id: s\n    title: S\n    items:\n"
        "      - id: db\n        title: DB\n        evidence:\n"
        "          - tcp: {host: '{env.host}', port: 5432}\n"
        "          - tcp: {host: '{env.host}', port: 5433, ipv6: true}\n"
    )

    assert problems == [
        "apiq-gate.yml:14:18: sections[0].items[0].evidence[0].tcp: environment 'production': resolve maps "
        "app.example to ::1, which is an IPv6 address; set `ipv6: true` on the probe to reach it "
        "(IPv4 by default: hosted runners have none)"
    ]
