"""What a probe may address, and how: placeholders, secrets, allowed hosts, name resolution.

- `{env.url}`, `{env.host}`, `{env.NAME}` come from the run's environment (targets in config);
- `${VAR}` comes from the process environment and is a secret: masked in everything shown,
  percent-encoded too (in a URL it is sent percent-encoded); so is the password of a URL's
  user info (`http://admin:pw@host/`, sent as Basic authentication);
- a probe only reaches hosts the config declares, IPv4 by default (hosted runners have no IPv6),
  and `resolve` pins a name to an address while keeping the name for SNI, Host and certificates.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, urlsplit, urlunsplit

from apiq_gate.model import Environment

_ENV_REF = re.compile(r"\{env\.([A-Za-z0-9_-]+)\}")
_SECRET_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"
MIN_MASKED_LENGTH = 4  # masking "a" would shred every message; such a value is no secret anyway


class TargetError(Exception):
    """A probe's target cannot be formed or reached by policy; reported as an error result."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Expanded:
    value: str  # what is sent
    secrets: tuple[str, ...] = ()  # values that must never be shown

    @property
    def shown(self) -> str:
        return mask(self.value, self.secrets)


def env_refs(text: str) -> list[str]:
    return _ENV_REF.findall(text)


def environment_value(environment: Environment | None, name: str) -> str | None:
    if environment is None:
        return None
    if name in ("url", "host"):
        return getattr(environment, name) or None
    return environment.vars.get(name)


def expand(text: str, environment: Environment | None, environ: Mapping[str, str]) -> Expanded:
    """Fill `{env.*}` and `${VAR}` in `text`; TargetError names what is missing."""
    return _expand(text, environment, environ, url=False)


def expand_url(text: str, environment: Environment | None, environ: Mapping[str, str]) -> Expanded:
    """Fill a URL: a `${VAR}` after the scheme (user info, path, query) is percent-encoded, so a
    token with `&`, `=`, `+`, `/`, `%` or a space arrives as written; one that starts the URL
    (the whole URL from a variable) goes in as it is."""
    return _expand(text, environment, environ, url=True)


def _expand(text: str, environment: Environment | None, environ: Mapping[str, str], *, url: bool) -> Expanded:
    secrets: list[str] = []

    def env_value(match: re.Match[str]) -> str:
        value = environment_value(environment, match[1])
        if value is None:
            raise TargetError(f"the environment has no `{match[1]}` for {{env.{match[1]}}}")
        return value

    def secret_value(match: re.Match[str]) -> str:
        value = environ.get(match[1])
        if not value:
            raise TargetError(f"environment variable {match[1]} is not set")
        secrets.append(value)
        if url and "://" in match.string[: match.start()]:
            return quote(value, safe="")
        return value

    value = _SECRET_REF.sub(secret_value, _ENV_REF.sub(env_value, text))
    return Expanded(value=value, secrets=tuple(secrets))


def secret_refs(text: str) -> list[str]:
    return _SECRET_REF.findall(text)


def secret_refs_removed(text: str) -> str:
    return _SECRET_REF.sub("", text)


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret masked, as written and in the encoded forms a URL or a form
    body carries (a service may echo either)."""
    forms = {form for secret in secrets for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= MIN_MASKED_LENGTH:
            text = text.replace(form, MASK)
    return text


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def url_problem(text: str) -> str | None:
    """Why a configured URL is no http(s) URL, or None (one starting with a placeholder is
    known only at run time, and checked then)."""
    if text.startswith(("{env.", "${")):
        return None
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        scheme = ""
    if "://" in text and scheme in ("http", "https"):
        return None
    hint = "" if "://" in text else f"; write e.g. https://{text}"
    return f"'{text}' is not an http:// or https:// URL{hint}"


def url_secrets(url: str) -> tuple[str, ...]:
    """The password of a URL's user info (`http://admin:pw@host/`), as written and decoded, and the
    Basic credential it makes: secrets like any `${VAR}`."""
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:  # a malformed port; the request will say so
        return ()
    if not password:
        return ()
    basic = base64.b64encode(f"{unquote(user or '')}:{unquote(password)}".encode()).decode()
    return tuple(sorted({password, unquote(password), basic}))


def password_masked(url: str) -> str:
    """The URL with the password of its user info masked, for labels built from config text."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    user_info, at, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}{at}{host}"))


def resolve(host: str, port: int, *, overrides: Mapping[str, str], ipv6: bool) -> str:
    """The address to connect to: an override, or the first IPv4 (or IPv6 if asked) address."""
    if host in overrides:
        problem = override_problem(host, overrides[host], ipv6=ipv6)
        if problem:
            raise TargetError(problem)
        return overrides[host]
    if not ipv6 and _ip_version(host) == 6:
        raise TargetError(f"{host} {_IPV6_OFF}")
    family = socket.AF_UNSPEC if ipv6 else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetError(f"cannot resolve {host}: {exc.strerror}") from None
    return str(infos[0][4][0])


_IPV6_OFF = "is an IPv6 address; set `ipv6: true` on the probe to reach it (IPv4 by default: hosted runners have none)"


def override_problem(host: str, address: str, *, ipv6: bool) -> str | None:
    """Why `resolve: {host: address}` cannot be used by a probe, or None."""
    version = _ip_version(address)
    if version is None:
        return f"resolve maps {host} to '{address}', which is not an IP address; write e.g. 203.0.113.10"
    if version == 6 and not ipv6:
        return f"resolve maps {host} to {address}, which {_IPV6_OFF}"
    return None


def _ip_version(text: str) -> int | None:
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def is_ip(text: str) -> bool:
    return _ip_version(text) is not None
