"""`env`: variables are present in the run's environment, secrets are strong, settings are right.

Values never leave `observe`: the facts name variables and say what is wrong, never what is set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from apiq_gate.evidence import register
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.secrets import weakness
from apiq_gate.structure import doc

MIN_SECRET_LENGTH = 8  # a floor a config may not lower: below it, `strong` means nothing
MAX_SHOWN_VALUE = 40  # `equals` values are declared non-secret, but keep rows short


@dataclass(frozen=True, kw_only=True, slots=True)
class EnvFacts:
    missing: tuple[str, ...]  # not in the environment at all
    weak: tuple[tuple[str, str], ...]  # (name, why), the why never holds the value
    mismatched: tuple[tuple[str, str, str], ...]  # (name, expected, actual) for non-secret settings
    # Set but blank: what a GitHub secret that is unavailable to the run (a fork's PR) looks like.
    empty: tuple[str, ...] = ()


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class EnvEvidence(Evidence):
    """Environment variables of the run: present, strong enough, or set to a given value."""

    kind = "env"
    __shorthand__ = "required"

    required: tuple[str, ...] = doc("Variables that must be set and non-empty", default=(), example=["DATABASE_URL"])
    strong: tuple[str, ...] = doc(
        "Secrets that must be set, long enough, not a placeholder and random-looking",
        default=(),
        example=["JWT_SECRET"],
    )
    equals: dict[str, str] = doc(
        "Non-secret settings that must have an exact value (the actual value is shown when it differs)",
        default_factory=dict,
        example={"NODE_ENV": "production"},
    )
    min_length: int = doc("Minimum length of a strong secret", default=32)
    min_entropy_bits: float = doc("Minimum estimated entropy of a strong secret, in bits", default=96.0)

    def label(self) -> str:
        names = [*self.required, *self.strong, *self.equals]
        return "env " + ", ".join(dict.fromkeys(names))

    def secret_names(self) -> tuple[str, ...]:
        """Variables whose values must be masked in logs."""
        return tuple(dict.fromkeys([*self.required, *self.strong]))

    def check(self, checklist: object, item_id: str) -> list[str]:
        if not (self.required or self.strong or self.equals):
            return ["env evidence names no variables; add `required:`, `strong:` or `equals:`"]
        if self.min_length < MIN_SECRET_LENGTH:
            return [f"min_length {self.min_length} would pass a guessable secret; use at least {MIN_SECRET_LENGTH}"]
        if not math.isfinite(self.min_entropy_bits) or self.min_entropy_bits < 0:
            return ["min_entropy_bits must be a number of bits, 0 or more (default 96)"]
        # `equals` shows the actual value when it differs; a secret's value is never shown.
        return [
            f"{name} is a secret (`strong:`) and a shown setting (`equals:`); remove it from `equals:`"
            for name in self.strong
            if name in self.equals
        ]

    def observe(self, ctx: RunContext) -> EnvFacts:
        names = dict.fromkeys([*self.required, *self.strong, *self.equals])
        missing = tuple(name for name in names if name not in ctx.environ)
        empty = tuple(name for name in names if name in ctx.environ and not ctx.environ[name].strip())
        weak = tuple(
            (name, why)
            for name in self.strong
            if name not in missing + empty
            and (why := weakness(ctx.environ[name], min_length=self.min_length, min_entropy_bits=self.min_entropy_bits))
        )
        mismatched = tuple(
            (name, expected, _shorten(ctx.environ[name]))
            for name, expected in self.equals.items()
            if name not in missing + empty and ctx.environ[name] != expected
        )
        return EnvFacts(missing=missing, empty=empty, weak=weak, mismatched=mismatched)

    def judge(self, observation: EnvFacts) -> Outcome:
        problems = [f"{name} is not set" for name in observation.missing]
        problems += [f"{name} is set but empty" for name in observation.empty]
        problems += [f"{name} {why}" for name, why in observation.weak]
        problems += [f"{name} ('{actual}') == '{expected}'" for name, expected, actual in observation.mismatched]
        if problems:
            return Outcome(status=Status.FAIL, reason="; ".join(problems), details=tuple(problems))
        count = len(dict.fromkeys([*self.required, *self.strong, *self.equals]))
        return Outcome(status=Status.PASS, reason=f"{count} variable{'s' if count != 1 else ''} set as expected")


def _shorten(value: str) -> str:
    return value if len(value) <= MAX_SHOWN_VALUE else value[: MAX_SHOWN_VALUE - 1] + "…"
