"""Run a strategy of hostile requests against a server and judge each answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import fuzz_settings
from tests.fuzz.hostile import (
    Answer,
    Material,
    RawRequest,
    as_request,
    call_app,
    environ_for,
    problems,
    templates,
)
from tests.mock_servers.servers import API_URL, ISSUER, Servers

Seen = Counter[tuple[str, int]]
Send = Callable[[RawRequest], Answer]


def attack(send: Send, strategy: st.SearchStrategy[RawRequest], examples: int) -> Seen:
    """Send `examples` requests drawn from `strategy`; fail on the first
    answer with a problem (Hypothesis then shrinks it to the simplest such
    request). Returns (path, status) counts."""
    seen: Seen = Counter()

    def check(request: RawRequest) -> None:
        answer = send(request)
        assert not problems(answer, request), (
            request.describe(),
            problems(answer, request),
        )
        seen[(request.target.partition("?")[0], answer.status)] += 1

    fuzz_settings(examples)(given(strategy)(check))()
    return seen


def as_they_are(send: Send, material: Material, paths: Sequence[str]) -> Seen:
    """Each endpoint's real requests, unbent: proof that the material works,
    so the bent requests went past the first checks."""
    seen: Seen = Counter()
    for path, options in templates(material).items():
        if path in paths:
            for template in options:
                answer = send(as_request(path, template))
                assert not problems(answer), problems(answer)
                seen[(path, answer.status)] += 1
    return seen


def in_process_sender(servers: Servers) -> Send:
    """Each request to the app its path belongs to: /api/ to the resource
    server, the rest to the authorization server."""
    deployment = servers.deployment

    def send(request: RawRequest) -> Answer:
        if request.target.startswith("/api/"):
            app, host = deployment.resource_server, API_URL
        else:
            app, host = deployment.authorization_server, ISSUER
        return call_app(app, environ_for(request, host.removeprefix("https://")))

    return send
