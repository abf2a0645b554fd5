"""Revocation, introspection, discovery, JWKS and OpenID Connect."""

from __future__ import annotations

import jwt

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
    assert response.json()["error"] == "invalid_request"


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
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert body["jwks_uri"] == "https://auth.photos.test/jwks.json"


def test_jwks_publishes_only_the_public_key(servers):
    body = servers.auth.get("/jwks.json").json()
    [key] = body["keys"]
    assert key["kid"] == servers.deployment.as_settings.signing_key.kid
    assert key["kty"] == "RSA" and key["alg"] == "RS256"
    assert "d" not in key and "p" not in key


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


def test_userinfo_without_openid_scope_is_insufficient_scope(servers):
    issued = tokens(servers, scope="basic")
    response = servers.auth.get(
        "/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


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
