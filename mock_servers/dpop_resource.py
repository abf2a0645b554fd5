"""DPoP at the photos API (RFC 9449 7): a DPoP-bound access token is good only
with a proof, made for this very request, by the key the token is bound to.

`check` runs after the token itself was validated (signature, audience,
expiry: `token_validation`) and answers with the `WWW-Authenticate: DPoP`
challenges of RFC 9449 7.1 and 9, or None when the request may proceed.
`rs.accept_bearer_for_dpop_bound` is read here only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, jsonify, request

from .dpop import NONCE_HEADER, NonceRequired, ProofRejected, header_values
from .events import Event

if TYPE_CHECKING:
    from .settings import ResourceServerSettings
    from .token_validation import AccessToken

SCHEME = "DPoP"


def bound_key(token: AccessToken) -> str | None:
    """RFC 9449 6.1 / 6.2: the `jkt` of `cnf`, in the JWT or from introspection."""
    confirmation = token.claims.get("cnf")
    if isinstance(confirmation, dict) and isinstance(confirmation.get("jkt"), str):
        return confirmation["jkt"]
    return None


def challenge(
    realm: str,
    algorithms: tuple[str, ...],
    error: str | None = None,
    description: str | None = None,
) -> str:
    """RFC 9449 7.1: the DPoP scheme's challenge, with the RFC 6750 parameters
    and `algs`, "a space-delimited list of the JWS alg values ... that the
    resource server supports" for proofs."""
    params = [f'realm="{realm}"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{_quotable(description)}"')
    params.append(f'algs="{" ".join(algorithms)}"')
    return f"{SCHEME} " + ", ".join(params)


def refusal(
    status: int,
    www_authenticate: str,
    error: str,
    description: str,
    extra_headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["WWW-Authenticate"] = www_authenticate
    response.headers["Cache-Control"] = "no-store"
    for name, value in extra_headers:
        response.headers[name] = value
    return response


def check(
    settings: ResourceServerSettings,
    realm: str,
    scheme: str,
    token_string: str,
    token: AccessToken,
) -> Response | None:
    """The DPoP rules for one protected resource request."""
    checker = settings.dpop
    assert checker is not None
    algs = checker.algorithms
    jkt = bound_key(token)

    def record(name: str, detail: str) -> None:
        settings.events.record(
            Event(
                settings.clock.now(),
                name,
                "resource server",
                token.claims.get("client_id"),
                token.claims.get("sub"),
                detail,
            )
        )

    if scheme.lower() == "bearer":
        if jkt is None:
            return None  # a bearer token, sent as one (RFC 6750)
        if "rs.accept_bearer_for_dpop_bound" in settings.weaknesses:
            # The weakness: the API reads `Authorization: Bearer`, finds a
            # good token, and never looks at cnf.
            record("dpop_bound_token.accepted_as_bearer", "no proof asked")
            return None
        # RFC 9449 7.2: a protected resource supporting both schemes "MUST
        # reject a DPoP-bound access token received as a bearer token".
        description = (
            "The access token is DPoP-bound (cnf.jkt): send it with "
            "'Authorization: DPoP' and a DPoP proof, not as a bearer token."
        )
        record("access_token.rejected", description)
        return refusal(
            401,
            f'Bearer realm="{realm}", error="invalid_token", '
            f'error_description="{description}"',
            "invalid_token",
            description,
        )
    if jkt is None:
        description = "The access token is not DPoP-bound: send it as a Bearer token."
        record("access_token.rejected", description)
        return refusal(
            401,
            challenge(realm, algs, "invalid_token", description),
            "invalid_token",
            description,
        )
    try:
        # RFC 9449 7.1: "check that a DPoP proof was also received in the DPoP
        # header field of the HTTP request, check the DPoP proof according to
        # the rules in Section 4.3".
        proof_jkt = proof_key(settings, token_string)
    except NonceRequired as needed:
        # RFC 9449 9: 401 with error="use_dpop_nonce" and the DPoP-Nonce header.
        record("dpop_proof.rejected", needed.reason)
        return refusal(
            401,
            challenge(realm, algs, "use_dpop_nonce", needed.reason),
            "use_dpop_nonce",
            needed.reason,
            ((NONCE_HEADER, needed.nonce),),
        )
    except ProofRejected as rejected:
        record("dpop_proof.rejected", rejected.reason)
        return refusal(
            401,
            challenge(realm, algs, "invalid_dpop_proof", rejected.reason),
            "invalid_dpop_proof",
            rejected.reason,
        )
    if proof_jkt is None:
        description = "A DPoP-bound access token needs a DPoP proof in the DPoP header."
        record("dpop_proof.rejected", description)
        return refusal(
            401,
            challenge(realm, algs, "invalid_dpop_proof", description),
            "invalid_dpop_proof",
            description,
        )
    if proof_jkt != jkt:
        # RFC 9449 7.1: "check that the public key of the DPoP proof matches
        # the public key to which the access token is bound" (its example
        # answers error="invalid_token", "Invalid DPoP key binding").
        description = (
            f"The DPoP proof is signed by key {proof_jkt}, but the token is "
            f"bound to key {jkt} (cnf.jkt)."
        )
        record("access_token.rejected", description)
        return refusal(
            401,
            challenge(realm, algs, "invalid_token", description),
            "invalid_token",
            description,
        )
    return None


def proof_key(settings: ResourceServerSettings, token_string: str) -> str | None:
    """RFC 9449 4.3 for the request at hand: the RFC 7638 thumbprint of the
    proof's key, None without a proof; raises ProofRejected. The settings'
    `dpop_proof_check`, when the world installed one (an exercise's student
    code), stands in for the checker's rules; it sees the URL with its query,
    which 4.3 item 9 says to ignore."""
    proofs = header_values(request.headers)
    installed = settings.dpop_proof_check
    if installed is not None:
        return installed(proofs, request.method, request.url, token_string)
    assert settings.dpop is not None
    proof = settings.dpop.check(
        proofs, request.method, request.base_url, access_token=token_string
    )
    return proof.jkt if proof is not None else None


def _quotable(text: str) -> str:
    """RFC 6749 5.2 / RFC 6750 3: error_description is printable ASCII
    without the double quote or backslash."""
    cleaned = text.replace('"', "'").replace("\\", "/")
    return "".join(ch if 0x20 <= ord(ch) <= 0x7E else "?" for ch in cleaned)
