"""A worker whose sessions have all gone, and kept their memory, retires:
only a fresh process hands CPython's arenas back to the system."""

from __future__ import annotations

import pytest

from playground.lesson import memory, worker
from playground.lesson.worker import RETIRE_GROWTH, Worker

MB = 1024 * 1024


@pytest.fixture
def rss(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    value = [100 * MB]
    monkeypatch.setattr(memory, "resident", lambda: value[0])
    monkeypatch.setattr(worker.memory, "give_back", lambda: None)
    return value


def test_the_first_request_sets_the_baseline_and_never_retires(rss: list[int]) -> None:
    held = Worker()
    assert not held.outgrown()
    assert held.baseline_rss == 100 * MB


def test_the_last_session_gone_with_its_memory_kept_retires(rss: list[int]) -> None:
    held = Worker()
    held.outgrown()
    held.runs["a"] = object()
    held.runs["b"] = object()
    rss[0] += RETIRE_GROWTH + MB
    held.forget(("a",))
    assert not held.outgrown()  # "b" is still someone's place in a lesson
    held.forget(("b",))
    assert held.outgrown()
    assert not held.outgrown()  # asked once per emptying


def test_memory_handed_back_or_never_taken_keeps_the_worker(rss: list[int]) -> None:
    held = Worker()
    held.outgrown()
    held.runs["a"] = object()
    rss[0] += RETIRE_GROWTH // 2
    held.forget(("a",))
    assert not held.outgrown()
    rss[0] += RETIRE_GROWTH  # grew, but no session left since
    assert not held.outgrown()


def test_resident_reads_this_process() -> None:
    assert memory.resident() > 10 * MB
