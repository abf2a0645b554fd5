"""The refresh token grant (RFC 6749 6): rotation and reuse (RFC 9700 4.14)."""

from __future__ import annotations

from tests.mock_servers.servers import VERIFIER, WEB_CLIENT, spa_code, spa_redeem


def first_tokens(servers) -> dict:
    response = servers.redeem(servers.code_for(scope="basic photos.read"))
    assert response.status_code == 200
    return response.json()


def refresh(servers, refresh_token: str, auth=WEB_CLIENT, **extra):
    return servers.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
        auth=auth,
    )


def test_refresh_rotates_the_refresh_token(servers):
    tokens = first_tokens(servers)
    response = refresh(servers, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["access_token"] != tokens["access_token"]
    assert body["scope"] == "basic photos.read"
    assert servers.call_api(body["access_token"]).status_code == 200


def test_reused_rotated_refresh_token_revokes_the_family(servers):
    tokens = first_tokens(servers)
    rotated = refresh(servers, tokens["refresh_token"]).json()
    replay = refresh(servers, tokens["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "every token of this grant" in replay.json()["error_description"]
    # The legitimate holder's newest refresh token is dead too.
    newest = refresh(servers, rotated["refresh_token"])
    assert newest.status_code == 400
    assert newest.json()["error"] == "invalid_grant"
    store = servers.deployment.store
    assert store.token_by_access_token(rotated["access_token"]).access_token_revoked
    [event] = servers.deployment.events.named("refresh_token.reused")
    assert event.client_id == "photoprint" and event.user == "u-1001"


def test_refresh_token_of_another_client_is_invalid_grant(servers):
    tokens = first_tokens(servers)
    response = refresh(
        servers,
        tokens["refresh_token"],
        auth=("photoprint-mobile", "photoprint-mobile-secret"),
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token was issued to another client.",
    }


def test_refresh_may_narrow_but_not_widen_scope(servers):
    tokens = first_tokens(servers)
    narrower = refresh(servers, tokens["refresh_token"], scope="basic")
    assert narrower.status_code == 200
    assert narrower.json()["scope"] == "basic"
    wider = refresh(servers, narrower.json()["refresh_token"], scope="basic email")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


def test_unknown_refresh_token_is_invalid_grant(servers):
    response = refresh(servers, "not-a-real-token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_refresh_token_is_invalid_request(servers):
    response = servers.token({"grant_type": "refresh_token"}, auth=WEB_CLIENT)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_refresh_after_access_token_expiry_gives_a_working_token(servers):
    tokens = first_tokens(servers)
    servers.deployment.clock.advance(3601)
    assert servers.call_api(tokens["access_token"]).status_code == 401
    fresh = refresh(servers, tokens["refresh_token"])
    assert fresh.status_code == 200
    assert servers.call_api(fresh.json()["access_token"]).status_code == 200


def test_public_client_refreshes_with_client_id_only(servers):
    tokens = spa_redeem(servers, spa_code(servers), VERIFIER)
    assert tokens.status_code == 200
    response = servers.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens.json()["refresh_token"],
            "client_id": "photo-gallery-spa",
        }
    )
    assert response.status_code == 200, response.text
