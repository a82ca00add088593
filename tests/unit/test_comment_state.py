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
    assert decode_state(body) == STATE


def test_state__groups_ids_by_status_in_one_line_of_json() -> None:
    block = encode_state(STATE)
    assert block.startswith("<!-- apiq-gate:state {")
    assert block.endswith("} -->")
    assert "\n" not in block
    data = json.loads(block.removeprefix("<!-- apiq-gate:state ").removesuffix(" -->"))
    assert data == {"v": 1, "run_id": 4213, "run_attempt": 2, "sha": "3f1c2e9", "verdict": "fail",
                    "items": {"fail": ["ssl-certificate"], "pass": ["node-env"], "waived": ["pen-test"], "pending": ["audit"]}}


def test_state__hostile_values_cannot_close_the_comment() -> None:
    hostile = CommentState(run_id=1, run_attempt=1, sha="--> <img src=x onerror=alert(1)>", verdict="fail",
                           statuses={"a-->b": "fail"})
    block = encode_state(hostile)
    assert block.count("-->") == 1
    assert "<img" not in block
    assert decode_state(block) == hostile


@pytest.mark.parametrize(
    "body",
    [
        "no state here",
        "<!-- apiq-gate:state {not json} -->",
        "<!-- apiq-gate:state [] -->",
        '<!-- apiq-gate:state {"v":2,"run_id":1,"run_attempt":1,"sha":"","verdict":"pass","items":{}} -->',
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
    ids=["none", "not-json", "not-object", "newer-version", "version-0", "string-run-id", "bool-run-id", "negative-run-id",
         "unknown-status", "ids-not-a-list", "id-not-text", "no-items", "deep-nesting"],
)
def test_decode_state__anything_but_our_current_state_reads_as_none(body: str) -> None:
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
