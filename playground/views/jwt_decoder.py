"""The JWT decoder: what a token says, and whether it verifies.

A learner pastes (or a lesson hands over) a token and sees its header and
claims, one plain sentence per field, and a verdict. PyJWT does the decoding
and the verification, so the verdict carries PyJWT's precise exception
(`ExpiredSignatureError`, `InvalidAudienceError`, ...) rather than "invalid
token". Two things PyJWT cannot do for us are done here, and only these:

* judge `exp`, `nbf` and `iat` against the world's clock (PyJWT reads the
  machine's), raising PyJWT's own exceptions with PyJWT's rules;
* show the parts of a broken token that still decode, which PyJWT's
  all-or-nothing parser does not return.

Nothing here raises on bad input: a view must show what went wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import jwt

from mock_servers.dpop import PROOF_TYP, public_key_thumbprint
from mock_servers.dpop import SIGNING_ALGORITHMS as DPOP_SIGNING_ALGORITHMS
from mock_servers.token_generators import ACCESS_TOKEN_TYPES
from playground.views.durations import duration, utc_time
from playground.views.jwt_explanations import (
    ClaimExplanation,
    explain_claim,
    explain_header,
    token_kind,
)

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")

VerificationStatus = Literal["valid", "invalid", "not checked"]


@dataclass(frozen=True)
class Verification:
    """The verdict; `exception` is the PyJWT exception class name on failure."""

    status: VerificationStatus
    reason: str
    exception: str | None = None


@dataclass(frozen=True)
class DecodedJwt:
    """Everything the view shows about one token.

    `ok` is False when the token could not be decoded; `error` then says why
    in one line, and the fields hold whatever parts did decode.
    `expires_in` is `exp - now` in seconds (negative once expired).
    """

    token: str
    ok: bool
    error: str | None
    header: dict[str, Any]
    claims: dict[str, Any]
    header_b64: str
    payload_b64: str
    signature_b64: str
    header_lines: tuple[ClaimExplanation, ...]
    claim_lines: tuple[ClaimExplanation, ...]
    kind: str
    verification: Verification
    now: int
    expires_in: int | None

    def time_to_expiry(self, now: int) -> int | None:
        """Seconds from `now` until `exp` (negative once expired); None without exp."""
        exp = _as_int(self.claims.get("exp"))
        return None if exp is None else exp - now


def decode(
    token: str,
    *,
    jwks: dict[str, Any] | None = None,
    audience: str | None = None,
    issuer: str | None = None,
    now: int | None = None,
    algorithms: Sequence[str] = ("RS256",),
) -> DecodedJwt:
    """Decode `token` for display and, given the issuer's `jwks`, verify it.

    `now` is the world's clock in epoch seconds (the machine's time if None):
    expiry is judged against it. `audience` and `issuer` are checked only
    when given; `algorithms` is the allow-list, never taken from the token
    (RFC 8725 3.1).
    """
    moment = int(time.time()) if now is None else int(now)
    text = _normalise(token)
    header, claims, error, exception = _parse(token, text)
    segments = text.split(".") if isinstance(text, str) else []
    kind = token_kind(header, claims)
    if error is not None:
        verification = Verification(
            "invalid", f"The token could not be decoded: {error}", exception
        )
    else:
        verification = _verify(
            text,
            header,
            claims,
            jwks=jwks,
            audience=audience,
            issuer=issuer,
            now=moment,
            algorithms=tuple(algorithms),
        )
    exp = _as_int(claims.get("exp"))
    return DecodedJwt(
        token=text if isinstance(text, str) else "",
        ok=error is None,
        error=error,
        header=header,
        claims=claims,
        header_b64=segments[0] if len(segments) > 0 else "",
        payload_b64=segments[1] if len(segments) > 1 else "",
        signature_b64=segments[2] if len(segments) > 2 else "",
        header_lines=tuple(
            explain_header(name, value, kind) for name, value in header.items()
        ),
        claim_lines=tuple(
            explain_claim(name, value, claims, kind, moment)
            for name, value in claims.items()
        ),
        kind=kind,
        verification=verification,
        now=moment,
        expires_in=None if exp is None else exp - moment,
    )


class Trust(Protocol):
    """What a world's tokens are judged against (see `World.token_trust`)."""

    jwks: dict[str, Any]
    issuer: str
    api_audience: str
    client_jwks: dict[str, dict[str, Any]]
    api_audiences: tuple[str, ...]


def verify_jwt(token: str, trust: Trust, *, at: int) -> DecodedJwt:
    """The one rule for judging a token in a world, shared by the lesson API,
    the lesson panels and the JWT workbench.

    The signature is checked against the authorization server's keys and
    `iss` against its issuer, as of `at` on the world's clock. `aud` is judged
    for access tokens only (typ at+jwt, RFC 9068 4): an ID token is for the
    client (OIDC Core 3.1.3.7) and a client assertion for the AS, so the API's
    audience is not theirs to carry. An access token is judged as the API it
    names would judge it (the print lab's, from a token exchange, by the
    print lab); one naming no API of the world, as the photos API would.
    """
    text = str(token).strip()
    try:
        header = jwt.get_unverified_header(text)
    except jwt.PyJWTError:
        header = {}
    typ = header.get("typ")
    if typ == PROOF_TYP:
        return _verify_dpop_proof(token, header, at)
    client_id = _assertion_client(token)
    if client_id in trust.client_jwks:
        # RFC 7523 3: a client assertion is signed with the client's own key
        # (registered with the AS) and addressed to the AS: its issuer
        # identifier (draft-ietf-oauth-rfc7523bis 4).
        return decode(
            token,
            jwks=trust.client_jwks[client_id],
            issuer=client_id,
            audience=trust.issuer,
            now=at,
            algorithms=("RS256", "ES256"),
        )
    audience = None
    if typ in ACCESS_TOKEN_TYPES:
        audience = trust.api_audience
        named = _unverified_audiences(text)
        for api in trust.api_audiences:
            if api in named:
                audience = api
                break
    return decode(
        token, jwks=trust.jwks, issuer=trust.issuer, audience=audience, now=at
    )


def _assertion_client(token: str) -> str | None:
    """The client a client assertion (RFC 7523 3: iss and sub both the client
    id, no client_id claim) comes from, or None for any other JWT."""
    try:
        claims = jwt.decode(str(token).strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    if (
        isinstance(issuer, str)
        and issuer == claims.get("sub")
        and ("client_id" not in claims)
    ):
        return issuer
    return None


def _verify_dpop_proof(token: str, header: dict[str, Any], at: int) -> DecodedJwt:
    """A DPoP proof is signed by the client's key, which the proof carries in
    its `jwk` header (RFC 9449 4.3 step 6): verified with that key, not the
    authorization server's. Whether it fits its request (htm, htu, iat, jti,
    ath, nonce) only the server that received it can tell."""
    jwk = header.get("jwk")
    jwks = {"keys": [jwk]} if isinstance(jwk, dict) else None
    decoded = decode(token, jwks=jwks, now=at, algorithms=DPOP_SIGNING_ALGORITHMS)
    if decoded.verification.status != "valid" or not isinstance(jwk, dict):
        return decoded
    thumbprint = public_key_thumbprint(jwk)
    return replace(
        decoded,
        verification=Verification(
            "valid",
            f"Signature verified ({header.get('alg')}) with the public key in "
            "the proof's own jwk header: its sender holds that key's private "
            f"half. Key thumbprint (jkt, RFC 7638): {thumbprint}. Whether htm, "
            "htu, iat, jti, ath and nonce fit the request is the receiving "
            "server's check: read its answer.",
        ),
    )


def _unverified_audiences(token: str) -> list[str]:
    """The aud values a token claims, read without trusting them: only to
    choose which API's rule to judge it by (the verification checks them)."""
    try:
        aud = jwt.decode(token, options={"verify_signature": False}).get("aud")
    except jwt.PyJWTError:
        return []
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [value for value in aud if isinstance(value, str)]
    return []


def format_text(decoded: DecodedJwt) -> str:
    """A plain-text rendering for the CLI: header, claims, signature, verdict."""
    lines = [decoded.kind if decoded.ok else f"Not a valid JWT: {decoded.error}"]
    for title, rows in (
        ("Header", decoded.header_lines),
        ("Claims", decoded.claim_lines),
    ):
        lines += ["", title]
        if not rows:
            lines.append("  (nothing decoded)")
        width = max((len(row.name) for row in rows), default=0)
        for row in rows:
            lines.append(f"  {row.name.ljust(width)}  {_show(row.value)}")
            lines.append(f"  {' ' * width}  {row.explanation}")
    signature = decoded.signature_b64
    lines += [
        "",
        "Signature",
        f"  {_shorten(signature) if signature else '(empty: the token is unsigned)'}",
        "",
        f"Verification: {decoded.verification.status.upper()}",
        f"  {decoded.verification.reason}",
    ]
    if decoded.verification.exception:
        lines.append(f"  PyJWT exception: {decoded.verification.exception}")
    return "\n".join(lines) + "\n"


# -- decoding ---------------------------------------------------------------


def _normalise(token: object) -> object:
    """Undo what copy and paste adds: whitespace, quotes, an `Authorization` scheme."""
    if isinstance(token, bytes):
        token = token.decode("utf-8", errors="replace")
    if not isinstance(token, str):
        return token
    text = token.strip().strip('"').strip()
    # RFC 6750 2.1: "Authorization: Bearer <token>"; the scheme is case-insensitive.
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    # RFC 9449 7.1: "Authorization: DPoP <token>".
    elif text[:5].lower() == "dpop ":
        text = text[5:].strip()
    return text


def _parse(
    original: object, text: object
) -> tuple[dict[str, Any], dict[str, Any], str | None, str | None]:
    """(header, claims, error, PyJWT exception name), letting PyJWT decide validity."""
    if not isinstance(text, str):
        return (
            {},
            {},
            f"Expected the token as text, got {type(original).__name__}.",
            None,
        )
    try:
        # No key: this reads the token; `_verify` is what checks it.
        complete = jwt.decode_complete(text, options={"verify_signature": False})
    except jwt.PyJWTError as failure:
        header, claims, problem = _salvage(text)
        return header, claims, problem or str(failure), type(failure).__name__
    return complete["header"], complete["payload"], None, None


def _salvage(text: str) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """Decode what parts we can of a token PyJWT refused, and say what is wrong.

    Only for display: nothing salvaged here is ever trusted or verified.
    """
    if not text:
        return {}, {}, "The token is empty: paste a JWT (header.payload.signature)."
    if text.startswith(("{", "[")):
        problem = (
            "This is JSON, not a JWT: a JWT is three base64url parts, "
            "header.payload.signature, separated by dots."
        )
        return {}, {}, problem
    segments = text.split(".")
    header, header_problem = _json_segment(segments[0], "part 1 (the header)")
    claims, claims_problem = {}, None
    if len(segments) > 1:
        claims, claims_problem = _json_segment(segments[1], "part 2 (the claims)")
    if len(segments) == 5:
        problem = (
            "This has five parts, the shape of an encrypted JWT (JWE, RFC 7516), "
            "which only its recipient can read; the playground shows signed JWTs."
        )
        return header, {}, problem
    if len(segments) != 3:
        problem = (
            "A JWT has three parts separated by dots (header.payload.signature); "
            f"this has {len(segments)}."
        )
        return header, claims, problem
    signature_problem = (
        None
        if _BASE64URL.fullmatch(segments[2])
        else "part 3 (the signature) is not base64url"
    )
    problem = header_problem or claims_problem or signature_problem
    if problem is None:
        return header, claims, None
    return header, claims, problem[0].upper() + problem[1:] + "."


def _json_segment(segment: str, name: str) -> tuple[dict[str, Any], str | None]:
    """A base64url-encoded JSON object (RFC 7515 2), or the reason it is not one."""
    if not _BASE64URL.fullmatch(segment):
        return {}, f"{name} is not base64url (only A-Z a-z 0-9 - _ may appear)"
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return {}, f"{name} is base64url but not JSON once decoded"
    if not isinstance(value, dict):
        return {}, f"{name} is JSON but not an object"
    return value, None


# -- verification -----------------------------------------------------------


def _verify(
    token: str,
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    jwks: dict[str, Any] | None,
    audience: str | None,
    issuer: str | None,
    now: int,
    algorithms: tuple[str, ...],
) -> Verification:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        return Verification(
            "invalid", _unsigned_reason(alg, algorithms), "InvalidAlgorithmError"
        )
    if jwks is None:
        return Verification(
            "not checked",
            "No JWKS given, so the signature was not checked: until it is, "
            "anyone could have written these claims.",
        )
    try:
        key = _signing_key(jwks, header)
        verified = jwt.decode(
            token,
            key,
            algorithms=list(algorithms),
            audience=audience,
            issuer=issuer,
            options={
                "verify_aud": audience is not None,
                # PyJWT reads the machine's clock; the world's clock is checked below.
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
        _check_times(verified, now)
    except jwt.PyJWTError as failure:
        reason = _failure_reason(
            failure, header, claims, audience, issuer, now, algorithms
        )
        return Verification("invalid", reason, type(failure).__name__)
    return Verification("valid", _valid_reason(header, verified, audience, issuer, now))


def _signing_key(jwks: object, header: Mapping[str, Any]) -> jwt.PyJWK:
    """The JWKS key named by the token's kid (RFC 7515 4.1.4)."""
    if not isinstance(jwks, dict):
        raise jwt.PyJWKSetError(
            f"The JWKS must be a JSON object, not {type(jwks).__name__}"
        )
    key_set = jwt.PyJWKSet.from_dict(jwks)
    kid = header.get("kid")
    if kid is None:
        # An ID token from Authlib carries no kid; with one key there is no doubt.
        if len(key_set.keys) == 1:
            return key_set.keys[0]
        raise jwt.PyJWKSetError(
            f"The token names no kid and the JWKS holds {len(key_set.keys)} keys, "
            "so there is no telling which one signed it."
        )
    for candidate in key_set.keys:
        if candidate.key_id == kid:
            return candidate
    known = ", ".join(repr(k.key_id) for k in key_set.keys)
    raise jwt.PyJWKSetError(
        f"No key with kid {kid!r} in the JWKS (it holds {known}): the token was "
        "signed with a key this issuer does not publish, or its keys have rotated."
    )


def _check_times(claims: Mapping[str, Any], now: int) -> None:
    """PyJWT's exp, nbf and iat rules (RFC 7519 4.1.4-4.1.6), on the world's clock."""
    iat = _numeric_claim(claims, "iat")
    if iat is not None and iat > now:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
    nbf = _numeric_claim(claims, "nbf")
    if nbf is not None and nbf > now:
        raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
    exp = _numeric_claim(claims, "exp")
    # RFC 7519 4.1.4: the current time MUST be before exp.
    if exp is not None and exp <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")


def _numeric_claim(claims: Mapping[str, Any], name: str) -> int | None:
    """The claim as an int; a non-number fails as it would in PyJWT, same words."""
    if name not in claims:
        return None
    value = _as_int(claims[name])
    if value is not None:
        return value
    if name == "iat":
        raise jwt.InvalidIssuedAtError("Issued At claim (iat) must be an integer.")
    if name == "nbf":
        raise jwt.DecodeError("Not Before claim (nbf) must be an integer.")
    raise jwt.DecodeError("Expiration Time claim (exp) must be an integer.")


def _unsigned_reason(alg: object, algorithms: Sequence[str]) -> str:
    if alg is None or alg == "":
        opening = (
            "The header names no alg, so nothing says how (or whether) it was signed"
        )
    else:
        opening = (
            f"alg is {alg!r}: the token is unsigned (its signature part is empty), "
            "so anyone could have written these claims"
        )
    if "none" in algorithms:
        return (
            opening
            + "; an unsigned token proves nothing, whatever the allow-list says."
        )
    allowed = ", ".join(algorithms)
    return opening + f". The allow-list [{allowed}] refuses it (RFC 8725 3.1)."


def _failure_reason(
    failure: jwt.PyJWTError,
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    audience: str | None,
    issuer: str | None,
    now: int,
    algorithms: Sequence[str],
) -> str:
    """A sentence for the learner, followed by PyJWT's own words."""
    said = str(failure)
    match failure:
        case jwt.InvalidSignatureError():
            text = (
                "The signature does not match: the header or claims were changed "
                "after signing, or a different key signed it than the JWKS key "
                f"with kid {header.get('kid')!r}."
            )
        case jwt.ExpiredSignatureError():
            exp = _as_int(claims.get("exp")) or 0
            text = (
                f"Expired at {utc_time(exp)}, {duration(now - exp)} before now "
                f"({utc_time(now)})."
            )
        case jwt.ImmatureSignatureError():
            name = "nbf" if "(nbf)" in said else "iat"
            start = _as_int(claims.get(name)) or 0
            text = (
                f"Not valid yet: {name} is {utc_time(start)}, "
                f"{duration(start - now)} after now ({utc_time(now)})."
            )
        case jwt.InvalidAudienceError():
            text = (
                f"aud is {claims.get('aud')!r} but this check expects {audience!r}: "
                "the token was issued for someone else, so it must be refused."
            )
        case jwt.InvalidIssuerError():
            text = (
                f"iss is {claims.get('iss')!r} but this check expects {issuer!r}: "
                "a different authorization server issued it."
            )
        case jwt.InvalidAlgorithmError() if header.get("alg") in algorithms:
            text = (
                f"alg is {header.get('alg')!r}, but the JWKS key with that kid is "
                "for another algorithm; a key is used with its own algorithm only."
            )
        case jwt.InvalidAlgorithmError():
            allowed = ", ".join(algorithms)
            text = (
                f"alg is {header.get('alg')!r}, not in the allow-list [{allowed}]. "
                "Letting the token choose its algorithm invites the key-confusion "
                "attack (an HMAC 'signed' with the public key; RFC 8725 2.1)."
            )
        case jwt.MissingRequiredClaimError():
            text = f"The token has no {failure.claim} claim, which this check needs."
        case jwt.PyJWKSetError() | jwt.PyJWKError():
            return said
        case _:
            text = "The token breaks a rule of RFC 7519 that PyJWT enforces."
    return f"{text} (PyJWT: {said})"


def _valid_reason(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    audience: str | None,
    issuer: str | None,
    now: int,
) -> str:
    checks = [f"signature verified ({header.get('alg')}, kid {header.get('kid')!r})"]
    checks.append(
        f"aud includes {audience!r}"
        if audience is not None
        else "aud not checked (no expected audience given)"
    )
    checks.append(
        f"iss is {issuer!r}"
        if issuer is not None
        else "iss not checked (no expected issuer)"
    )
    exp = _as_int(claims.get("exp"))
    checks.append(
        f"expires in {duration(exp - now)}"
        if exp is not None
        else "no exp: never expires"
    )
    return "; ".join(checks) + "."


# -- small helpers --------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    """A NumericDate (RFC 7519 2) as int, or None; bools are not numbers."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _shorten(text: str, keep: int = 24) -> str:
    return text if len(text) <= 2 * keep else f"{text[:keep]}...{text[-keep:]}"
