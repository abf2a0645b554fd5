"""DPoP (RFC 9449): access tokens bound to a key the client holds.

At the token endpoint a client may send a DPoP proof, a JWT it signs with
its own key; the authorization server then binds the access token to that
key (`cnf.jkt`, the key's RFC 7638 thumbprint) and answers `token_type:
DPoP` (RFC 9449 5, 6.1). At the photos API such a token comes as
`Authorization: DPoP <token>` with a fresh proof for that very request; the
API checks the proof (RFC 9449 4.3, 7.1), that its key is the one the token
is bound to, and refuses the token as a plain bearer token (7.2).

Clients that send no proof get bearer tokens as before: nothing changes for
them. The proof check at the API may be replaced by another
(`ResourceServerSettings.dpop_proof_check`), as an exercise does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import MutableSet
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from flask import Flask, g, has_app_context, jsonify, request
from joserfc.jwk import JWKRegistry

from .events import Event

if TYPE_CHECKING:
    from .settings import ResourceServerSettings

# RFC 9449 4.3 item 5: an asymmetric algorithm, never "none" nor a MAC.
ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
PROOF_TYPE = "dpop+jwt"
# RFC 9449 4.3 item 11 and 11.1: a proof is accepted only within a short
# window around its iat (the server's choice): here two minutes old at most,
# and a minute ahead of this server's clock at most.
MAX_AGE = 120
MAX_AHEAD = 60


class InvalidDPoPProof(Exception):
    """The proof is not acceptable; the message says which check failed."""


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: the base64url SHA-256 of the key's required members."""
    return JWKRegistry.import_key(jwk).thumbprint()


def access_token_hash(access_token: str) -> str:
    """RFC 9449 4.2 `ath`: base64url of SHA-256 of the token's ASCII."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def target_uri(url: str) -> str:
    """RFC 9449 4.3 item 9: the request's URI without query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def verify_proof(
    proof: str | None,
    *,
    method: str,
    url: str,
    now: int,
    seen_jtis: MutableSet[str],
    access_token: str | None = None,
) -> str:
    """RFC 9449 4.3: check a DPoP proof for this request; returns the
    thumbprint of its key (RFC 7638), or raises InvalidDPoPProof."""
    if not proof:
        raise InvalidDPoPProof("No DPoP proof in the request.")
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError as error:
        raise InvalidDPoPProof(f"The DPoP proof is not a JWT: {error}") from None
    if header.get("typ") != PROOF_TYPE:
        raise InvalidDPoPProof(f"typ is {header.get('typ')!r}, not {PROOF_TYPE!r}.")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidDPoPProof(f"alg {alg!r} is not one of {', '.join(ALGORITHMS)}.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or any(k in jwk for k in ("d", "p", "q", "k")):
        raise InvalidDPoPProof("The proof's jwk must be a public key.")
    try:
        key = jwt.PyJWK(jwk, algorithm=alg)
        claims = jwt.decode(
            proof,
            key,
            algorithms=[alg],
            options={
                "require": ["jti", "htm", "htu", "iat"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as error:
        raise InvalidDPoPProof(f"{type(error).__name__}: {error}") from None
    if claims["htm"] != method:
        raise InvalidDPoPProof(f"htm is {claims['htm']!r}, not {method!r}.")
    if claims["htu"] != target_uri(url):
        raise InvalidDPoPProof(f"htu is {claims['htu']!r}, not {target_uri(url)!r}.")
    iat = claims["iat"]
    if not isinstance(iat, int | float) or not now - MAX_AGE <= iat <= now + MAX_AHEAD:
        raise InvalidDPoPProof(f"iat {iat} is outside the accepted window (now {now}).")
    if access_token is not None and claims.get("ath") != access_token_hash(
        access_token
    ):
        raise InvalidDPoPProof("ath is not the hash of the access token.")
    jti = str(claims["jti"])
    if jti in seen_jtis:
        raise InvalidDPoPProof("This proof's jti was used before (a replay).")
    seen_jtis.add(jti)
    return thumbprint(jwk)


# --- the authorization server ------------------------------------------------


def bind_token_request(url: str, now: int, seen_jtis: MutableSet[str]) -> Any:
    """At the token endpoint (RFC 9449 5): with a DPoP header, check the
    proof and remember its key for the tokens this request issues; an
    invalid proof is answered 400 invalid_dpop_proof. None: go on."""
    proofs = request.headers.getlist("DPoP")
    if not proofs:
        return None
    try:
        if len(proofs) > 1:
            raise InvalidDPoPProof("More than one DPoP header.")
        g.dpop_jkt = verify_proof(
            proofs[0], method="POST", url=url, now=now, seen_jtis=seen_jtis
        )
    except InvalidDPoPProof as error:
        body = {"error": "invalid_dpop_proof", "error_description": str(error)}
        return jsonify(body), 400
    return None


def bound_key() -> str | None:
    """The key thumbprint this token request's tokens are bound to, if any."""
    return g.get("dpop_jkt") if has_app_context() else None


# --- the resource server -------------------------------------------------------


def install(app: Flask, settings: ResourceServerSettings) -> None:
    """Check DPoP at the photos API before any route: a DPoP-bound token
    comes with `Authorization: DPoP` and a proof of its key; the route then
    sees it as a bearer token whose binding is proven."""
    seen: set[str] = set()

    def refuse(error: str, description: str, status: int = 401) -> Any:
        settings.events.record(
            Event(
                settings.clock.now(),
                "dpop.rejected",
                "resource server",
                None,
                None,
                description,
            )
        )
        challenge = (
            f'DPoP error="{error}", error_description="{_ascii(description)}", '
            f'algs="{" ".join(ALGORITHMS)}"'
        )
        body = {"error": error, "error_description": description}
        return jsonify(body), status, {"WWW-Authenticate": challenge}

    @app.before_request
    def check_dpop() -> Any:
        if request.method == "OPTIONS":
            return None
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and _bound_to(token) is not None:
            # RFC 9449 7.2: a DPoP-bound token is no bearer token.
            return refuse(
                "invalid_token", "A DPoP-bound access token sent as a bearer token."
            )
        if scheme.lower() != "dpop":
            return None
        proofs = request.headers.getlist("DPoP")
        check = settings.dpop_proof_check or verify_proof
        try:
            if len(proofs) > 1:
                raise InvalidDPoPProof("More than one DPoP header.")
            jkt = check(
                proofs[0] if proofs else None,
                method=request.method,
                url=request.url,
                now=settings.clock.now(),
                seen_jtis=seen,
                access_token=token,
            )
        except InvalidDPoPProof as error:
            return refuse("invalid_dpop_proof", str(error))
        bound = _bound_to(token)
        if bound is None or jkt != bound:
            # RFC 9449 7.1: the proof's key must be the token's.
            return refuse(
                "invalid_token",
                "The DPoP proof's key is not the key the access token is bound to.",
            )
        # The route validates the token itself, as any bearer token.
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return None


def _bound_to(token: str) -> str | None:
    """The `cnf.jkt` of a JWT access token, read before the route verifies
    the token's signature (a forged one is refused there)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def _ascii(text: str) -> str:
    return "".join(
        ch if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\' else "?" for ch in text
    )
