"""The reviewer's view on GitHub: the PR comment, the check run's summary and text, the job summary.

What the Action calls: `render_comment`, `render_check_summary`, `render_check_text`,
`render_step_summary`, `check_title`; and for finding and updating its comment,
`comment_marker`, `is_ours`, `encode_state`, `decode_state`, `may_replace`.

Each rendering fits GitHub's limit by walking down a ladder of `Detail`s: the first that
fits wins. Blockers and pending sign-offs stay on every rung (only their long messages are
shortened); the rest is trimmed with a note pointing at the full report. Past the ladder, for
checklists with many hundreds of failing items, the comment's hidden state first keeps only
the run, then the first blockers and sign-offs are listed and the rest counted; the headline
always stays. Sizes are counted in UTF-16 code units, which is never less than the characters
GitHub counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from apiq_gate.comment_state import (
    CommentState,
    comment_marker,
    decode_state,
    encode_state,
    is_ours,
    may_replace,
    state_from_report,
)
from apiq_gate.render import (
    TemplateError,
    compile_custom,
    read_custom,
    render_custom,
    render_shipped,
)
from apiq_gate.render_filters import href, linked, one_line
from apiq_gate.report_detail import Detail, beyond_the_ladder, listed_rows
from apiq_gate.report_view import LOCAL_POINTER, headline, run_context, template_context

__all__ = [
    "CHECK_LIMIT",
    "COMMENT_LIMIT",
    "CommentState",
    "RunInfo",
    "check_title",
    "comment_marker",
    "decode_state",
    "encode_state",
    "is_ours",
    "may_replace",
    "render_check_summary",
    "render_check_text",
    "render_comment",
    "render_step_summary",
    "state_from_report",
    "status_description",
]

COMMENT_LIMIT = 65_536  # characters in an issue or PR comment body
CHECK_LIMIT = 65_535  # characters in a check run's output.summary and output.text
STEP_SUMMARY_LIMIT = 1_000_000  # bytes; GitHub refuses a step summary over 1 MiB
STATUS_DESCRIPTION_LIMIT = 140  # a commit status's description

# fmt: off
# Each rung shows less than the one above; `fit` takes the first that fits. Blockers and
# pending sign-offs are on every rung: only their messages get shorter.
COMMENT_LADDER = (
    Detail(level=0),
    Detail(level=1, sections="non-passing", reason_chars=300, blocker_reason_chars=600),
    Detail(level=2, sections="non-passing", evidence_rows=False, list_cap=50, reason_chars=200,
           blocker_reason_chars=400),
    Detail(level=3, sections="none", evidence_rows=False, list_cap=20, reason_chars=160, blocker_reason_chars=300),
    Detail(level=4, sections="none", evidence_rows=False, list_cap=10, reason_chars=120, blocker_reason_chars=200,
           blocker_evidence_cap=3, label_chars=80),
    Detail(level=5, sections="none", evidence_rows=False, list_cap=5, reason_chars=80, blocker_reason_chars=120,
           blocker_evidence_cap=1, label_chars=60, title_chars=120, compact=True),
    Detail(level=6, sections="none", evidence_rows=False, list_cap=0, reason_chars=60, blocker_reason_chars=80,
           blocker_evidence_cap=1, label_chars=40, title_chars=80, compact=True),
)
CHECK_TEXT_LADDER = (
    Detail(level=0, skipped_rows=True),
    Detail(level=1, sections="non-passing", reason_chars=300, blocker_reason_chars=600),
    Detail(level=2, sections="non-passing", evidence_rows=False, reason_chars=200, blocker_reason_chars=400),
    Detail(level=3, sections="blocking", evidence_rows=False, reason_chars=160, blocker_reason_chars=200,
           label_chars=80),
    Detail(level=4, sections="blocking", evidence_rows=False, reason_chars=80, blocker_reason_chars=100, label_chars=40,
           compact=True),
)
# fmt: on
# The check run's summary has no sections: its rungs only shorten lists and messages.
SUMMARY_LADDER = tuple(replace(d, sections="all", evidence_rows=True) for d in COMMENT_LADDER)
FULL_LADDER = (Detail(level=0, skipped_rows=True), *COMMENT_LADDER[1:])


@dataclass(frozen=True, kw_only=True, slots=True)
class RunInfo:
    """The facts of one Action run that reports show; all empty for a local run."""

    repository: str = ""  # owner/name
    sha: str = ""  # the commit judged: a PR's head, not the merge commit
    ref: str = ""  # e.g. refs/heads/release
    event: str = ""  # GITHUB_EVENT_NAME
    run_id: int = 0
    run_attempt: int = 0
    run_url: str = ""  # the run's page, where the job summary (the full report) is
    config_path: str = ""  # the config file as the repository names it
    config_ref: str = ""  # the ref or SHA the config was read at (a PR's base)
    config_changed_by_pr: bool = False
    config_change_unchecked: bool = False  # reading the config at the PR's head failed: changed or not is unknown
    pr_number: int | None = None
    server_url: str = "https://github.com"  # GITHUB_SERVER_URL (GitHub Enterprise Server)
    artifact_name: str = ""  # the artifact holding the JSON report, when the workflow uploads one
    check_name: str = ""  # the Action's `check-name`: part of the comment's marker (one comment per gate)


@dataclass(frozen=True, kw_only=True, slots=True)
class Limit:
    size: int
    unit: str  # "utf-16" code units or "utf-8" bytes

    def measure(self, text: str) -> int:
        return len(text.encode("utf-16-le")) // 2 if self.unit == "utf-16" else len(text.encode("utf-8"))

    def fits(self, text: str) -> bool:
        return self.measure(text) <= self.size


COMMENT = Limit(size=COMMENT_LIMIT, unit="utf-16")
CHECK = Limit(size=CHECK_LIMIT, unit="utf-16")
STEP_SUMMARY = Limit(size=STEP_SUMMARY_LIMIT, unit="utf-8")


def render_comment(
    report: Mapping[str, Any], run: RunInfo, previous: CommentState | None = None, template: str | Path | None = None
) -> str:
    """The sticky PR comment: marker, state, verdict first; a repository's `template` if given."""
    marker = _marker(report, run)
    kept = state_from_report(report, run.run_id, run.run_attempt, run.sha)
    states = {True: encode_state(kept), False: encode_state(kept, with_items=False)}
    custom = compile_custom(read_custom(template), str(template)) if template is not None else None

    def at(detail: Detail) -> str:
        state = states[detail.item_states]
        context = _context(
            report, run, previous, detail, target="comment", limit=COMMENT, marker=marker, state_block=state
        )
        if custom is None:
            return render_shipped("comment.md.j2", context)
        text = render_custom(custom, str(template), context)
        if not is_ours(text, str(report["gate"]), run.check_name or None):
            raise TemplateError(
                f"{template}: the rendered comment lacks the hidden marker, so the gate could never find "
                'it again; put {{ marker }} on a line of its own, or {% extends "comment.md.j2" %}'
            )
        return text if state in text else _insert_after(text, marker, state)

    ladder = beyond_the_ladder(COMMENT_LADDER, listed_rows(report), drop_item_states=True)
    return fit(at, ladder, COMMENT, _pointer(run, "comment"))


def render_check_summary(report: Mapping[str, Any], run: RunInfo, previous: CommentState | None = None) -> str:
    """The check run's summary: the verdict, blockers, sign-offs, changes, warnings, waivers."""
    return fit(
        lambda d: render_shipped(
            "check_summary.md.j2", _context(report, run, previous, d, target="check_summary", limit=CHECK)
        ),
        beyond_the_ladder(SUMMARY_LADDER, listed_rows(report)),
        CHECK,
        _pointer(run, "check_summary"),
    )


def render_check_text(report: Mapping[str, Any], run: RunInfo) -> str:
    """The check run's text: every section and item, trimmed to fit."""
    return fit(
        lambda d: render_shipped("check_text.md.j2", _context(report, run, None, d, target="check_text", limit=CHECK)),
        CHECK_TEXT_LADDER,
        CHECK,
        _pointer(run, "check_text"),
    )


def render_step_summary(report: Mapping[str, Any], run: RunInfo, previous: CommentState | None = None) -> str:
    """The job summary: the full report (the one the comment's trim note points to)."""
    return fit(
        lambda d: render_shipped(
            "step_summary.md.j2", _context(report, run, previous, d, target="step_summary", limit=STEP_SUMMARY)
        ),
        FULL_LADDER,
        STEP_SUMMARY,
        _pointer(run, "step_summary"),
    )


def check_title(report: Mapping[str, Any]) -> str:
    """The check run's title: the headline without its icon."""
    return headline(report, _items(report))["text"]


def status_description(report: Mapping[str, Any]) -> str:
    """A commit status's description (at most 140 characters)."""
    return one_line(check_title(report), STATUS_DESCRIPTION_LIMIT)


def fit(render_at: Callable[[Detail], str], ladder: tuple[Detail, ...], limit: Limit, pointer: str) -> str:
    """The first rendering down the ladder that fits; past the last rung, a hard cut with a note.

    Each rung shows less than the one before, so the first that fits is found by bisection:
    one rendering when everything fits, about ten when a thousand blockers must be capped.
    """
    text = _tidy(render_at(ladder[0]))
    if limit.fits(text):
        return text
    low, high, best = 1, len(ladder) - 1, None
    while low <= high:
        middle = (low + high) // 2
        candidate = _tidy(render_at(ladder[middle]))
        if limit.fits(candidate):
            best, high = candidate, middle - 1
        else:
            low, text = middle + 1, candidate
    return best if best is not None else hard_cut(text, limit, pointer)


def hard_cut(text: str, limit: Limit, pointer: str) -> str:
    """Whole lines up to the limit, open `<details>` closed, and a note saying where the rest is."""
    note = f"\n\n> ✂️ Cut here to fit GitHub's limit of {limit.size:,} characters. {pointer}\n"
    budget = limit.size - limit.measure(note) - 100  # room for closing tags
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        used += limit.measure(line)
        if used > budget:
            break
        kept.append(line)
    body = "".join(kept)
    unclosed = max(body.count("<details>") - body.count("</details>"), 0)
    return body + "\n</details>" * unclosed + note


def _context(
    report: Mapping[str, Any],
    run: RunInfo,
    previous: CommentState | None,
    detail: Detail,
    *,
    target: str,
    limit: Limit,
    marker: str = "",
    state_block: str = "",
) -> dict[str, Any]:
    return template_context(
        report,
        run=run_context(asdict(run)),
        previous=asdict(previous) if previous else None,
        detail=detail,
        target=target,
        limit=limit.size,
        marker=marker or _marker(report, run),
        state_block=state_block,
        full_report=_pointer(run, target),
    )


def _marker(report: Mapping[str, Any], run: RunInfo) -> str:
    return comment_marker(str(report["gate"]), run.check_name or None)


def _pointer(run: RunInfo, target: str) -> str:
    """Where the full report is, for the cut note (templates say the same in their trim note)."""
    places: list[str] = []
    if href(run.run_url) and target != "step_summary":
        places.append("the " + linked("job summary", run.run_url))
    if run.artifact_name:
        places.append(f"the `{one_line(run.artifact_name, 100).replace('`', '')}` artifact")
    return f"The full report is in {' and '.join(places)}." if places else LOCAL_POINTER


def _tidy(text: str) -> str:
    """No blank lines before the first line; one newline after the last."""
    return text.lstrip("\n").rstrip() + "\n"


def _insert_after(text: str, marker: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip() == marker:
            lines.insert(index + 1, block + "\n")
            break
    return "".join(lines)


def _items(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Items as `headline` needs them (status, severity), without building a whole view."""
    return [{"status": i["status"], "severity": i["severity"]} for s in report["sections"] for i in s["items"]]
