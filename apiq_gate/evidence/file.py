"""`file`: a path exists in the repository, optionally containing a pattern (runbooks, rollback docs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apiq_gate.config_types import Regex, RepoPath
from apiq_gate.evidence import register
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.structure import doc

MAX_READ_BYTES = 5_000_000  # a runbook, not a data dump


@dataclass(frozen=True, kw_only=True, slots=True)
class FileFacts:
    found: tuple[str, ...]  # matching paths, relative to the root
    containing: tuple[str, ...]  # those whose text matches `contains`


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class FileEvidence(Evidence):
    """A file (or a file matching a glob) exists in the repository."""

    kind = "file"
    __shorthand__ = "path"

    path: RepoPath = doc("Path or glob from the repository root", example="docs/runbooks/rollback.md")
    contains: Regex | None = doc(
        "A regular expression the file's text must match", default=None, example="(?i)rollback"
    )

    def label(self) -> str:
        return f"file {self.path}" + (f" contains /{self.contains}/" if self.contains else "")

    def observe(self, ctx: RunContext) -> FileFacts:
        paths = [p for p in self.path.matches(ctx.root) if p.is_file()]
        containing = [p for p in paths if self.contains and self.contains.search(_read_text(p))]
        rel = lambda p: p.relative_to(ctx.root).as_posix()  # noqa: E731
        return FileFacts(found=tuple(map(rel, paths)), containing=tuple(map(rel, containing)))

    def judge(self, observation: FileFacts) -> Outcome:
        if not observation.found:
            return Outcome(status=Status.FAIL, reason=f"{self.path} does not exist in the repository")
        found, one = ", ".join(observation.found), len(observation.found) == 1
        if self.contains is None:
            return Outcome(status=Status.PASS, reason=f"{found} {'exists' if one else 'exist'}")
        if not observation.containing:
            return Outcome(
                status=Status.FAIL, reason=f"{found} {'does' if one else 'do'} not contain /{self.contains}/"
            )
        return Outcome(status=Status.PASS, reason=f"{observation.containing[0]} contains /{self.contains}/")


def _read_text(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(MAX_READ_BYTES).decode("utf-8", errors="replace")
