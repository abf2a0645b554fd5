"""FAPI 2.0 Security Profile 5.4.1: the JWTs of a FAPI client are signed with
"PS256, ES256, or EdDSA", never RS256. The FAPI client's access token and ID
token come signed ES256 with the authorization server's EC key, published at
/jwks.json beside the RSA key every other client's tokens are signed with; the
photos API verifies both, each by its kid."""

from __future__ import annotations

import jwt as pyjwt

from mock_servers.clock import Clock
from tests.mock_servers.dpop_helpers import (
    FAPI_CLIENT,
    FAPI_REDIRECT,
    approve_in_browser,
    fapi_assertion,
    fapi_push,
    new_key,
    proof,
)
from tests.mock_servers.servers import ISSUER, VERIFIER, make_servers

TOKEN_URL = f"{ISSUER}/token"
API = "https://api.photos.test"
START = 1_798_761_600


def fapi_tokens(servers, scope="basic photos.read"):
    """PAR, sign-in and approval, then the token request: the FAPI client's
    token response and its DPoP key."""
    key = new_key()
    pushed = fapi_push(servers, dpop_key=key, scope=scope)
    assert pushed.status_code == 201, pushed.text
    code = approve_in_browser(servers, pushed.json()["request_uri"], FAPI_CLIENT)
    now = servers.deployment.clock.now()
    response = servers.new_browser().post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": FAPI_REDIRECT,
            "code_verifier": VERIFIER,
            **fapi_assertion(servers),
        },
        headers={"DPoP": proof(key, "POST", TOKEN_URL, now)},
    )
    assert response.status_code == 200, response.text
    return response.json(), key


def published_key(servers, kid):
    jwks = servers.auth.get("/jwks.json").json()
    [key] = [k for k in jwks["keys"] if k["kid"] == kid]
    return key


def test_fapi_clients_access_token_is_signed_es256_and_the_api_takes_it():
    servers = make_servers(clock=Clock(frozen_at=START))
    body, key = fapi_tokens(servers)
    token = body["access_token"]
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt"
    ec = servers.deployment.as_settings.ec_signing_key
    assert header["kid"] == ec.kid
    published = published_key(servers, header["kid"])
    assert (published["kty"], published["crv"], published["alg"]) == (
        "EC",
        "P-256",
        "ES256",
    )
    claims = pyjwt.decode(
        token,
        pyjwt.PyJWK(published).key,
        algorithms=["ES256"],
        audience=API,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["client_id"] == FAPI_CLIENT
    # The photos API verifies it with the key its kid names.
    now = servers.deployment.clock.now()
    call = servers.api.get(
        "/api/photos",
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": proof(key, "GET", f"{API}/api/photos", now, access_token=token),
        },
    )
    assert call.status_code == 200, call.text


def test_other_clients_tokens_stay_rs256():
    servers = make_servers(clock=Clock(frozen_at=START))
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"},
        auth=("print-shop-service", "print-shop-secret"),
    )
    header = pyjwt.get_unverified_header(response.json()["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == servers.deployment.as_settings.signing_key.kid


def test_fapi_clients_id_token_is_signed_es256():
    # OIDC Dynamic Client Registration 2: id_token_signed_response_alg ES256.
    servers = make_servers(clock=Clock(frozen_at=START))
    body, _ = fapi_tokens(servers, scope="openid basic")
    header = pyjwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "ES256"
    published = published_key(servers, header["kid"])
    claims = pyjwt.decode(
        body["id_token"],
        pyjwt.PyJWK(published).key,
        algorithms=["ES256"],
        audience=FAPI_CLIENT,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == "u-1001"
