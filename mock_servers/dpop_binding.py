"""DPoP at the authorization server: which key a token, a code or a refresh
token is bound to (RFC 9449 5, 6 and 10).

The token endpoint checks the request's proof before Authlib sees the request
(`token_response`). Authlib's grants and token generator are not handed the
HTTP request, so the proof that passed is kept for the rest of this one
request in Flask's request-scoped `g` (`proof_of_this_request`): the grant
checks a code's `dpop_jkt` and a public client's refresh token against it, the
generator writes its thumbprint into `cnf.jkt`, and `save_token` records it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from flask import Response, g, request

from .dpop import (
    NONCE_HEADER,
    DPoPProof,
    InvalidDPoPProofError,
    NonceRequired,
    ProofRejected,
    UseDPoPNonceError,
    header_values,
)

if TYPE_CHECKING:
    from .models import Client
    from .settings import AuthorizationServerSettings

TOKEN_TYPE = "DPoP"


def proof_of_this_request() -> DPoPProof | None:
    """The DPoP proof the token endpoint accepted for the request at hand."""
    return g.get("dpop_proof")


def check_request_proof(settings: AuthorizationServerSettings) -> DPoPProof | None:
    """Check the DPoP header of the request at hand (token or PAR endpoint);
    raise the OAuth error RFC 9449 5 and 8 give for a bad one."""
    try:
        return settings.dpop.check(
            header_values(request.headers), request.method, request.base_url
        )
    except NonceRequired as needed:
        raise UseDPoPNonceError(needed.reason, needed.nonce) from None
    except ProofRejected as rejected:
        raise InvalidDPoPProofError(description=rejected.reason) from None


def token_response(server: Any, settings: AuthorizationServerSettings) -> Response:
    """The token endpoint: the proof first (RFC 9449 5), then Authlib's grant."""
    try:
        proof = check_request_proof(settings)
    except (InvalidDPoPProofError, UseDPoPNonceError) as error:
        server.record(
            "dpop_proof.rejected", request.form.get("client_id"), None, error.error
        )
        response = server.handle_error_response(None, error)
        return _no_store(response)
    g.dpop_proof = proof
    response = server.create_token_response()
    if proof is not None and settings.dpop.nonce_required:
        # RFC 9449 8.2: the server may hand out the next nonce with any answer.
        response.headers[NONCE_HEADER] = settings.dpop.nonce()
    return response


def _no_store(response: Response) -> Response:
    # RFC 6749 5.1/5.2: token endpoint answers are not cached.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Pragma", "no-cache")
    return response


def requires_dpop(client: Client) -> bool:
    """RFC 9449 5.2: `dpop_bound_access_tokens` "specifying whether the client
    always uses DPoP for token requests. If true, the authorization server MUST
    reject token requests from this client that do not contain the DPoP
    header." """
    return bool(client.client_metadata.get("dpop_bound_access_tokens"))


def check_client_uses_dpop(client: Client) -> None:
    if requires_dpop(client) and proof_of_this_request() is None:
        raise InvalidRequestError(
            f"The client {client.client_id} is registered with "
            "dpop_bound_access_tokens: its token requests must carry a DPoP proof "
            "(RFC 9449 5.2)."
        )


def check_code_binding(dpop_jkt: str | None) -> None:
    """RFC 9449 10: a code requested with `dpop_jkt` (or a proof at the PAR
    endpoint, 10.1) is redeemed only with a proof made with that key."""
    if dpop_jkt is None:
        return
    proof = proof_of_this_request()
    if proof is None:
        raise InvalidGrantError(
            "The code is bound to a DPoP key (dpop_jkt); the token request must "
            "carry a DPoP proof made with it (RFC 9449 10)."
        )
    if proof.jkt != dpop_jkt:
        raise InvalidGrantError(
            "The DPoP proof's key is not the one the code is bound to (dpop_jkt, "
            "RFC 9449 10)."
        )


def check_refresh_binding(refresh_token_jkt: str | None) -> None:
    """RFC 9449 5: "Refresh tokens issued to public clients are bound to the
    DPoP public key": a refresh request must prove possession of that key."""
    if refresh_token_jkt is None:
        return
    proof = proof_of_this_request()
    if proof is None or proof.jkt != refresh_token_jkt:
        raise InvalidGrantError(
            "The refresh token is bound to a DPoP key; refresh with a DPoP proof "
            "made with that key (RFC 9449 5)."
        )


def confirmation_claim() -> dict[str, dict[str, str]]:
    """RFC 9449 6.1: `cnf` with the `jkt` of the proof's key, or nothing."""
    proof = proof_of_this_request()
    return {"cnf": {"jkt": proof.jkt}} if proof is not None else {}
