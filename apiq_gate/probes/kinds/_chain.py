"""What a served certificate chain says: expiry, names, keys and signatures, as plain facts.

Pure functions over `cryptography` certificates and a given `now`; the handshakes that
obtain the chain live in `_handshakes.py`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

SECONDS_PER_DAY = 86400


def describe_chain(
    certificates: Sequence[x509.Certificate], signature_algorithms: Sequence[str], now: dt.datetime
) -> dict[str, Any]:
    """The leaf's facts, the whole chain's, and which certificate expires first."""
    chain = [describe(cert, algorithm, now) for cert, algorithm in zip(certificates, signature_algorithms, strict=True)]
    soonest = min(range(len(chain)), key=lambda i: certificates[i].not_valid_after_utc)
    leaf, first_to_expire = chain[0], chain[soonest]
    return {
        "days_left": first_to_expire["days_left"],  # the minimum over the chain
        "expiring_subject": first_to_expire["subject"],
        "expiring_not_after": first_to_expire["not_after"],
        "subject": leaf["subject"],
        "issuer": leaf["issuer"],
        "san": subject_alt_names(certificates[0]),
        "not_before": certificates[0].not_valid_before_utc.isoformat(),
        "not_after": leaf["not_after"],
        "key_type": leaf["key_type"],
        "key_bits": leaf["key_bits"],
        "signature_algorithm": leaf["signature_algorithm"],
        "chain": chain,
    }


def describe(cert: x509.Certificate, signature_algorithm: str, now: dt.datetime) -> dict[str, Any]:
    key_type, key_bits = key_of(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "days_left": days_left(cert, now),
        "key_type": key_type,
        "key_bits": key_bits,
        "signature_algorithm": signature_algorithm,
    }


def days_left(cert: x509.Certificate, now: dt.datetime) -> int:
    """Whole days until expiry, rounded down: an hour past expiry is already -1, never 0."""
    return math.floor((cert.not_valid_after_utc - now).total_seconds() / SECONDS_PER_DAY)


def key_of(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except (ValueError, TypeError):  # a key type cryptography does not know
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


def subject_alt_names(cert: x509.Certificate) -> list[str]:
    names = _san(cert)
    if names is None:
        return []
    addresses = [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    return [*names.get_values_for_type(x509.DNSName), *addresses]


def hostname_matches(cert: x509.Certificate, name: str) -> bool:
    """The leaf is valid for `name` by the rules OpenSSL applies under Python's defaults:
    DNS names and IP addresses from the SAN, a wildcard only as the whole leftmost label,
    and the common name only when the SAN lists no DNS name (so this agrees with `verified`)."""
    names = _san(cert)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return names is not None and address in names.get_values_for_type(x509.IPAddress)
    patterns = names.get_values_for_type(x509.DNSName) if names is not None else []
    if not patterns:
        common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        patterns = [str(attribute.value) for attribute in common]
    wanted = a_label(name)
    return any(_dns_match(pattern.lower().rstrip("."), wanted) for pattern in patterns)


def a_label(name: str) -> str:
    """The ASCII form names travel in (bücher.example → xn--bcher-kva.example)."""
    name = name.lower().rstrip(".")
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):  # absent, or malformed: no names either way
        return None


def _dns_match(pattern: str, name: str) -> bool:
    if pattern == name:
        return True
    if not pattern.startswith("*.") or "*" in pattern[2:]:
        return False  # partial wildcards (f*.example.com) are not honoured, as in OpenSSL
    head, _, rest = name.partition(".")
    return bool(head) and rest == pattern[2:] and "." in rest
