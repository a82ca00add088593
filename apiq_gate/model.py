"""The frozen values that cross module boundaries: the checklist and what it yields.

The config classes double as the config format's declaration: `structure.py` reads YAML
into them and describes them as JSON Schema, so the docs on each field are the reference.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from apiq_gate.config_types import Duration
from apiq_gate.evidence.base import Evidence
from apiq_gate.structure import Source, doc


class Severity(enum.StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    PENDING = "pending"  # awaiting a person's sign-off
    WAIVED = "waived"
    SKIPPED = "skipped"  # not part of this run's phase
    ERROR = "error"  # could not be evaluated: never counts as passed


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    PENDING = "pending"  # nothing fails, but required sign-offs are missing


class FailOn(enum.StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"
    NEVER = "never"  # report only: the verdict is shown but never fails the job


DEFAULT_PHASES = ("pre-deploy", "go-live", "post-launch")
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


# --- the config -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Environment:
    """A deployed target that probes address: `{env.url}` and `{env.host}` in probe fields."""

    url: str | None = doc("Base URL, e.g. https://staging.apiq.example", default=None)
    host: str | None = doc("Host name, for TLS, DNS and TCP probes", default=None)
    resolve: dict[str, str] = doc(
        "Host → IP address overrides, like curl's --resolve: probes connect there but keep the "
        "real name for SNI, Host and certificate checks",
        default_factory=dict,
        example={"app.apiq.example": "127.0.0.1"},
    )
    vars: dict[str, str] = doc(
        "Further values items can use as `{env.NAME}`", default_factory=dict, example={"region": "eu-west-1"}
    )
    description: str = doc("What this environment is", default="")


@dataclass(frozen=True, kw_only=True, slots=True)
class Defaults:
    """Values every item gets unless it says otherwise."""

    severity: Severity = doc("Severity of items that do not set one", default=Severity.REQUIRED)
    phases: tuple[str, ...] | None = doc("Phases of items that do not set any (default: every phase)", default=None)
    environment: str | None = doc("Environment a run uses when none is chosen (default: the first)", default=None)
    timeout: Duration = doc("Per-probe timeout", default=Duration(10.0))
    deadline: Duration = doc("The whole run's limit; probes still running then are errors", default=Duration(600.0))
    concurrency: int = doc("Probes run at once", default=128)


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    """One line of the checklist: what must be true, and the evidence that shows it."""

    id: str = doc(
        "Stable id, unique in the checklist (lowercase, digits, `-`, `.`, `_`)",
        example="ssl-certificate",
        pattern=ID_PATTERN,
    )
    title: str = doc("What must be true, as reviewers read it", example="Valid SSL certificate installed")
    description: str = doc("More detail, shown under the title", default="")
    severity: Severity | None = doc("required blocks the gate; recommended warns; optional informs", default=None)
    phases: tuple[str, ...] | None = doc("Phases in which this item is evaluated", default=None)
    group: str = doc("A sub-heading within the section", default="")
    owner: str = doc("Who acts when it fails: a team, a person, a channel", default="", example="@apiq/platform")
    docs: str = doc("A link to how to fix it", default="")
    evidence: tuple[Evidence, ...] = doc("What shows the item holds; every entry must hold")
    source: Source | None = None

    @property
    def effective_severity(self) -> Severity:
        assert self.severity is not None, "the loader fills in defaults"
        return self.severity


@dataclass(frozen=True, kw_only=True, slots=True)
class Section:
    """A heading of the checklist and its items."""

    id: str = doc("Stable id, unique in the checklist", example="security", pattern=ID_PATTERN)
    title: str = doc("Heading shown to reviewers", example="Security Configuration")
    description: str = doc("More detail, shown under the heading", default="")
    items: tuple[Item, ...] = doc("The section's items, in the order reports show them")
    source: Source | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Waiver:
    """A time-boxed exception: a non-passing item counts as waived until it expires."""

    item: str = doc("Id of the waived item", example="penetration-test")
    reason: str = doc("Why it is acceptable for now")
    approved_by: str = doc("Who approved the waiver", example="cto")
    expires: dt.date = doc("Last day (UTC) on which the waiver holds, YYYY-MM-DD", example="2026-12-15")
    source: Source | None = None

    def active_on(self, day: dt.date) -> bool:
        return day <= self.expires


@dataclass(frozen=True, kw_only=True, slots=True)
class Checklist:
    """An apiq-gate config: a go-live checklist with its evidence."""

    version: int = doc("Config format version; must be 1", example=1)
    name: str = doc("The gate's name, shown in comments and checks", example="APIQ go-live")
    description: str = doc("What this gate protects", default="")
    phases: tuple[str, ...] = doc("The phases runs can select", default=DEFAULT_PHASES)
    environments: dict[str, Environment] = doc("Named deployed targets", default_factory=dict)
    defaults: Defaults = doc("Defaults for items", default_factory=Defaults)
    sections: tuple[Section, ...] = doc("The checklist's sections, in order")
    waivers: tuple[Waiver, ...] = doc("Time-boxed exceptions", default=())
    source: Source | None = None

    def items(self) -> list[tuple[Section, Item]]:
        return [(section, item) for section in self.sections for item in section.items]


# --- what a run yields ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """The judgement of one piece of evidence."""

    status: Status  # pass, fail, pending or error
    reason: str  # one line: the actual value against the expectation
    details: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class EvidenceResult:
    kind: str
    label: str  # e.g. "file docs/runbooks/rollback.md"
    outcome: Outcome
    attempts: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemResult:
    id: str
    title: str
    section: str  # section id
    group: str
    severity: Severity
    status: Status
    reason: str
    evidence: tuple[EvidenceResult, ...]
    owner: str = ""
    docs: str = ""
    description: str = ""
    waiver: Waiver | None = None
    source: Source | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SectionResult:
    id: str
    title: str
    items: tuple[ItemResult, ...]

    @property
    def evaluated(self) -> tuple[ItemResult, ...]:
        return tuple(i for i in self.items if i.status is not Status.SKIPPED)

    @property
    def passed(self) -> int:
        return sum(i.status is Status.PASS for i in self.items)


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    gate: str
    verdict: Verdict
    fail_on: FailOn
    phase: str | None
    environment: str | None
    sections: tuple[SectionResult, ...]
    warnings: tuple[str, ...]
    counts: dict[str, dict[str, int]]  # severity -> status -> count
    generated_at: dt.datetime
    config: str  # where the config came from (path, and ref when known)
    duration_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def items(self) -> list[ItemResult]:
        return [item for section in self.sections for item in section.items]

    def blocking(self) -> list[ItemResult]:
        """Items that keep the gate from passing under its fail-on policy."""
        return [i for i in self.items() if i.severity in blocking_severities(self.fail_on) and not passed(i.status)]


def blocking_severities(fail_on: FailOn) -> frozenset[Severity]:
    # `never` still judges required items for the verdict; it only stops the job failing.
    if fail_on is FailOn.RECOMMENDED:
        return frozenset({Severity.REQUIRED, Severity.RECOMMENDED})
    return frozenset({Severity.REQUIRED})


def passed(status: Status) -> bool:
    return status in (Status.PASS, Status.WAIVED, Status.SKIPPED)
