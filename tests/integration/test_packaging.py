"""Packaging: the public schemas accept the workflows and action.yml, hadolint accepts the
Dockerfile, the image copies only what runs with pinned dependencies, and the example workflows
say what the docs promise (per-PR concurrency, `needs: gate`, minimal permissions)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is a test dependency (pyproject's [test] extra)"
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def workflow(name: str) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); workflows mean the string.
    data = yaml.safe_load((ROOT / "examples" / "workflows" / name).read_text(encoding="utf-8"))
    return {("on" if key is True else key): value for key, value in data.items()}


def test_workflows__are_valid_against_the_public_workflow_schema():
    assert len(WORKFLOWS) == 6
    result = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *map(str, WORKFLOWS),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_yml__is_valid_against_the_public_action_schema():
    result = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-actions",
        str(ROOT / "action.yml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile__passes_hadolint():
    result = run(tool("hadolint"), str(ROOT / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile__slim_python_311_quiet_pip_exec_form_entrypoint():
    assert re.search(r"^FROM python:3\.11-slim", DOCKERFILE, flags=re.MULTILINE)
    for setting in ("PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1", "PIP_NO_CACHE_DIR=1"):
        assert setting in DOCKERFILE
    assert 'ENTRYPOINT ["python", "/app/entrypoint.py"]' in DOCKERFILE
    assert "--requirement requirements.lock" in DOCKERFILE


def test_dockerfile__copies_only_what_runs_and_the_build_context_holds_only_that():
    copied = {line.split()[1] for line in DOCKERFILE.splitlines() if line.startswith("COPY ")}
    assert copied == {"requirements.lock", "apiq_gate/", "templates/", "entrypoint.py"}
    allowed = {
        line[1:] for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.startswith("!")
    }
    assert allowed == copied
    for path in copied:
        assert (ROOT / path).exists()


def test_requirements_lock__pins_every_runtime_dependency_at_the_tested_version():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[name.lower()] = version
    needed: dict[str, str] = {}

    def walk(name: str) -> None:
        key = name.lower().replace("_", "-")
        if key in needed:
            return
        dist = distribution(name)
        needed[key] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                walk(requirement.name)

    walk("apiq-gate")
    needed.pop("apiq-gate")
    assert pins == needed


def test_entrypoint__only_hands_over_to_the_package():
    tree = ast.parse((ROOT / "entrypoint.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert [(i.module, [a.name for a in i.names]) for i in imports] == [("apiq_gate.action", ["main"])]
    assert [ast.unparse(c) for c in calls] == ["main()"]


# --- the example workflows ------------------------------------------------------------------------


def steps_using_gate(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        step
        for job in data["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("apiq/apiq-gate")
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows__use_the_action_by_its_release_tag_with_permissions_per_job(path):
    data = workflow(path.name)
    assert [s["uses"] for s in steps_using_gate(data)] in (["apiq/apiq-gate@v1"], [])
    assert data["permissions"] == {}, "nothing by default; each job asks for what it uses"
    for name, job in data["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions block"
        assert "write-all" not in str(job["permissions"])


@pytest.mark.parametrize("name", ["release-pr-gate.yml", "fork-evaluate.yml"])
def test_workflows__pull_request_runs_are_grouped_per_pull_request(name):
    group = workflow(name)["concurrency"]["group"]
    assert "github.event.pull_request.number" in group


def test_release_pr_gate__runs_in_the_merge_queue_too_and_can_write_its_comment_and_check():
    data = workflow("release-pr-gate.yml")
    assert set(data["on"]) == {"pull_request", "merge_group"}
    assert data["jobs"]["gate"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
        "statuses": "write",
    }


def test_go_live__deploy_needs_the_gate_and_the_production_environment():
    data = workflow("go-live.yml")
    assert "workflow_dispatch" in data["on"]
    assert steps_using_gate(data)[0]["with"]["environment"] == "production"
    deploy = data["jobs"]["deploy"]
    assert (deploy["needs"], deploy["environment"]) == ("gate", "production")


def test_post_deploy__uses_wait_mode():
    assert steps_using_gate(workflow("post-deploy.yml"))[0]["with"]["wait"] == "10m"


def test_post_launch__runs_on_a_schedule():
    assert workflow("post-launch-schedule.yml")["on"]["schedule"]


def test_fork_setup__the_read_only_half_publishes_nothing_and_the_write_half_checks_the_number():
    evaluate = workflow("fork-evaluate.yml")
    assert steps_using_gate(evaluate)[0]["with"] == {"comment": "never", "status": "none"}
    assert evaluate["jobs"]["evaluate"]["permissions"] == {"contents": "read"}
    publish = workflow("fork-publish.yml")
    assert publish["on"]["workflow_run"]["workflows"] == [evaluate["name"]]
    steps = publish["jobs"]["publish"]["steps"]
    check = next(s for s in steps if s.get("id") == "pr")
    assert "gh api" in check["run"]
    assert "$HEAD_SHA" in check["run"]
    gate = steps_using_gate(publish)[0]
    assert gate["with"]["pull-request"] == "${{ steps.pr.outputs.number }}"
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["path"] == gate["with"]["working-directory"]
