"""The photos API (RFC 6750) with real tokens from the real authorization server.

Every request goes over HTTP to the resource server, which reaches the AS over
HTTP too (JWKS, introspection). Forged tokens are built here the way an
attacker would: by editing a real token or by signing with a key of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings

import httpx
import jwt
import pytest
from flask import Flask

from mock_servers.clock import Clock
from mock_servers.deployment import API_URL, ISSUER
from mock_servers.keys import generate_signing_key
from tests.mock_servers.servers import WEB_CLIENT, Servers

# A frozen world clock (2026-01-01T00:00:00Z), so expiry times are exact.
FROZEN_AT = 1_767_225_600
REALM_ONLY = 'Bearer realm="photos-api"'
# RFC 9728 5.1: every 401 says where the API's metadata is.
METADATA_HINT = (
    'resource_metadata="https://api.photos.test/.well-known/oauth-protected-resource"'
)
HEADER_ONLY = "The Authorization header must be 'Bearer <access token>'."
IN_QUERY = "Send the access token in the Authorization header."
NOT_ACTIVE = (
    "The authorization server says the token is not active "
    "(expired, revoked or unknown)"
)


# -- tokens, real and forged ---------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def access_token_for(servers: Servers, scope: str = "basic photos.read", **kw) -> str:
    """A real access token from the code flow (alice, client photoprint)."""
    response = servers.redeem(servers.code_for(scope=scope, **kw))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def tamper(token: str, **changes: object) -> str:
    """Change claims in the payload and keep the original header and signature."""
    header, _, signature = token.split(".")
    return f"{header}.{b64url_json({**claims_of(token), **changes})}.{signature}"


def unsigned(claims: dict) -> str:
    """RFC 7519 6.1: an unsecured JWT: alg none and an empty signature."""
    header = b64url_json({"alg": "none", "typ": "at+jwt"})
    return f"{header}.{b64url_json(claims)}."


def good_claims(servers: Servers, **changes: object) -> dict:
    """The claims the AS would put in an access token for alice, now."""
    now = servers.deployment.clock.now()
    claims = {
        "iss": ISSUER,
        "sub": "u-1001",
        "aud": API_URL,
        "client_id": "photoprint",
        "scope": "basic photos.read",
        "iat": now,
        "exp": now + 3600,
        "jti": "forged-jti",
    }
    claims.update(changes)
    return claims


def signed_by_issuer(servers: Servers, **changes: object) -> str:
    """A token correctly signed with the AS's own key, with the claims changed."""
    key = servers.deployment.as_settings.signing_key
    return jwt.encode(
        good_claims(servers, **changes),
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid, "typ": "at+jwt"},
    )


def other_audience_token(servers: Servers) -> str:
    return signed_by_issuer(servers, aud="https://other-api.photos.test")


def assert_invalid_token(response: httpx.Response, description: str) -> None:
    """RFC 6750 3.1: invalid_token is 401 with the error in WWW-Authenticate."""
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": description,
    }
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(REALM_ONLY + ", ")
    assert 'error="invalid_token"' in challenge


# -- the photos API with good tokens ------------------------------------------


def test_user_endpoint_with_basic_scope_returns_profile_without_email(servers):
    response = servers.call_api(access_token_for(servers, scope="basic"))
    assert response.status_code == 200
    assert response.json() == {
        "id": "u-1001",
        "name": "Alice Liddell",
        "city": "Oxford",
    }


def test_user_endpoint_with_email_scope_adds_email(servers):
    response = servers.call_api(access_token_for(servers, scope="basic email"))
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.org"


def test_photos_endpoint_lists_only_the_owners_photos(servers):
    response = servers.call_api(access_token_for(servers), "/api/photos")
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == "u-1001"
    assert [photo["id"] for photo in body["photos"]] == ["p-1", "p-2"]

    bob = access_token_for(
        servers, username="bob", password="builder", browser=servers.new_browser()
    )
    photos = servers.call_api(bob, "/api/photos").json()["photos"]
    assert [photo["id"] for photo in photos] == ["p-3"]


def test_accepted_token_is_recorded_as_an_event(servers):
    servers.call_api(access_token_for(servers), "/api/photos")
    (accepted,) = servers.deployment.events.named("access_token.accepted")
    assert accepted.server == "resource server"
    assert accepted.client_id == "photoprint"
    assert accepted.user == "u-1001"
    assert accepted.detail == "/api/photos"


# -- RFC 6750 3: how the request is refused -----------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic cGhvdG9wcmludDpwaG90b3ByaW50LXNlY3JldA=="],
    ids=["no-header", "another-scheme"],
)
def test_no_credentials_is_401_with_bare_challenge(servers, authorization):
    """RFC 6750 3.1: no authentication information, or an authentication
    method the API does not support, gets a challenge and no error code."""
    headers = {"Authorization": authorization} if authorization else {}
    response = servers.api.get("/api/user", headers=headers)
    assert response.status_code == 401
    assert response.content == b""
    # RFC 6750 3.1: no authentication information -> no error code at all.
    assert response.headers["www-authenticate"] == f"{REALM_ONLY}, {METADATA_HINT}"
    assert "error" not in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer "],
    ids=["bearer-no-token", "bearer-blank-token"],
)
def test_malformed_authorization_header_is_invalid_request(servers, authorization):
    response = servers.api.get("/api/user", headers={"Authorization": authorization})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": HEADER_ONLY,
    }
    assert response.headers["www-authenticate"] == (
        f'{REALM_ONLY}, error="invalid_request", error_description="{HEADER_ONLY}"'
    )


def test_access_token_in_query_is_invalid_request(servers):
    token = access_token_for(servers)
    response = servers.api.get("/api/user", params={"access_token": token})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": IN_QUERY,
    }
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_access_token_in_query_is_refused_even_with_a_header(servers):
    token = access_token_for(servers)
    response = servers.api.get(
        "/api/user",
        params={"access_token": token},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_missing_scope_is_403_insufficient_scope_naming_the_scope(servers):
    token = access_token_for(servers, scope="basic")
    response = servers.call_api(token, "/api/photos")
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "This resource needs the scope photos.read.",
    }
    assert response.headers["www-authenticate"] == (
        f'{REALM_ONLY}, error="insufficient_scope", scope="photos.read"'
    )
    (event,) = servers.deployment.events.named("access_token.insufficient_scope")
    assert event.detail == "photos.read"


# -- forged and misused JWTs (RFC 8725, RFC 9068 4) ----------------------------


def test_tampered_jwt_payload_fails_signature_check(servers):
    # Alice's token edited to say it is Bob's: the signature no longer matches.
    forged = tamper(access_token_for(servers), sub="u-1002")
    response = servers.call_api(forged)
    assert_invalid_token(
        response, "InvalidSignatureError: Signature verification failed"
    )


def test_token_signed_by_another_key_with_the_issuers_kid_is_rejected(servers):
    attacker_key = generate_signing_key()
    kid = servers.deployment.as_settings.signing_key.kid
    forged = jwt.encode(
        good_claims(servers),
        attacker_key.private_key,
        algorithm="RS256",
        headers={"kid": kid, "typ": "at+jwt"},
    )
    assert_invalid_token(
        servers.call_api(forged),
        "InvalidSignatureError: Signature verification failed",
    )


def test_token_with_unknown_kid_is_rejected_after_refetching_jwks(servers):
    attacker_key = generate_signing_key()
    forged = jwt.encode(
        good_claims(servers),
        attacker_key.private_key,
        algorithm="RS256",
        headers={"kid": "attacker-key", "typ": "at+jwt"},
    )
    assert_invalid_token(
        servers.call_api(forged), "No key with kid 'attacker-key' in the issuer's JWKS"
    )


def test_expired_token_is_rejected_by_the_world_clock(make):
    servers = make(clock=Clock(frozen_at=FROZEN_AT))
    token = access_token_for(servers)
    exp = claims_of(token)["exp"]
    assert exp == FROZEN_AT + 3600
    assert servers.call_api(token).status_code == 200

    servers.deployment.clock.advance(3599)
    assert servers.call_api(token).status_code == 200

    # RFC 7519 4.1.4: exp is the time *on or after which* it must be refused.
    servers.deployment.clock.advance(1)
    response = servers.call_api(token)
    assert_invalid_token(
        response,
        f"ExpiredSignatureError: the token expired at exp {exp} (now {exp})",
    )
    assert "Expired" in response.json()["error_description"]


def test_token_for_another_audience_is_rejected(servers):
    assert_invalid_token(
        servers.call_api(other_audience_token(servers)),
        "InvalidAudienceError: Audience doesn't match",
    )


def test_token_from_another_issuer_is_rejected(servers):
    forged = signed_by_issuer(servers, iss="https://attacker.test")
    assert_invalid_token(servers.call_api(forged), "InvalidIssuerError: Invalid issuer")


def test_token_missing_a_required_claim_is_rejected(servers):
    claims = good_claims(servers)
    del claims["jti"]
    key = servers.deployment.as_settings.signing_key
    token = jwt.encode(
        claims,
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid, "typ": "at+jwt"},
    )
    assert_invalid_token(
        servers.call_api(token),
        # RFC 6749 5.2: no double quote in error_description, so PyJWT's
        # quotes come back as single quotes.
        "MissingRequiredClaimError: Token is missing the 'jti' claim",
    )


def test_alg_none_token_rejected(servers):
    response = servers.call_api(unsigned(good_claims(servers)))
    assert_invalid_token(
        response, "The token is unsigned (alg: none); accepted algorithms: RS256"
    )
    assert "unsigned" in response.headers["www-authenticate"]


def test_alg_none_in_other_case_is_rejected_too(servers):
    header = b64url_json({"alg": "None", "typ": "at+jwt"})
    forged = f"{header}.{b64url_json(good_claims(servers))}."
    assert_invalid_token(
        servers.call_api(forged),
        "The token is unsigned (alg: none); accepted algorithms: RS256",
    )


def test_id_token_presented_as_access_token_is_rejected(servers):
    tokens = servers.redeem(servers.code_for(scope="openid basic")).json()
    id_token = tokens["id_token"]
    # The same issuer, the same key: only typ (RFC 9068 4) and aud tell them apart.
    assert jwt.get_unverified_header(id_token)["typ"] == "JWT"
    assert claims_of(id_token)["aud"] == ["photoprint"]
    assert_invalid_token(
        servers.call_api(id_token), "typ is 'JWT', not 'at+jwt': not an access token"
    )
    assert servers.call_api(tokens["access_token"]).status_code == 200


def test_hs256_token_signed_with_the_public_key_is_rejected(servers):
    # Key confusion: HMAC "keyed" with the RSA public key everyone can fetch.
    key = servers.deployment.as_settings.signing_key
    header = b64url_json({"alg": "HS256", "typ": "at+jwt", "kid": key.kid})
    payload = b64url_json(good_claims(servers, sub="u-1002"))
    mac = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256)
    forged = f"{header}.{payload}.{b64url(mac.digest())}"
    assert_invalid_token(
        servers.call_api(forged),
        "InvalidAlgorithmError: The specified alg value is not allowed",
    )


def test_garbage_token_is_rejected_as_malformed(servers):
    response = servers.call_api("not-a-jwt")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.json()["error_description"].startswith("Malformed token: ")


def test_rejection_is_recorded_with_its_reason(servers):
    servers.call_api(unsigned(good_claims(servers)))
    (rejected,) = servers.deployment.events.named("access_token.rejected")
    assert rejected.server == "resource server"
    assert rejected.detail == (
        "The token is unsigned (alg: none); accepted algorithms: RS256"
    )
    assert not servers.deployment.events.named("access_token.accepted")


# -- how the RS learns the AS's keys and token state ---------------------------


def recording_client(log: list[str]):
    """Make the RS's HTTP client to the AS, logging every request it sends."""

    def make_client(app: Flask, base_url: str) -> httpx.Client:
        def remember(request: httpx.Request) -> None:
            log.append(f"{request.method} {request.url}")

        return httpx.Client(
            transport=httpx.WSGITransport(app=app),
            base_url=base_url,
            event_hooks={"request": [remember]},
        )

    return make_client


def test_rs_fetches_the_jwks_from_the_as_over_http_once(make):
    sent: list[str] = []
    servers = make(authorization_server_client=recording_client(sent))
    token = access_token_for(servers)
    assert servers.deployment.rs_settings.jwks_cache == {}

    assert servers.call_api(token).status_code == 200
    assert servers.call_api(token, "/api/photos").status_code == 200

    assert sent == [f"GET {ISSUER}/jwks.json"]
    published = servers.deployment.as_settings.signing_key.public_jwks()
    assert servers.deployment.rs_settings.jwks_cache["jwks"] == published


def test_opaque_token_is_validated_by_introspection(make):
    sent: list[str] = []
    servers = make(
        token_format="opaque", authorization_server_client=recording_client(sent)
    )
    token = access_token_for(servers)
    assert "." not in token
    response = servers.call_api(token)
    assert response.status_code == 200
    assert response.json()["id"] == "u-1001"
    assert sent == [f"POST {ISSUER}/introspect"]
    assert servers.deployment.rs_settings.jwks_cache == {}


def revoke(servers: Servers, token: str) -> None:
    response = servers.auth.post(
        "/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        auth=WEB_CLIENT,
    )
    assert response.status_code == 200, response.text


def test_revoked_opaque_token_is_rejected_via_introspection(make):
    servers = make(token_format="opaque")
    token = access_token_for(servers)
    assert servers.call_api(token).status_code == 200
    revoke(servers, token)
    assert_invalid_token(servers.call_api(token), NOT_ACTIVE)


def test_expired_opaque_token_is_rejected_via_introspection(make):
    servers = make(token_format="opaque", clock=Clock(frozen_at=FROZEN_AT))
    token = access_token_for(servers)
    servers.deployment.clock.advance(3600)
    assert_invalid_token(servers.call_api(token), NOT_ACTIVE)


def test_revoked_jwt_still_works_with_local_validation(servers):
    # The lesson: a self-contained JWT cannot tell the RS it was revoked;
    # only its exp (or asking the AS) ends it.
    token = access_token_for(servers)
    revoke(servers, token)
    record = servers.deployment.store.token_by_access_token(token)
    assert record is not None and record.access_token_revoked
    assert servers.call_api(token).status_code == 200


def test_revoked_jwt_is_rejected_when_the_rs_introspects(make):
    servers = make(validation="introspection")
    token = access_token_for(servers)
    assert "." in token
    assert servers.call_api(token).status_code == 200
    revoke(servers, token)
    assert_invalid_token(servers.call_api(token), NOT_ACTIVE)


@pytest.mark.parametrize(
    "options",
    [{"token_format": "opaque"}, {"validation": "introspection"}],
    ids=["opaque", "jwt-introspected"],
)
def test_refresh_token_is_not_accepted_as_access_token(make, options):
    # RFC 6749 1.5 / 10.4: refresh tokens are only ever sent to the AS.
    servers = make(**options)
    tokens = servers.redeem(servers.code_for()).json()
    response = servers.call_api(tokens["refresh_token"], "/api/photos")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_full_flow_emits_no_deprecation_warnings(make):
    # Authlib's own deprecation warnings set an "always" filter at import, so
    # they could slip past -W error; catch them explicitly.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for options in ({}, {"token_format": "opaque"}):
            servers = make(**options)
            tokens = servers.redeem(servers.code_for(scope="openid basic")).json()
            assert servers.call_api(tokens["access_token"]).status_code == 200
            revoke(servers, tokens["access_token"])
    assert [str(warning.message) for warning in caught] == []
