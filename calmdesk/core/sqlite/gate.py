"""One writer at a time per SQLite database file, handed over within a fraction of a millisecond.

SQLite lets one connection write at a time. A connection that finds the write lock taken calls
its busy handler, and the one Python's ``sqlite3`` installs (``timeout=``) sleeps 1 ms, then 2,
5, 10, 15, 20, 25 … ms between tries, however soon the lock is let go. When the worker files a
surge (a transaction of a few milliseconds per ticket) while the web processes accept new
requests, those sleeps set the pace: measured with the intake benchmark's API + worker run,
the web processes accepted 128.4 requests/s with a p95 of 209.4 ms without the gate and
236.9/s with a p95 of 61.6 ms with it (docs/performance.md).

The gate queues writers before SQLite's lock is asked for: an ``flock`` on a file next to the
database (``<name>-gate``). A writer that finds it taken tries again after 50 µs, then 100,
200 … at most 500 µs apart, so it goes on soon after the holder is done, and SQLite's own lock
is then free. The kernel lets go of the gate of a process that dies. A writer that waited
``timeout`` seconds goes on without the gate — SQLite's lock and busy handler still keep the
writes apart, as they did before — so a holder that never finishes delays the others but never
stops them, and no wait on the gate can deadlock.
"""

from __future__ import annotations

import fcntl
import os
import time

FIRST_PAUSE = 0.00005
LONGEST_PAUSE = 0.0005


class WriterGate:
    """The gate of one database file, for one connection.

    Each connection opens the gate file itself, so two connections queue whether they are in
    two processes or two threads of one. ``acquire`` while held does nothing (not counted)."""

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}-gate"
        self.held = False
        self.waits = 0  # times this connection found the gate taken (tests and diagnostics)
        self._fd: int | None = None
        self._pid = 0

    def _fileno(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> bool:
        """Take the gate; False, and not held, if it stayed taken for ``timeout`` seconds."""
        if self.held:
            return True
        fd = self._fileno()
        deadline = 0.0
        pause = FIRST_PAUSE
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                now = time.monotonic()
                if not deadline:
                    self.waits += 1
                    deadline = now + timeout
                elif now >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            self.held = True
            return True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
