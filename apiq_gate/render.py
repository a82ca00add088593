"""The one jinja2 environment: every report, comment and summary renders from templates/.

Sandboxed, because a repository may bring its own template (it renders here too and may
extend ours), and strict: a misspelt variable is an error, not an empty string. Filters are
the small pure functions of `render_filters`; `report_view` builds what templates receive.

In Markdown templates (ours, `*.md.j2`, and a repository's) every text printed with `{{ }}`
that no filter made safe is escaped like `md` on its way out (`finalize`): a repository
template that prints `{{ item.title }}` cannot add structure or ping anyone. What our filters
return, macros' output and `marker`, `state_block` and `full_report` are `Markup` and print as
they are. The terminal report and the HTML page shell are not Markdown and are left alone.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.nodes import EvalContext
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from apiq_gate.errors import GateError
from apiq_gate.render_filters import FILTERS, escape_text
from apiq_gate.report_view import run_context, template_context

CUSTOM_TEMPLATE_MAX_BYTES = 256 * 1024
CUSTOM_ORIGIN = "<template>"  # the file name jinja gives templates compiled from a string


class TemplateError(GateError):
    """A template could not be loaded or rendered."""


def templates_dir() -> Path:
    """templates/ of a checkout, or the copy installed as the package `apiq_gate.templates`."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    import apiq_gate.templates  # type: ignore[import-not-found]  # noqa: PLC0415  (in installed wheels only)

    return Path(next(iter(apiq_gate.templates.__path__)))


def shipped_templates() -> list[str]:
    return sorted(p.name for p in templates_dir().glob("*.j2") if not p.name.startswith("_"))


@functools.cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=_is_markdown,  # so that macros and filters yield Markup, which `finalize` leaves alone
        finalize=_escape_unsafe,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def _is_markdown(name: str | None) -> bool:
    """Our `*.md.j2`, and a repository's template (compiled from a string: no name)."""
    return name is None or name.endswith(".md.j2")


@jinja2.pass_eval_context
def _escape_unsafe(eval_ctx: EvalContext, value: Any) -> Any:
    """`{{ value }}` in a Markdown template: text no filter made safe is escaped like `md`, lines kept."""
    if eval_ctx.autoescape and isinstance(value, str) and not isinstance(value, Markup):
        return escape_text(value)
    return value


def render(template: str, report: Mapping[str, Any], **context: Any) -> str:
    """Render a shipped template with the JSON report data (a local run unless `context` says otherwise)."""
    variables = template_context(report, run=run_context({}), target=template.split(".", maxsplit=1)[0])
    return render_shipped(template, {**variables, **context})


def render_shipped(name: str, context: Mapping[str, Any]) -> str:
    try:
        return environment().get_template(name).render(context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {name} could not be rendered: {_describe(exc)}") from None


def compile_custom(source: str, origin: str) -> jinja2.Template:
    """A repository's template, compiled in the same sandbox; it may extend or import ours."""
    try:
        return environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{origin}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{origin}: {_describe(exc)}") from None


def render_custom(template: jinja2.Template, origin: str, context: Mapping[str, Any]) -> str:
    try:
        return template.render(context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(origin, exc)}: {_describe(exc)}") from None
    except Exception as exc:
        raise TemplateError(f"{_where(origin, exc)}: {type(exc).__name__}: {exc}") from None


def read_custom(path: Path | str) -> str:
    """The text of a repository's template, with the faults a user can make named plainly."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"template {path} not found (the `template` input is a path in the repository)") from None
    except IsADirectoryError:
        raise TemplateError(f"template {path} is a directory; give the path of a .j2 file") from None
    except OSError as exc:
        raise TemplateError(f"template {path} cannot be read: {exc.strerror}") from None
    if len(data) > CUSTOM_TEMPLATE_MAX_BYTES:
        raise TemplateError(
            f"template {path} is {len(data):,} bytes; templates may have at most {CUSTOM_TEMPLATE_MAX_BYTES:,}"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(f"template {path} is not UTF-8 text (byte {exc.start})") from None


def _describe(exc: Exception) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message}; docs/templates.md lists the variables a template receives"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"no template named '{exc.name}' (shipped: {', '.join(shipped_templates())})"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"not allowed in a sandboxed template: {exc}"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.name or 'template'}:{exc.lineno}: {exc.message}"
    return str(exc)


def _where(origin: str, exc: BaseException) -> str:
    """`origin:line` of the innermost frame of the repository's template, if the traceback has one."""
    line = None
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CUSTOM_ORIGIN:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"{origin}:{line}" if line else origin
