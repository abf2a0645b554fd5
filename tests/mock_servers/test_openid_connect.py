"""OpenID Connect authentication requests as relying parties send them
(OIDC Core 3.1.2.1 and 3.1.2.6): prompt, max_age, auth_time, POST, request
objects."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import pytest

from mock_servers.clock import Clock
from tests.mock_servers.servers import (
    ISSUER,
    PKCE,
    WEB_CLIENT,
    WEB_REDIRECT,
    form_value,
    location_params,
)


@pytest.fixture
def servers(make):
    """A frozen clock: times in tokens are compared to the second."""
    return make(clock=Clock(frozen_at=1_798_761_600))  # 2027-01-01


def params(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": WEB_CLIENT[0],
        "redirect_uri": WEB_REDIRECT,
        "scope": "openid",
        "state": "s-42",
        **PKCE,
        **extra,
    }


def authorize(servers, **extra: str):
    return servers.auth.get("/authorize?" + urlencode(params(**extra)))


def sign_in_and_consent(servers, scope: str = "openid") -> int:
    """Alice signs in and approves `scope` for PhotoPrint; returns auth_time."""
    response = servers.authorize(scope=scope)
    assert response.status_code == 302 and "code" in location_params(response)
    return servers.deployment.clock.now()


def id_token_claims(servers, response) -> dict:
    # 302 from /authorize; 303 when the sign-in POST is answered (RFC 9700 4.12).
    assert response.status_code in (302, 303), response.text
    token = servers.redeem(location_params(response)["code"])
    assert token.status_code == 200, token.text
    key = servers.deployment.as_settings.signing_key
    return jwt.decode(
        token.json()["id_token"],
        key.private_key.public_key(),
        algorithms=["RS256"],
        audience="photoprint",
        issuer=ISSUER,
        options={"verify_iat": False},  # the world's clock may be ahead
    )


def is_sign_in_page(response) -> bool:
    return response.status_code == 200 and 'id="login-form"' in response.text


def is_consent_page(response) -> bool:
    return response.status_code == 200 and 'id="consent-form"' in response.text


# -- prompt=none: never a page ----------------------------------------------------


def test_prompt_none_without_a_session_redirects_login_required(servers):
    response = authorize(servers, prompt="none")
    assert response.status_code == 302
    assert location_params(response) == {
        "error": "login_required",
        "error_description": "prompt=none, but the user must sign in first.",
        "state": "s-42",
        "iss": ISSUER,
    }


def test_prompt_none_with_a_session_but_no_consent_redirects_consent_required(
    servers,
):
    sign_in_and_consent(servers, scope="openid")
    response = authorize(servers, prompt="none", scope="openid email")
    assert response.status_code == 302
    assert location_params(response) == {
        "error": "consent_required",
        "error_description": "prompt=none, but the user has not approved this "
        "client for these scopes.",
        "state": "s-42",
        "iss": ISSUER,
    }


def test_prompt_none_with_a_session_and_consent_answers_with_a_code(servers):
    sign_in_and_consent(servers)
    response = authorize(servers, prompt="none")
    assert response.status_code == 302
    assert set(location_params(response)) == {"code", "state", "iss"}


def test_prompt_none_when_max_age_has_passed_is_login_required(servers):
    sign_in_and_consent(servers)
    servers.deployment.clock.advance(61)
    response = authorize(servers, prompt="none", max_age="60")
    assert location_params(response)["error"] == "login_required"


def test_prompt_none_with_another_value_is_invalid_request(servers):
    response = authorize(servers, prompt="none login")
    assert response.status_code == 302
    assert location_params(response) == {
        "error": "invalid_request",
        "error_description": "prompt=none cannot be combined with other prompt values.",
        "state": "s-42",
        "iss": ISSUER,
    }


def test_unknown_prompt_value_is_invalid_request(servers):
    response = authorize(servers, prompt="create")
    assert response.status_code == 302
    assert location_params(response) == {
        "error": "invalid_request",
        "error_description": "Unsupported prompt value create; this server "
        "supports none, login, consent, select_account.",
        "state": "s-42",
        "iss": ISSUER,
    }


def test_unknown_prompt_value_with_unknown_client_is_an_error_page(servers):
    response = authorize(servers, prompt="create", client_id="nobody")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_client" in response.text


@pytest.mark.parametrize("max_age", ["-1", "ten"])
def test_malformed_max_age_is_invalid_request(servers, max_age):
    response = authorize(servers, max_age=max_age)
    assert location_params(response)["error_description"] == (
        "max_age must be a non-negative number of seconds."
    )


# -- prompt=login, max_age: a new sign-in, and auth_time tells when ---------------


def test_prompt_login_asks_for_a_new_sign_in_despite_a_session(servers):
    sign_in_and_consent(servers)
    servers.deployment.clock.advance(100)
    page = authorize(servers, prompt="login")
    assert is_sign_in_page(page)
    # Consent is on record: the sign-in POST is answered at once, with a 303
    # (RFC 9700 4.12), straight to the client.
    answer = servers.sign_in(page)
    assert answer.status_code == 303
    claims = id_token_claims(servers, answer)
    assert claims["auth_time"] == servers.deployment.clock.now()


def test_prompt_select_account_shows_the_sign_in_page(servers):
    sign_in_and_consent(servers)
    assert is_sign_in_page(authorize(servers, prompt="select_account"))


def test_max_age_elapsed_forces_a_new_sign_in(servers):
    sign_in_and_consent(servers)
    servers.deployment.clock.advance(301)
    page = authorize(servers, max_age="300")
    assert is_sign_in_page(page)
    answer = servers.sign_in(page)
    claims = id_token_claims(servers, answer)
    # OIDC Core 2: auth_time is REQUIRED when max_age was requested.
    assert claims["auth_time"] == servers.deployment.clock.now()


def test_max_age_not_elapsed_keeps_the_session_and_its_auth_time(servers):
    auth_time = sign_in_and_consent(servers)
    servers.deployment.clock.advance(300)
    response = authorize(servers, max_age="300")
    claims = id_token_claims(servers, response)
    assert claims["auth_time"] == auth_time
    assert claims["iat"] == auth_time + 300


def test_max_age_zero_forces_a_new_sign_in(servers):
    sign_in_and_consent(servers)
    page = authorize(servers, max_age="0")
    assert is_sign_in_page(page)
    answer = servers.sign_in(page)
    assert set(location_params(answer)) == {"code", "state", "iss"}


def test_id_token_auth_time_is_when_the_user_signed_in_not_when_issued(servers):
    auth_time = sign_in_and_consent(servers)
    servers.deployment.clock.advance(1000)
    claims = id_token_claims(servers, authorize(servers))
    assert claims["auth_time"] == auth_time
    assert claims["iat"] == auth_time + 1000


# -- prompt=consent ---------------------------------------------------------------


def test_prompt_consent_shows_consent_even_when_remembered(servers):
    sign_in_and_consent(servers)
    assert authorize(servers).status_code == 302  # remembered
    page = authorize(servers, prompt="consent")
    assert is_consent_page(page)
    answer = servers.decide(page)
    assert set(location_params(answer)) == {"code", "state", "iss"}


# -- the authorization request by POST (OIDC Core 3.1.2.1) -----------------------


def test_authorization_request_by_post_works_like_get(servers):
    response = servers.authorize(
        method="POST", scope="openid email", extra={"nonce": "n-1"}
    )
    assert response.status_code == 302
    found = location_params(response)
    assert (found["state"], found["iss"]) == ("xyz-state", ISSUER)
    claims = id_token_claims(servers, response)
    assert (claims["nonce"], claims["email"]) == ("n-1", "alice@example.org")


def test_posted_request_with_a_session_and_consent_answers_at_once(servers):
    sign_in_and_consent(servers)
    response = servers.auth.post("/authorize", data=params())
    assert response.status_code == 302
    assert location_params(response)["state"] == "s-42"


def test_posted_request_with_errors_redirects_like_get(servers):
    response = servers.auth.post("/authorize", data=params(scope="openid admin"))
    assert response.status_code == 302
    assert location_params(response)["error"] == "invalid_scope"


# -- the consent form: its own path, CSRF, and one browser ------------------------


def consent_page(servers, method: str = "GET"):
    if method == "POST":
        page = servers.auth.post("/authorize", data=params())
    else:
        page = authorize(servers)
    signed_in = servers.sign_in(page)
    page = servers.auth.get(signed_in.headers["location"])
    assert is_consent_page(page)
    return page


def test_consent_form_posts_to_its_own_path_with_the_browser_fields(servers):
    page = consent_page(servers)
    assert 'action="/consent"' in page.text
    assert 'name="decision" value="approve"' in page.text
    assert 'name="decision" value="deny"' in page.text
    assert form_value(page.text, "csrf_token")
    assert form_value(page.text, "interaction")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_consent_with_a_bad_csrf_token_is_400_and_loses_nothing(servers, method):
    page = consent_page(servers, method)
    forged = servers.auth.post(
        "/consent",
        data={
            "interaction": form_value(page.text, "interaction"),
            "csrf_token": "guessed",
            "decision": "approve",
        },
    )
    assert forged.status_code == 400
    assert "CSRF token is missing or wrong" in forged.text
    assert forged.headers["x-frame-options"] == "DENY"
    assert not servers.deployment.events.named("consent.granted")
    answer = servers.decide(page)
    assert answer.status_code == 302
    assert location_params(answer)["state"] == "s-42"
    assert "code" in location_params(answer)


def test_denied_consent_by_post_is_access_denied_with_state(servers):
    answer = servers.decide(consent_page(servers, "POST"), "deny")
    assert location_params(answer) == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied "
        "the request",
        "state": "s-42",
        "iss": ISSUER,
    }


def test_a_pending_request_is_answered_once(servers):
    page = consent_page(servers)
    assert servers.decide(page).status_code == 302
    again = servers.decide(page)
    assert again.status_code == 400
    assert "belongs to no authorization request" in again.text


def test_another_browser_cannot_use_a_pending_request(servers):
    page = consent_page(servers)
    mallory = servers.new_browser()
    servers.authorize(browser=mallory, username="bob", password="builder")
    response = servers.decide(page, browser=mallory)
    assert response.status_code == 400
    assert "belongs to no authorization request" in response.text


def test_wrong_password_keeps_the_pending_request(servers):
    page = authorize(servers)
    again = servers.sign_in(page, password="wrong")
    assert is_sign_in_page(again)
    signed_in = servers.sign_in(again)
    assert signed_in.status_code == 302
    assert is_consent_page(servers.auth.get(signed_in.headers["location"]))


# -- request objects are not supported (OIDC Core 6, 3.1.2.6) ---------------------


@pytest.mark.parametrize(
    ("name", "error", "description"),
    [
        (
            "request",
            "request_not_supported",
            "This server does not support the request parameter.",
        ),
        (
            "request_uri",
            "request_uri_not_supported",
            "This server takes no request objects by reference: a request_uri must "
            "come from its pushed authorization request endpoint (/par).",
        ),
    ],
)
def test_request_objects_are_refused_at_the_redirect_uri(
    servers, name, error, description
):
    response = authorize(servers, **{name: "eyJhbGciOiJub25lIn0.e30."})
    assert response.status_code == 302
    assert response.headers["location"].startswith(WEB_REDIRECT + "?")
    assert location_params(response) == {
        "error": error,
        "error_description": description,
        "state": "s-42",
        "iss": ISSUER,
    }


def test_request_object_with_an_unregistered_redirect_uri_is_an_error_page(servers):
    response = authorize(
        servers, request="x", redirect_uri="https://attacker.test/callback"
    )
    assert response.status_code == 400
    assert "location" not in response.headers


def test_discovery_says_request_objects_and_which_prompts(servers):
    for path in (
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ):
        body = servers.auth.get(path).json()
        assert body["request_parameter_supported"] is False
        assert body["request_uri_parameter_supported"] is False
    body = servers.auth.get("/.well-known/openid-configuration").json()
    assert body["prompt_values_supported"] == [
        "none",
        "login",
        "consent",
        "select_account",
    ]
