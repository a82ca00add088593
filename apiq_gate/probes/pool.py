"""A small pool of daemon threads, for work a run may give up on.

concurrent.futures' workers are joined when the interpreter exits, so one probe hanging past
the run's deadline would keep `apiq-gate check` alive long after its report. These threads
never hold the process; a task not yet started when the results are collected never starts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class DaemonPool(Generic[K, V]):
    """Runs `tasks` on at most `workers` daemon threads, from the moment it is made."""

    def __init__(self, tasks: Mapping[K, Callable[[], V]], workers: int, *, name: str) -> None:
        self._todo = deque(tasks.items())
        self._total = len(self._todo)
        self._results: dict[K, V] = {}
        self._done = threading.Condition()
        self._collected = False
        for index in range(max(1, min(workers, self._total)) if self._total else 0):
            threading.Thread(target=self._work, name=f"{name}-{index}", daemon=True).start()

    def _work(self) -> None:
        while True:
            with self._done:
                if self._collected or not self._todo:
                    return
                key, task = self._todo.popleft()
            value = task()  # a task reports its own failures as values
            with self._done:
                self._results[key] = value
                self._done.notify_all()

    def results(self, deadline: float) -> dict[K, V]:
        """What finished by `deadline` (time.monotonic()); the rest is left behind."""
        with self._done:
            while len(self._results) < self._total and (left := deadline - time.monotonic()) > 0:
                self._done.wait(left)
            self._collected = True
            return dict(self._results)
