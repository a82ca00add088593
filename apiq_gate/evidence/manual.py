"""`manual`: a person signs off. Until a sign-off from an allowed signer exists, the item is pending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apiq_gate.config_types import RepoPath
from apiq_gate.evidence import register
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.structure import doc


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class ManualEvidence(Evidence):
    """A reviewer's sign-off."""

    kind = "manual"

    signers: tuple[str, ...] = doc(
        "Who may sign off: GitHub users (`@login`) or teams (`@org/team`); empty means any reviewer with write access",
        default=(),
        example=["@apiq/security"],
    )
    evidence: RepoPath | None = doc("A document the signer should read first", default=None)
    note: str = doc("What the signer confirms", default="")

    def label(self) -> str:
        return "sign-off by " + (", ".join(self.signers) if self.signers else "a reviewer")

    def observe(self, ctx: RunContext) -> tuple[Any, ...]:
        return ()  # sign-offs are gathered by the GitHub layer; none are known yet

    def judge(self, observation: tuple[Any, ...]) -> Outcome:
        if observation:
            return Outcome(status=Status.PASS, reason=f"signed off by {observation[0]}")
        who = ", ".join(self.signers) if self.signers else "a reviewer"
        return Outcome(status=Status.PENDING, reason=f"awaiting sign-off from {who}")
