"""The local evidence kinds (file, checklist, env, manual) against a repository in tmp_path.

Evidence is built by the loader from the YAML a user writes, then observed and judged, so
each test reads like the config line it is about.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from apiq_gate.config import loads
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.secrets import entropy_bits, weakness
from tests.conftest import UTC_NOON

# A value that passes every strength rule (48 characters, ~250 bits estimated).
STRONG = "q8Zr2Vx7LmT4pW9kYc3NsH6dJf1BgE5uRa0XoI7vKz2MhQ4t"


def evidence(entry: str) -> Evidence:
    """The evidence of `- <entry>` in an item, as the loader builds it."""
    config = f"""
        version: 1
        name: Gate
        sections:
          - id: s
            title: S
            items:
              - id: i
                title: I
                evidence:
                  - {entry}
    """
    return loads(textwrap.dedent(config)).sections[0].items[0].evidence[0]


def judged(entry: str, root: Path, environ: dict[str, str] | None = None) -> Outcome:
    ev = evidence(entry)
    ctx = RunContext(root=root, environ=environ or {}, now=UTC_NOON)
    return ev.judge(ev.observe(ctx))


# --- file ---------------------------------------------------------------------------------


def test_file__existing_file_passes(tmp_path, write_file):
    write_file("docs/runbooks/rollback.md", "# Rollback\n")

    result = judged("file: docs/runbooks/rollback.md", tmp_path)

    assert (result.status, result.reason) == (Status.PASS, "docs/runbooks/rollback.md exists")


def test_file__missing_file_fails(tmp_path):
    result = judged("file: docs/runbooks/rollback.md", tmp_path)

    assert (result.status, result.reason) == (
        Status.FAIL,
        "docs/runbooks/rollback.md does not exist in the repository",
    )


def test_file__glob_names_every_match(tmp_path, write_file):
    write_file("docs/runbooks/rollback.md")
    write_file("docs/runbooks/restore.md")
    write_file("docs/runbooks/notes.txt")

    result = judged('file: "docs/runbooks/*.md"', tmp_path)

    assert (result.status, result.reason) == (
        Status.PASS,
        "docs/runbooks/restore.md, docs/runbooks/rollback.md exist",
    )


def test_file__glob_matching_nothing_fails(tmp_path, write_file):
    write_file("docs/runbooks/notes.txt")

    result = judged('file: "docs/runbooks/*.md"', tmp_path)

    assert (result.status, result.reason) == (
        Status.FAIL,
        "docs/runbooks/*.md does not exist in the repository",
    )


def test_file__contains_pattern_passes_when_the_text_matches(tmp_path, write_file):
    write_file(
        "docs/runbooks/rollback.md", "# Runbook\n\n## Rollback steps\n1. Revert the deploy\n"
    )

    result = judged(
        'file: {path: docs/runbooks/rollback.md, contains: "(?i)^## rollback"}', tmp_path
    )

    assert (result.status, result.reason) == (
        Status.PASS,
        "docs/runbooks/rollback.md contains /(?i)^## rollback/",
    )


def test_file__contains_pattern_fails_with_what_was_expected(tmp_path, write_file):
    write_file("docs/runbooks/rollback.md", "# Runbook\n\nTBD\n")

    result = judged(
        'file: {path: docs/runbooks/rollback.md, contains: "(?i)^## rollback"}', tmp_path
    )

    assert (result.status, result.reason) == (
        Status.FAIL,
        "docs/runbooks/rollback.md does not contain /(?i)^## rollback/",
    )


def test_file__a_folder_is_not_a_file(tmp_path):
    (tmp_path / "docs" / "runbooks").mkdir(parents=True)

    assert judged("file: docs/runbooks", tmp_path).status is Status.FAIL


def test_file__symlink_out_of_the_repository_is_not_found(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "docs").mkdir(parents=True)
    outside.mkdir()
    (outside / "rollback.md").write_text("# Rollback\n", encoding="utf-8")
    (repo / "docs" / "rollback.md").symlink_to(outside / "rollback.md")
    (repo / "linked").symlink_to(outside, target_is_directory=True)

    direct = judged("file: docs/rollback.md", repo)
    through_folder = judged('file: "linked/*.md"', repo)

    assert (direct.status, direct.reason) == (
        Status.FAIL,
        "docs/rollback.md does not exist in the repository",
    )
    assert through_folder.status is Status.FAIL


def test_file__symlink_inside_the_repository_is_followed(tmp_path, write_file):
    write_file("docs/runbooks/rollback-v2.md", "# Rollback\n")
    (tmp_path / "docs" / "rollback.md").symlink_to(
        tmp_path / "docs" / "runbooks" / "rollback-v2.md"
    )

    assert judged("file: docs/rollback.md", tmp_path).status is Status.PASS


# --- checklist ----------------------------------------------------------------------------

GO_LIVE = """
    # Go-live checklist

    ## 🔒 Security
    - [x] **SSL Certificate**: Valid SSL certificate installed
    - [ ] **Rate Limiting**: API rate limits configured

    ## Performance
    - [X] **Rate Limiting**: Load tested with rate limits on

    ```markdown
    - [x] **Backups**: an example inside a code fence is not a line of the checklist
    ```
"""


@pytest.fixture
def go_live_doc(write_file):
    return write_file("docs/go-live.md", GO_LIVE)


def test_checklist__ticked_line_passes_and_says_where(tmp_path, go_live_doc):
    result = judged('checklist: {document: docs/go-live.md, item: "SSL Certificate"}', tmp_path)

    assert (result.status, result.reason) == (Status.PASS, "ticked in docs/go-live.md:4")


def test_checklist__whole_line_text_matches_without_decoration_or_case(tmp_path, go_live_doc):
    result = judged(
        "checklist: {document: docs/go-live.md, "
        'item: "ssl certificate: valid SSL certificate installed."}',
        tmp_path,
    )

    assert result.status is Status.PASS


def test_checklist__unticked_line_fails(tmp_path, go_live_doc):
    result = judged(
        'checklist: {document: docs/go-live.md, item: "Rate Limiting", under: Security}', tmp_path
    )

    assert (result.status, result.reason) == (Status.FAIL, "not ticked in docs/go-live.md:5")


def test_checklist__line_repeated_under_two_headings_is_an_error_that_asks_for_under(
    tmp_path, go_live_doc
):
    result = judged('checklist: {document: docs/go-live.md, item: "Rate Limiting"}', tmp_path)

    assert (result.status, result.reason, result.details) == (
        Status.ERROR,
        "'Rate Limiting' matches 2 lines of docs/go-live.md (lines 5, 8)",
        ("add `under:` with the heading it belongs to",),
    )


def test_checklist__under_picks_the_line_of_that_heading(tmp_path, go_live_doc):
    result = judged(
        'checklist: {document: docs/go-live.md, item: "Rate Limiting", under: performance}',
        tmp_path,
    )

    assert (result.status, result.reason) == (Status.PASS, "ticked in docs/go-live.md:8")


def test_checklist__renamed_line_is_an_error_not_a_failure(tmp_path, go_live_doc):
    result = judged('checklist: {document: docs/go-live.md, item: "TLS Certificate"}', tmp_path)

    assert (result.status, result.reason, result.details) == (
        Status.ERROR,
        "no checklist line 'TLS Certificate' in docs/go-live.md",
        ("the line may have been renamed; update `item:` to its current text",),
    )


def test_checklist__lines_in_code_fences_do_not_count(tmp_path, go_live_doc):
    assert (
        judged('checklist: {document: docs/go-live.md, item: "Backups"}', tmp_path).status
        is Status.ERROR
    )


def test_checklist__missing_document_is_an_error(tmp_path):
    result = judged('checklist: {document: docs/go-live.md, item: "SSL Certificate"}', tmp_path)

    assert (result.status, result.reason) == (
        Status.ERROR,
        "docs/go-live.md does not exist in the repository",
    )


# --- env ----------------------------------------------------------------------------------


def test_env__present_variables_pass(tmp_path):
    result = judged(
        "env: [DATABASE_URL, REDIS_URL]",
        tmp_path,
        {"DATABASE_URL": "postgres://db", "REDIS_URL": "redis://r"},
    )

    assert (result.status, result.reason) == (Status.PASS, "2 variables set as expected")


def test_env__missing_and_empty_variables_fail_each_named(tmp_path):
    result = judged(
        "env: [DATABASE_URL, REDIS_URL, SENTRY_DSN]",
        tmp_path,
        {"REDIS_URL": "  ", "SENTRY_DSN": "https://x"},
    )

    assert (result.status, result.reason) == (
        Status.FAIL,
        "DATABASE_URL is not set; REDIS_URL is set but empty",
    )
    assert result.details == ("DATABASE_URL is not set", "REDIS_URL is set but empty")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("s3cr3t-short", "is 12 characters; needs at least 32"),
        (
            "changeme-changeme-changeme-changeme",
            "looks like a placeholder or a dictionary word; "
            "generate a random value (e.g. `openssl rand -base64 48`)",
        ),
        ("Zx" * 20, "has about 40 bits of entropy; needs at least 96"),
    ],
    ids=["short", "placeholder", "low-entropy"],
)
def test_env__weak_secret_fails_saying_why_never_what(tmp_path, value, why):
    result = judged("env: {strong: [JWT_SECRET]}", tmp_path, {"JWT_SECRET": value})

    assert (result.status, result.reason) == (Status.FAIL, f"JWT_SECRET {why}")
    assert value not in repr(result)


def test_env__strong_secret_passes(tmp_path):
    result = judged("env: {strong: [JWT_SECRET]}", tmp_path, {"JWT_SECRET": STRONG})

    assert (result.status, result.reason) == (Status.PASS, "1 variable set as expected")


def test_env__strength_limits_are_configurable(tmp_path):
    entry = "env: {strong: [PIN_PEPPER], min_length: 8, min_entropy_bits: 20}"

    assert judged(entry, tmp_path, {"PIN_PEPPER": "k4Rw9Qz1"}).status is Status.PASS


def test_env__equals_mismatch_shows_the_actual_non_secret_value(tmp_path):
    result = judged("env: {equals: {NODE_ENV: production}}", tmp_path, {"NODE_ENV": "development"})

    assert (result.status, result.reason) == (
        Status.FAIL,
        "NODE_ENV ('development') == 'production'",
    )


def test_env__equals_shows_at_most_40_characters_of_the_value(tmp_path):
    result = judged("env: {equals: {LOG_LEVEL: info}}", tmp_path, {"LOG_LEVEL": "d" * 100})

    assert result.reason == f"LOG_LEVEL ('{'d' * 39}…') == 'info'"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", 0.0), ("aaaaaaaa", 0.0), ("ab", 2.0), ("abcd", 8.0), ("abcdabcd", 16.0)],
)
def test_entropy_bits__shannon_entropy_times_length(value, expected):
    assert entropy_bits(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    "fragment", ["password", "Secret", "EXAMPLE", "TODO", "xxx", "12345", "${", "<"]
)
def test_weakness__placeholder_fragments_are_weak_in_any_case(fragment):
    value = f"{fragment}-{STRONG}"  # short fragments count as words of their own

    assert weakness(value, min_length=32, min_entropy_bits=96).startswith(
        "looks like a placeholder"
    )


def test_weakness__strong_value_has_none():
    assert weakness(STRONG, min_length=32, min_entropy_bits=96) is None


# --- no secret value ever reaches a report or the terminal ---------------------------------

PLANTED = {
    "JWT_SECRET": "PLANTED-jwt-changeme-0123456789-abcdefghij",  # placeholder: weak
    "SESSION_KEY": "PLANTED-short",  # short: weak
    "ENCRYPTION_KEY": "PLANTED-" + STRONG,  # strong: passes
    "DATABASE_URL": "postgres://app:PLANTED-db-password@db.internal:5432/app",  # required only
}
SECRETS_CONFIG = """
    version: 1
    name: Secrets gate
    sections:
      - id: secrets
        title: Secrets
        items:
          - id: tokens
            title: Tokens are strong
            evidence:
              - env: {strong: [JWT_SECRET, SESSION_KEY, ENCRYPTION_KEY], required: [DATABASE_URL]}
          - id: mode
            title: Production mode
            evidence:
              - env: {equals: {NODE_ENV: production}}
"""


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_env__planted_secrets_never_appear_in_any_report_or_output(
    fmt, run_cli, write_config, tmp_path
):
    config = write_config(SECRETS_CONFIG)
    report = tmp_path / f"report.{fmt}"

    printed = run_cli(
        "check",
        "--config",
        config,
        "--root",
        tmp_path,
        "--format",
        fmt,
        env={**PLANTED, "NODE_ENV": "staging"},
    )
    written = run_cli(
        "check",
        "--config",
        config,
        "--root",
        tmp_path,
        "--format",
        fmt,
        "--output",
        report,
        env={**PLANTED, "NODE_ENV": "staging"},
    )

    assert printed.exit_code == written.exit_code == 1, printed.output
    everything = (
        printed.stdout
        + printed.stderr
        + written.stdout
        + written.stderr
        + report.read_text(encoding="utf-8")
    )
    assert "JWT_SECRET looks like a placeholder" in everything  # the report did judge them
    assert "SESSION_KEY is 13 characters" in everything
    assert "NODE_ENV ('staging')" in everything  # declared non-secret: shown
    assert "PLANTED" not in everything
    for value in PLANTED.values():
        assert value not in everything
    if fmt == "json":
        assert "PLANTED" not in json.dumps(json.loads(report.read_text(encoding="utf-8")))


def test_env__values_of_the_environment_stay_out_of_the_facts(tmp_path):
    ev = evidence("env: {strong: [JWT_SECRET], required: [DATABASE_URL]}")

    facts = ev.observe(RunContext(root=tmp_path, environ=PLANTED, now=UTC_NOON))

    assert "PLANTED" not in repr(facts)


# --- manual -------------------------------------------------------------------------------


def test_manual__without_a_sign_off_is_pending_and_names_the_signers(tmp_path):
    result = judged(
        'manual: {signers: ["@apiq/security", "@cto"], note: "Pen test report read"}', tmp_path
    )

    assert (result.status, result.reason) == (
        Status.PENDING,
        "awaiting sign-off from @apiq/security, @cto",
    )
    assert (
        evidence('manual: {signers: ["@apiq/security", "@cto"]}').label()
        == "sign-off by @apiq/security, @cto"
    )


def test_manual__without_signers_any_reviewer_may_sign(tmp_path):
    result = judged("manual: {}", tmp_path)

    assert (result.status, result.reason) == (Status.PENDING, "awaiting sign-off from a reviewer")


def test_manual__a_sign_off_passes():
    ev = evidence('manual: {signers: ["@apiq/security"]}')

    result = ev.judge(("@alice",))

    assert (result.status, result.reason) == (Status.PASS, "signed off by @alice")


def test_environment_of_the_test_process_is_not_consulted(tmp_path, monkeypatch):
    monkeypatch.setitem(os.environ, "DATABASE_URL", "postgres://from-the-shell")

    assert judged("env: [DATABASE_URL]", tmp_path, {}).status is Status.FAIL


def test_env__strength_limits_cannot_be_switched_off(tmp_path, write_config, run_cli):
    for entry, message in [
        ("env: {strong: [JWT], min_length: 0}", "min_length 0 would pass a guessable secret; use at least 8"),
        ("env: {strong: [JWT], min_entropy_bits: .nan}", "min_entropy_bits must be a number of bits, 0 or more"),
        ("env: {strong: [JWT], min_entropy_bits: -5}", "min_entropy_bits must be a number of bits, 0 or more"),
    ]:
        path = write_config(
            f"version: 1\nname: g\nsections:\n  - id: s\n    title: S\n    items:\n"
            f"      - id: i\n        title: I\n        evidence:\n          - {entry}\n"
        )
        result = run_cli("validate", path)
        assert result.exit_code == 2, entry
        assert message in result.output, result.output


def test_secrets__random_secrets_are_not_mistaken_for_placeholders():
    import base64  # noqa: PLC0415
    import random  # noqa: PLC0415

    generator = random.Random(20261125)  # fixed: the same 20,000 values every run
    values = [base64.b64encode(generator.randbytes(36)).decode() for _ in range(20_000)]

    rejected = [v for v in values if weakness(v, min_length=32, min_entropy_bits=96) is not None]

    # Fragments like "test", "xxx" or "null" turn up by chance in about 1 in 500 such values.
    assert rejected == []


def test_secrets__short_placeholder_words_still_count_as_words():
    for value in ("my-test-key-0123456789abcdefghijklmn", "TODO_replace_with_a_real_value_0123456789", "null"):
        assert weakness(value, min_length=4, min_entropy_bits=0) is not None, value
