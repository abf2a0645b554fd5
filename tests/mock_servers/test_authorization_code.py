"""The authorization code grant (RFC 6749 4.1): the happy path and each error."""

from __future__ import annotations

from types import SimpleNamespace

import jwt

from tests.mock_servers.servers import (
    PKCE,
    VERIFIER,
    WEB_CLIENT,
    WEB_REDIRECT,
    location_params,
)


def test_code_flow_issues_rfc9068_jwt_that_the_api_accepts(servers):
    response = servers.authorize(scope="basic email photos.read")
    assert response.status_code == 302
    params = location_params(response)
    assert response.headers["location"].startswith(WEB_REDIRECT + "?")
    assert params["state"] == "xyz-state"
    # RFC 9207: the AS names itself in the authorization response.
    assert params["iss"] == "https://auth.photos.test"

    token = servers.redeem(params["code"])
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "basic email photos.read"
    assert "refresh_token" in body

    header = jwt.get_unverified_header(body["access_token"])
    key = servers.deployment.as_settings.signing_key
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
    claims = jwt.decode(
        body["access_token"],
        key.private_key.public_key(),
        algorithms=["RS256"],
        audience="https://api.photos.test",
        issuer="https://auth.photos.test",
    )
    assert claims["sub"] == "u-1001"
    assert claims["client_id"] == "photoprint"
    assert claims["exp"] - claims["iat"] == 3600
    assert {"jti", "scope"} <= claims.keys()

    user = servers.call_api(body["access_token"])
    assert user.status_code == 200
    assert user.json() == {
        "id": "u-1001",
        "name": "Alice Liddell",
        "city": "Oxford",
        "email": "alice@example.org",
    }
    names = [event.name for event in servers.deployment.events]
    assert names[:4] == [
        "user.authenticated",
        "consent.granted",
        "authorization_code.issued",
        "access_token.issued",
    ]


def test_login_page_then_consent_page_name_client_and_scopes(servers):
    page = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "photoprint",
            "redirect_uri": WEB_REDIRECT,
            "scope": "basic photos.read",
            "state": "s",
            **PKCE,
        },
    )
    assert page.status_code == 200
    assert 'id="login"' in page.text and "PhotoPrint" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_consent_is_remembered_for_same_user_client_and_scopes(servers):
    servers.code_for(scope="basic")
    again = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "photoprint",
            "redirect_uri": WEB_REDIRECT,
            "scope": "basic",
            "state": "again",
            **PKCE,
        },
    )
    assert again.status_code == 302
    assert "code" in location_params(again)
    wider = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "photoprint",
            "redirect_uri": WEB_REDIRECT,
            "scope": "basic email",
            **PKCE,
        },
    )
    assert wider.status_code == 200 and 'id="consent"' in wider.text


def test_denied_consent_redirects_access_denied_with_state(servers):
    response = servers.authorize(decision="deny")
    assert response.status_code == 302
    params = location_params(response)
    assert params["error"] == "access_denied"
    assert params["state"] == "xyz-state"
    assert params["iss"] == "https://auth.photos.test"
    assert "code" not in params


def test_wrong_password_shows_login_again_and_records_event(servers):
    page = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "photoprint",
            "scope": "basic",
            **PKCE,
        },
    )
    again = servers.sign_in(page, password="wrong")
    assert again.status_code == 200
    assert "Wrong username or password" in again.text
    failed = servers.deployment.events.named("user.authentication.failed")
    assert [event.user for event in failed] == ["alice"]


def test_login_without_csrf_token_is_refused(servers):
    response = servers.auth.post(
        "/login", data={"username": "alice", "password": "wonderland"}
    )
    assert response.status_code == 400
    assert "CSRF" in response.text


def test_unknown_client_is_an_error_page_never_a_redirect(servers):
    response = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "no-such-client",
            "redirect_uri": "https://attacker.test/steal",
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_client" in response.text
    assert "attacker" not in response.text.split("<body>")[0]


def test_redirect_uri_mismatch_is_an_error_page_never_a_redirect(servers):
    response = servers.auth.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "photoprint",
            "redirect_uri": "https://photoprint.test/callback/../evil",
            "state": "s",
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_request" in response.text
    assert "is not supported by client" in response.text


def test_redirect_uri_prefix_is_not_accepted_by_default(servers):
    response = servers.authorize(redirect_uri=WEB_REDIRECT + ".attacker.test/steal")
    assert response.status_code == 400
    assert "location" not in response.headers


def test_scope_not_allowed_redirects_invalid_scope(servers):
    response = servers.authorize(
        client_id="legacy-gallery",
        redirect_uri="https://photoprint.test/legacy/callback",
        response_type="token",
        scope="openid",
    )
    assert response.status_code == 302
    assert location_params(response)["error"] == "invalid_scope"


def test_unknown_scope_redirects_invalid_scope_with_state(servers):
    response = servers.authorize(scope="basic admin")
    assert response.status_code == 302
    params = location_params(response)
    assert params["error"] == "invalid_scope"
    assert params["state"] == "xyz-state"


def test_response_type_not_allowed_for_client_is_unauthorized_client(servers):
    response = servers.authorize(response_type="token")
    assert response.status_code == 302
    params = location_params(response)
    assert params["error"] == "unauthorized_client"


def test_bad_client_secret_is_401_with_www_authenticate(servers):
    code = servers.code_for()
    response = servers.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": WEB_REDIRECT,
        },
        auth=("photoprint", "wrong-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # RFC 6749 5.2: a challenge for the scheme the client used; RFC 7617 2:
    # Basic's realm is REQUIRED.
    assert response.headers["www-authenticate"].startswith(
        'Basic realm="https://auth.photos.test", error="invalid_client"'
    )
    failed = servers.deployment.events.named("client.authentication.failed")
    assert failed and failed[0].client_id == "photoprint"


def test_unknown_client_at_token_endpoint_is_invalid_client(servers):
    response = servers.token(
        {"grant_type": "authorization_code", "code": "x", "redirect_uri": WEB_REDIRECT},
        auth=("nobody", "secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_secret_post_authenticates(servers):
    code = servers.code_for()
    response = servers.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": WEB_REDIRECT,
            "client_id": WEB_CLIENT[0],
            "client_secret": WEB_CLIENT[1],
            "code_verifier": VERIFIER,
        }
    )
    assert response.status_code == 200, response.text


def test_redirect_uri_must_match_the_authorization_request(servers):
    code = servers.code_for()
    response = servers.redeem(code, redirect_uri="https://photoprint.test/other")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid 'redirect_uri' in request.",
    }


def test_code_reuse_is_rejected_and_revokes_issued_tokens(servers):
    code = servers.code_for()
    first = servers.redeem(code)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    refresh_token = first.json()["refresh_token"]

    replay = servers.redeem(code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "already used" in replay.json()["error_description"]
    # The tokens from the first redemption are revoked at the AS...
    introspection = servers.token  # noqa: F841 (see introspection tests)
    refresh = servers.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=WEB_CLIENT
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"
    record = servers.deployment.store.token_by_access_token(access_token)
    assert record is not None and record.access_token_revoked
    # The event counts tokens, not grant records: one record held two.
    [reused] = servers.deployment.events.named("authorization_code.reused")
    assert reused.detail == (
        "1 access token and 1 refresh token issued from this code revoked"
    )


def test_revoked_tokens_are_counted_by_kind():
    from mock_servers.models import count_tokens

    with_refresh = SimpleNamespace(refresh_token="r")
    without = SimpleNamespace(refresh_token=None)
    assert count_tokens([with_refresh]) == "1 access token and 1 refresh token"
    assert count_tokens([without]) == "1 access token and no refresh token"
    assert count_tokens([with_refresh, with_refresh, without]) == (
        "3 access tokens and 2 refresh tokens"
    )


def test_expired_code_is_invalid_grant(servers):
    code = servers.code_for()
    servers.deployment.clock.advance(61)
    response = servers.redeem(code)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The code has expired.",
    }


def test_code_issued_to_another_client_is_invalid_grant(servers):
    code = servers.code_for()
    response = servers.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": WEB_REDIRECT,
            "client_id": "photo-gallery-spa",
        }
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_code_is_invalid_request(servers):
    response = servers.token(
        {"grant_type": "authorization_code", "redirect_uri": WEB_REDIRECT},
        auth=WEB_CLIENT,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_grant_type_is_unsupported_grant_type(servers):
    response = servers.token({"grant_type": "magic"}, auth=WEB_CLIENT)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_grant_not_allowed_for_client_is_unauthorized_client(servers):
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "basic"}, auth=WEB_CLIENT
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_bad_client_secret_names_the_accepted_methods(servers):
    response = servers.token(
        {"grant_type": "authorization_code", "code": "x"}, auth=("photoprint", "nope")
    )
    assert response.json()["error_description"] == (
        "Client authentication failed; this endpoint accepts client_secret_basic, "
        "client_secret_post, private_key_jwt, none."
    )


def test_missing_grant_type_is_invalid_request(servers):
    response = servers.token({"code": "x"}, auth=WEB_CLIENT)
    # RFC 6749 5.2: a missing required parameter is invalid_request.
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing 'grant_type' in request.",
    }


def test_missing_response_type_redirects_invalid_request(servers):
    response = servers.auth.get(
        "/authorize",
        params={
            "client_id": "photoprint",
            "redirect_uri": WEB_REDIRECT,
            "scope": "basic",
            "state": "s-1",
        },
    )
    # RFC 6749 4.1.2.1: the redirect URI is verified, so the error goes there.
    assert response.status_code == 302
    assert response.headers["location"].startswith(WEB_REDIRECT + "?")
    assert location_params(response) == {
        "error": "invalid_request",
        "error_description": "Missing 'response_type' in request.",
        "state": "s-1",
        "iss": "https://auth.photos.test",
    }


def test_missing_response_type_for_unknown_client_is_an_error_page(servers):
    response = servers.auth.get("/authorize", params={"client_id": "nobody"})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_request" in response.text


def test_unknown_response_type_is_still_unsupported_response_type(servers):
    response = servers.authorize(response_type="magic")
    assert response.status_code == 302
    assert location_params(response)["error"] == "unsupported_response_type"


def test_authorization_request_without_scope_gets_the_default_scope(servers):
    response = servers.authorize(scope="")
    code = location_params(response)["code"]
    token = servers.redeem(code)
    # RFC 6749 3.3: the registered default; 5.1: the response names it.
    assert token.status_code == 200
    assert token.json()["scope"] == "basic"
