"""One watcher per process for the lesson folders: a student saves a lesson
in an editor and every page showing that folder replays it at once. The same
thread lets go of what closed tabs held.

Before, each open page polled the folder every 2 s (a fragment rerun per page:
~3% of a core per idle tab, 30 tabs a whole core). Now one thread looks at the
folders sessions show (each .py file's mtime and size, once a second,
whatever the number of pages) and, when a folder changed, asks Streamlit to
rerun the sessions that show it, the way Streamlit's own "run on save" does.
An idle page costs nothing: no message goes to it until a file changes.

A closed tab's session lingers in Streamlit for a while (a reconnect may
resume it), and Streamlit drops it only when another session comes or goes.
So once a session has been gone longer than that, this thread releases its
snapshots and its runs in the lesson workers itself, and hands the freed
memory back to the system: a class that leaves gives its memory back.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from playground.lesson import memory
from playground.lesson.catalog import folder_fingerprint

PERIOD = 1.0  # seconds between looks at the watched folders
SWEEP_EVERY = 15.0  # seconds between looks for sessions that are gone


class Releasable(Protocol):
    def release(self) -> None: ...


class LessonWatcher:
    """Which session shows which folder, and a thread that reruns them when
    the folder's files change."""

    def __init__(
        self,
        rerun: Callable[[Iterable[str]], Iterable[str]],
        period: float = PERIOD,
        *,
        is_active: Callable[[str], bool] = lambda _id: True,
        linger: float = 60.0,
        on_released: Callable[[], object] = lambda: None,
    ) -> None:
        """`rerun(ids)` asks those sessions to rerun and returns the ids it
        no longer knows (closed sessions), which are forgotten. A session
        that `is_active` says is gone for longer than `linger` seconds has
        its memo released; then `on_released()` runs once per sweep."""
        self._rerun = rerun
        self.period = period
        self._is_active = is_active
        self.linger = linger
        self._on_released = on_released
        self._lock = threading.Lock()
        self._sessions: dict[str, str] = {}  # session id -> folder
        self._memos: dict[str, weakref.ref[Releasable]] = {}
        self._gone_since: dict[str, float] = {}
        self._swept = time.monotonic()
        self.released = 0  # sessions let go of (for tests and benches)
        self._seen: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self.changes = 0  # folder changes seen (for tests)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="lesson-watch", daemon=True
        )
        self._thread.start()

    def watch(
        self, session_id: str, folder: str | Path, memo: Releasable | None = None
    ) -> None:
        """This session shows `folder` (called at each page run: a dict write)."""
        key = str(folder)
        with self._lock:
            self._sessions[session_id] = key
            if memo is not None:
                self._memos[session_id] = weakref.ref(memo)
            new = key not in self._seen
        if new:  # the state the session has just drawn is the baseline
            fingerprint = folder_fingerprint(folder)
            with self._lock:
                self._seen.setdefault(key, fingerprint)

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
            self._gone_since.pop(session_id, None)
            memo = self._memos.pop(session_id, None)
        held = memo() if memo is not None else None
        if held is not None:
            held.release()
            self.released += 1

    def sweep(self, now: float | None = None) -> list[str]:
        """Release the sessions gone for longer than `linger`; their ids."""
        now = time.monotonic() if now is None else now
        with self._lock:
            ids = list(self._sessions)
        gone = []
        for session_id in ids:
            if self._is_active(session_id):
                self._gone_since.pop(session_id, None)
                continue
            since = self._gone_since.setdefault(session_id, now)
            if now - since >= self.linger:
                gone.append(session_id)
        for session_id in gone:
            self.forget(session_id)
        if gone:
            self._on_released()
            memory.give_back()
        return gone

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
                if started - self._swept >= SWEEP_EVERY:
                    self._swept = started
                    self.sweep()
            except Exception:  # a folder vanished mid-scan: look again next time
                continue
            # On a starved machine, never look more often than we can afford.
            self._stop.wait(min(time.monotonic() - started, self.period))
