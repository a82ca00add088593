"""Ends an HTTP exchange when its time is up.

requests' `timeout` bounds each socket operation, not the exchange: a server that trickles
one byte every half second never lets a read time out, and would hold a probe with
`timeout: 1s` for as long as it likes. So each exchange runs under a `guarded(deadline)`,
the connections of HttpClient register their socket with it, and one watchdog thread shuts
those sockets down when the deadline passes; the blocked read then returns, and the client
reports the timeout.

Sockets are shut down, never closed: the reading thread still owns them, and closing a file
descriptor another thread may reuse would be a race.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Condition()
_due: list[tuple[float, int, Guard]] = []  # a heap of guards by deadline; finished ones dropped lazily
_order = itertools.count()
_thread: threading.Thread | None = None
_current = threading.local()


class Guard:
    """One exchange's deadline and the sockets it uses."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.finished = False
        self._sockets: list[socket.socket] = []

    def watch(self, sock: socket.socket) -> None:
        with _lock:
            if self.finished:
                return
            self._sockets.append(sock)
            if self.expired:  # registered late: the time is already up
                _shut(sock)

    def _expire(self) -> None:  # under _lock
        if self.finished:
            return
        self.expired = True
        for sock in self._sockets:
            _shut(sock)


@contextmanager
def guarded(deadline: float) -> Iterator[Guard]:
    """Runs the block as one exchange that must end by `deadline` (time.monotonic())."""
    guard = Guard(deadline)
    with _lock:
        heapq.heappush(_due, (deadline, next(_order), guard))
        _ensure_thread()
        if _due[0][2] is guard:  # due before every other: the watchdog must wake earlier
            _lock.notify()
    _current.guard = guard
    try:
        yield guard
    finally:
        _current.guard = None
        with _lock:
            guard.finished = True


def watch(sock: socket.socket | None) -> None:
    """Registers a socket with the exchange running on this thread, if any."""
    guard: Guard | None = getattr(_current, "guard", None)
    if guard is not None and sock is not None:
        guard.watch(sock)


def _ensure_thread() -> None:  # under _lock
    global _thread  # noqa: PLW0603  (one watchdog per process, started on first use)
    if _thread is None or not _thread.is_alive():
        _thread = threading.Thread(target=_run, name="http-watchdog", daemon=True)
        _thread.start()


def _run() -> None:
    with _lock:
        while True:
            while _due and _due[0][2].finished:
                heapq.heappop(_due)
            if not _due:
                _lock.wait()
                continue
            left = _due[0][0] - time.monotonic()
            if left > 0:
                _lock.wait(left)
                continue
            heapq.heappop(_due)[2]._expire()


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown: an SSLSocket's would also drop its TLS state, which the
    # reading thread is still using. OSError: already closed, nothing left to end.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
