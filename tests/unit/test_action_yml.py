"""action.yml, the code's Settings and outputs, and docs/action.md agree with each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiq_gate.action_decisions import outputs
from apiq_gate.settings import Settings, input_env, inputs

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
DOCS = (ROOT / "docs" / "action.md").read_text(encoding="utf-8")
RUNNER = {"GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "apiq/payments", "GITHUB_WORKSPACE": str(ROOT)}
WORKFLOW_TOKEN = "${{ github.token }}"


def documented_table(heading: str) -> set[str]:
    """The first column of the table under `## heading` in docs/action.md."""
    section = DOCS.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))


def test_action_yml__every_input_is_a_settings_field_and_every_input_field_is_declared():
    assert set(ACTION["inputs"]) == set(inputs())


@pytest.mark.parametrize("input_id", sorted(ACTION["inputs"]))
def test_action_yml__each_input_has_a_description_a_default_and_is_optional(input_id):
    spec: dict[str, Any] = ACTION["inputs"][input_id]
    assert spec.get("description", "").strip(), f"{input_id} has no description"
    assert "default" in spec, f"{input_id} has no default"
    assert spec.get("required", False) is False
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", input_id), "inputs are kebab-case"


@pytest.mark.parametrize("input_id", sorted(ACTION["inputs"]))
def test_action_yml__the_default_is_the_one_the_code_assumes(input_id):
    assert str(ACTION["inputs"][input_id]["default"]) == inputs()[input_id].metadata["default"]


def test_action_yml__running_with_every_default_passed_equals_running_with_none():
    """The runner passes every input, defaults included: that must change nothing."""
    passed = {input_env(i): str(spec["default"]) for i, spec in ACTION["inputs"].items() if i != "github-token"}
    assert Settings.from_environ({**RUNNER, **passed}) == Settings.from_environ(RUNNER)


def test_action_yml__the_token_defaults_to_the_workflow_token():
    assert ACTION["inputs"]["github-token"]["default"] == WORKFLOW_TOKEN


def test_action_yml__outputs_are_exactly_what_the_code_writes():
    with_report = outputs({"verdict": "pass", "sections": []}, report_path="r.json", comment_url="", check_url="")
    without = outputs(None, report_path="", comment_url="", check_url="")
    assert set(ACTION["outputs"]) == set(with_report) == set(without)
    for name, spec in ACTION["outputs"].items():
        assert spec.get("description", "").strip(), f"output {name} has no description"


def test_action_yml__is_a_docker_action_built_from_the_dockerfile_with_branding():
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert (ROOT / ACTION["runs"]["image"]).is_file()
    assert set(ACTION["branding"]) == {"icon", "color"}


def test_docs__document_every_input_and_output():
    assert documented_table("Inputs") == set(ACTION["inputs"])
    assert documented_table("Outputs") == set(ACTION["outputs"])
