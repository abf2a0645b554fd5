"""PKCE (RFC 7636) at the authorization server, for the public SPA client."""

from __future__ import annotations

import pytest

from mock_servers.pkce import create_s256_code_challenge
from tests.mock_servers.servers import (
    CHALLENGE,
    SPA_CLIENT,
    SPA_REDIRECT,
    VERIFIER,
    location_params,
    s256,
    spa_code,
    spa_redeem,
)


def test_rfc7636_appendix_b_verifier_gives_its_challenge_through_the_as():
    # RFC 7636 Appendix B: the example verifier and its S256 challenge.
    assert create_s256_code_challenge(VERIFIER) == CHALLENGE
    assert s256(VERIFIER) == CHALLENGE


def test_rfc7636_appendix_b_vector_redeems_a_code_end_to_end(servers):
    code = spa_code(servers)
    stored = servers.deployment.store.code(code)
    assert stored.code_challenge == CHALLENGE
    assert stored.code_challenge_method == "S256"
    response = spa_redeem(servers, code, VERIFIER)
    assert response.status_code == 200, response.text
    assert servers.call_api(response.json()["access_token"]).status_code == 200


def test_wrong_code_verifier_is_invalid_grant(servers):
    code = spa_code(servers)
    response = spa_redeem(servers, code, "x" * 43)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Code challenge failed.",
    }


def test_missing_code_verifier_is_invalid_request(servers):
    code = spa_code(servers)
    response = spa_redeem(servers, code, None)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing 'code_verifier'",
    }


def test_malformed_code_verifier_is_invalid_request(servers):
    code = spa_code(servers)
    response = spa_redeem(servers, code, "too-short")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_public_client_without_code_challenge_is_refused_at_authorize(servers):
    response = servers.authorize(
        client_id=SPA_CLIENT, redirect_uri=SPA_REDIRECT, pkce=False
    )
    assert response.status_code == 302
    params = location_params(response)
    assert params["error"] == "invalid_request"
    assert "code_challenge" in params["error_description"]
    assert params["state"] == "xyz-state"


def test_plain_method_is_refused_by_default(servers):
    response = servers.authorize(
        client_id=SPA_CLIENT,
        redirect_uri=SPA_REDIRECT,
        extra={"code_challenge": VERIFIER, "code_challenge_method": "plain"},
    )
    params = location_params(response)
    assert params["error"] == "invalid_request"
    assert "code_challenge_method" in params["error_description"]


def test_verifier_for_a_code_without_challenge_is_refused_rfc9700_4_8(make):
    """RFC 9700 4.8.2: a token request with a code_verifier is accepted only if
    the authorization request had a code_challenge (PKCE downgrade), even
    where the AS lets a client skip PKCE."""
    servers = make(weaknesses=["as.pkce_optional"])
    code = servers.code_for(pkce=False)  # the confidential client, no PKCE
    response = servers.redeem(code, code_verifier=VERIFIER)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "A code_verifier was sent, but the authorization "
        "request had no code_challenge (RFC 9700 4.8.2).",
    }


def test_confidential_client_must_send_its_verifier(servers):
    code = servers.code_for()
    response = servers.redeem(code, code_verifier=None)
    assert response.status_code == 400
    assert response.json()["error_description"] == "Missing 'code_verifier'"
    code = servers.code_for()
    assert servers.redeem(code, code_verifier=VERIFIER).status_code == 200


@pytest.mark.parametrize("required", [True, False])
def test_as_requires_pkce_of_every_client_unless_configured_not_to(make, required):
    servers = make()
    assert servers.deployment.as_settings.require_pkce_for_all_clients  # default
    servers.deployment.as_settings.require_pkce_for_all_clients = required
    params = location_params(servers.authorize(pkce=False))
    if required:
        assert params["error"] == "invalid_request"
        assert "code_challenge" in params["error_description"]
    else:
        code = params["code"]
        assert servers.redeem(code, code_verifier=None).status_code == 200


def test_native_app_loopback_redirect_accepts_any_port(servers):
    for port in (51004, 8123):
        redirect = f"http://127.0.0.1:{port}/callback"
        response = servers.authorize(
            client_id="photo-uploader-native",
            redirect_uri=redirect,
            extra={"code_challenge": CHALLENGE, "code_challenge_method": "S256"},
        )
        assert response.status_code == 302
        assert response.headers["location"].startswith(redirect + "?code=")
    other_path = servers.authorize(
        client_id="photo-uploader-native",
        redirect_uri="http://127.0.0.1:8123/elsewhere",
        extra={"code_challenge": CHALLENGE, "code_challenge_method": "S256"},
    )
    assert other_path.status_code == 400
