"""Typed YAML: turn composed YAML nodes into frozen dataclasses, and describe them as JSON Schema.

One declaration serves both the loader and the schema: a dataclass whose fields carry a
`doc()` description. The loader walks the YAML *nodes* (not plain dicts) so every problem
can name its file, line, column and key path, and it collects all problems instead of
stopping at the first one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, Protocol, TypeVar, get_args, get_origin

import yaml

from apiq_gate.errors import Problem

T = TypeVar("T")

STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MAP, SEQ, VALUE, MERGE = (
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "value", "merge")
)
# Tags a config may carry. Others (`!!binary`, `!!set`, `!custom`) have no meaning here, and
# constructing them is exactly what the safe loader must not be asked to do.
SUPPORTED_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MAP, SEQ})
# A plain `=` or `<<` as a *value* resolves to these YAML 1.1 tags; a reader sees text.
TEXT_TAGS = frozenset({VALUE, MERGE})
_TAG_KINDS = {INT: "integer", FLOAT: "number", BOOL: "boolean", NULL: "null", TIMESTAMP: "date"}
DATE_HINT = "write it as YYYY-MM-DD, e.g. 2026-12-31"
# Each YAML node is visited once per reference; an alias bomb references a few nodes
# billions of times. Real checklists stay far below this.
MAX_NODE_VISITS = 200_000


class Invalid:
    """Marks a value that failed to convert; its problem is already recorded."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = Invalid()


def doc(
    text: str, *, default: Any = dataclasses.MISSING, example: Any = None, pattern: str | None = None, **kw: Any
) -> Any:
    """A dataclass field with a description (and a text pattern) for the schema and the docs."""
    meta = {"doc": text, "example": example, "pattern": pattern}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta, **kw)
    return dataclasses.field(default=default, metadata=meta, **kw)


class Custom(Protocol):
    """A type that structures itself (an expectation, a duration, a union of kinds)."""

    @classmethod
    def __structure__(cls, node: yaml.Node, s: Structurer, path: str) -> Any: ...

    @classmethod
    def __schema__(cls, schemas: SchemaBuilder) -> dict[str, Any]: ...


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Source:
    """Where a config value is defined, for reports and annotations."""

    file: str
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class TooLarge(Exception):
    """The YAML expands to more values than any real checklist has."""


class Structurer:
    """Converts nodes to typed values and collects located problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._visits = 0
        self._paths: dict[int, str] = {}  # id of each dataclass built -> its key path
        self._scalars = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node, path: str, message: str, hint: str = "") -> Any:
        mark = node.start_mark
        self.problems.append(
            Problem(
                file=self.file,
                line=mark.line + 1,
                column=mark.column + 1,
                path=path,
                message=message,
                hint=hint,
            )
        )
        return INVALID

    def source(self, node: yaml.Node) -> Source:
        return Source(file=self.file, line=node.start_mark.line + 1)

    def structure(self, node: yaml.Node, tp: Any, path: str) -> Any:
        self._visits += 1
        if self._visits > MAX_NODE_VISITS:
            raise TooLarge
        readable = self._readable(node, path)
        if readable is None:
            return INVALID
        node = readable
        if hasattr(tp, "__structure__"):
            return tp.__structure__(node, self, path)
        origin = get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            return self._optional(node, tp, path)
        if origin is Literal:
            return self._choice(node, [str(a) for a in get_args(tp)], path, lambda v: v)
        if origin is tuple:
            return self._sequence(node, get_args(tp)[0], path)
        if origin is dict:
            return self._mapping(node, get_args(tp)[1], path)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._choice(node, [m.value for m in tp], path, tp)
        if dataclasses.is_dataclass(tp):
            return self.dataclass(node, typing.cast(type, tp), path)
        if tp in _SCALARS:
            return _SCALARS[tp](self, node, path)
        raise TypeError(f"no structuring rule for {tp!r}")  # a bug in a declaration

    # --- building blocks, also used by custom types -------------------------------

    def path_of(self, value: object) -> str:
        """The key path a converted dataclass came from: list entries that did not convert are
        left out of the model, so an index in the model is not always the index in the file."""
        return self._paths[id(value)]

    def scalar(self, node: yaml.Node) -> Any:
        return self._scalars.construct_object(node)

    def mapping_items(self, node: yaml.Node, path: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """The (key, key node, value node) pairs of a mapping; duplicates reported."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path, f"expected a mapping (key: value), got {describe(node)}")
            return []
        seen: set[str] = set()
        pairs: list[tuple[str, yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == NULL:
                self.problem(key_node, path, "keys must be plain strings")
                continue
            key = str(key_node.value)
            if key == "<<":
                self.problem(key_node, path, "YAML merge keys (<<) are not supported", "write the keys out")
                continue
            if key in seen:
                self.problem(key_node, join(path, key), "duplicate key", "keep only one of them")
                continue
            seen.add(key)
            pairs.append((key, key_node, value_node))
        return pairs

    def dataclass(self, node: yaml.Node, cls: type[T], path: str) -> T:
        shorthand = getattr(cls, "__shorthand__", None)
        if shorthand and not isinstance(node, yaml.MappingNode) and node.tag != NULL:
            node = yaml.MappingNode(
                "tag:yaml.org,2002:map",
                [(yaml.ScalarNode(STR, shorthand, node.start_mark, node.end_mark), node)],
                node.start_mark,
                node.end_mark,
            )
        fields = {f.name: f for f in config_fields(cls)}
        if node.tag == NULL and not any(_required(f) for f in fields.values()):
            pairs: list[tuple[str, yaml.Node, yaml.Node]] = []
        else:
            pairs = self.mapping_items(node, path)
            if not isinstance(node, yaml.MappingNode):
                return typing.cast(T, INVALID)
        hints = type_hints(typing.cast(type, cls))
        values: dict[str, Any] = {}
        for key, key_node, value_node in pairs:
            if key not in fields:
                self.problem(key_node, join(path, key), "unknown key", suggest(key, fields))
                continue
            values[key] = self.structure(value_node, hints[key], join(path, key))
        for name, f in fields.items():
            if name not in values and _required(f):
                self.problem(node, join(path, name), "required key is missing", f"add `{name}:`")
                values[name] = INVALID
        if any(v is INVALID for v in values.values()):
            return typing.cast(T, INVALID)
        if "source" in {f.name for f in dataclasses.fields(cls)}:  # type: ignore[arg-type]
            values["source"] = self.source(node)
        built = cls(**values)
        self._paths[id(built)] = path
        return built

    # --- private ------------------------------------------------------------------

    def _readable(self, node: yaml.Node, path: str) -> yaml.Node | None:
        """The node if its tag is one a config may use and its scalar can be constructed.

        Checked once here so that no structuring rule (nor a custom type) meets a scalar
        that raises when constructed: `!!timestamp abc`, `!!bool maybe`, `!custom x`.
        """
        if isinstance(node, yaml.ScalarNode) and node.tag in TEXT_TAGS:
            return yaml.ScalarNode(STR, node.value, node.start_mark, node.end_mark, node.style)
        if node.tag not in SUPPORTED_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(node, path, f"unsupported YAML tag '{tag}'", "remove the tag")
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag != STR:
            try:
                self.scalar(node)
            except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                # Only ValueError speaks to users ("month must be in 1..12"); the others are
                # the constructor tripping over a value it was told to read as something else.
                why = f": {exc}" if isinstance(exc, ValueError) and str(exc) else ""
                kind = _TAG_KINDS.get(node.tag, "value")
                hint = DATE_HINT if node.tag == TIMESTAMP else ""
                self.problem(node, path, f"'{node.value}' is not a valid {kind}{why}", hint)
                return None
        return node

    def _optional(self, node: yaml.Node, tp: Any, path: str) -> Any:
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"only `X | None` unions are structured generically, not {tp!r}")
        if node.tag == NULL:
            return None
        return self.structure(node, args[0], path)

    def _choice(self, node: yaml.Node, choices: list[str], path: str, make: Callable[[str], Any]) -> Any:
        value = self.scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, str) and value in choices:
            return make(value)
        if not isinstance(value, str):
            return self.problem(node, path, f"expected one of {', '.join(choices)}, got {describe(node)}")
        return self.problem(node, path, f"'{value}' is not one of {', '.join(choices)}", suggest(value, choices))

    def _sequence(self, node: yaml.Node, item_tp: Any, path: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            return self.problem(
                node, path, f"expected a list, got {describe(node)}", "write `[a, b]` or one `- a` per line"
            )
        items = [self.structure(n, item_tp, f"{path}[{i}]") for i, n in enumerate(node.value)]
        # The entries that did convert are kept (their problems are recorded either way), so
        # checks across the whole config still run on them: every problem is reported at once.
        return tuple(v for v in items if v is not INVALID)

    def _mapping(self, node: yaml.Node, value_tp: Any, path: str) -> Any:
        result = {}
        for key, _, value_node in self.mapping_items(node, path):
            result[key] = self.structure(value_node, value_tp, join(path, key))
        if not isinstance(node, yaml.MappingNode):
            return INVALID
        return {key: value for key, value in result.items() if value is not INVALID}  # as for lists


def _scalar_of(
    kind: str, tags: tuple[str, ...], convert: Callable[[Any], Any], hint: str = ""
) -> Callable[[Structurer, yaml.Node, str], Any]:
    def structure(s: Structurer, node: yaml.Node, path: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag in tags:
            try:
                return convert(node.value if kind == "string" else s.scalar(node))
            except (ValueError, TypeError, OverflowError) as exc:
                why = f": {exc}" if str(exc) else ""
                return s.problem(node, path, f"'{node.value}' is not a valid {kind}{why}", hint)
        return s.problem(node, path, f"expected {article(kind)}, got {describe(node)}", hint)

    return structure


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        if str(exc).startswith("Invalid isoformat"):  # repeats the value; the hint says the form
            raise ValueError from None
        raise


_SCALARS: dict[Any, Callable[[Structurer, yaml.Node, str], Any]] = {
    # Numbers are accepted where text is expected (`title: 2025`), as they were written.
    str: _scalar_of("string", (STR, INT, FLOAT), str),
    int: _scalar_of("integer", (INT,), int),
    float: _scalar_of("number", (INT, FLOAT), float),
    bool: _scalar_of("boolean (true or false)", (BOOL,), bool),
    dt.date: _scalar_of("date", (TIMESTAMP, STR), _date, DATE_HINT),
}


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved field types (resolving them is the loader's hottest step)."""
    return typing.get_type_hints(cls)


def config_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields a user writes (`source` is filled in by the loader)."""
    return [f for f in dataclasses.fields(cls) if f.name != "source"]


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def suggest(word: str, choices: Mapping[str, Any] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid keys: " + ", ".join(choices) if isinstance(choices, Mapping) else ""


def article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    names = {STR: "a string", INT: "an integer", FLOAT: "a number", BOOL: "a boolean", NULL: "nothing (null)"}
    return names.get(node.tag, "a date" if node.tag == TIMESTAMP else "a scalar")


class SchemaBuilder:
    """JSON Schema (draft 2020-12) for the same types the Structurer reads."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def schema(self, tp: Any) -> dict[str, Any]:
        if hasattr(tp, "__schema__"):
            return typing.cast(dict[str, Any], tp.__schema__(self))
        origin = get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            (inner,) = [a for a in get_args(tp) if a is not type(None)]
            return {"anyOf": [self.schema(inner), {"type": "null"}]}
        if origin is Literal:
            return {"enum": [str(a) for a in get_args(tp)]}
        if origin is tuple:
            return {"type": "array", "items": self.schema(get_args(tp)[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.schema(get_args(tp)[1])}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"enum": [m.value for m in tp]}
        if dataclasses.is_dataclass(tp):
            return self.object(typing.cast(type, tp))
        return dict(_SCALAR_SCHEMAS[tp])

    def object(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: recursion stops here
            hints = type_hints(cls)
            props = {}
            for f in config_fields(cls):
                prop = self.schema(hints[f.name])
                if f.metadata.get("doc"):
                    prop["description"] = f.metadata["doc"]
                if f.metadata.get("pattern"):
                    prop["pattern"] = f.metadata["pattern"]
                if f.metadata.get("example") is not None:
                    prop["examples"] = [f.metadata["example"]]
                props[f.name] = prop
            obj: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
            required = [f.name for f in config_fields(cls) if _required(f)]
            if required:
                obj["required"] = required
            if cls.__doc__ and not cls.__doc__.startswith(f"{name}("):  # not dataclass's own
                obj["description"] = " ".join(cls.__doc__.split())
            shorthand = getattr(cls, "__shorthand__", None)
            self.defs[name] = {"anyOf": [obj, props[shorthand]]} if shorthand else obj
            if not required and not shorthand:
                self.defs[name] = {"anyOf": [obj, {"type": "null"}]}
        return {"$ref": f"#/$defs/{name}"}


_SCALAR_SCHEMAS: dict[Any, dict[str, Any]] = {
    str: {"type": ["string", "number"]},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    dt.date: {"type": "string", "format": "date"},
}

# Re-exported for modules that declare custom types.
__all__ = ["INVALID", "ClassVar", "SchemaBuilder", "Source", "Structurer", "TooLarge", "doc"]
