"""The Action's settings: its inputs and the runner's GITHUB_* variables, read once, typed, checked.

A Docker action receives each input as `INPUT_<ID>`, the id upper-cased with hyphens kept
(`github-token` arrives as `INPUT_GITHUB-TOKEN`); the runner passes every input declared in
action.yml, with its default when the workflow does not set it. Each field names its source
and its converter in its metadata, so a test can hold action.yml and this class to each other.
A bad input is a UsageError that names the input and the values it accepts.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from apiq_gate.config_types import Duration, parse_duration
from apiq_gate.errors import UsageError
from apiq_gate.model import FailOn
from apiq_gate.probes.base import Wait

DEFAULT_CONFIG = ".github/apiq-gate.yml"
DEFAULT_CHECK_NAME = "apiq-gate"
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
WAIT_INTERVAL = Duration(15.0)  # between re-checks in wait mode; a probe's own `wait` may say otherwise
MAX_CHECK_NAME = 100  # keeps the check's name readable in the merge box and branch protection


class CommentMode(enum.StrEnum):
    ALWAYS = "always"
    ON_FAILURE = "on-failure"  # create one only when the gate does not pass; keep updating it after
    NEVER = "never"


class StatusMode(enum.StrEnum):
    CHECK_RUN = "check-run"
    COMMIT_STATUS = "commit-status"
    BOTH = "both"
    NONE = "none"


Converter = Callable[[str, str], Any]  # (text, input or variable name) -> value


def input_env(input_id: str) -> str:
    """The variable the runner sets for an input: `github-token` -> `INPUT_GITHUB-TOKEN`."""
    return "INPUT_" + input_id.replace(" ", "_").upper()


# --- converters: one per kind of field; each names the input in its message ------------------


def _text(value: str, name: str) -> str:
    return value.strip()


def _optional_text(value: str, name: str) -> str | None:
    return value.strip() or None


def _choice(enum_type: type[enum.StrEnum]) -> Converter:
    def convert(value: str, name: str) -> Any:
        text = value.strip().lower()
        try:
            return enum_type(text)
        except ValueError:
            valid = ", ".join(member.value for member in enum_type)
            raise UsageError(f"input `{name}`: '{value.strip()}' is not one of {valid}") from None

    return convert


def _repo_path(value: str, name: str, *, optional: bool) -> str | None:
    text = value.strip()
    if not text:
        if optional:
            return None
        raise UsageError(f"input `{name}` is empty; give a path in the repository, e.g. {DEFAULT_CONFIG}")
    parts = PurePosixPath(text).parts
    if text.startswith(("/", "\\")) or ".." in parts:
        raise UsageError(f"input `{name}`: '{text}' leaves the repository; write a path relative to its root")
    return PurePosixPath(text).as_posix()


def _required_path(value: str, name: str) -> str:
    path = _repo_path(value, name, optional=False)
    assert path is not None
    return path


def _optional_path(value: str, name: str) -> str | None:
    return _repo_path(value, name, optional=True)


def _directory(value: str, name: str) -> str:
    return _repo_path(value, name, optional=True) or "."


def _check_name(value: str, name: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise UsageError(f"input `{name}` is empty; it names the check that branch protection requires")
    if len(text) > MAX_CHECK_NAME:
        raise UsageError(f"input `{name}` is {len(text)} characters; at most {MAX_CHECK_NAME}")
    return text


def _wait(value: str, name: str) -> Wait | None:
    text = value.strip()
    if not text:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"input `{name}`: {exc}") from None
    if seconds <= 0:
        raise UsageError(f"input `{name}`: give a duration longer than zero, e.g. 10m, or leave it empty")
    return Wait(timeout=Duration(seconds), interval=WAIT_INTERVAL)


def _pr_number(value: str, name: str) -> int | None:
    text = value.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"input `{name}`: '{value.strip()}' is not a pull request number")
    return int(text)


def _count(value: str, name: str) -> int:
    text = value.strip()
    if not text:
        return 0
    if not text.isdigit():
        raise UsageError(f"{name}: '{text}' is not a number (the runner sets it; is this a GitHub Actions run?)")
    return int(text)


def _attempt(value: str, name: str) -> int:
    return _count(value, name) or 1


def _url(value: str, name: str) -> str:
    text = value.strip().rstrip("/")
    if not text.startswith(("https://", "http://")):
        raise UsageError(f"{name}: '{text}' is not an http(s) URL")
    return text


def _repository(value: str, name: str) -> str:
    text = value.strip()
    owner, _, repo = text.partition("/")
    if not owner or not repo or "/" in repo:
        raise UsageError(f"{name}: '{text}' is not owner/name; run apiq-gate as a GitHub Action, or set it")
    return text


def _event_name(value: str, name: str) -> str:
    text = value.strip()
    if not text:
        raise UsageError(
            f"{name} is not set; apiq-gate's Action runs inside GitHub Actions (locally, use `apiq-gate check`)"
        )
    return text


def _optional_file(value: str, name: str) -> Path | None:
    return Path(value.strip()) if value.strip() else None


def _workspace(value: str, name: str) -> Path:
    return Path(value.strip() or ".")


def _existing_workspace(value: str, name: str) -> None:
    """The evidence and the report file live there: it must be set, and be a directory."""
    if not value.strip():
        raise UsageError(
            f"{name} is not set; the runner sets it to the job's workspace, where actions/checkout "
            "puts the repository and apiq-gate writes its report"
        )
    if not Path(value.strip()).is_dir():
        raise UsageError(
            f"{name} '{value.strip()}' is not a directory; it should be the job's workspace "
            "(in a Docker action, /github/workspace)"
        )


# --- the settings ------------------------------------------------------------------------------


def _input(input_id: str, default: str, convert: Converter, **kwargs: Any) -> Any:
    """A field read from an action input; `default` is the text action.yml declares."""
    value = convert(default, input_id) if default != "${{ github.token }}" else ""
    return field(
        default=value,
        metadata={"input": input_id, "default": default, "convert": convert},
        **kwargs,
    )


def _variable(name: str, default: str, convert: Converter) -> Any:
    """A field read from a variable the runner sets."""
    return field(
        default=convert(default, name),
        metadata={"env": name, "default": default, "convert": convert},
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Everything the Action was asked to do, and where it runs."""

    # Action inputs (action.yml declares the same ids, descriptions and defaults).
    config: str = _input("config", DEFAULT_CONFIG, _required_path)
    phase: str | None = _input("phase", "", _optional_text)
    environment: str | None = _input("environment", "", _optional_text)
    github_token: str = _input("github-token", "${{ github.token }}", _text, repr=False)
    comment: CommentMode = _input("comment", "always", _choice(CommentMode))
    check_name: str = _input("check-name", DEFAULT_CHECK_NAME, _check_name)
    status: StatusMode = _input("status", "check-run", _choice(StatusMode))
    fail_on: FailOn = _input("fail-on", "required", _choice(FailOn))
    wait: Wait | None = _input("wait", "", _wait)
    template: str | None = _input("template", "", _optional_path)
    working_directory: str = _input("working-directory", ".", _directory)
    pull_request: int | None = _input("pull-request", "", _pr_number)
    bot_login: str | None = _input("bot-login", "", _optional_text)

    # What the runner sets.
    event_name: str = _variable("GITHUB_EVENT_NAME", "", _text)
    event_path: Path | None = _variable("GITHUB_EVENT_PATH", "", _optional_file)
    workspace: Path = _variable("GITHUB_WORKSPACE", "", _workspace)
    repository: str = _variable("GITHUB_REPOSITORY", "", _text)
    api_url: str = _variable("GITHUB_API_URL", DEFAULT_API_URL, _url)
    server_url: str = _variable("GITHUB_SERVER_URL", DEFAULT_SERVER_URL, _url)
    run_id: int = _variable("GITHUB_RUN_ID", "", _count)
    run_attempt: int = _variable("GITHUB_RUN_ATTEMPT", "", _attempt)
    sha: str = _variable("GITHUB_SHA", "", _text)
    ref: str = _variable("GITHUB_REF", "", _text)
    output_path: Path | None = _variable("GITHUB_OUTPUT", "", _optional_file)
    summary_path: Path | None = _variable("GITHUB_STEP_SUMMARY", "", _optional_file)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read and check every input and variable; the first bad one raises UsageError."""
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            source = input_env(spec.metadata["input"]) if "input" in spec.metadata else spec.metadata["env"]
            if source not in environ:
                continue  # the field's default, converted from the same text action.yml declares
            label = spec.metadata.get("input", source)
            values[spec.name] = spec.metadata["convert"](environ[source], label)
        settings = cls(**values)
        # These are required: without them there is no run to judge, and nowhere to put it.
        _event_name(settings.event_name, "GITHUB_EVENT_NAME")
        _repository(settings.repository, "GITHUB_REPOSITORY")
        _existing_workspace(environ.get("GITHUB_WORKSPACE", ""), "GITHUB_WORKSPACE")
        return settings

    @property
    def root(self) -> Path:
        """Where evidence paths resolve: the workspace, or `working-directory` inside it."""
        return self.workspace / self.working_directory

    @property
    def run_url(self) -> str:
        if not self.run_id:
            return ""
        url = f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return f"{url}/attempts/{self.run_attempt}" if self.run_attempt > 1 else url

    @property
    def report_file(self) -> str:
        """The JSON report's name in the workspace, one per check name: `apiq-gate-report.json`."""
        slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.check_name.lower()).strip("-.")
        return f"{slug or DEFAULT_CHECK_NAME}-report.json"


def inputs() -> dict[str, dataclasses.Field[Any]]:
    """input id -> the Settings field it fills."""
    return {f.metadata["input"]: f for f in dataclasses.fields(Settings) if "input" in f.metadata}
