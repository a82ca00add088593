"""Reading the security headers a browser acts on: HSTS, CSP and Set-Cookie, into small values.

Pure and forgiving: a malformed header becomes a value that says so (`valid=False`), never
an exception. Cookie values are dropped as soon as the header is split: they may be
session tokens, and nothing downstream needs them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"})
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
_NONCE_OR_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_MAX_AGE = re.compile(r'^max-age\s*=\s*"?(\d{1,18})"?$')


@dataclass(frozen=True, kw_only=True, slots=True)
class Hsts:
    present: bool
    valid: bool
    max_age: int  # seconds; 0 when absent or invalid
    include_subdomains: bool
    preload: bool  # the directive; whether the host is on the preload list is not checked


def parse_hsts(value: str | None) -> Hsts:
    if value is None:
        return Hsts(present=False, valid=False, max_age=0, include_subdomains=False, preload=False)
    max_age, include, preload = None, False, False
    for part in (p.strip().lower() for p in value[:1024].split(";")):
        if match := _MAX_AGE.match(part):
            max_age = int(match[1])
        include |= part == "includesubdomains"
        preload |= part == "preload"
    valid = max_age is not None and "," not in value  # a comma: the header was sent twice
    return Hsts(present=True, valid=valid, max_age=max_age or 0, include_subdomains=include, preload=preload)


def parse_csp(value: str) -> dict[str, list[str]]:
    """Directives of a policy (the first occurrence wins, as in browsers), sources lower-cased.

    Several policies (comma-separated) are read as one, the first one setting a directive
    winning: a simplification, as a browser would enforce each of them.
    """
    directives: dict[str, list[str]] = {}
    for policy in value.split(","):
        for directive in policy.split(";"):
            words = directive.strip().lower().split()
            if words and words[0] not in directives:
                directives[words[0]] = words[1:]
    return directives


@dataclass(frozen=True, kw_only=True, slots=True)
class CspView:
    present: bool
    report_only: bool  # only a Content-Security-Policy-Report-Only header
    directives: Mapping[str, Sequence[str]]
    unsafe_inline: bool  # inline scripts may run (also when scripts are not restricted at all)
    unsafe_eval: bool  # eval() may run (also when scripts are not restricted at all)
    frame_ancestors: bool  # framing restricted by frame-ancestors (not a wildcard)


def read_csp(headers: Mapping[str, str]) -> CspView:
    value = headers.get("content-security-policy")
    directives = parse_csp(value) if value else {}
    script_src = script_sources(directives)
    frame = directives.get("frame-ancestors")
    return CspView(
        present=bool(directives),
        report_only=not directives and bool(headers.get("content-security-policy-report-only")),
        directives=directives,
        unsafe_inline=bool(script_src & UNSAFE_INLINE) or "*" in script_src,
        unsafe_eval="'unsafe-eval'" in script_src or "*" in script_src,
        frame_ancestors=frame is not None and not (set(frame) & BROAD),
    )


def sources(directives: Mapping[str, Sequence[str]], name: str) -> set[str]:
    """The sources a fetch directive allows; `*` when neither it nor default-src restricts them."""
    found = directives.get(name, directives.get("default-src"))
    return set(found) if found is not None else {"*"}


def script_sources(directives: Mapping[str, Sequence[str]]) -> set[str]:
    """The script sources that take effect: `'unsafe-inline'` is ignored next to a nonce or hash."""
    found = sources(directives, "script-src")
    if any(s.startswith(_NONCE_OR_HASH) for s in found):
        found.discard("'unsafe-inline'")
        if "'strict-dynamic'" in found:  # only the nonce/hash-trusted scripts and what they load
            found = {s for s in found if s != "'self'" and not s.startswith(tuple(BROAD))}
    return found


@dataclass(frozen=True, kw_only=True, slots=True)
class Cookie:
    name: str  # the value is never kept: it may be a session token
    secure: bool
    httponly: bool
    samesite: str  # as sent ("Strict", "Lax", "None"), "" when absent or empty
    samesite_set: bool = False  # the attribute is there, even without a value


def parse_set_cookie(header: str) -> Cookie:
    first, *attributes = header.split(";")
    secure = httponly = samesite_set = False
    samesite = ""
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        key = key.strip().lower()
        secure |= key == "secure"
        httponly |= key == "httponly"
        if key == "samesite":
            samesite, samesite_set = val.strip()[:20], True
    name = first.partition("=")[0].strip()[:100]
    return Cookie(name=name, secure=secure, httponly=httponly, samesite=samesite, samesite_set=samesite_set)


def insecure(cookie: Cookie) -> bool:
    """Missing Secure, HttpOnly or a valid SameSite (SameSite=None needs Secure)."""
    samesite_ok = cookie.samesite.lower() in ("strict", "lax", "none")
    return not (cookie.secure and cookie.httponly and samesite_ok)
