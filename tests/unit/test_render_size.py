"""GitHub's limits: the seed checklist, all passing and all failing with long messages, always fits.

Blockers are never cut; what is trimmed is named in a note that points at the full report.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from apiq_gate.comment import (
    CHECK_LIMIT,
    COMMENT_LIMIT,
    STEP_SUMMARY_LIMIT,
    RunInfo,
    decode_state,
    render_check_summary,
    render_check_text,
    render_comment,
    render_step_summary,
)
from apiq_gate.model import Status
from tests.unit.render_factory import FAIL, LONG_BODY, PASS, RUN, TEAMS, ev, item, report, seed_report, signoff, state


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@functools.cache
def seed(status: str) -> dict[str, Any]:
    return seed_report(PASS if status == "pass" else FAIL)


def blocker_ids(data: dict[str, Any]) -> list[str]:
    return [i["id"] for s in data["sections"] for i in s["items"] if i["blocking"] and i["status"] in ("fail", "error")]


def test_seed__has_every_item_of_the_checklist() -> None:
    assert sum(len(s["items"]) for s in seed("fail")["sections"]) == 180
    assert len(blocker_ids(seed("fail"))) == 180


def test_seed_all_pass__comment_is_complete_and_untrimmed() -> None:
    data = seed("pass")
    body = render_comment(data, RUN, state(data))
    assert utf16_units(body) < COMMENT_LIMIT
    assert "Trimmed" not in body
    assert body.count("\n- ✅ ") == 180  # every item listed in its section
    assert "### 🟢 Ready for go-live: 180/180 required items pass" in body


def test_seed_all_fail__comment_fits_and_lists_every_blocker() -> None:
    data = seed("fail")
    body = render_comment(data, RUN, state(data, **{"x": "pass"}))
    assert utf16_units(body) <= COMMENT_LIMIT
    blockers = body.split("#### ❌ What blocks go-live (180)")[1].split("\n\n#### ")[0]
    assert len(re.findall(r"^- ❌ \*\*", blockers, flags=re.M)) == 180
    titles = [i["title"] for s in data["sections"] for i in s["items"]]
    assert all(f"**{title}**" in blockers for title in titles)
    assert "> ✂️ **Trimmed to fit GitHub's limit of 65,536 characters:** sections show counts only" in body
    assert "The full report is in the [job summary](https://github.com/apiq/platform/actions/runs/4213) and the `apiq-gate-report` artifact." in body
    assert body.rstrip().endswith("</sub>")  # the footer survived: nothing was cut off the end


def test_seed_all_fail__check_summary_fits_and_lists_every_blocker() -> None:
    data = seed("fail")
    summary = render_check_summary(data, RUN, None)
    assert utf16_units(summary) <= CHECK_LIMIT
    assert len(re.findall(r"^- ❌ \*\*", summary, flags=re.M)) == 180
    assert "Trimmed to fit GitHub's limit of 65,535 characters:** long messages of 180 items shortened" in summary


def test_seed_all_fail__check_text_fits_and_keeps_every_failing_item() -> None:
    text = render_check_text(seed("fail"), RUN)
    assert utf16_units(text) <= CHECK_LIMIT
    assert len(re.findall(r"^- ❌ \*\*", text, flags=re.M)) == 180
    assert "Trimmed to fit GitHub's limit of 65,535 characters:** sections list only what does not pass" in text


def test_seed_all_fail__step_summary_is_the_full_report() -> None:
    text = render_step_summary(seed("fail"), RUN)
    assert len(text.encode()) <= STEP_SUMMARY_LIMIT
    assert "Trimmed" not in text
    assert text.count("`tls ") == 180 * 2  # both failing pieces of evidence of every item, in blockers and sections


def test_local_preview__trim_note_points_at_the_cli() -> None:
    body = render_check_text(seed("fail"), RunInfo())
    assert "Run `apiq-gate check --format markdown` for the full report." in body


def test_check_text__more_blocking_sections_than_can_ever_fit__cut_hard_with_a_note() -> None:
    rows = [item(f"item-{n}", "T" * 300, ev("x" * 200, FAIL, "r" * 500), owner="@o/" + "w" * 50) for n in range(300)]
    data = report(("huge", "Huge", rows))
    text = render_check_text(data, RUN)
    limit = CHECK_LIMIT
    assert limit - 2_000 < utf16_units(text) <= limit
    assert text.rstrip().endswith("The full report is in the [job summary](https://github.com/apiq/platform/actions/runs/4213) and the `apiq-gate-report` artifact.")
    assert "> ✂️ Cut here to fit GitHub's limit of" in text
    assert text.count("<details>") == text.count("</details>")


# --- a checklist far larger than the seed: 60+ character ids --------------------------------

def long_id(n: int) -> str:
    return f"security-verification-authentication-and-session-hardening-item-{n:04d}"  # 69 characters


@functools.cache
def many_items(count: int, status: Status) -> dict[str, Any]:
    """`count` items in sections of 150, each with one probe whose reason ends with its target, as real runs write."""
    sections: dict[str, list[Any]] = {}
    for n in range(count):
        target = f"GET https://app.apiq.example/api/v1/resources/{n}/health"
        reason = "status (200) == 200" if status is PASS else f"status (502) == 200; {LONG_BODY * 3}"
        probe = ev(f"http GET {{env.url}}/api/v1/resources/{n}/health", status, f"{reason} ({target})")
        row = item(long_id(n), f"Resource {n} answers on its health endpoint", probe, group=f"Group {n // 50}",
                   owner=TEAMS[n % len(TEAMS)], docs=f"https://wiki.apiq.example/runbooks/resources/{n}")
        sections.setdefault(f"section-{n // 150}", []).append(row)
    return report(*((sid, f"Section {sid}", rows) for sid, rows in sections.items()))


def test_1500_passing_items_with_long_ids__comment_keeps_headline_and_state_within_the_limit() -> None:
    data = many_items(1_500, PASS)

    body = render_comment(data, RUN, state(data))

    assert utf16_units(body) <= COMMENT_LIMIT
    assert body.splitlines()[2] == "### 🟢 Ready for go-live: 1500/1500 required items pass"
    kept = decode_state(body)
    assert kept is not None
    assert kept.run_id == RUN.run_id
    assert [kept.status_of(long_id(n)) for n in (0, 749, 1_499)] == ["pass", "pass", "pass"]
    assert kept.status_of("not-an-item") is None
    assert body.rstrip().endswith("</sub>")  # the footer too: nothing was cut off


@pytest.mark.parametrize("renderer", ["comment", "check_summary"])
def test_1000_failing_blockers__headline_and_first_blockers_shown_and_the_rest_counted(renderer: str) -> None:
    data = many_items(1_000, FAIL)

    body = render_comment(data, RUN) if renderer == "comment" else render_check_summary(data, RUN)

    assert utf16_units(body) <= (COMMENT_LIMIT if renderer == "comment" else CHECK_LIMIT)
    assert "### 🔴 Go-live blocked: 1000 required items failing\n" in body
    blockers = body.split("#### ❌ What blocks go-live (1000)\n\n")[1].split("\n\n#### ")[0]
    shown = re.findall(r"^- ❌ \*\*Resource (\d+) answers", blockers, flags=re.M)
    assert shown == [str(n) for n in range(len(shown))]  # the first ones, in config order
    assert len(shown) > 50
    hidden = re.search(r"^- ✂️ (\d+) more blocking items not listed here to fit GitHub's limit\. (.*)$", blockers, flags=re.M)
    assert hidden is not None, blockers[-500:]
    assert len(shown) + int(hidden[1]) == 1_000
    assert hidden[2] == (
        "The full report is in the [job summary](https://github.com/apiq/platform/actions/runs/4213) "
        "and the `apiq-gate-report` artifact."
    )
    assert "Cut here" not in body
    assert body.rstrip().endswith("</sub>")
    if renderer == "comment":
        assert decode_state(body) is not None  # the next run still finds the run that wrote it


def test_1000_pending_sign_offs__the_first_are_listed_and_the_rest_counted() -> None:
    rows = [item(long_id(n), f"Sign-off {n} of the release checklist", signoff("@apiq/release-managers")) for n in range(1_000)]
    data = report(("sign-offs", "Sign-offs", rows))

    body = render_comment(data, RUN)

    assert utf16_units(body) <= COMMENT_LIMIT
    assert "### ⏳ Awaiting sign-off: 1000 required items need a sign-off; nothing fails\n" in body
    listed = re.findall(r"^- \[ \] \*\*Sign-off (\d+) of", body, flags=re.M)
    assert listed == [str(n) for n in range(len(listed))]
    hidden = re.search(r"^- ✂️ (\d+) more awaiting sign-off not listed here to fit GitHub's limit\.", body, flags=re.M)
    assert hidden is not None
    assert len(listed) + int(hidden[1]) == 1_000
    assert "#### ✍️ Sign-offs (1000 awaiting)" in body
