"""`apiq-gate import`: turn a Markdown checklist into a config whose items point back at it.

`##` headings become sections, deeper headings the items' groups, and every `- [ ]` /
`- [x]` line an item with `checklist` evidence on that very line, so the document a team
already keeps stays the source of truth: ticking a line there passes its item.

Ids are slugs qualified by their section (`environment-setup.rate-limiting`) and, where a
title repeats within a section, by its group too (`...openai-integration.rate-limits`),
so they read well in reports and stay put when lines are added elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from apiq_gate.errors import GateError, UsageError
from apiq_gate.markdown_checklist import TaskLine, matching, task_lines

SECTION_LEVEL = 2  # `##` headings are sections; deeper ones are groups
MAX_SLUG_LENGTH = 48  # ids stay readable in a report row
FALLBACK_SECTION = "Checklist"


class NothingToImport(GateError):
    """The document has no task-list lines, so there is no checklist to import."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportedItem:
    id: str
    title: str
    description: str
    group: str
    task: TaskLine
    under: str  # a heading that tells this line apart from a line with the same text, or ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportedSection:
    id: str
    title: str
    items: tuple[ImportedItem, ...]


def import_markdown(text: str, *, document: str, name: str | None) -> str:
    """The config (YAML text) for the Markdown checklist `text`, kept in the repo at `document`."""
    _check_document_path(document)
    tasks = task_lines(text)
    if not tasks:
        raise NothingToImport(
            f"{document} has no checklist lines to import; "
            "items are Markdown task-list lines such as `- [ ] **Backups**: nightly backups`"
        )
    sections = plan_sections(tasks)
    return render_config(sections, document=document, name=name or _default_name(tasks, document))


def plan_sections(tasks: Sequence[TaskLine]) -> list[ImportedSection]:
    """Sections with their items, in document order, with unique ids."""
    by_key: dict[tuple[str, str], list[TaskLine]] = {}
    for task in tasks:
        by_key.setdefault(_section_key(task), []).append(task)
    section_ids = unique_ids([_section_id_candidates(key) for key in by_key])
    drafts = [
        (sid, _section_title(key), members) for sid, (key, members) in zip(section_ids, by_key.items(), strict=True)
    ]
    groups = {sid: _groups(members) for sid, _, members in drafts}
    unders = _distinguishing_headings(tasks)
    item_ids = iter(
        unique_ids(
            [
                _item_id_candidates(sid, task, group)
                for sid, _, members in drafts
                for task, group in zip(members, groups[sid], strict=True)
            ]
        )
    )
    return [
        ImportedSection(
            id=sid,
            title=title,
            items=tuple(
                ImportedItem(
                    id=next(item_ids),
                    title=task.title,
                    description=task.description,
                    group=group,
                    task=task,
                    under=unders.get(task.line, ""),
                )
                for task, group in zip(members, groups[sid], strict=True)
            ),
        )
        for sid, title, members in drafts
    ]


def _item_id_candidates(section_id: str, task: TaskLine, group: str) -> list[str]:
    own = slug(task.title)
    qualified = [f"{section_id}.{slug(group)}.{own}"] if group else []
    return [f"{section_id}.{own}", *qualified]


def slug(text: str, *, fallback: str = "item") -> str:
    """`SSL/TLS Testing` -> `ssl-tls-testing`: lowercase ASCII words joined by `-`, cut at a word"""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    result = ""
    for word in re.findall(r"[a-z0-9]+", ascii_text.lower()):
        longer = f"{result}-{word}" if result else word
        if len(longer) > MAX_SLUG_LENGTH:
            return result or longer[:MAX_SLUG_LENGTH]
        result = longer
    return result or fallback


def unique_ids(candidates: Sequence[Sequence[str]]) -> list[str]:
    """For each entry the least qualified of its candidate ids that no other entry shares.

    Entries whose first candidate collides move on to their next, more qualified one, all
    of them together (so two "Rate Limits" read alike). Only entries that stay identical at
    their last candidate, i.e. truly repeated lines, get a `-2`, `-3` suffix in order.
    """
    level = [0] * len(candidates)
    while True:
        chosen = [options[index] for options, index in zip(candidates, level, strict=True)]
        counts = _counts(chosen)
        moved = False
        for n, options in enumerate(candidates):
            if counts[chosen[n]] > 1 and level[n] + 1 < len(options):
                level[n] += 1
                moved = True
        if not moved:
            break
    seen: dict[str, int] = {}
    result: list[str] = []
    for value in chosen:
        seen[value] = seen.get(value, 0) + 1
        result.append(value if seen[value] == 1 else f"{value}-{seen[value]}")
    return result


def _counts(values: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _check_document_path(document: str) -> None:
    # `checklist` evidence reads the document from the repository root at run time.
    outside = document.startswith(("/", "\\")) or ".." in PurePosixPath(document).parts
    if outside or not document.strip():
        raise UsageError(
            f"'{document}' is not a path inside the repository; pass --document with the "
            "document's path from the repository root, e.g. --document docs/go-live-checklist.md"
        )


def _heading(task: TaskLine, level: int) -> str:
    return next((text for lvl, text in task.headings if lvl == level), "")


def _section_key(task: TaskLine) -> tuple[str, str]:
    """(`#` title, `##` title): lines before any `##` belong to the document's title."""
    return _heading(task, 1), _heading(task, SECTION_LEVEL)


def _section_title(key: tuple[str, str]) -> str:
    top, section = key
    return section or top or FALLBACK_SECTION


def _section_id_candidates(key: tuple[str, str]) -> list[str]:
    own = slug(_section_title(key), fallback="section")
    return [own, f"{slug(key[0], fallback='document')}.{own}"] if key[0] and key[1] else [own]


def _groups(members: Sequence[TaskLine]) -> list[str]:
    """Each line's headings below its section, without the ones every line of the section shares.

    The seed nests all of "Environment Setup" under one "Production Environment Configuration"
    heading: repeating it on every group would only add noise. A heading is kept, though, when
    it is all a line has (a section with a single group keeps its group).
    """
    paths = [[text for level, text in task.headings if level > SECTION_LEVEL] for task in members]
    shared = 0
    while all(len(p) > shared for p in paths) and len({p[shared] for p in paths}) == 1:
        shared += 1
    drop = max(0, min(shared, min(len(p) for p in paths) - 1))
    return [" / ".join(p[drop:]) for p in paths]


def _distinguishing_headings(tasks: Sequence[TaskLine]) -> dict[int, str]:
    """Line number -> a heading for `under:`, for lines whose text would also match another line.

    Mirrors how `checklist` evidence finds its line: by normalized text or bold lead, among
    the lines under a heading containing `under`.
    """
    result: dict[int, str] = {}
    for task in tasks:
        if len(matching(tasks, task.text)) == 1:
            continue
        for _, heading in reversed(task.headings):  # the closest heading reads best
            if heading and matching(tasks, task.text, heading) == [task]:
                result[task.line] = heading
                break
        # Identical lines under identical headings stay ambiguous: the run reports it.
    return result


def _default_name(tasks: Sequence[TaskLine], document: str) -> str:
    titles = (_heading(task, 1) for task in tasks)
    return next((t for t in titles if t), PurePosixPath(document).stem)


# --- the YAML -----------------------------------------------------------------------


def render_config(sections: Sequence[ImportedSection], *, document: str, name: str) -> str:
    """Readable, deterministic YAML: a header, the top-level keys, then one block per section."""
    one_line = " ".join(document.split())
    count = sum(len(s.items) for s in sections)
    header = (
        "# apiq-gate config imported by `apiq-gate import` from:\n"
        f"#   {one_line} ({count} items)\n"
        "# Each item passes when its line is ticked (`- [x]`) in that document, which stays\n"
        "# the source of truth. Where a machine can check an item, replace its `checklist`\n"
        "# evidence with `file`, `env` or probe evidence.\n"
        "# Check this file with: apiq-gate validate FILE\n"
    )
    top = _dump({"version": 1, "name": name, "defaults": {"severity": "required"}})
    blocks = [_dump([_section_data(section, document)]) for section in sections]
    return header + "\n" + top + "\nsections:\n" + "\n".join(blocks)


def _section_data(section: ImportedSection, document: str) -> dict[str, Any]:
    items = [_item_data(item, document) for item in section.items]
    return {"id": section.id, "title": section.title, "items": items}


def _item_data(item: ImportedItem, document: str) -> dict[str, Any]:
    evidence: dict[str, str] = {"document": document, "item": item.task.text}
    if item.under:
        evidence["under"] = item.under
    data: dict[str, Any] = {"id": item.id, "title": item.title}
    data |= {"description": item.description} if item.description else {}
    data |= {"group": item.group} if item.group else {}
    return data | {"evidence": [{"checklist": evidence}]}


def _dump(data: Any) -> str:
    # Keys in the order reviewers read them, no line folding, quoting left to PyYAML so that
    # values such as `no`, `1.0` or `Title: text` come back as the same strings.
    return yaml.dump(
        data,
        Dumper=_DUMPER,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )


# libyaml's emitter writes the same text as the pure-Python one, several times faster.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
