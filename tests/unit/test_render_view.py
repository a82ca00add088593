"""The view's decisions as tables: the headline, who must act, what changed since the last run."""

from __future__ import annotations

import dataclasses

import pytest

from apiq_gate.comment import check_title, decode_state, encode_state, render_comment, status_description
from apiq_gate.model import FailOn, Severity
from apiq_gate.report_detail import FULL
from apiq_gate.report_view import build_view, run_context
from tests.unit.render_factory import (
    ERROR,
    FAIL,
    PASS,
    PENDING,
    RUN,
    ev,
    item,
    mixed_report,
    report,
    signoff,
    state,
)

REQUIRED, RECOMMENDED = Severity.REQUIRED, Severity.RECOMMENDED


def _report(*rows: tuple[str, Severity], fail_on: FailOn = FailOn.REQUIRED) -> dict[str, object]:
    items = [
        item(f"i{n}", f"Item {n}", signoff("@o/t") if status is PENDING else ev("file x", status, "why"), severity=severity)
        for n, (status, severity) in enumerate(rows)
    ]
    return report(("s", "S", items), fail_on=fail_on)


@pytest.mark.parametrize(
    ("rows", "fail_on", "expected"),
    [
        ([(PASS, REQUIRED), (PASS, REQUIRED)], FailOn.REQUIRED, "Ready for go-live: 2/2 required items pass"),
        ([(PASS, REQUIRED), (FAIL, RECOMMENDED)], FailOn.REQUIRED, "Ready for go-live: 1/1 required items pass"),
        ([(PASS, RECOMMENDED)], FailOn.REQUIRED, "Ready for go-live: no required items in this run"),
        ([(FAIL, REQUIRED), (ERROR, REQUIRED), (PENDING, REQUIRED)], FailOn.REQUIRED, "Go-live blocked: 2 required items failing, 1 awaiting sign-off"),
        ([(FAIL, REQUIRED)], FailOn.NEVER, "Go-live blocked: 1 required item failing"),
        ([(FAIL, RECOMMENDED), (PASS, REQUIRED)], FailOn.RECOMMENDED, "Go-live blocked: 1 blocking item failing"),
        ([(PENDING, REQUIRED), (PENDING, REQUIRED), (PASS, REQUIRED)], FailOn.REQUIRED, "Awaiting sign-off: 2 required items need a sign-off; nothing fails"),
    ],
)
def test_headline__answers_can_we_ship_with_counts(rows: list[tuple[object, Severity]], fail_on: FailOn, expected: str) -> None:
    data = _report(*rows, fail_on=fail_on)  # type: ignore[arg-type]
    assert check_title(data) == expected
    assert render_comment(data, RUN).splitlines()[2].endswith(expected)


def test_status_description__fits_a_commit_status() -> None:
    data = report(("s", "S", [item(f"item-{n}", "T", ev("file x", FAIL, "r")) for n in range(3)]), gate="G" * 300)
    assert status_description(data) == "Go-live blocked: 3 required items failing"
    assert len(status_description(data)) <= 140


def test_report_only__the_comment_says_the_job_does_not_fail() -> None:
    body = render_comment(_report((FAIL, REQUIRED), fail_on=FailOn.NEVER), RUN)
    assert "report only (`fail-on: never`): the job does not fail" in body


def test_actors__owners_by_count_then_items_without_owner() -> None:
    rows = [item("a", "A", ev("f", FAIL, "r"), owner="@o/x"), item("b", "B", ev("f", FAIL, "r"), owner="@o/y"),
            item("c", "C", ev("f", FAIL, "r"), owner="@o/y"), item("d", "D", ev("f", FAIL, "r")),
            item("e", "E", signoff("@o/sec, @o/legal")), item("f", "F", signoff("a reviewer"))]
    view = build_view(report(("s", "S", rows)), run=run_context({}), previous=None, detail=FULL)
    assert view["actors"] == {
        "owners": [{"who": "@o/y", "count": 2}, {"who": "@o/x", "count": 1}, {"who": "", "count": 1}],
        "signers": [{"who": "@o/sec", "count": 1}, {"who": "@o/legal", "count": 1}, {"who": "a reviewer", "count": 1}],
    }
    assert "**To fix:** @\u200do/y (2), @\u200do/x (1), no owner set (1)" in render_comment(report(("s", "S", rows)), RUN)


@pytest.mark.parametrize(
    ("was", "now", "bucket"),
    [
        ("pass", FAIL, "newly_failing"),
        (None, FAIL, "newly_failing"),
        ("pending", ERROR, "newly_failing"),
        ("fail", PASS, "newly_passing"),
        ("pending", PASS, "newly_passing"),
        ("pass", PENDING, "other"),
        ("skipped", PASS, "other"),
        ("fail", FAIL, None),
        (None, PASS, None),
    ],
)
def test_changes__sorted_into_newly_failing_newly_passing_and_other(was: str | None, now: object, bucket: str | None) -> None:
    data = report(("s", "S", [item("x", "X", signoff("@o/t") if now is PENDING else ev("f", now, "r"))]))  # type: ignore[arg-type]
    previous = state(data)
    statuses = dict(previous.statuses)
    if was is None:
        del statuses["x"]
    else:
        statuses["x"] = was
    changes = build_view(data, run=run_context({}), previous={"run_id": 1, "run_attempt": 1, "sha": "", "statuses": statuses}, detail=FULL)["changes"]
    found = {key: [row["id"] for row in changes[key]] for key in ("newly_failing", "newly_passing", "other")}
    assert found == {key: (["x"] if key == bucket else []) for key in found}
    assert changes["any"] is (bucket is not None)


def test_changes__first_run_has_none_and_removed_items_are_counted() -> None:
    data = mixed_report()
    assert build_view(data, run=run_context({}), previous=None, detail=FULL)["changes"] is None
    previous = {"run_id": 1, "run_attempt": 1, "sha": "", "statuses": {**state(data).statuses, "gone-1": "pass", "gone-2": "fail"}}
    changes = build_view(data, run=run_context({}), previous=previous, detail=FULL)["changes"]
    assert changes["removed"] == 2
    removed_row = "- ➖ 2 items no longer in the checklist"  # noqa: RUF001
    assert removed_row in render_comment(data, RUN, state(data, gone_1="pass", gone_2="fail"))


def test_run_context__links_only_when_the_run_is_known() -> None:
    assert run_context({})["commit_url"] == ""
    known = run_context({"repository": "o/r", "sha": "abc1234def", "config_path": "c.yml", "config_ref": "main", "pr_number": 7,
                         "server_url": "https://ghe.example/"})
    assert (known["commit_url"], known["config_url"], known["pr_url"], known["short_sha"]) == (
        "https://ghe.example/o/r/commit/abc1234def", "https://ghe.example/o/r/blob/main/c.yml", "https://ghe.example/o/r/pull/7", "abc1234")


def test_config_changed_by_pr__the_comment_says_which_config_judged_it() -> None:
    body = render_comment(mixed_report(), dataclasses.replace(RUN, config_changed_by_pr=True))
    assert ("> ⚠️ **This pull request changes the gate's config.** It was judged by `.github/apiq-gate.yml` "
            "as it is on `main`, not by the changed version.") in body


def test_sections__an_item_without_a_group_is_not_shown_under_the_previous_groups_heading() -> None:
    rows = [
        item("tls", "TLS", ev("file a", PASS, "ok"), group="Infrastructure"),
        item("ungrouped", "Ungrouped item", ev("file b", PASS, "ok")),
        item("env", "Env", ev("file c", PASS, "ok"), group="Variables"),
        item("cdn", "CDN", ev("file d", PASS, "ok"), group="Infrastructure"),
    ]
    body = render_comment(report(("s", "Setup", rows)), RUN)

    rows_text = body.split("<summary>✅ Setup 4/4</summary>\n")[1].split("</details>")[0]
    assert rows_text == (
        "\n- ✅ Ungrouped item\n"
        "\n**Infrastructure**\n\n- ✅ TLS\n- ✅ CDN\n"
        "\n**Variables**\n\n- ✅ Env\n\n"
    )


def test_footer__a_config_ref_that_is_a_sha_shows_7_characters_and_links_the_full_one() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    body = render_comment(mixed_report(), dataclasses.replace(RUN, config_ref=sha, config_changed_by_pr=True))

    footer = body.split("\n---\n")[1]
    assert f"config [`.github/apiq-gate.yml`](https://github.com/apiq/platform/blob/{sha}/.github/apiq-gate.yml) at `0123456` · " in footer
    assert "as it is on `0123456`, not by the changed version" in body
    assert body.count(sha) == body.count(f"/blob/{sha}/")  # the full SHA only inside links


def test_signoffs__say_that_ticking_a_box_is_not_a_sign_off() -> None:
    body = render_comment(mixed_report(), RUN)

    section = body.split("#### ✍️ Sign-offs (2 awaiting, 1 signed)\n")[1]
    assert section.startswith("<sub>Sign-offs are recorded by apiq-gate, not by ticking a box.</sub>\n\n- [ ] ")


def test_changes__read_from_the_state_the_last_comment_kept() -> None:
    data = mixed_report()
    kept = decode_state(encode_state(state(data, jwt_secret="pass", gone_1="fail")))  # as the Action reads it back
    assert kept is not None
    assert kept.hashed

    body = render_comment(data, dataclasses.replace(RUN, run_id=4214), kept)

    assert "- ❌ **Newly failing:** Production JWT secret `jwt-secret`\n" in body
    assert "- ➖ 1 item no longer in the checklist\n" in body  # noqa: RUF001


def test_changes__none_when_the_last_comment_kept_only_its_run() -> None:
    data = mixed_report()
    kept = decode_state(encode_state(state(data, jwt_secret="pass"), with_items=False))

    body = render_comment(data, dataclasses.replace(RUN, run_id=4214), kept)

    assert "Since the last run" not in body
