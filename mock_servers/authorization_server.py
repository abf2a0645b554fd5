"""The authorization server: a Flask app on Authlib, made fresh per world.

`create_app(settings)` wires Authlib's grants, PKCE, client authentication,
revocation, introspection, OpenID Connect and RFC 9207 to the world's store,
and adds the authorization endpoint with the pages a resource owner sees
(`authorization_endpoint`: sign in and consent).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import jwt
from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, Response, jsonify, request

from . import (
    account,
    authorization_endpoint,
    cors,
    device_verification,
    dpop_binding,
    pages,
    par,
)
from .bearer import BearerProtector, StoredTokenValidator
from .client_auth import ClientAuthentication, PrivateKeyJWT, basic_credentials
from .cors import BROWSER_EXPOSED_HEADERS, BROWSER_REQUEST_HEADERS, CorsPolicy
from .demo import SCOPES
from .device_grant import DeviceAuthorizationEndpoint, DeviceCodeGrant
from .endpoints import IntrospectionEndpoint, RevocationEndpoint
from .error_text import quoted
from .events import Event
from .grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ImplicitGrant,
    PasswordGrant,
    RefreshTokenGrant,
)
from .http_limits import MAX_BODY_BYTES, RequestLimits
from .interaction import AuthenticationRequest, refuse_request_objects
from .metadata import authorization_server_metadata, openid_configuration
from .models import Client, Token
from .openid import OpenIDCode, UserInfoEndpoint
from .pkce import CodeChallenge
from .registration import RegistrationEndpoint
from .resource_indicators import ResourceIndicators
from .sessions import ClockedSessionInterface
from .settings import AuthorizationServerSettings
from .token_exchange import TokenExchangeGrant
from .token_generators import AccessTokenGenerator

SERVER_NAME = "authorization server"


class Issuer(IssuerParameter):
    """RFC 9207: `iss` in every authorization response, errors included."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer

    def add_issuer_parameter(self, authorization_server: Any, response: Any) -> None:
        # Authlib adds `iss` to the query; a fragment-encoded response
        # (implicit grant, RFC 6749 4.2.2) carries its parameters in the
        # fragment, so `iss` belongs there too.
        location = response.location or ""
        if "#" in location:
            response.location = add_params_to_uri(
                location, {"iss": self.issuer}, fragment=True
            )
            return
        super().add_issuer_parameter(authorization_server, response)


class PlaygroundAuthorizationServer(AuthorizationServer):
    def __init__(self, app: Flask, settings: AuthorizationServerSettings) -> None:
        self.settings = settings
        super().__init__()
        self.client_authentication = ClientAuthentication(
            self.query_client, realm=settings.issuer
        )
        self.init_app(app)
        self.scopes_supported = list(SCOPES)
        self.token_generator = AccessTokenGenerator(settings)
        self.register_token_generator("default", self.token_generator)
        self.issuer_parameter = Issuer(settings.issuer)
        self.register_extension(self.issuer_parameter)

    def record(
        self, name: str, client_id: str | None, user: str | None, detail: str = ""
    ) -> None:
        self.settings.events.record(
            Event(self.settings.clock.now(), name, SERVER_NAME, client_id, user, detail)
        )

    def replace_grant(self, grant_cls: type[Any]) -> None:
        """Put `grant_cls` in the place of the registered grant of the same
        grant type, with its extensions: a world may install another policy
        (an exercise's student code decides refresh token rotation)."""
        self._token_grants = [
            (grant_cls if cls.GRANT_TYPE == grant_cls.GRANT_TYPE else cls, extensions)
            for cls, extensions in self._token_grants
        ]

    def query_client(self, client_id: str) -> Client | None:
        return self.settings.store.client(client_id)

    def register_client_auth_method(self, method: str, func: Any) -> None:
        self.client_authentication.register(method, func)

    def authenticate_client(
        self, request: Any, methods: list[str], endpoint: str = "token"
    ) -> Client:
        try:
            client = self.client_authentication(request, methods, endpoint)
        except InvalidClientError as error:
            self.record(
                "client.authentication.failed",
                request.payload.client_id or _basic_username(request),
                None,
                error.get_error_description(),
            )
            raise
        if endpoint == "token":
            dpop_binding.check_client_uses_dpop(client)
        return client

    def generate_token(
        self,
        grant_type: str,
        client: Any,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
        audience: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Authlib's, plus the access token's audience (RFC 8707)."""
        return self.token_generator(
            grant_type=grant_type,
            client=client,
            user=user,
            scope=scope,
            expires_in=expires_in,
            include_refresh_token=include_refresh_token,
            audience=audience,
        )

    def save_token(
        self,
        token: dict[str, Any],
        request: Any,
        *,
        audience: tuple[str, ...] = (),
        grant_resources: tuple[str, ...] = (),
    ) -> None:
        settings = self.settings
        previous: Token | None = getattr(request, "refresh_token", None)
        code = getattr(request, "authorization_code", None)
        token_id = settings.randomness.token(12)
        now = settings.clock.now()
        client = request.client
        lifetimes = settings.lifetimes
        record = Token(
            id=token_id,
            client=client,
            user=request.user,
            # Interned: the same few scopes and grant types, tens of
            # thousands of tokens (serve under load keeps one copy each).
            scope=sys.intern(token.get("scope", "")),
            access_token=token["access_token"],
            issued_at=now,
            expires_in=int(token.get("expires_in", lifetimes.access_token)),
            family_id=previous.family_id if previous else token_id,
            grant_type=sys.intern(request.payload.grant_type or "implicit"),
            refresh_token=token.get("refresh_token"),
            access_token_jti=_jti(token["access_token"]),
            clock=settings.clock,
            audience=audience or (settings.resource_server_url,),
            resources=grant_resources or audience,
        )
        proof = dpop_binding.proof_of_this_request()
        if proof is not None:
            # RFC 9449 5: "token_type": "DPoP" tells the client how to send it.
            token["token_type"] = dpop_binding.TOKEN_TYPE
            record.dpop_jkt = proof.jkt
            if client.is_public and record.refresh_token:
                # RFC 9449 5: "Refresh tokens issued to public clients are
                # bound to the DPoP public key" (a confidential client's are
                # bound to it by its client authentication).
                record.refresh_token_jkt = proof.jkt
        if record.refresh_token:
            # RFC 9700 4.14.2: the idle lifetime starts again at each issuance;
            # the absolute one is the grant's, whatever the rotation.
            record.refresh_token_idle_until = now + lifetimes.refresh_token_idle_for(
                client
            )
            record.grant_expires_at = (
                previous.grant_expires_at
                if previous
                else now + lifetimes.refresh_token_absolute_for(client)
            )
        settings.store.save_token(record)
        if code is not None:
            code.token_ids.append(token_id)
        client_id = client.client_id
        user_id = request.user.id if request.user else None
        self.record("access_token.issued", client_id, user_id, record.grant_type)
        if record.refresh_token:
            self.record("refresh_token.issued", client_id, user_id, record.grant_type)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        # A pending authorization request comes back as the request it was.
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def get_authorization_grant(self, request: Any) -> Any:
        response_type = request.payload.response_type or ""
        if quoted(response_type) != response_type:
            # No response type has such characters; Authlib's refusal quotes
            # the value as sent, and RFC 6749 5.2's charset made it a 500.
            raise UnsupportedResponseTypeError(
                quoted(response_type),
                f"response_type={quoted(response_type)} is not supported",
                redirect_uri=self._verified_redirect_uri(request),
            )
        try:
            grant = super().get_authorization_grant(request)
        except UnsupportedResponseTypeError as error:
            if request.payload.response_type:
                raise
            # RFC 6749 4.1.2.1: a missing required parameter is invalid_request;
            # unsupported_response_type is for a value the server does not offer.
            raise InvalidRequestError(
                "Missing 'response_type' in request.",
                redirect_uri=error.redirect_uri,
            ) from None
        self.check_openid_parameters(request, grant)
        return grant

    def _verified_redirect_uri(self, request: Any) -> str | None:
        """Where an error may go: RFC 6749 4.1.2.1, a known client's
        registered redirect URI, else nowhere (the error page)."""
        client = self.query_client(request.payload.client_id)
        if client is None:
            return None
        requested = request.payload.redirect_uri
        if requested:
            return requested if client.check_redirect_uri(requested) else None
        return client.get_default_redirect_uri()

    def check_openid_parameters(self, request: Any, grant: Any) -> None:
        """Request objects, prompt and max_age, checked before anything else
        the request holds, and answered at the verified redirect URI."""
        try:
            refuse_request_objects(request.payload.data)
            AuthenticationRequest.read(request.payload.data)
            par.require_pushed(
                self.settings,
                self.query_client(request.payload.client_id),
                request.payload.data,
            )
        except OAuth2Error as error:
            client = self.query_client(request.payload.client_id)
            if client is None:
                return  # the grant's own checks answer: invalid_client
            try:
                redirect_uri = grant.validate_authorization_redirect_uri(
                    request, client
                )
            except OAuth2Error:
                return  # never redirect to an unverified URI (RFC 6749 4.1.2.1)
            error.redirect_uri = redirect_uri
            error.redirect_fragment = grant.ERROR_RESPONSE_FRAGMENT
            raise error from None

    def create_token_response(self, request: Any = None) -> Response:
        oauth_request = self.create_oauth2_request(request)
        if not oauth_request.payload.grant_type:
            # RFC 6749 5.2: invalid_request, "missing a required parameter";
            # unsupported_grant_type is for a grant the server does not offer.
            error = InvalidRequestError("Missing 'grant_type' in request.")
            return self.handle_error_response(oauth_request, error)
        return super().create_token_response(request)

    def redirect_error(
        self, error: OAuth2Error, client_id: str | None
    ) -> Response | tuple[str, int]:
        """An error sent back to a verified redirect URI, with `iss` (RFC 9207);
        for a client the AS has not verified, a page naming where it would go."""
        response = self.handle_error_response(request, error)
        self.issuer_parameter.add_issuer_parameter(self, response)
        client = self.query_client(client_id) if client_id else None
        if (
            client is None
            or client.verified
            or "as.redirect_errors_to_any_client" in self.settings.weaknesses
        ):
            return response
        # RFC 9700 4.11.2: "The authorization server SHOULD only automatically
        # redirect the user agent if it trusts the redirection URI. If the URI
        # is not trusted, the authorization server MAY inform the user and rely
        # on the user to make the correct decision."
        location = response.location or ""
        self.record(
            "authorization_error.not_redirected", client.client_id, None, location
        )
        page = pages.untrusted_redirect_page(
            error=error.error,
            description=error.get_error_description() or "",
            client_name=client.client_name,
            location=location,
        )
        return page, 400


class SessionCookies(ClockedSessionInterface):
    """The AS's session cookie: SameSite=Lax, so it goes with a top-level
    navigation from another site (the client's redirect to /authorize) but
    not into a frame or a cross-site POST (RFC 6265bis 8.8)."""

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(settings.clock)
        self.settings = settings

    def get_cookie_samesite(self, app: Flask) -> str:
        if "as.cross_site_session_cookie" in self.settings.weaknesses:
            return "None"  # the weakness: every site's requests carry it
        return "Lax"


def _basic_username(request: Any) -> str | None:
    credentials = basic_credentials(request.headers.get("Authorization"))
    return credentials.client_id if credentials else None


def _jti(access_token: str) -> str | None:
    try:
        return jwt.decode(access_token, options={"verify_signature": False}).get("jti")
    except jwt.PyJWTError:
        return None  # an opaque token


def cors_policies(
    settings: AuthorizationServerSettings,
) -> Callable[[str], CorsPolicy | None]:
    """Which endpoints a browser app may call from another origin.

    Discovery and the JWKS are public documents: any origin. The endpoints a
    single-page app calls with its tokens allow the origins of the clients'
    registered redirect URIs. /authorize, /login and /consent are pages the
    browser navigates to, and /introspect is for servers only: no CORS.
    """
    public = CorsPolicy(methods=("GET",))
    browser_app = CorsPolicy(
        methods=("POST",),
        origins=settings.store.browser_origins,
        request_headers=BROWSER_REQUEST_HEADERS,
        exposed_headers=BROWSER_EXPOSED_HEADERS,
    )
    by_path = {
        "/jwks.json": public,
        "/token": browser_app,
        "/par": browser_app,
        "/revoke": browser_app,
        "/userinfo": replace(browser_app, methods=("GET", "POST")),
    }

    def policy_for(path: str) -> CorsPolicy | None:
        if path.startswith("/.well-known/"):
            return public
        return by_path.get(path)

    return policy_for


def create_app(settings: AuthorizationServerSettings) -> Flask:
    """A new authorization server app; it shares nothing with any other."""
    app = Flask("authorization_server")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="as_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.issuer.startswith("https://"),
        # A chunked body has no Content-Length for RequestLimits to read.
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    app.wsgi_app = RequestLimits(app.wsgi_app)  # type: ignore[method-assign]
    app.session_interface = SessionCookies(settings)
    server = PlaygroundAuthorizationServer(app, settings)
    code_challenge = CodeChallenge(settings)
    resource_indicators = ResourceIndicators(settings)  # RFC 8707
    server.register_grant(
        AuthorizationCodeGrant,
        [code_challenge, OpenIDCode(settings), resource_indicators],
    )
    server.register_grant(ImplicitGrant, [resource_indicators])
    server.register_grant(DeviceCodeGrant)  # RFC 8628
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(PasswordGrant)
    server.register_grant(RefreshTokenGrant)
    server.register_grant(TokenExchangeGrant)  # RFC 8693
    server.register_client_auth_method(
        PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT(settings)
    )
    server.register_endpoint(RevocationEndpoint(settings))
    server.register_endpoint(IntrospectionEndpoint(settings))
    server.register_endpoint(RegistrationEndpoint(settings))
    server.register_endpoint(DeviceAuthorizationEndpoint(settings))
    # OIDC Core 5.3: the UserInfo endpoint is an OAuth protected resource.
    protector = BearerProtector(
        settings.issuer, StoredTokenValidator(settings.issuer, settings.store)
    )
    server.register_endpoint(UserInfoEndpoint(settings, protector))
    app.extensions["playground_settings"] = settings
    app.extensions["playground_server"] = server
    cors.install(app, cors_policies(settings))

    @app.after_request
    def security_headers(response: Response) -> Response:
        # RFC 9700 4.16 / RFC 6749 10.13: the AS's pages must not be framed.
        if response.mimetype == "text/html" and "as.allow_framing" not in (
            settings.weaknesses
        ):
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy", "frame-ancestors 'none'"
            )
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/")
    def index() -> Response:
        return jsonify(
            {
                "server": "OAuth Playground authorization server",
                "issuer": settings.issuer,
                "metadata": f"{settings.issuer}/.well-known/oauth-authorization-server",
            }
        )

    authorization_endpoint.register(app, server, settings)
    device_verification.register(app, server, settings)
    # The resource owner's own page: personal access tokens, approved apps.
    account.register(app, server, settings)

    @app.post("/token")
    def token() -> Response:
        # RFC 9449 5: the DPoP proof is checked first, then the grant.
        return dpop_binding.token_response(server, settings)

    @app.post("/par")
    def pushed_authorization_request() -> Response:
        # RFC 9126 2: the pushed authorization request endpoint.
        return par.pushed_authorization_response(
            server, settings, authorization_endpoint.kept_request_for(settings)
        )

    @app.post("/device_authorization")
    def device_authorization() -> Response:
        # RFC 8628 3.1: the device authorization endpoint.
        return server.create_endpoint_response(
            DeviceAuthorizationEndpoint.ENDPOINT_NAME
        )

    @app.post("/revoke")
    def revoke() -> Response:
        return server.create_endpoint_response(RevocationEndpoint.ENDPOINT_NAME)

    @app.post("/introspect")
    def introspect() -> Response:
        return server.create_endpoint_response(IntrospectionEndpoint.ENDPOINT_NAME)

    @app.post("/register")
    def register() -> Response:
        # RFC 7591 3: open dynamic client registration.
        return server.create_endpoint_response(RegistrationEndpoint.ENDPOINT_NAME)

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> Response:
        return server.create_endpoint_response(UserInfoEndpoint.ENDPOINT_NAME)

    @app.get("/.well-known/oauth-authorization-server")
    def metadata() -> Response:
        return jsonify(authorization_server_metadata(settings))

    @app.get("/.well-known/openid-configuration")
    def openid_metadata() -> Response:
        return jsonify(openid_configuration(settings))

    @app.get("/jwks.json")
    def jwks() -> Response:
        return jsonify(settings.public_jwks())

    return app
