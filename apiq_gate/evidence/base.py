"""The one small interface every kind of evidence implements, and the context it runs in.

An evidence kind is a frozen dataclass (its fields are its config) registered under the
key users write: `- file: {...}`, `- env: {...}`, `- http: {...}`. It works in two steps
so that the core stays pure: `observe` gathers facts from the world (files, environment,
network) and never raises for an unhealthy target; `judge` turns those facts into an
Outcome without touching the world.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from apiq_gate import structure as st

if TYPE_CHECKING:
    from apiq_gate.model import Environment, Outcome


@dataclass(frozen=True, kw_only=True, slots=True)
class RunContext:
    """What evidence may look at during one run."""

    root: Path  # the repository root; evidence paths resolve from here
    environ: Mapping[str, str]  # the run's environment variables
    environment_name: str | None = None
    environment: Environment | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    timeout: float = 10.0  # per probe, seconds
    signoffs: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)  # item id -> sign-offs
    # Hosts the config declares; probes reach no others (None: no restriction, for unit tests).
    allowed_hosts: frozenset[str] | None = None
    # Injected so retries and wait mode are tested without real waiting.
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    # When the run gives up on its probes (time.monotonic()), and that limit as configured:
    # set by run.observe_all, read through probes/cancel.py. None: no deadline (unit tests).
    deadline: float | None = None
    deadline_s: float = 0.0


class Evidence:
    """Base of the evidence kinds. Subclasses are frozen dataclasses with a `kind`."""

    kind: ClassVar[str]
    # Network evidence (probes) runs in the pool and is re-observed in wait mode.
    network: ClassVar[bool] = False

    def label(self) -> str:
        """A short, secret-free description, e.g. `file docs/runbooks/rollback.md`."""
        return self.kind

    def observe(self, ctx: RunContext) -> Any:
        raise NotImplementedError

    def judge(self, observation: Any) -> Outcome:
        raise NotImplementedError

    def check(self, checklist: Any, item_id: str) -> list[str]:
        """Cross-checks against the whole checklist (e.g. an unknown environment)."""
        return []

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if cls is not Evidence:  # a concrete kind: an ordinary dataclass
            return s.dataclass(node, cls, path)
        from apiq_gate.evidence import kinds  # noqa: PLC0415  (the registry imports the kinds)

        registry = kinds()
        pairs = s.mapping_items(node, path)
        if not isinstance(node, yaml.MappingNode):
            return st.INVALID
        if not pairs:
            return s.problem(node, path, "the evidence entry names no kind", "valid kinds: " + ", ".join(registry))
        if len(pairs) != 1:
            return s.problem(
                node,
                path,
                f"each evidence entry names exactly one kind, this one has {len(pairs)}",
                "start a new `- kind: ...` entry for each",
            )
        key, key_node, value_node = pairs[0]
        if key not in registry:
            return s.problem(
                key_node,
                st.join(path, key),
                f"unknown evidence kind '{key}'",
                st.suggest(key, list(registry)) or "valid kinds: " + ", ".join(registry),
            )
        return s.structure(value_node, registry[key], st.join(path, key))

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        if cls is not Evidence:
            return schemas.object(cls)
        from apiq_gate.evidence import kinds  # noqa: PLC0415

        return {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {name: schemas.object(kind)},
                    "required": [name],
                    "additionalProperties": False,
                }
                for name, kind in kinds().items()
            ]
        }
