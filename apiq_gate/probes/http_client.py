"""The HTTP layer every HTTP-speaking probe shares (http, latency, headers, CORS, redirects…).

Built on requests, with the policy a probe needs and a browser doesn't: we resolve names
ourselves (IPv4 by default, `resolve` overrides honoured) and connect to the address while
SNI, Host and certificate checks keep the real name; redirects are followed by hand so a
hop to a host the config does not declare is refused; bodies are read up to a cap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from apiq_gate.evidence.base import RunContext
from apiq_gate.probes import cancel, watchdog
from apiq_gate.probes.targets import TargetError, resolve

MAX_REDIRECTS = 10
DEFAULT_BODY_CAP = 1_000_000
USER_AGENT = "apiq-gate-probe/1 (+https://github.com/apiq/apiq-gate)"


class HttpFailure(Exception):
    """No HTTP response at all; `transient` says whether a retry may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpRequest:
    method: str = "GET"
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: float = 10.0
    follow_redirects: bool = True
    verify: bool | str = True  # False, True (system store) or a CA bundle path
    ipv6: bool = False
    body_cap: int = DEFAULT_BODY_CAP
    # False: the body as sent on the wire (still gzip/br-encoded), e.g. to measure compression
    decode_content: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpExchange:
    """What came back: the last response, and the hops that led to it."""

    url: str
    final_url: str
    status: int
    reason: str
    http_version: str
    headers: Mapping[str, str]  # keys lower-cased; repeated headers joined with ", "
    set_cookies: tuple[str, ...]
    body: bytes
    truncated: bool
    elapsed_s: float  # request sent → body read (capped), the last hop
    total_s: float  # all hops
    redirects: tuple[Mapping[str, Any], ...]  # {"status", "url", "location"} of each hop

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """Registers its socket with the exchange's watchdog guard (see watchdog.py) on connecting
    and on every request, kept-alive ones too."""

    def connect(self) -> None:
        super().connect()
        watchdog.watch(self.sock)

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]  # as urllib3's own
        watchdog.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        watchdog.watch(self.sock)

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        watchdog.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _PinnedHostAdapter(HTTPAdapter):
    """Connects to an address but verifies the certificate for, and sends SNI of, `host`."""

    def __init__(self, host: str, *, tls: bool) -> None:
        self._host = host
        self._tls = tls
        super().__init__(pool_connections=1, pool_maxsize=4, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._tls:  # urllib3 2 hands these to plain HTTPConnection too, which refuses them
            kwargs["server_hostname"] = self._host
            kwargs["assert_hostname"] = self._host
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class HttpClient:
    """One probe's connections. Reused across samples for keep-alive; closed after."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._session = requests.Session()
        self._session.trust_env = False  # proxies and .netrc of the runner are not the target's
        self._mounted: dict[str, str] = {}  # address prefix -> the host its adapter pins

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def send(self, request: HttpRequest) -> HttpExchange:
        """The exchange, redirects included, within `request.timeout` in all."""
        url, hops, started = request.url, [], time.perf_counter()
        deadline = time.monotonic() + request.timeout
        run_deadline = cancel.deadline_of(self._ctx)
        if run_deadline is not None and run_deadline < deadline:  # the run gives up first
            deadline = run_deadline
        visited = {url}
        while True:
            response, body, truncated, elapsed = self._one(request, url, deadline)
            location = response.headers.get("location")
            if not (request.follow_redirects and response.is_redirect and location):
                break
            target = urljoin(url, location)
            hops.append({"status": response.status_code, "url": url, "location": target})
            if len(hops) > MAX_REDIRECTS:
                raise HttpFailure(f"more than {MAX_REDIRECTS} redirects", transient=False)
            if target in visited:
                raise HttpFailure(f"redirect loop: {target} again", transient=False)
            if not self._allowed(target):
                raise HttpFailure(
                    f"redirect to {urlsplit(target).hostname}, a host the config does not declare, was not followed",
                    transient=False,
                )
            visited.add(target)
            url = target
        return HttpExchange(
            url=request.url,
            final_url=url,
            status=response.status_code,
            reason=response.reason or "",
            http_version={10: "1.0", 11: "1.1", 20: "2"}.get(getattr(response.raw, "version", 11), "1.1"),
            headers={k.lower(): v for k, v in response.headers.items()},
            set_cookies=tuple(_set_cookies(response)),
            body=body,
            truncated=truncated,
            elapsed_s=elapsed,
            total_s=time.perf_counter() - started,
            redirects=tuple(hops),
        )

    def _allowed(self, url: str) -> bool:
        allowed = self._ctx.allowed_hosts
        return allowed is None or (urlsplit(url).hostname or "").lower() in allowed

    def _one(self, request: HttpRequest, url: str, deadline: float) -> tuple[requests.Response, bytes, bool, float]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetError(f"'{url}' is not an http(s) URL")
        if not self._allowed(url):
            raise TargetError(f"{parts.hostname} is not a host the config declares")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        overrides = self._ctx.environment.resolve if self._ctx.environment else {}
        address = resolve(host, port, overrides=overrides, ipv6=request.ipv6)
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        prefix = f"{parts.scheme}://{netloc}"
        if self._mounted.get(prefix) != host:  # two names pinned to one address: one adapter each
            self._session.mount(prefix + "/", _PinnedHostAdapter(host, tls=parts.scheme == "https"))
            self._mounted[prefix] = host
        headers = {"User-Agent": USER_AGENT, **request.headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
        # User info in the URL is Basic authentication, as curl sends it (the request goes to the
        # address, so requests would drop it); an Authorization header of one's own wins.
        auth = None
        if parts.username is not None and not any(name.lower() == "authorization" for name in headers):
            auth = (unquote(parts.username), unquote(parts.password or ""))
        cancel.check(self._ctx)
        timed_out = HttpFailure(f"timed out after {request.timeout:g}s", transient=True)
        left = deadline - time.monotonic()
        if left <= 0:  # the redirects before this hop used the time up
            raise timed_out
        started = time.perf_counter()
        with watchdog.guarded(deadline) as guard:
            try:
                response = self._session.request(
                    request.method,
                    urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
                    headers=headers,
                    auth=auth,
                    data=request.body,
                    timeout=left,  # each read; the watchdog ends the exchange as a whole
                    allow_redirects=False,
                    verify=request.verify,
                    stream=True,
                )
                body, truncated = _read_capped(response, request.body_cap, deadline, decode=request.decode_content)
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, _PastDeadline) as exc:
                cancel.check(self._ctx)  # the run's deadline cut it: RunStopped, not a timeout
                late = guard.expired or time.monotonic() >= deadline
                timeout = isinstance(exc, _PastDeadline | requests.exceptions.Timeout)
                raise timed_out if late or timeout else _failure(exc) from None
        if guard.expired:  # the watchdog cut the body short, and no error said so
            response.close()
            cancel.check(self._ctx)
            raise timed_out
        return response, body, truncated, time.perf_counter() - started


class _PastDeadline(Exception):
    """The exchange's time ran out between two reads."""


def _failure(exc: Exception) -> HttpFailure:
    """What a request without an answer (in time) says."""
    if isinstance(exc, requests.exceptions.SSLError):
        return HttpFailure(f"TLS handshake failed: {_root_cause(exc)}", transient=False)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return HttpFailure(f"connection failed: {_root_cause(exc)}", transient=True)
    if isinstance(exc, urllib3.exceptions.HTTPError):  # the undecoded stream is urllib3's own
        return HttpFailure(f"reading the response failed: {_root_cause(exc)}", transient=True)
    return HttpFailure(f"request failed: {_root_cause(exc)}", transient=False)


def _read_capped(response: requests.Response, cap: int, deadline: float, *, decode: bool = True) -> tuple[bytes, bool]:
    chunks, size = [], 0
    stream = response.iter_content(chunk_size=65536) if decode else response.raw.stream(65536, decode_content=False)
    for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            response.close()
            return b"".join(chunks)[:cap], True
        if time.monotonic() >= deadline:
            response.close()
            raise _PastDeadline
    return b"".join(chunks), False


def _set_cookies(response: requests.Response) -> list[str]:
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "getlist"):
        return list(raw.getlist("Set-Cookie"))
    value = response.headers.get("set-cookie")
    return [value] if value else []


def _root_cause(exc: BaseException) -> str:
    """The innermost reason (urllib3 wraps everything several times)."""
    seen = exc
    while True:
        inner = (
            seen.__cause__
            or seen.__context__
            or (seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None)
        )
        if inner is None or inner is seen:
            break
        seen = inner
    text = str(seen) or type(seen).__name__
    for noisy in ("HTTPSConnectionPool", "HTTPConnectionPool"):
        if text.startswith(noisy) and ": " in text:
            text = text.split(": ", 1)[1]
    return text
