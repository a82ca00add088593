"""`redirect`: plain HTTP redirects permanently to HTTPS on the same host and ends on HTTPS.

The probe starts at a plain `http://` URL and follows the redirects itself, one hop at a
time, so it sees every status and Location: the first hop should go to https on the same
host (so that the HSTS header set there protects later visits, as the MDN HTTP Observatory
explains), permanently (301 or 308), and the chain should end on https without looping. A
hop to a host the config does not declare is reported and not followed.

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`):
- `url` (`http://{env.host}/`): where to start; must be plain http;
- `max_hops` (10, at most 10): a longer chain counts as a loop;
- `verify`: certificate verification on the https hops (true, false or a CA bundle path).
With no `expect`: `permanent`, `same_host`, `ends_https`, `not loop`.

Facts: `first_status` (status of the first answer), `first_location` ("" when it did not
redirect), `permanent` (the first answer is 301 or 308), `same_host` (the first hop goes to
https on the same host name), `hops` (redirects followed), `final_url` and `final_status`
(where the chain ended; absent when it did not end), `ends_https` (absent when the chain did
not end: a loop, an undeclared host or a failed hop), `loop` (a URL came back, or more than
`max_hops` hops), `chain` ([{`status`, `url`, `location`}]), `stopped` ("" or why the probe
stopped before the end, e.g. the undeclared host it did not follow).

Example:

    - id: https-redirect
      title: HTTP redirects to HTTPS
      evidence:
        - redirect: {url: "http://{env.host}/"}
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from apiq_gate.conditions import Expectation, parse_all, unknown_names
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Outcome
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.http_client import HttpClient, HttpFailure, HttpRequest
from apiq_gate.probes.kinds._request import Verify
from apiq_gate.probes.targets import TargetError, expand_url, host_of, password_masked, url_secrets
from apiq_gate.structure import doc

MAX_HOPS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
FACTS = frozenset({"first_status", "first_location", "permanent", "same_host", "hops", "final_url",
                   "final_status", "ends_https", "loop", "chain", "stopped"})  # fmt: skip
DEFAULT_EXPECTATIONS = ("permanent", "same_host", "ends_https", "not loop")


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class RedirectProbe(Probe):
    """Plain HTTP answers with a permanent redirect to HTTPS on the same host, ending on HTTPS."""

    kind = "redirect"
    __shorthand__ = "url"

    url: str = doc(
        "Plain-http URL to start from",
        default="http://{env.host}/",
        example="http://{env.host}/login",
    )
    max_hops: int = doc(
        f"Redirects followed at most (a longer chain counts as a loop); at most {MAX_HOPS}",
        default=MAX_HOPS,
    )
    verify: Verify = doc("Verify certificates on https hops: true, false, or a CA bundle path", default=Verify())

    def label(self) -> str:
        return f"redirect {password_masked(self.url)}"

    def default_expectations(self) -> tuple[Expectation, ...]:
        return parse_all(DEFAULT_EXPECTATIONS)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = Probe.check(self, checklist, item_id)
        if not self.url.lower().startswith(("http://", "{env.")):
            problems.append(f"'{self.url}' must be a plain http:// URL: the probe checks what plain HTTP does")
        if not 1 <= self.max_hops <= MAX_HOPS:
            problems.append(f"max_hops must be between 1 and {MAX_HOPS}")
        for expectation in self.expect:
            problems.extend(unknown_names(expectation, FACTS))
        return problems

    def probe(self, ctx: RunContext) -> ProbeFacts:
        expanded = expand_url(self.url, ctx.environment, ctx.environ)
        expanded = replace(expanded, secrets=(*expanded.secrets, *url_secrets(expanded.value)))
        target = f"GET {expanded.shown}"
        if urlsplit(expanded.value).scheme.lower() != "http":
            raise TargetError(f"{expanded.shown} is not a plain http:// URL; the probe starts from plain HTTP")
        with HttpClient(ctx) as client:
            walk = Walk(start=expanded.value)
            try:
                self._walk(walk, client, ctx)
            except HttpFailure as exc:  # the very first request got no answer
                return ProbeFacts(target=target, error=str(exc), transient=exc.transient, secrets=expanded.secrets)
        return ProbeFacts(target=target, facts=walk.facts(), secrets=expanded.secrets)

    def _walk(self, walk: Walk, client: HttpClient, ctx: RunContext) -> None:
        """Follow the chain hop by hop until it ends, loops, leaves the declared hosts or fails."""
        current, visited = walk.start, {walk.start}
        while True:
            host = host_of(current)
            if ctx.allowed_hosts is not None and host not in ctx.allowed_hosts:
                if not walk.chain:
                    raise TargetError(f"{host} is not a host the config declares")
                walk.stopped = f"the redirect to {host}, a host the config does not declare, was not followed"
                return
            try:
                exchange = client.send(self._request(current, ctx))
            except HttpFailure as exc:
                if not walk.chain:
                    raise
                walk.stopped = f"the redirect to {current} could not be followed: {exc}"
                return
            location = exchange.headers.get("location", "").strip()
            if exchange.status not in REDIRECTS or not location:
                walk.ended = (current, exchange.status)
                return
            following = urljoin(current, location)
            walk.chain.append({"status": exchange.status, "url": current, "location": following})
            if following in visited or len(walk.chain) > self.max_hops:
                walk.loop = True
                again = following in visited
                walk.stopped = f"redirect loop: {following} again" if again else f"more than {self.max_hops} hops"
                return
            visited.add(following)
            current = following

    def judge(self, observation: ProbeFacts) -> Outcome:
        outcome = Probe.judge(self, observation)
        stopped = observation.facts.get("stopped") if observation.error is None else ""
        return replace(outcome, reason=f"{outcome.reason}; {stopped}") if stopped else outcome

    def _request(self, url: str, ctx: RunContext) -> HttpRequest:
        return HttpRequest(
            method="GET",
            url=url,
            timeout=self.seconds(ctx),
            follow_redirects=False,
            verify=self.verify.value(ctx),
            ipv6=self.ipv6,
            body_cap=64_000,
        )


@dataclass(kw_only=True)
class Walk:
    """A redirect chain as walked so far."""

    start: str
    chain: list[dict[str, Any]] = field(default_factory=list)  # {"status", "url", "location"} per hop
    ended: tuple[str, int] | None = None  # (url, status) of the answer that was not a redirect
    loop: bool = False
    stopped: str = ""  # why the walk stopped before the chain ended

    def facts(self) -> dict[str, Any]:
        first_location = self.chain[0]["location"] if self.chain else ""
        first = urlsplit(first_location)
        facts: dict[str, Any] = {
            "first_status": self.chain[0]["status"] if self.chain else (self.ended[1] if self.ended else 0),
            "first_location": first_location,
            "permanent": bool(self.chain) and self.chain[0]["status"] in PERMANENT,
            "same_host": bool(self.chain) and first.scheme == "https" and (first.hostname or "") == host_of(self.start),
            "hops": len(self.chain),
            "loop": self.loop,
            "chain": self.chain,
            "stopped": self.stopped,
        }
        if self.ended is not None:
            facts["final_url"], facts["final_status"] = self.ended
            facts["ends_https"] = urlsplit(self.ended[0]).scheme == "https"
        return facts
