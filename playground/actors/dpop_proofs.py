"""How a client (or Mallory) makes a DPoP proof (RFC 9449 4.2), with joserfc."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt

from mock_servers.dpop import PROOF_TYP, access_token_hash
from mock_servers.keys import SigningKey


def make_proof(
    key: SigningKey,
    method: str,
    url: str,
    *,
    jti: str,
    iat: int,
    access_token: str | None = None,
    nonce: str | None = None,
) -> str:
    """A DPoP proof for one request: `typ: dpop+jwt`, the public key in `jwk`,
    and the claims `jti`, `htm`, `htu` (without query and fragment), `iat`,
    plus `ath` with an access token and the server's `nonce` if it gave one."""
    parts = urlsplit(url)
    claims: dict[str, Any] = {
        "jti": jti,
        "htm": method,
        "htu": f"{parts.scheme}://{parts.netloc}{parts.path}",
        "iat": iat,
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["ath"] = access_token_hash(access_token)
    header = {"typ": PROOF_TYP, "alg": key.alg, "jwk": key.bare_public_jwk()}
    return jwt.encode(header, claims, key.jwk)
