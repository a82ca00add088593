"""Shared helpers for probe tests: a one-item checklist around some evidence, the probe in
it, and a RunContext whose sleep records instead of waiting."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from apiq_gate.config import loads
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Checklist, Outcome
from apiq_gate.probes.base import Probe, ProbeFacts


def checklist(evidence_yaml: str, environments: str = "", *, name: str = "probe test") -> Checklist:
    """A one-item checklist around `evidence_yaml` (one `- kind: ...` entry or more)."""
    body = textwrap.indent(textwrap.dedent(evidence_yaml).strip(), " " * 10)
    text = f"version: 1\nname: {name}\n{environments}\ndefaults: {{timeout: 2s}}\n"
    text += "sections:\n  - id: s\n    title: S\n    items:\n      - id: item\n        title: Item\n"
    text += f"        evidence:\n{body}\n"
    return loads(text)


def probe_of(evidence_yaml: str) -> Probe:
    (evidence,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(evidence, Probe)
    return evidence


class Sleeps(list[float]):
    """An injected sleep: records each pause instead of taking it."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def context(root: Path, **overrides: Any) -> RunContext:
    values: dict[str, Any] = {"root": root, "environ": {}, "timeout": 2.0, "sleep": Sleeps()}
    values.update(overrides)
    return RunContext(**values)


def observe_and_judge(probe: Probe, ctx: RunContext) -> tuple[ProbeFacts, Outcome]:
    facts = probe.observe(ctx)
    return facts, probe.judge(facts)
