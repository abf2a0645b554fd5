"""Client credentials (with private_key_jwt), password and implicit grants."""

from __future__ import annotations

import jwt
import pytest

from tests.mock_servers.servers import (
    ASSERTION_TYPE,
    client_assertion,
    location_params,
)

SERVICE = ("print-shop-service", "print-shop-secret")
MOBILE = ("photoprint-mobile", "photoprint-mobile-secret")


def test_client_credentials_issues_token_without_refresh_token(servers):
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"}, auth=SERVICE
    )
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    # RFC 9068 2.2: no resource owner, so sub is the client.
    assert claims["sub"] == "print-shop-service"
    assert servers.call_api(body["access_token"], "/api/photos").status_code == 200


def test_client_credentials_scope_outside_registration_is_invalid_scope(servers):
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "email"}, auth=SERVICE
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_public_client_cannot_use_client_credentials(servers):
    response = servers.token(
        {"grant_type": "client_credentials", "client_id": "photo-gallery-spa"}
    )
    assert response.json()["error"] == "invalid_client"


def test_private_key_jwt_authenticates_the_service(servers):
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(servers),
        }
    )
    assert response.status_code == 200, response.text


def test_replayed_client_assertion_is_invalid_client(servers):
    assertion = client_assertion(servers)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    assert servers.token(data).status_code == 200
    replay = servers.token(data)
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_client",
        "error_description": "JWT ID is used before.",
    }


@pytest.mark.parametrize(
    "overrides",
    [{"aud": "https://api.photos.test"}, {"iss": "photoprint"}],
    ids=["wrong-audience", "iss-not-sub"],
)
def test_bad_client_assertion_is_invalid_client(servers, overrides):
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(servers, **overrides),
        }
    )
    assert response.json()["error"] == "invalid_client"


def test_client_assertion_signed_by_another_key_is_invalid_client(servers):
    from mock_servers.keys import generate_signing_key

    other = generate_signing_key()
    key = servers.deployment.client_keys["print-shop-service"]
    now = servers.deployment.clock.now()
    forged = jwt.encode(
        {
            "iss": "print-shop-service",
            "sub": "print-shop-service",
            "aud": "https://auth.photos.test",
            "exp": now + 60,
            "jti": "forged",
        },
        other.private_key,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": forged,
        }
    )
    assert response.json()["error"] == "invalid_client"


def test_password_grant_for_the_first_party_client(servers):
    response = servers.token(
        {
            "grant_type": "password",
            "username": "bob",
            "password": "builder",
            "scope": "basic offline_access",
        },
        auth=MOBILE,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" in body
    user = servers.call_api(body["access_token"])
    assert user.json()["name"] == "Bob Builder"


def test_password_grant_wrong_password_is_invalid_grant(servers):
    response = servers.token(
        {"grant_type": "password", "username": "bob", "password": "nope"}, auth=MOBILE
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid username or password.",
    }
    [event] = servers.deployment.events.named("user.authentication.failed")
    assert event.user == "bob"


def test_password_grant_refused_for_other_clients(servers):
    response = servers.token(
        {"grant_type": "password", "username": "bob", "password": "builder"},
        auth=("photoprint", "photoprint-secret"),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_implicit_grant_puts_token_in_fragment_and_never_a_refresh_token(servers):
    response = servers.authorize(
        client_id="legacy-gallery",
        redirect_uri="https://photoprint.test/legacy/callback",
        response_type="token",
        scope="basic",
    )
    assert response.status_code == 302
    location = response.headers["location"]
    query, _, fragment = location.partition("#")
    assert "access_token=" in fragment and "access_token" not in query
    params = location_params(response)
    assert params["token_type"] == "Bearer"
    assert params["state"] == "xyz-state"
    assert params["iss"] == "https://auth.photos.test"
    assert "refresh_token" not in params
    assert servers.call_api(params["access_token"]).status_code == 200


def test_implicit_grant_refused_for_code_clients(servers):
    response = servers.authorize(response_type="token")
    assert response.status_code == 302
    assert location_params(response)["error"] == "unauthorized_client"


def test_private_key_jwt_is_judged_by_the_worlds_clock(make):
    from mock_servers.clock import Clock

    servers = make(clock=Clock(frozen_at=1_798_761_600))  # 2027-01-01, not today
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(servers),
    }
    assert servers.token(data).status_code == 200
    servers.deployment.clock.advance(3600)
    stale = {**data, "client_assertion": client_assertion(servers, exp=1_798_761_660)}
    response = servers.token(stale)
    assert response.json()["error"] == "invalid_client"


def test_client_credentials_without_scope_gets_the_registered_default(servers):
    response = servers.token({"grant_type": "client_credentials"}, auth=SERVICE)
    # RFC 6749 3.3: a pre-defined default scope; 5.1: the response says so.
    assert response.status_code == 200
    assert response.json()["scope"] == "photos.read"
    claims = jwt.decode(
        response.json()["access_token"], options={"verify_signature": False}
    )
    assert claims["scope"] == "photos.read"


def test_client_without_default_scope_and_no_scope_is_invalid_scope(servers):
    # The resource server's own registration: it introspects, it asks for nothing.
    store = servers.deployment.store
    store.client("photos-api").grant_types = ("client_credentials",)
    response = servers.token(
        {"grant_type": "client_credentials"}, auth=("photos-api", "photos-api-secret")
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "The client photos-api has no default scope: "
        "send the scope parameter.",
    }
