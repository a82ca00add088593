"""A fake GitHub REST API over real HTTP on 127.0.0.1, for PyGithub and plain `requests` alike.

    with FakeGitHub() as fake:
        token = fake.add_token(TokenSpec.workflow())
        repo = fake.seed_pull_request_event(payload, base_files={"apiq.yml": "..."})
        Github(base_url=fake.url, auth=Auth.Token(token)).get_repo(repo.full_name)

`fake.url` is what `GITHUB_API_URL` should be. With `path_prefix="/api/v3"` it serves like GitHub
Enterprise Server. Connections are HTTP/1.1 keep-alive, as PyGithub's session expects.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from . import routes_checks, routes_comments, routes_repos
from .contract import Contract, default_contract
from .dispatch import Dispatcher, LoggedRequest
from .faults import Faults
from .operations import OPERATIONS
from .ratelimit import RateLimits
from .router import Route
from .seeding import Files, RepoHandle, add_repo, add_repo_from_payload, seed_pull_request_event
from .shapes import Urls
from .state import GitHubState
from .tokens import Identity, TokenSpec

ROUTES: dict[str, Route] = {**routes_repos.ROUTES, **routes_comments.ROUTES, **routes_checks.ROUTES}
if set(ROUTES) != set(
    OPERATIONS
):  # one list of operations feeds the router, the contract and faults
    raise RuntimeError(
        f"routes and operations.py disagree: {sorted(set(ROUTES) ^ set(OPERATIONS))}"
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    dispatcher: Dispatcher

    def __init__(self, dispatcher: Dispatcher) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.dispatcher = dispatcher
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.sockets_lock:
            for sock in list(self.open_sockets):
                with contextlib.suppress(OSError):  # already closed by the client
                    sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 10  # an idle keep-alive connection is closed after this many seconds

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes; without this, Nagle's algorithm and delayed ACKs
        # add 40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return "GitHub.com"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        dispatcher = self.server.dispatcher
        outcome = dispatcher.dispatch(self.command, self.path, dict(self.headers.items()), raw_body)
        if outcome.held is not None:
            dispatcher.faults.wait(outcome.held, outcome.operation)
        if outcome.reply is None:
            self.close_connection = True
            return
        reply = outcome.reply
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


class FakeGitHub:
    def __init__(
        self,
        *,
        path_prefix: str = "",
        web_url: str = "https://github.com",
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], datetime] | None = None,
        contract: Contract | None = None,
    ) -> None:
        self.state = GitHubState(clock)
        self.rate_limits = RateLimits(wall_clock)
        self.faults = Faults(self.rate_limits, self._rate_limit_of)
        self.path_prefix = path_prefix.rstrip("/")
        self.web_url = web_url
        self.contract = contract or default_contract()
        # Checked by the fixture at teardown; a test sending bad requests on purpose opts out.
        self.fail_on_contract_violations = True
        self.require_faults_used = True
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        dispatcher = Dispatcher(
            state=self.state,
            faults=self.faults,
            rate_limits=self.rate_limits,
            contract=self.contract,
            routes=ROUTES,
            urls=Urls(api="", web=self.web_url),
            path_prefix=self.path_prefix,
        )
        self._server = _Server(dispatcher)
        dispatcher.urls = Urls(api=self.url, web=self.web_url)
        # A short poll interval makes stop() quick; the loop is idle otherwise.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-github",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.faults.release_all()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API root, e.g. http://127.0.0.1:54321: what GITHUB_API_URL should be."""
        if self._server is None:
            raise RuntimeError("start the fake first")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{self.path_prefix}"

    # -- setting up ---------------------------------------------------------------------------

    def add_token(self, spec: TokenSpec, value: str | None = None) -> str:
        """Register a token; returns its value (`ghs_...` like an installation token)."""
        with self.state.lock:
            value = value or f"ghs_fake{len(self.state.tokens) + 1:04d}"
            self.state.tokens[value] = spec
            self.state.users.setdefault(spec.identity.login.lower(), spec.identity)
            return value

    def add_user(self, login: str) -> Identity:
        return self.state.user(login)

    def add_repo(
        self, full_name: str, *, default_branch: str = "main", private: bool = False
    ) -> RepoHandle:
        return add_repo(self.state, full_name, default_branch=default_branch, private=private)

    def add_repo_from_payload(self, payload: Mapping[str, Any]) -> RepoHandle:
        return add_repo_from_payload(self.state, payload)

    def seed_pull_request_event(
        self, payload: Mapping[str, Any], *, base_files: Files, head_files: Files | None = None
    ) -> RepoHandle:
        return seed_pull_request_event(
            self.state, payload, base_files=base_files, head_files=head_files
        )

    def repo(self, full_name: str) -> RepoHandle:
        return RepoHandle(self.state, self.state.repos[full_name.lower()])

    def add_team(self, org: str, slug: str, members: Mapping[str, str]) -> None:
        """A team; `members` maps login to role ("member" or "maintainer")."""
        with self.state.lock:
            self.state.user(org, kind="Organization")
            key = (org.lower(), slug.lower())
            self.state.team_ids.setdefault(key, self.state.next_id("team"))
            self.state.teams[key] = {login.lower(): role for login, role in members.items()}
            for login in members:
                self.state.user(login)

    def _rate_limit_of(self, token: str) -> int:
        return self.state.tokens[token].rate_limit

    # -- reading back -------------------------------------------------------------------------

    @property
    def requests(self) -> tuple[LoggedRequest, ...]:
        """Every request received so far, in the order the fake answered them."""
        if self._server is None:
            return ()
        with self._server.dispatcher._log_lock:
            return tuple(self._server.dispatcher.log)

    def requests_for(self, pattern: str) -> tuple[LoggedRequest, ...]:
        """Requests whose operation matches a pattern: "POST *", "GET /repos/{owner}/{repo}"."""
        return tuple(
            r for r in self.requests if fnmatchcase(r.operation or f"{r.method} {r.path}", pattern)
        )

    def contract_violations(self) -> list[str]:
        return [problem for request in self.requests for problem in request.contract_problems]

    def teardown_problems(self) -> list[str]:
        """What should fail the test even though its own assertions passed."""
        problems = list(self.faults.problems)
        if self._server is not None:
            problems += [f"the fake crashed:\n{crash}" for crash in self._server.dispatcher.crashes]
        if self.fail_on_contract_violations:
            problems += [
                f"request violates GitHub's OpenAPI description: {p}"
                for p in self.contract_violations()
            ]
        if self.require_faults_used:
            problems += self.faults.unused()
        return problems
