"""PhotoPrint, the confidential web client: a real WSGI app at
`photoprint.test` with its own server-side back channel.

`/login` sends the browser to the AS with a fresh `state`; `/callback` checks
it (unless the `client.skip_state_check` weakness is on), checks RFC 9207's
`iss`, trades the code for tokens server to server, and calls the photos API.
The browser only ever sees the code, never the tokens.

PhotoPrint may be registered at more than one authorization server
(`/login?as=NAME`); a session remembers where its flow started, and the
callback checks `iss` against, and redeems the code at, that server only
(RFC 9207 2.4, RFC 9700 4.4: the mix-up attack).

How PhotoPrint binds a flow to the browser that started it is one of the
choices RFC 9700 leaves to a client (`configure`): `state` or PKCE against
CSRF (4.7.1), PKCE or, for OpenID Connect sign-ins, the `nonce` against code
injection (2.1.1). The defaults use all three; a lesson may pick another
choice the RFC allows, which is not a weakness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import Flask, redirect, render_template_string, request, session

from mock_servers.sessions import ClockedSessionInterface
from mock_servers.weaknesses import Weaknesses
from playground.actors.browser import Browser
from playground.actors.oauth_client import (
    AuthorizationRequest,
    OAuthClient,
    verify_id_token,
)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }} - PhotoPrint</title></head>
<body><main id="{{ page_id }}"><h1>{{ title }}</h1>
{% for line in lines %}<p>{{ line }}</p>{% endfor %}
{% if photos %}<ul id="photos">{% for p in photos %}
<li>{{ p.title }} ({{ p.taken }})</li>{% endfor %}</ul>{% endif %}
{% if link %}<p><a id="sign-in" href="{{ link }}">Sign in with the Playground</a>
</p>{% endif %}
{% if image %}<img src="{{ image }}" alt="">{% endif %}
</main></body></html>"""

# The visit counter of PixelStats, a third-party analytics service, on the
# page that finishes the gallery's sign-in (RFC 9700 4.2.1: third-party
# content on the page an authorization response lands on).
ANALYTICS_PIXEL = "https://stats.pixelstats.test/p.gif"
# The pages an authorization response lands on, with the code (or token) in
# their address.
CALLBACK_PATHS = frozenset(
    {"/callback", "/spa/callback", "/legacy/callback", "/fapi/callback"}
)


def _page(
    page_id: str,
    title: str,
    *lines: str,
    photos: list[dict[str, str]] | None = None,
    link: str | None = None,
    image: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    html = render_template_string(
        _PAGE,
        page_id=page_id,
        title=title,
        lines=lines,
        photos=photos,
        link=link,
        image=image,
    )
    return html, status


@dataclass(frozen=True)
class Flow:
    """One browser's authorization request under way: where it went, and
    what PhotoPrint must check when the answer comes back."""

    server: str
    request: AuthorizationRequest | None


# RFC 9700 4.7.1: "The same protection is provided by PKCE": a client may
# protect its redirect URI against CSRF with `state` or with PKCE.
CSRF_PROTECTIONS = ("state", "pkce")
# RFC 9700 2.1.1: PKCE binds a code to the browser's session; "confidential
# OpenID Connect clients MAY use the nonce parameter ... instead".
CODE_BINDINGS = ("pkce", "nonce")


@dataclass
class Account:
    """A PhotoPrint customer account: PhotoPrint's own records (where to
    deliver, what was ordered), found by who signs in with OpenID Connect.

    OIDC Core 5.7: `iss` and `sub` together are "the only Claims that an RP
    can rely upon as a stable identifier for the End-User"; `email` is kept
    to write to, never to find the account by.
    """

    issuer: str
    subject: str
    name: str
    email: str
    address: str = ""
    orders: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.issuer, self.subject)

    def lines(self) -> list[str]:
        lines = [f"PhotoPrint account: {self.name} <{self.email}>"]
        if self.address:
            lines.append(f"Delivery address: {self.address}")
        lines.extend(f"Order: {order}" for order in self.orders)
        if not self.address and not self.orders:
            lines.append("A new account: no address and no orders yet.")
        return lines


@dataclass
class ClientChecks:
    """Checks that may stand in for PhotoPrint's own, each at the one place
    that makes that decision: an exercise plugs a student's function in here.

    - `state(expected, received) -> bool`: is this the state this browser's
      session sent (RFC 6749 10.12)?
    - `issuer(expected, iss, server_sends_iss) -> bool`: does the response's
      `iss` fit the server the flow started at (RFC 9207 2.4)?
    - `id_token(id_token, *, server, client_id, nonce) -> claims`: is this ID
      token valid for this client (OIDC Core 3.1.3.7)? Raises to refuse.
    - `redirect_target(to) -> bool`: may `/go?to=` send the browser there
      (RFC 9700 4.11.1: no open redirector)?
    """

    state: Callable[[str | None, str | None], object] | None = None
    issuer: Callable[[str, str | None, bool], object] | None = None
    id_token: Callable[..., dict[str, Any]] | None = None
    redirect_target: Callable[[str], object] | None = None


# Photo Gallery, the single-page app whose pages PhotoPrint serves: its script
# posts the ID token it got to `/spa/session` for a session at PhotoPrint.
GALLERY_CLIENT_ID = "photo-gallery-spa"


class WebClient:
    """The client application's server side, and the Flask app it serves."""

    # The name of the playground's own authorization server in `/login?as=`.
    HOME_SERVER = "playground"

    def __init__(
        self,
        oauth: OAuthClient,
        weaknesses: Weaknesses,
        secret_key: bytes,
        *,
        other_servers: dict[str, OAuthClient] | None = None,
    ) -> None:
        self.oauth = oauth
        self.weaknesses = weaknesses
        # PhotoPrint's registration at each authorization server it works
        # with, by the name `/login?as=` takes; each knows its own issuer.
        self.servers: dict[str, OAuthClient] = {
            self.HOME_SERVER: oauth,
            **(other_servers or {}),
        }
        # The client's own server-side store, per browser session: the flow
        # under way (state, code verifier, nonce) and the tokens it got.
        self.sessions: dict[str, dict[str, Any]] = {}
        # The servers whose metadata says they send `iss` (RFC 9207 3), as
        # PhotoPrint read it when it was set up with each.
        self.iss_supported: set[str] = {self.HOME_SERVER}
        self.csrf_protection = "state"
        self.code_binding = "pkce"
        self.checks = ClientChecks()
        # PhotoPrint's customers who signed in with OpenID Connect before.
        self.accounts: dict[tuple[str, str], Account] = {
            account.key: account
            for account in (
                Account(
                    oauth.issuer,
                    "u-1001",
                    "Alice Liddell",
                    "alice@example.org",
                    "7 Rabbit Hole Lane, Oxford",
                    ("24 prints of Tea party, paid with the card ending 4242",),
                ),
                Account(
                    oauth.issuer,
                    "u-1002",
                    "Bob Builder",
                    "bob@example.org",
                    "3 Scaffold Street, Bristol",
                ),
            )
        }
        self.last_error: str | None = None
        self.app = self._create_app(secret_key)

    def configure(self, *, csrf: str = "state", code_binding: str = "pkce") -> None:
        """Choose how PhotoPrint binds each flow to its browser, among the
        choices RFC 9700 allows: `csrf="pkce"` sends no `state` and relies on
        PKCE (4.7.1); `code_binding="nonce"` sends no PKCE with an OpenID
        Connect sign-in and relies on the ID token's `nonce` (2.1.1)."""
        if csrf not in CSRF_PROTECTIONS:
            raise ValueError(f"csrf must be one of {CSRF_PROTECTIONS}, not {csrf!r}")
        if code_binding not in CODE_BINDINGS:
            raise ValueError(
                f"code_binding must be one of {CODE_BINDINGS}, not {code_binding!r}"
            )
        self.csrf_protection = csrf
        self.code_binding = code_binding

    def tokens_for(self, session_id: str) -> dict[str, Any]:
        return self.sessions.get(session_id, {}).get("tokens", {})

    def tokens_for_browser(self, browser: Browser) -> dict[str, Any]:
        """The tokens PhotoPrint keeps for the session in this browser's cookie."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        cookie = browser.cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        if cookie is None or serializer is None:
            return {}
        return self.tokens_for(serializer.loads(cookie.value).get("sid", ""))

    def account_for_browser(self, browser: Browser) -> Account | None:
        """The PhotoPrint account the session in this browser's cookie is in."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        cookie = browser.cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        if cookie is None or serializer is None:
            return None
        sid = serializer.loads(cookie.value).get("sid", "")
        key = self.sessions.get(sid, {}).get("account")
        return self.accounts.get(key) if key else None

    def _create_app(self, secret_key: bytes) -> Flask:
        app = Flask("photoprint")
        app.session_interface = ClockedSessionInterface(self.oauth.clock)
        app.config.update(
            SECRET_KEY=secret_key,
            SESSION_COOKIE_NAME="photoprint_session",
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=True,
        )
        oauth = self.oauth

        @app.get("/")
        def home():
            return _page(
                "home",
                "PhotoPrint",
                "Print the photos you keep at the photos API.",
                link="/login",
            )

        @app.get("/login")
        def login():
            scope = request.args.get("scope", "basic photos.read")
            name = request.args.get("as") or request.args.get("server")
            name = name or self.HOME_SERVER
            server = self.servers.get(name)
            if server is None:
                return _page(
                    "login-error",
                    "Unknown sign-in provider",
                    f"PhotoPrint does not work with an authorization server "
                    f"called {name!r}.",
                    status=400,
                )
            openid = "openid" in scope.split()
            use_pkce = "client.no_pkce" not in self.weaknesses and not (
                openid and self.code_binding == "nonce"
            )
            url = server.authorization_url(
                scope,
                # RFC 6749 10.12, unless PKCE protects against CSRF (RFC 9700
                # 4.7.1, with an AS that supports it).
                state=self.csrf_protection == "state",
                # RFC 9700 2.1.1: clients MUST prevent authorization code
                # injection: PKCE binds the code to this browser's session.
                pkce_method="S256" if use_pkce else None,
                # OIDC Core 3.1.2.1: a nonce binds the ID token to it too.
                nonce=openid,
            )
            sid = session.get("sid") or oauth.randomness.token(12)
            session["sid"] = sid
            # What this browser's flow must come back with, kept server-side
            # (RFC 6749 10.12: state bound to the user-agent's session).
            self.sessions.setdefault(sid, {})["flow"] = Flow(name, server.pending)
            return redirect(url, code=302)

        @app.get("/callback")
        def callback():
            return self._callback()

        @app.get("/go")
        def go():
            return self._go()

        @app.post("/legacy/session")
        def legacy_session():
            return self._legacy_session()

        @app.get("/spa/callback")
        def spa_callback():
            return _page(
                "spa-callback",
                "Photo Gallery",
                "Finishing sign-in in your browser: the app's script reads the code "
                "from this page's address.",
                image=ANALYTICS_PIXEL,
            )

        @app.get("/fapi/callback")
        def fapi_callback():
            return _page(
                "fapi-callback",
                "PhotoPrint Business",
                "PhotoPrint Business received the answer; its server redeems the "
                "code on the back channel.",
            )

        @app.post("/spa/session")
        def spa_session():
            return self._spa_session()

        @app.get("/legacy/callback")
        def legacy_callback():
            return _page(
                "legacy-callback",
                "Legacy Gallery",
                "The app's script reads the access token from this page's address "
                "(after the #).",
            )

        @app.after_request
        def referrer_policy(response):
            if "client.unsafe_referrer_policy" in self.weaknesses:
                # The weakness: the pre-2020 browser default, set site-wide so
                # the analytics see full page addresses; it sends the whole
                # URL, query included, to any https site.
                response.headers["Referrer-Policy"] = "no-referrer-when-downgrade"
            elif request.path in CALLBACK_PATHS:
                # RFC 9700 4.2.4: suppress the Referer on the page an
                # authorization response lands on; "Referrer-Policy:
                # no-referrer ... completely suppresses the Referer header in
                # all requests originating from the resulting document".
                response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return app

    def _callback(self):
        args = request.args
        sid = session.get("sid") or ""
        flow: Flow | None = self.sessions.get(sid, {}).pop("flow", None)
        pending = flow.request if flow else None
        expected_state = pending.state if pending else None
        if self.csrf_protection == "pkce":
            # RFC 9700 4.7.1: PKCE instead of state. Only a browser that
            # started a sign-in has a code verifier; the code must match it.
            if pending is None or not pending.code_verifier:
                return self._refuse(
                    "no_flow",
                    "Sign-in refused",
                    "This browser has no sign-in under way (no code verifier): "
                    "possible cross-site request forgery.",
                )
        elif "client.skip_state_check" not in self.weaknesses and not (
            self._state_matches(expected_state, args.get("state"))
        ):
            # RFC 6749 10.12: a response (an error too) whose state is not the
            # one this browser's session sent may be a CSRF attack; refuse it.
            return self._refuse(
                "state_mismatch",
                "Sign-in refused",
                "The state in the callback does not match the one this browser "
                "sent: possible cross-site request forgery.",
            )
        # The authorization server this browser's flow started at.
        name = flow.server if flow else self.HOME_SERVER
        server = self.servers.get(name, self.oauth)
        problem = self._issuer_problem(name, server.issuer, args.get("iss"))
        if problem and "client.skip_iss_check" not in self.weaknesses:
            return self._refuse("issuer_mismatch", "Sign-in refused", problem)
        if "error" in args:
            return self._refuse(
                args["error"],
                "Sign-in did not complete",
                f"The authorization server answered: {args['error']}",
                args.get("error_description", ""),
            )
        # RFC 6749 4.1.3 (+ RFC 7636 4.5), at the token endpoint of the server
        # the flow used, with this browser's own code verifier.
        form = {
            "grant_type": "authorization_code",
            "code": args.get("code", ""),
            "redirect_uri": (pending.redirect_uri if pending else None)
            or server.redirect_uri,
        }
        if pending and pending.code_verifier:
            form["code_verifier"] = pending.code_verifier
        token_response = server.token_request(form)
        if token_response.status_code != 200:
            body = token_response.json()
            return self._refuse(
                body.get("error", "token_error"),
                "Sign-in failed",
                f"The token request was refused: {body.get('error')}",
                body.get("error_description", ""),
            )
        tokens = token_response.json()
        claims, id_token_problem = self._check_id_token(server, tokens, pending)
        if id_token_problem:
            # RFC 9700 4.5.3.2: until the check succeeds, "all tokens (ID
            # Tokens and the access token) are disregarded".
            return self._refuse("invalid_id_token", "Sign-in refused", id_token_problem)
        sid = sid or self.oauth.randomness.token(12)
        session["sid"] = sid
        self.sessions.setdefault(sid, {})["tokens"] = tokens
        self.last_error = None
        account = self._account_for(claims) if claims else None
        if account is not None:
            self.sessions[sid]["account"] = account.key
        # The photos API takes the photo service's tokens: PhotoPrint offers
        # it no token from another server (RFC 9700 4.9.1: a token sent to a
        # resource server it is not meant for is handed to that server), and
        # calls it only for what the token's scope allows.
        granted = tokens.get("scope", "").split() if server is self.oauth else []
        lines = []
        if "basic" in granted:
            user = server.call_api("/api/user", tokens["access_token"])
            if user.status_code == 200:
                profile = user.json()
                lines.append(f"Hello {profile['name']} from {profile['city']}!")
        photos: list[dict[str, str]] = []
        if "photos.read" in granted:
            listing = server.call_api("/api/photos", tokens["access_token"])
            if listing.status_code == 200:
                photos = listing.json()["photos"]
                lines.append(f"{len(photos)} photo(s) ready to print.")
        if account is not None:
            lines.extend(account.lines())
        return _page("signed-in", "Your photos", *lines, photos=photos)

    def _state_matches(self, expected: str | None, received: str | None) -> bool:
        if self.checks.state is not None:
            return bool(self.checks.state(expected, received))
        return bool(expected) and received == expected

    def _refuse(self, error: str, title: str, *lines: str):
        self.last_error = error
        return _page("callback-error", title, *lines, status=400)

    def _issuer_problem(self, name: str, expected: str, iss: str | None) -> str | None:
        """RFC 9207 2.4: compare `iss` with the server the request went to; a
        server whose metadata says it sends `iss` must send it."""
        if self.checks.issuer is not None:
            if self.checks.issuer(expected, iss, name in self.iss_supported):
                return None
            return (
                f"PhotoPrint's issuer check refused iss={iss!r} (expected {expected})."
            )
        if iss is None:
            if name in self.iss_supported:
                return (
                    f"The response has no iss, though {expected} says in its "
                    "metadata that it always sends one (RFC 9207 2.4)."
                )
            return None
        if iss != expected:
            return f"The response names issuer {iss}, not {expected}."
        return None

    def _check_id_token(
        self, server: OAuthClient, tokens: dict[str, Any], pending: Any
    ) -> tuple[dict[str, Any] | None, str | None]:
        """OIDC Core 3.1.3.7: an ID token must be signed by the issuer, for
        this client, unexpired, and carry the nonce this browser's request
        sent. Returns its claims, or what is wrong with it."""
        id_token = tokens.get("id_token")
        expected_nonce = pending.nonce if pending else None
        if id_token is None:
            return None, ("The response has no ID token." if expected_nonce else None)
        if self.checks.id_token is not None:
            try:
                claims = self.checks.id_token(
                    id_token,
                    server=server,
                    client_id=server.client_id,
                    nonce=expected_nonce,
                )
            except Exception as refusal:
                return None, f"The ID token was refused: {refusal}"
            return claims, None
        try:
            claims = verify_id_token(server, id_token)
        except jwt.PyJWTError as error:
            return (
                None,
                f"The ID token does not verify: {type(error).__name__}: {error}",
            )
        if (
            claims.get("nonce") != expected_nonce
            and "client.skip_nonce_check" not in self.weaknesses
        ):
            # OIDC Core 3.1.2.1 and 15.5.2, RFC 9700 4.5.3.2: the nonce binds
            # the ID token (and with it the code) to this browser's session.
            return None, (
                "The ID token's nonce is not the one this browser's request sent."
            )
        return claims, None

    def _account_for(self, claims: dict[str, Any]) -> Account:
        """The PhotoPrint account of whoever this verified ID token names; a
        new one for someone PhotoPrint has not seen."""
        if "client.identify_by_email" in self.weaknesses:
            # The weakness: accounts found by the email claim, whichever
            # issuer vouches for it (the "nOAuth" mistake).
            email = claims.get("email")
            found = next(
                (a for a in self.accounts.values() if email and a.email == email),
                None,
            )
            if found is not None:
                return found
        # OIDC Core 5.7: "the only guaranteed unique identifier for a given
        # End-User is the combination of the iss Claim and the sub Claim".
        key = (str(claims.get("iss", "")), str(claims.get("sub", "")))
        if key not in self.accounts:
            self.accounts[key] = Account(
                *key,
                name=str(claims.get("name", "")),
                email=str(claims.get("email", "")),
            )
        return self.accounts[key]

    def _spa_session(self):
        """`POST /spa/session`: Photo Gallery's script posts the ID token it
        got, and PhotoPrint's server opens a session for the account it names.

        OIDC Core 3.1.3.7 step 3: the client "MUST validate that the aud
        (audience) Claim contains its client_id value"; an ID token issued
        to another client says who signed in *there*, not here.
        """
        id_token = request.form.get("id_token", "")
        skip_audience = "client.skip_id_token_audience_check" in self.weaknesses
        if self.checks.id_token is not None:
            return self._spa_session_checked(id_token, self.checks.id_token)
        try:
            claims = verify_id_token(
                self.oauth,
                id_token,
                audience=None if skip_audience else GALLERY_CLIENT_ID,
            )
        except jwt.InvalidAudienceError:
            self.last_error = "id_token_for_another_client"
            audience = jwt.decode(id_token, options={"verify_signature": False}).get(
                "aud"
            )
            names = ", ".join(audience if isinstance(audience, list) else [audience])
            return _page(
                "gallery-refused",
                "Sign-in refused",
                f"This ID token was issued to {names}, not to Photo Gallery "
                f"({GALLERY_CLIENT_ID}).",
                status=401,
            )
        except jwt.PyJWTError as error:
            self.last_error = "invalid_id_token"
            return _page(
                "gallery-refused",
                "Sign-in refused",
                f"The ID token does not verify: {type(error).__name__}: {error}",
                status=401,
            )
        return self._open_gallery_session(claims)

    def _open_gallery_session(self, claims: dict[str, Any]):
        account = self._account_for(claims)
        sid = self.oauth.randomness.token(12)
        session["sid"] = sid
        self.sessions[sid] = {"account": account.key}
        self.last_error = None
        return _page(
            "gallery-signed-in",
            "Photo Gallery",
            f"Signed in as {account.name}.",
            *account.lines(),
        )

    def _spa_session_checked(self, id_token: str, check: Callable[..., Any]):
        """`/spa/session` with the ID token judged by `checks.id_token`: no
        nonce here (the gallery's script sent it, not this server)."""
        try:
            claims = check(
                id_token, server=self.oauth, client_id=GALLERY_CLIENT_ID, nonce=None
            )
        except Exception as refusal:
            self.last_error = "invalid_id_token"
            return _page(
                "gallery-refused",
                "Sign-in refused",
                f"The ID token was refused: {refusal}",
                status=401,
            )
        return self._open_gallery_session(claims)

    def _go(self):
        """`/go?to=...`: "continue to" links after sign-in.

        RFC 9700 4.11: an open redirector lets anyone bounce a browser (and a
        URL fragment with it) to any site; only our own paths are allowed.
        """
        target = request.args.get("to", "/")
        parts = urlsplit(target)
        own = not parts.scheme and not parts.netloc and target.startswith("/")
        if self.checks.redirect_target is not None:
            own = bool(self.checks.redirect_target(target))
        if own or "client.open_redirect" in self.weaknesses:
            return redirect(target, code=302)
        return _page(
            "go-refused",
            "Link refused",
            "PhotoPrint only forwards you to its own pages.",
            status=400,
        )

    def _legacy_session(self):
        """The legacy gallery's script posts the token from the fragment here,
        to be signed in as whoever the token belongs to.

        RFC 9700 4.6 (access token injection): an access token says what its
        holder may do at the API, not who is at the keyboard, and "there is no
        way to detect such an injection attack in pure-OAuth flows" (4.6.1);
        nor may a client inspect an access token (RFC 9068 6). So PhotoPrint
        takes no access token as proof of sign-in: that is OpenID Connect's
        ID token's job (lesson 08).
        """
        token = request.form.get("access_token", "")
        if "client.accept_any_token" not in self.weaknesses:
            self.last_error = "access_token_is_not_a_sign_in"
            return _page(
                "legacy-refused",
                "Sign-in refused",
                "Legacy Gallery takes no access token as proof of who you are: it "
                "says what its holder may do at the API, not who is at the "
                "keyboard. Sign in with OpenID Connect.",
                status=401,
            )
        profile = self.oauth.call_api("/api/user", token)
        if profile.status_code != 200:
            return _page(
                "legacy-refused",
                "Sign-in failed",
                "The API refused the token.",
                status=401,
            )
        user = profile.json()
        sid = self.oauth.randomness.token(12)
        session["legacy_user"] = user["id"]
        self.sessions[sid] = {
            "legacy_user": user["id"],
            "tokens": {"access_token": token},
        }
        return _page(
            "legacy-signed-in", "Legacy Gallery", f"Signed in as {user['name']}."
        )
