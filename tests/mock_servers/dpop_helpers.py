"""Real DPoP proofs and FAPI client requests for the server tests.

Proofs are signed with real keys by joserfc; `proof(...)` takes overrides so a
test can break exactly one rule of RFC 9449 4.3.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from mock_servers.deployment import ISSUER
from mock_servers.dpop import access_token_hash
from mock_servers.keys import SigningKey, generate_ec_signing_key
from tests.mock_servers.servers import (
    ASSERTION_TYPE,
    CHALLENGE,
    Servers,
    form_value,
    location_params,
)

FAPI_CLIENT = "photoprint-fapi"
FAPI_REDIRECT = "https://photoprint.test/fapi/callback"
OMIT = object()


def new_key() -> SigningKey:
    return generate_ec_signing_key()


def proof(
    key: SigningKey,
    method: str,
    url: str,
    now: int,
    *,
    access_token: str | None = None,
    header: dict[str, Any] | None = None,
    sign_with: Any = None,
    **claims: Any,
) -> str:
    """A DPoP proof; `claims` override (OMIT removes) the standard claims."""
    body: dict[str, Any] = {
        "jti": secrets.token_urlsafe(12),
        "htm": method,
        "htu": url,
        "iat": now,
    }
    if access_token is not None:
        body["ath"] = access_token_hash(access_token)
    for name, value in claims.items():
        if value is OMIT:
            body.pop(name, None)
        else:
            body[name] = value
    head = {"typ": "dpop+jwt", "alg": key.alg, "jwk": key.bare_public_jwk()}
    head.update(header or {})
    signing_key = sign_with if sign_with is not None else key.jwk
    algorithms = [head["alg"]] if head.get("alg") else None
    return jwt.encode(head, body, signing_key, algorithms=algorithms)


def hs256_proof(url: str, now: int) -> str:
    """A proof with a symmetric algorithm (RFC 9449 4.3 step 5 forbids it)."""
    secret = OctKey.import_key(secrets.token_bytes(32))
    head = {"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}
    body = {"jti": "x", "htm": "POST", "htu": url, "iat": now}
    return jwt.encode(head, body, secret, algorithms=["HS256"])


def private_jwk_proof(key: SigningKey, url: str, now: int) -> str:
    """A proof whose jwk header holds the private key too (4.3 step 7)."""
    private = ECKey.import_key(key.private_key).as_dict(private=True)
    return proof(key, "POST", url, now, header={"jwk": private})


def fapi_assertion(servers: Servers) -> dict[str, str]:
    """private_key_jwt for the FAPI client: ES256, aud the issuer."""
    key = servers.deployment.client_keys[FAPI_CLIENT]
    now = servers.deployment.clock.now()
    claims = {
        "iss": FAPI_CLIENT,
        "sub": FAPI_CLIENT,
        "aud": ISSUER,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(12),
    }
    assertion = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key.jwk)
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


def client(servers: Servers) -> httpx.Client:
    return servers.new_browser()


def fapi_push(
    servers: Servers,
    dpop_key: SigningKey | None = None,
    **params: str,
) -> httpx.Response:
    """PAR for the FAPI client, with a DPoP proof when `dpop_key` is given."""
    form = {
        "response_type": "code",
        "client_id": FAPI_CLIENT,
        "redirect_uri": FAPI_REDIRECT,
        "scope": "basic photos.read",
        "state": "fapi-state",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **params,
        **fapi_assertion(servers),
    }
    headers = {}
    if dpop_key is not None:
        now = servers.deployment.clock.now()
        headers["DPoP"] = proof(dpop_key, "POST", f"{ISSUER}/par", now)
    return client(servers).post("/par", data=form, headers=headers)


def approve_in_browser(servers: Servers, request_uri: str, client_id: str) -> str:
    """Alice signs in and approves the pushed request; the code that comes back."""
    browser = servers.auth
    query = urlencode({"client_id": client_id, "request_uri": request_uri})
    page = browser.get(f"/authorize?{query}")
    assert 'id="login"' in page.text, page.text
    signed_in = servers.sign_in(page)
    assert signed_in.status_code == 302, signed_in.text
    consent = browser.get(signed_in.headers["location"])
    answer = browser.post(
        "/consent",
        data={
            "interaction": form_value(consent.text, "interaction"),
            "csrf_token": form_value(consent.text, "csrf_token"),
            "decision": "approve",
        },
    )
    assert answer.status_code == 302, answer.text
    return location_params(answer)["code"]
