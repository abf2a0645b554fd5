"""Alice's account page at the authorization server: her personal access
tokens and the apps she has let in.

`/account` is a page of the authorization server, behind its sign-in and its
session cookie (`as_session`, SameSite=Lax), like the account pages of GitHub
or Google. Every form carries the session's CSRF token, and the server's
pages refuse framing (`frame-ancestors 'none'`, set for all its HTML), so
another site can neither post to it nor overlay it.

- **Personal access tokens** (`personal_access_tokens`): she names one, picks
  its scopes and its lifetime, and sees it once; the list shows name, scopes,
  created, last used and expiry, never the token; she revokes one.
- **Apps with access** (`approved_apps`): the third-party apps she approved
  and the photo service's own (first-party) apps, and a button that removes
  one's access: its approval is forgotten and its tokens revoked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, redirect, request, session

from . import csrf, pages
from .approved_apps import approved_apps, revoke_app
from .demo import SCOPES
from .personal_access_tokens import (
    LIFETIME_CHOICES_DAYS,
    PAT_SCOPES,
    PersonalAccessTokenError,
)
from .settings import AuthorizationServerSettings

HTML = Response | tuple[str, int] | str
DEFAULT_LIFETIME_DAYS = 30

_SIGN_IN = """
<p>Sign in to <strong>{{ issuer }}</strong> to manage your account.</p>
{% if error %}<p class="error" id="login-error">{{ error }}</p>{% endif %}
<form method="post" action="/account/login" id="login-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<p><label>Username <input name="username" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password"
 autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
"""

_ACCOUNT = """
<p>Signed in as <strong>{{ user.name }}</strong> ({{ user.username }}).</p>
{% if error %}<p class="error" id="account-error">{{ error }}</p>{% endif %}
<h2>Personal access tokens</h2>
<p class="muted">Tokens you make for your own scripts and tools, no app and no
consent screen involved. A token works like a password for the scopes you
pick, until it expires or you revoke it: keep it secret. This server keeps
only a SHA-256 hash of it, so you see a token once, when you make it.</p>
{% if tokens %}
<table id="tokens">
<tr><th>name</th><th>scopes</th><th>created</th><th>last used</th>
<th>expires</th><th>status</th><th></th></tr>
{% for t in tokens %}<tr id="token-{{ t.id }}">
<td>{{ t.name }}</td><td>{{ t.scope }}</td><td>{{ when(t.created_at) }}</td>
<td>{{ when(t.last_used_at) if t.last_used_at else "never" }}</td>
<td>{{ when(t.expires_at) }}</td><td>{{ t.status(now) }}</td>
<td>{% if t.status(now) == "active" %}
<form method="post" action="/account/tokens/{{ t.id }}/revoke"
 id="revoke-token-{{ t.id }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<button type="submit">Revoke</button></form>{% endif %}</td>
</tr>{% endfor %}
</table>
{% else %}<p id="no-tokens">You have no personal access tokens.</p>{% endif %}
<h3>New token</h3>
<form method="post" action="/account/tokens" id="new-token-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<p><label>Name <input name="name" maxlength="80"></label></p>
<p><label>Scopes, space-separated <input name="scope" value="basic"></label></p>
<ul id="token-scopes">
{% for name, text in scopes %}<li><code>{{ name }}</code>: {{ text }}</li>{% endfor %}
</ul>
<p><label>Expires in <select name="expires_in_days">
{% for days in lifetimes %}<option value="{{ days }}"
{% if days == default_days %}selected{% endif %}>{{ days }} days</option>{% endfor %}
</select></label></p>
<p><button type="submit">Generate token</button></p>
</form>
<h2>Apps with access to your account</h2>
{% if apps %}
<ul id="apps">
{% for app in apps %}<li id="app-{{ app.client_id }}">
<strong>{{ app.client.client_name }}</strong>:
{% if app.first_party %}first-party app of the photo service, signed in without
a consent screen{% else %}you approved {{ app.scopes | join(" ") }}{% endif %};
{{ app.active_grants }} active grant(s){% if app.last_issued_at %}, last token
{{ when(app.last_issued_at) }}{% endif %}.
<form method="post" action="/account/apps/{{ app.client_id }}/revoke"
 id="revoke-app-{{ app.client_id }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<button type="submit">Remove access</button></form>
</li>{% endfor %}
</ul>
<p class="muted" id="apps-note">Removing an app's access forgets your approval
and revokes its refresh tokens and access tokens here at once. An access token
the app already holds is a signed JWT: an API that checks JWTs itself keeps
accepting it until it expires (at most {{ access_minutes }} minutes); only an
API that asks this server (introspection) refuses it at once.</p>
{% else %}<p id="no-apps">No app has access to your account.</p>{% endif %}
<form method="post" action="/logout" id="logout-form">
<button type="submit">Sign out</button></form>
"""

_NEW_TOKEN = """
<p>Your new personal access token <strong>{{ record.name }}</strong>
({{ record.scope }}, expires {{ when(record.expires_at) }}):</p>
<p><code id="new-token">{{ token }}</code></p>
<p class="error">Copy it now: you will not be able to see it again. This server
keeps only its SHA-256 hash.</p>
<p><a id="back" href="/account">Back to your account</a></p>
"""


def _when(moment: int | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


def register(app: Flask, server: Any, settings: AuthorizationServerSettings) -> None:
    """Add `/account` and its forms to the authorization server's app."""
    store = settings.store
    tokens = settings.personal_access_tokens

    def bad_csrf() -> tuple[str, int]:
        return pages.error_page(
            "invalid_request",
            "The form's CSRF token is missing or wrong.",
            note="Nothing was changed: open your account page and try again.",
        ), 400

    def signed_in_user() -> Any:
        return store.user(session.get("user_id"))

    def sign_in_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
        return pages.render(
            "account-sign-in",
            "Your account",
            _SIGN_IN,
            issuer=settings.issuer,
            csrf_token=csrf.form_token(settings.randomness),
            error=error,
        ), status

    def account_page(user: Any, error: str | None = None, status: int = 200) -> HTML:
        now = settings.clock.now()
        return pages.render(
            "account",
            "Your account",
            _ACCOUNT,
            user=user,
            tokens=tokens.of_user(user.id),
            apps=approved_apps(store, user.id),
            scopes=[(s, SCOPES.get(s, s)) for s in PAT_SCOPES],
            lifetimes=LIFETIME_CHOICES_DAYS,
            default_days=DEFAULT_LIFETIME_DAYS,
            access_minutes=settings.lifetimes.access_token // 60,
            csrf_token=csrf.form_token(settings.randomness),
            error=error,
            now=now,
            when=_when,
        ), status

    @app.get("/account")
    def account() -> HTML:
        user = signed_in_user()
        if user is None:
            return sign_in_page()
        return account_page(user)

    @app.post("/account/login")
    def account_login() -> HTML:
        if not csrf.form_ok():
            return bad_csrf()
        username = request.form.get("username", "")
        user = store.user_by_username(username)
        if user is None or not user.check_password(request.form.get("password", "")):
            server.record("user.authentication.failed", None, username, "account page")
            return sign_in_page("Wrong username or password.")
        interactions = session.get("interactions", [])
        session.clear()  # a fresh session on sign-in (session fixation)
        session["user_id"] = user.id
        session["auth_time"] = settings.clock.now()
        session["interactions"] = interactions
        server.record("user.authenticated", None, user.id, "account page")
        # 303: the form's POST becomes a GET, the password is not sent again
        # (RFC 9110 15.4.4; RFC 9700 4.12).
        return redirect("/account", code=303)

    @app.post("/account/tokens")
    def create_token() -> HTML:
        user = signed_in_user()
        if user is None:
            return redirect("/account", code=303)
        if not csrf.form_ok():
            return bad_csrf()
        days = request.form.get("expires_in_days", "")
        try:
            created = tokens.issue(
                user_id=user.id,
                name=request.form.get("name", ""),
                scope=request.form.get("scope", "").split(),
                lifetime_days=int(days) if days.isdigit() else -1,
                now=settings.clock.now(),
                randomness=settings.randomness,
            )
        except PersonalAccessTokenError as error:
            return account_page(user, str(error), 400)
        record = created.record
        server.record(
            "personal_access_token.created",
            None,
            user.id,
            f"{record.id} {record.name!r}: {record.scope}, "
            f"expires {_when(record.expires_at)}",
        )
        page = pages.render(
            "new-token",
            "Your new token",
            _NEW_TOKEN,
            record=record,
            token=created.token,
            when=_when,
        )
        response = Response(page, mimetype="text/html")
        # Shown once: no cache may keep the page (RFC 9111 5.2.2.5).
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/account/tokens/<token_id>/revoke")
    def revoke_token(token_id: str) -> HTML:
        user = signed_in_user()
        if user is None:
            return redirect("/account", code=303)
        if not csrf.form_ok():
            return bad_csrf()
        try:
            record = tokens.revoke(user.id, token_id, settings.clock.now())
        except PersonalAccessTokenError as error:
            return account_page(user, str(error), 404)
        server.record(
            "personal_access_token.revoked",
            None,
            user.id,
            f"{record.id} {record.name!r}",
        )
        return redirect("/account", code=303)

    @app.post("/account/apps/<client_id>/revoke")
    def revoke_app_access(client_id: str) -> HTML:
        user = signed_in_user()
        if user is None:
            return redirect("/account", code=303)
        if not csrf.form_ok():
            return bad_csrf()
        if client_id not in {app.client_id for app in approved_apps(store, user.id)}:
            return account_page(user, "No such app has access to your account.", 404)
        revoked = revoke_app(store, user.id, client_id)
        server.record(
            "app.access_revoked",
            client_id,
            user.id,
            f"approval of {' '.join(sorted(revoked.scopes_forgotten)) or '(none)'} "
            f"forgotten; {revoked.tokens_revoked} token(s) revoked",
        )
        return redirect("/account", code=303)
