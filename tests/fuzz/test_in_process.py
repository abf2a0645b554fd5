"""Hostile requests to both apps in process, with secure defaults, every
weakness on, or opaque tokens: never a 5xx, a traceback or an injected
header. Each test aims at one way in; the last one at everything."""

from __future__ import annotations

from tests.fuzz.attack import as_they_are, attack, in_process_sender
from tests.fuzz.conftest import AUTHORIZATION_SERVER_PATHS, RESOURCE_SERVER_PATHS
from tests.fuzz.hostile import (
    bearer_requests,
    bent_requests,
    client_authentications,
    requests,
)

PROTECTED = ("/api/user", "/api/photos", "/userinfo")
WITH_FORMS = (
    "/authorize",
    "/authorize/resume",
    "/login",
    "/consent",
    "/token",
    "/introspect",
    "/revoke",
)


def test_real_requests_work_so_bent_ones_go_deep(in_process) -> None:
    servers, material = in_process
    seen = as_they_are(
        in_process_sender(servers),
        material,
        AUTHORIZATION_SERVER_PATHS + RESOURCE_SERVER_PATHS,
    )
    assert seen[("/token", 200)] > 0, seen
    assert seen[("/introspect", 200)] > 0, seen
    assert seen[("/authorize", 200)] > 0, seen
    assert seen[("/login", 302)] > 0, seen
    assert seen[("/api/user", 200)] > 0, seen
    assert seen[("/userinfo", 200)] > 0, seen


def test_hostile_access_tokens(in_process) -> None:
    servers, material = in_process
    seen = attack(in_process_sender(servers), bearer_requests(material, PROTECTED), 150)
    assert seen[("/api/user", 401)] > 0, seen  # invalid_token, not a crash


def test_hostile_client_credentials(in_process) -> None:
    servers, material = in_process
    seen = attack(in_process_sender(servers), client_authentications(material), 120)
    assert seen[("/token", 401)] > 0, seen


def test_hostile_parameters(in_process) -> None:
    servers, material = in_process
    attack(in_process_sender(servers), bent_requests(material, WITH_FORMS), 250)


def test_hostile_anything(in_process) -> None:
    servers, material = in_process
    paths = AUTHORIZATION_SERVER_PATHS + tuple(
        p for p in RESOURCE_SERVER_PATHS if p.startswith("/api/")
    )
    attack(in_process_sender(servers), requests(material, paths), 200)
