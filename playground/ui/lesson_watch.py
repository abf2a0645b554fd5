"""One watcher per process for the lesson folders: a student saves a lesson
in an editor and every page showing that folder replays it at once.

Before, each open page polled the folder every 2 s (a fragment rerun per page:
~3% of a core per idle tab, 30 tabs a whole core). Now one thread looks at the
folders sessions show (each .py file's mtime and size, once a second,
whatever the number of pages) and, when a folder changed, asks Streamlit to
rerun the sessions that show it, the way Streamlit's own "run on save" does.
An idle page costs nothing: no message goes to it until a file changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from playground.lesson.catalog import folder_fingerprint

PERIOD = 1.0  # seconds between looks at the watched folders


class LessonWatcher:
    """Which session shows which folder, and a thread that reruns them when
    the folder's files change."""

    def __init__(
        self,
        rerun: Callable[[Iterable[str]], Iterable[str]],
        period: float = PERIOD,
    ) -> None:
        """`rerun(ids)` asks those sessions to rerun and returns the ids it
        no longer knows (closed sessions), which are forgotten."""
        self._rerun = rerun
        self.period = period
        self._lock = threading.Lock()
        self._sessions: dict[str, str] = {}  # session id -> folder
        self._seen: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self.changes = 0  # folder changes seen (for tests)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="lesson-watch", daemon=True
        )
        self._thread.start()

    def watch(self, session_id: str, folder: str | Path) -> None:
        """This session shows `folder` (called at each page run: a dict write)."""
        key = str(folder)
        with self._lock:
            self._sessions[session_id] = key
            new = key not in self._seen
        if new:  # the state the session has just drawn is the baseline
            fingerprint = folder_fingerprint(folder)
            with self._lock:
                self._seen.setdefault(key, fingerprint)

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def watching(self) -> int:
        with self._lock:
            return len(self._sessions)

    def close(self) -> None:
        self._stop.set()

    def check(self) -> list[str]:
        """One look at every watched folder; the sessions asked to rerun."""
        with self._lock:
            folders = set(self._sessions.values())
            for gone in set(self._seen) - folders:
                del self._seen[gone]
        changed = set()
        for folder in folders:
            fingerprint = folder_fingerprint(Path(folder))
            with self._lock:
                if self._seen.get(folder) != fingerprint:
                    self._seen[folder] = fingerprint
                    changed.add(folder)
        if not changed:
            return []
        with self._lock:
            self.changes += len(changed)
            ids = [s for s, folder in self._sessions.items() if folder in changed]
        for gone in self._rerun(ids):
            self.forget(gone)
        return ids

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            started = time.monotonic()
            try:
                self.check()
            except Exception:  # a folder vanished mid-scan: look again next time
                continue
            # On a starved machine, never look more often than we can afford.
            self._stop.wait(min(time.monotonic() - started, self.period))
