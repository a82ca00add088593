"""GitHub's primary rate limit: a quota per token per hour, reported on every response.

Each request but `GET /rate_limit` uses one unit of the token's `core` quota. When none is left,
GitHub answers 403 (or 429) "API rate limit exceeded for ..." with `X-RateLimit-Remaining: 0`
until `X-RateLimit-Reset` (epoch seconds). The wall clock is injectable so tests can move past a
reset without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 3600
ANONYMOUS_LIMIT = 60


@dataclass(frozen=True, kw_only=True, slots=True)
class Quota:
    limit: int
    used: int
    reset: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": "core",
        }

    def as_json(self) -> dict[str, int]:
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "reset": self.reset,
        }


class RateLimits:
    def __init__(self, wall_clock: Callable[[], float] = time.time) -> None:
        self.wall_clock = wall_clock
        self._quotas: dict[str, Quota] = {}
        self._lock = threading.Lock()
        self.exhausted_status = 403  # GitHub answers 403, sometimes 429, once the quota is gone

    def _current(self, key: str, limit: int) -> Quota:
        now = int(self.wall_clock())
        quota = self._quotas.get(key)
        if quota is None or now >= quota.reset:
            quota = Quota(limit=limit, used=0, reset=now + WINDOW_SECONDS)
            self._quotas[key] = quota
        return quota

    def peek(self, key: str, limit: int) -> Quota:
        with self._lock:
            return self._current(key, limit)

    def charge(self, key: str, limit: int) -> tuple[Quota, bool]:
        """Use one unit; returns the quota after it and whether the request may proceed."""
        with self._lock:
            quota = self._current(key, limit)
            if quota.remaining == 0:
                return quota, False
            quota = Quota(limit=quota.limit, used=quota.used + 1, reset=quota.reset)
            self._quotas[key] = quota
            return quota, True

    def exhaust(self, key: str, limit: int, *, reset_in: int, status: int = 403) -> None:
        """Use up the quota now; it comes back `reset_in` seconds later on the wall clock."""
        with self._lock:
            now = int(self.wall_clock())
            self._quotas[key] = Quota(limit=limit, used=limit, reset=now + reset_in)
            self.exhausted_status = status
