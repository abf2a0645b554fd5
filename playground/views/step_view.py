"""What one step of a lesson run shows: the data both the CLI and the UI draw.

Pure functions of the transcript and the world's token trust: no server is
called here, and nothing here knows about lessons beyond a step's title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from mock_servers.events import Event
from playground.views.jwt_decoder import DecodedJwt, Trust, verify_jwt
from playground.views.personal_access_token import (
    PersonalTokenExplanation,
    personal_tokens_in,
)
from playground.views.pkce import PkceExplanation, explain
from playground.views.token_exchange import ExchangeExplanation, token_exchanges_in
from playground.wire.exchange import Exchange
from playground.wire.transcript import CheckResult, Transcript

JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


class StepInfo(Protocol):
    """What a view needs of a lesson's step (a `playground.lesson.api.Step`)."""

    number: int
    title: str
    narrative: str
    first_line: int
    last_line: int


@dataclass(frozen=True)
class FoundToken:
    """A JWT that crossed the wire in this step, where it was, and what it says."""

    where: str
    token: str
    decoded: DecodedJwt


@dataclass(frozen=True)
class StepView:
    step: StepInfo
    exchanges: tuple[Exchange, ...]
    tokens: tuple[FoundToken, ...]
    pkce: tuple[PkceExplanation, ...]
    events: tuple[Event, ...]
    checks: tuple[CheckResult, ...]
    ran: bool
    # Opaque personal access tokens (not JWTs) and token exchanges (RFC 8693)
    # of this step, explained part by part.
    personal_tokens: tuple[PersonalTokenExplanation, ...] = ()
    token_exchanges: tuple[ExchangeExplanation, ...] = ()


def step_views(
    steps: Sequence[StepInfo],
    transcript: Transcript,
    trust: Trust,
    *,
    steps_run: int,
    failed_step: int | None = None,
    now: int,
) -> list[StepView]:
    """Each step's panels, from what the transcript recorded; a token is judged
    as of the world's clock when its step ended (`now` for a step not ended)."""
    return [
        step_view(
            step,
            transcript,
            trust,
            ran=step.number <= steps_run or failed_step == step.number,
            now=now,
        )
        for step in steps
    ]


def step_view(
    step: StepInfo, transcript: Transcript, trust: Trust, *, ran: bool, now: int
) -> StepView:
    """One step's panels: what it costs depends on that step alone, so a page
    that shows one step of a long lesson does not build the others."""
    exchanges = tuple(transcript.exchanges_for(step.number))
    at = transcript.step_times.get(step.number, now)
    return StepView(
        step=step,
        exchanges=exchanges,
        tokens=tuple(tokens_in(exchanges, transcript, step.number, trust, at)),
        pkce=tuple(
            explain(shown.code_verifier, shown.method)
            for shown in transcript.pkce_shown_in(step.number)
        ),
        events=tuple(transcript.events_for(step.number)),
        checks=tuple(transcript.checks_for(step.number)),
        ran=ran,
        personal_tokens=tuple(personal_tokens_in(exchanges)),
        token_exchanges=tuple(token_exchanges_in(exchanges)),
    )


def tokens_in(
    exchanges: Sequence[Exchange],
    transcript: Transcript,
    step: int | None,
    trust: Trust,
    at: int,
) -> list[FoundToken]:
    """JWTs issued in responses (JSON bodies, redirect URLs), and those a
    lesson showed with `run.show_jwt` in this step."""
    hits = [
        hit
        for exchange in exchanges
        for hit in (*_jwts_in_request(exchange), *_jwts_in_response(exchange))
    ]
    hits += [(shown.label, shown.token) for shown in transcript.tokens_shown_in(step)]
    found: dict[str, FoundToken] = {}
    for where, token in hits:
        if token not in found:
            found[token] = FoundToken(where, token, verify_jwt(token, trust, at=at))
    return list(found.values())


def _jwts_in_request(exchange: Exchange) -> list[tuple[str, str]]:
    """DPoP proofs (RFC 9449 4.1): a client makes one for each request and
    sends it in the DPoP header."""
    label = f"{exchange.request.method} {urlsplit(exchange.request.url).path}"
    proof = (exchange.request.header("DPoP") or "").strip()
    if proof and JWT_PATTERN.fullmatch(proof):
        return [(f"DPoP proof sent with {label}", proof)]
    return []


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
