"""Forged tokens against the real resource server: refused, unless it is careless."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from mock_servers.keys import SigningKey, generate_signing_key
from playground.tools import jwt_forge
from playground.world import World, WorldKeys

API_PATH = "/api/user"


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


@pytest.fixture(scope="module")
def attacker_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture
def make_world(keys: WorldKeys) -> Callable[..., World]:
    def make(*weaknesses: str) -> World:
        return World(keys=keys, weaknesses=weaknesses)

    return make


def real_token(world: World) -> str:
    response = world.first_party_app.password(
        "alice", "wonderland", "basic email photos.read"
    )
    assert response.status_code == 200
    return response.json()["access_token"]


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def call_api(world: World, token: str) -> tuple[int, str]:
    response = world.first_party_app.call_api(API_PATH, access_token=token)
    return response.status_code, response.headers.get("WWW-Authenticate", "")


def segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def as_key(world: World) -> SigningKey:
    return world.deployment.as_settings.signing_key


def test_playground_key_signature_is_accepted(make_world) -> None:
    world = make_world()
    claims = claims_of(real_token(world))
    claims["sub"] = "u-1002"
    status, _ = call_api(world, jwt_forge.sign(claims, as_key(world)))
    assert status == 200


def test_sign_writes_rs256_kid_and_at_jwt(make_world) -> None:
    world = make_world()
    token = jwt_forge.sign({"sub": "x"}, as_key(world))
    assert segment(token, 0) == {
        "alg": "RS256",
        "kid": as_key(world).kid,
        "typ": "at+jwt",
    }
    assert jwt.decode(
        token, as_key(world).private_key.public_key(), algorithms=["RS256"]
    ) == {"sub": "x"}


def test_wrong_key_with_same_kid_is_rejected_as_invalid_signature(
    make_world, attacker_key: SigningKey
) -> None:
    world = make_world()
    claims = claims_of(real_token(world))
    token = jwt_forge.forge(
        jwt_forge.WRONG_KEY, claims, key=as_key(world), wrong_key=attacker_key
    )
    assert segment(token, 0)["kid"] == as_key(world).kid
    status, challenge = call_api(world, token)
    assert status == 401
    assert "InvalidSignatureError" in challenge


def test_alg_none_token_rejected(make_world) -> None:
    world = make_world()
    token = jwt_forge.unsigned(claims_of(real_token(world)))
    assert token.endswith(".")
    assert segment(token, 0) == {"alg": "none", "typ": "at+jwt"}
    status, challenge = call_api(world, token)
    assert status == 401
    assert "alg: none" in challenge


def test_hs256_key_confusion_rejected(make_world) -> None:
    world = make_world()
    token = jwt_forge.hs256_with_public_key(
        claims_of(real_token(world)),
        as_key(world).public_pem(),
        header={"kid": as_key(world).kid},
    )
    assert segment(token, 0)["alg"] == "HS256"
    status, challenge = call_api(world, token)
    assert status == 401
    assert "InvalidAlgorithmError" in challenge


def test_hs256_confusion_is_a_real_hmac_of_the_public_pem(make_world) -> None:
    world = make_world()
    pem = as_key(world).public_pem()
    token = jwt_forge.hs256_with_public_key({"sub": "x"}, pem)
    # The careless verifier's view: the HMAC checks out with the public PEM.
    signing_input, _, signature = token.rpartition(".")
    algorithm = jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256)
    assert algorithm.verify(
        signing_input.encode(), pem, base64.urlsafe_b64decode(signature + "=")
    )


def test_expired_token_rejected(make_world) -> None:
    world = make_world()
    claims = claims_of(real_token(world))
    claims["exp"] = world.clock.now() - 1
    status, challenge = call_api(world, jwt_forge.sign(claims, as_key(world)))
    assert status == 401
    assert "ExpiredSignatureError" in challenge


def test_wrong_audience_rejected(make_world) -> None:
    world = make_world()
    claims = claims_of(real_token(world))
    claims["aud"] = "https://other-api.example"
    status, challenge = call_api(world, jwt_forge.sign(claims, as_key(world)))
    assert status == 401
    assert "InvalidAudienceError" in challenge


def test_tampered_claims_under_old_signature_rejected(make_world) -> None:
    world = make_world()
    token = real_token(world)
    claims = claims_of(token)
    claims["sub"] = "u-1002"
    forged = jwt_forge.with_claims(token, claims)
    assert forged.split(".")[2] == token.split(".")[2]
    status, challenge = call_api(world, forged)
    assert status == 401
    assert "InvalidSignatureError" in challenge


@pytest.mark.parametrize(
    ("weakness", "forgery", "change"),
    [
        ("rs.accept_alg_none", jwt_forge.ALG_NONE, {}),
        ("rs.skip_signature_check", jwt_forge.WRONG_KEY, {}),
        ("rs.skip_signature_check", jwt_forge.HS256_CONFUSION, {}),
        ("rs.skip_signature_check", jwt_forge.KEEP_SIGNATURE, {"sub": "u-1002"}),
        ("rs.skip_expiry_check", jwt_forge.PLAYGROUND_KEY, {"exp": 1}),
        ("rs.skip_audience_check", jwt_forge.PLAYGROUND_KEY, {"aud": "https://x"}),
    ],
)
def test_forgery_accepted_when_the_matching_weakness_is_on(
    make_world, attacker_key: SigningKey, weakness: str, forgery: str, change: dict
) -> None:
    world = make_world(weakness)
    token = real_token(world)
    claims = {**claims_of(token), **change}
    forged = jwt_forge.forge(
        forgery,
        claims,
        key=as_key(world),
        wrong_key=attacker_key,
        original_token=token,
    )
    assert call_api(world, forged)[0] == 200


def test_parse_claims_explains_bad_json() -> None:
    with pytest.raises(jwt_forge.ForgeError, match=r"not valid JSON.*line 1"):
        jwt_forge.parse_claims('{"sub": }')
    with pytest.raises(jwt_forge.ForgeError, match="JSON object"):
        jwt_forge.parse_claims("[1, 2]")
    assert jwt_forge.parse_claims('{"sub": "alice"}') == {"sub": "alice"}


def test_with_claims_needs_three_parts() -> None:
    with pytest.raises(jwt_forge.ForgeError, match="three parts"):
        jwt_forge.with_claims("abc.def", {"sub": "x"})


def test_unknown_forgery_is_a_clear_error(make_world) -> None:
    world = make_world()
    with pytest.raises(jwt_forge.ForgeError, match="Unknown way to sign"):
        jwt_forge.forge("magic", {}, key=as_key(world))


def test_every_forgery_has_a_label_and_explanation() -> None:
    assert [f.id for f in jwt_forge.FORGERIES] == list(jwt_forge.BY_ID)
    assert all(f.label and f.explanation for f in jwt_forge.FORGERIES)
