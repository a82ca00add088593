"""docs/config-reference.md is generated from the loader's declarations; it must be current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_config_reference__is_current_with_the_declarations() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/config_reference.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_config_reference__documents_every_evidence_kind_and_every_item_key() -> None:
    from apiq_gate.evidence import kinds  # noqa: PLC0415

    text = (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    for name in kinds():
        assert f"### `{name}`" in text
    for key in ("id", "title", "severity", "phases", "owner", "docs", "evidence"):
        assert f"| `{key}` |" in text
