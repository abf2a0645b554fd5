"""pyoidc (the `oic` package), an OpenID Connect relying party, against `serve`.

pyoidc reads the discovery document, fetches the JWKS, builds the
authentication request (state, nonce, PKCE S256), redeems the code, and
validates the id_token itself: signature with the AS's published key, `iss`,
`aud`, `exp`, `nonce`, `at_hash`, and with `verify_id_token` the request's
`max_age` against `auth_time`. It then calls /userinfo, whose `sub` it checks
against the id_token's. Only the resource owner's part is ours (`ResourceOwner`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from jwkest.jwk import RSAKey, import_rsa_key_from_file
from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError
from oic import rndstr
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import (
    AccessTokenResponse,
    AuthorizationResponse,
    IdToken,
    OpenIDSchema,
    RegistrationResponse,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD, JWT_BEARER, assertion_jwt
from oic.utils.settings import OicClientSettings
from requests_oauthlib import OAuth2Session

from .resource_owner import ResourceOwner
from .served import HTTP_TIMEOUT, Served, served

PHOTOPRINT, PHOTOPRINT_SECRET = "photoprint", "photoprint-secret"
PHOTOPRINT_REDIRECT = "https://photoprint.test/callback"
SPA, SPA_REDIRECT = "photo-gallery-spa", "https://photoprint.test/spa/callback"
SERVICE = "print-shop-service"
OIDC_SCOPE = ["openid", "profile", "email", "offline_access"]


@pytest.fixture
def servers() -> Iterator[Served]:
    with served() as running:
        yield running


@pytest.fixture
def alice() -> Iterator[ResourceOwner]:
    owner = ResourceOwner("alice", "wonderland")
    yield owner
    owner.close()


def relying_party(
    servers: Served, client_id: str, redirect_uri: str, secret: str | None = None
) -> Client:
    """A pyoidc client configured by discovery, registered out of band."""
    client = Client(
        client_authn_method=CLIENT_AUTHN_METHOD,
        settings=OicClientSettings(timeout=HTTP_TIMEOUT),
    )
    client.provider_config(servers.issuer)  # fetches the JWKS into its key jar
    registration = {"client_id": client_id, "redirect_uris": [redirect_uri]}
    if secret:
        registration["client_secret"] = secret
    client.store_registration_info(RegistrationResponse(**registration))
    return client


@dataclass
class Login:
    """One authentication request: what the RP keeps until the callback."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    request: Any
    url: str


def authentication_request(
    client: Client, redirect_uri: str, scope: list[str], **extra: Any
) -> Login:
    state, nonce = rndstr(32), rndstr(32)
    challenge, verifier = client.add_code_challenge()  # S256 by default
    assert challenge["code_challenge_method"] == "S256"
    request = client.construct_AuthorizationRequest(
        request_args={
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            **challenge,
            **extra,
        }
    )
    url = request.request(client.authorization_endpoint)
    return Login(state, nonce, verifier, redirect_uri, request, url)


def callback(client: Client, login: Login, url: str) -> AuthorizationResponse:
    """The RP's redirect endpoint: parse, then check what pyoidc leaves to it."""
    assert url.startswith(f"{login.redirect_uri}?"), url
    response = client.parse_response(
        AuthorizationResponse, info=urlsplit(url).query, sformat="urlencoded"
    )
    assert not isinstance(response, ErrorResponse), response.to_dict()
    # RFC 6749 10.12: state binds the response to this browser's request.
    assert response["state"] == login.state
    # RFC 9207 2.4: the iss parameter names the AS the client asked.
    assert response["iss"] == client.provider_info["issuer"]
    return response


def redeem(client: Client, login: Login, response: AuthorizationResponse) -> Any:
    """The token request; pyoidc validates the id_token in the response."""
    tokens = client.do_access_token_request(
        state=login.state,
        request_args={
            "code": response["code"],
            "redirect_uri": login.redirect_uri,
            "code_verifier": login.code_verifier,
        },
        authn_method="client_secret_basic",
    )
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    id_token = tokens["id_token"]
    assert isinstance(id_token, IdToken)  # parsed, signature verified
    # OIDC Core 3.1.3.7: iss, aud, exp, nonce, and max_age against auth_time.
    client.verify_id_token(id_token, login.request)
    return tokens


def test_discovery_gives_the_library_every_endpoint_and_the_signing_key(
    servers: Served,
) -> None:
    client = relying_party(servers, PHOTOPRINT, PHOTOPRINT_REDIRECT, PHOTOPRINT_SECRET)
    issuer = servers.issuer
    # OIDC Discovery 4.3: the issuer in the document is the one asked for.
    assert client.provider_info["issuer"] == issuer
    assert client.authorization_endpoint == f"{issuer}/authorize"
    assert client.token_endpoint == f"{issuer}/token"
    assert client.userinfo_endpoint == f"{issuer}/userinfo"
    assert "S256" in client.provider_info["code_challenge_methods_supported"]
    keys = client.keyjar.get_signing_key("RSA", owner=issuer)
    assert keys and all(key.kid for key in keys)


def test_code_flow_with_pkce_state_and_nonce_gives_a_validated_id_token(
    servers: Served, alice: ResourceOwner
) -> None:
    client = relying_party(servers, PHOTOPRINT, PHOTOPRINT_REDIRECT, PHOTOPRINT_SECRET)
    login = authentication_request(client, PHOTOPRINT_REDIRECT, OIDC_SCOPE)
    sent = parse_qs(urlsplit(login.url).query)
    assert sent["nonce"] == [login.nonce]
    assert sent["code_challenge_method"] == ["S256"]
    response = callback(client, login, alice.authorize(login.url))
    assert alice.forms_filled == ["login-form", "consent-form"]

    tokens = redeem(client, login, response)
    id_token = tokens["id_token"]
    assert id_token["sub"] == "u-1001"
    assert id_token["nonce"] == login.nonce
    assert id_token["aud"] == [PHOTOPRINT]
    header = jwt.get_unverified_header(tokens["id_token_jwt"])
    assert header["kid"] in {
        key.kid for key in client.keyjar.get_issuer_keys(servers.issuer)
    }

    # OIDC Core 5.3: a GET with the access token in the Authorization header.
    # pyoidc's default is a POST with the token in the body, which RFC 6750
    # 2.2 leaves optional for a server (MAY); this one reads the header only.
    userinfo = client.do_user_info_request(state=login.state, method="GET")
    assert isinstance(userinfo, OpenIDSchema), userinfo.to_dict()
    assert userinfo["sub"] == id_token["sub"]  # pyoidc checks it too (5.3.2)
    assert userinfo["name"] == "Alice Liddell"
    assert userinfo["email"] == "alice@example.org"

    refreshed = client.do_access_token_refresh(
        state=login.state, authn_method="client_secret_basic"
    )
    assert isinstance(refreshed, AccessTokenResponse), refreshed.to_dict()
    assert refreshed["refresh_token"] != tokens["refresh_token"]  # rotated


def test_prompt_none_without_a_session_answers_login_required(
    servers: Served, alice: ResourceOwner
) -> None:
    """OIDC Core 3.1.2.6: no UI may be shown; the error goes to the RP."""
    client = relying_party(servers, PHOTOPRINT, PHOTOPRINT_REDIRECT, PHOTOPRINT_SECRET)
    login = authentication_request(
        client, PHOTOPRINT_REDIRECT, ["openid"], prompt="none"
    )
    answer = alice.open(login.url)
    assert answer.status_code == 302, answer.text[:300]
    error = client.parse_response(
        AuthorizationResponse,
        info=urlsplit(answer.headers["Location"]).query,
        sformat="urlencoded",
    )
    assert isinstance(error, ErrorResponse)
    assert error["error"] == "login_required"
    assert error["state"] == login.state


def test_prompt_none_without_consent_answers_consent_required(
    servers: Served, alice: ResourceOwner
) -> None:
    """OIDC Core 3.1.2.1: with prompt=none the AS MUST NOT display any consent
    page; signed in but without this client's consent it redirects with
    `consent_required` (or `interaction_required`, 3.1.2.6)."""
    photoprint = relying_party(
        servers, PHOTOPRINT, PHOTOPRINT_REDIRECT, PHOTOPRINT_SECRET
    )
    first = authentication_request(photoprint, PHOTOPRINT_REDIRECT, ["openid"])
    callback(photoprint, first, alice.authorize(first.url))  # alice signed in

    spa = relying_party(servers, SPA, SPA_REDIRECT)
    login = authentication_request(spa, SPA_REDIRECT, ["openid"], prompt="none")
    answer = alice.open(login.url)
    assert answer.status_code == 302, (
        f"prompt=none answered {answer.status_code} with a page "
        f"(consent form: {'consent-form' in answer.text}) instead of a redirect"
    )
    error = spa.parse_response(
        AuthorizationResponse,
        info=urlsplit(answer.headers["Location"]).query,
        sformat="urlencoded",
    )
    assert isinstance(error, ErrorResponse), error.to_dict()
    assert error["error"] in {"consent_required", "interaction_required"}
    assert error["state"] == login.state


def sign_in_then_wait_two_seconds(client: Client, owner: ResourceOwner) -> int:
    """Sign in (and approve); a time no earlier than the sign-in, in whole
    seconds, and at least two seconds before the return (auth_time is whole
    seconds, so more than one second has surely passed since it)."""
    first = authentication_request(client, PHOTOPRINT_REDIRECT, ["openid"])
    callback(client, first, owner.authorize(first.url))
    signed_in_by = int(time.time())
    while int(time.time()) < signed_in_by + 2:
        time.sleep(0.05)
    return signed_in_by


def test_auth_time_is_when_the_user_signed_in_not_when_the_code_was_issued(
    servers: Served, alice: ResourceOwner
) -> None:
    """OIDC Core 2: auth_time is the time the End-User authentication occurred.
    A second request in the same browser session needs no sign-in (single
    sign-on); its id_token, if it has auth_time, names the first sign-in."""
    client = relying_party(servers, PHOTOPRINT, PHOTOPRINT_REDIRECT, PHOTOPRINT_SECRET)
    signed_in_by = sign_in_then_wait_two_seconds(client, alice)

    login = authentication_request(client, PHOTOPRINT_REDIRECT, ["openid"])
    response = callback(client, login, alice.authorize(login.url))
    assert alice.forms_filled == []  # signed in, consent remembered
    id_token = redeem(client, login, response)["id_token"]
    if "auth_time" in id_token:  # optional without max_age (OIDC Core 2)
        assert id_token["auth_time"] <= signed_in_by, (
            f"auth_time {id_token['auth_time']} is after the sign-in "
            f"(by {signed_in_by}): it is when the token was made"
        )


def test_max_age_exceeded_means_a_fresh_sign_in(
    servers: Served, alice: ResourceOwner
) -> None:
    """OIDC Core 3.1.2.1: past max_age the AS MUST actively re-authenticate the
    End-User, and the id_token MUST then carry auth_time, which pyoidc checks
    against max_age (`verify_id_token`)."""
    client = relying_party(servers, PHOTOPRINT, PHOTOPRINT_REDIRECT, PHOTOPRINT_SECRET)
    signed_in_by = sign_in_then_wait_two_seconds(client, alice)

    login = authentication_request(client, PHOTOPRINT_REDIRECT, ["openid"], max_age=1)
    response = callback(client, login, alice.authorize(login.url))
    assert alice.forms_filled == ["login-form"], (
        "max_age exceeded, yet the AS issued a code without asking alice to sign "
        f"in again (forms filled: {alice.forms_filled})"
    )
    tokens = redeem(client, login, response)  # pyoidc: auth_time + max_age
    assert tokens["id_token"]["auth_time"] >= signed_in_by + 2


def test_private_key_jwt_assertion_is_accepted_once(
    servers: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFC 7523 2.2 client authentication: pyoidc (pyjwkest) signs the assertion
    with the key file from the banner; requests-oauthlib sends it. RFC 7523 3
    item 7: the AS may refuse a replayed jti; this one does."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # loopback only
    client = Client(client_id=SERVICE, settings=OicClientSettings(timeout=HTTP_TIMEOUT))
    client.provider_config(servers.issuer)
    token_endpoint = client.provider_info["token_endpoint"]
    key = RSAKey(key=import_rsa_key_from_file(str(servers.key_file)), use="sig")
    assertion = assertion_jwt(client, [key], token_endpoint, "RS256")

    def client_credentials() -> dict[str, Any]:
        session = OAuth2Session(client=BackendApplicationClient(client_id=SERVICE))
        return session.fetch_token(
            token_endpoint,
            scope=["photos.read"],
            client_assertion=assertion,
            client_assertion_type=JWT_BEARER,
            include_client_id=True,
            timeout=HTTP_TIMEOUT,
        )

    token = client_credentials()
    assert token["scope"] == ["photos.read"]
    with pytest.raises(InvalidClientError) as replayed:
        client_credentials()
    assert replayed.value.status_code == 401
