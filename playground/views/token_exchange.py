"""A token exchange (RFC 8693), parameter by parameter.

The raw HTTP shows the request and the answer; this view says what each
RFC 8693 parameter means, so `subject_token_type`, `resource`, `actor_token`
or `issued_token_type` are not just long URNs. The tokens themselves are
decoded in the JWT panel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mock_servers.token_exchange import TOKEN_EXCHANGE
from playground.wire.exchange import Exchange

_REQUEST: Mapping[str, str] = MappingProxyType(
    {
        "grant_type": "The token exchange grant (RFC 8693 2.1).",
        "subject_token": (
            "The token of the party on whose behalf the request is made: the "
            "user's (RFC 8693 2.1, REQUIRED)."
        ),
        "subject_token_type": (
            "What the subject token is (RFC 8693 3): "
            "urn:ietf:params:oauth:token-type:access_token, an access token of "
            "this authorization server."
        ),
        "actor_token": (
            "A token of the acting party (RFC 8693 2.1, OPTIONAL): who will use "
            "the new token on the subject's behalf."
        ),
        "actor_token_type": "What the actor token is; required with one.",
        "resource": (
            "The URI of the service the new token is for (RFC 8693 2.1, RFC 8707): "
            "it becomes the token's aud."
        ),
        "audience": (
            "The logical name of the service the new token is for (RFC 8693 2.1)."
        ),
        "scope": (
            "The scopes wanted at that service; this server grants at most the "
            "subject token's, and what the client may ask there."
        ),
        "client_id": "The client, authenticating in the body (RFC 6749 2.3.1).",
        "client_secret": "Its secret (RFC 6749 2.3.1); Basic is preferred.",
        "client_assertion": "Its signed assertion (private_key_jwt, RFC 7523).",
        "client_assertion_type": "The kind of assertion (RFC 7523 2.2).",
        "requested_token_type": (
            "The kind of token wanted (RFC 8693 2.1); this server issues access tokens."
        ),
    }
)
_RESPONSE: Mapping[str, str] = MappingProxyType(
    {
        "access_token": (
            "The new token (RFC 8693 2.2.1: the name is historical; it need not "
            "be an access token). Its claims are in the JWT panel."
        ),
        "issued_token_type": (
            "The representation of the issued token (RFC 8693 2.2.1, REQUIRED): "
            "here an access token of this server."
        ),
        "token_type": (
            "How to use it (RFC 6749 7.1): Bearer, sent as 'Authorization: Bearer'."
        ),
        "expires_in": "Seconds it lives: minutes, never past the subject token.",
        "scope": "The scopes it carries (RFC 8693 2.2.1: required if not as asked).",
        "error": (
            "Why the exchange was refused (RFC 8693 2.2.2): invalid_request for a "
            "bad subject or actor token, invalid_target for a service the client "
            "may not ask for."
        ),
        "error_description": "The server's reason, for the developer.",
    }
)


@dataclass(frozen=True)
class ExchangeExplanation:
    """One token exchange request and its answer, each parameter explained."""

    where: str
    request: tuple[tuple[str, str, str], ...]
    response: tuple[tuple[str, str, str], ...]
    status: int


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def token_exchanges_in(exchanges: Sequence[Exchange]) -> list[ExchangeExplanation]:
    found = []
    for exchange in exchanges:
        form = exchange.request.form
        if form.get("grant_type") != TOKEN_EXCHANGE:
            continue
        try:
            body = json.loads(exchange.response.body)
        except ValueError:
            body = {}
        found.append(
            ExchangeExplanation(
                where=f"{exchange.sender} -> {exchange.receiver}: POST /token",
                request=tuple(
                    (name, value, _REQUEST.get(name, "Not an RFC 8693 parameter."))
                    for name, value in form.items()
                ),
                response=tuple(
                    (name, _shown(value), _RESPONSE.get(name, ""))
                    for name, value in (body.items() if isinstance(body, dict) else ())
                ),
                status=exchange.response.status,
            )
        )
    return found
