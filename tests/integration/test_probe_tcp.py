"""The `tcp` probe against real sockets on 127.0.0.1: open, closed (refused), filtered
(connects that time out) and a service that greets with a banner.

A filtered port is made for real: a listener with a backlog of 0 whose accept queue is
already full. Linux then drops further SYNs, exactly as a firewall's DROP rule would, so
the connect times out.
"""

from __future__ import annotations

import errno
import socket
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apiq_gate.config import ConfigError, loads
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Checklist, Environment, Outcome, Status
from apiq_gate.probes.base import ProbeFacts
from apiq_gate.probes.kinds import tcp as tcp_module
from apiq_gate.probes.kinds.tcp import TcpProbe, closed_reason
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist as probe_checklist

HOST = "app.example.test"
ENVIRONMENT = f"{{host: {HOST}, resolve: {{{HOST}: 127.0.0.1}}}}"


# --- local ports ---------------------------------------------------------------------


@contextmanager
def open_port() -> Iterator[int]:
    """A port that takes connections (the kernel completes them; nobody needs to accept)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port() -> int:
    """A port bound and closed again: nothing listens, connects are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def filtered_port() -> Iterator[int]:
    """A port whose SYNs are dropped: its accept queue (backlog 0) is full, so connects time out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers: list[socket.socket] = []
        try:
            for _ in range(4):  # the queue holds backlog + 1 connections; fill it up
                filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                filler.settimeout(0.05)
                fillers.append(filler)
                try:
                    filler.connect(("127.0.0.1", port))
                except TimeoutError:
                    break  # full: this SYN was dropped
            else:
                pytest.fail("the accept queue never filled up")
            yield port
        finally:
            for filler in fillers:
                filler.close()


@contextmanager
def greeting(banner: bytes) -> Iterator[int]:
    """A service that says `banner` to whoever connects, like an SSH or SMTP server."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(banner)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


# --- helpers ---------------------------------------------------------------------------


def checklist(evidence_yaml: str) -> Checklist:
    return probe_checklist(evidence_yaml, f"environments:\n  production: {ENVIRONMENT}")


def tcp_probe(fields: str) -> TcpProbe:
    """`- tcp: {<fields>}`, with a short timeout and no retries unless the fields say so."""
    defaults = "".join(f"{key}: {value}, " for key, value in (("timeout", "1s"), ("retries", 0)) if f"{key}:" not in fields)
    (evidence,) = checklist(f"- tcp: {{{defaults}{fields}}}").sections[0].items[0].evidence
    assert isinstance(evidence, TcpProbe)
    return evidence


def observe(probe: TcpProbe, tmp_path: Path, **ctx: object) -> tuple[ProbeFacts, Outcome]:
    environment = Environment(host=HOST, resolve={HOST: "127.0.0.1"})
    options: dict[str, object] = {"sleep": lambda seconds: None, "environment": environment, **ctx}
    observed = probe.observe(RunContext(root=tmp_path, environ={}, timeout=2.0, **options))  # type: ignore[arg-type]
    return observed, probe.judge(observed)


# --- open, closed, filtered ---------------------------------------------------------------


def test_tcp_probe__open_port_passes_state_open(tmp_path: Path) -> None:
    with open_port() as port:
        observed, outcome = observe(tcp_probe(f"port: {port}, state: open"), tmp_path)

    assert outcome.status is Status.PASS
    assert outcome.reason == f"open (true) ({HOST}:{port})"
    facts = observed.facts
    assert (facts["open"], facts["error"], facts["filtered"], facts["address"]) == (True, None, False, "127.0.0.1")
    assert 0 < facts["connect_time"] < 1


def test_tcp_probe__no_state_and_no_expectations_means_open(tmp_path: Path) -> None:
    with open_port() as port:
        _, outcome = observe(tcp_probe(f"port: {port}"), tmp_path)

    assert outcome.status is Status.PASS
    assert outcome.details == ("open (true)",)


def test_tcp_probe__closed_port_passes_state_closed_without_retrying(tmp_path: Path) -> None:
    port, slept = closed_port(), []
    observed, outcome = observe(tcp_probe(f"port: {port}, state: closed, retries: 2"), tmp_path, sleep=slept.append)

    assert outcome.status is Status.PASS
    assert outcome.reason == f"not open (false) ({HOST}:{port})"
    assert (observed.facts["error"], observed.facts["error_message"], observed.facts["filtered"]) == ("refused", "Connection refused", False)
    assert "connect_time" not in observed.facts
    assert slept == []  # the answer wanted: nothing to retry


def test_tcp_probe__closed_port_fails_state_open_with_the_reason_after_retries(tmp_path: Path) -> None:
    port, slept = closed_port(), []
    observed, outcome = observe(tcp_probe(f"port: {port}, state: open, retries: 1"), tmp_path, sleep=slept.append)

    assert outcome.status is Status.FAIL
    assert outcome.reason == f"open (false) ({HOST}:{port})"
    assert observed.facts["error"] == "refused"
    assert slept == [0.5]  # a service restarting may be back a moment later: asked once more


def test_tcp_probe__filtered_port_counts_as_closed_and_says_filtered(tmp_path: Path) -> None:
    with filtered_port() as port:
        observed, closed = observe(tcp_probe(f"port: {port}, state: closed, timeout: 100ms"), tmp_path)
        _, must_be_open = observe(tcp_probe(f"port: {port}, timeout: 100ms, expect: [open, connect_time < 1s]"), tmp_path)

    assert closed.status is Status.PASS
    facts = observed.facts
    assert (facts["open"], facts["filtered"], facts["error"], facts["error_message"]) == (False, True, "timeout", "no answer within 0.1s")
    assert must_be_open.status is Status.FAIL
    assert must_be_open.details == ("open (false)", "connect_time (missing) < 1s")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError("timed out"), "timeout"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "refused"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "unreachable"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "unreachable"),
        (OSError(errno.EACCES, "Permission denied"), None),  # a local rule, not the port's state
        (OSError("blocked"), None),
    ],
)
def test_closed_reason__classifies_connect_errors(error: OSError, reason: str | None) -> None:
    assert closed_reason(error) == reason


def test_tcp_probe__connect_forbidden_here_is_an_error_never_closed(tmp_path: Path) -> None:
    # The test suite's network guard refuses any address but loopback, as a local firewall
    # rule would: that says nothing about the port, so even `state: closed` cannot pass.
    environment = Environment(host=HOST, resolve={HOST: "192.0.2.10"})
    _, outcome = observe(tcp_probe("port: 5432, state: closed"), tmp_path, environment=environment)

    assert outcome.status is Status.ERROR
    assert outcome.reason.startswith(f"{HOST}:5432: cannot connect to 192.0.2.10:5432: tests may use loopback only")


# --- banners ---------------------------------------------------------------------------


def test_tcp_probe__banner_is_read_when_asked(tmp_path: Path) -> None:
    with greeting(b"SSH-2.0-OpenSSH_9.6\r\n") as port:
        probe = tcp_probe(rf"""port: {port}, read_banner: true, expect: ['banner matches "^SSH-2\\.0-"']""")
        observed, outcome = observe(probe, tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["banner"] == "SSH-2.0-OpenSSH_9.6"


def test_tcp_probe__service_that_says_nothing_has_an_empty_banner(tmp_path: Path) -> None:
    with open_port() as port:
        observed, outcome = observe(tcp_probe(f"port: {port}, timeout: 100ms, read_banner: true, expect: ['banner matches \"^220 \"']"), tmp_path)

    assert outcome.status is Status.FAIL
    assert outcome.details == ('banner ("") matches "^220 "',)


# --- what a probe may reach, and config errors ----------------------------------------------


def test_tcp_probe__undeclared_host_is_refused(tmp_path: Path) -> None:
    _, outcome = observe(tcp_probe("host: db.other.test, port: 5432, state: closed"), tmp_path, allowed_hosts=frozenset({HOST}))

    assert outcome.status is Status.ERROR
    assert outcome.reason == "tcp db.other.test:5432: db.other.test is not a host the config declares"


def problems_of(evidence_yaml: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        checklist(evidence_yaml)
    return [str(problem) for problem in raised.value.problems]


def test_tcp_probe__missing_port_and_unknown_state_are_located_config_errors() -> None:
    assert problems_of("- tcp: {host: '{env.host}'}\n- tcp: {port: 5432, state: shut}") == [
        "<config>:13:18: sections[0].items[0].evidence[0].tcp.port: required key is missing; add `port:`",
        "<config>:14:38: sections[0].items[0].evidence[1].tcp.state: 'shut' is not one of open, closed",
    ]


def test_tcp_probe__impossible_port_and_banner_unread_are_config_errors() -> None:
    problems = problems_of("- tcp: {port: 70000}\n- tcp: {port: 22, expect: ['banner matches \"^SSH\"']}")

    assert [problem.split(": ", 2)[2] for problem in problems] == [
        "port 70000 is not a TCP port (1-65535)",
        '`banner matches "^SSH"` needs the banner; add `read_banner: true`',
    ]


def test_tcp_probe__docstring_example_is_a_valid_config() -> None:
    example = textwrap.dedent(tcp_module.__doc__.split("Example:\n")[1])
    text = f"version: 1\nname: x\nenvironments: {{production: {{host: {HOST}}}}}\nsections:\n  - id: s\n    title: S\n    items:\n"
    config = loads(text + textwrap.indent(example, " " * 6))

    assert [evidence.label() for _, item in config.items() for evidence in item.evidence] == [
        "tcp {env.host}:5432",
        "tcp bastion.{env.host}:22",
    ]


# --- end to end ------------------------------------------------------------------------


def test_tcp_probe__end_to_end_through_the_loader_and_a_run(tmp_path: Path) -> None:
    database = closed_port()
    with open_port() as https:
        config = checklist(
            f"""
            - tcp: {{host: "{{env.host}}", port: {https}, state: open}}
            - tcp: {{host: "{{env.host}}", port: {database}, state: closed}}
            """
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))

    (item,) = report.items()
    assert item.status is Status.PASS, item.reason
    assert [e.outcome.reason for e in item.evidence] == [f"open (true) ({HOST}:{https})", f"not open (false) ({HOST}:{database})"]
