"""`checklist`: a line of a Markdown checklist kept in the repository is ticked `[x]`.

This lets the document a team already keeps stay the source of truth for manual items.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from apiq_gate.config_types import RepoPath
from apiq_gate.evidence import register
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.markdown_checklist import TaskLine, matching, task_lines
from apiq_gate.model import Outcome, Status
from apiq_gate.structure import doc


@dataclass(frozen=True, kw_only=True, slots=True)
class ChecklistFacts:
    error: str = ""  # the document could not be read
    matches: tuple[tuple[int, bool], ...] = ()  # (line, ticked) of each matching line


@functools.lru_cache(maxsize=32)
def _tasks_of(path: str, mtime_ns: int, size: int) -> tuple[TaskLine, ...]:
    """A document's task lines, parsed once per version of the file: many items share one."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return tuple(task_lines(handle.read()))


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class ChecklistEvidence(Evidence):
    """A task-list line (`- [x] ...`) in a Markdown document of the repository is ticked."""

    kind = "checklist"

    document: RepoPath = doc("The Markdown document, from the repository root", example="docs/go-live.md")
    item: str = doc(
        "The line's text (or its bold lead), compared without Markdown decoration and case",
        example="SSL Certificate: Valid SSL certificate installed",
    )
    under: str = doc(
        "Only lines under this heading (or, if no heading is exactly this, one containing it), to tell "
        "repeated lines apart",
        default="",
    )

    def check(self, checklist: object, item_id: str) -> list[str]:
        problems = []
        if any(c in self.document.path for c in "*?["):
            problems.append(f"document '{self.document}' is a glob; name the one Markdown file that holds the line")
        if not self.item.strip():
            problems.append("item is empty; write the line's text (or its bold lead)")
        return problems

    def label(self) -> str:
        return f"checklist {self.document}: {self.item}"

    def observe(self, ctx: RunContext) -> ChecklistFacts:
        path = ctx.root / self.document.path
        if not self.document.matches(ctx.root) or not path.is_file():
            return ChecklistFacts(error=f"{self.document} does not exist in the repository")
        try:
            stat = path.stat()
            tasks = _tasks_of(str(path), stat.st_mtime_ns, stat.st_size)
        except OSError as exc:
            return ChecklistFacts(error=f"{self.document} could not be read: {exc.strerror}")
        matches = tuple((task.line, task.ticked) for task in matching(tasks, self.item, self.under))
        return ChecklistFacts(matches=matches)

    def judge(self, observation: ChecklistFacts) -> Outcome:
        where = f"{self.document}"
        if observation.error:
            return Outcome(status=Status.ERROR, reason=observation.error)
        if not observation.matches:
            return Outcome(
                status=Status.ERROR,
                reason=f"no checklist line '{self.item}' in {where}",
                details=("the line may have been renamed; update `item:` to its current text",),
            )
        if len(observation.matches) > 1:
            lines = ", ".join(str(line) for line, _ in observation.matches)
            return Outcome(
                status=Status.ERROR,
                reason=f"'{self.item}' matches {len(observation.matches)} lines of {where} (lines {lines})",
                details=("add `under:` with the heading it belongs to",),
            )
        line, ticked = observation.matches[0]
        if ticked:
            return Outcome(status=Status.PASS, reason=f"ticked in {where}:{line}")
        return Outcome(status=Status.FAIL, reason=f"not ticked in {where}:{line}")
