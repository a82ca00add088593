"""The gate's hidden marker and state block: found again, per gate, and never a crash on garbage."""

from __future__ import annotations

import json

import cmarkgfm
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiq_gate.comment import (
    CommentState,
    comment_marker,
    decode_state,
    encode_state,
    is_ours,
    may_replace,
)
from apiq_gate.comment_state import item_key

STATE = CommentState(run_id=4213, run_attempt=2, sha="3f1c2e9", verdict="fail",
                     statuses={"ssl-certificate": "fail", "node-env": "pass", "pen-test": "waived", "audit": "pending"})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("APIQ go-live", '<!-- apiq-gate:comment gate="APIQ go-live" -->'),
        ('say "hi"', '<!-- apiq-gate:comment gate="say %22hi%22" -->'),
        ("x --> <script>", '<!-- apiq-gate:comment gate="x --%3E %3Cscript%3E" -->'),
        ("100%", '<!-- apiq-gate:comment gate="100%25" -->'),
        ("two\nlines", '<!-- apiq-gate:comment gate="two%0Alines" -->'),
        ("Déploiement ✅", '<!-- apiq-gate:comment gate="Déploiement ✅" -->'),
    ],
)
def test_comment_marker__escapes_the_name_so_it_cannot_end_the_comment(name: str, expected: str) -> None:
    marker = comment_marker(name)
    assert marker == expected
    assert marker.count(">") == 1  # only the comment's own end


def test_comment_marker__stays_hidden_when_rendered() -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(comment_marker("x --> <b>shown</b>") + "\n\nbody")
    assert "<b>" not in html
    assert html.endswith("<p>body</p>\n")


@pytest.mark.parametrize(
    ("body", "gate", "ours"),
    [
        (comment_marker("APIQ go-live") + "\n### 🟢 Ready", "APIQ go-live", True),
        ("intro\n" + comment_marker("APIQ go-live") + "  \nmore", "APIQ go-live", True),
        (comment_marker("APIQ go-live") + "\n", "APIQ go-live staging", False),
        (comment_marker("APIQ go-live staging") + "\n", "APIQ go-live", False),
        ("> " + comment_marker("APIQ go-live") + "\n", "APIQ go-live", False),  # someone quoting our comment
        ("LGTM, ship it", "APIQ go-live", False),
        ("", "APIQ go-live", False),
    ],
)
def test_is_ours__only_this_gates_marker_on_a_line_of_its_own(body: str, gate: str, ours: bool) -> None:
    assert is_ours(body, gate) is ours


def test_state__round_trips_inside_a_comment_body() -> None:
    body = f"{comment_marker('g')}\n{encode_state(STATE)}\n### 🔴 Go-live blocked\n"
    found = decode_state(body)
    assert found is not None
    assert (found.run_id, found.run_attempt, found.sha, found.verdict) == (4213, 2, "3f1c2e9", "fail")
    assert {i: found.status_of(i) for i in STATE.statuses} == STATE.statuses
    assert found.status_of("never-seen") is None
    assert encode_state(found) == encode_state(STATE)  # a read state writes back the same block


def test_state__keys_items_by_status_in_one_line_of_json() -> None:
    block = encode_state(STATE)
    assert block.startswith("<!-- apiq-gate:state {")
    assert block.endswith("} -->")
    assert "\n" not in block
    data = json.loads(block.removeprefix("<!-- apiq-gate:state ").removesuffix(" -->"))
    assert data == {"v": 2, "run_id": 4213, "run_attempt": 2, "sha": "3f1c2e9", "verdict": "fail",
                    "keys": {"fail": item_key("ssl-certificate"), "pass": item_key("node-env"),
                             "waived": item_key("pen-test"), "pending": item_key("audit")}}


def test_state__six_characters_per_item_however_long_its_id() -> None:
    ids = [f"security-verification-authentication-and-session-hardening-item-{n:04d}" for n in range(1_500)]
    state = CommentState(run_id=1, run_attempt=1, sha="3f1c2e9a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e", verdict="pass",
                         statuses=dict.fromkeys(ids, "pass"))
    block = encode_state(state)
    assert len(block) < 1_500 * 6 + 200
    found = decode_state(block)
    assert found is not None
    assert all(found.status_of(i) == "pass" for i in ids)


def test_state__without_items_keeps_the_run_and_compares_nothing() -> None:
    block = encode_state(STATE, with_items=False)
    found = decode_state(block)
    assert found is not None
    assert (found.run_id, found.run_attempt, found.complete) == (4213, 2, False)
    assert found.status_of("ssl-certificate") is None
    assert may_replace(found, 4213, 1) is False  # an older run still cannot overwrite it


def test_state__version_1_blocks_are_still_read() -> None:
    body = ('<!-- apiq-gate:state {"v":1,"run_id":4190,"run_attempt":1,"sha":"9c8b7a6","verdict":"fail",'
            '"items":{"pass":["node-env"],"fail":["ssl-certificate"]}} -->')
    found = decode_state(body)
    assert found is not None
    assert (found.version, found.run_id, found.hashed, found.complete) == (1, 4190, False, True)
    assert (found.status_of("node-env"), found.status_of("ssl-certificate"), found.status_of("x")) == ("pass", "fail", None)


def test_state__hostile_values_cannot_close_the_comment() -> None:
    hostile = CommentState(run_id=1, run_attempt=1, sha="--> <img src=x onerror=alert(1)>", verdict="fail",
                           statuses={"a-->b": "fail"})
    block = encode_state(hostile)
    assert block.count("-->") == 1
    assert "<img" not in block
    found = decode_state(block)
    assert found is not None
    assert found.sha == hostile.sha
    assert found.status_of("a-->b") == "fail"


@pytest.mark.parametrize(
    "body",
    [
        "no state here",
        "<!-- apiq-gate:state {not json} -->",
        "<!-- apiq-gate:state [] -->",
        '<!-- apiq-gate:state {"v":3,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","keys":{}} -->',
        '<!-- apiq-gate:state {"v":true,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
        '<!-- apiq-gate:state {"v":2,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
        '<!-- apiq-gate:state {"v":2,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","keys":{"pass":"abcde"}} -->',
        '<!-- apiq-gate:state {"v":2,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","keys":{"pass":"abc+ef"}} -->',
        '<!-- apiq-gate:state {"v":2,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","keys":{"great":"abcdef"}} -->',
        '<!-- apiq-gate:state {"v":2,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","keys":["abcdef"]} -->',
        '<!-- apiq-gate:state {"v":0,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":"1","run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":true,"run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":-5,"run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{"great":["a"]}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{"pass":"a"}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{"pass":[1]}} -->',
        '<!-- apiq-gate:state {"v":1,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass"} -->',
        "<!-- apiq-gate:state {" + '"a":[' * 100_000 + "} -->",
    ],
    ids=["none", "not-json", "not-object", "newer-version", "version-true", "v2-ids-in-clear", "v2-short-key",
         "v2-key-not-base64url", "v2-unknown-status", "v2-keys-not-an-object", "version-0", "string-run-id", "bool-run-id", "negative-run-id",
         "unknown-status", "ids-not-a-list", "id-not-text", "no-items", "deep-nesting"],
)
def test_decode_state__anything_but_a_state_we_know_reads_as_none(body: str) -> None:
    assert decode_state(body) is None


@given(st.text())
def test_decode_state__never_raises(body: str) -> None:
    decode_state(body)
    decode_state("<!-- apiq-gate:state {" + body + "} -->")


@pytest.mark.parametrize(
    ("previous", "run_id", "attempt", "allowed"),
    [
        (None, 1, 1, True),
        ((100, 1), 101, 1, True),
        ((100, 1), 100, 2, True),
        ((100, 1), 100, 1, True),  # the same run may rewrite its own comment
        ((100, 2), 100, 1, False),
        ((100, 1), 99, 3, False),
    ],
)
def test_may_replace__an_older_run_never_overwrites_a_newer_report(
    previous: tuple[int, int] | None, run_id: int, attempt: int, allowed: bool
) -> None:
    state = None if previous is None else CommentState(run_id=previous[0], run_attempt=previous[1], sha="", verdict="pass")
    assert may_replace(state, run_id, attempt) is allowed
