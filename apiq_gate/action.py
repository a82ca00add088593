"""The GitHub Action: the one place that builds the real things and wires one run together.

    settings -> event -> trusted config -> masks -> run the gate -> report file, log, annotations
             -> publish (comment, check run or commit status) -> job summary, outputs -> exit code

Whatever happens, the job summary and the outputs are written, and no traceback reaches the
user: our errors become one `::error::` line and a summary section (exit 2, or 1 for a failing
gate), anything else is a bug (exit 3) reported in one line. GitHub's failures never change the
verdict's exit code (see action_decisions.exit_code).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from apiq_gate import __version__
from apiq_gate.action_decisions import exit_code, log_notes, outputs
from apiq_gate.action_publish import Publication, Target, publish, with_fork_advice
from apiq_gate.action_secrets import secret_values
from apiq_gate.action_sources import Config, read_config, read_event, read_template
from apiq_gate.comment import RunInfo, check_title, render_step_summary
from apiq_gate.errors import ISSUES_URL, ConfigError, ExitCode, GateError, UsageError
from apiq_gate.events import EventRun, describe_event
from apiq_gate.github import GITHUB_ACTIONS_BOT, GitHub, GitHubError
from apiq_gate.report_io import format_report, report_to_data
from apiq_gate.run import RunOptions, run
from apiq_gate.settings import Settings, input_env
from apiq_gate.workflow import Runtime, add_mask, command, error, warning

CONFIG_TITLE = "apiq-gate: the config has problems"


def main() -> None:
    """The Docker entrypoint's one call."""
    sys.exit(run_action(os.environ))


def run_action(
    environ: Mapping[str, str],
    *,
    emit: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """One run of the Action; returns the exit code."""
    # The token first: nothing else may be printed before every secret is masked.
    for line in add_mask(environ.get(input_env("github-token"), "")):
        emit(line)
    runtime = Runtime(
        output_path=_path(environ.get("GITHUB_OUTPUT")),
        summary_path=_path(environ.get("GITHUB_STEP_SUMMARY")),
        emit=emit,
    )
    try:
        return _run(environ, runtime, sleep)
    except ConfigError as exc:
        # Each problem as an annotation on its line of the config, where the author looks.
        for problem in exc.problems:
            runtime.emit(error(str(problem), file=problem.file, line=problem.line, title=CONFIG_TITLE))
        return _could_not_run(runtime, CONFIG_TITLE, [str(p) for p in exc.problems], exc.exit_code)
    except GateError as exc:
        runtime.emit(error(str(exc), title="apiq-gate could not run"))
        return _could_not_run(runtime, "apiq-gate could not run", [str(exc)], exc.exit_code)
    except Exception as exc:  # the one place that catches everything: a bug, said in one line
        message = (
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in apiq-gate {__version__}; "
            f"please report it at {ISSUES_URL} with this job's log."
        )
        runtime.emit(error(message, title="apiq-gate failed unexpectedly"))
        return _could_not_run(runtime, "apiq-gate failed unexpectedly", [message], ExitCode.UNEXPECTED)


def _run(environ: Mapping[str, str], runtime: Runtime, sleep: Callable[[float], None]) -> int:
    settings = Settings.from_environ(environ)
    event = describe_event(settings.event_name, read_event(settings), settings)
    if event.skip:
        runtime.emit(command("notice", f"apiq-gate has nothing to do: {event.skip}."))
        runtime.append_summary(f"## apiq-gate\n\nNothing to do: {event.skip}.\n")
        runtime.set_outputs(outputs(None, verdict="skipped", report_path="", comment_url="", check_url=""))
        return ExitCode.PASSED
    github = _Client(settings, sleep)
    try:
        config = read_config(settings, event, github.read_file)
        template = read_template(settings, event, github.read_file)
    except GitHubError as exc:
        raise with_fork_advice(exc, event.fork) from None
    for value in secret_values(config.checklist, environ):
        runtime.mask(value)  # before the gate touches them, and before anything else is printed
    for said in event.notes:
        runtime.emit(command("notice", f"apiq-gate: {said}."))
    if config.change_unchecked:
        runtime.emit(
            warning(
                "Could not check whether this pull request changes the gate's config; it is judged by "
                f"the base branch's config all the same. {config.change_unchecked}"
            )
        )

    runtime.group(f"apiq-gate: {config.checklist.name}")
    try:
        report = run(
            config.checklist,
            RunOptions(
                root=settings.root,
                environ=dict(environ),
                phase=event.phase,
                environment=event.environment,
                fail_on=settings.fail_on,
                config_label=config.label,
                wait=settings.wait,
            ),
        )
        data = report_to_data(report)
        _print_literally(runtime, format_report(report, "text"))
    finally:
        runtime.end_group()
    report_path = settings.workspace / settings.report_file
    report_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for note in log_notes(data):
        show = error if note.level == "failure" else warning
        runtime.emit(show(note.message, file=note.path, line=note.line, title=note.title or None))

    info = _run_info(settings, event, config)
    runtime.group("apiq-gate: publishing on GitHub")
    try:
        done = github.publish(Target(report=data, run=info, event=event, settings=settings, template=template))
    finally:
        runtime.end_group()
    for text in done.warnings:
        runtime.emit(warning(text))
    for text in done.problems:
        runtime.emit(error(text))
    runtime.emit(f"apiq-gate: {check_title(data)}")

    runtime.append_summary(render_step_summary(data, info, done.previous) + _publishing_notes(done))
    runtime.set_outputs(
        outputs(
            data,
            report_path=settings.report_file,
            comment_url=done.comment_url,
            check_url=done.check_url,
        )
    )
    if done.template_failed:
        return ExitCode.BAD_INPUT
    return exit_code(str(data["verdict"]), settings.fail_on)


class _Client:
    """The GitHub layer, built on first use: a run that never talks to GitHub needs no token."""

    def __init__(self, settings: Settings, sleep: Callable[[float], None]) -> None:
        self._settings, self._sleep = settings, sleep
        self._github: GitHub | None = None

    def get(self) -> GitHub:
        if self._github is None:
            token = self._settings.github_token
            if not token:
                raise UsageError("input `github-token` is empty; leave it at its default, the workflow token")
            self._github = GitHub(
                token=token,
                api_url=self._settings.api_url,
                repository=self._settings.repository,
                sleep=self._sleep,
                # An installation token (`ghs_`) has no user: GET /user answers 403. The workflow
                # token writes as github-actions[bot]; a GitHub App's as `bot-login` says.
                login=self._settings.bot_login or (GITHUB_ACTIONS_BOT if token.startswith("ghs_") else None),
            )
        return self._github

    def read_file(self, path: str, ref: str) -> str | None:
        return self.get().read_file(path, ref)

    def publish(self, target: Target) -> Publication:
        try:
            github = self.get()
        except (GitHubError, UsageError) as exc:
            return Publication(problems=[f"Nothing was published on GitHub: {exc}"])
        try:
            return publish(github, target)
        finally:
            github.close()


def _run_info(settings: Settings, event: EventRun, config: Config) -> RunInfo:
    return RunInfo(
        repository=settings.repository,
        sha=event.head_sha,
        ref=event.ref or settings.ref,
        event=event.event,
        run_id=settings.run_id,
        run_attempt=settings.run_attempt,
        run_url=settings.run_url,
        config_path=settings.config,
        config_ref=config.ref,
        config_changed_by_pr=config.changed_by_pr,
        config_change_unchecked=bool(config.change_unchecked),
        pr_number=event.pr_number,
        server_url=settings.server_url,
        check_name=settings.check_name,
    )


def _print_literally(runtime: Runtime, text: str) -> None:
    """Print text holding outside strings (titles, reasons): no line of it may act as a command."""
    token = f"apiq-gate-{uuid.uuid4().hex}"
    runtime.emit(command("stop-commands", token))
    for line in text.rstrip("\n").splitlines():
        runtime.emit(line)
    runtime.emit(f"::{token}::")


def _publishing_notes(done: Publication) -> str:
    lines = [f"> [!CAUTION]\n> {' '.join(text.split())}\n" for text in done.problems]
    lines += [f"> [!WARNING]\n> {' '.join(text.split())}\n" for text in done.warnings]
    return "\n### Publishing on GitHub\n\n" + "\n".join(lines) if lines else ""


def _could_not_run(runtime: Runtime, headline: str, lines: list[str], exit_with: int) -> int:
    """No verdict: the summary says why and the outputs say `error`; the exit code is never 0."""
    body = "\n".join(f"- {' '.join(line.split())}" for line in lines)
    runtime.append_summary(
        f"## ⛔ apiq-gate: {headline}\n\n{body}\n\n"
        f"No verdict was reached, so the gate does not pass (exit code {int(exit_with)}).\n"
    )
    runtime.set_outputs(outputs(None, verdict="error", report_path="", comment_url="", check_url=""))
    return int(exit_with)


def _path(value: str | None) -> Path | None:
    return Path(value) if value and value.strip() else None
