"""What each JWT header field and claim means, in one sentence a newcomer follows.

Kept apart from the decoder: `jwt_decoder` says whether a token is good,
this module says what it says. Times are read against the world's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mock_servers.dpop import PROOF_TYP
from mock_servers.token_generators import ACCESS_TOKEN_TYPES
from playground.views.durations import duration, utc_time

# Claims only an OpenID Connect ID token carries (OIDC Core 2, 3.1.3.6).
ID_TOKEN_MARKERS = ("nonce", "at_hash", "c_hash")

KIND_ACCESS_TOKEN = "access token (RFC 9068)"
KIND_ID_TOKEN = "ID token (OpenID Connect)"
KIND_DPOP_PROOF = "DPoP proof (RFC 9449)"
KIND_JWT = "JWT"


@dataclass(frozen=True)
class ClaimExplanation:
    """One header field or claim, with a sentence a newcomer can follow."""

    name: str
    value: Any
    explanation: str


def token_kind(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """Say what the token is for, from two simple signs.

    typ at+jwt means an RFC 9068 access token, typ dpop+jwt a DPoP proof; a
    nonce, at_hash or c_hash claim means an OpenID Connect ID token; anything
    else is just a JWT.
    """
    if str(header.get("typ", "")).lower() in ACCESS_TOKEN_TYPES:
        return KIND_ACCESS_TOKEN
    if str(header.get("typ", "")).lower() == PROOF_TYP:
        return KIND_DPOP_PROOF
    if any(marker in claims for marker in ID_TOKEN_MARKERS):
        return KIND_ID_TOKEN
    return KIND_JWT


_HEADER_TEXT: Mapping[str, str] = MappingProxyType(
    {
        "kid": "Key ID: which key in the issuer's JWKS signed this token.",
        "cty": "Content type of the payload (RFC 7515 4.1.10).",
        "jku": (
            "URL of a JWKS; a verifier must never blindly fetch keys from a URL "
            "the token itself names (RFC 8725 3.10: only from allowed locations)."
        ),
        "x5c": "An X.509 certificate chain for the signing key.",
        "crit": "Header fields the verifier must understand, or refuse the token.",
        "jwk": (
            "The public key that signed this DPoP proof, carried in the proof "
            "itself (RFC 9449 4.2): the server verifies the signature with it, "
            "and its SHA-256 thumbprint (RFC 7638) is the jkt a DPoP-bound token "
            "names in cnf. It must never hold the private key."
        ),
    }
)

# What the claims of a DPoP proof mean (RFC 9449 4.2); a proof's jti, iat and
# nonce mean something else than the same names in other JWTs.
_PROOF_CLAIM_TEXT: Mapping[str, str] = MappingProxyType(
    {
        "htm": (
            "HTTP method of the one request this proof goes with (RFC 9449 4.2); "
            "a server refuses the proof with any other method."
        ),
        "htu": (
            "HTTP target URI of that request, without query and fragment (RFC "
            "9449 4.2): the proof is good at this URL only."
        ),
        "ath": (
            "Hash of the access token sent with the proof: base64url SHA-256 of "
            "the token (RFC 9449 4.2). It ties the proof to that token, so a "
            "proof made for another token does not fit."
        ),
        "nonce": (
            "A value the server handed out in its DPoP-Nonce header (RFC 9449 8, "
            "9): proves the proof was made after the server asked, so proofs "
            "cannot be made ahead of time."
        ),
        "jti": (
            "Unique id of this proof (RFC 9449 4.2): the server remembers the "
            "ones it accepted and refuses one it has seen, so a copied proof "
            "cannot be sent again (11.1)."
        ),
    }
)

_CLAIM_TEXT: Mapping[str, str] = MappingProxyType(
    {
        "jti": (
            "JWT ID, unique per token (RFC 7519 4.1.7). A one-time JWT (a "
            "client assertion) is refused when its jti repeats; an access token "
            "is presented many times, and its jti serves logs and revocation."
        ),
        "scope": (
            "What the client may do with this token "
            "(space-separated scopes, RFC 6749 3.3)."
        ),
        "nonce": (
            "Binds the ID token to the login request: the client checks it equals "
            "the nonce it sent, so a stolen ID token cannot be replayed."
        ),
        "at_hash": (
            "Hash of the access token issued alongside (left half of its SHA-256, "
            "base64url): ties the two tokens together."
        ),
        "c_hash": (
            "Hash of the authorization code issued alongside: ties the two together."
        ),
        "azp": "Authorized party: the client this ID token was issued to.",
        "name": "The resource owner's full name (OpenID Connect, profile scope).",
        "email": "The resource owner's email address (OpenID Connect, email scope).",
        "email_verified": (
            "The issuer's statement that it verified this email (OIDC Core 5.1); "
            "worth only as much as that issuer is trusted for the address "
            "(attack 15c)."
        ),
        "preferred_username": "The name the resource owner likes to be called.",
        "sid": "Session ID at the authorization server, used for logout.",
        "acr": "How strongly the resource owner was authenticated.",
        "amr": "How the resource owner was authenticated (password, otp, ...).",
        "cnf": "Confirmation key: the token is bound to a key its holder must prove.",
        "may_act": (
            "Authorized actor (RFC 8693 4.4): the party allowed to become the "
            "actor for this subject in a token exchange; the authorization "
            "server checks the requester against it."
        ),
    }
)


def explain_header(name: str, value: Any, kind: str = KIND_JWT) -> ClaimExplanation:
    if name == "alg" and kind == KIND_DPOP_PROOF and isinstance(value, str):
        text = (
            f"{value}: signed with the client's DPoP private key; the server "
            "verifies it with the public key in jwk (RFC 9449 4.3 steps 5 and 6: "
            "an asymmetric algorithm, never none or an HMAC)."
        )
    elif name == "alg":
        text = _explain_alg(value)
    elif name == "typ":
        if str(value).lower() in ACCESS_TOKEN_TYPES:
            text = "Type at+jwt: an OAuth access token in JWT form (RFC 9068)."
        elif str(value).lower() == PROOF_TYP:
            text = (
                "Type dpop+jwt: a DPoP proof (RFC 9449 4.2), made by the client "
                "for one HTTP request and signed with the client's own key."
            )
        elif str(value).upper() == "JWT":
            text = (
                "Type JWT: a general JSON Web Token (this issuer types its ID "
                "tokens so)."
            )
        else:
            text = "Type: tells the receiver what kind of JWT this is."
    else:
        text = _HEADER_TEXT.get(name, "A header field the playground does not explain.")
    return ClaimExplanation(name, value, text)


def _explain_alg(alg: Any) -> str:
    if not isinstance(alg, str) or alg.lower() == "none":
        return "UNSIGNED (alg none): no signature at all; anyone could have written it."
    if alg.startswith("HS"):
        return (
            f"{alg}: HMAC with a shared secret; whoever holds the secret can also "
            "mint tokens."
        )
    family = {"RS": "RSA", "PS": "RSA-PSS", "ES": "ECDSA", "Ed": "EdDSA"}.get(alg[:2])
    if family:
        return (
            f"{alg}: {family} signature; anyone can verify it with the issuer's "
            "public key, only the issuer can make it."
        )
    return f"{alg}: the signature algorithm."


def explain_claim(
    name: str, value: Any, claims: Mapping[str, Any], kind: str, now: int
) -> ClaimExplanation:
    if kind == KIND_DPOP_PROOF and name in _PROOF_CLAIM_TEXT:
        return ClaimExplanation(name, value, _PROOF_CLAIM_TEXT[name])
    if kind == KIND_DPOP_PROOF and name == "iat":
        return ClaimExplanation(name, value, _explain_proof_iat(value, now))
    explain = _CLAIM_EXPLAINERS.get(name)
    if explain is not None:
        text = explain(value, claims, kind, now)
    else:
        text = _CLAIM_TEXT.get(
            name,
            "A claim the playground does not know; its meaning is whatever "
            "the issuer says it is.",
        )
    return ClaimExplanation(name, value, text)


def _explain_proof_iat(value: Any, now: int) -> str:
    made = _time_explainer("Made at")(value, {}, KIND_DPOP_PROOF, now)
    return (
        f"{made} A proof has no exp: the server accepts it only for a short "
        "time after iat (RFC 9449 11.1; 60 s either side here)."
    )


def _explain_cnf(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
    if isinstance(value, Mapping) and "jkt" in value:
        return (
            "Confirmation (RFC 7800): jkt is the SHA-256 thumbprint (RFC 7638) of "
            "the client's DPoP key (RFC 9449 6.1). The token is bound to that "
            "key: the API takes it only with 'Authorization: DPoP' and a proof "
            "signed by that key, so a copy of the token alone is useless."
        )
    return "Confirmation key: the token is bound to a key its holder must prove."


def _explain_iss(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
    if _is_client_assertion(claims, kind):
        return (
            "Issuer: the client itself, which made and signed this assertion "
            "(RFC 7523 3)."
        )
    return "Issuer: the authorization server that issued and signed this token."


def _is_client_assertion(claims: Mapping[str, Any], kind: str) -> bool:
    """RFC 7523 3: iss and sub both the client id, no client_id claim, and
    neither an access token nor an ID token."""
    return (
        kind == KIND_JWT
        and "client_id" not in claims
        and claims.get("iss") is not None
        and claims.get("iss") == claims.get("sub")
    )


def _explain_sub(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
    if _is_client_assertion(claims, kind):
        return "Subject: the client itself (a client assertion, RFC 7523 3)."
    if value is not None and value == claims.get("client_id"):
        return (
            "Subject: the client itself (client credentials grant: "
            "no resource owner is involved)."
        )
    return "Subject: the resource owner (the user) this token is about."


def _explain_act(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
    actor = value.get("sub") if isinstance(value, Mapping) else None
    prior = value.get("act") if isinstance(value, Mapping) else None
    text = (
        f"Actor (RFC 8693 4.1): delegation happened; {actor!r} acts for the "
        f"subject {claims.get('sub')!r}, who stays the sub. A token exchange "
        "put it here. Access decisions consider the top-level claims and this "
        "current actor only"
    )
    if prior is not None:
        text += "; the nested act is an earlier actor, kept as history"
    return text + "."


def _explain_client_id(
    value: Any, claims: Mapping[str, Any], kind: str, now: int
) -> str:
    if "act" in claims:
        return (
            "The client that requested this token (RFC 8693 4.3): here the "
            "party that exchanged the subject's token for it."
        )
    return "The client the token was issued to (RFC 9068 2.2)."


def _explain_aud(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
    if kind == KIND_ID_TOKEN:
        return (
            "Audience: the client this ID token is for; any other party must refuse it."
        )
    if kind == KIND_ACCESS_TOKEN:
        if isinstance(value, list) and len(value) > 1:
            # RFC 8707 3: "the token is valid at more than one protected
            # resource and can be used by any one of those resources to
            # access any of the others".
            return (
                "Audiences: each of these APIs accepts it (the resources the "
                "client named with resource=, RFC 8707), so each of them could "
                "use it at the others."
            )
        return (
            "Audience: the resource server (API) that must accept it, the "
            "resource the client named with resource= (RFC 8707) or this "
            "server's default; others must refuse it."
        )
    return "Audience: who must accept this token; everyone else must refuse it."


def _explain_exp(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
    exp = _as_int(value)
    if exp is None:
        return "Expiry: should be a number of seconds since 1970, but is not."
    left = exp - now
    when = (
        f"expires in {duration(left)}" if left > 0 else f"expired {duration(-left)} ago"
    )
    return f"Expiry: {utc_time(exp)}, {when}."


def _time_explainer(label: str) -> Callable[[Any, Mapping[str, Any], str, int], str]:
    def explain(value: Any, claims: Mapping[str, Any], kind: str, now: int) -> str:
        moment = _as_int(value)
        if moment is None:
            return f"{label}: should be a number of seconds since 1970, but is not."
        offset = moment - now
        if offset == 0:
            relative = "now"
        elif offset < 0:
            relative = f"{duration(-offset)} ago"
        else:
            relative = f"in {duration(offset)}"
        return f"{label}: {utc_time(moment)} ({relative})."

    return explain


_CLAIM_EXPLAINERS: Mapping[str, Callable[[Any, Mapping[str, Any], str, int], str]] = (
    MappingProxyType(
        {
            "iss": _explain_iss,
            "cnf": _explain_cnf,
            "sub": _explain_sub,
            "aud": _explain_aud,
            "act": _explain_act,
            "client_id": _explain_client_id,
            "exp": _explain_exp,
            "iat": _time_explainer("Issued at"),
            "nbf": _time_explainer("Not valid before"),
            "auth_time": _time_explainer("When the resource owner logged in"),
        }
    )
)


def _as_int(value: Any) -> int | None:
    """A NumericDate (RFC 7519 2) as int, or None; bools are not numbers."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None
