"""The package as a user installs it: a wheel holds every subpackage, the templates and data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("apiq_gate-*.whl")
    return zipfile.ZipFile(built)


def test_wheel__holds_every_subpackage_of_the_source_tree(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for init in sorted((ROOT / "apiq_gate").rglob("__init__.py")):
        relative = init.relative_to(ROOT).as_posix()
        assert relative in names, f"{relative} is missing from the wheel: list its package in pyproject.toml"


def test_wheel__holds_the_templates_and_the_demo_checklist(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for template in sorted((ROOT / "templates").glob("*.j2")):
        assert f"apiq_gate/templates/{template.name}" in names
    assert "apiq_gate/data/demo.yml" in names
