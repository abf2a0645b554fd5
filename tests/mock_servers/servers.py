"""A test harness: a fresh pair of servers, and a resource owner's browser.

Everything goes through real HTTP requests to the real Flask apps (httpx over
WSGI, no sockets); redirects are never followed automatically.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt

from mock_servers.deployment import API_URL, ISSUER, Deployment, build_deployment

WEB_CLIENT = ("photoprint", "photoprint-secret")
WEB_REDIRECT = "https://photoprint.test/callback"
SPA_CLIENT = "photo-gallery-spa"
SPA_REDIRECT = "https://photoprint.test/spa/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
# The AS requires PKCE of every client: what a code request adds for it.
PKCE = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name!r} in page"
    return html_lib.unescape(match.group(1))


@dataclass
class Servers:
    deployment: Deployment
    auth: httpx.Client  # a browser's view of the AS: keeps cookies, no redirects
    api: httpx.Client

    def new_browser(self) -> httpx.Client:
        return httpx.Client(
            transport=httpx.WSGITransport(app=self.deployment.authorization_server),
            base_url=ISSUER,
        )

    def token(self, data: dict[str, str], auth: tuple[str, str] | None = None):
        client = httpx.Client(
            transport=httpx.WSGITransport(app=self.deployment.authorization_server),
            base_url=ISSUER,
        )
        return client.post("/token", data=data, auth=auth)

    def authorize(
        self,
        *,
        client_id: str = WEB_CLIENT[0],
        redirect_uri: str | None = WEB_REDIRECT,
        scope: str = "basic photos.read",
        state: str | None = "xyz-state",
        extra: dict[str, str] | None = None,
        username: str = "alice",
        password: str = "wonderland",
        decision: str = "approve",
        response_type: str = "code",
        browser: httpx.Client | None = None,
        pkce: bool = True,
        method: str = "GET",
    ) -> httpx.Response:
        """Sign in and consent like a resource owner; return the AS's final answer.

        A code request carries RFC 7636 Appendix B's S256 challenge unless
        `pkce=False` (or `extra` brings its own): the AS requires PKCE of
        every client."""
        browser = browser or self.auth
        params = {
            "response_type": response_type,
            "client_id": client_id,
            "scope": scope,
        }
        if redirect_uri is not None:
            params["redirect_uri"] = redirect_uri
        if state is not None:
            params["state"] = state
        if pkce and response_type == "code":
            params.update(PKCE)
        params.update(extra or {})
        if method == "POST":
            page = browser.post("/authorize", data=params)
        else:
            page = browser.get("/authorize?" + urlencode(params))
        if page.status_code == 200 and 'id="consent"' in page.text:
            return self.decide(page, decision, browser)  # signed in already
        if page.status_code != 200 or 'id="login"' not in page.text:
            return page
        signed_in = self.sign_in(page, username, password, browser)
        assert signed_in.status_code == 302, signed_in.text
        consent = browser.get(signed_in.headers["location"])
        if consent.status_code != 200 or 'id="consent"' not in consent.text:
            return consent
        return self.decide(consent, decision, browser)

    def sign_in(
        self,
        page: httpx.Response,
        username: str = "alice",
        password: str = "wonderland",
        browser: httpx.Client | None = None,
    ) -> httpx.Response:
        """Fill in and send the sign-in form on `page`."""
        return (browser or self.auth).post(
            "/login",
            data={
                "username": username,
                "password": password,
                "interaction": form_value(page.text, "interaction"),
                "csrf_token": form_value(page.text, "csrf_token"),
            },
        )

    def decide(
        self,
        page: httpx.Response,
        decision: str = "approve",
        browser: httpx.Client | None = None,
    ) -> httpx.Response:
        """Press Approve (or Deny) on the consent `page`."""
        return (browser or self.auth).post(
            "/consent",
            data={
                "interaction": form_value(page.text, "interaction"),
                "csrf_token": form_value(page.text, "csrf_token"),
                "decision": decision,
            },
        )

    def code_for(self, **kwargs) -> str:
        response = self.authorize(**kwargs)
        assert response.status_code == 302, response.text
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert "code" in query, response.headers["location"]
        return query["code"][0]

    def redeem(self, code: str, **extra: str) -> httpx.Response:
        data = {"grant_type": "authorization_code", "code": code}
        data.setdefault("redirect_uri", WEB_REDIRECT)
        data.setdefault("code_verifier", VERIFIER)
        data.update(extra)
        data = {k: v for k, v in data.items() if v is not None}
        return self.token(data, auth=WEB_CLIENT)

    def call_api(self, access_token: str, path: str = "/api/user") -> httpx.Response:
        return self.api.get(path, headers={"Authorization": f"Bearer {access_token}"})


def location_params(response: httpx.Response) -> dict[str, str]:
    parts = urlsplit(response.headers["location"])
    params = {**parse_qs(parts.query), **parse_qs(parts.fragment)}
    return {key: values[0] for key, values in params.items()}


def make_servers(**kwargs) -> Servers:
    deployment = build_deployment(**kwargs)
    auth = httpx.Client(
        transport=httpx.WSGITransport(app=deployment.authorization_server),
        base_url=ISSUER,
    )
    api = httpx.Client(
        transport=httpx.WSGITransport(app=deployment.resource_server),
        base_url=API_URL,
    )
    return Servers(deployment, auth, api)


def spa_code(servers, challenge: str = CHALLENGE, method: str = "S256") -> str:
    return servers.code_for(
        client_id=SPA_CLIENT,
        redirect_uri=SPA_REDIRECT,
        extra={"code_challenge": challenge, "code_challenge_method": method},
    )


def spa_redeem(servers, code: str, verifier: str | None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": SPA_REDIRECT,
        "client_id": SPA_CLIENT,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return servers.token(data)


def client_assertion(servers: Servers, **overrides: object) -> str:
    """A private_key_jwt assertion (RFC 7523 3) signed with Print Shop's key,
    addressed to the issuer (draft-ietf-oauth-rfc7523bis)."""
    key = servers.deployment.client_keys["print-shop-service"]
    now = servers.deployment.clock.now()
    claims = {
        "iss": "print-shop-service",
        "sub": "print-shop-service",
        "aud": ISSUER,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(12),
    }
    claims.update(overrides)
    return jwt.encode(
        claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
