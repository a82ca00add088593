"""The `http` probe against real local HTTP(S) servers: what a reviewer reads for each case."""

from __future__ import annotations

import base64
import html
import json
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme

from apiq_gate.errors import ConfigError
from apiq_gate.model import Environment, Status
from apiq_gate.report_io import format_report
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist, context, observe_and_judge, probe_of
from tests.support.servers import Answer, Request, serving

SECRET = "tok-3f9c2e7a1b5d4c8e"


# --- helpers --------------------------------------------------------------------------
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*names).configure_cert(server_context)
    return server_context


@pytest.fixture
def ca_bundle(tmp_path: Path, ca: trustme.CA) -> str:
    """The test CA as a file of the repository (tmp_path), as `verify:` names it."""
    (tmp_path / "certs").mkdir()
    ca.cert_pem.write_to_path(str(tmp_path / "certs" / "ca.pem"))
    return "certs/ca.pem"


JSON = {"Content-Type": "application/json"}


@pytest.fixture
def health() -> Iterator[Any]:
    routes = {
        "/ok": Answer(
            headers={**JSON, "X-Request-Id": "r-1"},
            body='{"status": "ok", "checks": {"db": "ok", "cache": "down"}}',
        ),
        "/degraded": Answer(status=503, headers=JSON, body='{"status": "degraded"}'),
        "/html": Answer(headers={"Content-Type": "text/html; charset=utf-8"}, body="<h1>ok</h1>"),
        "/moved": Answer(status=301, headers={"Location": "/ok"}),
        "/found": Answer(status=302, headers={"Location": "/ok"}),
        "/away": Answer(status=302, headers={"Location": "http://elsewhere.example/steal"}),
        "/big": Answer(headers={"Content-Type": "text/plain"}, body="x" * 5000 + "END"),
    }
    with serving(routes) as server:
        yield server


# --- status ---------------------------------------------------------------------------


def test_http_probe__2xx_passes_by_default(health: Any, tmp_path: Path) -> None:
    probe = probe_of(f"- http: {health.url('/ok')}")
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS
    assert outcome.reason == f"status (200) in [2xx] (GET {health.url('/ok')})"
    assert facts.target == f"GET {health.url('/ok')}"


def test_http_probe__503_fails_the_default_status_class(health: Any, tmp_path: Path) -> None:
    _, outcome = observe_and_judge(
        probe_of(f"- http: {health.url('/degraded')}"), context(tmp_path)
    )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("status (503) in [2xx]")


def test_http_probe__json_shorthand_keeps_the_2xx_check(health: Any, tmp_path: Path) -> None:
    unhealthy = Answer(status=503, headers=JSON, body='{"status": "ok"}')
    with serving({"/health": unhealthy}) as server:
        probe = probe_of(f"- http: {{url: '{server.url('/health')}', json: {{status: ok}}}}")
        _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("status (503) in [2xx]")


def test_http_probe__an_expect_that_does_not_read_status_keeps_the_2xx_check(
    health: Any, tmp_path: Path
) -> None:
    probe = probe_of(f"- http: {{url: '{health.url('/degraded')}', expect: ['body contains \"degraded\"']}}")
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL
    assert [e.text for e in probe.expectations()] == ["status in [2xx]", 'body contains "degraded"']


def test_http_probe__an_expect_that_reads_status_replaces_the_2xx_check(
    health: Any, tmp_path: Path
) -> None:
    probe = probe_of(f"- http: {{url: '{health.url('/degraded')}', expect: [status == 503]}}")
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS, outcome.reason
    assert [e.text for e in probe.expectations()] == ["status == 503"]


@pytest.mark.parametrize(
    ("path", "status_field", "expected"),
    [
        ("/found", "[200, 3xx]", Status.PASS),
        ("/moved", "[301]", Status.PASS),
        ("/moved", "[2xx, 302]", Status.FAIL),
        ("/degraded", "[5xx]", Status.PASS),
        ("/degraded", 200, Status.FAIL),
    ],
)
def test_http_probe__status_codes_and_classes(
    health: Any, tmp_path: Path, path: str, status_field: str, expected: Status
) -> None:
    probe = probe_of(
        f"- http: {{url: '{health.url(path)}', follow_redirects: false, status: {status_field}}}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is expected, outcome.reason


def test_http_probe__failing_status_shows_the_actual_code(health: Any, tmp_path: Path) -> None:
    probe = probe_of(
        f"- http: {{url: '{health.url('/moved')}', follow_redirects: false, status: [2xx, 302]}}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.reason.startswith("status (301) in [2xx, 302]")


def test_http_probe__redirects_followed_on_declared_hosts(health: Any, tmp_path: Path) -> None:
    facts, outcome = observe_and_judge(
        probe_of(f"- http: {health.url('/moved')}"),
        context(tmp_path, allowed_hosts=frozenset({"127.0.0.1"})),
    )
    assert outcome.status is Status.PASS
    assert facts.facts["redirects"] == 1
    assert facts.facts["final_url"] == health.url("/ok")
    assert facts.facts["redirect_chain"] == [
        {"status": 301, "url": health.url("/moved"), "location": health.url("/ok")}
    ]


def test_http_probe__redirect_to_an_undeclared_host_is_not_followed_and_said(
    health: Any, tmp_path: Path
) -> None:
    ctx = context(tmp_path, allowed_hosts=frozenset({"127.0.0.1"}))
    _, outcome = observe_and_judge(probe_of(f"- http: {health.url('/away')}"), ctx)
    assert outcome.status is Status.ERROR
    assert (
        "redirect to elsewhere.example, a host the config does not declare, was not followed"
        in outcome.reason
    )
    assert [r.path for r in health.requests] == ["/away"]
    assert ctx.sleep == []  # a policy refusal is not retried


# --- JSON, body, headers ------------------------------------------------------------------


def test_http_probe__json_fields_that_match_pass(health: Any, tmp_path: Path) -> None:
    probe = probe_of(
        f"- http: {{url: '{health.url('/ok')}', status: 200, json: {{status: ok, checks.db: ok}}}}"
    )
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "status (200) in [200]",
        'json.status ("ok") == "ok"',
        'json.checks.db ("ok") == "ok"',
    )
    assert facts.facts["json"]["checks"] == {"db": "ok", "cache": "down"}
    assert facts.facts["content_type"] == "application/json"


def test_http_probe__json_field_with_another_value_fails(health: Any, tmp_path: Path) -> None:
    probe = probe_of(f"- http: {{url: '{health.url('/ok')}', json: {{checks.cache: ok}}}}")
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('json.checks.cache ("down") == "ok"')


def test_http_probe__missing_json_field_is_an_error_not_a_pass(health: Any, tmp_path: Path) -> None:
    probe = probe_of(
        f"- http: {{url: '{health.url('/ok')}', expect: ['json.checks.queue != \"down\"']}}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.ERROR
    assert outcome.reason.startswith('json.checks.queue (missing) != "down"')


def test_http_probe__json_expectation_on_a_non_json_body_is_an_error_that_says_why(
    health: Any, tmp_path: Path
) -> None:
    probe = probe_of(f"- http: {{url: '{health.url('/html')}', json: {{status: ok}}}}")
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert "json" not in facts.facts
    assert outcome.status is Status.ERROR
    assert outcome.reason.startswith(
        "no JSON in the response: the body is not JSON (Expecting value); json.status (missing)"
    )


def test_http_probe__body_is_capped_and_the_cut_is_said(health: Any, tmp_path: Path) -> None:
    probe = probe_of(f"- http: {{url: '{health.url('/big')}', body_cap: 100, body_contains: END}}")
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert (facts.facts["body_bytes"], facts.facts["truncated"], facts.facts["body"]) == (
        100,
        True,
        "x" * 100,
    )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('body ("xxxx')


def test_http_probe__request_headers_are_sent_and_response_headers_read(
    health: Any, tmp_path: Path
) -> None:
    probe = probe_of(
        f"""
        - http:
            url: {health.url("/ok")}
            headers: {{Accept: application/json, X-Probe: gate}}
            headers_present: [X-Request-Id, Strict-Transport-Security]
            expect: ['headers.content-type contains "json"', 'header("X-REQUEST-ID") == "r-1"']
        """
    )
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    sent = health.requests[0].headers
    assert (sent["accept"], sent["x-probe"]) == ("application/json", "gate")
    assert facts.facts["headers"]["x-request-id"] == "r-1"
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("headers.strict-transport-security (missing) exists")
    assert 'header("X-REQUEST-ID") ("r-1") == "r-1"' in outcome.details


def test_http_probe__post_sends_a_mapping_body_as_json_with_secrets_filled(tmp_path: Path) -> None:
    def echo(request: Request) -> Answer:
        return Answer(
            headers=JSON,
            body=json.dumps(
                {"received": json.loads(request.body), "type": request.headers["content-type"]}
            ),
        )

    with serving({"/api/workflows/generate": echo}) as server:
        probe = probe_of(
            f"""
            - http:
                url: {server.url("/api/workflows/generate")}
                method: post
                body: {{prompt: "Post new issues to Slack", key: "${{APIQ_PROBE_TOKEN}}", n: 2}}
            """
        )
        facts, outcome = observe_and_judge(
            probe, context(tmp_path, environ={"APIQ_PROBE_TOKEN": SECRET})
        )
    assert server.requests[0].method == "POST"
    assert json.loads(server.requests[0].body) == {
        "prompt": "Post new issues to Slack",
        "key": SECRET,
        "n": 2,
    }
    assert outcome.status is Status.PASS
    assert facts.facts["json"] == {
        "received": {"prompt": "Post new issues to Slack", "key": "***", "n": 2},
        "type": "application/json",
    }


# --- secrets ---------------------------------------------------------------------------


def test_http_probe__secret_header_is_masked_in_every_output(tmp_path: Path) -> None:
    def leaky(request: Request) -> Answer:  # the worst case: the service echoes the credential
        token = request.headers.get("authorization", "")
        return Answer(status=401, headers={"X-Echo": token}, body=f"bad credential: {token}")

    with serving({"/api/me": leaky}) as server:
        config = checklist(
            """
            - http:
                url: "{env.url}/api/me?key=${APIQ_PROBE_TOKEN}"
                headers: {Authorization: "Bearer ${APIQ_PROBE_TOKEN}"}
                expect: ['body contains "welcome"', 'headers.x-echo == "none"', status == 200]
            """,
            environments=f"environments:\n  production: {{url: '{server.url('')}'}}",
        )
        report = run(config, RunOptions(root=tmp_path, environ={"APIQ_PROBE_TOKEN": SECRET}))
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was really sent
    (item,) = report.items()
    assert item.status is Status.FAIL
    assert 'body ("bad credential: Bearer ***") contains "welcome"' in item.reason
    assert 'headers.x-echo ("Bearer ***") == "none"' in item.reason
    assert f"(GET {server.url('/api/me')}?key=***)" in item.reason
    for fmt in ("text", "markdown", "json"):
        output = format_report(report, fmt)
        assert "bad credential: Bearer" in output, (
            fmt
        )  # the reason is shown (Markdown escapes its ***)...
        assert SECRET not in output, fmt  # ...and the secret nowhere


@pytest.mark.parametrize(
    "token", ["Ab cd/ef+gh&ij=kl%mn", "Tökén-ünï/cødé+€ &x"], ids=["url-specials", "non-ascii"]
)
def test_http_probe__secret_in_the_url_is_sent_percent_encoded_and_masked_in_every_form(
    tmp_path: Path, token: str
) -> None:
    encoded = urllib.parse.quote(token, safe="")
    forms = {token, encoded, urllib.parse.quote(token), urllib.parse.quote_plus(token)}

    def echo(request: Request) -> Answer:  # the worst case: the service echoes what it got
        raw_query = request.path.split("?", 1)[1]
        shown = f"{request.path} {urllib.parse.unquote(raw_query)} {urllib.parse.quote_plus(token)}"
        return Answer(status=401, headers={"X-Echo": request.path}, body=f"unknown key: {shown}")

    with serving({"/api/echo": echo, f"/api/keys/{encoded}": echo}) as server:
        config = checklist(
            """
            - http:
                url: "{env.url}/api/echo?key=${APIQ_PROBE_TOKEN}&page=2"
                expect: ['body contains "welcome"', 'headers.x-echo == "none"', 'final_url == "x"']
            - http:
                url: "{env.url}/api/keys/${APIQ_PROBE_TOKEN}?page=2"
                expect: ['body contains "welcome"', 'headers.x-echo == "none"']
            """,
            environments=f"environments:\n  production: {{url: '{server.url('')}'}}",
        )
        report = run(config, RunOptions(root=tmp_path, environ={"APIQ_PROBE_TOKEN": token}))
    paths = sorted(r.path for r in server.requests)  # the two probes run at the same time
    query = urllib.parse.parse_qs(paths[0].split("?", 1)[1])
    assert query == {"key": [token], "page": ["2"]}  # sent intact: & = + % / and spaces
    assert paths[1] == f"/api/keys/{encoded}?page=2"
    (item,) = report.items()
    assert item.status is Status.FAIL
    assert "body (\"unknown key: /api/echo?key=***&page=2 key=***&page=2 ***\")" in item.reason
    for fmt in ("text", "markdown", "json"):
        output = format_report(report, fmt)
        assert "unknown key" in output, fmt
        for form in forms:
            assert form not in output, (fmt, form)
            assert form not in html.unescape(output), (fmt, form)


def test_http_probe__password_in_the_url_is_sent_as_basic_auth_and_masked_everywhere(
    tmp_path: Path,
) -> None:
    password = "s3cr3t/pass word"
    in_url = urllib.parse.quote(password, safe="")

    def echo(request: Request) -> Answer:  # echoes the credential, decoded and as sent
        credential = request.headers.get("authorization", "")
        decoded = base64.b64decode(credential.removeprefix("Basic ")).decode()
        return Answer(status=401, headers={"X-Echo": in_url}, body=f"no access for {decoded} ({credential})")

    with serving({"/api/me": echo}) as server:
        url = f"http://admin:{in_url}@127.0.0.1:{server.port}/api/me"
        config = checklist(
            f"""
            - http: {{url: '{url}', expect: ['body contains "welcome"', 'headers.x-echo == "none"']}}
            - cors: {{url: '{url}'}}
            - redirect: {{url: '{url}'}}
            """
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    sent = server.requests[0].headers["authorization"]
    assert base64.b64decode(sent.removeprefix("Basic ")).decode() == f"admin:{password}"
    (item,) = report.items()
    assert item.evidence[0].label == f"http GET http://admin:***@127.0.0.1:{server.port}/api/me"
    assert 'body ("no access for admin:*** (Basic ' in item.reason
    secret_forms = {password, in_url, base64.b64encode(f"admin:{password}".encode()).decode()}
    for fmt in ("text", "markdown", "json"):
        output = format_report(report, fmt)
        assert "no access for admin" in output, fmt
        for form in secret_forms:
            assert form not in output, (fmt, form)
            assert form not in html.unescape(output), (fmt, form)


def test_http_probe__unset_secret_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    probe = probe_of(
        "- http: {url: 'http://127.0.0.1:9/', headers: {Authorization: 'Bearer ${APIQ_PROBE_TOKEN}'}}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.ERROR
    assert "environment variable APIQ_PROBE_TOKEN is not set" in outcome.reason


# --- no answer: refused, hanging, reset ---------------------------------------------------


def test_http_probe__connection_refused_is_an_error_after_retries_with_backoff(
    tmp_path: Path,
) -> None:
    port = closed_port()
    ctx = context(tmp_path)
    _, outcome = observe_and_judge(
        probe_of(f"- http: {{url: 'http://127.0.0.1:{port}/health', retries: 3}}"), ctx
    )
    assert outcome.status is Status.ERROR
    assert (
        outcome.reason
        == f"GET http://127.0.0.1:{port}/health: connection failed: [Errno 111] Connection refused"
    )
    assert ctx.sleep == [0.5, 1.0, 2.0]


def test_http_probe__hanging_server_times_out_within_the_timeout(tmp_path: Path) -> None:
    with serving({"/hang": Answer(hang=True)}) as server:
        ctx = context(tmp_path)
        started = time.monotonic()
        _, outcome = observe_and_judge(
            probe_of(f"- http: {{url: '{server.url('/hang')}', timeout: 200ms, retries: 1}}"), ctx
        )
        elapsed = time.monotonic() - started
    assert outcome.status is Status.ERROR
    assert outcome.reason.endswith("timed out after 0.2s")
    assert ctx.sleep == [0.5]
    assert len(server.requests) == 2
    assert elapsed < 1.0  # two attempts of 0.2 s, and no real backoff


@contextmanager
def trickling_server(answer: bytes, every_s: float) -> Iterator[int]:
    """Answers each connection with `answer`, one byte every `every_s`: never silent for as
    long as a read timeout, so only a deadline on the whole exchange ends it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in answer:
                if stop.wait(every_s):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the client gave up: what the test wants
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


TRICKLED_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"x" * 20


@pytest.mark.parametrize(
    "answer",
    [TRICKLED_BODY, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 40 + b"\r\n\r\n"],
    ids=["body", "headers"],
)
def test_http_probe__a_trickling_answer_times_out_at_the_probe_timeout(
    tmp_path: Path, answer: bytes
) -> None:
    with trickling_server(answer, every_s=0.1) as port:
        ctx = context(tmp_path)
        started = time.monotonic()
        _, outcome = observe_and_judge(
            probe_of(f"- http: {{url: 'http://127.0.0.1:{port}/', timeout: 500ms, retries: 1}}"), ctx
        )
        elapsed = time.monotonic() - started
    assert outcome.status is Status.ERROR
    assert outcome.reason == f"GET http://127.0.0.1:{port}/: timed out after 0.5s"
    assert ctx.sleep == [0.5]  # transient: retried
    assert elapsed < 1.6  # two attempts of 0.5 s, not the 6 s the whole answer takes


@contextmanager
def resetting_server() -> Iterator[tuple[int, list[bytes]]]:
    """Accepts, reads the request, and resets the connection (RST, no answer).

    Written here because `Answer(reset=True)` of tests/support/servers.py leaves the
    connection open (the handler's file objects keep the socket alive): the client waits.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # to notice `stop` promptly
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                received.append(connection.recv(65536))
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def test_http_probe__reset_connection_is_an_error_after_retries(tmp_path: Path) -> None:
    with resetting_server() as (port, received):
        ctx = context(tmp_path)
        _, outcome = observe_and_judge(
            probe_of(f"- http: {{url: 'http://127.0.0.1:{port}/reset', retries: 2}}"), ctx
        )
    assert outcome.status is Status.ERROR
    assert "connection failed:" in outcome.reason
    assert any(
        why in outcome.reason
        for why in ("Connection reset by peer", "Remote end closed connection")
    )
    assert ctx.sleep == [0.5, 1.0]
    assert len(received) == 3
    assert all(request.startswith(b"GET /reset HTTP/1.1") for request in received)


# --- HTTPS ------------------------------------------------------------------------------


# `verify: false` is the config's explicit choice; urllib3 still warns, and -W error raises it.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_http_probe__https_verified_with_a_ca_bundle_from_the_repository(
    tmp_path: Path, ca: trustme.CA, ca_bundle: str
) -> None:
    with serving({"/ok": Answer(body="ok")}, tls=tls_context(ca, "127.0.0.1")) as server:
        verified = observe_and_judge(
            probe_of(f"- http: {{url: '{server.url('/ok')}', verify: {ca_bundle}}}"),
            context(tmp_path),
        )
        system_store = observe_and_judge(
            probe_of(f"- http: {{url: '{server.url('/ok')}'}}"), context(tmp_path)
        )
        unverified = observe_and_judge(
            probe_of(f"- http: {{url: '{server.url('/ok')}', verify: false}}"), context(tmp_path)
        )
    assert verified[1].status is Status.PASS
    assert system_store[1].status is Status.ERROR
    assert "TLS handshake failed:" in system_store[1].reason
    assert "certificate verify failed" in system_store[1].reason
    assert unverified[1].status is Status.PASS


def test_http_probe__missing_ca_bundle_is_an_error(tmp_path: Path) -> None:
    probe = probe_of("- http: {url: 'https://127.0.0.1:9/', verify: certs/missing.pem}")
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.ERROR
    assert "CA bundle certs/missing.pem not found in the repository" in outcome.reason


def test_http_probe__resolve_override_keeps_the_name_for_sni_host_and_certificate(
    tmp_path: Path, ca: trustme.CA, ca_bundle: str
) -> None:
    with serving(
        {"/api/health": Answer(headers=JSON, body='{"status": "ok"}')},
        tls=tls_context(ca, "app.apiq.test"),
    ) as server:
        config = checklist(
            f"- http: {{url: '{{env.url}}/api/health', verify: {ca_bundle}, json: {{status: ok}}}}",
            environments=(
                f"environments:\n  production:\n    url: https://app.apiq.test:{server.port}\n"
                "    resolve: {app.apiq.test: 127.0.0.1}"
            ),
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    (item,) = report.items()
    assert item.status is Status.PASS, item.reason
    assert (
        item.reason
        == f'status (200) in [2xx]; json.status ("ok") == "ok" (GET https://app.apiq.test:{server.port}/api/health)'
    )
    assert server.requests[0].headers["host"] == f"app.apiq.test:{server.port}"


def test_http_probe__resolve_override_with_a_certificate_for_another_name_fails_verification(
    tmp_path: Path, ca: trustme.CA, ca_bundle: str
) -> None:
    with serving({"/": Answer()}, tls=tls_context(ca, "other.apiq.test")) as server:
        ctx = context(tmp_path, environment=Environment(resolve={"app.apiq.test": "127.0.0.1"}))
        _, outcome = observe_and_judge(
            probe_of(
                f"- http: {{url: 'https://app.apiq.test:{server.port}/', verify: {ca_bundle}}}"
            ),
            ctx,
        )
    assert outcome.status is Status.ERROR
    assert "TLS handshake failed:" in outcome.reason
    assert "app.apiq.test" in outcome.reason


# --- config -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        (
            "- http: {url: 'http://x.test/', status: [200, 6xx]}",
            "http.status[1]: '6xx' is not an HTTP status",
        ),
        (
            "- http: {url: 'http://x.test/', json: {status: [ok]}}",
            "http.json.status: compare one value per path",
        ),
        (
            "- http: {url: 'http://x.test/', verify: /etc/ssl/ca.pem}",
            "http.verify: '/etc/ssl/ca.pem' leaves the repository",
        ),
        ("- http: {url: 'http://x.test/', body_cap: lots}", "http.body_cap: 'lots' is not a size"),
        (
            "- http: 'ftp://files.x.test/health'",
            "http: 'ftp://files.x.test/health' is not an http:// or https:// URL",
        ),
        (
            "- latency: {url: 'x.test/health', p95: 1s}",
            "latency: 'x.test/health' is not an http:// or https:// URL; write e.g. https://x.test/health",
        ),
        (
            "- security_headers: 'file:///etc/passwd'",
            "security_headers: 'file:///etc/passwd' is not an http:// or https:// URL",
        ),
        ("- cors: 'ws://x.test/socket'", "cors: 'ws://x.test/socket' is not an http:// or https:// URL"),
        ("- http: {url: 'http://x.test/', method: 'GET /'}", "'GET /' is not an HTTP method"),
        (
            "- http: {url: 'http://x.test/', headers: {'Bad Name': x}}",
            "'Bad Name' is not a valid header name",
        ),
        (
            "- http: {url: 'http://x.test/', body_cap: 100MB}",
            "body_cap must be between 1B and 10MB",
        ),
        (
            "- http: {url: 'http://x.test/', expect: [stauts == 200]}",
            "'stauts' in `stauts == 200` is not a fact of this probe; did you mean status?",
        ),
    ],
)
def test_http_probe__config_mistakes_are_located_errors(evidence: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        checklist(evidence)
    assert message in str(caught.value)


def test_http_probe__shorthand_json_keys_a_path_cannot_spell_use_json_function() -> None:
    probe = probe_of(
        "- http: {url: 'http://x.test/', "
        "json: {'first name': Ada, count: 2, live: true, note: 'say \"hi\"'}}"
    )
    assert [e.text for e in probe.expectations()] == [
        "status in [2xx]",
        'json("first name") == "Ada"',
        "json.count == 2",
        "json.live == true",
        'json.note == "say \\"hi\\""',
    ]
