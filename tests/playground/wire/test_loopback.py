"""The same lesson over real loopback sockets as in process (DESIGN decision 1)."""

from __future__ import annotations

from pathlib import Path

from playground.lesson.runner import load_lesson, run_lesson
from playground.wire.loopback import on_loopback
from playground.world import World, WorldKeys

PKCE_LESSON = (
    Path(__file__).resolve().parents[3] / "lessons" / "03_authorization_code_pkce.py"
)


def shape(result):
    return [
        (
            e.sender,
            e.receiver,
            e.channel,
            e.request.method,
            e.request.url,
            e.response.status,
        )
        for e in result.world.transcript.exchanges
    ]


def test_pkce_lesson_runs_unchanged_over_loopback_sockets():
    keys = WorldKeys.generate()
    lesson = load_lesson(PKCE_LESSON)
    in_process = run_lesson(lesson, keys=keys)
    world = World(keys=keys)
    with on_loopback(world.network) as urls:
        assert all(url.startswith("http://127.0.0.1:") for url in urls.values())
        over_sockets = run_lesson(lesson, world=world)
    assert over_sockets.passed, over_sockets.error
    assert shape(over_sockets) == shape(in_process)
    # Seeded randomness and the same keys: the very same access token.
    assert over_sockets.run.access_token == in_process.run.access_token
    # Afterwards the world is back in process.
    assert all(host.app is not None for host in world.network.hosts())
