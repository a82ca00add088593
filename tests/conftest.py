"""Shared test setup: no network but loopback, hypothesis profiles, and factories.

Factories build the frozen model the loader would build (defaults filled in), so unit
tests of the pure core state only what their case is about: `make_item(severity=...)`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from apiq_gate import evidence as evidence_registry
from apiq_gate.config_types import RepoPath
from apiq_gate.evidence.base import Evidence
from apiq_gate.evidence.file import FileEvidence
from apiq_gate.model import DEFAULT_PHASES, Checklist, Defaults, Item, Section, Severity, Waiver

# The fake GitHub REST API (real HTTP on 127.0.0.1) for every test that needs GitHub.
pytest_plugins = ["tests.fakegithub.fixtures"]

# --- hypothesis: no deadlines (a loaded 2-core CI machine is not a slow loader) -----
# Generating whole configs is slow next to running them; on a busy machine that is no bug.
_SLOW_IS_FINE = [HealthCheck.too_slow]
# CI replays the same examples every run (a red build reproduces locally with CI=1);
# developers' runs explore new ones.
settings.register_profile(
    "ci", deadline=None, max_examples=100, derandomize=True, suppress_health_check=_SLOW_IS_FINE
)
settings.register_profile(
    "dev", deadline=None, max_examples=50, suppress_health_check=_SLOW_IS_FINE
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --- the network guard --------------------------------------------------------------


class NetworkBlockedError(OSError):
    """A test tried to reach beyond loopback. Raised as an OSError so the code under test
    sees a connection failure, while the message says who refused it."""


def _is_local_host(host: object) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False  # a name other than localhost would need DNS
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _is_local_address(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path (or abstract name)
        return True
    if isinstance(address, tuple) and address and isinstance(address[0], str | bytes):
        return _is_local_host(address[0])
    return True  # netlink and other non-IP families carry no host


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection, datagram and name lookup that would leave the machine."""

    def refuse(what: str, target: object) -> NetworkBlockedError:
        return NetworkBlockedError(
            f"tests may use loopback only; {what} {target!r} was blocked by tests/conftest.py"
        )

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_create_connection, real_getaddrinfo = socket.create_connection, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local_address(address):
            raise refuse("connect to", address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local_address(address):
            raise refuse("connect to", address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local_address(args[-1]):
            raise refuse("datagram to", args[-1])
        return real_sendto(self, data, *args)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _is_local_address(address):
            raise refuse("connection to", address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        # A name lookup is traffic too (DNS). Refused as "does not resolve", which is what
        # an offline machine would answer for the reserved names tests use.
        if not _is_local_host(host):
            raise socket.gaierror(
                socket.EAI_NONAME, f"name lookup of {host!r} was blocked by tests/conftest.py"
            )
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# --- files and the command line -------------------------------------------------------


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """`write_config(text, name="apiq-gate.yml") -> Path`: the dedented text, in tmp_path."""

    def write(text: str, name: str = "apiq-gate.yml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """`write_file("docs/x.md", text) -> Path`: a file of the repository rooted at tmp_path."""

    def write(relative: str, text: str = "") -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """`run_cli("check", "--config", path, env={...}) -> Result` through click's CliRunner;
    `env` adds to (or, with None values, removes from) the process environment."""
    from apiq_gate.cli import cli  # noqa: PLC0415

    def run(*args: object, env: dict[str, str | None] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def register_kind() -> Iterator[Callable[[type[Evidence]], type[Evidence]]]:
    """Register test-only evidence kinds for one test, then remove them again, so the
    registry (and the schema built from it) is the shipped one for every other test."""
    registry = evidence_registry.kinds()
    added: list[str] = []

    def register(cls: type[Evidence]) -> type[Evidence]:
        assert cls.kind not in registry, f"{cls.kind} is a real evidence kind"
        registry[cls.kind] = cls
        added.append(cls.kind)
        return cls

    yield register
    for name in added:
        registry.pop(name, None)


# --- model factories ------------------------------------------------------------------

UTC_NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def make_item(**overrides: Any) -> Item:
    """An item as the loader builds it: defaults filled in, one `file` evidence."""
    values: dict[str, Any] = {
        "id": "rollback-runbook",
        "title": "Rollback runbook written",
        "severity": Severity.REQUIRED,
        "phases": DEFAULT_PHASES,
        "evidence": (FileEvidence(path=RepoPath("docs/runbooks/rollback.md")),),
    }
    values.update(overrides)
    return Item(**values)


def make_section(**overrides: Any) -> Section:
    values: dict[str, Any] = {"id": "operations", "title": "Operations", "items": (make_item(),)}
    values.update(overrides)
    return Section(**values)


def make_waiver(**overrides: Any) -> Waiver:
    values: dict[str, Any] = {
        "item": "rollback-runbook",
        "reason": "Written after the first release",
        "approved_by": "@payments/leads",
        "expires": dt.date(2026, 12, 31),
    }
    values.update(overrides)
    return Waiver(**values)


def make_checklist(**overrides: Any) -> Checklist:
    values: dict[str, Any] = {
        "version": 1,
        "name": "Payments API go-live",
        "sections": (make_section(),),
        "defaults": Defaults(),
    }
    values.update(overrides)
    return Checklist(**values)


@pytest.fixture(name="make_item")
def make_item_fixture() -> Callable[..., Item]:
    return make_item


@pytest.fixture(name="make_section")
def make_section_fixture() -> Callable[..., Section]:
    return make_section


@pytest.fixture(name="make_checklist")
def make_checklist_fixture() -> Callable[..., Checklist]:
    return make_checklist


@pytest.fixture(name="make_waiver")
def make_waiver_fixture() -> Callable[..., Waiver]:
    return make_waiver


def replace_item(checklist: Checklist, item_id: str, **changes: Any) -> Checklist:
    """The checklist with one item changed (frozen values: a copy, never a mutation)."""
    sections = tuple(
        dataclasses.replace(
            s,
            items=tuple(
                dataclasses.replace(i, **changes) if i.id == item_id else i for i in s.items
            ),
        )
        for s in checklist.sections
    )
    return dataclasses.replace(checklist, sections=sections)
