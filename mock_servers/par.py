"""Pushed authorization requests (RFC 9126).

The client sends its authorization request to `/par` on the back channel,
authenticated as at the token endpoint, and gets a `request_uri` back; the
browser then carries only `client_id` and that `request_uri` to `/authorize`.
The request never crosses the front channel where the user (or anything in
the browser) could read or change it, and the AS knows which client sent it.

A `request_uri` here is single use, short-lived by the world's clock and bound
to the client that pushed it. The pushed parameters are kept with the
`request_uri` among them, so every later step (sign-in, consent) validates the
same parameters the PAR endpoint validated.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import InvalidRequestURIError, RequestNotSupportedError
from flask import Response, jsonify, request

from .dpop import InvalidDPoPProofError, UseDPoPNonceError
from .dpop_binding import check_request_proof
from .grants import ALL_AUTH_METHODS
from .models import Client, PendingAuthorization

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

# RFC 9126 2.2: "urn:ietf:params:oauth:request_uri:" followed by a value the
# AS generates with "a cryptographically strong pseudorandom algorithm".
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# RFC 9126 2.2: the lifetime is the AS's to choose, "typically ... relatively
# short (e.g., between 5 and 600 seconds)"; FAPI 2.0 Security Profile
# 5.3.2.2: "expires_in values of less than 600 seconds". RFC 9126's example
# answers 60.
REQUEST_URI_LIFETIME = 60
# Parameters that authenticate the client at /par; not part of the request.
CLIENT_AUTH_PARAMS = ("client_secret", "client_assertion", "client_assertion_type")
MAX_PUSHED_REQUESTS = 1_000


@dataclass(frozen=True)
class PushedRequest:
    """An authorization request a client pushed, waiting for its browser."""

    request_uri: str
    client_id: str
    params: tuple[tuple[str, str], ...]
    expires_at: int


class PushedRequests:
    """One authorization server's pushed requests: bounded, thread-safe."""

    def __init__(self, max_entries: int = MAX_PUSHED_REQUESTS) -> None:
        self._requests: OrderedDict[str, PushedRequest] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def save(self, pushed: PushedRequest) -> None:
        with self._lock:
            self._requests[pushed.request_uri] = pushed
            while len(self._requests) > self.max_entries:
                self._requests.popitem(last=False)

    def take(self, request_uri: str, client_id: str | None, now: int) -> PushedRequest:
        """The pushed request, removed: RFC 9126 4, "Authorization servers
        SHOULD treat request_uri values as one-time use"."""
        with self._lock:
            pushed = self._requests.get(request_uri)
            if pushed is None:
                raise InvalidRequestURIError(
                    "The request_uri is unknown or was already used: a pushed "
                    "request is good for one authorization request (RFC 9126 4)."
                )
            if client_id != pushed.client_id:
                # RFC 9126 2.2: the request_uri is bound to the client that
                # pushed it; another client_id may not use it.
                raise InvalidRequestURIError(
                    "The request_uri was pushed by another client than "
                    f"client_id {client_id!r}."
                )
            del self._requests[request_uri]
            if now >= pushed.expires_at:
                # RFC 9126 4: an expired request_uri MUST be rejected as invalid.
                raise InvalidRequestURIError(
                    f"The request_uri expired at {pushed.expires_at} (now {now}); "
                    "push the request again."
                )
            return pushed

    def __len__(self) -> int:
        return len(self._requests)


def is_pushed_request_uri(value: str | None) -> bool:
    return bool(value) and str(value).startswith(REQUEST_URI_PREFIX)


def pushed_required(settings: AuthorizationServerSettings, client: Client) -> bool:
    """RFC 9126 5 and 6: `require_pushed_authorization_requests`, for the
    whole server or in one client's registration."""
    return settings.require_pushed_authorization_requests or bool(
        client.client_metadata.get("require_pushed_authorization_requests")
    )


def require_pushed(
    settings: AuthorizationServerSettings,
    client: Client | None,
    params: Mapping[str, str],
) -> None:
    """RFC 9126 4: where policy says PAR is "the only means for a client to
    pass authorization request data", the AS refuses "using the
    invalid_request error code, to process any request to the authorization
    endpoint that does not have a request_uri parameter with a value obtained
    from the PAR endpoint"."""
    if client is None or not pushed_required(settings, client):
        return
    if not is_pushed_request_uri(params.get("request_uri")):
        raise InvalidRequestError(
            f"The client {client.client_id} must push its authorization requests "
            "(require_pushed_authorization_requests, RFC 9126 4): send client_id "
            "and the request_uri from the PAR endpoint."
        )


def resolve(
    settings: AuthorizationServerSettings, params: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...] | None:
    """The parameters an authorization request stands for: for a `request_uri`
    from the PAR endpoint, the pushed ones (this server lets nothing else the
    browser brought count); None when it carries no such `request_uri`. Raises
    InvalidRequestURIError (OIDC Core 3.1.2.6: "The request_uri in the
    Authorization Request returns an error or contains invalid data")."""
    given = dict(params)
    request_uri = given.get("request_uri")
    if not is_pushed_request_uri(request_uri):
        return None
    assert request_uri is not None
    pushed = settings.pushed_requests.take(
        request_uri, given.get("client_id"), settings.clock.now()
    )
    return pushed.params


def _json_error(server: Any, error: OAuth2Error) -> Response:
    # RFC 9126 2.3: errors as the token endpoint's (RFC 6749 5.2), in JSON,
    # never a redirect: this is the back channel.
    error.redirect_uri = None
    error.state = None
    response = server.handle_error_response(None, error)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def pushed_authorization_response(
    server: Any, settings: AuthorizationServerSettings, kept_request: Any
) -> Response:
    """POST /par: authenticate, validate as /authorize would, answer 201."""
    oauth_request = server.create_oauth2_request(None)
    try:
        # RFC 9126 2: "the rules for client authentication as defined in
        # [RFC6749] for token endpoint requests ... apply".
        client: Client = server.authenticate_client(
            oauth_request, list(ALL_AUTH_METHODS), endpoint="par"
        )
        # RFC 9449 10.1: a DPoP proof here binds the code to its key.
        proof = check_request_proof(settings)
    except OAuth2Error as error:
        return _json_error(server, error)
    params = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in CLIENT_AUTH_PARAMS
    ]
    names = {name for name, _ in params}
    try:
        if "request_uri" in names:
            # RFC 9126 2.1: the AS "MUST reject the request if the
            # request_uri authorization request parameter is provided".
            raise InvalidRequestError(
                "A pushed authorization request may not carry request_uri."
            )
        if "request" in names:
            # RFC 9126 3 allows a request object here; this AS takes none
            # (request_parameter_supported: false).
            raise RequestNotSupportedError(
                "This server does not support the request parameter."
            )
        client_ids = {value for name, value in params if name == "client_id"}
        if client_ids - {client.client_id}:
            raise InvalidRequestError(
                f"client_id {', '.join(sorted(client_ids))} is not the client "
                f"that authenticated ({client.client_id})."
            )
        if not client_ids:
            params.append(("client_id", client.client_id))
        if proof is not None:
            sent_jkt = dict(params).get("dpop_jkt")
            if sent_jkt is not None and sent_jkt != proof.jkt:
                # RFC 9449 10.1: with both, the AS "MUST reject the request
                # if the JWK Thumbprint in dpop_jkt does not match".
                raise InvalidRequestError(
                    "dpop_jkt is not the thumbprint of the DPoP proof's key."
                )
            if sent_jkt is None:
                params.append(("dpop_jkt", proof.jkt))
        request_uri = REQUEST_URI_PREFIX + settings.randomness.token(24)
        params.append(("request_uri", request_uri))
        # RFC 9126 2.1: "validate the pushed request as it would an
        # authorization request sent to the authorization endpoint".
        now = settings.clock.now()
        pending = PendingAuthorization(id="", params=tuple(params), created_at=now)
        validated = kept_request(pending)
        validated.user = None
        grant = server.get_authorization_grant(validated)
        grant.validate_no_multiple_request_parameter(validated)
        grant.validate_authorization_request()
    except (OAuth2Error, InvalidDPoPProofError, UseDPoPNonceError) as error:
        server.record(
            "pushed_authorization_request.refused",
            client.client_id,
            None,
            error.get_error_description() or error.error,
        )
        return _json_error(server, error)
    lifetime = settings.pushed_request_lifetime
    settings.pushed_requests.save(
        PushedRequest(
            request_uri=request_uri,
            client_id=client.client_id,
            params=tuple(params),
            expires_at=now + lifetime,
        )
    )
    server.record(
        "pushed_authorization_request.accepted",
        client.client_id,
        None,
        f"request_uri good for {lifetime} s, once",
    )
    # RFC 9126 2.2: "201 Created" with request_uri and expires_in.
    response = jsonify({"request_uri": request_uri, "expires_in": lifetime})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-cache, no-store"
    return response
