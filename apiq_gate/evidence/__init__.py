"""The registry of evidence kinds: the plug-in point for every kind of evidence.

A kind registers itself with `@register`; `kinds()` imports the modules that hold the
built-in kinds: the local ones named here, and every probe module in
`apiq_gate/probes/kinds/`. The core, the loader and the schema pick them up from here.
"""

from __future__ import annotations

import importlib
from typing import TypeVar

from apiq_gate.evidence.base import Evidence, RunContext

__all__ = ["Evidence", "RunContext", "kinds", "register"]

_MODULES = (
    "apiq_gate.evidence.file",
    "apiq_gate.evidence.checklist",
    "apiq_gate.evidence.env",
    "apiq_gate.evidence.manual",
)
_REGISTRY: dict[str, type[Evidence]] = {}
_loaded = False

E = TypeVar("E", bound=type[Evidence])


def register(cls: E) -> E:
    _REGISTRY[cls.kind] = cls
    return cls


def kinds() -> dict[str, type[Evidence]]:
    """Every evidence kind, by the key users write, in a stable order."""
    global _loaded  # noqa: PLW0603  (import once, on first use: keeps `--help` fast)
    if not _loaded:
        _loaded = True
        for module in _MODULES:
            importlib.import_module(module)
        from apiq_gate.probes.kinds import import_all  # noqa: PLC0415

        import_all()
        # A stable order whatever was imported first: local kinds as listed, then probes by name.
        ordered = sorted(
            _REGISTRY.items(),
            key=lambda pair: (
                pair[1].network,
                _MODULES.index(pair[1].__module__) if pair[1].__module__ in _MODULES else 0,
                pair[0],
            ),
        )
        _REGISTRY.clear()
        _REGISTRY.update(ordered)
    return _REGISTRY
