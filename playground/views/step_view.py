"""What one step of a lesson run shows: the data both the CLI and the UI draw.

Pure functions of a `LessonResult`: no server is called here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mock_servers.events import Event
from playground.lesson.api import Step, decode_in_world
from playground.lesson.runner import LessonResult
from playground.views.jwt_view import DecodedJwt
from playground.views.pkce import PkceExplanation
from playground.wire.exchange import Exchange
from playground.wire.transcript import CheckResult

JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class FoundToken:
    """A JWT that crossed the wire in this step, where it was, and what it says."""

    where: str
    token: str
    decoded: DecodedJwt


@dataclass(frozen=True)
class StepView:
    step: Step
    exchanges: tuple[Exchange, ...]
    tokens: tuple[FoundToken, ...]
    pkce: tuple[PkceExplanation, ...]
    events: tuple[Event, ...]
    checks: tuple[CheckResult, ...]
    ran: bool


def step_views(result: LessonResult) -> list[StepView]:
    transcript = result.world.transcript
    views = []
    for step in result.lesson.steps:
        exchanges = tuple(transcript.exchanges_for(step.number))
        views.append(
            StepView(
                step=step,
                exchanges=exchanges,
                tokens=tuple(tokens_in(exchanges, result, step.number)),
                pkce=tuple(
                    explanation
                    for number, explanation in result.run.pkce_explanations
                    if number == step.number
                ),
                events=tuple(transcript.events_for(step.number)),
                checks=tuple(transcript.checks_for(step.number)),
                ran=step.number <= result.steps_run
                or (result.error is not None and result.error.step == step.number),
            )
        )
    return views


def tokens_in(
    exchanges: tuple[Exchange, ...], result: LessonResult, step: int | None = None
) -> list[FoundToken]:
    """JWTs issued in responses (JSON bodies, redirect URLs), and those a
    lesson showed with `run.show_jwt` in this step."""
    hits = [hit for exchange in exchanges for hit in _jwts_in_response(exchange)]
    hits += [
        (label, token)
        for number, label, token in result.run.shown_tokens
        if number == step
    ]
    transcript = result.world.transcript
    now = transcript.step_times.get(step or 0, result.world.clock.now())
    found: dict[str, FoundToken] = {}
    for where, token in hits:
        if token not in found:
            decoded = decode_in_world(token, result.world, now)
            found[token] = FoundToken(where, token, decoded)
    return list(found.values())


def _jwts_in_response(exchange: Exchange) -> list[tuple[str, str]]:
    label = f"{exchange.request.method} {urlsplit(exchange.request.url).path}"
    hits: list[tuple[str, str]] = []
    body = _json(exchange.response.body)
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str) and JWT_PATTERN.fullmatch(value):
                hits.append((f"{key} in the response to {label}", value))
    location = exchange.response.header("location") or ""
    parts = urlsplit(location)
    for part_name, part in (("query", parts.query), ("fragment", parts.fragment)):
        for key, values in parse_qs(part).items():
            for value in values:
                if JWT_PATTERN.fullmatch(value):
                    hits.append((f"{key} in the redirect's {part_name}", value))
    return hits


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
