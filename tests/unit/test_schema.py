"""The shipped JSON Schemas stay in step with the code.

schema/apiq-gate.schema.json is exactly what `apiq-gate schema` prints; every shipped
config passes both the schema (as an editor would read the YAML) and the loader; the
schema never rejects a config the loader accepts. schema/report.schema.json describes the
JSON report field for field.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from apiq_gate.config import ConfigError, load, loads
from apiq_gate.evaluate import Observed, evaluate
from apiq_gate.model import FailOn, Outcome, Status
from apiq_gate.report_io import report_to_data
from tests.conftest import make_checklist, make_item, make_section, make_waiver
from tests.unit.test_config_fuzz import dumped
from tests.unit.test_evaluate import Fixed

REPO = Path(__file__).resolve().parents[2]
CONFIG_SCHEMA = REPO / "schema" / "apiq-gate.schema.json"
REPORT_SCHEMA = REPO / "schema" / "report.schema.json"
BROKEN = REPO / "tests" / "fixtures" / "broken"


def is_gate_config(path: Path) -> bool:
    """An apiq-gate config, not another YAML file kept beside them (e.g. example workflows)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8").replace("DEMO_PORT", "0"))
    return isinstance(data, dict) and bool({"version", "sections"} & set(data))


SHIPPED_CONFIGS = sorted(
    path
    for pattern in (
        "examples/**/*.yml",
        "examples/**/*.yaml",
        "apiq_gate/data/*.yml",
        "apiq_gate/data/*.yaml",
    )
    for path in REPO.glob(pattern)
    if is_gate_config(path)
)


class EditorLoader(yaml.SafeLoader):
    """YAML as editors' schema validation reads it: `2026-12-31` stays text (YAML 1.2 has
    no implicit timestamps), which is what the schema's `format: date` describes."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.cache
def validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(path: Path, text: str) -> list[str]:
    data = yaml.load(text, Loader=EditorLoader)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(CONFIG_SCHEMA).iter_errors(data)
    ]


# --- the config schema ------------------------------------------------------------------------


def test_config_schema__shipped_file_is_what_the_cli_prints(run_cli):
    printed = run_cli("schema").stdout

    assert CONFIG_SCHEMA.read_text(encoding="utf-8") == printed, (
        "schema/apiq-gate.schema.json is out of date: "
        "run `apiq-gate schema -o schema/apiq-gate.schema.json`"
    )


def test_config_schema__shipped_configs_exist():
    assert REPO / "examples" / "apiq-production.yml" in SHIPPED_CONFIGS


# apiq_gate/data/demo.yml is a template: `apiq-gate demo` puts its local target's port in.
TEMPLATE_VALUES = {"DEMO_PORT": "8443"}


def shipped_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    for placeholder, value in TEMPLATE_VALUES.items():
        text = text.replace(placeholder, value)
    return text


@pytest.mark.parametrize("path", SHIPPED_CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_config_schema__shipped_config_passes_schema_and_loader(path):
    text = shipped_text(path)

    assert schema_errors(path, text) == []
    assert loads(text, str(path)).items()


@pytest.mark.parametrize(
    "name",
    [
        "unknown-key.yml",
        "wrong-type.yml",
        "missing-required-key.yml",
        "unknown-evidence-kind.yml",
        "evidence-two-kinds.yml",
        "bad-date.yml",
        "top-level-list.yml",
    ],
)
def test_config_schema__broken_config_is_rejected_by_schema_and_loader(name):
    path = BROKEN / name

    assert schema_errors(path, path.read_text(encoding="utf-8")) != []
    with pytest.raises(ConfigError):
        load(path)


# Plain strategies: generating from regexes or Unicode categories costs more than the test.
slugs = st.builds(
    "{}{}".format,
    st.sampled_from(["ops", "tls-cert", "rollback_runbook", "v1.2", "9a"]),
    st.integers(0, 99),
)
words = st.text(alphabet="aZ9 -:.,'\"#@éü✅", min_size=1, max_size=16).filter(str.strip)
evidence_entries = st.sampled_from(
    [
        {"file": "docs/runbooks/rollback.md"},
        {"file": {"path": "docs/*.md", "contains": "(?i)^## rollback"}},
        {
            "checklist": {
                "document": "docs/go-live.md",
                "item": "Backups tested",
                "under": "Operations",
            }
        },
        {"env": ["DATABASE_URL"]},
        {"env": {"strong": ["JWT_SECRET"], "equals": {"NODE_ENV": "production"}, "min_length": 48}},
        {
            "manual": {
                "signers": ["@org/security"],
                "note": "Read the report",
                "evidence": "docs/pentest.md",
            }
        },
        {"manual": {}},
    ]
)
phase_lists = st.lists(
    st.sampled_from(["pre-deploy", "go-live", "post-launch"]), unique=True, min_size=1, max_size=3
)
accepted_item = st.fixed_dictionaries(
    {"title": words, "evidence": st.lists(evidence_entries, min_size=1, max_size=3)},
    optional={
        "severity": st.sampled_from(["required", "recommended", "optional"]),
        "phases": phase_lists,
        "description": words,
        "group": words,
        "owner": st.sampled_from(["@payments/sre", "#launch", "Dana"]),
        "docs": st.just("https://wiki.example/x"),
    },
)


@st.composite
def accepted_configs(draw: st.DrawFn) -> dict[str, Any]:
    """Configs built to be valid, so the property is tested on (nearly) every example."""
    item_ids = draw(st.lists(slugs, min_size=1, max_size=8, unique=True))
    section_ids = draw(st.lists(slugs, min_size=1, max_size=len(item_ids), unique=True))
    sections = [{"id": sid, "title": draw(words), "items": []} for sid in section_ids]
    for index, item_id in enumerate(item_ids):
        sections[index % len(sections)]["items"].append({"id": item_id, **draw(accepted_item)})
    config: dict[str, Any] = {"version": 1, "name": draw(words), "sections": sections}
    environments = draw(
        st.lists(st.sampled_from(["staging", "production", "eu"]), unique=True, max_size=3)
    )
    if environments:
        config["environments"] = {
            name: draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "url": st.just(f"https://{name}.payments.example"),
                        "host": st.just(f"{name}.payments.example"),
                        "resolve": st.just({f"{name}.payments.example": "127.0.0.1"}),
                        "vars": st.just({"region": "eu-west-1"}),
                        "description": words,
                    },
                )
            )
            for name in environments
        }
    config["defaults"] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "severity": st.sampled_from(["required", "recommended", "optional"]),
                "phases": phase_lists,
                "environment": st.sampled_from(environments) if environments else st.nothing(),
                "timeout": st.sampled_from(["10s", "300ms", 5, 2.5, "2m"]),
            },
        )
    )
    waived = draw(st.lists(st.sampled_from(item_ids), unique=True, max_size=2))
    config["waivers"] = [
        {"item": item_id, "reason": draw(words), "approved_by": "@cto", "expires": draw(st.dates())}
        for item_id in waived
    ]
    return config


# Every example is a whole config read three times (dump, loader, schema): a third of the
# profile's examples keeps this test about as long as the rest of the file.
@settings(max_examples=max(10, settings().max_examples // 3))
@given(text=dumped(accepted_configs()))
def test_config_schema__never_rejects_a_config_the_loader_accepts(text):
    assert loads(text).items()
    assert schema_errors(CONFIG_SCHEMA, text) == []


# --- the report schema ------------------------------------------------------------------------

REPORT_CONFIG = """
    version: 1
    name: Payments API go-live
    environments:
      staging: {url: https://staging.payments.example}
    sections:
      - id: operations
        title: Operations
        items:
          - id: rollback-runbook
            title: Rollback runbook written
            owner: "@payments/sre"
            docs: https://wiki.example/rollback
            evidence: [{file: {path: docs/runbooks/rollback.md, contains: "(?i)rollback"}}]
          - id: status-page
            title: Status page linked
            severity: recommended
            evidence: [{file: docs/status-page.md}]
          - id: on-call
            title: On-call rota set up
            group: People
            evidence: [{checklist: {document: docs/go-live.md, item: On-call rota}}]
      - id: security
        title: Security
        items:
          - id: pen-test
            title: Penetration test signed off
            evidence: [{manual: {signers: ["@payments/security"]}}]
          - id: secrets
            title: Secrets are strong
            evidence: [{env: {strong: [JWT_SECRET]}}]
          - id: post-launch-review
            title: Post-launch review held
            phases: [post-launch]
            evidence: [{manual: {}}]
    waivers:
      - item: status-page
        reason: Status page goes live next sprint
        approved_by: "@cto"
        expires: 2099-12-31
      - item: secrets
        reason: Rotated last quarter
        approved_by: "@cto"
        expires: 2020-01-31
"""


@pytest.fixture
def cli_report(run_cli, write_config, write_file, tmp_path) -> dict[str, Any]:
    """A real report with passing, failing, pending, waived, skipped and erroring items."""
    write_file("docs/runbooks/rollback.md", "# Rollback\n")
    config = write_config(REPORT_CONFIG)

    result = run_cli(
        "check",
        "--config",
        config,
        "--root",
        tmp_path,
        "--phase",
        "go-live",
        "--format",
        "json",
        env={"JWT_SECRET": "short"},
    )

    return json.loads(result.stdout)


def test_report_schema__cli_report_covers_every_status(cli_report):
    statuses = {
        item["id"]: item["status"]
        for section in cli_report["sections"]
        for item in section["items"]
    }

    assert statuses == {
        "rollback-runbook": "pass",
        "status-page": "waived",
        "on-call": "error",
        "pen-test": "pending",
        "secrets": "fail",
        "post-launch-review": "skipped",
    }
    assert cli_report["warnings"]  # the expired waiver


def test_report_schema__cli_report_validates(cli_report):
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator(REPORT_SCHEMA).iter_errors(cli_report)
    ]

    assert errors == []


@pytest.mark.parametrize("verdict_status", ["pass", "fail", "pending", "error"])
def test_report_schema__evaluated_reports_validate(verdict_status):
    items = (make_item(id="item", evidence=(Fixed(),)), make_item(id="other", evidence=(Fixed(),)))
    checklist = make_checklist(
        sections=(make_section(items=items),), waivers=(make_waiver(item="other"),)
    )
    observations = {
        ("item", 0): Observed(
            value=Outcome(status=Status(verdict_status), reason="r", details=("d",))
        ),
        ("other", 0): Observed(value=Outcome(status=Status.FAIL, reason="r"), attempts=3),
    }
    report = evaluate(
        checklist,
        observations,
        phase=None,
        environment=None,
        fail_on=FailOn.RECOMMENDED,
        now=dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        config_label="c.yml",
    )

    data = json.loads(json.dumps(report_to_data(report)))

    assert list(validator(REPORT_SCHEMA).iter_errors(data)) == []


def object_schemas(schema: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema (with `properties`) in the report schema, by where it is."""
    if "properties" in schema:
        yield where or "/", schema
    for key, value in schema.items():
        if isinstance(value, dict):
            yield from object_schemas(value, f"{where}/{key}")
        elif isinstance(value, list):
            for index, entry in enumerate(value):
                if isinstance(entry, dict):
                    yield from object_schemas(entry, f"{where}/{key}/{index}")


def test_report_schema__every_property_is_described_and_required():
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))

    for where, obj in object_schemas(schema):
        assert obj.get("additionalProperties") is False, where
        assert set(obj["required"]) == set(obj["properties"]), (
            where
        )  # so validating checks every key
        for name, prop in obj["properties"].items():
            assert prop.get("description"), f"{where}/properties/{name} has no description"


def test_report_schema__property_names_equal_the_keys_the_code_writes(cli_report):
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    defs = schema["$defs"]
    items = [item for section in cli_report["sections"] for item in section["items"]]
    waived = next(item for item in items if item["waiver"])

    assert set(schema["properties"]) == set(cli_report)
    assert set(schema["properties"]["tool"]["properties"]) == set(cli_report["tool"])
    assert set(schema["properties"]["totals"]["properties"]) == set(cli_report["totals"])
    assert set(schema["properties"]["counts"]["properties"]) == set(cli_report["counts"])
    assert set(defs["status_counts"]["properties"]) == set(cli_report["counts"]["required"])
    assert set(defs["section"]["properties"]) == set(cli_report["sections"][0])
    assert set(defs["item"]["properties"]) == set(items[0])
    assert set(defs["evidence"]["properties"]) == set(items[0]["evidence"][0])
    assert set(defs["waiver"]["properties"]) == set(waived["waiver"])
    assert set(defs["source"]["properties"]) == set(items[0]["source"])


def test_report__waiver_activity_is_judged_on_the_utc_day_like_the_item():
    checklist = make_checklist(
        sections=(make_section(items=(make_item(id="item", evidence=(Fixed(),)),)),),
        waivers=(make_waiver(item="item", expires=dt.date(2026, 12, 31)),),
    )
    # 00:30 on 1 January in Paris is still 31 December in UTC: the waiver's last day.
    now = dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    report = evaluate(
        checklist,
        {("item", 0): Observed(value=Outcome(status=Status.FAIL, reason="r"))},
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=now,
        config_label="",
    )

    item = report_to_data(report)["sections"][0]["items"][0]

    assert item["status"] == "waived"
    assert (item["waiver"]["active"], item["waiver"]["days_left"]) == (True, 0)
