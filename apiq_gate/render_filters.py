"""The filters templates use: small pure functions from a value to text.

Text that comes from outside (response bodies, header values, config strings, PR titles)
reaches Markdown only through `md` (prose) or `code` (a code span). Both collapse it to one
line and clip it, so it can open no block of its own; `md` turns every character that could
start Markdown or HTML into a numeric character reference, which CommonMark shows as the
literal character both in Markdown and inside our `<summary>` HTML, and breaks `@mentions`,
`#123` references and autolinks with an invisible joiner, so a response body can neither
add structure nor ping anyone.

Filters whose output is Markdown we made (`md`, `code`, `linked`, `href`) return it as
`markupsafe.Markup`: Markdown templates print every other text through `escape_text` (the
environment's `finalize`), so a repository template's `{{ item.title }}` is inert too, and
what a filter already made safe is not escaped twice.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from markupsafe import Markup

ZWJ = "\u200d"  # invisible; GitHub's mention and reference filters no longer match across it
ELLIPSIS = "…"

STATUS_ICONS = {
    "pass": "✅",
    "fail": "❌",
    "error": "❗",
    "pending": "⏳",
    "waived": "🟡",
    "skipped": "⏭️",
}
VERDICT_WORDS = {"pass": "PASSED", "fail": "FAILED", "pending": "AWAITING SIGN-OFF"}

# C0/C1 controls (the terminal's escape sequences among them), DEL, and the bidirectional
# overrides that make text read differently from what it is ("Trojan Source").
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# `&` first, so the references made after it are not encoded again.
_ENCODE = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), *((c, f"&#{ord(c)};") for c in "*`[]~|\\$"))
_MENTION = re.compile(r"@(?=\w)")  # @user, @org/team, and e-mail autolinks
_REFERENCE = re.compile(r"#(?=\d)")  # #123, owner/repo#123
_GH_REFERENCE = re.compile(r"(?i)GH-(?=\d)")
_URL_SCHEME = re.compile(r":(?=//)")  # https://… autolinks
_WWW = re.compile(r"(?i)www\.")
# What would open a list, a heading, a thematic break or a setext underline at a line's start.
_BLOCK_START = re.compile(r"^(?:[-+]|\d{1,9}[.)]|#{1,6})(?=\s|$)|^[-=]{2,}")
_BACKTICKS = re.compile(r"`+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)


def one_line(text: object, limit: int | None = None) -> str:
    """`text` as a single line of visible characters, at most `limit` long (an ellipsis marks the cut)."""
    raw = "" if text is None else str(text)
    # Only a prefix can show; cleaning a megabyte of response body to keep 300 characters is waste.
    bound = None if limit is None else 2 * limit + 64
    cut = bound is not None and len(raw) > bound
    line = " ".join(_INVISIBLE.sub("", raw[:bound] if cut else raw).split())
    if limit is not None and (cut or len(line) > limit):
        return line[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return line


def md(text: object, limit: int | None = None) -> Markup:
    """Outside text as inert Markdown prose: safe in paragraphs, list items and `<summary>`."""
    return Markup(_inert(one_line(text, limit)))


def escape_text(text: str) -> Markup:
    """Text printed without a filter, made inert like `md` but line by line and unclipped.

    Templates print their own literals (a separator, a line break) through this too, so spacing
    and line breaks stay as written; a line that would open a block is disarmed at its start.
    """
    return Markup("\n".join(_inert(_INVISIBLE.sub("", line)) for line in _LINE_BREAK.split(text)))


def _inert(line: str) -> str:
    """One line with every character that could make Markdown or HTML structure, a mention or a link encoded."""
    if "@" in line:
        line = _MENTION.sub("@" + ZWJ, line)
    if "#" in line:
        line = _REFERENCE.sub("#" + ZWJ, line)
    lowered = line.lower()
    if "gh-" in lowered:
        line = _GH_REFERENCE.sub(lambda m: m.group(0)[:2] + ZWJ + "-", line)
    escaped = line
    for char, reference in _ENCODE:
        if char in escaped:
            escaped = escaped.replace(char, reference)
    if "_" in escaped:
        escaped = _escape_edge_underscores(escaped)
    if "://" in escaped:
        escaped = _URL_SCHEME.sub("&#58;", escaped)
    if "www." in lowered:
        escaped = _WWW.sub(lambda m: m.group(0)[:3] + "&#46;", escaped)
    if match := _BLOCK_START.match(escaped):
        escaped = f"&#{ord(match.group(0)[0])};" + escaped[1:]
    return escaped


def _escape_edge_underscores(text: str) -> str:
    """`_` opens or closes emphasis only at a word's edge; between two letters or digits it is inert."""
    parts, start, index = [], 0, text.find("_")
    while index != -1:
        if not (0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()):
            parts += [text[start:index], "&#95;"]
            start = index + 1
        index = text.find("_", index + 1)
    return "".join(parts) + text[start:]


def code(text: object, limit: int | None = None) -> Markup:
    """Outside text as one inline code span: the fence outgrows any backtick run inside."""
    line = one_line(text, limit)
    if not line:
        return Markup("")
    longest = max((len(run) for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * (longest + 1)
    # A span may not start or end with a backtick of its own; one space each side is
    # stripped again by CommonMark, so the reader sees the text exactly.
    pad = " " if line[0] == "`" or line[-1] == "`" else ""
    return Markup(f"{fence}{pad}{line}{pad}{fence}")


def href(url: object) -> Markup:
    """`url` as a safe link destination if it is plain http(s), else empty."""
    target = str(url or "").strip()
    if not _SAFE_URL.match(target):
        return Markup("")
    # Parentheses and brackets would end the destination early; percent-encode them.
    return Markup(quote(target, safe=":/?&=%+,;@!$'*#~-._"))


def linked(label: object, url: object) -> Markup:
    """`label` as a link to `url`; the label alone if the URL is not http(s).

    A label our filters made (Markup) is kept as it is; plain text is escaped by `md` first.
    """
    text = label if isinstance(label, Markup) else md(label)
    target = href(url)
    return Markup(f"[{text}]({target})") if target and text else text


def plain(text: object, limit: int | None = None) -> str:
    """Outside text for the terminal: one line, no control characters (no escape sequences)."""
    return one_line(text, limit)


def status_icon(status: str) -> str:
    return STATUS_ICONS.get(str(status), "❔")


def verdict_word(verdict: str) -> str:
    return VERDICT_WORDS.get(str(verdict), str(verdict).upper())


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def duration(seconds: float) -> str:
    """0.042 → `42 ms`, 3.21 → `3.2 s`, 125 → `2 min 5 s`."""
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def days_left(days: int) -> str:
    if days < 0:
        return f"expired {plural(-days, 'day')} ago"
    if days == 0:
        return "last day today"
    return f"{plural(days, 'day')} left"


def short_sha(sha: str) -> str:
    sha = str(sha)
    return sha[:7] if re.fullmatch(r"[0-9a-fA-F]{8,64}", sha) else one_line(sha, 12)


def short_ref(ref: str, limit: int = 100) -> str:
    """A git ref for display: a full commit SHA as its first 7 characters, a branch or tag name whole."""
    ref = str(ref)
    return ref[:7] if re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", ref) else one_line(ref, limit)


def timestamp(iso: str) -> str:
    """An ISO 8601 time as `2026-11-02 09:30 UTC`; other text as one clipped line, not escaped
    (the same filter serves the terminal): Markdown templates pipe it on through `md`."""
    try:
        moment = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return one_line(iso, 40)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def thousands(number: int) -> str:
    return f"{number:,}"


FILTERS = {
    "md": md,
    "code": code,
    "href": href,
    "linked": linked,
    "plain": plain,
    "status_icon": status_icon,
    "verdict_word": verdict_word,
    "plural": plural,
    "duration": duration,
    "days_left": days_left,
    "short_sha": short_sha,
    "short_ref": short_ref,
    "timestamp": timestamp,
    "thousands": thousands,
}
