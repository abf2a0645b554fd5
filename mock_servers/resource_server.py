"""The resource server: the photos API, protected by bearer tokens (RFC 6750).

The error answers follow RFC 6750 3: no credentials -> 401 with a bare
`WWW-Authenticate: Bearer realm=...`; a malformed request -> 400
`invalid_request`; a bad token -> 401 `invalid_token`; a good token without
the scope -> 403 `insufficient_scope` naming the scope needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from flask import Flask, Response, jsonify, request

from . import cors, dpop_resource, print_orders
from .bearer import bearer_token
from .cors import BROWSER_EXPOSED_HEADERS, BROWSER_REQUEST_HEADERS, CorsPolicy
from .demo import USERS
from .error_text import quoted
from .events import Event
from .http_limits import MAX_BODY_BYTES, RequestLimits
from .protected_resource import (
    WELL_KNOWN_PATH,
    challenge_parameter,
    protected_resource_metadata,
)
from .settings import ResourceServerSettings
from .token_validation import AccessToken, TokenRejected, validator_for

REALM = "photos-api"
# The Authorization schemes that carry an access token here.
TOKEN_SCHEMES = ("bearer", "dpop")
SERVER_NAME = "resource server"

# (owner, id, title, taken): the photos each demo user keeps at the API.
PHOTOS: tuple[tuple[str, str, str, str], ...] = (
    ("u-1001", "p-1", "Tea party", "2026-05-04"),
    ("u-1001", "p-2", "Croquet lawn", "2026-06-12"),
    ("u-1002", "p-3", "Bridge build", "2026-07-01"),
)


def _error_response(error: OAuth2Error, headers: list[tuple[str, str]]) -> Response:
    response = jsonify(dict(error.get_body()))
    response.status_code = error.status_code
    for name, value in headers:
        response.headers[name] = value
    return response


def create_app(settings: ResourceServerSettings) -> Flask:
    """A new photos API; it shares nothing with any other."""
    app = Flask("resource_server")
    # A chunked body has no Content-Length for RequestLimits to read.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.wsgi_app = RequestLimits(app.wsgi_app)  # type: ignore[method-assign]
    users = {user.id: user for user in USERS}
    # A single-page app calls the API from its own origin (Fetch, CORS).
    api_policy = CorsPolicy(
        methods=("GET",),
        origins=settings.browser_origins,
        request_headers=BROWSER_REQUEST_HEADERS,
        exposed_headers=BROWSER_EXPOSED_HEADERS,
    )
    # RFC 9728: the metadata is a public document, readable from any origin.
    public = CorsPolicy(methods=("GET",))
    cors.install(
        app, lambda path: public if path.startswith("/.well-known/") else api_policy
    )
    # RFC 9728 5.1: every 401 challenge says where the API's metadata is.
    metadata_hint = challenge_parameter(settings)

    def record(name: str, token: AccessToken | None, detail: str) -> None:
        claims = token.claims if token else {}
        settings.events.record(
            Event(
                settings.clock.now(),
                name,
                SERVER_NAME,
                claims.get("client_id"),
                claims.get("sub"),
                detail,
            )
        )

    def protected(scope: str) -> Callable[[Callable[[AccessToken], Any]], Any]:
        def decorator(view: Callable[[AccessToken], Any]) -> Callable[[], Any]:
            def guarded() -> Any:
                authorization = request.headers.get("Authorization")
                in_query = "access_token" in request.args
                in_body = "access_token" in request.form
                scheme = (authorization or "").partition(" ")[0]
                # RFC 6750 2.1 Bearer, or RFC 9449 7.1 DPoP.
                other_scheme = bool(scheme) and scheme.lower() not in TOKEN_SCHEMES
                if (not authorization or other_scheme) and not (in_query or in_body):
                    # RFC 6750 3.1: "If the request lacks any authentication
                    # information (e.g., ... attempted using an unsupported
                    # authentication method), the resource server SHOULD NOT
                    # include an error code": a password (Basic) is no way in.
                    response = Response(status=401)
                    response.headers["WWW-Authenticate"] = (
                        f'Bearer realm="{REALM}", {metadata_hint}'
                    )
                    return response
                if in_query or in_body:
                    # RFC 9700 4.3.2 / RFC 6750 5.3: tokens in URLs leak (logs,
                    # Referer); this API takes them in the header only.
                    return _invalid_request(
                        "Send the access token in the Authorization header."
                    )
                scheme = (authorization or "").partition(" ")[0]
                token_string = bearer_token(authorization or "", TOKEN_SCHEMES)
                if token_string is None:
                    # RFC 6750 3.1: "uses more than one method for including
                    # an access token, or is otherwise malformed".
                    return _invalid_request(
                        "The Authorization header must be 'Bearer <access token>'."
                    )
                try:
                    # Read per request: a lesson may switch the API from local
                    # JWT validation to introspection mid-story.
                    token = validator_for(settings, token_string).validate(token_string)
                except TokenRejected as rejected:
                    record("access_token.rejected", None, rejected.reason)
                    error = InvalidTokenError(
                        description=quoted(rejected.reason), realm=REALM
                    )
                    headers = error.get_headers()
                    if scheme.lower() == "dpop" and settings.dpop is not None:
                        # RFC 9449 7.1: the challenge of the scheme used.
                        headers = [h for h in headers if h[0] != "WWW-Authenticate"] + [
                            (
                                "WWW-Authenticate",
                                dpop_resource.challenge(
                                    REALM,
                                    settings.dpop.algorithms,
                                    "invalid_token",
                                    quoted(rejected.reason),
                                ),
                            )
                        ]
                    headers = [
                        (name, f"{value}, {metadata_hint}")
                        if name == "WWW-Authenticate"
                        else (name, value)
                        for name, value in headers
                    ]
                    return _error_response(error, headers)
                if settings.dpop is not None:
                    # RFC 9449 7: a DPoP-bound token needs its proof.
                    refused = dpop_resource.check(
                        settings, REALM, scheme, token_string.strip(), token
                    )
                    if refused is not None:
                        return refused
                if scope not in token.scope:
                    record("access_token.insufficient_scope", token, scope)
                    error = InsufficientScopeError(
                        description=f"This resource needs the scope {scope}."
                    )
                    challenge = (
                        f'Bearer realm="{REALM}", error="insufficient_scope", '
                        f'scope="{scope}"'
                    )
                    return _error_response(error, [("WWW-Authenticate", challenge)])
                record("access_token.accepted", token, request.path)
                return view(token)

            guarded.__name__ = view.__name__
            return guarded

        return decorator

    @app.get("/")
    def index() -> Response:
        return jsonify(
            {
                "server": "OAuth Playground photos API",
                "resources": {
                    "/api/user": "basic (+ email)",
                    "/api/photos": "photos.read",
                    "/api/prints": "prints.order (POST: order a print)",
                },
            }
        )

    @app.get(WELL_KNOWN_PATH)
    def resource_metadata() -> Response:
        # RFC 9728 3.2: 200, application/json.
        return jsonify(protected_resource_metadata(settings))

    @app.get("/api/user")
    @protected("basic")
    def api_user(token: AccessToken) -> Response:
        user = users.get(token.subject or "")
        if user is None:
            return jsonify(
                {"error": "not_found", "error_description": "No such user."}
            ), 404
        body = {"id": user.id, "name": user.name, "city": user.city}
        if "email" in token.scope:
            body["email"] = user.email
        return jsonify(body)

    @app.get("/api/photos")
    @protected("photos.read")
    def api_photos(token: AccessToken) -> Response:
        photos = [
            {"id": photo_id, "title": title, "taken": taken}
            for owner, photo_id, title, taken in PHOTOS
            if owner == token.subject
        ]
        return jsonify({"owner": token.subject, "photos": photos})

    # POST /api/prints: the photos API calls the print lab (token exchange).
    print_orders.register(app, settings, protected, PHOTOS, users)
    return app


def _invalid_request(description: str) -> Response:
    error = InvalidRequestError(description=description)
    challenge = (
        f'Bearer realm="{REALM}", error="invalid_request", '
        f'error_description="{description}"'
    )
    return _error_response(error, [("WWW-Authenticate", challenge)])
