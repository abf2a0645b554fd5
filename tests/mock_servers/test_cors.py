"""CORS on the servers (Fetch standard, CORS protocol): a single-page app's
requests leave from its own origin, https://photoprint.test."""

from __future__ import annotations

import pytest

from tests.mock_servers.servers import (
    SPA_CLIENT,
    VERIFIER,
    WEB_CLIENT,
    spa_code,
    spa_redeem,
)

SPA_ORIGIN = "https://photoprint.test"
ELSEWHERE = "https://elsewhere.example"
EXPOSED = "WWW-Authenticate, DPoP-Nonce"
REQUEST_HEADERS = "Authorization, DPoP, Content-Type"


def access_control(response) -> dict[str, str]:
    """The response's Access-Control-* headers, names in lower case."""
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def preflight(client, path: str, method: str, origin: str = SPA_ORIGIN, **headers):
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    return client.options(path, headers=sent)


def spa_tokens(servers) -> dict:
    response = spa_redeem(servers, spa_code(servers), VERIFIER)
    assert response.status_code == 200, response.text
    return response.json()


# -- public documents: any origin ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks.json",
    ],
)
def test_public_documents_allow_any_origin(servers, path):
    answer = preflight(servers.auth, path, "GET", origin=ELSEWHERE)
    assert answer.status_code == 204
    assert access_control(answer) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET",
        "access-control-max-age": "600",
    }
    actual = servers.auth.get(path, headers={"Origin": ELSEWHERE})
    assert actual.status_code == 200
    assert access_control(actual) == {"access-control-allow-origin": "*"}
    assert "vary" not in actual.headers


# -- the token endpoint ----------------------------------------------------------


def test_token_endpoint_preflight_from_a_registered_origin(servers):
    answer = preflight(
        servers.auth,
        "/token",
        "POST",
        Access_Control_Request_Headers="content-type, dpop",
    )
    assert answer.status_code == 204
    assert access_control(answer) == {
        "access-control-allow-origin": SPA_ORIGIN,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": REQUEST_HEADERS,
        "access-control-max-age": "600",
    }
    assert answer.headers["vary"] == "Origin"


def test_token_response_to_the_spa_is_readable_by_it(servers):
    tokens = spa_tokens(servers)
    response = servers.new_browser().post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": SPA_CLIENT,
        },
        headers={"Origin": SPA_ORIGIN},
    )
    assert response.status_code == 200
    assert access_control(response) == {
        "access-control-allow-origin": SPA_ORIGIN,
        "access-control-expose-headers": EXPOSED,
    }
    assert response.headers["vary"] == "Origin"


def test_token_error_with_challenge_is_readable_cross_origin(servers):
    response = servers.new_browser().post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(WEB_CLIENT[0], "wrong"),
        headers={"Origin": SPA_ORIGIN},
    )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == SPA_ORIGIN
    assert "WWW-Authenticate" in response.headers["access-control-expose-headers"]


# -- revocation and userinfo -----------------------------------------------------


def test_revocation_preflight_and_response(servers):
    answer = preflight(servers.auth, "/revoke", "POST")
    assert access_control(answer)["access-control-allow-origin"] == SPA_ORIGIN
    assert access_control(answer)["access-control-allow-methods"] == "POST"
    tokens = spa_tokens(servers)
    response = servers.new_browser().post(
        "/revoke",
        data={"token": tokens["refresh_token"], "client_id": SPA_CLIENT},
        headers={"Origin": SPA_ORIGIN},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA_ORIGIN


def test_userinfo_preflight_allows_the_authorization_header(servers):
    answer = preflight(
        servers.auth,
        "/userinfo",
        "GET",
        Access_Control_Request_Headers="authorization",
    )
    assert answer.status_code == 204
    assert access_control(answer) == {
        "access-control-allow-origin": SPA_ORIGIN,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": REQUEST_HEADERS,
        "access-control-max-age": "600",
    }


def test_userinfo_challenge_is_exposed_to_the_spa(servers):
    response = servers.auth.get("/userinfo", headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 401
    assert access_control(response) == {
        "access-control-allow-origin": SPA_ORIGIN,
        "access-control-expose-headers": EXPOSED,
    }


# -- the photos API --------------------------------------------------------------


def test_api_preflight_allows_authorization_and_dpop(servers):
    answer = preflight(
        servers.api,
        "/api/photos",
        "GET",
        Access_Control_Request_Headers="authorization,dpop",
    )
    assert answer.status_code == 204
    assert access_control(answer) == {
        "access-control-allow-origin": SPA_ORIGIN,
        "access-control-allow-methods": "GET",
        "access-control-allow-headers": REQUEST_HEADERS,
        "access-control-max-age": "600",
    }
    assert answer.headers["vary"] == "Origin"


def test_api_answers_are_readable_by_the_spa(servers):
    tokens = spa_tokens(servers)
    ok = servers.api.get(
        "/api/photos",
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "Origin": SPA_ORIGIN,
        },
    )
    assert ok.status_code == 200
    assert access_control(ok) == {
        "access-control-allow-origin": SPA_ORIGIN,
        "access-control-expose-headers": EXPOSED,
    }
    refused = servers.api.get("/api/photos", headers={"Origin": SPA_ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == SPA_ORIGIN
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="photos-api", '
        'resource_metadata="https://api.photos.test/.well-known/oauth-protected-resource"'
    )


# -- refused: unknown origins, malformed preflights -------------------------------


@pytest.mark.parametrize(
    ("client", "path", "method"),
    [
        ("auth", "/token", "POST"),
        ("auth", "/revoke", "POST"),
        ("auth", "/userinfo", "GET"),
        ("api", "/api/photos", "GET"),
    ],
)
def test_an_unknown_origin_is_refused(servers, client, path, method):
    http = getattr(servers, client)
    answer = preflight(http, path, method, origin=ELSEWHERE)
    assert answer.status_code < 500
    assert access_control(answer) == {}
    actual = http.request(method, path, headers={"Origin": ELSEWHERE})
    assert access_control(actual) == {}
    assert actual.headers["vary"] == "Origin"


def test_an_opaque_origin_is_refused(servers):
    answer = preflight(servers.api, "/api/photos", "GET", origin="null")
    assert access_control(answer) == {}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": SPA_ORIGIN},  # no Access-Control-Request-Method
        {"Origin": SPA_ORIGIN, "Access-Control-Request-Method": "DELETE"},
        {
            "Origin": SPA_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-debug",
        },
    ],
    ids=["no-request-method", "method-not-allowed", "header-not-allowed"],
)
def test_a_malformed_preflight_gets_no_allow_headers(servers, headers):
    answer = servers.auth.options("/token", headers=headers)
    assert answer.status_code == 200  # the server's ordinary OPTIONS answer
    assert access_control(answer) == {}


def test_a_preflight_to_no_such_path_is_404(servers):
    answer = preflight(servers.auth, "/.well-known/nothing", "GET")
    assert answer.status_code == 404


def test_an_origin_registered_later_is_allowed_at_once(servers):
    origin = "https://gallery.example"
    assert access_control(preflight(servers.api, "/api/photos", "GET", origin)) == {}
    spa = servers.deployment.store.client(SPA_CLIENT)
    spa.redirect_uris = (*spa.redirect_uris, f"{origin}/callback")
    answer = preflight(servers.api, "/api/photos", "GET", origin)
    assert answer.headers["access-control-allow-origin"] == origin


# -- no CORS where the browser navigates, or for servers only ---------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/authorize", "GET"),
        ("/authorize", "POST"),
        ("/authorize/resume", "GET"),
        ("/login", "POST"),
        ("/consent", "POST"),
        ("/introspect", "POST"),
    ],
)
def test_no_cors_on_pages_and_server_only_endpoints(servers, path, method):
    answer = preflight(servers.auth, path, method)
    assert access_control(answer) == {}
    actual = servers.auth.request(method, path, headers={"Origin": SPA_ORIGIN})
    assert actual.status_code < 500
    assert access_control(actual) == {}


def test_no_endpoint_allows_credentials(servers):
    answers = [
        preflight(servers.auth, "/token", "POST"),
        preflight(servers.auth, "/userinfo", "GET"),
        preflight(servers.api, "/api/user", "GET"),
        servers.auth.get("/jwks.json", headers={"Origin": SPA_ORIGIN}),
    ]
    for answer in answers:
        assert access_control(answer)
        assert "access-control-allow-credentials" not in access_control(answer)
