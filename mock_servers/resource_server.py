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

from . import cors, dpop
from .cors import BROWSER_EXPOSED_HEADERS, BROWSER_REQUEST_HEADERS, CorsPolicy
from .demo import USERS
from .events import Event
from .settings import ResourceServerSettings
from .token_validation import AccessToken, TokenRejected, validator_for

REALM = "photos-api"
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
    users = {user.id: user for user in USERS}
    # A single-page app calls the API from its own origin (Fetch, CORS).
    api_policy = CorsPolicy(
        methods=("GET",),
        origins=settings.browser_origins,
        request_headers=BROWSER_REQUEST_HEADERS,
        exposed_headers=BROWSER_EXPOSED_HEADERS,
    )
    cors.install(app, lambda path: api_policy)
    # RFC 9449 7: DPoP-bound tokens, checked before any route.
    dpop.install(app, settings)

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
                other_scheme = bool(scheme) and scheme.lower() != "bearer"
                if (not authorization or other_scheme) and not (in_query or in_body):
                    # RFC 6750 3.1: "If the request lacks any authentication
                    # information (e.g., ... attempted using an unsupported
                    # authentication method), the resource server SHOULD NOT
                    # include an error code": a password (Basic) is no way in.
                    response = Response(status=401)
                    response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
                    return response
                if in_query or in_body:
                    # RFC 9700 4.3.2 / RFC 6750 5.3: tokens in URLs leak (logs,
                    # Referer); this API takes them in the header only.
                    return _invalid_request(
                        "Send the access token in the Authorization header."
                    )
                scheme, _, token_string = (authorization or "").partition(" ")
                if scheme.lower() != "bearer" or not token_string.strip():
                    return _invalid_request(
                        "The Authorization header must be 'Bearer <access token>'."
                    )
                try:
                    # Read per request: a lesson may switch the API from local
                    # JWT validation to introspection mid-story.
                    token = validator_for(settings).validate(token_string.strip())
                except TokenRejected as rejected:
                    record("access_token.rejected", None, rejected.reason)
                    error = InvalidTokenError(
                        description=_ascii(rejected.reason), realm=REALM
                    )
                    return _error_response(error, error.get_headers())
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
                },
            }
        )

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

    return app


def _invalid_request(description: str) -> Response:
    error = InvalidRequestError(description=description)
    challenge = (
        f'Bearer realm="{REALM}", error="invalid_request", '
        f'error_description="{description}"'
    )
    return _error_response(error, [("WWW-Authenticate", challenge)])


def _ascii(text: str) -> str:
    """RFC 6749 5.2: error_description is printable ASCII without quote or backslash."""
    cleaned = text.replace('"', "'").replace("\\", "/")
    return "".join(ch if 0x20 <= ord(ch) <= 0x7E else "?" for ch in cleaned)
