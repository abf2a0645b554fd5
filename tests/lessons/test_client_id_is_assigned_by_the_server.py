"""Lesson 18 (RFC 9700 4.15): a client that may name itself u-1001 gets client
credentials tokens with sub u-1001, which the photos API serves Alice's photos
to; the server that issues client identifiers itself prevents it."""

from __future__ import annotations

import jwt

from playground.wire.exchange import Party
from tests.lessons.attack_runs import body, exchanges, run

COLLISION = "18_client_id_sub_collision.py"


def registration(result):
    (registered,) = exchanges(result, "/register", Party.ATTACKER)
    return registered


def client_token_claims(result) -> dict:
    tokens = [
        e
        for e in exchanges(result, "/token", Party.ATTACKER)
        if e.request.form.get("grant_type") == "client_credentials"
    ]
    (token,) = tokens
    assert token.response.status == 200
    return jwt.decode(body(token)["access_token"], options={"verify_signature": False})


def test_client_named_like_alice_reads_her_photos(keys):
    result = run(COLLISION, keys, defended=False)
    registered = registration(result)
    assert registered.request.header("Content-Type") == "application/json"
    assert registered.response.status == 201
    assert body(registered)["client_id"] == "u-1001"
    claims = client_token_claims(result)
    assert claims["sub"] == claims["client_id"] == "u-1001"
    photos = exchanges(result, "/api/photos", Party.ATTACKER)[-1]
    assert photos.response.status == 200
    assert body(photos)["owner"] == "u-1001"
    assert [p["id"] for p in body(photos)["photos"]] == ["p-1", "p-2"]


def test_client_id_is_assigned_by_the_server(keys):
    result = run(COLLISION, keys, defended=True)
    registered = registration(result)
    assert registered.response.status == 201
    client_id = body(registered)["client_id"]
    assert client_id.startswith("client-")
    claims = client_token_claims(result)
    assert claims["sub"] == claims["client_id"] == client_id
    photos = exchanges(result, "/api/photos", Party.ATTACKER)[-1]
    assert photos.response.status == 200
    assert body(photos) == {"owner": client_id, "photos": []}
