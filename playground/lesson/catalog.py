"""The lessons of a folder, each file executed once per content per process.

Discovery executes every lesson file (its title is code), so it runs in the
lesson workers, with their time limit, and its outlines are kept here keyed
by the file's content: a new session, or a rerun, reads and hashes the files
but executes none of them again. Nothing here belongs to a learner: outlines
and errors come from the files on disk alone, so one catalog serves every
session of a process.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from playground.lesson.outline import LessonOutline
from playground.lesson.pool import LessonPool
from playground.lesson.runner import LessonEntry, LessonError, lesson_files
from playground.lesson.worker import LessonSource

MAX_OUTLINES = 512  # file contents remembered (every version a class edits)
MAX_FOLDERS = 16


def read_source(path: str | Path) -> LessonSource | LessonError:
    """A lesson file's text and content hash, or why it cannot be read."""
    path = Path(path).resolve()
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return LessonError(str(path), None, f"{type(error).__name__}: {error}")
    return LessonSource(str(path), hashlib.sha256(data).hexdigest(), text)


def folder_fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap change detector for a folder: every .py file's mtime and size."""
    rows = []
    for path in sorted(Path(folder).rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        rows.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(rows)


class LessonCatalog:
    """Outlines by file content, and each folder's entries by its fingerprint."""

    def __init__(self, pool: LessonPool) -> None:
        self.pool = pool
        self._lock = threading.Lock()
        self._outlines: OrderedDict = OrderedDict()
        self._pending: dict[tuple[str, str], Future] = {}
        self._folders: OrderedDict = OrderedDict()
        self.executed = 0  # files handed to a worker (for tests and benches)

    def outline(self, source: LessonSource) -> LessonOutline | LessonError:
        """The file's outline, executed in a worker only for content not seen
        before; callers asking for the same new content wait for one run."""
        key = (source.path, source.digest)
        with self._lock:
            if key in self._outlines:
                self._outlines.move_to_end(key)
                return self._outlines[key]
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = self._pending[key] = Future()
                self.executed += 1
        if not owner:
            return future.result()
        try:
            outline = self.pool.outline(source)
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            with self._lock:
                self._pending.pop(key, None)
        with self._lock:
            self._outlines[key] = outline
            while len(self._outlines) > MAX_OUTLINES:
                self._outlines.popitem(last=False)
        future.set_result(outline)
        return outline

    def entries(self, folder: str | Path) -> list[LessonEntry]:
        """The lessons in `folder`, broken ones included; the files are read
        again only when the folder's fingerprint changed, and new contents
        are outlined side by side (a slow file does not hold up the rest)."""
        folder = Path(folder)
        fingerprint = folder_fingerprint(folder) if folder.is_dir() else ()
        with self._lock:
            known = self._folders.get(str(folder))
            if known is not None and known[0] == fingerprint:
                self._folders.move_to_end(str(folder))
                return list(known[1])
        paths = lesson_files(folder) if folder.is_dir() else []
        sources = [read_source(path) for path in paths]
        readable = [s for s in sources if isinstance(s, LessonSource)]
        if readable:
            workers = min(len(readable), self.pool.size)
            with ThreadPoolExecutor(workers, thread_name_prefix="catalog") as threads:
                found = threads.map(self.outline, readable)
                outlines = dict(zip(readable, found, strict=True))
        else:
            outlines = {}
        entries = []
        for path, source in zip(paths, sources, strict=True):
            found = outlines.get(source) if isinstance(source, LessonSource) else source
            if isinstance(found, LessonOutline):
                entries.append(LessonEntry(path, lesson=found))
            else:
                entries.append(LessonEntry(path, error=found))
        with self._lock:
            self._folders[str(folder)] = (fingerprint, tuple(entries))
            while len(self._folders) > MAX_FOLDERS:
                self._folders.popitem(last=False)
        return entries
