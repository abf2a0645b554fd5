"""Pushed authorization requests (RFC 9126) at /par and their request_uri at
/authorize: client authentication as at the token endpoint, validation as at
the authorization endpoint, a request_uri that is single use, short-lived and
bound to its client."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mock_servers.clock import Clock
from mock_servers.par import REQUEST_URI_PREFIX, PushedRequest, PushedRequests
from tests.mock_servers.dpop_helpers import (
    FAPI_CLIENT,
    FAPI_REDIRECT,
    approve_in_browser,
    fapi_push,
)
from tests.mock_servers.servers import (
    PKCE,
    SPA_CLIENT,
    SPA_REDIRECT,
    VERIFIER,
    WEB_CLIENT,
    WEB_REDIRECT,
    location_params,
    make_servers,
)

WEB_REQUEST = {
    "response_type": "code",
    "client_id": WEB_CLIENT[0],
    "redirect_uri": WEB_REDIRECT,
    "scope": "basic photos.read",
    "state": "pushed-state",
    **PKCE,
}


# A frozen clock: what a test advances is all the time that passes.
START = 1_798_761_600


@pytest.fixture
def servers():
    return make_servers(clock=Clock(frozen_at=START))


@pytest.fixture
def make():
    return lambda **kwargs: make_servers(clock=Clock(frozen_at=START), **kwargs)


def push(servers, data=None, auth=WEB_CLIENT, **changes):
    form = {**WEB_REQUEST, **(data or {}), **changes}
    form = {key: value for key, value in form.items() if value is not None}
    return servers.new_browser().post("/par", data=form, auth=auth)


def authorize_with(servers, request_uri: str, client_id: str = WEB_CLIENT[0]):
    query = urlencode({"client_id": client_id, "request_uri": request_uri})
    return servers.auth.get(f"/authorize?{query}")


def test_metadata_advertises_the_par_endpoint(servers):
    metadata = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert metadata["pushed_authorization_request_endpoint"] == (
        "https://auth.photos.test/par"
    )
    assert metadata["require_pushed_authorization_requests"] is False
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "PS256"]


def test_pushed_request_is_answered_201_with_a_request_uri(servers):
    response = push(servers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert len(body["request_uri"]) > len(REQUEST_URI_PREFIX) + 30
    assert body["expires_in"] == 60
    assert "no-store" in response.headers["cache-control"]


def test_request_uri_at_authorize_runs_the_pushed_request(servers):
    request_uri = push(servers).json()["request_uri"]
    code = approve_in_browser(servers, request_uri, WEB_CLIENT[0])
    token = servers.redeem(code)
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "basic photos.read"


def test_the_answer_carries_the_pushed_state_and_iss(servers):
    request_uri = push(servers).json()["request_uri"]
    page = authorize_with(servers, request_uri)
    signed_in = servers.sign_in(page)
    consent = servers.auth.get(signed_in.headers["location"])
    answer = servers.decide(consent)
    params = location_params(answer)
    assert answer.headers["location"].startswith(WEB_REDIRECT + "?")
    assert params["state"] == "pushed-state"
    assert params["iss"] == "https://auth.photos.test"


def test_parameters_beside_the_request_uri_are_ignored(servers):
    # The pushed request is the request: the browser's other parameters
    # (here a wider scope and another redirect URI) do not count.
    request_uri = push(servers).json()["request_uri"]
    query = urlencode(
        {
            "client_id": WEB_CLIENT[0],
            "request_uri": request_uri,
            "scope": "basic email photos.read",
            "redirect_uri": WEB_REDIRECT + "/elsewhere",
        }
    )
    page = servers.auth.get(f"/authorize?{query}")
    consent = servers.auth.get(servers.sign_in(page).headers["location"])
    assert "See your email address" not in consent.text
    answer = servers.decide(consent)
    assert answer.headers["location"].startswith(WEB_REDIRECT + "?")


def test_reused_request_uri_is_invalid_request_uri(servers):
    request_uri = push(servers).json()["request_uri"]
    assert authorize_with(servers, request_uri).status_code == 200
    again = authorize_with(servers, request_uri)
    assert again.status_code == 400
    assert "invalid_request_uri" in again.text
    assert "already used" in again.text
    assert "location" not in again.headers


def test_expired_request_uri_is_invalid_request_uri(servers):
    request_uri = push(servers).json()["request_uri"]
    servers.deployment.clock.advance(60)
    expired = authorize_with(servers, request_uri)
    assert expired.status_code == 400
    assert "invalid_request_uri" in expired.text
    assert "expired" in expired.text
    assert "location" not in expired.headers


def test_request_uri_is_bound_to_the_client_that_pushed_it(servers):
    request_uri = push(servers).json()["request_uri"]
    other = authorize_with(servers, request_uri, client_id=SPA_CLIENT)
    assert other.status_code == 400
    assert "invalid_request_uri" in other.text
    assert "pushed by another client" in other.text
    # another client cannot spend it: its own client still can
    assert authorize_with(servers, request_uri).status_code == 200


def test_unknown_par_request_uri_is_invalid_request_uri(servers):
    forged = authorize_with(servers, REQUEST_URI_PREFIX + "made-up")
    assert forged.status_code == 400
    assert "invalid_request_uri" in forged.text


def test_par_without_client_authentication_is_401_invalid_client(servers):
    response = push(servers, auth=None)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith(
        'Basic realm="https://auth.photos.test", error="invalid_client"'
    )


def test_par_with_a_wrong_secret_is_401_invalid_client(servers):
    response = push(servers, auth=(WEB_CLIENT[0], "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_public_client_pushes_with_its_client_id(servers):
    response = push(
        servers,
        auth=None,
        client_id=SPA_CLIENT,
        redirect_uri=SPA_REDIRECT,
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("changes", "status", "error", "description"),
    [
        (
            {"request_uri": REQUEST_URI_PREFIX + "x"},
            400,
            "invalid_request",
            "A pushed authorization request may not carry request_uri.",
        ),
        (
            {"request": "eyJhbGciOiJub25lIn0.e30."},
            400,
            "request_not_supported",
            "This server does not support the request parameter.",
        ),
        (
            {"client_id": SPA_CLIENT},
            400,
            "invalid_request",
            "client_id photo-gallery-spa is not the client that authenticated "
            "(photoprint).",
        ),
        (
            {"code_challenge": None, "code_challenge_method": None},
            400,
            "invalid_request",
            "Missing 'code_challenge': this server requires PKCE of every client "
            "(RFC 9700 2.1.1 requires it of public clients and recommends it for "
            "confidential ones).",
        ),
        (
            {"scope": "basic admin"},
            400,
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ),
        (
            {"response_type": "token"},
            400,
            "unauthorized_client",
            "The client is not authorized to use 'response_type=token'",
        ),
    ],
)
def test_pushed_request_is_validated_as_at_authorize(
    servers, changes, status, error, description
):
    response = push(servers, **changes)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    if description is not None:
        assert body["error_description"] == description
    assert "state" not in body
    assert "location" not in response.headers


def test_unregistered_redirect_uri_is_invalid_request_in_json(servers):
    # RFC 9126 2.3: where RFC 6749 4.1.2.1 forbids the redirect, invalid_request.
    response = push(servers, redirect_uri="https://attacker.test/callback")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "location" not in response.headers


def test_par_takes_post_only(servers):
    assert servers.auth.get("/par").status_code == 405


def test_client_that_requires_par_is_refused_a_front_channel_request(servers):
    query = urlencode(
        {
            "response_type": "code",
            "client_id": FAPI_CLIENT,
            "redirect_uri": FAPI_REDIRECT,
            "scope": "basic",
            "state": "s-1",
            **PKCE,
        }
    )
    response = servers.auth.get(f"/authorize?{query}")
    assert response.status_code == 302
    params = location_params(response)
    assert response.headers["location"].startswith(FAPI_REDIRECT + "?")
    assert params["error"] == "invalid_request"
    assert params["error_description"].startswith(
        "The client photoprint-fapi must push its authorization requests"
    )
    assert params["state"] == "s-1"
    assert params["iss"] == "https://auth.photos.test"


def test_fapi_client_pushes_with_private_key_jwt(servers):
    response = fapi_push(servers)
    assert response.status_code == 201, response.text
    code = approve_in_browser(servers, response.json()["request_uri"], FAPI_CLIENT)
    assert code


def test_global_par_requirement_is_in_the_metadata_and_enforced(make):
    servers = make()
    servers.deployment.as_settings.require_pushed_authorization_requests = True
    metadata = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert metadata["require_pushed_authorization_requests"] is True
    response = servers.authorize()
    assert response.status_code == 302
    assert location_params(response)["error"] == "invalid_request"
    code = approve_in_browser(
        servers, push(servers).json()["request_uri"], WEB_CLIENT[0]
    )
    assert servers.redeem(code, code_verifier=VERIFIER).status_code == 200


def test_pushed_requests_are_bounded():
    pushed = PushedRequests(max_entries=2)
    for n in range(3):
        pushed.save(PushedRequest(f"{REQUEST_URI_PREFIX}{n}", "c", (), 100))
    assert len(pushed) == 2
    with pytest.raises(Exception, match="unknown or was already used"):
        pushed.take(f"{REQUEST_URI_PREFIX}0", "c", 0)
    assert pushed.take(f"{REQUEST_URI_PREFIX}2", "c", 0).client_id == "c"
