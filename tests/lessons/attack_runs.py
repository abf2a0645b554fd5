"""Running attack lessons in tests, and reading what the attacker got."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playground.lesson.runner import LessonResult, load_lesson, run_lesson
from playground.wire.exchange import Exchange, Party
from playground.world import WorldKeys

ATTACKS = Path(__file__).resolve().parents[2] / "lessons" / "attacks"


def run(name: str, keys: WorldKeys, *, defended: bool) -> LessonResult:
    """Run an attack lesson one way; it must tell its story without a failure."""
    result = run_lesson(load_lesson(ATTACKS / name), defended=defended, keys=keys)
    assert result.error is None, result.error
    assert result.passed, [c.description for c in result.checks if not c.passed]
    return result


def exchanges(result: LessonResult, path: str, sender: Party | None = None):
    return [
        e
        for e in result.world.transcript.exchanges
        if urlsplit(e.request.url).path == path
        and (sender is None or e.sender == sender)
    ]


def location_params(exchange: Exchange) -> dict[str, str]:
    parts = urlsplit(exchange.response.header("Location") or "")
    params = parse_qs(parts.query) | parse_qs(parts.fragment)
    return {key: values[0] for key, values in params.items()}


def body(exchange: Exchange) -> dict:
    return json.loads(exchange.response.body)


def spent_by_attacker(result: LessonResult) -> list[Exchange]:
    """The attacker's successful requests to the token endpoint or the API
    (Mallory's own browser may sign in to her own account at the AS)."""
    return [
        e
        for e in result.world.transcript.exchanges
        if e.sender == Party.ATTACKER
        and (e.receiver == Party.RESOURCE_SERVER or e.request.target == "/token")
        and 200 <= e.response.status < 300
    ]
