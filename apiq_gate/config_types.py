"""Value types of the config: durations (`300ms`, `5s`, `21d`), sizes (`1MB`) and regular expressions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from apiq_gate import structure as st

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# `kB` is the SI spelling `format_size` writes; `KB` is what people type. Both mean 1000.
_SIZE_UNITS = {
    "B": 1,
    "kB": 1000,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError names the units that are understood."""
    match = _NUMBER_UNIT.match(text)
    if not match or match[2] not in _DURATION_UNITS:
        raise ValueError(_not_a_duration(text))
    return float(match[1]) * _DURATION_UNITS[match[2]]


def _not_a_duration(text: str) -> str:
    return f"'{text}' is not a duration; write e.g. 300ms, 5s, 10m, 2h or 21d"


def parse_size(text: str) -> int:
    match = _NUMBER_UNIT.match(text)
    if not match or match[2] not in _SIZE_UNITS:
        raise ValueError(f"'{text}' is not a size; write e.g. 512B, 64KB or 1MB")
    return int(float(match[1]) * _SIZE_UNITS[match[2]])


def format_duration(seconds: float) -> str:
    """The shortest honest spelling: 412ms, 1.5s, 10m, 21d."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.3g}s" if seconds < 60 else f"{seconds:.0f}s"


def format_size(size: float) -> str:
    """Bytes in SI units, the way `parse_size` reads them back: 512B, 64kB, 1.5MB."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if abs(size) >= scale:
            return f"{size / scale:.3g}{unit}"
    return f"{size:.0f}B"


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time in config: `10s`, `300ms`, or a number of seconds."""

    seconds: float

    def __str__(self) -> str:
        return format_duration(self.seconds)

    @classmethod
    def bare_number_hint(cls, written: str, seconds: float) -> str | None:
        """How to write a bare number with a unit, where a number alone is refused (None: it is seconds)."""
        return None

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag in (st.INT, st.FLOAT):
            seconds = float(s.scalar(node))
            if not math.isfinite(seconds):
                return s.problem(node, path, _not_a_duration(node.value))
            if seconds < 0:
                return s.problem(node, path, f"a duration cannot be negative ({node.value})")
            hint = cls.bare_number_hint(node.value, seconds)
            if hint is not None:
                meaning = format_duration(seconds)
                return s.problem(node, path, f"{node.value} has no unit (it would mean {meaning})", hint)
            return cls(seconds)
        if isinstance(node, yaml.ScalarNode) and node.tag == st.STR:
            try:
                return cls(parse_duration(node.value))
            except ValueError as exc:
                return s.problem(node, path, str(exc))
        return s.problem(node, path, f"expected a duration like 10s, got {st.describe(node)}")

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$"},
            ],
            "description": "A duration: 300ms, 5s, 10m, 2h, 21d, or a number of seconds.",
        }


_WITH_UNIT_PATTERN = r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$"


@dataclass(frozen=True, slots=True)
class LatencyBudget(Duration):
    """A latency budget, written with its unit: `300ms`, `2s` (a bare 300 would be five minutes)."""

    @classmethod
    def bare_number_hint(cls, written: str, seconds: float) -> str | None:
        # 300 is surely milliseconds; 2 or 0.5 surely seconds.
        return f"write {written}ms" if seconds >= 10 else f"write {written}s"

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {"type": "string", "pattern": _WITH_UNIT_PATTERN, "description": "A duration with its unit: 300ms, 2s."}


@dataclass(frozen=True, slots=True)
class LongDuration(Duration):
    """A long length of time, written with its unit: `180d`, `12h` (seconds add up to unreadable numbers)."""

    @classmethod
    def bare_number_hint(cls, written: str, seconds: float) -> str | None:
        return f"write {written}s, or in days, e.g. 180d"

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {"type": "string", "pattern": _WITH_UNIT_PATTERN, "description": "A duration with its unit: 180d, 12h."}


@dataclass(frozen=True, slots=True)
class Regex:
    """A regular expression (Python syntax), compiled when the config loads."""

    pattern: str
    compiled: re.Pattern[str]

    def __str__(self) -> str:
        return self.pattern

    def search(self, text: str) -> bool:
        return self.compiled.search(text) is not None

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (st.STR, st.INT, st.FLOAT)):
            return s.problem(node, path, f"expected a regular expression, got {st.describe(node)}")
        try:
            return cls(node.value, re.compile(node.value, re.MULTILINE))
        except re.error as exc:
            return s.problem(node, path, f"invalid regular expression: {exc}", "escape special characters with \\")

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {"type": "string", "format": "regex"}


@dataclass(frozen=True, slots=True)
class RepoPath:
    """A path (or glob) inside the repository, written relative to its root."""

    path: str

    def __str__(self) -> str:
        return self.path

    def matches(self, root: Path) -> list[Path]:
        """Existing files or folders it names, never outside `root` (links included)."""
        base = root.resolve()
        found = root.glob(self.path) if any(c in self.path for c in "*?[") else [root / self.path]
        return sorted(p for p in found if p.exists() and p.resolve().is_relative_to(base))

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == st.STR and node.value.strip()):
            return s.problem(node, path, f"expected a path in the repository, got {st.describe(node)}")
        parts = PurePosixPath(node.value).parts
        if node.value.startswith(("/", "\\")) or ".." in parts:
            return s.problem(
                node, path, f"'{node.value}' leaves the repository", "write the path relative to the repository root"
            )
        return cls(node.value)

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "description": "A path or glob relative to the repository root."}
