"""Read the task-list lines (`- [ ]` / `- [x]`) of a Markdown checklist, with their headings.

Shared by the `checklist` evidence (is this line ticked?) and `apiq-gate import` (turn a
document into a config), so both read a document the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TASK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s+(.*\S)\s*$")  # GitHub ticks `1. [ ]` too
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")
_NUMBERING = re.compile(r"^\s*(\d+[.)]|[IVX]+\.)\s+")
_BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*:?\s*(.*)$")


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskLine:
    line: int  # 1-based
    headings: tuple[tuple[int, str], ...]  # (level, plain text) of the headings above it
    text: str  # the whole line, decoration removed: "SSL Certificate: Valid SSL certificate installed"
    title: str  # the bold lead if there is one, else the text
    description: str  # what follows the bold lead
    ticked: bool


def plain(text: str) -> str:
    """Heading or item text without emoji, bold/italic/code marks or numbering."""
    text = _EMOJI.sub("", text)
    text = _LINK.sub(r"\1", text)  # [text](url) reads as its text
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])", r"\1", text)  # *italic*, _italic_
    text = _NUMBERING.sub("", text)
    return " ".join(text.split())


def normalize(text: str) -> str:
    """The form in which a config's `item:` and a document's line are compared."""
    return plain(text).casefold().rstrip(".")


def task_lines(markdown: str) -> list[TaskLine]:
    headings: list[tuple[int, str]] = []
    tasks = []
    in_fence = False
    for number, raw in enumerate(markdown.splitlines(), start=1):
        if raw.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if heading := _HEADING.match(raw):
            level = len(heading[1])
            headings = [h for h in headings if h[0] < level] + [(level, plain(heading[2]))]
        elif task := _TASK.match(raw):
            body = _EMOJI.sub("", task[2]).strip()
            lead = _BOLD_LEAD.match(body)
            title, description = (lead[1].strip(), lead[2].strip()) if lead else (plain(body), "")
            text = f"{plain(title)}: {plain(description)}" if description else plain(title)
            tasks.append(
                TaskLine(
                    line=number,
                    headings=tuple(headings),
                    text=text,
                    title=plain(title),
                    description=plain(description),
                    ticked=task[1] in "xX",
                )
            )
    return tasks


def matching(tasks: Iterable[TaskLine], item: str, under: str = "") -> list[TaskLine]:
    """The task lines an `item:` (whole text or bold lead) names, under the heading `under`:
    a heading equal to it if there is one, else any heading containing it."""
    wanted = normalize(item)
    named = [task for task in tasks if wanted in (normalize(task.text), normalize(task.title))]
    if not under:
        return named
    heading = normalize(under)
    exact = [t for t in named if any(normalize(h) == heading for _, h in t.headings)]
    return exact or [t for t in named if any(heading in normalize(h) for _, h in t.headings)]
