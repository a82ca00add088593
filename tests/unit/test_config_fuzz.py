"""Property: whatever YAML (or text) a user hands the loader, it answers with a Checklist or a
ConfigError, and `apiq-gate validate` with exit 0 or 2, never with a crash (exit 3).

Documents are generated three ways: shapes close to a real config (so the deep rules run),
free-form nested YAML with keys drawn partly from the real key names, and text mutated
character by character (so the YAML parser's own errors are exercised).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from apiq_gate.cli import cli
from apiq_gate.config import ConfigError, loads
from apiq_gate.model import Checklist
from apiq_gate.schema import config_schema


def _schema_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
        return own | {k for v in node.values() for k in _schema_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _schema_keys(v)}
    return set()


REAL_KEYS = sorted(_schema_keys(config_schema()))
# Values that have tripped YAML loaders: YAML 1.1 specials, tags, aliases, odd dates.
TRICKY_TEXT = [
    "<<",
    "=",
    "~",
    "yes",
    "No",
    "on",
    "null",
    "0x1F",
    "0b102",
    "1_000",
    "1:20",
    ".inf",
    "-.nan",
    "2026-13-01",
    "2026-02-30",
    "2026-12-31",
    "2026-12-31T25:00:00",
    "!!binary",
    "*alias",
    "&anchor",
    "{",
    "[",
    "'",
    '"',
    "#",
    "- ",
    ": ",
    "\t",
    "\\",
    "../../etc/passwd",
    "/abs",
    "a" * 300,
    "é✅",
    "\x85",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.sampled_from(TRICKY_TEXT),
    st.text(max_size=20),
)
keys = st.one_of(st.sampled_from(REAL_KEYS), st.text(min_size=1, max_size=12))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=25,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The strategy's value most of the time, a random one otherwise."""
    return st.one_of(strategy, strategy, strategy, values)


ids = st.one_of(
    st.sampled_from(["ops", "a", "b", "rollback-runbook", "Bad Id", ""]), st.text(max_size=8)
)
evidence_entry = st.dictionaries(
    st.one_of(st.sampled_from(["file", "checklist", "env", "manual", "http", "latency"]), keys),
    values,
    min_size=0,
    max_size=2,
)
item = st.fixed_dictionaries(
    {
        "id": maybe(ids),
        "title": maybe(st.text(max_size=10)),
        "evidence": maybe(st.lists(evidence_entry, max_size=3)),
    },
    optional={
        "severity": maybe(st.sampled_from(["required", "recommended", "optional", "blocker"])),
        "phases": maybe(
            st.lists(
                st.sampled_from(["pre-deploy", "go-live", "post-launch", "golive"]), max_size=3
            )
        ),
        "owner": values,
    },
)
section = st.fixed_dictionaries(
    {
        "id": maybe(ids),
        "title": maybe(st.text(max_size=10)),
        "items": maybe(st.lists(item, max_size=3)),
    }
)
waiver = st.fixed_dictionaries(
    {"item": maybe(ids), "reason": values, "approved_by": values, "expires": maybe(st.dates())}
)
near_config = st.fixed_dictionaries(
    {
        "version": maybe(st.just(1)),
        "name": maybe(st.just("Gate")),
        "sections": maybe(st.lists(section, max_size=3)),
    },
    optional={
        "environments": maybe(
            st.dictionaries(st.sampled_from(["staging", "production"]), values, max_size=2)
        ),
        "defaults": maybe(
            st.fixed_dictionaries(
                {}, optional={"environment": values, "phases": values, "timeout": values}
            )
        ),
        "waivers": maybe(st.lists(waiver, max_size=2)),
        "phases": values,
    },
)


# Mostly valid configs, so that the cross-checks (ids, phases, environments, waivers) run too.
pool_ids = st.sampled_from(["ops", "security", "rollback-runbook", "secrets", "sign-off"])
valid_evidence = st.sampled_from(
    [
        {"file": "docs/runbooks/rollback.md"},
        {"file": {"path": "docs/*.md", "contains": "(?i)rollback"}},
        {"checklist": {"document": "docs/go-live.md", "item": "Backups tested"}},
        {"env": ["DATABASE_URL"]},
        {"env": {"strong": ["JWT_SECRET"], "equals": {"NODE_ENV": "production"}}},
        {"env": {}},
        {"manual": {"signers": ["@org/security"]}},
        {"manual": None},
    ]
)
valid_item = st.fixed_dictionaries(
    {
        "id": pool_ids,
        "title": st.text(min_size=1, max_size=10),
        "evidence": st.lists(valid_evidence, max_size=3),
    },
    optional={
        "severity": st.sampled_from(["required", "recommended", "optional"]),
        "phases": st.lists(
            st.sampled_from(["pre-deploy", "go-live", "post-launch", "golive"]), max_size=2
        ),
    },
)
valid_config = st.fixed_dictionaries(
    {
        "version": st.sampled_from([1, 1, 1, 2]),
        "name": st.text(min_size=1, max_size=10),
        "sections": st.lists(
            st.fixed_dictionaries(
                {"id": pool_ids, "title": st.just("T"), "items": st.lists(valid_item, max_size=3)}
            ),
            max_size=3,
        ),
    },
    optional={
        "environments": st.dictionaries(
            st.sampled_from(["staging", "production"]), st.just({"url": "https://x.example"})
        ),
        "defaults": st.fixed_dictionaries(
            {},
            optional={
                "environment": st.sampled_from(["staging", "prod"]),
                "phases": st.just(["go-live"]),
            },
        ),
        "waivers": st.lists(
            st.fixed_dictionaries(
                {
                    "item": pool_ids,
                    "reason": st.just("r"),
                    "approved_by": st.just("cto"),
                    "expires": st.dates(),
                }
            ),
            max_size=2,
        ),
    },
)


def dumped(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return strategy.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A dumped config with a few characters inserted, deleted or replaced."""
    text = draw(dumped(st.one_of(valid_config, near_config)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        insert = draw(
            st.sampled_from(
                ["", "-", ":", " ", "\t", "\n", "'", '"', "&a ", "*a", "!!", "<<: ", "{", "]", "#"]
            )
        )
        cut = draw(st.integers(0, 3))
        text = text[:at] + insert + text[at + cut :]
    return text


documents = st.one_of(
    dumped(valid_config), dumped(near_config), dumped(values), mutated(), st.text(max_size=200)
)


def load_outcome(text: str) -> str:
    """ "ok" or "error"; anything but a Checklist or a located ConfigError fails the test."""
    try:
        result: Checklist | ConfigError = loads(text, "fuzz.yml")
    except ConfigError as exc:
        result = exc
    if isinstance(result, ConfigError):
        assert result.problems, "a ConfigError names at least one problem"
        assert all(str(p).startswith("fuzz.yml:") for p in result.problems), result.problems
        return "error"
    assert isinstance(result, Checklist)
    return "ok"


@given(text=documents)
def test_loads__any_document_yields_a_checklist_or_a_config_error(text):
    load_outcome(text)


# The command is a thin shell over `loads`: a third of the examples show it adds no crash.
@settings(max_examples=max(10, settings().max_examples // 3))
@given(text=documents)
def test_validate__any_document_exits_0_or_2(text, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "fuzz.yml"  # session-scoped: one file, rewritten
    path.write_text(text, encoding="utf-8")

    result = CliRunner().invoke(cli, ["validate", str(path)])

    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
