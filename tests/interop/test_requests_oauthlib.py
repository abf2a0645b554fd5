"""requests-oauthlib (on oauthlib) against `serve`: plain OAuth 2.0, nothing of ours.

The library builds every request and parses every answer: the authorization
URL with PKCE (S256) and state, the token request with the code verifier,
refresh, client credentials, and RFC 7009 revocation (oauthlib's
`prepare_token_revocation_request`). Only the resource owner's sign-in and
approval are ours, done with plain HTTP (`ResourceOwner`).

oauthlib refuses any `http://` URL unless OAUTHLIB_INSECURE_TRANSPORT is set;
that is its documented switch, and right here: the servers are on loopback,
where OAuth allows plain http (RFC 8252 7.3).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from oauthlib.oauth2 import (
    BackendApplicationClient,
    InvalidClientError,
    InvalidGrantError,
    MismatchingStateError,
    WebApplicationClient,
)
from requests_oauthlib import OAuth2Session

from .resource_owner import ResourceOwner
from .served import HTTP_TIMEOUT, Served, served

NATIVE_APP = "photo-uploader-native"
# RFC 8252 7.3: a loopback redirect URI registered without a port matches any
# port; nothing needs to listen there, the library only reads the URL.
NATIVE_REDIRECT = "http://127.0.0.1:53117/callback"
SERVICE, SERVICE_SECRET = "print-shop-service", "print-shop-secret"


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # loopback only
    with served() as running:
        yield running


@pytest.fixture
def alice() -> Iterator[ResourceOwner]:
    owner = ResourceOwner("alice", "wonderland")
    yield owner
    owner.close()


def native_app_session(scope: list[str]) -> OAuth2Session:
    return OAuth2Session(
        NATIVE_APP, redirect_uri=NATIVE_REDIRECT, scope=scope, pkce="S256"
    )


def sign_in_with_code_and_pkce(
    servers: Served, owner: ResourceOwner, scope: list[str]
) -> tuple[OAuth2Session, dict]:
    """The native app's authorization code grant with PKCE, end to end."""
    session = native_app_session(scope)
    url, state = session.authorization_url(f"{servers.issuer}/authorize")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [state]
    callback = owner.authorize(url)
    assert callback.startswith(f"{NATIVE_REDIRECT}?")
    # The library compares state (RFC 6749 10.12) and sends the code verifier.
    token = session.fetch_token(
        f"{servers.issuer}/token",
        authorization_response=callback,
        include_client_id=True,  # a public client: no secret (RFC 6749 2.3)
        timeout=HTTP_TIMEOUT,
    )
    return session, token


def test_native_app_code_flow_with_pkce_reads_the_photos_api(
    servers: Served, alice: ResourceOwner
) -> None:
    session, token = sign_in_with_code_and_pkce(
        servers, alice, ["photos.read", "offline_access"]
    )
    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == ["photos.read", "offline_access"]
    assert token["refresh_token"]
    photos = session.get(f"{servers.api}/api/photos", timeout=HTTP_TIMEOUT)
    assert photos.status_code == 200, photos.text
    assert photos.json()["owner"] == "u-1001"


def test_state_mismatch_is_caught_by_the_library(
    servers: Served, alice: ResourceOwner
) -> None:
    """The client's CSRF defence (RFC 6749 10.12): the AS must echo state as sent."""
    session = native_app_session(["photos.read"])
    url, state = session.authorization_url(f"{servers.issuer}/authorize")
    callback = alice.authorize(url)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    forged = callback.replace(f"state={state}", "state=forged")
    with pytest.raises(MismatchingStateError):
        session.fetch_token(
            f"{servers.issuer}/token",
            authorization_response=forged,
            include_client_id=True,
            timeout=HTTP_TIMEOUT,
        )


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_grant(
    servers: Served, alice: ResourceOwner
) -> None:
    """RFC 9700 4.14.2: rotation, and reuse of a used refresh token detected."""
    session, first = sign_in_with_code_and_pkce(
        servers, alice, ["photos.read", "offline_access"]
    )
    token_url = f"{servers.issuer}/token"
    second = session.refresh_token(
        token_url, client_id=NATIVE_APP, timeout=HTTP_TIMEOUT
    )
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    photos = session.get(f"{servers.api}/api/photos", timeout=HTTP_TIMEOUT)
    assert photos.status_code == 200, photos.text

    with pytest.raises(InvalidGrantError) as replayed:
        session.refresh_token(
            token_url,
            refresh_token=first["refresh_token"],
            client_id=NATIVE_APP,
            timeout=HTTP_TIMEOUT,
        )
    assert replayed.value.status_code == 400
    # The AS cannot tell the thief from the client: it revokes the grant, so
    # the newest refresh token is dead too.
    with pytest.raises(InvalidGrantError):
        session.refresh_token(
            token_url,
            refresh_token=second["refresh_token"],
            client_id=NATIVE_APP,
            timeout=HTTP_TIMEOUT,
        )


def revoke(
    session: OAuth2Session, servers: Served, token: str, hint: str | None
) -> None:
    """RFC 7009 2.1, the request built by oauthlib, for the public native app."""
    url, headers, body = WebApplicationClient(
        NATIVE_APP
    ).prepare_token_revocation_request(
        f"{servers.issuer}/revoke", token, token_type_hint=hint, client_id=NATIVE_APP
    )
    response = session.post(
        url, data=body, headers=headers, timeout=HTTP_TIMEOUT, withhold_token=True
    )
    # RFC 7009 2.2: 200 whether or not the token was valid.
    assert response.status_code == 200, (response.status_code, response.text)


def userinfo_status(session: OAuth2Session, servers: Served, access_token: str) -> int:
    response = session.get(
        f"{servers.issuer}/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=HTTP_TIMEOUT,
        withhold_token=True,
    )
    return response.status_code


def test_revoking_the_refresh_token_revokes_its_access_tokens(
    servers: Served, alice: ResourceOwner
) -> None:
    """RFC 7009 2.1: revoking a refresh token SHOULD also invalidate the access
    tokens of the same grant; the AS's own /userinfo checks its store."""
    session, token = sign_in_with_code_and_pkce(
        servers, alice, ["openid", "offline_access"]
    )
    assert userinfo_status(session, servers, token["access_token"]) == 200
    revoke(session, servers, token["refresh_token"], "refresh_token")
    with pytest.raises(InvalidGrantError):
        session.refresh_token(
            f"{servers.issuer}/token", client_id=NATIVE_APP, timeout=HTTP_TIMEOUT
        )
    assert userinfo_status(session, servers, token["access_token"]) == 401


def test_revocation_ignores_a_token_type_hint_it_does_not_know(
    servers: Served, alice: ResourceOwner
) -> None:
    """RFC 7009 2.1: the hint only helps the lookup; if the token is not found
    with it, the AS MUST search its other token types (and MAY ignore the hint).
    `pct` is a registered hint (UMA 2.0 Grant 3.7) this AS has no use for.
    Whatever the hint, a 401 means failed client authentication (RFC 6749 5.2).
    """
    session, token = sign_in_with_code_and_pkce(servers, alice, ["openid"])
    revoke(
        session,
        servers,
        token["access_token"],
        "pct",
    )
    assert userinfo_status(session, servers, token["access_token"]) == 401


def test_client_credentials_token_reads_the_photos_api(servers: Served) -> None:
    session = OAuth2Session(client=BackendApplicationClient(client_id=SERVICE))
    token = session.fetch_token(
        f"{servers.issuer}/token",
        client_id=SERVICE,
        client_secret=SERVICE_SECRET,
        scope=["photos.read"],
        timeout=HTTP_TIMEOUT,
    )
    assert token["scope"] == ["photos.read"]
    assert "refresh_token" not in token  # RFC 6749 4.4.3: SHOULD NOT be included
    photos = session.get(f"{servers.api}/api/photos", timeout=HTTP_TIMEOUT)
    assert photos.status_code == 200, photos.text
    assert photos.json()["owner"] == SERVICE


def test_client_credentials_with_a_wrong_secret_is_invalid_client(
    servers: Served,
) -> None:
    session = OAuth2Session(client=BackendApplicationClient(client_id=SERVICE))
    with pytest.raises(InvalidClientError) as refused:
        session.fetch_token(
            f"{servers.issuer}/token",
            client_id=SERVICE,
            client_secret="not-the-secret",
            scope=["photos.read"],
            timeout=HTTP_TIMEOUT,
        )
    assert refused.value.status_code == 401
