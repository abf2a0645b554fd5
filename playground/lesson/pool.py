"""Lesson workers: students' lesson files run in a few separate processes.

Why processes: Python cannot stop a thread. A lesson that loops forever (even
one that catches BaseException in its loop) would spin in the UI's process
until a restart, holding the GIL every session needs. A worker process can be
stopped for real: the pool watches the step counter each worker bumps as a
step starts, and when a step has used `step_limit` seconds of CPU (or waited
WAIT_LIMIT seconds) without another starting, it asks the worker for its
Python stack (SIGABRT, answered by faulthandler), kills it and its process
group, reaps it, and reports the loop at the student's line. CPU, not wall
time: a worker starved on a busy machine is slow, not stuck.
A crash (`os._exit`, a segfault) is reported the same way; the next request
gets a fresh worker.

Why a pool: a worker boots in about a second (Flask, Authlib, cryptography),
so workers are kept and shared. They hold data per session, never between
sessions: a session's live run (Next continues it) lives in its home worker,
keyed by the session's token and built with that session's keys. Only data
crosses: requests in, outlines, step snapshots and reports out, one pickle
each way. A busy home worker is not waited for: another idle one replays the
session's run. A session that ends is forgotten (`forget`), and each worker
keeps at most a few dozen live runs.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, TypeVar

from playground.lesson.grading import ExerciseOutline, ScenarioResult
from playground.lesson.outline import LessonOutline
from playground.lesson.runner import LessonError
from playground.lesson.snapshot import StepSnapshot
from playground.lesson.worker import (
    MAX_LESSONS,
    PROGRESS,
    READY,
    WORKER_NICENESS,
    ExerciseRequest,
    KeysPem,
    LessonSource,
    NeedSource,
    OutlineRequest,
    ReportRequest,
    Request,
    RunReport,
    ShowRequest,
    StatsRequest,
    WorkerStats,
)

STEP_LIMIT_ENV = "OAUTH_PLAYGROUND_STEP_LIMIT"
DEFAULT_STEP_LIMIT = 5.0  # seconds a step (or a file's import) may run
START_LIMIT = 60.0  # seconds a new worker may take to import the playground
STOP_GRACE = 2.0  # seconds from SIGABRT (dump the stack) to SIGKILL
POLL = 0.05  # seconds between looks at a busy worker's step counter
SLOW = 1.0  # a request running longer gives way to every other process
# A step that uses no CPU (sleeping, waiting) is stopped after the longer of
# these (unless the pool is told otherwise).
WAIT_LIMIT = 30.0
WAIT_FACTOR = 6  # times the CPU limit
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
DEFAULT_SIZE = 3
MEMORY_LIMIT = 2 << 30  # bytes of address space per worker


def default_step_limit() -> float:
    """`$OAUTH_PLAYGROUND_STEP_LIMIT` seconds, else DEFAULT_STEP_LIMIT."""
    try:
        configured = float(os.environ.get(STEP_LIMIT_ENV, ""))
    except ValueError:
        return DEFAULT_STEP_LIMIT
    return configured if configured > 0 else DEFAULT_STEP_LIMIT


@dataclass(frozen=True)
class Limits:
    """Seconds of CPU, and of waiting, a step (or a file's loading) may take."""

    cpu: float
    wait: float


@dataclass(frozen=True)
class Stopped:
    """A worker that ended during a request, and what it left behind."""

    timed_out: float | None  # the limit it passed, when stopped for time
    waiting: bool  # that limit was the wall-time one: the step used no CPU
    returncode: int | None
    step: int  # the step that was running, 0 while loading
    dump: str  # faulthandler's stack, most recent call first


class WorkerGone(Exception):
    def __init__(self, stopped: Stopped) -> None:
        super().__init__(f"lesson worker ended: {stopped}")
        self.stopped = stopped


class WorkerFailed(Exception):
    """The worker could not answer: e.g. a lesson put a value that does not
    pickle (a function as a check's description) into what a step shows."""


@dataclass(eq=False)
class WorkerProcess:
    """One worker: its process, its pipes, its step counter and its stack dump."""

    memory_limit: int = 0
    busy: bool = False
    # The lesson contents the worker holds, in its own LRU order (it evicts
    # the same way), so a request need not carry the file's text each time.
    known: OrderedDict = field(default_factory=OrderedDict)
    forgotten: set[str] = field(default_factory=set)  # sessions to drop there
    process: subprocess.Popen[bytes] = field(init=False)
    _requests: Connection = field(init=False)
    _replies: Connection = field(init=False)
    _progress: mmap.mmap = field(init=False)
    _dump: IO[bytes] = field(init=False)
    _ready: bool = False
    _reniced: bool = False

    def __post_init__(self) -> None:
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        # Kept open for the worker's life: faulthandler writes its stack here.
        self._dump = tempfile.TemporaryFile()  # noqa: SIM115
        with tempfile.TemporaryFile() as progress:
            progress.truncate(mmap.PAGESIZE)
            inherited = (requests_read, replies_write, progress.fileno())
            inherited += (self._dump.fileno(),)
            command = [sys.executable, "-m", "playground.lesson.worker"]
            command += [str(fd) for fd in inherited] + [str(self.memory_limit)]
            try:
                # Its own session: a terminal's Ctrl-C reaches the pool's
                # process only, and killing the group ends what a lesson started.
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    pass_fds=inherited,
                    start_new_session=True,
                )
            finally:
                os.close(requests_read)
                os.close(replies_write)
            self._progress = mmap.mmap(progress.fileno(), PROGRESS.size)
        self._requests = Connection(requests_write, readable=False)
        self._replies = Connection(replies_read, writable=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def request(
        self,
        request: Request,
        sessions: tuple[str, ...],
        limits: Callable[[], Limits],
    ) -> tuple[str, object, bool]:
        """Send one request and wait for `(outcome, value, retire)`, watching
        the step counter; raises WorkerGone if the worker stops or is stopped."""
        count, step = PROGRESS.unpack(self._progress[: PROGRESS.size])
        try:
            if not self._ready:
                self._wait_ready()
            started = changed = time.monotonic()
            cpu = self._cpu_seconds()
            self._requests.send_bytes(
                pickle.dumps((sessions, request), protocol=pickle.HIGHEST_PROTOCOL)
            )
            while not self._replies.poll(POLL):
                now = time.monotonic()
                seen = PROGRESS.unpack(self._progress[: PROGRESS.size])
                if seen[0] != count:
                    (count, step), changed, cpu = seen, now, self._cpu_seconds()
                else:
                    over = self._over_limit(limits(), now - changed, cpu)
                    if over is not None:
                        self.stop()
                        stopped = Stopped(*over, None, step, self.dump())
                        raise WorkerGone(stopped)
                if now - started > SLOW and not self._reniced:
                    self._give_way(True)
            if self._reniced:
                self._give_way(False)
            return pickle.loads(self._replies.recv_bytes())
        except (EOFError, OSError):
            self.stop()
            step = PROGRESS.unpack(self._progress[: PROGRESS.size])[1]
            stopped = Stopped(None, False, self.process.returncode, step, self.dump())
            raise WorkerGone(stopped) from None
        except BaseException:  # the caller gave up (Ctrl-C): the worker would go on
            self.stop(dump=False)
            raise

    def _over_limit(
        self, limits: Limits, waited: float, cpu: float | None
    ) -> tuple[float, bool] | None:
        """`(limit, waiting)` when a step without progress has passed one:
        `limits.cpu` seconds of CPU (a loop; a starved worker on a busy
        machine is not one), or `limits.wait` in wall time (a step that
        sleeps or waits forever; `waiting` unless it used a tenth of a core
        meanwhile, a loop starved of CPU)."""
        now = self._cpu_seconds()
        if now is None or cpu is None:  # no CPU figures here: wall time it is
            return (limits.cpu, False) if waited > limits.cpu else None
        if now - cpu > limits.cpu:
            return limits.cpu, False
        if waited > limits.wait:
            return limits.wait, now - cpu < 0.1 * waited
        return None

    def _cpu_seconds(self) -> float | None:
        """The worker's CPU time so far (Linux's /proc), None where unknown."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            return None

    def _wait_ready(self) -> None:
        if not self._replies.poll(START_LIMIT) or self._replies.recv_bytes() != READY:
            raise EOFError("the lesson worker did not start")
        self._ready = True

    def _give_way(self, lowest: bool) -> None:
        """A long run (or a stuck step) takes the lowest CPU priority, so other
        sessions' clicks keep their pace on a small machine; it is given back
        afterwards where the system allows (raising a priority needs root:
        elsewhere the worker stays at the lowest, which only costs it time
        when the machine is busy)."""
        self._reniced = lowest
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, 19 if lowest else WORKER_NICENESS)

    def stop(self, *, dump: bool = True) -> None:
        """Stack dump (SIGABRT: faulthandler writes it, then the process dies),
        then SIGKILL to the whole group, then reap: nothing keeps running.
        The worker is reaped last, so its group id cannot have been reused."""
        if self.process.returncode is None:
            if dump and not self._exited():
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGABRT)
                self._wait_exit(STOP_GRACE)
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to end (its request pipe closes), then make sure."""
        self._close_pipes()
        if self.process.returncode is None:
            self._wait_exit(STOP_GRACE)
        self.stop()
        self.release()

    def release(self) -> None:
        """Close the files kept for a report: once the worker is dropped."""
        self._dump.close()
        self._progress.close()

    def _exited(self) -> bool:
        """Whether the worker has ended, without reaping it."""
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PID, self.pid, flags) is not None
        except ChildProcessError:
            return True

    def _wait_exit(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._exited() and time.monotonic() < deadline:
            time.sleep(0.01)

    def dump(self) -> str:
        self._dump.seek(0)
        return self._dump.read().decode("utf-8", errors="replace")

    def _close_pipes(self) -> None:
        for connection in (self._requests, self._replies):
            if not connection.closed:
                connection.close()


class LessonPool:
    """A few lesson workers shared by every session of this process."""

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        *,
        step_limit: float | None = None,
        wait_limit: float | None = None,
        memory_limit: int = MEMORY_LIMIT,
        warm: int = 1,
    ) -> None:
        self.size = max(1, size)
        self.step_limit = step_limit or default_step_limit()
        self.wait_limit = wait_limit
        self.memory_limit = memory_limit
        self.warm = min(warm, self.size)
        self._workers: list[WorkerProcess] = []
        self.started: list[int] = []  # every worker's pid, stopped ones too
        self._home: dict[str, WorkerProcess] = {}
        self._changed = threading.Condition()
        self._closed = False
        # Workers end with this pool, or at exit at the latest.
        self._finalizer = weakref.finalize(self, _close_all, self._workers)
        with self._changed:
            for _ in range(min(warm, self.size)):
                self._start()

    def limits(self) -> Limits:
        """Read at every look at a busy worker: a change applies at once."""
        wait = self.wait_limit or max(WAIT_LIMIT, WAIT_FACTOR * self.step_limit)
        return Limits(self.step_limit, wait)

    # --- what the UI and the CLI ask --------------------------------------

    def outline(self, source: LessonSource) -> LessonOutline | LessonError:
        """Execute a lesson file (once per content per worker) for its outline."""
        try:
            value = self._call(OutlineRequest(source), source)
        except WorkerGone as gone:
            return self.stopped_error(source, gone.stopped)
        except WorkerFailed as failed:
            return LessonError(source.path, None, str(failed))
        return _expect(value, LessonOutline)

    def show(
        self,
        session: str,
        source: LessonSource,
        step: int,
        *,
        weaknesses: Sequence[str] = (),
        defended: bool = False,
        keys: KeysPem,
        outline: LessonOutline | None = None,
    ) -> StepSnapshot | LessonError:
        """Step `step` of this session's run of `source`: one more step when
        its live run is just behind, a replay otherwise."""
        request = ShowRequest(session, source, step, tuple(weaknesses), defended, keys)
        try:
            value = self._call(request, source, session=session)
        except WorkerGone as gone:
            return self.stopped_error(source, gone.stopped, outline)
        except WorkerFailed as failed:
            title = outline.steps[step - 1].title if outline and step else ""
            return LessonError(source.path, None, str(failed), "", step or None, title)
        return _expect(value, StepSnapshot)

    def report(
        self,
        source: LessonSource,
        *,
        until: int | None = None,
        weaknesses: Sequence[str] = (),
        defended: bool = False,
        as_json: bool = False,
        brief: bool = False,
        only_step: int | None = None,
        outline: LessonOutline | None = None,
    ) -> RunReport | LessonError:
        """A whole run in a fresh world with fresh keys, reported as text or JSON
        (`render_text` says what `brief` and `only_step` leave out)."""
        request = ReportRequest(
            source, until, tuple(weaknesses), defended, as_json, brief, only_step
        )
        try:
            value = self._call(request, source)
        except WorkerGone as gone:
            return self.stopped_error(source, gone.stopped, outline)
        except WorkerFailed as failed:
            return LessonError(source.path, None, str(failed))
        return _expect(value, RunReport)

    def exercise(
        self, source: LessonSource, scenario: int | None = None, *, seed: int = 0
    ) -> ExerciseOutline | ScenarioResult | LessonError:
        """An exercise file's outline, or scenario `scenario` run against it in
        a world seeded by `seed` (each scenario a request of its own, so a
        scenario that loops is stopped alone and the next one still runs)."""
        request = ExerciseRequest(source, scenario, seed)
        try:
            value = self._call(request, source)
        except WorkerGone as gone:
            return self.stopped_error(source, gone.stopped, unit="scenario")
        except WorkerFailed as failed:
            return LessonError(source.path, None, str(failed), "", scenario)
        kind = ExerciseOutline if scenario is None else ScenarioResult
        return _expect(value, kind)  # type: ignore[return-value]

    def forget(self, session: str) -> None:
        """A session ended: its home worker drops its run with its next request.
        Never blocks (it runs from a finalizer, in whatever thread)."""
        with self._changed:
            home = self._home.pop(session, None)
            if home is not None:
                home.forgotten.add(session)

    def stats(self) -> list[WorkerStats]:
        """Each worker's holdings, asked of every idle one (tests, benches)."""
        found = []
        with self._changed:
            idle = [worker for worker in self._workers if not worker.busy]
            for worker in idle:
                worker.busy = True
        for worker in idle:
            try:
                outcome = self._send(worker, StatsRequest())
            except WorkerGone:
                continue
            finally:
                self._release(worker)  # busy only for this request
            found.append(_expect(outcome, WorkerStats))
        return found

    def pids(self) -> list[int]:
        with self._changed:
            return [worker.pid for worker in self._workers]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._finalizer()

    def __enter__(self) -> LessonPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- errors -------------------------------------------------------------

    def stopped_error(
        self,
        source: LessonSource,
        stopped: Stopped,
        outline: LessonOutline | None = None,
        *,
        unit: str = "step",
    ) -> LessonError:
        """A stopped or crashed worker, told as a lesson error at the student's
        line (from the stack the worker dumped on its way out): the deepest
        frame in their file, not a library's line the loop was calling."""
        frames = _lesson_frames(stopped.dump, source.path)
        mine = [number for file, number, _ in frames if _same_file(file, source.path)]
        line = mine[-1] if mine else None
        if stopped.timed_out is not None:
            what = f"this {unit}" if stopped.step else "the file"
            ending = "finished" if stopped.step else "finished loading"
            why = (
                "waiting for what never comes?"
                if stopped.waiting
                else "an endless loop?"
            )
            message = (
                f"Stopped after {stopped.timed_out:g} s: {what} never {ending} ({why})"
            )
        elif stopped.returncode is not None and stopped.returncode < 0:
            name = signal.Signals(-stopped.returncode).name
            message = f"The lesson crashed its worker process ({name})"
        else:
            message = (
                "The lesson ended its worker process "
                f"(exit status {stopped.returncode}, e.g. os._exit)"
            )
        title = ""
        if outline is not None and 0 < stopped.step <= len(outline.steps):
            title = outline.steps[stopped.step - 1].title
        return LessonError(
            path=source.path,
            line=line,
            message=message,
            traceback=_traceback(frames, source.path, source.text, message),
            step=stopped.step or None,
            step_title=title,
        )

    # --- dispatch -------------------------------------------------------------

    def _call(
        self, request: Request, source: LessonSource, *, session: str | None = None
    ) -> object:
        worker = self._acquire(session, source)
        try:
            key = (source.path, source.digest)
            if key in worker.known:
                value = self._send(worker, _without_text(request))
                if isinstance(value, NeedSource):
                    value = self._send(worker, request)
            else:
                value = self._send(worker, request)
            _remember(worker.known, key, MAX_LESSONS)
            if session is not None:
                with self._changed:
                    previous = self._home.get(session)
                    if previous is not None and previous is not worker:
                        previous.forgotten.add(session)
                    self._home[session] = worker
                    worker.forgotten.discard(session)
            return value
        finally:
            self._release(worker)

    def _send(self, worker: WorkerProcess, request: Request) -> object:
        """One round trip; a worker that ended is dropped from the pool."""
        with self._changed:
            sessions = tuple(worker.forgotten)
            worker.forgotten.clear()
        try:
            outcome, value, retire = worker.request(request, sessions, self.limits)
        except BaseException:  # gone, or its caller interrupted: not reusable
            self._drop(worker)
            raise
        if retire:  # a thread left running there, or memory a class left
            worker.stop(dump=False)
            self._drop(worker)
            with self._changed:  # keep one warm for the next learner
                if not self._closed and len(self._workers) < self.warm:
                    self._start()
        if outcome != "ok":
            raise WorkerFailed(f"The lesson's results could not be shown: {value}")
        return value

    def _acquire(self, session: str | None, source: LessonSource) -> WorkerProcess:
        """The session's home worker if idle, else an idle one that holds the
        file, else any idle one, else a new one (up to `size`), else wait."""
        key = (source.path, source.digest)
        with self._changed:
            while True:
                if self._closed:
                    raise RuntimeError("the lesson pool is closed")
                idle = [worker for worker in self._workers if not worker.busy]
                home = self._home.get(session) if session else None
                chosen = home if home in idle else None
                chosen = chosen or next((w for w in idle if key in w.known), None)
                chosen = chosen or (idle[0] if idle else None)
                if chosen is None and len(self._workers) < self.size:
                    chosen = self._start()
                if chosen is not None:
                    chosen.busy = True
                    return chosen
                self._changed.wait()

    def _start(self) -> WorkerProcess:
        """A new worker (the caller holds the lock); it boots in the background."""
        worker = WorkerProcess(self.memory_limit)
        self._workers.append(worker)
        self.started.append(worker.pid)
        return worker

    def _release(self, worker: WorkerProcess) -> None:
        with self._changed:
            worker.busy = False
            self._changed.notify_all()

    def _drop(self, worker: WorkerProcess) -> None:
        with self._changed:
            if worker in self._workers:
                self._workers.remove(worker)
            for session in [s for s, w in self._home.items() if w is worker]:
                del self._home[session]
        worker.release()


def _close_all(workers: list[WorkerProcess]) -> None:
    """Idle workers end when their pipe closes; a busy one is stopped now."""
    for worker in list(workers):
        if worker.busy:
            worker.stop(dump=False)
            worker.release()
        else:
            worker.close()
    workers.clear()


T = TypeVar("T")


def _expect(value: object, kind: type[T]) -> T | LessonError:
    if isinstance(value, kind | LessonError):
        return value  # type: ignore[return-value]
    raise RuntimeError(f"lesson worker answered {type(value).__name__}")


def _without_text(request: Request) -> Request:
    source = getattr(request, "source", None)
    if source is None or source.text is None:
        return request
    return replace(request, source=replace(source, text=None))  # type: ignore[arg-type]


def _remember(cache: OrderedDict, key: object, limit: int) -> None:
    cache[key] = True
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


_FRAME = re.compile(r'^\s*File "(?P<file>.+)", line (?P<line>\d+) in (?P<name>.+)$')


def _lesson_frames(dump: str, path: str) -> list[tuple[str, int, str]]:
    """The stopped thread's frames from the lesson file's first on, oldest
    first. faulthandler lists each thread (the current one marked) with its
    most recent call first; the thread that was running the lesson is the
    one with the lesson file in its stack."""
    threads: list[tuple[bool, list[tuple[str, int, str]]]] = []
    for line in dump.splitlines():
        found = _FRAME.match(line)
        if found and threads:
            frame = (found["file"], int(found["line"]), found["name"].strip())
            threads[-1][1].append(frame)
        elif "thread 0x" in line.lower():
            threads.append((line.startswith("Current thread"), []))
    threads.sort(key=lambda thread: not thread[0])  # the current thread first
    for _current, frames in threads:
        frames = frames[::-1]
        mine = [i for i, frame in enumerate(frames) if _same_file(frame[0], path)]
        if mine:
            return frames[mine[0] :]
    return []


def _same_file(left: str, right: str) -> bool:
    try:
        return Path(left).resolve() == Path(right).resolve()
    except OSError:
        return left == right


def _traceback(
    frames: list[tuple[str, int, str]], path: str, text: str | None, message: str
) -> str:
    """A Python-style traceback of where the worker was stopped."""
    if not frames:
        return ""
    lines = (text or "").splitlines()
    out = ["Traceback (most recent call last):"]
    for file, number, name in frames:
        out.append(f'  File "{file}", line {number}, in {name}')
        if _same_file(file, path) and 0 < number <= len(lines):
            out.append(f"    {lines[number - 1].strip()}")
    return "\n".join([*out, message]) + "\n"
