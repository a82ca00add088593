"""Certificates made in the tests: every way a served chain can be good or bad.

One root CA and one intermediate sign every leaf (except the self-signed one), so a client
trusts them all through a single CA bundle. Keys are made once per process and reused
(EC keys are fast; RSA ones are not, and a test needs only one of each size), which keeps
a session that builds a dozen chains well under a second.

    factory = CertFactory(tmp_path)
    served = factory.leaf("app.test", days=9)     # PEM paths for a server: served.chain, served.key
    factory.ca_bundle                              # PEM path for a client

The cases:
    valid                           factory.leaf(name)                     (90 days left)
    expired                         factory.leaf(name, days=-2)
    expiring soon                   factory.leaf(name, days=9)
    intermediate expiring first     factory.leaf(name, intermediate_days=5)
    wrong host                      factory.leaf(name, san=("other.test",))
    untrusted, self-signed          factory.self_signed(name)
    key sizes                       factory.leaf(name, key="rsa1024" | "rsa2048" | "ec")
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyKind = Literal["ec", "rsa1024", "rsa2048"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
DAY = dt.timedelta(days=1)
# A certificate "expiring in 9 days" must still show 9 full days when the probe looks a
# moment later; the extra hour keeps the arithmetic off the boundary.
MARGIN = dt.timedelta(hours=1)


@functools.cache
def private_key(kind: KeyKind) -> PrivateKey:
    """One leaf key per kind per process: tests need distinct key types, not distinct keys."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=1024 if kind == "rsa1024" else 2048)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServedCert:
    """What a test server needs: its chain (leaf first, then intermediates) and its key."""

    chain: Path
    key: Path
    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Authority:
    name: x509.Name
    key: PrivateKey
    cert: x509.Certificate


class CertFactory:
    """Builds certificates into `directory`; `ca_bundle` is the one root clients trust."""

    def __init__(self, directory: Path, *, now: dt.datetime | None = None) -> None:
        self.directory = directory
        self.now = now or dt.datetime.now(dt.UTC)
        self._count = 0
        self.root = self._authority("apiq test root CA", issuer=None, days=3650)
        self.intermediate = self._authority("apiq test intermediate CA", issuer=self.root, days=1825)
        self.ca_bundle = self._write("ca.pem", _pem(self.root.cert))

    def leaf(
        self,
        name: str,
        *,
        days: float = 90,
        san: tuple[str, ...] | None = None,
        key: KeyKind = "ec",
        intermediate_days: float | None = None,
    ) -> ServedCert:
        """A leaf for `name` valid for `days` more (negative: expired that long ago).

        `san` replaces the names the leaf is valid for (a wrong-host certificate);
        `intermediate_days` gives the chain its own intermediate with that lifetime left.
        """
        issuer = self.intermediate
        if intermediate_days is not None:
            issuer = self._authority(
                "apiq short-lived intermediate CA", issuer=self.root, days=intermediate_days
            )
        cert = self._certificate(
            subject=_name(name),
            key=private_key(key),
            issuer=(issuer.name, issuer.key),
            not_after=self.now + days * DAY + MARGIN,
            san=san if san is not None else (name,),
        )
        return self._served(cert, key, (issuer.cert,))

    def self_signed(self, name: str, *, key: KeyKind = "ec") -> ServedCert:
        """A leaf that signs itself: nothing vouches for it."""
        own = private_key(key)
        cert = self._certificate(
            subject=_name(name),
            key=own,
            issuer=(_name(name), own),
            not_after=self.now + 90 * DAY,
            san=(name,),
        )
        return self._served(cert, key, ())

    # --- building blocks --------------------------------------------------------

    def _authority(self, common_name: str, *, issuer: Authority | None, days: float) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())  # its own key: no two CAs may share one
        name = _name(common_name)
        signer_name, signer_key = (issuer.name, issuer.key) if issuer else (name, key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(signer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - DAY)
            .not_valid_after(self.now + days * DAY + MARGIN)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
            )
        return Authority(name=name, key=key, cert=builder.sign(signer_key, hashes.SHA256()))

    def _certificate(
        self,
        *,
        subject: x509.Name,
        key: PrivateKey,
        issuer: tuple[x509.Name, PrivateKey],
        not_after: dt.datetime,
        san: tuple[str, ...],
    ) -> x509.Certificate:
        issuer_name, issuer_key = issuer
        not_before = min(self.now - DAY, not_after - DAY)  # an expired leaf was valid once
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in san]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
            .sign(issuer_key, hashes.SHA256())
        )

    def _served(
        self, leaf: x509.Certificate, key: KeyKind, intermediates: tuple[x509.Certificate, ...]
    ) -> ServedCert:
        self._count += 1
        stem = f"served-{self._count}"
        chain = self._write(f"{stem}-chain.pem", b"".join(_pem(c) for c in (leaf, *intermediates)))
        key_pem = private_key(key).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_path = self._write(f"{stem}-key.pem", key_pem)
        return ServedCert(chain=chain, key=key_path, leaf=leaf, intermediates=intermediates)

    def _write(self, filename: str, data: bytes) -> Path:
        path = self.directory / filename
        path.write_bytes(data)
        return path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
