"""The refresh token grant (RFC 6749 6): rotation and reuse (RFC 9700 4.14)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mock_servers.clock import Clock
from tests.mock_servers.servers import VERIFIER, WEB_CLIENT, spa_code, spa_redeem


@pytest.fixture
def servers(make):
    """A frozen clock: times in tokens are compared to the second."""
    return make(clock=Clock(frozen_at=1_798_761_600))  # 2027-01-01


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


# -- lifetimes (RFC 9700 4.14.2) ------------------------------------------------

DAY = 24 * 3600
API = ("photos-api", "photos-api-secret")
PUBLIC_IDLE = (
    "The refresh token has expired: its idle lifetime (86400 s without use, "
    "for a public client) ran out. Sign in again."
)
PUBLIC_ABSOLUTE = (
    "The refresh token has expired: its absolute lifetime (604800 s from the "
    "start of the grant, for a public client) ran out. Sign in again."
)


def spa_tokens(servers) -> dict:
    response = spa_redeem(servers, spa_code(servers), VERIFIER)
    assert response.status_code == 200, response.text
    return response.json()


def spa_refresh(servers, refresh_token: str):
    return servers.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "photo-gallery-spa",
        }
    )


def test_public_client_refresh_after_a_year_of_silence_is_invalid_grant(servers):
    tokens = spa_tokens(servers)
    servers.deployment.clock.advance(365 * DAY)
    response = spa_refresh(servers, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.headers["cache-control"] == "no-store"


def test_public_client_refresh_token_expires_after_a_day_unused(servers):
    tokens = spa_tokens(servers)
    servers.deployment.clock.advance(DAY)
    response = spa_refresh(servers, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": PUBLIC_IDLE,
    }
    [event] = servers.deployment.events.named("refresh_token.expired")
    assert (event.client_id, event.user, event.detail) == (
        "photo-gallery-spa",
        "u-1001",
        PUBLIC_IDLE,
    )


def test_each_rotation_restarts_the_idle_lifetime(servers):
    refresh_token = spa_tokens(servers)["refresh_token"]
    for _ in range(3):
        servers.deployment.clock.advance(DAY - 1)
        response = spa_refresh(servers, refresh_token)
        assert response.status_code == 200, response.text
        refresh_token = response.json()["refresh_token"]


def test_absolute_lifetime_counts_from_the_grant_across_rotations(servers):
    refresh_token = spa_tokens(servers)["refresh_token"]
    clock = servers.deployment.clock
    for _ in range(6):  # used every 23 hours: never idle for a day
        clock.advance(23 * 3600)
        response = spa_refresh(servers, refresh_token)
        assert response.status_code == 200, response.text
        refresh_token = response.json()["refresh_token"]
    clock.advance(7 * DAY - 6 * 23 * 3600)  # exactly 7 days after the grant
    response = spa_refresh(servers, refresh_token)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": PUBLIC_ABSOLUTE,
    }


def test_confidential_client_refresh_token_lives_30_days_idle(servers):
    tokens = first_tokens(servers)
    servers.deployment.clock.advance(30 * DAY - 1)
    assert refresh(servers, tokens["refresh_token"]).status_code == 200
    later = first_tokens(servers)
    servers.deployment.clock.advance(30 * DAY)
    response = refresh(servers, later["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token has expired: its idle lifetime "
        "(2592000 s without use, for a confidential client) ran out. Sign in again.",
    }


def test_confidential_client_grant_ends_after_90_days(servers):
    refresh_token = first_tokens(servers)["refresh_token"]
    for _ in range(3):
        servers.deployment.clock.advance(30 * DAY - 1)
        response = refresh(servers, refresh_token)
        assert response.status_code == 200, response.text
        refresh_token = response.json()["refresh_token"]
    servers.deployment.clock.advance(3)  # 90 days after the grant
    response = refresh(servers, refresh_token)
    assert response.status_code == 400
    assert response.json()["error_description"] == (
        "The refresh token has expired: its absolute lifetime (7776000 s from the "
        "start of the grant, for a confidential client) ran out. Sign in again."
    )


def test_introspection_reports_an_expired_refresh_token_inactive(servers):
    tokens = spa_tokens(servers)
    introspect = servers.new_browser().post
    data = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    active = introspect("/introspect", data=data, auth=API).json()
    now = servers.deployment.clock.now()
    assert active["active"] is True
    assert active["exp"] == now + DAY
    servers.deployment.clock.advance(DAY)
    assert introspect("/introspect", data=data, auth=API).json() == {"active": False}


def test_lifetimes_are_read_from_the_settings(servers):
    settings = servers.deployment.as_settings
    settings.lifetimes = replace(
        settings.lifetimes, public_refresh_token_idle=60, access_token=300
    )
    tokens = spa_tokens(servers)
    assert tokens["expires_in"] == 300
    servers.deployment.clock.advance(60)
    response = spa_refresh(servers, tokens["refresh_token"])
    assert response.json()["error_description"] == (
        "The refresh token has expired: its idle lifetime (60 s without use, "
        "for a public client) ran out. Sign in again."
    )


def test_unrotated_refresh_token_idle_lifetime_counts_from_its_last_use(make):
    # A frozen clock: with the machine's, a second ticking between two steps
    # would eat the one second of margin each step leaves.
    servers = make(
        weaknesses=["as.refresh_no_rotation"], clock=Clock(frozen_at=1_798_761_600)
    )
    refresh_token = spa_tokens(servers)["refresh_token"]
    for _ in range(2):
        servers.deployment.clock.advance(DAY - 1)
        response = spa_refresh(servers, refresh_token)
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()
    servers.deployment.clock.advance(DAY)
    assert spa_refresh(servers, refresh_token).json()["error_description"] == (
        PUBLIC_IDLE
    )
