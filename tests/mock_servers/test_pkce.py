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
    response = servers.authorize(client_id=SPA_CLIENT, redirect_uri=SPA_REDIRECT)
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


def test_verifier_without_challenge_is_rejected_rfc9700_4_8(servers):
    code = servers.code_for()  # the confidential client, no PKCE
    response = servers.redeem(code, code_verifier=VERIFIER)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_confidential_client_may_use_pkce_too(servers):
    code = servers.code_for(
        extra={"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    )
    assert servers.redeem(code).status_code == 400  # verifier now required
    code = servers.code_for(
        extra={"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    )
    assert servers.redeem(code, code_verifier=VERIFIER).status_code == 200


@pytest.mark.parametrize("with_pkce", [False, True])
def test_as_configured_to_require_pkce_of_every_client(make, with_pkce):
    servers = make()
    servers.deployment.as_settings.require_pkce_for_all_clients = True
    extra = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    response = servers.authorize(extra=extra if with_pkce else None)
    params = location_params(response)
    if with_pkce:
        assert servers.redeem(params["code"], code_verifier=VERIFIER).status_code == 200
    else:
        assert params["error"] == "invalid_request"


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
