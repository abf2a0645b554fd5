"""Resource indicators (RFC 8707) and protected resource metadata (RFC 9728),
through real HTTP requests to both servers."""

from __future__ import annotations

import jwt
import pytest

from mock_servers.deployment import API_URL, ISSUER
from mock_servers.protected_resource import metadata_url
from mock_servers.resource_indicators import ProtectedResource
from tests.mock_servers.servers import (
    SPA_CLIENT,
    SPA_REDIRECT,
    VERIFIER,
    WEB_CLIENT,
    location_params,
    spa_redeem,
)

PRINT_LAB = "https://printlab.photos.test"
PRM = f"{API_URL}/.well-known/oauth-protected-resource"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body.get("error_description", "")


def add_print_lab(servers) -> None:
    """A second API the AS knows, open to the print shop service only."""
    servers.deployment.as_settings.extra_resources[PRINT_LAB] = ProtectedResource(
        identifier=PRINT_LAB,
        name="Print lab API",
        scopes=("photos.read",),
        clients=frozenset({"print-shop-service"}),
    )


# -- RFC 9728: the photos API describes itself ---------------------------------


def test_protected_resource_metadata_names_the_api_and_its_authorization_server(
    servers,
):
    response = servers.api.get("/.well-known/oauth-protected-resource")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "resource": API_URL,
        "authorization_servers": [ISSUER],
        "scopes_supported": ["basic", "email", "photos.read"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Photos API",
        "resource_documentation": f"{API_URL}/",
    }
    # RFC 9728 3.3: resource is the identifier the metadata URL was built from.
    assert metadata_url(response.json()["resource"]) == PRM


def test_metadata_is_readable_from_any_origin(servers):
    response = servers.api.get(
        "/.well-known/oauth-protected-resource",
        headers={"Origin": "https://somewhere.example"},
    )
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("resource", "url"),
    [
        (
            "https://resource.example.com",
            "https://resource.example.com/.well-known/oauth-protected-resource",
        ),
        (
            "https://resource.example.com/",
            "https://resource.example.com/.well-known/oauth-protected-resource",
        ),
        (
            "https://resource.example.com/resource1",
            "https://resource.example.com/.well-known/oauth-protected-resource/resource1",
        ),
    ],
)
def test_metadata_url_follows_rfc_9728_3_1(resource, url):
    assert metadata_url(resource) == url


def test_401_challenges_carry_resource_metadata(servers):
    bare = servers.api.get("/api/photos")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == (
        f'Bearer realm="photos-api", resource_metadata="{PRM}"'
    )
    bad = servers.call_api("not-a-jwt", "/api/photos")
    assert bad.status_code == 401
    challenge = bad.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="photos-api", error="invalid_token"')
    assert challenge.endswith(f'resource_metadata="{PRM}"')


def test_authorization_server_lists_its_protected_resources(servers):
    metadata = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert metadata["protected_resources"] == [API_URL]


# -- RFC 8707: resource at the token endpoint ----------------------------------


def test_token_for_the_requested_resource_has_it_as_aud(servers):
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "resource": API_URL,
        },
        auth=("print-shop-service", "print-shop-secret"),
    )
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["aud"] == API_URL


def test_resource_with_a_trailing_slash_names_the_same_api(servers):
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "resource": f"{API_URL}/",
        },
        auth=("print-shop-service", "print-shop-secret"),
    )
    assert claims_of(response.json()["access_token"])["aud"] == API_URL


@pytest.mark.parametrize(
    ("resource", "description"),
    [
        (
            "https://unknown.example/api",
            "The resource https://unknown.example/api is unknown to this "
            "authorization server.",
        ),
        ("/api/photos", "The resource '/api/photos' is not an absolute URI."),
        (
            f"{API_URL}/#frag",
            f"The resource '{API_URL}/#frag' has a fragment.",
        ),
    ],
    ids=["unknown", "relative", "fragment"],
)
def test_bad_resource_at_the_token_endpoint_is_invalid_target(
    servers, resource, description
):
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "resource": resource,
        },
        auth=("print-shop-service", "print-shop-secret"),
    )
    assert error_of(response) == (400, "invalid_target", description)


def test_resource_the_client_may_not_ask_for_is_invalid_target(servers):
    add_print_lab(servers)
    allowed = servers.token(
        {
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "resource": PRINT_LAB,
        },
        auth=("print-shop-service", "print-shop-secret"),
    )
    assert claims_of(allowed.json()["access_token"])["aud"] == PRINT_LAB
    code = servers.code_for(extra={"resource": API_URL})
    refused = servers.redeem(code, resource=PRINT_LAB)
    assert error_of(refused) == (
        400,
        "invalid_target",
        f"The client photoprint may not ask for tokens for {PRINT_LAB}.",
    )


def test_two_resources_give_two_audiences_and_introspection_says_so(servers):
    add_print_lab(servers)
    response = servers.deployment.authorization_server.test_client().post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "resource": [API_URL, PRINT_LAB],
        },
        headers={
            "Authorization": "Basic cHJpbnQtc2hvcC1zZXJ2aWNlOnByaW50LXNob3Atc2VjcmV0"
        },
        base_url=ISSUER,
    )
    token = response.get_json()["access_token"]
    assert claims_of(token)["aud"] == [API_URL, PRINT_LAB]
    introspected = servers.auth.post(
        "/introspect", data={"token": token}, auth=("photos-api", "photos-api-secret")
    ).json()
    assert introspected["aud"] == [API_URL, PRINT_LAB]
    # The photos API is one of the audiences: it accepts the token.
    assert servers.call_api(token, "/api/photos").status_code == 200


# -- RFC 8707: resource at the authorization endpoint, and the grant -----------


def test_unknown_resource_at_authorize_is_redirected_as_invalid_target(servers):
    response = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": WEB_CLIENT[0],
            "redirect_uri": "https://photoprint.test/callback",
            "scope": "basic",
            "state": "s-1",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "resource": "https://unknown.example/",
        },
    )
    assert response.status_code == 302
    assert location_params(response) == {
        "error": "invalid_target",
        "error_description": "The resource https://unknown.example/ is unknown to "
        "this authorization server.",
        "state": "s-1",
        "iss": ISSUER,
    }


def test_code_grant_token_is_for_the_resource_of_the_authorization_request(servers):
    # This time the print lab is open to every client.
    servers.deployment.as_settings.extra_resources[PRINT_LAB] = ProtectedResource(
        identifier=PRINT_LAB, name="Print lab API", scopes=("photos.read",)
    )
    code = servers.code_for(
        client_id=SPA_CLIENT,
        redirect_uri=SPA_REDIRECT,
        extra={"resource": PRINT_LAB},
    )
    # RFC 8707 2.2: a token request may not widen the grant.
    widened = servers.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": SPA_REDIRECT,
            "client_id": SPA_CLIENT,
            "code_verifier": VERIFIER,
            "resource": API_URL,
        }
    )
    assert error_of(widened) == (
        400,
        "invalid_target",
        f"The resource {API_URL} was not part of this grant: the resource owner "
        f"approved {PRINT_LAB}.",
    )
    # The refused request did not use the code up.
    tokens = spa_redeem(servers, code, VERIFIER).json()
    assert claims_of(tokens["access_token"])["aud"] == PRINT_LAB
    # The photos API refuses a token for the print lab (its aud check).
    assert servers.call_api(tokens["access_token"], "/api/photos").status_code == 401
    # A refresh keeps the grant's resource, and may not widen it either.
    refreshed = servers.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": SPA_CLIENT,
        }
    )
    assert claims_of(refreshed.json()["access_token"])["aud"] == PRINT_LAB
    widened_refresh = servers.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": refreshed.json()["refresh_token"],
            "client_id": SPA_CLIENT,
            "resource": API_URL,
        }
    )
    assert error_of(widened_refresh)[:2] == (400, "invalid_target")


def test_without_a_resource_the_token_is_for_the_photos_api(servers):
    tokens = servers.redeem(servers.code_for()).json()
    assert claims_of(tokens["access_token"])["aud"] == API_URL


def test_invalid_target_description_stays_printable_ascii(servers):
    """RFC 6749 5.2: error_description is printable ASCII, no '"' or '\\'
    (quoted as the other errors quote what a client sent: ' and /)."""
    response = servers.token(
        {
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "resource": 'https://évil.example/"\\x',
        },
        auth=("print-shop-service", "print-shop-secret"),
    )
    assert error_of(response) == (
        400,
        "invalid_target",
        "The resource https://?vil.example/'/x is unknown to this authorization "
        "server.",
    )
