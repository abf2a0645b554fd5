"""DPoP (RFC 9449): tokens bound to the client's key at the token endpoint,
and proven with every call at the photos API.

Driven through the playground's world: the gallery (a browser app) holds an
ES256 key, Mallory's server holds the stolen token.
"""

from __future__ import annotations

import jwt
import pytest

from mock_servers.dpop import access_token_hash, thumbprint
from playground.actors.dpop import DPoPKey
from playground.lesson.api import Lesson, LessonRun
from playground.world import World, WorldKeys


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


@pytest.fixture
def run(keys: WorldKeys) -> LessonRun:
    return LessonRun(World(keys=keys), Lesson("DPoP"))


def signed_in(run: LessonRun) -> tuple[DPoPKey, str]:
    key = DPoPKey.generate()
    run.spa.dpop_key = key
    response = run.code_flow(run.spa, run.browser, "alice", "wonderland")
    assert response.status_code == 200
    return key, response.json()["access_token"]


def last_api_call(run: LessonRun):
    """The gallery's last GET to the photos API (not the API's own JWKS fetch)."""
    return [
        e.request
        for e in run.all_exchanges
        if e.request.method == "GET" and e.request.url.startswith(run.api_url)
    ][-1]


def call(run: LessonRun, token: str, proof: str, path: str = "/api/photos"):
    return run.attacker.http.get(
        f"{run.api_url}{path}",
        headers={"Authorization": f"DPoP {token}", "DPoP": proof},
    )


def test_a_proof_at_the_token_endpoint_binds_the_access_token_to_its_key(
    run: LessonRun,
) -> None:
    key, token = signed_in(run)
    assert run.spa.tokens["token_type"] == "DPoP"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.jkt}
    assert key.jkt == thumbprint(key.public_jwk)
    sent = [e for e in run.all_exchanges if e.request.url == f"{run.issuer}/token"]
    proof = sent[-1].request.header("DPoP") or ""
    assert jwt.get_unverified_header(proof)["typ"] == "dpop+jwt"


def test_a_client_without_a_key_still_gets_bearer_tokens(run: LessonRun) -> None:
    response = run.code_flow(run.spa, run.browser, "alice", "wonderland")
    token = response.json()["access_token"]
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in jwt.decode(token, options={"verify_signature": False})
    assert run.spa.call_api("/api/photos").status_code == 200


def test_an_invalid_proof_at_the_token_endpoint_is_invalid_dpop_proof(
    run: LessonRun,
) -> None:
    key = DPoPKey.generate()
    response = run.attacker.http.post(
        f"{run.issuer}/token",
        data={"grant_type": "client_credentials", "scope": "basic"},
        auth=("print-shop-service", "print-shop-secret"),
        headers={
            "DPoP": key.proof(
                "POST", f"{run.api_url}/token", now=run.clock.now(), jti="j"
            )
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "htu is 'https://api.photos.test/token', not "
        "'https://auth.photos.test/token'.",
    }


def test_the_api_serves_a_bound_token_with_a_proof_of_its_key(run: LessonRun) -> None:
    signed_in(run)
    response = run.spa.call_api("/api/photos")
    assert response.status_code == 200
    sent = last_api_call(run)
    assert (sent.header("Authorization") or "").startswith("DPoP ")
    token = (sent.header("Authorization") or "").removeprefix("DPoP ")
    proof_claims = jwt.decode(
        sent.header("DPoP") or "", options={"verify_signature": False}
    )
    assert proof_claims["ath"] == access_token_hash(token)
    assert proof_claims["htu"] == f"{run.api_url}/api/photos"


def test_a_bound_token_sent_as_a_bearer_token_is_refused(run: LessonRun) -> None:
    _, token = signed_in(run)
    response = run.attacker.call_api("/api/photos", token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="invalid_token"')
    assert response.json()["error_description"] == (
        "A DPoP-bound access token sent as a bearer token."
    )


def test_a_proof_by_another_key_is_refused(run: LessonRun) -> None:
    _, token = signed_in(run)
    mallory = DPoPKey.generate()
    proof = mallory.proof(
        "GET",
        f"{run.api_url}/api/photos",
        now=run.clock.now(),
        jti="m",
        access_token=token,
    )
    response = call(run, token, proof)
    assert response.status_code == 401
    assert response.json()["error_description"] == (
        "The DPoP proof's key is not the key the access token is bound to."
    )


def test_a_replayed_proof_is_refused(run: LessonRun) -> None:
    signed_in(run)
    run.spa.call_api("/api/photos")
    sent = last_api_call(run)
    token = (sent.header("Authorization") or "").removeprefix("DPoP ")
    response = call(run, token, sent.header("DPoP") or "")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "This proof's jti was used before (a replay).",
    }
    assert run.events_named("dpop.rejected")[-1].detail == (
        "This proof's jti was used before (a replay)."
    )


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"htm": "POST"}, "htm is 'POST', not 'GET'."),
        ({"iat": -600}, "iat"),
        ({"ath": "x"}, "ath is not the hash of the access token."),
    ],
)
def test_a_proof_for_another_request_is_refused(
    run: LessonRun, change: dict, description: str
) -> None:
    key, token = signed_in(run)
    claims = dict(change)
    if "iat" in claims:
        claims["iat"] = run.clock.now() + claims["iat"]
    proof = key.proof(
        "GET",
        f"{run.api_url}/api/photos",
        now=run.clock.now(),
        jti="p",
        access_token=token,
        claims=claims,
    )
    response = call(run, token, proof)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"
    assert response.json()["error_description"].startswith(description)


def test_no_proof_with_the_dpop_scheme_is_refused(run: LessonRun) -> None:
    _, token = signed_in(run)
    response = run.attacker.http.get(
        f"{run.api_url}/api/photos", headers={"Authorization": f"DPoP {token}"}
    )
    assert response.status_code == 401
    assert response.json()["error_description"] == "No DPoP proof in the request."
