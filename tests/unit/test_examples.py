"""The shipped examples: the flagship (the whole seed checklist as a config that validates
and runs, with live probes where a probe can verify a line) and the probe cookbook."""

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
from apiq_gate.evidence import kinds
from apiq_gate.markdown_checklist import task_lines
from apiq_gate.model import Checklist, Item, Status
from apiq_gate.probes.base import Probe
from apiq_gate.run import RunOptions, allowed_hosts, run

REPO = Path(__file__).parents[2]
EXAMPLE = REPO / "examples" / "apiq-production.yml"
COOKBOOK = REPO / "examples" / "probes.yml"
SEED = REPO / "tests" / "fixtures" / "seed" / "apiq-production-deployment-checklist.md"
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)  # while the example's waiver holds

# The seed lines a probe can verify, and the probe kinds that verify them.
PROBED = {
    "domain": {"dns", "redirect"},
    "ssl-certificate": {"tls"},
    "cors-origin": {"cors"},
    "firewall-rules": {"tcp"},
    "security-headers": {"security_headers"},
    "rate-limiting-enabled": {"rate_limit"},
    "health-checks": {"http"},
    "compression": {"compression"},
    "tls-configuration": {"tls"},
    "page-load-times": {"latency"},
    "api-response-times": {"latency"},
    "workflow-generation-latency": {"latency"},
    "email-spam-prevention": {"dns"},
    "system-health": {"http"},
    "uptime": {"http"},
    # Third-party reachability: the providers answer this runner, with our credentials.
    "openai-api-key": {"http"},
    "google-oauth2": {"http"},
    "slack-oauth2": {"http"},
    "smtp-delivery": {"tcp"},
}


@pytest.fixture(scope="module")
def example() -> Checklist:
    return load(EXAMPLE)


@pytest.fixture(scope="module")
def cookbook() -> Checklist:
    return load(COOKBOOK)


@pytest.mark.parametrize(
    ("path", "summary"),
    [(EXAMPLE, "11 sections, 180 items, 1 waivers"), (COOKBOOK, "4 sections, 10 items, 0 waivers")],
    ids=["apiq-production", "probes"],
)
def test_examples__validate_through_the_cli(path, summary):
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout == f"{path}: valid ({summary})\n"


@pytest.mark.parametrize("path", [EXAMPLE, COOKBOOK], ids=["apiq-production", "probes"])
def test_examples__no_probe_placeholder_comment_remains(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    placeholders = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(lines, 1)
        if re.match(r"\s*#\s*probe:", line)
    ]
    assert placeholders == []


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
        "NODE_ENV",
        "DATABASE_URL",
        "NEXTAUTH_SECRET",
        "NEXTAUTH_URL",
        "OPENAI_API_KEY",
        "ENCRYPTION_MASTER_KEY",
        "JWT_SECRET",
        "CORS_ORIGIN",
    }
    assert all(title in checked[title] for title in named)


def test_example__every_item_has_an_owner_and_every_sign_off_names_its_signers(example):
    assert [item.id for _, item in example.items() if not item.owner] == []
    sign_offs = [
        (item.id, e) for _, item in example.items() for e in item.evidence if e.kind == "manual"
    ]
    assert [item_id for item_id, e in sign_offs if not e.signers] == []


def test_example__shows_one_waiver_with_reason_approver_and_expiry(example):
    (waiver,) = example.waivers
    assert (waiver.item, waiver.approved_by) == ("penetration-test", "cto")
    assert waiver.expires == dt.date(2027, 1, 31)
    assert waiver.reason


def test_example__runs_on_its_sample_documents_without_errors(example):
    # Live probes need the network (and *.apiq.example does not exist); everything else runs
    # on examples/ as the repository. The loopback guard in tests/conftest.py backs this up.
    def offline(items: tuple[Item, ...]) -> tuple[Item, ...]:
        return tuple(i for i in items if not any(e.network for e in i.evidence))

    checklist = dataclasses.replace(
        example,
        sections=tuple(dataclasses.replace(s, items=offline(s.items)) for s in example.sections),
    )
    left_out = {item.id for _, item in example.items()} - {item.id for _, item in checklist.items()}
    assert left_out == set(PROBED)  # only the items with probes, as network is what probes are
    report = run(checklist, RunOptions(root=REPO / "examples", environ={}, now=NOW, max_workers=4))
    statuses = {item.id: item.status for item in report.items()}
    assert len(statuses) == 180 - len(PROBED)
    assert [i for i, status in statuses.items() if status is Status.ERROR] == []
    pre_deployment = next(s for s in report.sections if s.id == "pre-deployment")
    assert {item.status for item in pre_deployment.items} == {Status.PASS}  # ticked in the document
    runbook_items = ("rollback-strategy", "rollback-plan", "rollback-procedures")
    assert [statuses[i] for i in runbook_items] == [Status.PASS] * 3
    assert statuses["penetration-test"] is Status.WAIVED
    assert statuses["node-env"] is Status.FAIL  # the run's environment is empty


# --- live probes ---------------------------------------------------------------------------


def item_named(checklist: Checklist, item_id: str) -> Item:
    return next(item for _, item in checklist.items() if item.id == item_id)


def probes(item: Item) -> list[Probe]:
    return [e for e in item.evidence if isinstance(e, Probe)]


def expectation_texts(item: Item) -> set[str]:
    return {expectation.text for probe in probes(item) for expectation in probe.expectations()}


def shipped_probe_kinds() -> set[str]:
    """The kinds of every concrete probe class in the package, registered or not."""
    found: set[str] = set()
    todo: list[type[Probe]] = [Probe]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.startswith("apiq_gate.") and "kind" in vars(subclass):
                found.add(subclass.kind)
    return found


def test_probe_cookbook__shows_every_probe_kind_in_an_item_of_its_own(cookbook):
    registered = {name for name, cls in kinds().items() if issubclass(cls, Probe)}
    assert registered == shipped_probe_kinds()  # no probe class left out of the registry
    kinds_by_item = {item.id: {e.kind for e in item.evidence} for _, item in cookbook.items()}
    assert all(len(used) == 1 for used in kinds_by_item.values()), kinds_by_item
    assert sorted(kind for used in kinds_by_item.values() for kind in used) == sorted(registered)


def test_example__every_line_a_probe_can_verify_has_its_probe(example):
    probed = {
        item.id: {p.kind for p in probes(item)} for _, item in example.items() if probes(item)
    }
    assert probed == PROBED


@pytest.mark.parametrize(
    ("item_id", "expected"),
    [
        (
            "ssl-certificate",
            {"verified", "days_left >= 21", 'not accepts("TLSv1")', 'not accepts("TLSv1.1")'},
        ),
        ("tls-configuration", {"verified", 'protocol in ["TLSv1.2", "TLSv1.3"]'}),
        ("security-headers", {"grade >= B", "hsts.max_age >= 180d"}),
        ("health-checks", {"status in [200]", 'json.status == "ok"'}),
        ("firewall-rules", {"not open"}),
        ("page-load-times", {"p95 < 2s", "error_rate == 0"}),
        ("api-response-times", {"p95 < 300ms", "p95 < 500ms", "error_rate == 0"}),
        ("workflow-generation-latency", {"p95 < 5s", "error_rate == 0"}),
        (
            "cors-origin",
            {"not (reflects_foreign_origin and allow_credentials)", "allowed_origins_ok"},
        ),
        ("rate-limiting-enabled", {'statuses contains "429"', "retry_after exists"}),
        ("openai-api-key", {"status in [200]", 'json.object == "list"'}),
        ("google-oauth2", {"status in [200]", 'json.issuer == "https://accounts.google.com"'}),
        ("slack-oauth2", {"status in [200]", 'json.issuer == "https://slack.com"'}),
        ("smtp-delivery", {"open", 'banner matches "^220[ -]"'}),
    ],
)
def test_example__probes_hold_the_seed_lines_budgets(example, item_id, expected):
    item = item_named(example, item_id)
    assert expected <= expectation_texts(item)


def test_example__workflow_generation_is_timed_as_a_signed_in_post(example):
    item = item_named(example, "workflow-generation-latency")
    # Imported here, once the registry has loaded every kind: importing a kind's module
    # first would register it first and change the order the schema lists kinds in.
    from apiq_gate.probes.kinds.latency import LatencyProbe  # noqa: PLC0415

    (probe,) = probes(item)
    assert isinstance(probe, LatencyProbe)
    assert (probe.method, probe.url) == ("POST", "{env.url}/api/workflows/generate")
    # The probe account's token comes from the run's environment, masked in all output.
    assert probe.headers == {"Authorization": "Bearer ${APIQ_PROBE_TOKEN}"}


def test_example__health_check_waits_after_a_deploy_in_the_go_live_run(example):
    item = item_named(example, "health-checks")
    assert "go-live" in (item.phases or ())
    (probe,) = probes(item)
    assert probe.wait is not None
    assert probe.wait.timeout.seconds == 600  # 10 minutes for new tasks to come up


def test_example__rate_limit_burst_never_runs_against_production(example):
    # The pre-deploy run targets staging; go-live and post-launch target production.
    item = item_named(example, "rate-limiting-enabled")
    assert item.phases == ("pre-deploy",)
    assert example.defaults.environment == "staging"


THIRD_PARTIES = {"api.openai.com", "accounts.google.com", "slack.com", "smtp.sendgrid.net"}


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_examples__probes_reach_only_apiq_hosts_and_the_named_third_parties(example, cookbook, environment):
    for checklist, third_parties in ((example, THIRD_PARTIES), (cookbook, set())):
        target = checklist.environments[environment]
        hosts = allowed_hosts(checklist, target)
        assert target.host in hosts
        assert {h for h in hosts if not (h == "apiq.example" or h.endswith(".apiq.example"))} == third_parties


def test_example__openai_is_reached_with_the_production_key_masked(example):
    from apiq_gate.probes.kinds.http import HttpProbe  # noqa: PLC0415  (after the registry)

    (probe,) = probes(item_named(example, "openai-api-key"))
    assert isinstance(probe, HttpProbe)
    assert probe.url == "https://api.openai.com/v1/models"
    assert probe.headers == {"Authorization": "Bearer ${OPENAI_API_KEY}"}
