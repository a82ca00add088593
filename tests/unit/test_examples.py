"""The flagship example: the whole seed checklist as a config that validates and runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from apiq_gate.cli import cli
from apiq_gate.config import load
from apiq_gate.errors import ExitCode
from apiq_gate.markdown_checklist import task_lines
from apiq_gate.model import Checklist, Status
from apiq_gate.run import RunOptions, run

REPO = Path(__file__).parents[2]
EXAMPLE = REPO / "examples" / "apiq-production.yml"
SEED = REPO / "tests" / "fixtures" / "seed" / "apiq-production-deployment-checklist.md"
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)  # while the example's waiver holds


@pytest.fixture(scope="module")
def example() -> Checklist:
    return load(EXAMPLE)


def test_example__validates_through_the_cli():
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLE)])
    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout == f"{EXAMPLE}: valid (11 sections, 180 items, 1 waivers)\n"


def test_example__every_seed_line_is_an_item_of_its_section_and_group(example):
    items_by_section = {s.title: list(s.items) for s in example.sections}
    for task in task_lines(SEED.read_text(encoding="utf-8")):
        section = dict(task.headings)[2]
        matches = [
            item
            for item in items_by_section.get(section, [])
            if (item.title, item.description) == (task.title, task.description)
        ]
        assert len(matches) == 1, f"line {task.line} ({task.text}) in section {section}"
        assert matches[0].group == task.headings[-1][1], f"line {task.line}"
    assert len(example.items()) == 180  # and nothing beyond the seed's lines


def env_names(evidence) -> set[str]:
    return {*evidence.required, *evidence.strong, *evidence.equals}


def test_example__environment_variable_items_check_the_variables_they_name(example):
    checked = {
        item.title: {name for e in item.evidence if e.kind == "env" for name in env_names(e)}
        for _, item in example.items()
        if item.group == "Environment Variables"
    }
    named = {title for title in checked if re.fullmatch(r"[A-Z][A-Z0-9_]+", title)}
    assert named == {
        "NODE_ENV", "DATABASE_URL", "NEXTAUTH_SECRET", "NEXTAUTH_URL", "OPENAI_API_KEY",
        "ENCRYPTION_MASTER_KEY", "JWT_SECRET", "CORS_ORIGIN",
    }
    assert all(title in checked[title] for title in named)


def test_example__every_item_has_an_owner_and_every_sign_off_names_its_signers(example):
    assert [item.id for _, item in example.items() if not item.owner] == []
    sign_offs = [(item.id, e) for _, item in example.items() for e in item.evidence if e.kind == "manual"]
    assert [item_id for item_id, e in sign_offs if not e.signers] == []


def test_example__shows_one_waiver_with_reason_approver_and_expiry(example):
    (waiver,) = example.waivers
    assert (waiver.item, waiver.approved_by) == ("penetration-test", "cto")
    assert waiver.expires == dt.date(2027, 1, 31)
    assert waiver.reason


def test_example__runs_on_its_sample_documents_without_errors(example):
    # Live probes need the network; everything else runs on examples/ as the repository.
    def offline(items):
        return tuple(i for i in items if not any(e.network for e in i.evidence))

    checklist = dataclasses.replace(
        example, sections=tuple(dataclasses.replace(s, items=offline(s.items)) for s in example.sections)
    )
    report = run(checklist, RunOptions(root=REPO / "examples", environ={}, now=NOW, max_workers=4))
    statuses = {item.id: item.status for item in report.items()}
    assert [i for i, status in statuses.items() if status is Status.ERROR] == []
    pre_deployment = next(s for s in report.sections if s.id == "pre-deployment")
    assert {item.status for item in pre_deployment.items} == {Status.PASS}  # ticked in the document
    runbook_items = ("rollback-strategy", "rollback-plan", "rollback-procedures")
    assert [statuses[i] for i in runbook_items] == [Status.PASS] * 3
    assert statuses["penetration-test"] is Status.WAIVED
    assert statuses["node-env"] is Status.FAIL  # the run's environment is empty
