"""Hostile bytes to `serve` on 127.0.0.1: Cheroot's parsing, the loopback
gate and both apps together never answer 5xx, a traceback or an injected
header, and always answer with a well-formed HTTP response."""

from __future__ import annotations

from tests.fuzz.attack import Send, as_they_are, attack
from tests.fuzz.conftest import AUTHORIZATION_SERVER_PATHS, RESOURCE_SERVER_PATHS
from tests.fuzz.hostile import (
    Answer,
    RawRequest,
    bearer_requests,
    bent_requests,
    client_authentications,
    requests,
    send_raw,
)
from tests.fuzz.test_in_process import PROTECTED, WITH_FORMS
from tests.mock_servers.loopback import Served


def loopback_sender(running: Served) -> Send:
    def send(request: RawRequest) -> Answer:
        port = (
            running.rs_port if request.target.startswith("/api/") else running.as_port
        )
        return send_raw(port, request)

    return send


def test_real_requests_work_over_loopback(on_loopback) -> None:
    running, material = on_loopback
    seen = as_they_are(
        loopback_sender(running),
        material,
        AUTHORIZATION_SERVER_PATHS + RESOURCE_SERVER_PATHS,
    )
    assert seen[("/token", 200)] > 0, seen
    assert seen[("/login", 302)] > 0, seen
    assert seen[("/api/user", 200)] > 0, seen


def test_hostile_access_tokens_over_loopback(on_loopback) -> None:
    running, material = on_loopback
    attack(loopback_sender(running), bearer_requests(material, PROTECTED), 80)


def test_hostile_client_credentials_over_loopback(on_loopback) -> None:
    running, material = on_loopback
    attack(loopback_sender(running), client_authentications(material), 80)


def test_hostile_parameters_over_loopback(on_loopback) -> None:
    running, material = on_loopback
    attack(loopback_sender(running), bent_requests(material, WITH_FORMS), 100)


def test_hostile_anything_over_loopback(on_loopback) -> None:
    running, material = on_loopback
    paths = AUTHORIZATION_SERVER_PATHS + tuple(
        p for p in RESOURCE_SERVER_PATHS if p.startswith("/api/")
    )
    attack(loopback_sender(running), requests(material, paths), 150)
