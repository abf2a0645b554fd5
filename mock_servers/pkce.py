"""PKCE (RFC 7636) as the authorization server enforces it.

Authlib's `CodeChallenge` does the hashing and comparison; this subclass only
decides policy: which methods are accepted and who must use PKCE, which is
where the `as.pkce_optional`, `as.allow_plain_pkce` and `as.pkce_downgrade`
weaknesses are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge as _CodeChallenge
from authlib.oauth2.rfc7636 import create_s256_code_challenge

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

__all__ = [
    "MISSING_CHALLENGE_CONFIDENTIAL",
    "MISSING_CHALLENGE_PUBLIC",
    "UNSUPPORTED_METHOD",
    "CodeChallenge",
    "create_s256_code_challenge",
]

# The error descriptions of a refused authorization request (RFC 7636 4.4.1:
# `invalid_request`). RFC 9700 2.1.1 requires PKCE of public clients and
# recommends it for confidential ones; that this server requires it of every
# client, and accepts S256 only, is its own policy, and the texts say so.
MISSING_CHALLENGE_PUBLIC = (
    "Missing 'code_challenge': public clients must use PKCE (RFC 9700 2.1.1)."
)
MISSING_CHALLENGE_CONFIDENTIAL = (
    "Missing 'code_challenge': this server requires PKCE of every client "
    "(RFC 9700 2.1.1 requires it of public clients and recommends it for "
    "confidential ones)."
)
UNSUPPORTED_METHOD = (
    "Unsupported 'code_challenge_method': this server accepts only S256 "
    "(RFC 7636 4.4.1; RFC 9700 2.1.1 asks clients to use S256)."
)


class CodeChallenge(_CodeChallenge):
    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(required=True)
        self.settings = settings

    @property
    def SUPPORTED_CODE_CHALLENGE_METHOD(self) -> list[str]:
        return self.supported_methods()

    def supported_methods(self) -> list[str]:
        # RFC 9700 2.1.1: clients SHOULD use S256; "plain" only shields against
        # a code leaking, not against the authorization request being read.
        if "as.allow_plain_pkce" in self.settings.weaknesses:
            return ["plain", "S256"]
        return ["S256"]

    def pkce_optional(self) -> bool:
        return "as.pkce_optional" in self.settings.weaknesses

    def pkce_required_for(self, client: Any) -> bool:
        if self.pkce_optional():
            return False
        return client.is_public or self.settings.require_pkce_for_all_clients

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        method = data.get("code_challenge_method")
        if not challenge and not method:
            client = grant.request.client
            if self.pkce_required_for(client):
                raise InvalidRequestError(
                    MISSING_CHALLENGE_PUBLIC
                    if client.is_public
                    else MISSING_CHALLENGE_CONFIDENTIAL
                )
            return
        # RFC 7636 4.3: a missing method means "plain".
        if (method or "plain") not in self.supported_methods():
            # RFC 7636 4.4.1: a method the server does not support is
            # answered invalid_request.
            raise InvalidRequestError(UNSUPPORTED_METHOD)
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        request = grant.request
        verifier = request.form.get("code_verifier")
        challenged = self.get_authorization_code_challenge(request.authorization_code)
        if verifier and not challenged:
            if "as.pkce_downgrade" in self.settings.weaknesses:
                # The weakness, as RFC 9700 4.8.1 step 6 tells it: the code "is
                # not bound to any PKCE code challenge", so the server "will
                # not check the presence or contents of the code_verifier".
                return
            # RFC 9700 4.8.2: accept a code_verifier only if the authorization
            # request had a code_challenge, or a stripped challenge (PKCE
            # downgrade) would go unnoticed.
            raise InvalidGrantError(
                "A code_verifier was sent, but the authorization request had "
                "no code_challenge (RFC 9700 4.8.2)."
            )
        if not verifier:
            if self.pkce_optional():
                return  # the weakness: a challenged code redeemed without proof
            if self.pkce_required_for(request.client):
                raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)
