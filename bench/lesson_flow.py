"""How long one full authorization code + PKCE lesson takes, in process and
over loopback sockets (the same apps served by Cheroot).

Prints each median over many runs and their ratio. Run: `make bench` or
`.venv/bin/python bench/lesson_flow.py [--runs N]`. Measured here, never
asserted in a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from playground.lesson.runner import load_lesson, run_lesson
from playground.wire.loopback import on_loopback
from playground.world import World, WorldKeys

LESSON = (
    Path(__file__).resolve().parents[1] / "lessons" / "03_authorization_code_pkce.py"
)


def time_in_process(lesson, keys: WorldKeys) -> tuple[float, float]:
    """(whole lesson incl. building the world, the steps alone) in ms."""
    started = time.perf_counter()
    world = World(keys=keys)
    built = time.perf_counter()
    result = run_lesson(lesson, world=world)
    done = time.perf_counter()
    assert result.passed, result.error
    return (done - started) * 1000, (done - built) * 1000


def time_on_loopback(lesson, keys: WorldKeys) -> float:
    """The steps alone, with every request crossing a real TCP socket."""
    world = World(keys=keys)
    with on_loopback(world.network):
        started = time.perf_counter()
        result = run_lesson(lesson, world=world)
        done = time.perf_counter()
    assert result.passed, result.error
    return (done - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    lesson = load_lesson(LESSON)
    keys = WorldKeys.generate()
    for _ in range(5):  # warm up imports and caches
        time_in_process(lesson, keys)
        time_on_loopback(lesson, keys)
    whole, steps, loopback = [], [], []
    for _ in range(args.runs):
        total, only_steps = time_in_process(lesson, keys)
        whole.append(total)
        steps.append(only_steps)
        loopback.append(time_on_loopback(lesson, keys))
    exchanges = len(run_lesson(lesson, keys=keys).world.transcript.exchanges)
    in_process = statistics.median(steps)
    over_sockets = statistics.median(loopback)
    print(f"lesson: {LESSON.name}, {exchanges} HTTP exchanges, {args.runs} runs each")
    print(f"in process, world + steps : median {statistics.median(whole):7.2f} ms")
    print(f"in process, steps only    : median {in_process:7.2f} ms")
    print(f"loopback sockets, steps   : median {over_sockets:7.2f} ms")
    print(f"loopback / in process     : {over_sockets / in_process:5.2f}x")


if __name__ == "__main__":
    main()
