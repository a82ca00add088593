"""`apiq-gate import`: a Markdown checklist becomes a config whose items point back at it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from apiq_gate.cli import cli
from apiq_gate.config import loads
from apiq_gate.errors import ExitCode, GateError
from apiq_gate.importer import import_markdown, slug, unique_ids
from apiq_gate.markdown_checklist import task_lines
from apiq_gate.model import Checklist, Status
from apiq_gate.run import RunOptions, run

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "apiq-production-deployment-checklist.md"
SEED_DOCUMENT = "docs/apiq-production-deployment-checklist.md"
NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


def import_config(markdown: str, *, document: str = "docs/checklist.md", name: str | None = None):
    return loads(import_markdown(markdown, document=document, name=name), "imported.yml")


def run_on(checklist: Checklist, root: Path, document: str, markdown: str) -> dict[str, Status]:
    (root / document).parent.mkdir(parents=True, exist_ok=True)
    (root / document).write_text(markdown, encoding="utf-8")
    report = run(checklist, RunOptions(root=root, environ={}, now=NOW))
    return {item.id: item.status for item in report.items()}


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_config(seed_text: str) -> Checklist:
    return import_config(seed_text, document=SEED_DOCUMENT)


# --- the seed checklist -----------------------------------------------------------------


def test_import_seed__every_task_line_is_an_item_in_its_section(seed_text, seed_config):
    tasks = task_lines(seed_text)
    items = seed_config.items()
    assert len(tasks) == len(items) == 180
    for task, (section, item) in zip(tasks, items, strict=True):
        assert section.title == dict(task.headings)[2]
        assert (item.title, item.description) == (task.title, task.description)
        evidence = [(e.kind, e.document.path, e.item) for e in item.evidence]
        assert evidence == [("checklist", SEED_DOCUMENT, task.text)]
    assert seed_config.name == "APIQ Production Deployment Checklist"
    assert [s.title for s in seed_config.sections] == [
        "Pre-Deployment Requirements",
        "Environment Setup",
        "Application Deployment",
        "Security Verification",
        "User Experience Verification",
        "Third-Party Integrations",
        "Documentation and Support",
        "Go-Live Checklist",
        "Post-Launch Monitoring",
        "Success Criteria",
        "Risk Mitigation",
    ]  # "Overview" and "Conclusion" hold no task lines


def test_import_seed__groups_are_headings_without_emoji_bold_or_numbering(seed_config):
    groups = {s.id: list(dict.fromkeys(item.group for item in s.items)) for s in seed_config.sections}
    assert groups["pre-deployment-requirements"] == [
        "Core MVP Features Complete",
        "Testing Complete",
        "Development Tools Ready",
    ]
    # "Production Environment Configuration" heads every group of the section, so it is left out.
    assert groups["environment-setup"] == [
        "Infrastructure Setup",
        "Database Setup",
        "Environment Variables",
        "Security Configuration",
    ]
    assert groups["post-launch-monitoring"] == [
        "Immediate Monitoring (First 24 Hours)",
        "First Week Monitoring",
        "Ongoing Monitoring",
    ]


def test_import_seed__ids_are_unique_slugs_qualified_by_group_only_where_titles_repeat(seed_config):
    ids = [item.id for _, item in seed_config.items()]
    assert len(set(ids)) == 180
    assert all(item.id.startswith(f"{s.id}.") for s in seed_config.sections for item in s.items)
    assert [i for i in ids if i.count(".") == 2] == [
        "environment-setup.environment-variables.rate-limiting",
        "environment-setup.security-configuration.rate-limiting",
        "third-party-integrations.openai-integration.rate-limits",
        "third-party-integrations.openai-integration.error-handling",
        "third-party-integrations.oauth2-providers.error-handling",
        "third-party-integrations.email-service.rate-limits",
    ]
    # Repeated across sections only: the section already tells them apart.
    assert "environment-setup.secrets-management" in ids
    assert "security-verification.secrets-management" in ids
    assert "pre-deployment-requirements.1176-tests-passing-100-pass-rate" in ids


def test_import_seed__a_line_that_also_leads_another_line_is_told_apart_by_its_heading(seed_config):
    # "OAuth2 Integration" is a whole line under Pre-Deployment and the bold lead of a line
    # under User Experience Verification: by text alone the evidence would match both.
    unders = {item.id: e.under for _, item in seed_config.items() for e in item.evidence if e.under}
    assert unders == {"pre-deployment-requirements.oauth2-integration": "Core MVP Features Complete"}


def test_import_seed__the_gate_passes_ticked_lines_and_fails_the_rest(tmp_path, seed_text, seed_config):
    statuses = run_on(seed_config, tmp_path, SEED_DOCUMENT, seed_text)
    ticked = [task.ticked for task in task_lines(seed_text)]
    expected = [Status.PASS if t else Status.FAIL for t in ticked]
    assert list(statuses.values()) == expected
    assert sum(ticked) == 17  # the pre-deployment lines the seed marks done


def test_import_seed__is_deterministic(seed_text):
    first = import_markdown(seed_text, document=SEED_DOCUMENT, name=None)
    assert import_markdown(seed_text, document=SEED_DOCUMENT, name=None) == first
    assert first.startswith("# apiq-gate config imported by `apiq-gate import` from:\n")
    name = "APIQ Production Deployment Checklist"
    assert f"\nversion: 1\nname: {name}\ndefaults:\n  severity: required\n" in first


# --- structure of the config ------------------------------------------------------------

TWO_RATE_LIMITS = """\
# Launch
## Integrations
### OpenAI
- [x] **Rate Limits**: OpenAI limits handled
### Email
- [ ] **Rate Limits**: email limits handled
- [ ] **Bounces**: bounce handling configured
## Security
- [ ] **Rate Limits**: API rate limiting enabled
"""


def test_import__title_repeated_in_a_section_gets_ids_qualified_by_group():
    checklist = import_config(TWO_RATE_LIMITS)
    assert [item.id for _, item in checklist.items()] == [
        "integrations.openai.rate-limits",
        "integrations.email.rate-limits",
        "integrations.bounces",
        "security.rate-limits",
    ]


IDENTICAL_LINES = """\
## Monitoring
### Staging
- [x] Alerts configured
### Production
- [ ] Alerts configured
"""


def test_import__identical_lines_are_told_apart_by_their_heading(tmp_path):
    checklist = import_config(IDENTICAL_LINES)
    items = [item for _, item in checklist.items()]
    assert [item.id for item in items] == [
        "monitoring.staging.alerts-configured",
        "monitoring.production.alerts-configured",
    ]
    assert [item.evidence[0].under for item in items] == ["Staging", "Production"]
    statuses = run_on(checklist, tmp_path, "docs/checklist.md", IDENTICAL_LINES)
    assert list(statuses.values()) == [Status.PASS, Status.FAIL]


def test_import__identical_lines_under_identical_headings_still_get_unique_ids():
    checklist = import_config("## Ops\n- [ ] Page the on-call\n- [ ] Page the on-call\n")
    ids = [item.id for _, item in checklist.items()]
    assert ids == ["ops.page-the-on-call", "ops.page-the-on-call-2"]


def test_import__emoji_bold_and_numbering_are_stripped_from_headings():
    markdown = "# 🚀 **Launch**\n## 2. ✅ **Security** 🔒\n#### **1. Secrets**\n- [ ] Vault configured\n"
    checklist = import_config(markdown)
    ((section, item),) = checklist.items()
    assert (checklist.name, section.id, section.title) == ("Launch", "security", "Security")
    assert item.group == "Secrets"


def test_import__bold_lead_is_the_title_and_the_rest_the_description():
    markdown = "## Setup\n- [ ] **SSL Certificate**: Valid SSL certificate installed\n"
    ((_, item),) = import_config(markdown).items()
    assert (item.id, item.title) == ("setup.ssl-certificate", "SSL Certificate")
    assert item.description == "Valid SSL certificate installed"
    assert item.evidence[0].item == "SSL Certificate: Valid SSL certificate installed"


def test_import__lines_before_any_section_belong_to_the_document_title():
    checklist = import_config("# Go-live\n- [ ] Freeze merges\n## Ops\n- [ ] Page the on-call\n")
    assert [(s.id, s.title, [i.id for i in s.items]) for s in checklist.sections] == [
        ("go-live", "Go-live", ["go-live.freeze-merges"]),
        ("ops", "Ops", ["ops.page-the-on-call"]),
    ]


def test_import__a_document_without_headings_is_one_section_named_after_the_file():
    checklist = import_config("- [ ] Freeze merges\n", document="docs/release.md")
    assert (checklist.name, [s.title for s in checklist.sections]) == ("release", ["Checklist"])


def test_import__name_can_be_given():
    checklist = import_config("# Go-live\n- [ ] Freeze merges\n", name="Payments go-live")
    assert checklist.name == "Payments go-live"


def test_import__same_section_title_under_two_document_titles_is_qualified_by_them():
    checklist = import_config("# API\n## Setup\n- [ ] Keys\n# Web\n## Setup\n- [ ] Keys\n")
    assert [s.id for s in checklist.sections] == ["api.setup", "web.setup"]
    assert [i.id for _, i in checklist.items()] == ["api.setup.keys", "web.setup.keys"]


def test_import__lines_inside_code_fences_are_not_items():
    checklist = import_config("## Ops\n```\n- [ ] an example, not a task\n```\n- [ ] Page the on-call\n")
    assert [i.title for _, i in checklist.items()] == ["Page the on-call"]


@pytest.mark.parametrize(
    "line",
    [
        "**CORS_ORIGIN**: Production CORS configuration",
        '**NODE_ENV**: Set to "production"',
        "no",
        "1.0",
        "null",
        "#hashtag",
        "- [ ] nested-looking",
        "'quoted' start",
        "**Ratio**: 3:1 or key: value",
        "Größe prüfen: ✓ ok",
    ],
)
def test_import__text_that_looks_like_yaml_comes_back_as_the_same_string(line):
    ((_, item),) = import_config(f"## Checks\n- [ ] {line}\n").items()
    (task,) = task_lines(f"- [ ] {line}\n")
    assert (item.title, item.description, item.evidence[0].item) == (task.title, task.description, task.text)


# --- refusals ---------------------------------------------------------------------------


def test_import__document_without_task_lines_is_an_error():
    with pytest.raises(GateError) as raised:
        import_markdown("# Notes\n\n- a plain list item\n", document="docs/notes.md", name=None)
    assert raised.value.exit_code == ExitCode.BAD_INPUT
    assert str(raised.value).startswith("docs/notes.md has no checklist lines to import;")


@pytest.mark.parametrize("document", ["/tmp/checklist.md", "../shared/checklist.md", " "])
def test_import__document_path_outside_the_repository_is_an_error(document):
    with pytest.raises(GateError, match="is not a path inside the repository; pass --document"):
        import_markdown("- [ ] Freeze merges\n", document=document, name=None)


# --- ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSL/TLS Testing", "ssl-tls-testing"),
        ("1176+ tests passing (100% pass rate)", "1176-tests-passing-100-pass-rate"),
        ("Données privées", "donnees-privees"),
        ("🚀", "item"),
        ("word " * 20, "-".join(["word"] * 9)),  # cut at a word, at most 48 characters
        ("x" * 60, "x" * 48),
    ],
)
def test_slug(text, expected):
    assert slug(text) == expected


def test_unique_ids__only_colliding_entries_move_to_their_qualified_form():
    candidates = [["s.a", "s.g.a"], ["s.a", "s.h.a"], ["s.b", "s.g.b"], ["s.c"], ["s.c"]]
    assert unique_ids(candidates) == [
        "s.g.a",
        "s.h.a",
        "s.b",
        "s.c",
        "s.c-2",
    ]


# --- the command line ---------------------------------------------------------------------


def test_cli_import__prints_the_config_to_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("docs").mkdir()
    shutil.copy(SEED, "docs/go-live.md")
    result = CliRunner().invoke(cli, ["import", "docs/go-live.md"])
    assert result.exit_code == ExitCode.PASSED, result.output
    sections = yaml.safe_load(result.stdout)["sections"]
    evidence = [e["checklist"] for s in sections for item in s["items"] for e in item["evidence"]]
    assert len(evidence) == 180
    assert {e["document"] for e in evidence} == {"docs/go-live.md"}


def test_cli_import__writes_the_config_to_output_with_name_and_document(tmp_path):
    output = tmp_path / "out" / "apiq-gate.yml"
    result = CliRunner().invoke(
        cli,
        ["import", str(SEED), "--document", SEED_DOCUMENT, "--name", "APIQ go-live", "-o", str(output)],
    )
    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout == ""
    assert result.stderr == f"wrote {output}\n"
    data = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert data["name"] == "APIQ go-live"
    validated = CliRunner().invoke(cli, ["validate", str(output)])
    assert validated.exit_code == ExitCode.PASSED
    assert validated.stdout == f"{output}: valid (11 sections, 180 items, 0 waivers)\n"


def test_cli_import__document_without_task_lines_exits_2(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\nnothing to tick here\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(notes), "--document", "notes.md"])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith("error: notes.md has no checklist lines to import;")


def test_cli_import__absolute_path_without_document_exits_2_and_says_what_to_pass(tmp_path):
    checklist = tmp_path / "go-live.md"
    checklist.write_text("- [ ] Freeze merges\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(checklist)])
    assert result.exit_code == ExitCode.BAD_INPUT
    message = f"error: '{checklist.as_posix()}' is not a path inside the repository; pass --document"
    assert message in result.stderr


def test_cli_import__missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "absent.md")])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "does not exist" in result.stderr


PREFIX_HEADINGS = """\
# Runbook
## Monitoring
### Production
- [x] Alerts configured
### Production EU
- [ ] Alerts configured
"""


def test_import__a_heading_that_prefixes_another_still_tells_its_lines_apart(tmp_path):
    checklist = import_config(PREFIX_HEADINGS)

    statuses = run_on(checklist, tmp_path, "docs/checklist.md", PREFIX_HEADINGS)

    assert list(statuses.values()) == [Status.PASS, Status.FAIL]


def test_import__numbered_task_lines_are_items_as_github_ticks_them_too(tmp_path):
    markdown = "# Launch\n## Final\n1. [x] Backups verified\n2) [ ] Support ready\n"
    checklist = import_config(markdown)

    statuses = run_on(checklist, tmp_path, "docs/checklist.md", markdown)

    assert [item.title for _, item in checklist.items()] == ["Backups verified", "Support ready"]
    assert list(statuses.values()) == [Status.PASS, Status.FAIL]


def test_import__links_and_italics_read_as_their_text():
    checklist = import_config("# Launch\n## Launch [plan](https://wiki.example/plan)\n- [ ] *Runbook* written\n")

    (section,) = checklist.sections
    assert (section.title, section.items[0].title, section.id) == ("Launch plan", "Runbook written", "launch-plan")
