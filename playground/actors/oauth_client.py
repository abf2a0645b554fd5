"""What every OAuth client does: build authorization URLs and talk to the
token endpoint and the API on its own channel.

The web app, the SPA, the native app, the service and the first-party app
are this class with a different registration; lessons call these methods,
each one real HTTP recorded in the transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jwt
from authlib.common.encoding import urlsafe_b64encode
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from mock_servers.clock import Clock
from mock_servers.demo import CLIENTS, DemoClient
from mock_servers.keys import SigningKey
from mock_servers.randomness import Randomness
from playground.actors.dpop_proofs import make_proof

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def registration(client_id: str) -> DemoClient:
    for client in CLIENTS:
        if client.client_id == client_id:
            return client
    raise KeyError(f"no demo client {client_id!r}")


@dataclass
class AuthorizationRequest:
    """What the client remembers between sending the user away and the callback."""

    url: str
    state: str | None
    redirect_uri: str | None
    code_verifier: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None


@dataclass
class OAuthClient:
    client_id: str
    http: httpx.Client
    issuer: str
    api_url: str
    randomness: Randomness
    clock: Clock
    auth_method: str = ""
    client_secret: str | None = None
    redirect_uri: str | None = None
    key: SigningKey | None = None
    tokens: dict[str, Any] = field(default_factory=dict)
    pending: AuthorizationRequest | None = None
    # Makes (code verifier, S256 challenge) in place of the code below: an
    # exercise plugs a student's function in here (RFC 7636 4.1, 4.2).
    pkce_pair: Callable[[], tuple[str, str]] | None = None
    # RFC 9449: the key this client proves possession of, when it uses DPoP,
    # and the last nonce each server handed it (RFC 9449 8, 9), by origin.
    dpop_key: SigningKey | None = None
    dpop_nonces: dict[str, str] = field(default_factory=dict)

    # the front channel: where to send the user's browser
    def authorization_url(
        self,
        scope: str,
        *,
        response_type: str = "code",
        state: bool = True,
        pkce_method: str | None = None,
        nonce: bool = False,
        redirect_uri: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> str:
        """RFC 6749 4.1.1: the authorization request, remembered for the callback."""
        redirect_uri = redirect_uri or self.redirect_uri
        request = AuthorizationRequest(url="", state=None, redirect_uri=redirect_uri)
        params = {
            "response_type": response_type,
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
        }
        if state:
            # RFC 6749 10.12: an unguessable value bound to the user's session.
            request.state = self.randomness.token(16)
            params["state"] = request.state
        if pkce_method == "S256" and self.pkce_pair is not None:
            request.code_verifier, request.code_challenge = self.pkce_pair()
        elif pkce_method:
            # RFC 7636 4.1: a 32-octet random sequence, base64url-encoded.
            request.code_verifier = urlsafe_b64encode(
                self.randomness.token_bytes(32)
            ).decode("ascii")
            # RFC 7636 4.2: S256 sends BASE64URL(SHA256(ASCII(verifier)));
            # plain sends the verifier itself.
            request.code_challenge = (
                create_s256_code_challenge(request.code_verifier)
                if pkce_method == "S256"
                else request.code_verifier
            )
        if pkce_method:
            request.code_challenge_method = pkce_method
            params["code_challenge"] = request.code_challenge or ""
            params["code_challenge_method"] = pkce_method
        if nonce:
            request.nonce = self.randomness.token(16)
            params["nonce"] = request.nonce
        params.update(extra or {})
        query = urlencode({k: v for k, v in params.items() if v is not None})
        request.url = f"{self.issuer}/authorize?{query}"
        self.pending = request
        return request.url

    def push_authorization_request(
        self,
        scope: str,
        *,
        pkce_method: str | None = "S256",
        nonce: bool = False,
        extra: dict[str, str] | None = None,
    ) -> httpx.Response:
        """RFC 9126 2: send the authorization request to the PAR endpoint on
        the back channel, authenticated as at the token endpoint (with a DPoP
        proof when this client uses DPoP, RFC 9449 10.1); on 201 the request
        to send the browser with is `client_id` and the `request_uri`."""
        url = self.authorization_url(
            scope, pkce_method=pkce_method, nonce=nonce, extra=extra
        )
        pending = self.pending
        assert pending is not None
        form = dict(parse_qsl(urlsplit(url).query))
        form, auth = self._authenticate(form)
        response = self._post_with_dpop(f"{self.issuer}/par", form, auth)
        if response.status_code == 201:
            request_uri = response.json()["request_uri"]
            query = urlencode({"client_id": self.client_id, "request_uri": request_uri})
            pending.url = f"{self.issuer}/authorize?{query}"
        return response

    def state_matches(self, returned_state: str | None) -> bool:
        expected = self.pending.state if self.pending else None
        return expected is not None and returned_state == expected

    # the back channel: token endpoint
    def exchange_code(
        self, code: str, *, code_verifier: str | None = None, send_verifier: bool = True
    ) -> httpx.Response:
        """RFC 6749 4.1.3 (+ RFC 7636 4.5): trade the code for tokens."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": (self.pending.redirect_uri if self.pending else None)
            or self.redirect_uri,
        }
        verifier = code_verifier or (
            self.pending.code_verifier if self.pending else None
        )
        if verifier and send_verifier:
            data["code_verifier"] = verifier
        return self.token_request(data)

    def refresh(
        self, refresh_token: str | None = None, scope: str | None = None
    ) -> httpx.Response:
        data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token or self.tokens.get("refresh_token", ""),
        }
        if scope:
            data["scope"] = scope
        return self.token_request(data)

    def client_credentials(self, scope: str) -> httpx.Response:
        return self.token_request({"grant_type": "client_credentials", "scope": scope})

    def password(self, username: str, password: str, scope: str) -> httpx.Response:
        return self.token_request(
            {
                "grant_type": "password",
                "username": username,
                "password": password,
                "scope": scope,
            }
        )

    def token_request(self, data: dict[str, str | None]) -> httpx.Response:
        form = {key: value for key, value in data.items() if value is not None}
        form, auth = self._authenticate(form)
        response = self._post_with_dpop(f"{self.issuer}/token", form, auth)
        if response.status_code == 200:
            self.tokens = response.json()
        return response

    def post_authenticated(self, url: str, form: dict[str, str]) -> httpx.Response:
        """A form POST to an AS endpoint, with this client's authentication
        (e.g. RFC 8628's device authorization endpoint)."""
        form, auth = self._authenticate(form)
        return self.http.post(url, data=form, auth=auth)

    def _post_with_dpop(
        self, url: str, form: dict[str, str], auth: tuple[str, str] | None
    ) -> httpx.Response:
        """POST, with a fresh DPoP proof when this client uses DPoP. RFC 9449
        8: answered 400 `use_dpop_nonce`, the client retries once with the
        nonce from the DPoP-Nonce header (the assertion, single use, anew)."""
        response = self.http.post(
            url, data=form, auth=auth, headers=self._dpop_headers("POST", url)
        )
        self._remember_nonce(url, response)
        if (
            self.dpop_key is not None
            and response.status_code == 400
            and response.headers.get("DPoP-Nonce")
            and _error_of(response) == "use_dpop_nonce"
        ):
            if "client_assertion" in form:
                form = {**form, "client_assertion": self.client_assertion()}
            response = self.http.post(
                url, data=form, auth=auth, headers=self._dpop_headers("POST", url)
            )
            self._remember_nonce(url, response)
        return response

    def dpop_proof(self, method: str, url: str, access_token: str | None = None) -> str:
        """RFC 9449 4.2: a proof for one request, signed with this client's
        DPoP key, its public key in the `jwk` header."""
        assert self.dpop_key is not None, f"{self.client_id} has no DPoP key"
        return make_proof(
            self.dpop_key,
            method,
            url,
            jti=self.randomness.token(12),
            iat=self.clock.now(),
            access_token=access_token,
            nonce=self.dpop_nonces.get(_origin(url)),
        )

    def _dpop_headers(
        self, method: str, url: str, access_token: str | None = None
    ) -> dict[str, str]:
        if self.dpop_key is None:
            return {}
        return {"DPoP": self.dpop_proof(method, url, access_token)}

    def _remember_nonce(self, url: str, response: httpx.Response) -> None:
        nonce = response.headers.get("DPoP-Nonce")
        if nonce:
            self.dpop_nonces[_origin(url)] = nonce

    def revoke(self, token: str, hint: str | None = None) -> httpx.Response:
        form = {"token": token}
        if hint:
            form["token_type_hint"] = hint
        form, auth = self._authenticate(form)
        return self.http.post(f"{self.issuer}/revoke", data=form, auth=auth)

    # the protected resources
    def call_api(
        self,
        path: str = "/api/user",
        access_token: str | None = None,
        *,
        method: str = "GET",
        json: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A request to the photos API with the token (RFC 6750 2.1); a POST
        sends `json` as its body (`POST /api/prints`)."""
        token = access_token or self.tokens.get("access_token", "")
        url = f"{self.api_url}{path}"
        if self.tokens.get("token_type") == "DPoP" and self.dpop_key is not None:
            # RFC 9449 7.1: the DPoP scheme, and a proof with the token's hash.
            headers = {
                "Authorization": f"DPoP {token}",
                **self._dpop_headers(method, url, token),
            }
            response = self.http.request(method, url, headers=headers, json=json)
            self._remember_nonce(url, response)
            return response
        return self.http.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, json=json
        )

    def userinfo(self, access_token: str | None = None) -> httpx.Response:
        token = access_token or self.tokens.get("access_token", "")
        return self.http.get(
            f"{self.issuer}/userinfo", headers={"Authorization": f"Bearer {token}"}
        )

    # RFC 6749 2.3 / OIDC Core 9: how this client proves who it is
    def _authenticate(
        self, form: dict[str, str]
    ) -> tuple[dict[str, str], tuple[str, str] | None]:
        method = self.auth_method
        if method == "client_secret_basic" and self.client_secret:
            return form, (self.client_id, self.client_secret)
        if method == "client_secret_post" and self.client_secret:
            return {
                **form,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }, None
        if method == "private_key_jwt" and self.key is not None:
            return {
                **form,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self.client_assertion(),
            }, None
        return {**form, "client_id": self.client_id}, None

    def client_assertion(self) -> str:
        """RFC 7523 3: a short-lived JWT the client signs with its own key.

        Its audience is the authorization server's issuer identifier, whatever
        endpoint it goes to (draft-ietf-oauth-rfc7523bis 4: "the aud (audience)
        claim value MUST use the issuer identifier [RFC8414] of the
        authorization server as its sole value"), and it says what it is with
        `typ: client-authentication+jwt` (same draft, RFC 7523 3.2 update).
        """
        assert self.key is not None
        now = self.clock.now()
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.issuer,
            "iat": now,
            "exp": now + 60,
            "jti": self.randomness.token(12),
        }
        return jwt.encode(
            claims,
            self.key.private_key,
            algorithm=self.key.alg,
            headers={"kid": self.key.kid, "typ": "client-authentication+jwt"},
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _error_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


_THIS_CLIENT = "this client"


def verify_id_token(
    client: OAuthClient, id_token: str, *, audience: str | None = _THIS_CLIENT
) -> dict[str, Any]:
    """OIDC Core 3.1.3.7: the issuer's signature (its JWKS), `iss`, `aud` this
    client, unexpired by the world's clock. Raises PyJWT's precise error.

    `audience` is the client_id `aud` must contain (this client's by default);
    None skips that check, as a careless client does."""
    if audience == _THIS_CLIENT:
        audience = client.client_id
    jwks = client.http.get(f"{client.issuer}/jwks.json").json()
    header = jwt.get_unverified_header(id_token)
    keys = jwt.PyJWKSet.from_dict(jwks).keys
    key = next((k for k in keys if k.key_id == header.get("kid")), None)
    if key is None:
        raise jwt.InvalidKeyError(f"No key with kid {header.get('kid')!r}")
    claims = jwt.decode(
        id_token,
        key,
        algorithms=["RS256"],
        audience=audience,
        issuer=client.issuer,
        options={
            "verify_exp": False,
            "verify_iat": False,
            "verify_aud": audience is not None,
        },
    )
    if int(claims.get("exp", 0)) <= client.clock.now():
        raise jwt.ExpiredSignatureError("The ID token has expired")
    return claims
