"""The `apiq-gate` command line: click options in, typed calls out. No logic lives here.

Heavy modules are imported inside the commands so that `apiq-gate --help` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from apiq_gate import __version__
from apiq_gate.errors import ISSUES_URL, ConfigError, ExitCode, GateError, UsageError

DEFAULT_CONFIG = ".github/apiq-gate.yml"
FORMATS = ("text", "json", "markdown")


class GateGroup(click.Group):
    """Turns our errors into messages and exit codes; no traceback reaches the user."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} in the config", err=True)
            ctx.exit(ExitCode.BAD_INPUT)
        except GateError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except Exception as exc:
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc}. This is a bug in apiq-gate {__version__}; "
                f"please report it at {ISSUES_URL} with the command you ran.",
                err=True,
            )
            ctx.exit(ExitCode.UNEXPECTED)


@click.group(cls=GateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="apiq-gate")
def cli() -> None:
    """apiq-gate: your go-live checklist as config, enforced as a gate.

    \b
    Exit codes:
      0  the gate passed
      1  the gate failed, or required items await sign-off
      2  bad config or bad usage
      3  unexpected error (a bug: please report it)
      130  interrupted (Ctrl-C)
    """


def main() -> None:
    cli(prog_name="apiq-gate")


def _echo(text: str, *, nl: bool = True) -> None:
    """click.echo, where a reader that went away (`apiq-gate check | head`) is no error: the
    rest of the output is dropped and the exit code stays the verdict."""
    try:
        click.echo(text, nl=nl)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write(text: str, output: Path | None) -> None:
    """To standard output (`-` too), or to a file."""
    if output is None or str(output) == "-":
        _echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


config_option = click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The checklist config.",
)
output_option = click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE instead of standard output."
)


@cli.command()
@config_option
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=".",
    show_default=True,
    help="Repository root; evidence paths resolve from here.",
)
@click.option("--phase", help="Evaluate only the items of this phase (default: every item).")
@click.option("--environment", "-e", help="Target environment (default: the config's default, else the first).")
@click.option(
    "--fail-on",
    type=click.Choice(["required", "recommended", "never"]),
    default="required",
    show_default=True,
    help="Which failing items fail the gate.",
)
@click.option(
    "--wait",
    "wait_for",
    metavar="DURATION",
    help="Re-check failing probes until they pass or DURATION (e.g. 10m) ends.",
)
@click.option(
    "--wait-interval",
    metavar="DURATION",
    default="15s",
    show_default=True,
    help="Pause between re-checks in wait mode.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 512),
    help="Probes run at once (default: the config's defaults.concurrency).",
)
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@output_option
def check(
    config_path: Path,
    root: Path,
    phase: str | None,
    environment: str | None,
    fail_on: str,
    wait_for: str | None,
    wait_interval: str,
    concurrency: int | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Evaluate the checklist and exit with the verdict."""
    from apiq_gate import report_io  # noqa: PLC0415
    from apiq_gate.config import load  # noqa: PLC0415
    from apiq_gate.evaluate import exit_code  # noqa: PLC0415
    from apiq_gate.model import FailOn  # noqa: PLC0415
    from apiq_gate.run import RunOptions, run  # noqa: PLC0415

    checklist = load(config_path)
    options = RunOptions(
        root=root,
        environ=dict(os.environ),
        phase=phase,
        environment=environment,
        fail_on=FailOn(fail_on),
        config_label=str(config_path),
        max_workers=concurrency,
        wait=_wait(wait_for, wait_interval),
    )
    report = run(checklist, options)
    _write(report_io.format_report(report, fmt), output)
    sys.exit(exit_code(report))


def _wait(timeout: str | None, interval: str) -> Any:
    """`--wait 10m --wait-interval 15s` as the probes' Wait, or None."""
    if timeout is None:
        return None
    from apiq_gate.config_types import Duration, parse_duration  # noqa: PLC0415
    from apiq_gate.probes.base import Wait  # noqa: PLC0415

    def positive(text: str, option: str, example: str) -> Duration:
        try:
            seconds = parse_duration(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None
        if seconds <= 0:  # a zero interval would re-check without pause, hammering the target
            raise click.BadParameter(f"must be more than 0s, e.g. {example}", param_hint=f"'{option}'")
        return Duration(seconds)

    return Wait(timeout=positive(timeout, "--wait", "10m"), interval=positive(interval, "--wait-interval", "15s"))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG)
def validate(path: Path) -> None:
    """Check a config and print every problem (exit 0 if valid, 2 if not)."""
    from apiq_gate.config import load  # noqa: PLC0415

    checklist = load(path)
    items = checklist.items()
    click.echo(
        f"{path}: valid ({len(checklist.sections)} sections, {len(items)} items, {len(checklist.waivers)} waivers)"
    )


@cli.command()
@output_option
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the config (for editors)."""
    from apiq_gate.schema import config_schema_text  # noqa: PLC0415

    _write(config_schema_text(), output)


@cli.command("import")
@click.argument("checklist", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--name", help="The gate's name (default: the document's first heading).")
@click.option(
    "--document", help="Path of the document in the repository, for `checklist` evidence (default: CHECKLIST as given)."
)
@output_option
def import_(checklist: Path, name: str | None, document: str | None, output: Path | None) -> None:
    """Turn a Markdown checklist (- [ ] / - [x] lines) into a config."""
    from apiq_gate.importer import import_markdown  # noqa: PLC0415

    text = checklist.read_text(encoding="utf-8", errors="replace")
    _write(import_markdown(text, document=document or checklist.as_posix(), name=name), output)


@cli.command()
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="apiq-gate-demo",
    show_default=True,
    help="Where the demo writes its report files.",
)
def demo(output_dir: Path) -> None:
    """Run the gate on a built-in demo: local targets only, no token, no config."""
    from apiq_gate.demo import run_demo  # noqa: PLC0415

    sys.exit(run_demo(output_dir, echo=_echo))


@cli.command("render")
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--html",
    "as_html",
    is_flag=True,
    help="A standalone HTML page, rendered by cmark-gfm and styled like a GitHub comment.",
)
@click.option(
    "--template",
    "-t",
    "view",
    default="comment",
    show_default=True,
    metavar="VIEW|PATH",
    help="comment, check-summary, check-text, step-summary or report; or the path of your own comment template.",
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="REPORT.json",
    help="An earlier saved report: show what changed since it.",
)
@output_option
def render_(report: Path, as_html: bool, view: str, previous: Path | None, output: Path | None) -> None:
    """Show a saved JSON report (from `check --format json`) as reviewers will see it."""
    from apiq_gate.preview import render_report  # noqa: PLC0415

    _write(render_report(report, view=view, html=as_html, previous=previous), output)
