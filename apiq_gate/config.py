"""Load a checklist config: read YAML safely, validate everything, fill defaults, build the model.

Every problem is collected and located (`file:line:col: path: what; how to fix`) and raised
together as one ConfigError; nothing here lets a Python traceback reach the user.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import yaml

from apiq_gate.errors import ConfigError, Problem
from apiq_gate.model import ID_PATTERN, Checklist, Item
from apiq_gate.probes.targets import is_ip
from apiq_gate.structure import INVALID, MAX_NODE_VISITS, Source, Structurer, TooLarge, describe

DEFAULT_PATH = ".github/apiq-gate.yml"
MAX_BYTES = 1_000_000  # far above any real checklist; refuses accidents and abuse
SUPPORTED_VERSIONS = (1,)
_START_HINT = "start from `apiq-gate import` or examples/apiq-production.yml"


def load(path: Path | str, *, display_name: str | None = None) -> Checklist:
    """Read and validate the config at `path`."""
    name = display_name or str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            [_whole_file(name, "file not found", f"create it, or pass --config (default {DEFAULT_PATH})")]
        ) from None
    except IsADirectoryError:
        raise ConfigError([_whole_file(name, "is a directory, not a file", "pass the path of the YAML file")]) from None
    except OSError as exc:
        raise ConfigError([_whole_file(name, f"cannot be read: {exc.strerror}")]) from None
    return loads(data, name)


def loads(data: bytes | str, name: str = "<config>") -> Checklist:
    """Validate config text; `name` is how problems refer to it."""
    text = _decode(data, name)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(exc, name)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([_whole_file(name, f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([_whole_file(name, "YAML nested too deeply")]) from None
    if root is None:
        raise ConfigError([_whole_file(name, "the config is empty", _START_HINT)])
    if not isinstance(root, yaml.MappingNode):
        hint = (
            "write `key: value` lines at the top level, not `- ` entries"
            if isinstance(root, yaml.SequenceNode)
            else _START_HINT
        )
        message = f"the config must be a mapping with `version`, `name` and `sections`, not {describe(root)}"
        raise ConfigError([_whole_file(name, message, hint)])
    expanded = expanded_size(root, limit=MAX_NODE_VISITS)
    if expanded is None:
        raise ConfigError(
            [_whole_file(name, "a YAML alias refers to a value that contains it", "remove the recursive alias")]
        )
    if expanded > MAX_NODE_VISITS:
        raise ConfigError(
            [
                _whole_file(
                    name,
                    f"the YAML expands to more than {MAX_NODE_VISITS:,} values (an alias bomb?)",
                    "remove the repeated aliases",
                )
            ]
        )
    s = Structurer(name)
    try:
        checklist = s.structure(root, Checklist, "")
    except TooLarge:
        raise ConfigError(
            [_whole_file(name, "the YAML expands to too many values (an alias bomb?)", "remove the repeated aliases")]
        ) from None
    except RecursionError:
        raise ConfigError([_whole_file(name, "YAML nested too deeply")]) from None
    if checklist is not INVALID:
        # Before defaults are filled in: a problem in `defaults` is reported once, there,
        # not again on every item that inherits it. On what did convert when some of it did
        # not, so that every problem is reported at once.
        s.problems.extend(_cross_check(checklist, name, root, s.path_of, incomplete=_incomplete(s.problems)))
    if s.problems:
        unique = {(p.line, p.column, p.path, p.message): p for p in s.problems}
        raise ConfigError(sorted(unique.values(), key=lambda p: (p.line, p.column)))
    return _with_defaults(checklist)


def expanded_size(root: yaml.Node, *, limit: int) -> int | None:
    """How many nodes the YAML has once aliases are expanded (stops counting past `limit`);
    None if an alias refers to a node that contains it.

    Composed YAML shares aliased nodes, so this is cheap to count, while walking the
    expansion itself (as a loader does) is what an alias bomb makes impossibly slow.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] > limit:
                return size[key]
        elif key in on_path:
            return None
        elif key not in size:
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in size)
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise ConfigError(
            [
                _whole_file(
                    name,
                    f"the file is larger than {MAX_BYTES // 1000} kB",
                    "a checklist is far smaller; check the path",
                )
            ]
        )
    if b"\0" in data:
        raise ConfigError([_whole_file(name, "this is a binary file, not YAML", "pass the path of the YAML config")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [_whole_file(name, f"not valid UTF-8 (byte {exc.start})", "save the file as UTF-8")]
        ) from None


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    """PyYAML's words, located where the reader should look."""
    problem, context, hint = exc.problem or "", exc.context or "", "check indentation and quoting near this line"
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark:
        # "found unexpected end of stream" points past the last line; the quote or bracket
        # that was never closed is where the context starts.
        mark, hint = exc.context_mark, "close the quote or bracket that starts here"
    elif "'\\t'" in problem:
        hint = "indent with spaces: YAML does not allow tabs here"
    elif "another document" in problem:
        hint = "a config is a single YAML document: remove the `---` that starts another"
    elif exc.context_mark and mark and exc.context_mark.line != mark.line:
        context = f"{context} (from line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = " ".join(filter(None, [context, problem]))
    return Problem(file=name, line=line, column=column, path="", message=f"invalid YAML: {what}", hint=hint)


def _whole_file(name: str, message: str, hint: str = "") -> Problem:
    return Problem(file=name, line=1, column=1, path="", message=message, hint=hint)


def _with_defaults(checklist: Checklist) -> Checklist:
    defaults = checklist.defaults
    sections = tuple(
        dataclasses.replace(
            section,
            items=tuple(
                dataclasses.replace(
                    item,
                    severity=item.severity or defaults.severity,
                    phases=item.phases if item.phases is not None else defaults.phases or checklist.phases,
                )
                for item in section.items
            ),
        )
        for section in checklist.sections
    )
    return dataclasses.replace(checklist, sections=sections)


_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def node_at(root: yaml.Node, path: str) -> yaml.Node | None:
    """The node a key path names (`sections[1].items[0].id`), if the YAML writes it out."""
    node: yaml.Node | None = root
    for key, index in _PATH_STEP.findall(path):
        if index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
        elif key and isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        else:
            return None
    return node


def _incomplete(problems: list[Problem]) -> frozenset[str]:
    """The top-level parts (`sections`, `environments`…) that had entries left out."""
    return frozenset(re.split(r"[.\[]", p.path, maxsplit=1)[0] for p in problems)


def _cross_check(
    checklist: Checklist, name: str, root: yaml.Node, path_of: Callable[[object], str], *, incomplete: frozenset[str]
) -> Iterator[Problem]:
    """What no single field can know: versions, unique ids, references between parts."""
    return _CrossCheck(checklist, name, root, path_of, incomplete).problems()


_NO_EVIDENCE_HINT = "add e.g. `- manual: {}` for a sign-off"


class _CrossCheck:
    """The checks across a config. Where a part had entries left out (`incomplete`), the
    checks that would miss them (an unknown reference, an empty list) wait for the next run."""

    def __init__(
        self,
        checklist: Checklist,
        name: str,
        root: yaml.Node,
        path_of: Callable[[object], str],
        incomplete: frozenset[str],
    ) -> None:
        self.checklist, self.name, self.root, self.path_of = checklist, name, root, path_of
        self.sections_complete = not incomplete & {"sections", ""}
        self.environments_complete = not incomplete & {"environments", ""}
        self.item_ids: dict[str, Source | None] = {}

    def at(self, source: Source | None, path: str, message: str, hint: str = "") -> Problem:
        node = node_at(self.root, path)  # the exact value, so the column points at it too
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        else:
            line, column = (source.line if source else 1), 1
        return Problem(file=self.name, line=line, column=column, path=path, message=message, hint=hint)

    def problems(self) -> Iterator[Problem]:
        yield from self.top()
        section_ids: dict[str, Source | None] = {}
        for section in self.checklist.sections:
            s_path = self.path_of(section)
            yield from _check_id(section.id, section.source, f"{s_path}.id", section_ids, self.at)
            if self.sections_complete and not section.items:
                yield self.at(section.source, f"{s_path}.items", "the section has no items", "add items or remove it")
            for item in section.items:
                yield from self.item(item, self.path_of(item))
        yield from self.waivers()

    def top(self) -> Iterator[Problem]:
        checklist, source = self.checklist, self.checklist.source
        if checklist.version not in SUPPORTED_VERSIONS:
            yield self.at(
                source, "version", f"unsupported version {checklist.version}", "this apiq-gate reads `version: 1`"
            )
        if not checklist.name.strip():
            yield self.at(source, "name", "the gate's name is empty", "name it: comments and checks show it")
        if self.sections_complete and not checklist.sections:
            yield self.at(source, "sections", "the checklist has no sections", "add at least one section with items")
        environments = list(checklist.environments)
        default_env = checklist.defaults.environment
        if self.environments_complete and default_env is not None and default_env not in environments:
            hint = _known("environments", environments, default_env)
            yield self.at(source, "defaults.environment", f"unknown environment '{default_env}'", hint)
        defaults = checklist.defaults
        if defaults.timeout.seconds <= 0:
            yield self.at(source, "defaults.timeout", "defaults.timeout must be more than 0s", "write e.g. 10s")
        if defaults.deadline.seconds <= 0:
            yield self.at(source, "defaults.deadline", "defaults.deadline must be more than 0s", "write e.g. 10m")
        if defaults.concurrency < 1:
            yield self.at(source, "defaults.concurrency", "defaults.concurrency must be at least 1", "write e.g. 32")
        for env_name, environment in checklist.environments.items():
            for host, address in environment.resolve.items():
                if not is_ip(address):
                    yield self.at(
                        source,
                        f"environments.{env_name}.resolve",
                        f"'{address}' (for {host}) is not an IP address",
                        "resolve pins a host to an address, like curl's --resolve: write e.g. 127.0.0.1",
                    )
        for index, phase in enumerate(checklist.defaults.phases or ()):
            if phase not in checklist.phases:
                hint = _known("phases", checklist.phases, phase)
                yield self.at(source, f"defaults.phases[{index}]", f"unknown phase '{phase}'", hint)

    def item(self, item: Item, path: str) -> Iterator[Problem]:
        yield from _check_id(item.id, item.source, f"{path}.id", self.item_ids, self.at)
        if not item.title.strip():
            yield self.at(
                item.source, f"{path}.title", "the title is empty", "say what must be true, as reviewers read it"
            )
        declared = node_at(self.root, f"{path}.evidence")
        if isinstance(declared, yaml.SequenceNode) and not declared.value:
            yield self.at(item.source, f"{path}.evidence", "the item has no evidence", _NO_EVIDENCE_HINT)
        if item.phases == ():
            yield self.at(
                item.source,
                f"{path}.phases",
                "an item with no phases is never evaluated",
                "name its phases, or remove the key",
            )
        if not self.environments_complete:
            return  # evidence checks look up environments, which may be incomplete
        for index, phase in enumerate(item.phases or ()):
            if phase not in self.checklist.phases:
                hint = _known("phases", self.checklist.phases, phase)
                yield self.at(item.source, f"{path}.phases[{index}]", f"unknown phase '{phase}'", hint)
        for evidence in item.evidence:
            for message in evidence.check(self.checklist, item.id):
                yield self.at(item.source, self.path_of(evidence), message)

    def waivers(self) -> Iterator[Problem]:
        waived: dict[str, Source | None] = {}
        for waiver in self.checklist.waivers:
            path = f"{self.path_of(waiver)}.item"
            if waiver.item not in self.item_ids:
                if self.sections_complete:
                    close = [i for i in self.item_ids if i.startswith(waiver.item[:4])][:3]
                    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "name the `id` of an item"
                    yield self.at(waiver.source, path, f"waiver for unknown item '{waiver.item}'", hint)
            elif waiver.item in waived:  # only one waiver can apply; which one would be a silent guess
                first = waived[waiver.item]
                hint = f"keep one waiver per item; the first is at line {first.line if first else '?'}"
                yield self.at(waiver.source, path, f"a second waiver for '{waiver.item}'", hint)
            else:
                waived[waiver.item] = waiver.source


class _At(Protocol):
    """Makes a located Problem (see `_CrossCheck.at`)."""

    def __call__(self, source: Source | None, path: str, message: str, hint: str = "") -> Problem: ...


def _check_id(
    value: str, source: Source | None, path: str, seen: dict[str, Source | None], at: _At
) -> Iterator[Problem]:
    if not re.match(ID_PATTERN, value):
        yield at(source, path, f"'{value}' is not a valid id", "use lowercase letters, digits, '-', '.' and '_'")
    elif value in seen:
        first = seen[value]
        yield at(
            source,
            path,
            f"duplicate id '{value}'",
            f"ids must be unique; first used at line {first.line if first else '?'}",
        )
    else:
        seen[value] = source


def _known(what: str, names: list[str] | tuple[str, ...], word: str) -> str:
    if not names:
        return f"declare it under `{what}:`"
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6) or [n for n in names if n.startswith(word)]
    return (
        f"did you mean '{close[0]}'? (known {what}: {', '.join(names)})"
        if close
        else f"known {what}: {', '.join(names)}"
    )
