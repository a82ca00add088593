"""Where a run's inputs come from: the event payload, the config and the comment template.

The config and the template are read from the trusted side the event names (events.py): through
the API at the base commit on anything a pull request can influence, from the checkout on a
branch's own runs. A missing config on the base branch is a config problem that says to merge
the config first; a config the pull request changes is noted, never used. The pull request's copy
is read only for that note: when GitHub will not give it, the gate still runs on the base config
and the note says the change could not be checked.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiq_gate.config import MAX_BYTES, loads
from apiq_gate.errors import ConfigError, Problem, UsageError
from apiq_gate.events import EventRun
from apiq_gate.github import GitHubError
from apiq_gate.model import Checklist
from apiq_gate.settings import Settings

MAX_EVENT_BYTES = 25_000_000  # GitHub caps webhook payloads at 25 MB

ReadFile = Callable[[str, str], "str | None"]  # (path, ref) -> text, None when it does not exist


@dataclass(frozen=True, kw_only=True, slots=True)
class Config:
    checklist: Checklist
    label: str  # for the report: path, and @ref when read through the API
    ref: str  # the commit it was read at
    changed_by_pr: bool  # the pull request's head has a different config (not used: noted)
    change_unchecked: str = ""  # why the head's config could not be read (GitHub's error), if it could not


def read_event(settings: Settings) -> dict[str, Any]:
    path = settings.event_path
    if path is None:
        raise UsageError("GITHUB_EVENT_PATH is not set; the runner sets it to the event's payload")
    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read(MAX_EVENT_BYTES + 1))
    except OSError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path} cannot be read: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path} is not a JSON payload ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path} is not a JSON object")
    return data


def read_config(settings: Settings, event: EventRun, read_file: ReadFile) -> Config:
    path = settings.config
    if event.config_ref is None:  # a branch's own run: its checkout is the trusted side
        data = _read_checkout(settings, path)
        return Config(checklist=loads(data, path), label=path, ref=settings.sha, changed_by_pr=False)
    ref = event.config_ref
    text = read_file(path, ref)
    changed, unchecked = False, ""
    if event.pr_head_sha and event.pr_head_sha != ref:
        try:
            changed = read_file(path, event.pr_head_sha) != text
        except GitHubError as exc:  # only for the note: never a reason not to judge
            unchecked = str(exc)
    if text is None:
        added = " (this pull request adds it)" if changed else ""
        raise ConfigError(
            [
                _whole_file(
                    path,
                    f"no config at the base commit {ref[:7]}{added}: apiq-gate reads its config from "
                    "the trusted side, the pull request's base, never from the pull request",
                    "merge the config into the base branch first, then re-run (or set `config`)",
                )
            ]
        )
    return Config(
        checklist=loads(text, path),
        label=f"{path}@{ref[:7]}",
        ref=ref,
        changed_by_pr=changed,
        change_unchecked=unchecked,
    )


def read_template(settings: Settings, event: EventRun, read_file: ReadFile) -> Path | None:
    """The comment template as a local file, read from the same trusted side as the config."""
    if settings.template is None:
        return None
    if event.config_ref is None:
        return settings.workspace / settings.template
    text = read_file(settings.template, event.config_ref)
    if text is None:
        raise UsageError(
            f"input `template`: {settings.template} does not exist at the base commit "
            f"{event.config_ref[:7]}; like the config, the template is read from the trusted side: "
            "merge it first"
        )
    local = Path(tempfile.mkdtemp(prefix="apiq-gate-template-")) / Path(settings.template).name
    local.write_text(text, encoding="utf-8")
    return local


def _read_checkout(settings: Settings, path: str) -> bytes:
    try:
        with (settings.workspace / path).open("rb") as handle:
            return handle.read(MAX_BYTES + 1)  # loads() refuses anything larger, and says so
    except FileNotFoundError:
        hint = "run actions/checkout before apiq-gate, or set the `config` input (from the root)"
        raise ConfigError([_whole_file(path, "config file not found in the checkout", hint)]) from None
    except OSError as exc:
        raise ConfigError([_whole_file(path, f"cannot be read: {exc.strerror}")]) from None


def _whole_file(path: str, message: str, hint: str = "") -> Problem:
    return Problem(file=path, line=1, column=1, path="", message=message, hint=hint)
