"""Revocation, introspection, discovery, JWKS and OpenID Connect."""

from __future__ import annotations

import jwt
import pytest

from mock_servers.deployment import build_deployment
from tests.mock_servers.servers import WEB_CLIENT

API = ("photos-api", "photos-api-secret")


def tokens(servers, scope: str = "basic photos.read") -> dict:
    response = servers.redeem(servers.code_for(scope=scope))
    assert response.status_code == 200
    return response.json()


def post(servers, path: str, data: dict, auth=None):
    return servers.new_browser().post(path, data=data, auth=auth)


def test_introspection_of_an_active_access_token(servers):
    issued = tokens(servers)
    response = post(servers, "/introspect", {"token": issued["access_token"]}, API)
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == "photoprint"
    assert body["sub"] == "u-1001"
    assert body["scope"] == "basic photos.read"
    assert body["aud"] == "https://api.photos.test"
    assert body["username"] == "alice"


def test_introspection_requires_client_authentication(servers):
    issued = tokens(servers)
    response = post(servers, "/introspect", {"token": issued["access_token"]})
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_introspection_of_unknown_token_is_inactive(servers):
    response = post(servers, "/introspect", {"token": "nonsense"}, API)
    assert response.json() == {"active": False}


def test_client_cannot_introspect_another_clients_token(servers):
    issued = tokens(servers)
    response = post(
        servers,
        "/introspect",
        {"token": issued["access_token"]},
        ("photoprint-mobile", "photoprint-mobile-secret"),
    )
    assert response.json() == {"active": False}


def test_revoking_an_access_token_makes_it_inactive(servers):
    issued = tokens(servers)
    revoked = post(
        servers,
        "/revoke",
        {"token": issued["access_token"], "token_type_hint": "access_token"},
        WEB_CLIENT,
    )
    assert revoked.status_code == 200
    response = post(servers, "/introspect", {"token": issued["access_token"]}, API)
    assert response.json() == {"active": False}
    [event] = servers.deployment.events.named("token.revoked")
    assert event.detail == "access token"


def test_revoking_a_refresh_token_revokes_its_grant(servers):
    issued = tokens(servers)
    post(servers, "/revoke", {"token": issued["refresh_token"]}, WEB_CLIENT)
    access = post(servers, "/introspect", {"token": issued["access_token"]}, API)
    assert access.json() == {"active": False}
    refresh = servers.token(
        {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=WEB_CLIENT,
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_revoking_an_unknown_token_answers_200(servers):
    # RFC 7009 2.2: invalid tokens do not cause an error response.
    response = post(servers, "/revoke", {"token": "nonsense"}, WEB_CLIENT)
    assert response.status_code == 200


def test_revocation_without_token_is_invalid_request(servers):
    response = post(servers, "/revoke", {}, WEB_CLIENT)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing 'token' in request.",
    }


def test_rfc8414_metadata_describes_this_server(servers):
    body = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert body["issuer"] == "https://auth.photos.test"
    assert body["token_endpoint"] == "https://auth.photos.test/token"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["authorization_response_iss_parameter_supported"] is True
    assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
    assert set(body["scopes_supported"]) >= {"basic", "email", "photos.read", "openid"}


def test_openid_configuration_adds_oidc_fields(servers):
    body = servers.auth.get("/.well-known/openid-configuration").json()
    assert body["userinfo_endpoint"] == "https://auth.photos.test/userinfo"
    # RS256, and ES256 for the FAPI 2.0 client (Security Profile 5.4.1).
    assert body["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert body["jwks_uri"] == "https://auth.photos.test/jwks.json"


def test_jwks_publishes_only_the_public_keys(servers):
    body = servers.auth.get("/jwks.json").json()
    rsa, ec = body["keys"]
    settings = servers.deployment.as_settings
    assert rsa["kid"] == settings.signing_key.kid
    assert rsa["kty"] == "RSA" and rsa["alg"] == "RS256"
    assert ec["kid"] == settings.ec_signing_key.kid != rsa["kid"]
    assert ec["kty"] == "EC" and ec["alg"] == "ES256" and ec["crv"] == "P-256"
    assert not {"d", "p", "q"} & (set(rsa) | set(ec))


def test_openid_scope_yields_id_token_with_nonce_and_kid(servers):
    code = servers.code_for(
        scope="openid profile email", extra={"nonce": "n-0S6_WzA2Mj"}
    )
    response = servers.redeem(code)
    body = response.json()
    id_token = body["id_token"]
    header = jwt.get_unverified_header(id_token)
    key = servers.deployment.as_settings.signing_key
    assert header["kid"] == key.kid
    claims = jwt.decode(
        id_token,
        key.private_key.public_key(),
        algorithms=["RS256"],
        audience="photoprint",
        issuer="https://auth.photos.test",
    )
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["sub"] == "u-1001"
    assert claims["name"] == "Alice Liddell"
    assert claims["email"] == "alice@example.org"
    assert "at_hash" in claims


def test_userinfo_returns_claims_for_the_access_token(servers):
    issued = tokens(servers, scope="openid email")
    response = servers.auth.get(
        "/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "sub": "u-1001",
        "email": "alice@example.org",
        "email_verified": True,
    }


def test_userinfo_without_openid_scope_is_403_insufficient_scope_with_challenge(
    servers,
):
    issued = tokens(servers, scope="basic")
    response = servers.auth.get(
        "/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    # RFC 6750 3.1: 403, and the challenge names the scope needed.
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "The access token lacks the scope openid.",
    }
    assert response.headers["www-authenticate"] == (
        'Bearer realm="https://auth.photos.test", error="insufficient_scope", '
        'error_description="The access token lacks the scope openid.", '
        'scope="openid"'
    )


def test_userinfo_without_credentials_is_401_challenge_without_error_code(servers):
    response = servers.auth.get("/userinfo")
    # RFC 6750 3.1: no authentication information -> no error code.
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="https://auth.photos.test"'
    )
    assert response.content == b""
    assert "error" not in response.headers["www-authenticate"]


def bad_token(servers, kind: str) -> str:
    """An access token for openid that is unknown, revoked or expired."""
    access_token = tokens(servers, scope="openid")["access_token"]
    if kind == "unknown":
        return "not-a-token"
    if kind == "revoked":
        post(servers, "/revoke", {"token": access_token}, WEB_CLIENT)
    else:
        servers.deployment.clock.advance(3600)
    return access_token


@pytest.mark.parametrize(
    ("kind", "description"),
    [
        ("unknown", "The access token is not known to this server."),
        ("revoked", "The access token has been revoked."),
        ("expired", "The access token has expired."),
    ],
)
def test_userinfo_with_a_bad_token_is_401_invalid_token(servers, kind, description):
    token = bad_token(servers, kind)
    response = servers.auth.get(
        "/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": description,
    }
    assert response.headers["www-authenticate"] == (
        'Bearer realm="https://auth.photos.test", error="invalid_token", '
        f'error_description="{description}"'
    )


def test_userinfo_with_another_scheme_is_400_invalid_request(servers):
    response = servers.auth.get("/userinfo", headers={"Authorization": "Basic eDp5"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="https://auth.photos.test", error="invalid_request"'
    )


# -- token_type_hint is only a hint (RFC 7009 2.1, RFC 7662 2.1) ----------------


def test_unknown_token_type_hint_at_revocation_is_ignored(servers):
    issued = tokens(servers)
    response = post(
        servers,
        "/revoke",
        {"token": issued["access_token"], "token_type_hint": "id_token"},
        WEB_CLIENT,
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert "www-authenticate" not in response.headers
    after = post(servers, "/introspect", {"token": issued["access_token"]}, API)
    assert after.json() == {"active": False}


def test_unknown_token_type_hint_at_introspection_is_ignored(servers):
    issued = tokens(servers)
    response = post(
        servers,
        "/introspect",
        {"token": issued["refresh_token"], "token_type_hint": "banana"},
        API,
    )
    assert response.status_code == 200
    assert "www-authenticate" not in response.headers
    body = response.json()
    assert (body["active"], body["token_type"]) == (True, "refresh_token")


def test_wrong_token_type_hint_still_finds_the_token(servers):
    issued = tokens(servers)
    response = post(
        servers,
        "/introspect",
        {"token": issued["access_token"], "token_type_hint": "refresh_token"},
        API,
    )
    body = response.json()
    assert (body["active"], body["token_type"]) == (True, "Bearer")


def test_opaque_tokens_when_the_world_is_set_so(make):
    servers = make(token_format="opaque")
    issued = tokens(servers)
    assert issued["access_token"].count(".") == 0
    assert servers.call_api(issued["access_token"]).status_code == 200


def test_two_deployments_share_nothing():
    first, second = build_deployment(), build_deployment()
    assert first.as_settings.signing_key.kid != second.as_settings.signing_key.kid
    assert first.store is not second.store
    assert first.store.clients["photoprint"] is not second.store.clients["photoprint"]
    first.weaknesses.enable("as.allow_code_reuse")
    assert "as.allow_code_reuse" not in second.weaknesses
    first.clock.advance(100)
    assert second.clock.now() < first.clock.now()
