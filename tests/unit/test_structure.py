"""Typed YAML (structure.py) and the config's value types (config_types.py), on small
declarations of their own, so each rule is seen apart from the checklist model."""

# ruff: noqa: E501  (expected messages are kept whole, as users read them)

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any, Literal

import pytest
import yaml

from apiq_gate.config import expanded_size, node_at
from apiq_gate.config_types import Duration, Regex, RepoPath, format_duration, parse_duration
from apiq_gate.structure import INVALID, SchemaBuilder, Source, Structurer, doc


class Level(enum.StrEnum):
    LOW = "low"
    HIGH = "high"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """A thing to check."""

    name: str = doc("Its name", example="api")
    port: int = doc("The port", default=443)
    protocol: Literal["http", "tcp"] = doc("How to reach it", default="http")
    level: Level = doc("How much it matters", default=Level.LOW)
    tags: tuple[str, ...] = doc("Free labels", default=())
    headers: dict[str, str] = doc("Headers to send", default_factory=dict)
    until: dt.date | None = doc("Last day", default=None)
    timeout: Duration = doc("Per attempt", default=Duration(10.0))
    source: Source | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Path_:
    """A path, or a mapping with one."""

    __shorthand__ = "path"

    path: RepoPath = doc("Where")
    contains: Regex | None = doc("What it holds", default=None)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Options:
    """Nothing required."""

    verbose: bool = doc("Say more", default=False)


def structure(text: str, tp: Any) -> tuple[Any, list[str]]:
    s = Structurer("t.yml")
    value = s.structure(yaml.compose(text, Loader=yaml.SafeLoader), tp, "")
    return value, [str(p) for p in s.problems]


# --- dataclasses --------------------------------------------------------------------------------


def test_dataclass__fills_defaults_and_the_source_line():
    value, problems = structure("\n\nname: api\nport: 8443\n", Target)

    assert problems == []
    assert value == Target(name="api", port=8443, source=Source(file="t.yml", line=3))


def test_dataclass__reads_every_field_type():
    value, problems = structure(
        "name: api\nprotocol: tcp\nlevel: high\ntags: [a, b]\nheaders: {X-Env: prod}\nuntil: 2026-12-31\ntimeout: 300ms\n",
        Target,
    )

    assert problems == []
    assert (value.protocol, value.level, value.tags, value.headers, value.until, value.timeout) == (
        "tcp",
        Level.HIGH,
        ("a", "b"),
        {"X-Env": "prod"},
        dt.date(2026, 12, 31),
        Duration(0.3),
    )


def test_dataclass__reports_every_problem_not_just_the_first():
    value, problems = structure("nam: api\nport: high\nprotocol: udp\ntags: a\n", Target)

    assert value is INVALID
    assert problems == [
        "t.yml:1:1: nam: unknown key; did you mean 'name'?",
        "t.yml:2:7: port: expected an integer, got a string",
        "t.yml:3:11: protocol: 'udp' is not one of http, tcp",
        "t.yml:4:7: tags: expected a list, got a string; write `[a, b]` or one `- a` per line",
        "t.yml:1:1: name: required key is missing; add `name:`",
    ]


def test_dataclass__unknown_key_without_a_close_match_lists_the_valid_keys():
    _, problems = structure("colour: red\n", Options)

    assert problems == ["t.yml:1:1: colour: unknown key; valid keys: verbose"]


def test_dataclass__not_a_mapping_says_what_it_got():
    _, problems = structure("[name, api]", Target)

    assert problems == ["t.yml:1:1: expected a mapping (key: value), got a list"]


def test_dataclass__with_nothing_required_accepts_an_empty_value():
    value, problems = structure("~", Options)

    assert (value, problems) == (Options(), [])


def test_dataclass__shorthand_scalar_fills_the_named_field():
    short, short_problems = structure("docs/runbook.md", Path_)
    long, long_problems = structure("{path: docs/runbook.md}", Path_)

    assert short_problems == long_problems == []
    assert short == long == Path_(path=RepoPath("docs/runbook.md"))


def test_mapping__duplicate_and_non_text_keys_are_problems():
    _, problems = structure("name: a\nname: b\n? [x]\n: 1\n", Target)

    assert problems == [
        "t.yml:2:1: name: duplicate key; keep only one of them",
        "t.yml:3:3: keys must be plain strings",
    ]


# --- scalars ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: 2025", "2025"),
        ("name: 1.50", "1.50"),
        ("name: '007'", "007"),
        ("name: =", "="),
        ("name: <<", "<<"),
    ],
)
def test_string__numbers_and_yaml_specials_are_kept_as_written(text, expected):
    value, problems = structure(text, Target)

    assert (value.name, problems) == (expected, [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: a\nport: 1.5", "t.yml:2:7: port: expected an integer, got a number"),
        ("name: a\nport: yes", "t.yml:2:7: port: expected an integer, got a boolean"),
        ("name: a\nport: ~", "t.yml:2:7: port: expected an integer, got nothing (null)"),
        (
            "name: a\nport: !!int x",
            "t.yml:2:7: port: 'x' is not a valid integer: invalid literal for int() with base 10: 'x'",
        ),
        ("name: a\nlevel: 3", "t.yml:2:8: level: expected one of low, high, got an integer"),
        ("name: a\nlevel: !!bool maybe", "t.yml:2:8: level: 'maybe' is not a valid boolean"),
        (
            "name: a\nuntil: !!timestamp soon",
            "t.yml:2:8: until: 'soon' is not a valid date; write it as YYYY-MM-DD, e.g. 2026-12-31",
        ),
        (
            "name: a\nuntil: 2026-02-30",
            "t.yml:2:8: until: '2026-02-30' is not a valid date: day is out of range for month; "
            "write it as YYYY-MM-DD, e.g. 2026-12-31",
        ),
        (
            "name: a\nuntil: [2026]",
            "t.yml:2:8: until: expected a date, got a list; write it as YYYY-MM-DD, e.g. 2026-12-31",
        ),
        ("name: !secret a", "t.yml:1:7: name: unsupported YAML tag '!secret'; remove the tag"),
        ("name: !!binary YQ==", "t.yml:1:7: name: unsupported YAML tag '!!binary'; remove the tag"),
    ],
)
def test_scalar__wrong_values_are_located_problems_never_exceptions(text, problem):
    _, problems = structure(text, Target)

    assert problems == [problem]


def test_date__a_timestamp_counts_by_its_day():
    value, _ = structure("name: a\nuntil: 2026-12-31T23:00:00Z", Target)

    assert value.until == dt.date(2026, 12, 31)


# --- value types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("300ms", 0.3),
        ("5s", 5.0),
        ("1.5s", 1.5),
        ("10m", 600.0),
        ("2h", 7200.0),
        ("21d", 1_814_400.0),
        (" 5 s ", 5.0),
    ],
)
def test_duration__units(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


def test_duration__a_number_is_seconds_and_bad_units_say_which_work():
    number, _ = structure("name: a\ntimeout: 2.5", Target)
    _, problems = structure("name: a\ntimeout: 5 parsecs", Target)

    assert number.timeout == Duration(2.5)
    assert problems == [
        "t.yml:2:10: timeout: '5 parsecs' is not a duration; write e.g. 300ms, 5s, 10m, 2h or 21d"
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.412, "412ms"), (1.5, "1.5s"), (600, "10m"), (1_814_400, "21d"), (90, "90s")],
)
def test_duration__formats_the_shortest_honest_way(seconds, text):
    assert format_duration(seconds) == text


def test_regex__compiles_multiline_and_reports_errors_with_a_hint():
    value, _ = structure("path: docs/x.md\ncontains: ^## Rollback", Path_)
    _, problems = structure("path: docs/x.md\ncontains: '[a-'", Path_)

    assert value.contains.search("# Runbook\n## Rollback\n")
    assert problems == [
        "t.yml:2:11: contains: invalid regular expression: unterminated character set at position 0; "
        "escape special characters with \\"
    ]


@pytest.mark.parametrize("path", ["/etc/passwd", "../secrets", "docs/../../x", "\\\\server\\share"])
def test_repo_path__paths_leaving_the_repository_are_refused(path):
    _, problems = structure(yaml.safe_dump({"path": path}), Path_)

    assert len(problems) == 1
    assert (
        f"'{path}' leaves the repository; write the path relative to the repository root"
        in problems[0]
    )


def test_repo_path__empty_path_is_refused():
    _, problems = structure("path: ''", Path_)

    assert problems == ["t.yml:1:7: path: expected a path in the repository, got a string"]


def test_repo_path__glob_matches_files_inside_the_root_only(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a", encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text("b", encoding="utf-8")

    assert RepoPath("docs/*.md").matches(tmp_path) == [tmp_path / "docs" / "a.md"]
    assert RepoPath("docs/missing.md").matches(tmp_path) == []


# --- the schema from the same declarations --------------------------------------------------------


def test_schema__object_is_strict_documented_and_lists_required_keys():
    builder = SchemaBuilder()

    assert builder.schema(Target) == {"$ref": "#/$defs/Target"}
    target = builder.defs["Target"]
    assert (
        target["type"],
        target["additionalProperties"],
        target["required"],
        target["description"],
    ) == (
        "object",
        False,
        ["name"],
        "A thing to check.",
    )
    assert set(target["properties"]) == {f.name for f in dataclasses.fields(Target)} - {"source"}
    assert target["properties"]["name"] == {
        "type": ["string", "number"],
        "description": "Its name",
        "examples": ["api"],
    }
    assert target["properties"]["protocol"]["enum"] == ["http", "tcp"]
    assert target["properties"]["level"]["enum"] == ["low", "high"]
    assert target["properties"]["until"]["anyOf"] == [
        {"type": "string", "format": "date"},
        {"type": "null"},
    ]


def test_schema__shorthand_accepts_the_scalar_too_and_optional_only_objects_accept_null():
    builder = SchemaBuilder()
    builder.schema(Path_)
    builder.schema(Options)

    assert builder.defs["Path_"]["anyOf"][1]["type"] == "string"
    assert builder.defs["Options"]["anyOf"][1] == {"type": "null"}


# --- the loader's node helpers --------------------------------------------------------------------


def test_node_at__follows_keys_and_indexes_to_the_written_value():
    root = yaml.compose("sections:\n  - id: a\n    items:\n      - id: b\n", Loader=yaml.SafeLoader)

    node = node_at(root, "sections[0].items[0].id")

    assert (node.value, node.start_mark.line + 1, node.start_mark.column + 1) == ("b", 4, 13)
    assert node_at(root, "sections[3].id") is None
    assert node_at(root, "sections[0].title") is None


def test_expanded_size__counts_aliases_as_often_as_they_expand():
    flat = yaml.compose("[a, b, c]", Loader=yaml.SafeLoader)
    aliased = yaml.compose("[&x [1, 2], *x, *x]", Loader=yaml.SafeLoader)
    recursive = yaml.compose("&x [*x]", Loader=yaml.SafeLoader)

    assert expanded_size(flat, limit=100) == 4
    assert expanded_size(aliased, limit=100) == 10
    assert expanded_size(aliased, limit=5) > 5
    assert expanded_size(recursive, limit=100) is None
