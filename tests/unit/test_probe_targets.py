"""Filling probe targets: placeholders, secrets in URLs, and masking every form of a secret."""

from __future__ import annotations

import urllib.parse

import pytest

from apiq_gate.probes.targets import MASK, expand, expand_url, mask

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
