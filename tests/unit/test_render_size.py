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
    render_check_summary,
    render_check_text,
    render_comment,
    render_step_summary,
)
from tests.unit.render_factory import FAIL, PASS, RUN, ev, item, report, seed_report, state


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


@pytest.mark.parametrize("renderer", ["comment", "check_text"])
def test_more_blockers_than_can_ever_fit__cut_hard_with_a_note(renderer: str) -> None:
    rows = [item(f"item-{n}", "T" * 300, ev("x" * 200, FAIL, "r" * 500), owner="@o/" + "w" * 50) for n in range(300)]
    data = report(("huge", "Huge", rows))
    text = render_comment(data, RUN) if renderer == "comment" else render_check_text(data, RUN)
    limit = COMMENT_LIMIT if renderer == "comment" else CHECK_LIMIT
    assert limit - 2_000 < utf16_units(text) <= limit
    assert text.rstrip().endswith("The full report is in the [job summary](https://github.com/apiq/platform/actions/runs/4213) and the `apiq-gate-report` artifact.")
    assert "> ✂️ Cut here to fit GitHub's limit of" in text
    assert text.count("<details>") == text.count("</details>")
