"""Run `entrypoint.py` the way the GitHub runner runs a Docker action, and read back what it left.

The runner starts the container with a clean environment: every input declared in action.yml as
`INPUT_<ID>` (upper-cased, spaces to `_`, hyphens kept), with its default when the workflow does
not set it and `${{ github.token }}` already substituted; the GITHUB_* variables; the working
directory at the workspace. Each step gets fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
which the runner reads back. `ActionRunner.run` does exactly that against the fake GitHub API,
and returns a `Job` holding what a user would see: the exit code, the log, the outputs, the
job summary and the JSON report file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "entrypoint.py"
EVENTS = ROOT / "tests" / "fixtures" / "events"
ACTION_INPUTS: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
RUN_TIMEOUT_S = 60  # a hung run fails the test instead of hanging the suite


def event_payload(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def runner_input_name(input_id: str) -> str:
    """How the runner names an input's variable (actions/runner: ContainerActionHandler)."""
    return "INPUT_" + input_id.replace(" ", "_").upper()


def parse_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name<<DELIMITER` blocks and `name=value` lines."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


@dataclass(frozen=True, kw_only=True)
class Job:
    """One finished step, as the runner and the user see it."""

    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    output_file: str  # GITHUB_OUTPUT as written
    summary: str
    workspace: Path

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def commands(self, name: str) -> list[str]:
        """Workflow commands of one kind, e.g. `warning` -> every `::warning ...::...` line."""
        return [line for line in self.lines if line.startswith((f"::{name}::", f"::{name} "))]

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.workspace / self.outputs["report"]).read_text(encoding="utf-8"))

    @property
    def everything_shown(self) -> str:
        """All a user or a later step can read, but the masks themselves."""
        shown = [line for line in self.lines if not line.startswith("::add-mask::")]
        report = ""
        if self.outputs.get("report"):
            report = (self.workspace / self.outputs["report"]).read_text(encoding="utf-8")
        return "\n".join([*shown, self.stderr, self.summary, self.output_file, report])


class ActionRunner:
    """Runs the Action in a subprocess against one workspace (the job's checkout)."""

    def __init__(self, tmp_path: Path, *, api_url: str, repository: str) -> None:
        self.root = tmp_path
        self.workspace = tmp_path / "workspace"
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.api_url = api_url
        self.repository = repository
        self._steps = 0

    def write(self, files: Mapping[str, str]) -> None:
        """Files of the checkout (dedented)."""
        for relative, text in files.items():
            path = self.workspace / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def run(
        self,
        *,
        event: str,
        payload: Mapping[str, Any],
        token: str,
        inputs: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        run_id: int = 4200,
        run_attempt: int = 1,
        sha: str = "5" * 40,
        ref: str = "refs/pull/2/merge",
    ) -> Job:
        self._steps += 1
        step = self.root / f"step{self._steps}"
        step.mkdir()
        event_path, output_path, summary_path = (
            step / "event.json",
            step / "output",
            step / "summary",
        )
        event_path.write_text(json.dumps(payload), encoding="utf-8")
        output_path.touch()
        summary_path.touch()
        given = dict(inputs or {})
        unknown = set(given) - set(ACTION_INPUTS)
        assert not unknown, f"action.yml declares no input {sorted(unknown)}"
        variables = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_OUTPUT": str(output_path),
            "GITHUB_STEP_SUMMARY": str(summary_path),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_RUN_ATTEMPT": str(run_attempt),
            "GITHUB_SHA": sha,
            "GITHUB_REF": ref,
        }
        for input_id, spec in ACTION_INPUTS.items():
            value = given.get(input_id, str(spec.get("default", "")))
            variables[runner_input_name(input_id)] = value.replace("${{ github.token }}", token)
        variables.update(env or {})
        done = subprocess.run(
            [sys.executable, str(ENTRYPOINT)],
            cwd=self.workspace,
            env=variables,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        output_file = output_path.read_text(encoding="utf-8")
        return Job(
            exit_code=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            outputs=parse_output_file(output_file),
            output_file=output_file,
            summary=summary_path.read_text(encoding="utf-8"),
            workspace=self.workspace,
        )
