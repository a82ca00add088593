"""The `tls` probe against real TLS servers on 127.0.0.1, with certificates made here.

Every server presents the name `app.test` (pinned to 127.0.0.1 by the environment's
`resolve`, as in production configs), so SNI, hostname checks and trust all run for real.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator

import pytest
import yaml

from apiq_gate.config import ConfigError, loads
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Environment, Status
from apiq_gate.probes.base import ProbeFacts
from apiq_gate.probes.kinds import tls as tls_module
from apiq_gate.probes.kinds._chain import hostname_matches
from apiq_gate.probes.kinds.tls import TlsProbe
from apiq_gate.run import RunOptions, run
from apiq_gate.structure import Structurer
from tests.support.certs import CertFactory
from tests.support.servers import Answer, serving
from tests.support.tls_servers import closed_port, serving_tls, silent_server

NAME = "app.test"
ENVIRONMENT = Environment(host=NAME, resolve={NAME: "127.0.0.1"})


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertFactory:
    return CertFactory(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def valid_server(certs: CertFactory) -> Iterator[int]:
    with serving_tls(certs.leaf(NAME, days=90)) as server:
        yield server.port


def tls_probe(port: int, **fields: object) -> TlsProbe:
    """A probe of app.test:port that trusts the test root, with short timeouts and no retries."""
    fields = {"host": NAME, "port": port, "ca_bundle": "ca.pem", "timeout": 2, "retries": 0, **fields}
    yaml_text = "\n".join(f"{key}: {_yaml(value)}" for key, value in fields.items())
    return _structure(yaml_text)


def observe(probe: TlsProbe, certs: CertFactory, **ctx: object) -> ProbeFacts:
    options: dict[str, object] = {"sleep": lambda seconds: None, **ctx}
    context = RunContext(root=certs.directory, environ={}, environment=ENVIRONMENT, timeout=2.0, **options)
    return probe.observe(context)  # type: ignore[arg-type]


# --- certificates ------------------------------------------------------------------


def test_cert_factory__writes_pem_paths_for_server_and_client(certs: CertFactory) -> None:
    served = certs.leaf("paths.test")
    assert served.chain.read_bytes().count(b"BEGIN CERTIFICATE") == 2  # leaf + intermediate
    assert b"PRIVATE KEY" in served.key.read_bytes()
    assert certs.ca_bundle.read_bytes().count(b"BEGIN CERTIFICATE") == 1


def test_tls_probe__valid_certificate_passes_with_days_left(certs: CertFactory, valid_server: int) -> None:
    probe = tls_probe(valid_server, days_left=21)
    observed = observe(probe, certs)
    outcome = probe.judge(observed)

    assert outcome.status is Status.PASS, outcome.reason
    assert "days_left (90) >= 21" in outcome.reason
    facts = observed.facts
    assert facts["verified"] is True and facts["verify_error"] is None
    assert facts["hostname_match"] is True
    assert facts["subject"] == f"CN={NAME}" and facts["san"] == [NAME]
    assert facts["issuer"] == "CN=apiq test intermediate CA"
    assert [c["subject"] for c in facts["chain"]] == [f"CN={NAME}", "CN=apiq test intermediate CA"]
    assert facts["expiring_subject"] == f"CN={NAME}"
    assert facts["protocol"] == "TLSv1.3"
    assert (facts["key_type"], facts["key_bits"], facts["signature_algorithm"]) == ("EC", 256, "ecdsa-with-SHA256")


def test_tls_probe__expired_certificate_fails_and_still_says_expired(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME, days=-2)) as server:
        probe = tls_probe(server.port, days_left=21)
        observed = observe(probe, certs)
    outcome = probe.judge(observed)

    assert outcome.status is Status.FAIL
    assert "verified (false)" in outcome.reason
    assert "days_left (-2) >= 21" in outcome.reason
    assert outcome.reason.endswith("verification failed: certificate has expired")  # not "down"
    assert observed.facts["verify_error"] == "certificate has expired"
    assert observed.facts["verify_reason"] == "expired"
    assert observed.facts["not_after"] < dt.datetime.now(dt.UTC).isoformat()


def test_tls_probe__expiring_soon_fails_on_days_left(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME, days=9)) as server:
        probe = tls_probe(server.port, days_left=21)
        outcome = probe.judge(observe(probe, certs))

    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("days_left (9) >= 21")  # the only failure: it is still verified


def test_tls_probe__intermediate_expiring_first_sets_days_left(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME, days=90, intermediate_days=5)) as server:
        probe = tls_probe(server.port, days_left=21)
        observed = observe(probe, certs)

    facts = observed.facts
    assert facts["days_left"] == 5
    assert facts["expiring_subject"] == "CN=apiq short-lived intermediate CA"
    assert [c["days_left"] for c in facts["chain"]] == [90, 5]
    assert probe.judge(observed).reason.startswith("days_left (5) >= 21")


def test_tls_probe__wrong_host_reports_hostname_mismatch(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME, san=("other.test",))) as server:
        probe = tls_probe(server.port)
        observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.FAIL
    assert observed.facts["hostname_match"] is False
    assert observed.facts["verify_reason"] == "hostname_mismatch"
    assert "not valid for 'app.test'" in observed.facts["verify_error"]
    assert observed.facts["san"] == ["other.test"]


def test_tls_probe__self_signed_certificate_is_untrusted(certs: CertFactory) -> None:
    with serving_tls(certs.self_signed(NAME, key="rsa2048")) as server:
        probe = tls_probe(server.port)
        observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.FAIL
    facts = observed.facts
    assert (facts["verify_reason"], facts["verify_error"]) == ("self_signed", "self-signed certificate")
    assert facts["issuer"] == facts["subject"] == f"CN={NAME}"
    assert facts["hostname_match"] is True  # the name is right; nobody vouches for it
    assert (facts["key_type"], facts["key_bits"], facts["signature_algorithm"]) == ("RSA", 2048, "sha256WithRSAEncryption")


def test_tls_probe__private_ca_without_ca_bundle_is_an_untrusted_issuer(certs: CertFactory, valid_server: int) -> None:
    probe = tls_probe(valid_server, ca_bundle=None)  # the system store does not know the test root
    observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.FAIL
    assert observed.facts["verify_reason"] == "untrusted_issuer"
    assert observed.facts["verify_error"] == "unable to get local issuer certificate"


def test_tls_probe__rsa_1024_key_is_reported_and_fails_key_size(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME, key="rsa1024"), legacy=True) as server:
        probe = tls_probe(server.port, verified=False, expect=["key_bits >= 2048"])
        observed = observe(probe, certs)

    assert (observed.facts["key_type"], observed.facts["key_bits"]) == ("RSA", 1024)
    assert observed.facts["verify_reason"] == "weak_key"  # a modern client refuses it
    assert probe.judge(observed).reason.startswith("key_bits (1024) >= 2048")


def test_tls_probe__server_name_is_sent_and_checked_when_connecting_by_address(
    certs: CertFactory,
) -> None:
    seen: list[str | None] = []
    with serving_tls(certs.leaf(NAME), minimum="TLSv1", server_names=seen) as server:
        probe = tls_probe(server.port, host="127.0.0.1", server_name=NAME, expect=['accepts("TLSv1")'])
        observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.PASS
    assert observed.target == f"127.0.0.1:{server.port} as {NAME}"
    assert seen == [NAME, NAME, NAME]  # verified look, chain look, TLS 1.0 attempt


@pytest.mark.parametrize(
    ("name", "matches"),
    [
        ("a.app.test", True),
        ("A.App.Test.", True),
        ("app.test", False),  # a wildcard needs a label of its own
        ("a.b.app.test", False),  # and covers exactly one
        ("127.0.0.1", True),
        ("127.0.0.2", False),
    ],
)
def test_hostname_matches__wildcards_and_addresses(certs: CertFactory, name: str, matches: bool) -> None:
    leaf = certs.leaf("wild.test", san=("*.app.test", "127.0.0.1")).leaf
    assert hostname_matches(leaf, name) is matches


def test_hostname_matches__common_name_only_without_dns_names(certs: CertFactory) -> None:
    assert hostname_matches(certs.leaf("cn.test", san=("127.0.0.1",)).leaf, "cn.test") is True
    assert hostname_matches(certs.leaf("cn.test", san=("other.test",)).leaf, "cn.test") is False


# --- protocols ---------------------------------------------------------------------


def test_tls_probe__server_accepting_tls10_fails_refuse(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME), minimum="TLSv1") as server:
        probe = tls_probe(server.port, refuse=["TLSv1", "TLSv1.1"])
        observed = observe(probe, certs)
    outcome = probe.judge(observed)

    assert outcome.status is Status.FAIL
    assert observed.facts["accepts"] == {"TLSv1": True, "TLSv1.1": True}
    assert 'not accepts("TLSv1") (true)' in outcome.reason
    assert observed.facts["protocol"] == "TLSv1.3"  # a modern client still gets the best


def test_tls_probe__modern_server_passes_refuse(certs: CertFactory, valid_server: int) -> None:
    probe = tls_probe(valid_server, refuse=["TLSv1", "TLSv1.1"], expect=['accepts("TLSv1.3")'])
    observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.PASS
    assert observed.facts["accepts"] == {"TLSv1": False, "TLSv1.1": False, "TLSv1.3": True}


def test_tls_probe__tls10_only_server_is_described_by_the_lenient_look(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME), minimum="TLSv1", maximum="TLSv1") as server:
        probe = tls_probe(server.port)
        observed = observe(probe, certs)

    facts = observed.facts
    assert facts["verified"] is False and facts["verify_reason"] == "handshake"
    assert facts["verify_error"].startswith("handshake failed:")
    assert (facts["protocol"], facts["subject"]) == ("TLSv1", f"CN={NAME}")


def test_tls_probe__min_version_fails_a_server_without_tls13(certs: CertFactory) -> None:
    with serving_tls(certs.leaf(NAME), maximum="TLSv1.2") as server:
        probe = tls_probe(server.port, min_version="TLSv1.3")
        outcome = probe.judge(observe(probe, certs))

    assert outcome.status is Status.FAIL
    assert 'protocol ("TLSv1.2") in ["TLSv1.3"]' in outcome.reason
    assert 'not accepts("TLSv1.2") (true)' in outcome.reason


def test_tls_probe__protocol_this_client_cannot_offer_is_an_error(certs: CertFactory, valid_server: int) -> None:
    probe = tls_probe(valid_server, refuse=["SSLv3"])  # Debian's OpenSSL is built without SSLv3
    outcome = probe.judge(observe(probe, certs))

    assert outcome.status is Status.ERROR
    assert "this machine's OpenSSL cannot offer SSLv3" in outcome.reason


# --- unreachable targets and bad config ---------------------------------------------


def test_tls_probe__closed_port_is_an_error(certs: CertFactory) -> None:
    probe = tls_probe(closed_port(), retries=1)
    sleeps: list[float] = []
    observed = observe(probe, certs, sleep=sleeps.append)

    assert probe.judge(observed).status is Status.ERROR
    assert observed.error == "cannot connect to 127.0.0.1:{}: connection refused".format(probe.port)
    assert sleeps == [0.5]  # refused is transient: retried once, with backoff


def test_tls_probe__silent_server_times_out(certs: CertFactory) -> None:
    with silent_server() as port:
        probe = tls_probe(port, timeout="200ms")
        observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.ERROR
    assert observed.error == "timed out after 0.2s"


def test_tls_probe__plain_http_port_is_an_error(certs: CertFactory) -> None:
    with serving({"/": Answer(status=200)}) as server:
        probe = tls_probe(server.port)
        observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.ERROR
    assert observed.error == "TLS handshake failed: wrong version number"


def test_tls_probe__undeclared_host_is_refused(certs: CertFactory, valid_server: int) -> None:
    probe = tls_probe(valid_server)
    observed = observe(probe, certs, allowed_hosts=frozenset({"elsewhere.test"}))

    assert probe.judge(observed).status is Status.ERROR
    assert "app.test is not a host the config declares" in observed.error  # type: ignore[operator]


def test_tls_probe__missing_ca_bundle_is_an_error(certs: CertFactory, valid_server: int) -> None:
    probe = tls_probe(valid_server, ca_bundle="certs/missing.pem")
    observed = observe(probe, certs)

    assert probe.judge(observed).status is Status.ERROR
    assert observed.error == "ca_bundle certs/missing.pem is not a file in the repository"


def test_tls_probe__misspelt_version_says_how_to_write_it() -> None:
    with pytest.raises(ConfigError) as caught:
        loads(_config("refuse: [TLSv1.0]"))

    assert "refuse[0]: 'TLSv1.0' is not one of SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3; write TLSv1" in str(caught.value)


def test_tls_probe__expectation_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        loads(_config("expect: ['accepts(\"TLSv1.0\")', 'days_lef >= 21']"))

    text = str(caught.value)
    assert 'accepts("TLSv1.0"): not a protocol version; use one of SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3' in text
    assert "'days_lef' in `days_lef >= 21` is not a fact of this probe; did you mean days_left?" in text


# --- end to end --------------------------------------------------------------------


def test_tls_probe__end_to_end_through_config_and_run(certs: CertFactory, valid_server: int) -> None:
    with serving_tls(certs.leaf(NAME, days=9)) as expiring:
        checklist = loads(
            f"""
version: 1
name: TLS gate
environments:
  production: {{host: {NAME}, resolve: {{{NAME}: 127.0.0.1}}}}
defaults: {{timeout: 2s}}
sections:
  - id: infrastructure
    title: Infrastructure Setup
    items:
      - id: ssl-certificate
        title: Valid SSL certificate installed
        evidence:
          - tls: {{port: {valid_server}, ca_bundle: ca.pem, days_left: 21, refuse: [TLSv1, TLSv1.1]}}
      - id: ssl-renewal
        title: Certificate renewed in time
        evidence:
          - tls: {{port: {expiring.port}, ca_bundle: ca.pem, expect: [days_left >= 21]}}
"""
        )
        report = run(checklist, RunOptions(root=certs.directory, environ={}))

    items = {item.id: item for item in report.items()}
    assert items["ssl-certificate"].status is Status.PASS, items["ssl-certificate"].reason
    assert items["ssl-renewal"].status is Status.FAIL
    assert "days_left (9) >= 21" in items["ssl-renewal"].reason


def test_tls_probe__docstring_example_is_a_valid_config() -> None:
    example = tls_module.__doc__.split("Example:\n", 1)[1]  # type: ignore[union-attr]
    items = textwrap.indent(textwrap.dedent(example).strip(), "      ")
    config = f"""
version: 1
name: Example
environments: {{production: {{host: app.apiq.example}}}}
sections:
  - id: infrastructure
    title: Infrastructure Setup
    items:
{items}
"""
    (item,) = loads(config).sections[0].items
    probe = item.evidence[0]
    assert isinstance(probe, TlsProbe)
    assert [str(e) for e in probe.expectations()][:4] == [
        "verified",
        "days_left >= 21",
        'not accepts("TLSv1")',
        'not accepts("TLSv1.1")',
    ]


# --- helpers -----------------------------------------------------------------------


def _config(*probe_lines: str) -> str:
    fields = "\n".join(f"              {line}" for line in probe_lines)
    return f"""
version: 1
name: TLS gate
environments: {{production: {{host: {NAME}}}}}
sections:
  - id: s
    title: S
    items:
      - id: tls
        title: TLS
        evidence:
          - tls:
{fields}
"""


def _yaml(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(f"'{v}'" for v in value) + "]"
    return str(value)


def _structure(yaml_text: str) -> TlsProbe:
    s = Structurer("<test>")
    probe = s.structure(yaml.compose(yaml_text), TlsProbe, "tls")
    assert not s.problems, s.problems
    return probe  # type: ignore[no-any-return]
