"""One module per probe kind. Every public module in this folder is imported by the evidence
registry (`apiq_gate.evidence.kinds`), so adding a kind is adding a module here."""

from __future__ import annotations

import importlib
import pkgutil


def import_all() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
