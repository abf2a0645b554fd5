"""How the resource server decides whether an access token is good.

Two ways, as RFC 9068 and RFC 7662 describe: validate the JWT locally against
the AS's published keys, or ask the AS (introspection). Each failure keeps
PyJWT's precise reason (RFC 8725 asks for strict checks; STYLE asks that a
learner see *which* check failed). The RS weaknesses are read here only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from .personal_access_tokens import looks_like_personal_access_token
from .settings import ResourceServerSettings
from .token_generators import ACCESS_TOKEN_TYPES

REQUIRED_CLAIMS = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")


class TokenRejected(Exception):
    """The token is not acceptable; `reason` names the check that failed."""

    def __init__(self, reason: str, check: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.check = check


@dataclass(frozen=True)
class AccessToken:
    """What the RS knows about a token it accepted."""

    claims: dict[str, Any]
    validated_by: str  # "jwt" or "introspection"

    @property
    def scope(self) -> set[str]:
        return set(str(self.claims.get("scope", "")).split())

    @property
    def subject(self) -> str | None:
        return self.claims.get("sub")


class JWTValidator:
    """Local validation of RFC 9068 JWT access tokens with PyJWT."""

    def __init__(self, settings: ResourceServerSettings) -> None:
        self.settings = settings

    def validate(self, token: str) -> AccessToken:
        weak = self.settings.weaknesses
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected(f"Malformed token: {error}", "format") from None
        alg = str(header.get("alg", ""))
        verify_signature = "rs.skip_signature_check" not in weak
        if alg.lower() == "none":
            if "rs.accept_alg_none" not in weak:
                raise TokenRejected(
                    "The token is unsigned (alg: none); accepted algorithms: "
                    + ", ".join(self.settings.algorithms),
                    "algorithm",
                )
            verify_signature = False
        if alg == "HS256" and "rs.allow_hs256_key_confusion" in weak:
            # The weakness: a library that takes "the key" and trusts the
            # token's alg verifies an HMAC keyed with the public key's PEM,
            # which anyone can download from /jwks.json. PyJWT refuses this.
            self._verify_hmac_with_public_key(token, header)
            verify_signature = False
        # RFC 9068 4: the RS MUST verify that the typ header is "at+jwt"; that
        # stops an ID token (or any other JWT of the same issuer) being used
        # as an access token. The header is not yet verified: any JSON value.
        typ = header.get("typ")
        if not isinstance(typ, str) or typ not in ACCESS_TOKEN_TYPES:
            raise TokenRejected(
                f"typ is {header.get('typ')!r}, not 'at+jwt': not an access token",
                "type",
            )
        key = self._key(header) if verify_signature else None
        try:
            claims = jwt.decode(
                token,
                key=key or "",
                algorithms=list(self.settings.algorithms),
                audience=self.settings.url,
                issuer=self.settings.issuer,
                options={
                    "verify_signature": verify_signature,
                    "verify_aud": "rs.skip_audience_check" not in weak,
                    "verify_iss": True,
                    # exp is judged against the world's clock below.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": list(REQUIRED_CLAIMS),
                },
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(
                f"{type(error).__name__}: {error}", _check_name(error)
            ) from None
        _check_claim_types(claims)
        if (
            "rs.skip_expiry_check" not in weak
            and self.settings.clock.now() >= (claims["exp"])
        ):
            raise TokenRejected(
                "ExpiredSignatureError: the token expired at exp "
                f"{claims['exp']} (now {self.settings.clock.now()})",
                "expiry",
            )
        return AccessToken(claims=claims, validated_by="jwt")

    def _verify_hmac_with_public_key(self, token: str, header: dict[str, Any]) -> None:
        keys = self._jwks(refresh=False).keys
        key = next((k for k in keys if k.key_id == header.get("kid")), None) or keys[0]
        public_pem = key.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signing_input, _, signature = token.rpartition(".")
        expected = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        try:
            sent = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        except ValueError:  # binascii.Error: not base64url
            raise TokenRejected(
                "DecodeError: the signature is not base64url", "format"
            ) from None
        if not hmac.compare_digest(expected, sent):
            raise TokenRejected(
                "InvalidSignatureError: HMAC does not match", "signature"
            )

    def _key(self, header: dict[str, Any]) -> jwt.PyJWK:
        kid = header.get("kid")
        for attempt in range(2):
            jwks = self._jwks(refresh=attempt == 1)
            for key in jwks.keys:
                if key.key_id == kid:
                    return key
        raise TokenRejected(f"No key with kid {kid!r} in the issuer's JWKS", "key")

    def _jwks(self, refresh: bool) -> jwt.PyJWKSet:
        cache = self.settings.jwks_cache
        if refresh or "jwks" not in cache:
            try:
                response = self.settings.authorization_server.get("/jwks.json")
                response.raise_for_status()
                cache["jwks"] = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise TokenRejected(
                    f"The issuer's JWKS could not be fetched: {error}", "key"
                ) from None
        return jwt.PyJWKSet.from_dict(cache["jwks"])


class IntrospectionValidator:
    """Ask the AS whether the token is active (RFC 7662), every time."""

    def __init__(self, settings: ResourceServerSettings) -> None:
        self.settings = settings

    def validate(self, token: str) -> AccessToken:
        try:
            response = self.settings.authorization_server.post(
                "/introspect",
                data={"token": token, "token_type_hint": "access_token"},
                auth=(
                    self.settings.introspection_client_id,
                    self.settings.introspection_client_secret,
                ),
            )
        except httpx.HTTPError as error:
            raise TokenRejected(
                f"Introspection failed: {error}", "introspection"
            ) from None
        if response.status_code != 200:
            raise TokenRejected(
                f"Introspection answered {response.status_code}", "introspection"
            )
        try:
            claims = response.json()
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            raise TokenRejected(
                "Introspection answered something other than a JSON object",
                "introspection",
            )
        if not claims.get("active"):
            raise TokenRejected(
                "The authorization server says the token is not active "
                "(expired, revoked or unknown)",
                "introspection",
            )
        if claims.get("token_type") not in ("Bearer", "DPoP"):
            # RFC 6749 10.4: a refresh token goes to the AS only, never to an API.
            raise TokenRejected(
                f"The token is a {claims.get('token_type')}, not an access token",
                "type",
            )
        audience = claims.get("aud")
        if audience is None or self.settings.url not in _as_list(audience):
            raise TokenRejected(
                f"InvalidAudienceError: aud {audience!r} is not {self.settings.url}",
                "audience",
            )
        return AccessToken(claims=claims, validated_by="introspection")


def _check_claim_types(claims: dict[str, Any]) -> None:
    """RFC 7519 4.1 and RFC 9068 2.2: each claim the API reads has a type.

    PyJWT checks types only while it verifies the signature; a weakness that
    skips the signature (alg none, no check) must not let a list or a string
    where a number belongs reach the API's code.
    """
    for name in ("exp", "iat"):
        # RFC 7519 2: NumericDate is a JSON number (Python's json also reads
        # NaN and Infinity, which are not).
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TokenRejected(f"InvalidClaimError: {name} is not a number", "claims")
        if isinstance(value, float) and not math.isfinite(value):
            raise TokenRejected(f"InvalidClaimError: {name} is not a number", "claims")
    for name in ("sub", "client_id", "jti", "iss"):
        if not isinstance(claims[name], str):
            raise TokenRejected(f"InvalidClaimError: {name} is not a string", "claims")
    if not isinstance(claims.get("scope", ""), str):
        # RFC 9068 2.2.3: scope is a space-delimited string (RFC 8693 4.2).
        raise TokenRejected("InvalidClaimError: scope is not a string", "claims")


class InstalledValidator:
    """The check the world installed (`settings.token_check`)."""

    def __init__(self, check: Callable[[str], AccessToken]) -> None:
        self.check = check

    def validate(self, token: str) -> AccessToken:
        return self.check(token)


def validator_for(
    settings: ResourceServerSettings, token: str = ""
) -> JWTValidator | IntrospectionValidator | InstalledValidator:
    """How to check this token. An installed check (an exercise's) judges
    every token. A personal access token is opaque, and its prefix says so:
    only its issuer can tell whether it is good, so it is otherwise always
    introspected (RFC 7662), whatever the API does with JWTs."""
    if settings.token_check is not None:
        return InstalledValidator(settings.token_check)
    if settings.validation == "introspection" or looks_like_personal_access_token(
        token
    ):
        return IntrospectionValidator(settings)
    return JWTValidator(settings)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check_name(error: jwt.PyJWTError) -> str:
    names = {
        jwt.InvalidSignatureError: "signature",
        jwt.InvalidAudienceError: "audience",
        jwt.InvalidIssuerError: "issuer",
        jwt.InvalidAlgorithmError: "algorithm",
        jwt.MissingRequiredClaimError: "claims",
        jwt.DecodeError: "format",
    }
    for kind, name in names.items():
        if isinstance(error, kind):
            return name
    return "token"
