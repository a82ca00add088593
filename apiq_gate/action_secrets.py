"""Which values of this run are secrets, so the Action masks them before anything is printed.

Two kinds of config name secrets: `env` evidence (`required` and `strong` variables; `equals`
values are declared non-secret and shown when they differ) and `${VAR}` references in probes.
Every item counts, not only the phase's: masking a value that is never printed costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from apiq_gate.evidence.base import RunContext
from apiq_gate.evidence.env import EnvEvidence
from apiq_gate.model import Checklist
from apiq_gate.probes.base import Probe
from apiq_gate.probes.targets import MIN_MASKED_LENGTH


def secret_values(checklist: Checklist, environ: Mapping[str, str]) -> list[str]:
    """The values to mask, longest first (a value inside another is masked by both)."""
    context = RunContext(root=Path("."), environ=environ)
    values: set[str] = set()
    for _, item in checklist.items():
        for evidence in item.evidence:
            if isinstance(evidence, EnvEvidence):
                values.update(environ.get(name, "") for name in evidence.secret_names())
            elif isinstance(evidence, Probe):
                values.update(evidence.secret_values(context))
    # A value of a few characters is no secret, and masking it would shred every log line.
    return sorted((v for v in values if len(v.strip()) >= MIN_MASKED_LENGTH), key=lambda v: (-len(v), v))
