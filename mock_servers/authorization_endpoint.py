"""The authorization endpoint and the pages a resource owner sees there.

`/authorize` takes an authorization request by GET or by POST (OIDC Core
3.1.2.1: the AS "MUST support the use of the HTTP GET and POST methods").
When the request needs the resource owner, the AS keeps it as a pending
authorization request, named by a random id bound to this browser's session,
and shows a page:

- the sign-in page posts to `/login`, which answers 302 to
  `/authorize/resume?interaction=<id>` (back to the authorization request);
- the consent page posts to `/consent`, which answers the client.

Every step validates the kept request again with Authlib, so a pending request
is never trusted more than a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Payload
from flask import Flask, Response, redirect, request, session
from werkzeug.datastructures import MultiDict

from . import csrf, pages, par
from .approved_apps import consent_on_record
from .demo import SCOPES
from .interaction import AuthenticationRequest, Step, next_step, with_redirect
from .models import PendingAuthorization, SignedInUser
from .settings import AuthorizationServerSettings

# A browser may have a few authorization requests waiting at once (tabs).
MAX_PENDING_PER_SESSION = 5
HTML = Response | tuple[str, int] | str


class KeptPayload(OAuth2Payload):
    def __init__(self, params: Iterable[tuple[str, str]]) -> None:
        self._data = MultiDict(list(params))

    @property
    def data(self) -> MultiDict:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return {key: self._data.getlist(key) for key in self._data}


class KeptRequest(OAuth2Request):
    """A pending authorization request, read from the parameters the AS kept
    rather than from the HTTP request at hand (a sign-in or consent POST)."""

    def __init__(self, uri: str, pending: PendingAuthorization) -> None:
        super().__init__("GET", uri, headers={})
        self.payload = KeptPayload(pending.params)

    @property
    def args(self) -> MultiDict:
        return self.payload.data

    @property
    def form(self) -> MultiDict:
        return MultiDict()


def kept_request_for(
    settings: AuthorizationServerSettings,
) -> Callable[[PendingAuthorization], KeptRequest]:
    """How a kept (or pushed) request is read back as an authorization request."""
    return lambda pending: KeptRequest(f"{settings.issuer}/authorize", pending)


def sign_in_redirect_status(settings: AuthorizationServerSettings) -> int:
    """The status of a redirect that answers the sign-in form's POST.

    RFC 9700 4.12: that request carries the user's password. Authorization
    servers "MUST NOT use the HTTP 307 status code", which makes the browser
    send the form again, password included, to the new location (RFC 9110
    15.4.8); "the authorization server SHOULD use HTTP status code 303 (See
    Other)", which always turns it into a GET without a body.
    """
    if "as.redirect_307" in settings.weaknesses:
        return 307  # the weakness
    return 303


def register(app: Flask, server: Any, settings: AuthorizationServerSettings) -> None:
    """Add `/authorize`, `/authorize/resume`, `/login`, `/consent` and
    `/logout` to the authorization server's app."""
    store = settings.store

    def current_user() -> SignedInUser | None:
        user = store.user(session.get("user_id"))
        if user is None:
            return None
        return SignedInUser.of(user, int(session.get("auth_time", 0)))

    def pending_of_this_browser(pending_id: str) -> PendingAuthorization | None:
        if pending_id not in session.get("interactions", []):
            return None  # another browser's request, or one already answered
        return store.pending_authorization(pending_id)

    def keep(pending: PendingAuthorization) -> None:
        if store.pending_authorization(pending.id) is not None:
            return
        store.save_pending_authorization(pending)
        ids = [*session.get("interactions", []), pending.id]
        for old in ids[:-MAX_PENDING_PER_SESSION]:
            store.finish_pending_authorization(old)
        session["interactions"] = ids[-MAX_PENDING_PER_SESSION:]

    def finish(pending: PendingAuthorization) -> None:
        store.finish_pending_authorization(pending.id)
        ids = session.get("interactions", [])
        if pending.id in ids:
            session["interactions"] = [i for i in ids if i != pending.id]

    def refused(error: OAuth2Error, client_id: str | None) -> tuple[str, int]:
        # RFC 6749 4.1.2.1: unknown client or unverified redirect URI: tell
        # the resource owner, never redirect.
        user = current_user()
        server.record(
            "authorization_request.refused",
            client_id,
            user.id if user else None,
            error.get_error_description() or error.error,
        )
        return pages.error_page(error.error, error.get_error_description() or ""), 400

    def unknown_interaction() -> tuple[str, int]:
        return pages.error_page(
            "invalid_request",
            "This sign-in or consent step belongs to no authorization request "
            "waiting in this browser (answered already, or never started here).",
            note="Go back to the application and start again.",
        ), 400

    def proceed(pending: PendingAuthorization, oauth_request: Any) -> HTML:
        """Validate the request and show the next page, or answer the client."""
        user = current_user()
        try:
            grant = server.get_consent_grant(request=oauth_request, end_user=user)
        except OAuth2Error as error:
            finish(pending)
            if error.redirect_uri:
                return server.redirect_error(error, oauth_request.payload.client_id)
            return refused(error, oauth_request.payload.client_id)
        client = grant.client
        scope = grant.request.scope or ""
        try:
            step = next_step(
                AuthenticationRequest.read(grant.request.payload.data),
                user,
                signed_in_for_this_request=pending.signed_in,
                consent_on_record=user is not None
                and consent_on_record(store, user.id, client, scope),
                now=settings.clock.now(),
            )
        except OAuth2Error as error:
            finish(pending)
            return server.redirect_error(with_redirect(error, grant), client.client_id)
        if step is Step.ANSWER:
            finish(pending)
            return server.create_authorization_response(
                request=grant.request, grant_user=user, grant=grant
            )
        keep(pending)
        if step is Step.SIGN_IN:
            return pages.login_page(
                issuer=settings.issuer,
                client_name=client.client_name,
                interaction=pending.id,
                csrf_token=csrf.form_token(settings.randomness),
                error=None,
            )
        assert user is not None
        return pages.consent_page(
            user_name=user.name,
            client_name=client.client_name,
            scopes=[(s, SCOPES.get(s, s)) for s in scope.split()],
            interaction=pending.id,
            redirect_uri=grant.redirect_uri,
            csrf_token=csrf.form_token(settings.randomness),
        )

    def kept_request(pending: PendingAuthorization) -> KeptRequest:
        return KeptRequest(f"{settings.issuer}/authorize", pending)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> HTML:
        # OIDC Core 3.1.2.1: GET (query) or POST (form-encoded body).
        params = tuple(request.values.items(multi=True))
        try:
            # RFC 9126 4: a request_uri from /par stands for the pushed request.
            pushed = par.resolve(settings, params)
        except OAuth2Error as error:
            # The pushed request (and its redirect URI) is gone or not this
            # client's: nowhere verified to redirect to (RFC 6749 4.1.2.1).
            return refused(error, dict(params).get("client_id"))
        pending = PendingAuthorization(
            id=settings.randomness.token(16),
            params=pushed or params,
            created_at=settings.clock.now(),
        )
        if pushed is not None:
            return proceed(pending, kept_request(pending))
        return proceed(pending, server.create_oauth2_request(None))

    @app.get("/authorize/resume")
    def resume() -> HTML:
        pending = pending_of_this_browser(request.args.get("interaction", ""))
        if pending is None:
            return unknown_interaction()
        return proceed(pending, kept_request(pending))

    @app.post("/login")
    def login() -> Response | tuple[str, int] | str:
        if not csrf.form_ok():
            return pages.error_page(
                "invalid_request",
                "The sign-in form's CSRF token is missing or wrong.",
                note="Nothing was lost: go back and sign in again.",
            ), 400
        pending_id = request.form.get("interaction", "")
        username = request.form.get("username", "")
        user = store.user_by_username(username)
        if user is None or not user.check_password(request.form.get("password", "")):
            server.record("user.authentication.failed", None, username, "sign-in form")
            return pages.login_page(
                issuer=settings.issuer,
                client_name="the application",
                interaction=pending_id,
                csrf_token=csrf.form_token(settings.randomness),
                error="Wrong username or password.",
            )
        interactions = session.get("interactions", [])
        session.clear()  # a fresh session on sign-in (session fixation)
        session["user_id"] = user.id
        session["auth_time"] = settings.clock.now()  # OIDC Core 2: auth_time
        session["interactions"] = interactions
        server.record("user.authenticated", None, user.id, "sign-in form")
        pending = pending_of_this_browser(pending_id)
        if pending is None:
            return redirect("/", code=302)
        pending.signed_in = True
        answer = answer_at_once(pending)
        if answer is not None:
            return answer
        return redirect(f"/authorize/resume?interaction={pending.id}", code=302)

    def answer_at_once(pending: PendingAuthorization) -> Response | None:
        """Right after the sign-in: when the request needs nothing more of the
        user (consent on record), answer the client from this POST."""
        user = current_user()
        try:
            grant = server.get_consent_grant(
                request=kept_request(pending), end_user=user
            )
            step = next_step(
                AuthenticationRequest.read(grant.request.payload.data),
                user,
                signed_in_for_this_request=True,
                consent_on_record=user is not None
                and consent_on_record(
                    store, user.id, grant.client, grant.request.scope or ""
                ),
                now=settings.clock.now(),
            )
        except OAuth2Error:
            return None  # /authorize/resume shows it as it shows any error
        if step is not Step.ANSWER:
            return None
        finish(pending)
        response = server.create_authorization_response(
            request=grant.request, grant_user=user, grant=grant
        )
        response.status_code = sign_in_redirect_status(settings)
        return response

    @app.post("/consent")
    def consent() -> HTML:
        pending = pending_of_this_browser(request.form.get("interaction", ""))
        if pending is None:
            return unknown_interaction()
        if not csrf.form_ok():
            # The pending request is kept: a correct submission still works.
            return pages.error_page(
                "invalid_request",
                "The consent form's CSRF token is missing or wrong.",
                note="Nothing was lost: go back and decide again.",
            ), 400
        user = current_user()
        if user is None:  # the session ended while the page was open
            return proceed(pending, kept_request(pending))
        try:
            grant = server.get_consent_grant(
                request=kept_request(pending), end_user=user
            )
        except OAuth2Error as error:
            finish(pending)
            client_id = dict(pending.params).get("client_id")
            if error.redirect_uri:
                return server.redirect_error(error, client_id)
            return refused(error, client_id)
        finish(pending)
        client_id = grant.client.client_id
        scope = grant.request.scope or ""
        if request.form.get("decision") != "approve":
            server.record("consent.denied", client_id, user.id, scope)
            return server.create_authorization_response(
                request=grant.request, grant_user=None, grant=grant
            )
        store.remember_consent(user.id, client_id, scope)
        server.record("consent.granted", client_id, user.id, scope)
        return server.create_authorization_response(
            request=grant.request, grant_user=user, grant=grant
        )

    @app.post("/logout")
    def logout() -> Response:
        session.clear()
        return redirect("/", code=302)
