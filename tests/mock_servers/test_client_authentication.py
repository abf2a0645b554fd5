"""Client authentication (RFC 6749 2.3) at every endpoint that asks for it."""

from __future__ import annotations

import pytest

from tests.mock_servers.servers import (
    ASSERTION_TYPE,
    ISSUER,
    client_assertion,
)

SERVICE = ("print-shop-service", "print-shop-secret")
ENDPOINTS = {
    "/token": {"grant_type": "client_credentials", "scope": "photos.read"},
    "/revoke": {"token": "whatever"},
    "/introspect": {"token": "whatever"},
}


def post(servers, path: str, data: dict, auth=None):
    return servers.new_browser().post(path, data=data, auth=auth)


def service_token(servers) -> str:
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"}, auth=SERVICE
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def with_assertion(servers, data: dict, **claims: object) -> dict:
    return {
        **data,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(servers, **claims),
    }


# -- one method per request (RFC 6749 2.3) ---------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_basic_and_client_secret_in_body_is_invalid_request(servers, path):
    data = {**ENDPOINTS[path], "client_secret": SERVICE[1]}
    response = post(servers, path, data, auth=SERVICE)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The request uses more than one client authentication "
        "method (client_secret_basic, client_secret_post); RFC 6749 2.3 allows one "
        "per request.",
    }
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize("path", ENDPOINTS)
def test_basic_and_client_assertion_is_invalid_request(servers, path):
    response = post(
        servers, path, with_assertion(servers, ENDPOINTS[path]), auth=SERVICE
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The request uses more than one client authentication "
        "method (client_secret_basic, private_key_jwt); RFC 6749 2.3 allows one "
        "per request.",
    }


def test_client_secret_and_client_assertion_in_body_is_invalid_request(servers):
    data = with_assertion(
        servers,
        {**ENDPOINTS["/token"], "client_id": SERVICE[0], "client_secret": SERVICE[1]},
    )
    response = servers.token(data)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_failed_authentication_names_the_accepted_methods_at_introspection(servers):
    response = post(servers, "/introspect", {"token": "x"}, auth=(SERVICE[0], "no"))
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed; this endpoint accepts "
        "client_secret_basic, client_secret_post, private_key_jwt.",
    }
    assert response.headers["www-authenticate"].startswith("Basic ")


# -- private_key_jwt: the assertion's audience (RFC 7523 3, rfc7523bis) ----------


def test_private_key_jwt_client_revokes_its_own_token(servers):
    access_token = service_token(servers)
    response = post(
        servers, "/revoke", with_assertion(servers, {"token": access_token})
    )
    assert response.status_code == 200, response.text
    inactive = post(
        servers,
        "/introspect",
        {"token": access_token},
        ("photos-api", "photos-api-secret"),
    )
    assert inactive.json() == {"active": False}


def test_private_key_jwt_client_introspects_its_own_token(servers):
    access_token = service_token(servers)
    response = post(
        servers, "/introspect", with_assertion(servers, {"token": access_token})
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["active"], body["client_id"]) == (True, "print-shop-service")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_token_endpoint_url_as_audience_is_accepted_everywhere(servers, path):
    # RFC 7523 3 / OIDC Core 9: clients written before rfc7523bis send this.
    response = post(
        servers, path, with_assertion(servers, ENDPOINTS[path], aud=f"{ISSUER}/token")
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "audience",
    [
        f"{ISSUER}/revoke",
        "https://api.photos.test",
        [ISSUER, "https://attacker.test"],
    ],
    ids=["endpoint-url", "another-server", "issuer-and-another"],
)
def test_audience_other_than_this_server_is_invalid_client(servers, audience):
    response = post(
        servers, "/revoke", with_assertion(servers, {"token": "x"}, aud=audience)
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "The assertion's aud must be this server's issuer "
        "identifier, https://auth.photos.test (its token endpoint URL, "
        "https://auth.photos.test/token, is accepted too).",
    }


def test_issuer_as_the_only_array_value_is_accepted(servers):
    data = with_assertion(servers, ENDPOINTS["/token"], aud=[ISSUER])
    assert servers.token(data).status_code == 200
