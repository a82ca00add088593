"""Every way a config can be broken gets exit 2 and exact, located messages.

One small file per failure mode lives in tests/fixtures/broken/; the table below holds the
lines `apiq-gate validate` must print for it, in the `FILE:LINE:COL: path: what; how to fix`
form users see. A new fixture without an expectation (or the reverse) fails the suite.
"""

# ruff: noqa: E501  (expected messages are kept whole, as users read them)

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures" / "broken"

EXPECTED: dict[str, list[str]] = {
    "yaml-tab-indent.yml": [
        "yaml-tab-indent.yml:5:1: invalid YAML: while scanning for the next token found character '\\t' "
        "that cannot start any token; indent with spaces: YAML does not allow tabs here",
    ],
    "yaml-unclosed-quote.yml": [
        "yaml-unclosed-quote.yml:3:7: invalid YAML: while scanning a quoted scalar found unexpected end of stream; "
        "close the quote or bracket that starts here",
    ],
    "unknown-key.yml": [
        "unknown-key.yml:8:9: sections[0].items[0].title: required key is missing; add `title:`",
        "unknown-key.yml:9:9: sections[0].items[0].titel: unknown key; did you mean 'title'?",
    ],
    "wrong-type.yml": [
        "wrong-type.yml:10:17: sections[0].items[0].phases: expected a list, got a string; "
        "write `[a, b]` or one `- a` per line",
    ],
    "missing-required-key.yml": [
        "missing-required-key.yml:2:1: name: required key is missing; add `name:`",
        "missing-required-key.yml:4:5: sections[0].items: required key is missing; add `items:`",
    ],
    "duplicate-item-id.yml": [
        "duplicate-item-id.yml:15:13: sections[1].items[0].id: duplicate id 'rollback-runbook'; "
        "ids must be unique; first used at line 8",
    ],
    "duplicate-section-id.yml": [
        "duplicate-section-id.yml:12:9: sections[1].id: duplicate id 'operations'; ids must be unique; first used at line 5",
    ],
    "duplicate-yaml-key.yml": [
        "duplicate-yaml-key.yml:10:9: sections[0].items[0].title: duplicate key; keep only one of them",
    ],
    "unknown-environment.yml": [
        "unknown-environment.yml:8:16: defaults.environment: unknown environment 'prod'; "
        "did you mean 'production'? (known environments: staging, production)",
    ],
    "unknown-phase.yml": [
        "unknown-phase.yml:10:30: sections[0].items[0].phases[1]: unknown phase 'golive'; "
        "did you mean 'go-live'? (known phases: pre-deploy, go-live, post-launch)",
    ],
    "waiver-unknown-item.yml": [
        "waiver-unknown-item.yml:13:11: waivers[0].item: waiver for unknown item 'rollback-runbok'; "
        "did you mean 'rollback-runbook'?",
    ],
    "bad-date.yml": [
        "bad-date.yml:16:14: waivers[0].expires: '2026-13-01' is not a valid date: month must be in 1..12; "
        "write it as YYYY-MM-DD, e.g. 2026-12-31",
    ],
    "unsupported-version.yml": [
        "unsupported-version.yml:2:10: version: unsupported version 2; this apiq-gate reads `version: 1`",
    ],
    "invalid-id.yml": [
        "invalid-id.yml:8:13: sections[0].items[0].id: 'Rollback Runbook' is not a valid id; "
        "use lowercase letters, digits, '-', '.' and '_'",
    ],
    "invalid-regex.yml": [
        "invalid-regex.yml:11:63: sections[0].items[0].evidence[0].file.contains: invalid regular expression: "
        "missing ), unterminated subpattern at position 0; escape special characters with \\",
    ],
    "path-leaves-repository.yml": [
        "path-leaves-repository.yml:11:19: sections[0].items[0].evidence[0].file.path: "
        "'../shared/runbooks/rollback.md' leaves the repository; write the path relative to the repository root",
    ],
    "unknown-evidence-kind.yml": [
        "unknown-evidence-kind.yml:11:13: sections[0].items[0].evidence[0].fiel: unknown evidence kind 'fiel'; "
        "did you mean 'file'?",
    ],
    "evidence-two-kinds.yml": [
        "evidence-two-kinds.yml:11:13: sections[0].items[0].evidence[0]: each evidence entry names exactly one kind, "
        "this one has 2; start a new `- kind: ...` entry for each",
    ],
    "env-names-no-variables.yml": [
        "env-names-no-variables.yml:11:18: sections[0].items[0].evidence[0].env: env evidence names no variables; "
        "add `required:`, `strong:` or `equals:`",
    ],
    "item-without-evidence.yml": [
        "item-without-evidence.yml:10:19: sections[0].items[0].evidence: the item has no evidence; "
        "add e.g. `- manual: {}` for a sign-off",
    ],
    "alias-bomb.yml": [
        "alias-bomb.yml:1:1: the YAML expands to more than 200,000 values (an alias bomb?); remove the repeated aliases",
    ],
    "recursive-alias.yml": [
        "recursive-alias.yml:1:1: a YAML alias refers to a value that contains it; remove the recursive alias",
    ],
    "empty.yml": [
        "empty.yml:1:1: the config is empty; start from `apiq-gate import` or examples/apiq-production.yml",
    ],
    "binary.yml": [
        "binary.yml:1:1: this is a binary file, not YAML; pass the path of the YAML config",
    ],
    "not-utf8.yml": [
        "not-utf8.yml:1:1: not valid UTF-8 (byte 58); save the file as UTF-8",
    ],
    "top-level-list.yml": [
        "top-level-list.yml:1:1: the config must be a mapping with `version`, `name` and `sections`, not a list; "
        "write `key: value` lines at the top level, not `- ` entries",
    ],
    "merge-key.yml": [
        "merge-key.yml:13:9: sections[0].items[1]: YAML merge keys (<<) are not supported; write the keys out",
        "merge-key.yml:13:9: sections[0].items[1].title: required key is missing; add `title:`",
        "merge-key.yml:13:9: sections[0].items[1].evidence: required key is missing; add `evidence:`",
    ],
    "duplicate-waiver.yml": [
        "duplicate-waiver.yml:17:11: waivers[1].item: a second waiver for 'rollback-runbook'; "
        "keep one waiver per item; the first is at line 13",
    ],
    "unsupported-tag.yml": [
        "unsupported-tag.yml:10:19: sections[0].items[0].severity: unsupported YAML tag '!important'; remove the tag",
    ],
}


def problem_lines(output: str, name: str) -> list[str]:
    """The located problem lines of `name`, without whatever prefix the CLI puts before them."""
    return [line[line.index(f"{name}:") :] for line in output.splitlines() if f"{name}:" in line]


def assert_rejected(result, name: str, expected: list[str]) -> None:
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert problem_lines(result.stderr, name) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate__broken_config_is_rejected_with_located_messages(name, run_cli, monkeypatch):
    monkeypatch.chdir(FIXTURES)

    result = run_cli("validate", name)

    assert_rejected(result, name, EXPECTED[name])


def test_validate__oversized_file_is_refused_unread(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    padding = "# " + "x" * 98 + "\n"
    Path("oversized.yml").write_text("version: 1\n" + padding * 10_001, encoding="utf-8")

    result = run_cli("validate", "oversized.yml")

    assert_rejected(
        result,
        "oversized.yml",
        ["oversized.yml:1:1: the file is larger than 1000 kB; a checklist is far smaller; check the path"],
    )


def test_validate__missing_file_names_the_default_path(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = run_cli("validate", "nowhere.yml")

    assert_rejected(
        result,
        "nowhere.yml",
        ["nowhere.yml:1:1: file not found; create it, or pass --config (default .github/apiq-gate.yml)"],
    )


def test_check__broken_config_is_rejected_like_validate(run_cli, monkeypatch):
    monkeypatch.chdir(FIXTURES)

    result = run_cli("check", "--config", "unknown-phase.yml")

    assert_rejected(result, "unknown-phase.yml", EXPECTED["unknown-phase.yml"])


def test_validate__every_problem_of_a_file_is_reported_together(run_cli, write_config, tmp_path, monkeypatch):
    write_config(
        """
        version: 1
        name: Payments API go-live
        sections:
          - id: operations
            title: Operations
            items:
              - id: rollback-runbook
                title: Rollback runbook written
                severity: blocker
                evidence:
                  - file: {path: docs/runbooks/rollback.md, contains: "(unclosed"}
        waivers:
          - item: rollback-runbook
            reason: later
            approved_by: cto
            expires: someday
        """,
        name="several.yml",
    )
    monkeypatch.chdir(tmp_path)

    result = run_cli("validate", "several.yml")

    assert_rejected(
        result,
        "several.yml",
        [
            "several.yml:9:19: sections[0].items[0].severity: 'blocker' is not one of required, recommended, optional",
            "several.yml:11:63: sections[0].items[0].evidence[0].file.contains: invalid regular expression: "
            "missing ), unterminated subpattern at position 0; escape special characters with \\",
            "several.yml:16:14: waivers[0].expires: 'someday' is not a valid date; write it as YYYY-MM-DD, e.g. 2026-12-31",
        ],
    )


def test_validate__problems_across_the_config_come_with_the_field_problems(
    run_cli, write_config, tmp_path, monkeypatch
):
    # A bad field leaves its item out of the model; the checks across the config (duplicate ids,
    # empty evidence, each kind's own check) still run on the rest, at the right paths.
    write_config(
        """
        version: 1
        name: Mixed
        defaults: {environment: prod}
        environments:
          production: {url: "https://app.example"}
        sections:
          - id: s
            title: S
            items:
              - id: x
                title: X
                severity: high
                evidence: [{file: README.md}]
              - id: b
                title: B
                evidence: [{file: README.md}]
              - id: b
                title: B again
                evidence: [{fiel: README.md}, {env: {}}]
              - id: c
                title: C
                evidence: []
        waivers:
          - {item: nope, reason: r, approved_by: x, expires: 2026-02-30}
        """,
        name="mixed.yml",
    )
    monkeypatch.chdir(tmp_path)

    result = run_cli("validate", "mixed.yml")

    assert_rejected(
        result,
        "mixed.yml",
        [
            "mixed.yml:3:25: defaults.environment: unknown environment 'prod'; did you mean 'production'? "
            "(known environments: production)",
            "mixed.yml:12:19: sections[0].items[0].severity: 'high' is not one of required, recommended, optional",
            "mixed.yml:17:13: sections[0].items[2].id: duplicate id 'b'; ids must be unique; first used at line 14",
            "mixed.yml:19:21: sections[0].items[2].evidence[0].fiel: unknown evidence kind 'fiel'; did you mean 'file'?",
            "mixed.yml:19:45: sections[0].items[2].evidence[1].env: env evidence names no variables; "
            "add `required:`, `strong:` or `equals:`",
            "mixed.yml:22:19: sections[0].items[3].evidence: the item has no evidence; add e.g. `- manual: {}` for a sign-off",
            "mixed.yml:24:54: waivers[0].expires: '2026-02-30' is not a valid date: day is out of range for month; "
            "write it as YYYY-MM-DD, e.g. 2026-12-31",
        ],
    )
    # Items were left out of the model (x), so a waiver naming an unknown item waits for the next run.
    assert "unknown item" not in result.output


def test_fixture_folder_and_table_name_the_same_files():
    on_disk = {p.name for p in FIXTURES.iterdir() if p.is_file()}

    assert on_disk == set(EXPECTED)


def test_validate__defaults_that_would_break_every_run_are_config_errors(run_cli, write_config, tmp_path, monkeypatch):
    write_config(
        """
        version: 1
        name: D
        defaults: {timeout: 0s, concurrency: 0}
        environments:
          prod: {url: "https://app.example", resolve: {app.example: not-an-ip}}
        sections:
          - id: s
            title: S
            items:
              - id: a
                title: A
                evidence: [{file: README.md}]
        """,
        name="defaults.yml",
    )
    monkeypatch.chdir(tmp_path)

    result = run_cli("validate", "defaults.yml")

    assert_rejected(
        result,
        "defaults.yml",
        [
            "defaults.yml:3:21: defaults.timeout: defaults.timeout must be more than 0s; write e.g. 10s",
            "defaults.yml:3:38: defaults.concurrency: defaults.concurrency must be at least 1; write e.g. 32",
            "defaults.yml:5:47: environments.prod.resolve: 'not-an-ip' (for app.example) is not an IP address; "
            "resolve pins a host to an address, like curl's --resolve: write e.g. 127.0.0.1",
        ],
    )
