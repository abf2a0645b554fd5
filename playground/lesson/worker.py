"""A lesson worker: the process where students' lesson files really run.

`python -m playground.lesson.worker REQUESTS REPLIES PROGRESS DUMP` (the pool
starts it; the four are inherited file descriptors). It reads pickled
requests, executes lesson files, runs their steps and answers with data only:
outlines, step snapshots, reports, errors. It never shares a world between
sessions: a live run is keyed by the session that asked, and built with that
session's keys, sent as PEM.

What runs here cannot harm the UI: an exception of any kind is reported at
the student's line; an endless loop or a crash ends this process, not the
UI's, and the pool starts another. The worker writes a step counter into the
shared PROGRESS page as each step starts, so the pool can tell a long run
from a stuck step; `faulthandler` writes the Python stack to DUMP when the
pool stops it (SIGABRT) or when it crashes, which is how a stopped endless
loop is still reported at its line.
"""

from __future__ import annotations

import faulthandler
import hashlib
import mmap
import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from mock_servers.keys import signing_key_from_pem
from playground.lesson import memory
from playground.lesson.api import Lesson
from playground.lesson.grading import (
    ExerciseOutline,
    ScenarioResult,
    load_exercise,
    run_scenario,
)
from playground.lesson.outline import LessonOutline
from playground.lesson.report import render_text, to_json
from playground.lesson.runner import (
    LessonError,
    LessonLoadError,
    LiveRun,
    exception_line,
    lesson_weaknesses,
    load_lesson,
)
from playground.lesson.snapshot import StepSnapshot, snapshot
from playground.wire.exchange import Exchange
from playground.world import WorldKeys

# The PROGRESS page: a counter bumped at every start (request, step) and the
# number of the step running (0 while a file loads).
PROGRESS = struct.Struct("<QQ")
READY = b"ready"

MAX_LESSONS = 32  # executed lesson files kept, keyed by content
MAX_RUNS = 32  # live runs kept, one per session (the least recent dropped)
MAX_RECORDS = 60_000  # exchanges and checks those runs may hold together
MAX_KEYS = 64
RETIRE_GROWTH = 8 * 1024 * 1024  # bytes kept after the last session left
WORKER_NICENESS = 5


@dataclass(frozen=True)
class KeysPem:
    """A session's `WorldKeys` as PEM, to cross into a worker (keys stay per
    session: a worker rebuilds them for that session's runs only)."""

    authorization_server: bytes
    clients: tuple[tuple[str, bytes], ...] = ()
    # DPoP keys (RFC 9449) by owner: a client's, or Mallory's.
    dpop: tuple[tuple[str, bytes], ...] = ()
    # The AS's ES256 key (its FAPI 2.0 clients' tokens), if the session has one.
    authorization_server_ec: bytes | None = None

    @classmethod
    def of(cls, keys: WorldKeys) -> KeysPem:
        return cls(
            keys.authorization_server.private_pem(),
            tuple((name, key.private_pem()) for name, key in keys.clients.items()),
            tuple((name, key.private_pem()) for name, key in keys.dpop.items()),
            keys.authorization_server_ec.private_pem()
            if keys.authorization_server_ec
            else None,
        )

    @property
    def digest(self) -> str:
        hashed = hashlib.sha256(self.authorization_server)
        for name, pem in (*self.clients, *self.dpop):
            hashed.update(name.encode() + b"\0" + pem)
        if self.authorization_server_ec:
            hashed.update(b"authorization_server_ec\0" + self.authorization_server_ec)
        return hashed.hexdigest()

    def keys(self) -> WorldKeys:
        return WorldKeys(
            authorization_server=signing_key_from_pem(self.authorization_server),
            clients={name: signing_key_from_pem(pem) for name, pem in self.clients},
            dpop={name: signing_key_from_pem(pem) for name, pem in self.dpop},
            authorization_server_ec=signing_key_from_pem(self.authorization_server_ec)
            if self.authorization_server_ec
            else None,
        )


# --- requests -----------------------------------------------------------------


@dataclass(frozen=True)
class LessonSource:
    """A lesson file's content as its caller read and hashed it. `text` may be
    left out when the worker probably has it; it answers `NeedSource` if not."""

    path: str
    digest: str
    text: str | None = None


@dataclass(frozen=True)
class OutlineRequest:
    source: LessonSource


@dataclass(frozen=True)
class ShowRequest:
    """Show one step of a session's run: continue its live run when the file,
    switches and keys are unchanged and the step is ahead, else replay."""

    session: str
    source: LessonSource
    step: int
    weaknesses: tuple[str, ...]
    defended: bool
    keys: KeysPem


@dataclass(frozen=True)
class ReportRequest:
    """A whole run for `oauth-playground run`: the text or JSON report."""

    source: LessonSource
    until: int | None
    weaknesses: tuple[str, ...]
    defended: bool
    as_json: bool
    brief: bool = False
    only_step: int | None = None  # show this step alone (run until it)


@dataclass(frozen=True)
class ExerciseRequest:
    """An exercise file's outline (`scenario` None), or one of its scenarios
    run against the student's code in a world seeded by `seed`."""

    source: LessonSource
    scenario: int | None
    seed: int = 0


@dataclass(frozen=True)
class StatsRequest:
    """What the worker holds, for tests and benches."""


@dataclass(frozen=True)
class NeedSource:
    """The worker does not hold this content: send the request again with it."""


@dataclass(frozen=True)
class RunReport:
    """A whole run, reported: what `oauth-playground run` prints."""

    lesson: LessonOutline
    text: str
    document: dict[str, Any] | None
    exchanges: tuple[Exchange, ...]
    error: LessonError | None
    passed: bool


@dataclass(frozen=True)
class WorkerStats:
    pid: int
    lessons: int
    runs: tuple[str, ...]  # the sessions with a live run here


Request = OutlineRequest | ShowRequest | ReportRequest | ExerciseRequest | StatsRequest


# --- the worker's state -------------------------------------------------------


@dataclass
class Progress:
    """The shared page the pool watches (a no-op outside a worker)."""

    page: mmap.mmap | None = None
    count: int = 0

    def start(self, step: int = 0) -> None:
        self.count += 1
        if self.page is not None:
            self.page[: PROGRESS.size] = PROGRESS.pack(self.count, step)


@dataclass
class Worker:
    """Executed lessons by content, live runs by session, keys by PEM."""

    progress: Progress = field(default_factory=Progress)
    lessons: OrderedDict = field(default_factory=OrderedDict)
    runs: OrderedDict = field(default_factory=OrderedDict)
    keys: OrderedDict = field(default_factory=OrderedDict)
    exercises: OrderedDict = field(default_factory=OrderedDict)
    # The keys of every exercise scenario's world here: made once (RSA key
    # generation is the slow part of a world), never a learner's own.
    exercise_keys: WorldKeys | None = None
    # Set when the last live run was forgotten (the class has left), with
    # the memory those runs left behind: see `outgrown`.
    emptied: bool = False
    baseline_rss: int = 0

    def handle(self, request: Request) -> object:
        if isinstance(request, OutlineRequest):
            lesson = self.lesson(request.source)
            if lesson is None:
                return NeedSource()
            return lesson if isinstance(lesson, LessonError) else lesson.outline
        if isinstance(request, ShowRequest):
            return self.show(request)
        if isinstance(request, ReportRequest):
            return self.report(request)
        if isinstance(request, ExerciseRequest):
            return self.exercise(request)
        if isinstance(request, StatsRequest):
            return WorkerStats(os.getpid(), len(self.lessons), tuple(self.runs))
        raise TypeError(f"unknown request {type(request).__name__}")

    def lesson(self, source: LessonSource) -> Loaded | LessonError | None:
        """The lesson file executed once per content (its import-time code
        too); None when the content is neither here nor sent."""
        key = (source.path, source.digest)
        found = self.lessons.get(key)
        if found is not None:
            self.lessons.move_to_end(key)
            return found
        if source.text is None:
            return None
        self.progress.start(0)
        try:
            lesson = load_lesson(
                source.path, source.text, on_progress=self.progress.start
            )
            loaded: Loaded | LessonError = Loaded(lesson, LessonOutline.of(lesson))
        except LessonLoadError as failure:
            loaded = failure.error
        _remember(self.lessons, key, loaded, MAX_LESSONS)
        return loaded

    def show(self, request: ShowRequest) -> StepSnapshot | LessonError | NeedSource:
        loaded = self.lesson(request.source)
        if loaded is None:
            return NeedSource()
        if isinstance(loaded, LessonError):
            return loaded
        lesson = loaded.lesson
        step = max(0, min(request.step, len(lesson.steps)))
        switches = lesson_weaknesses(
            lesson, request.weaknesses, defended=request.defended
        )
        key = (request.source.path, request.source.digest, switches)
        key += (request.keys.digest,)
        held = self.runs.get(request.session)
        if held is not None and held[0] == key and held[1].can_reach(step):
            live = held[1]
            self.runs.move_to_end(request.session)
        else:  # Back, or another file, switch or session's keys: replay
            keys = self._keys(request.keys)
            live = LiveRun(
                lesson,
                weaknesses=request.weaknesses,
                defended=request.defended,
                keys=keys,
                outline=loaded.outline,
            )
            _remember(self.runs, request.session, (key, live), MAX_RUNS)
        live.advance(step, on_step=self.progress.start)
        self._bound_records()
        return snapshot(live, step)

    def _bound_records(self) -> None:
        """Drop the least recent live runs while all of them together hold
        more than MAX_RECORDS exchanges and checks (a 10,000-step run holds
        ~40 MB): the session whose run is dropped replays on its next click."""

        def size(held: tuple[object, LiveRun]) -> int:
            transcript = held[1].world.transcript
            return len(transcript.exchanges) + len(transcript.checks)

        total = sum(size(held) for held in self.runs.values())
        while total > MAX_RECORDS and len(self.runs) > 1:
            _, held = self.runs.popitem(last=False)
            total -= size(held)

    def report(self, request: ReportRequest) -> RunReport | LessonError | NeedSource:
        loaded = self.lesson(request.source)
        if loaded is None:
            return NeedSource()
        if isinstance(loaded, LessonError):
            return loaded
        live = LiveRun(
            loaded.lesson,
            weaknesses=request.weaknesses,
            defended=request.defended,
            outline=loaded.outline,
        )
        only = request.only_step
        until = request.until if only is None else only
        live.advance(until, on_step=self.progress.start)
        result = live.result()
        document = to_json(result, only_step=only) if request.as_json else None
        text = (
            ""
            if request.as_json
            else render_text(result, brief=request.brief, only_step=only)
        )
        return RunReport(
            lesson=loaded.outline,
            text=text,
            document=document,
            exchanges=tuple(
                exchange
                for exchange in result.world.transcript.exchanges
                if only in (None, exchange.step)
            ),
            error=result.error,
            passed=result.passed,
        )

    def exercise(
        self, request: ExerciseRequest
    ) -> ExerciseOutline | ScenarioResult | LessonError | NeedSource:
        """An exercise file's outline (its content executed once here), or one
        scenario run (the pool watches it as it watches a step). Each scenario
        executes the file afresh: what the student's code keeps at module
        level never carries from one scenario, or one student, to the next."""
        source = request.source
        key = (source.path, source.digest)
        loaded = self.exercises.get(key)
        if loaded is None:
            if source.text is None:
                return NeedSource()
            self.progress.start(0)
            try:
                exercise = load_exercise(
                    source.path, source.text, on_progress=self.progress.start
                )
                loaded = (source.text, ExerciseOutline.of(exercise))
            except LessonLoadError as failure:
                loaded = failure.error
            _remember(self.exercises, key, loaded, MAX_LESSONS)
        else:
            self.exercises.move_to_end(key)
        if isinstance(loaded, LessonError):
            return loaded
        text, outline = loaded
        if request.scenario is None:
            return outline
        if not 0 < request.scenario <= len(outline.scenarios):
            raise ValueError(f"the exercise has no scenario {request.scenario}")
        if self.exercise_keys is None:
            self.exercise_keys = WorldKeys.generate()
        self.progress.start(request.scenario)
        try:
            exercise = load_exercise(source.path, text)
        except LessonLoadError as failure:  # it loaded before: module state
            return failure.error
        return run_scenario(
            exercise, request.scenario, request.seed, keys=self.exercise_keys
        )

    def forget(self, sessions: tuple[str, ...]) -> None:
        forgotten = [self.runs.pop(session, None) for session in sessions]
        if any(run is not None for run in forgotten):
            del forgotten
            memory.give_back()
            self.emptied = not self.runs

    def outgrown(self) -> bool:
        """True once its last session has gone and the process kept more than
        RETIRE_GROWTH of what those runs used: CPython keeps freed memory in
        its arenas, so only a fresh process hands it back to the system."""
        if not self.baseline_rss:
            self.baseline_rss = memory.resident()
            return False
        emptied, self.emptied = self.emptied, False
        return emptied and memory.resident() - self.baseline_rss > RETIRE_GROWTH

    def _keys(self, pem: KeysPem) -> WorldKeys:
        digest = pem.digest
        keys = self.keys.get(digest)
        if keys is None:
            keys = pem.keys()
            _remember(self.keys, digest, keys, MAX_KEYS)
        return keys


@dataclass(frozen=True)
class Loaded:
    """A lesson file executed here, and its outline (built once)."""

    lesson: Lesson
    outline: LessonOutline


def _remember(cache: OrderedDict, key: object, value: object, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


# --- the process --------------------------------------------------------------


def serve(requests: Connection, replies: Connection, worker: Worker) -> None:
    """Answer requests until the pool closes the pipe. Each reply is
    `(outcome, value, retire)`: "ok" and the value, or "failed" and a line
    saying what went wrong in the worker's own code; `retire` asks the pool
    to replace this worker (a lesson left a thread running here, or the
    sessions it served have all gone and left their memory behind)."""
    threads = threading.active_count()
    while True:
        try:
            sessions, request = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        worker.forget(sessions)
        worker.progress.start(0)
        try:
            outcome: tuple[str, object] = ("ok", worker.handle(request))
            retire = threading.active_count() > threads or worker.outgrown()
            data = pickle.dumps((*outcome, retire), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # e.g. a lesson's value that won't pickle
            retire = threading.active_count() > threads
            data = pickle.dumps(("failed", exception_line(error), retire))
        replies.send_bytes(data)


def _orphan_watch(parent: int) -> None:
    """End this worker when the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    args = list(map(int, (argv or sys.argv)[1:6]))
    requests_fd, replies_fd, progress_fd, dump_fd, memory_limit = args
    # Ctrl-C belongs to the pool's process; a student's `raise
    # KeyboardInterrupt` still arrives as an exception, and is reported.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file
    if memory_limit:  # a lesson that hoards memory meets MemoryError, here
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    # Lesson steps give way to the UI's own work (drawing every session's page).
    os.nice(WORKER_NICENESS)
    dump = os.fdopen(dump_fd, "w")
    faulthandler.enable(file=dump, all_threads=True)
    page = mmap.mmap(progress_fd, PROGRESS.size)
    threading.Thread(
        target=_orphan_watch, args=(os.getppid(),), name="orphan-watch", daemon=True
    ).start()
    requests = Connection(requests_fd, writable=False)
    replies = Connection(replies_fd, readable=False)
    try:
        replies.send_bytes(READY)
    except BrokenPipeError:  # the pool closed while this worker was booting
        return
    serve(requests, replies, Worker(Progress(page)))


if __name__ == "__main__":
    # Run as `-m`, this file is `__main__`; requests name the classes of
    # `playground.lesson.worker`, so the loop must run from that module.
    from playground.lesson import worker as this_module

    this_module.main()
