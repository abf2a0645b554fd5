"""The verification page of the device authorization grant (RFC 8628 3.3).

The person goes to `verification_uri` on a device with a browser (their
phone), signs in, types the user code the device shows, and approves or
denies. Routes:

- `GET /device[?user_code=...]`: the sign-in form, or the code form (the code
  filled in when it came in the URI, RFC 8628 3.3.1);
- `POST /device/login`: sign in, then 303 back to `/device`;
- `POST /device`: check the code, then show what is asking: the consent page;
- `POST /device/consent`: approve or deny; the device's next poll learns it.

RFC 8628 5.4 (remote phishing): a device flow can be started on a device in
an attacker's possession, so the consent page names the client, shows the
code and where the request came from, and warns. The
`as.device_consent_hides_client` weakness (read in `consent_page`) shows a
bare "approve this sign-in?" instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, redirect, request, session

from . import csrf, pages
from .demo import SCOPES
from .device_authorization import DeviceAuthorization, Status
from .models import Client, User
from .settings import AuthorizationServerSettings

# RFC 8628 5.1: "it is recommended that the server rate-limit user code
# attempts": wrong codes one browser session may type. (A real server would
# also count per network address and per account: a new session is free.)
MAX_WRONG_CODES = 5
HTML = Response | tuple[str, int] | str

_SIGN_IN = """
<p>Sign in to <strong>{{ issuer }}</strong> to connect a device.</p>
{% if error %}<p class="error" id="login-error">{{ error }}</p>{% endif %}
<form method="post" action="/device/login" id="login-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="user_code" value="{{ user_code }}">
<p><label>Username <input name="username" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password"
 autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
<p class="muted">Demo users: alice / wonderland, bob / builder.</p>
"""

_ENTER_CODE = """
<p>Signed in as <strong>{{ user_name }}</strong>.</p>
<p>Enter the code shown on your device.</p>
{% if error %}<p class="error" id="code-error">{{ error }}</p>{% endif %}
<form method="post" action="/device" id="device-code-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<p><label>Code <input name="user_code" value="{{ user_code }}"
 autocomplete="off" autocapitalize="characters"></label></p>
<p><button type="submit">Continue</button></p>
</form>
"""

_CONSENT = """
<p>Signed in as <strong>{{ user_name }}</strong>.</p>
<p class="error" id="device-warning"><strong>You are connecting a device to
your account.</strong> Only continue if you started this yourself, on a
device in front of you, and it shows the code
<strong>{{ display_code }}</strong>. If someone sent you this code or asked
you to enter it (a message, a prize, a support call), choose Deny.</p>
<dl id="device-request">
<dt>Application</dt>
<dd id="device-client"><strong>{{ client_name }}</strong>: {{ description }}</dd>
<dt>Code on the device</dt><dd id="device-user-code">{{ display_code }}</dd>
<dt>Requested from</dt>
<dd id="device-origin">network address {{ requested_from }}, {{ age }};
the device calls itself "{{ user_agent }}"</dd>
</dl>
<p>It would like to:</p>
<ul id="scopes">
{% for name, text in scopes %}<li><code>{{ name }}</code>: {{ text }}</li>{% endfor %}
</ul>
<form method="post" action="/device/consent" id="consent-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="user_code" value="{{ display_code }}">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="approve">Approve</button>
</form>
"""

# The weakness: nothing says what is asking, from where, or that a device is
# being connected; the person only confirms the code they were given.
_CONSENT_BARE = """
<p>Signed in as <strong>{{ user_name }}</strong>.</p>
<p id="device-bare">Code accepted. Approve this sign-in?</p>
<form method="post" action="/device/consent" id="consent-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="user_code" value="{{ display_code }}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
"""

_DONE = """
<p id="device-result">{{ message }}</p>
"""


def _age(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds ago"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''} ago"


def consent_page(
    settings: AuthorizationServerSettings,
    *,
    user: User,
    client: Client,
    device: DeviceAuthorization,
    csrf_token: str,
) -> str:
    """What the person sees before approving a device (RFC 8628 5.4)."""
    template, title = _CONSENT, "Connect a device"
    if "as.device_consent_hides_client" in settings.weaknesses:
        # Not even the heading says that a device is being connected.
        template, title = _CONSENT_BARE, "Approve sign-in"
    return pages.render(
        "device-consent",
        title,
        template,
        user_name=user.name,
        client_name=client.client_name,
        description=client.description,
        display_code=device.display_code,
        requested_from=device.requested_from,
        user_agent=device.user_agent,
        age=_age(settings.clock.now() - device.issued_at),
        scopes=[(s, SCOPES.get(s, s)) for s in device.scope.split()],
        csrf_token=csrf_token,
    )


def register(app: Flask, server: Any, settings: AuthorizationServerSettings) -> None:
    """Add `/device`, `/device/login` and `/device/consent` to the AS's app."""
    store = settings.store
    devices = store.device_authorizations

    def current_user() -> User | None:
        return store.user(session.get("user_id"))

    def csrf_refused() -> tuple[str, int]:
        return pages.error_page(
            "invalid_request",
            "The form's CSRF token is missing or wrong.",
            note="Go back and try again.",
        ), 400

    def sign_in_page(user_code: str, error: str | None = None) -> str:
        return pages.render(
            "device-login",
            "Connect a device",
            _SIGN_IN,
            issuer=settings.issuer,
            user_code=user_code,
            csrf_token=csrf.form_token(settings.randomness),
            error=error,
        )

    def code_page(user: User, user_code: str, error: str | None = None) -> str:
        return pages.render(
            "device-code",
            "Connect a device",
            _ENTER_CODE,
            user_name=user.name,
            user_code=user_code,
            csrf_token=csrf.form_token(settings.randomness),
            error=error,
        )

    def waiting(typed: str) -> DeviceAuthorization | None:
        device = devices.by_user_code(typed)
        if device is None or device.status != Status.PENDING:
            return None
        if device.is_expired(settings.clock.now()):
            return None
        return device

    @app.get("/device")
    def device_start() -> HTML:
        user_code = request.args.get("user_code", "")
        user = current_user()
        if user is None:
            return sign_in_page(user_code)
        return code_page(user, user_code)

    @app.post("/device/login")
    def device_login() -> HTML:
        if not csrf.form_ok():
            return csrf_refused()
        user_code = request.form.get("user_code", "")
        username = request.form.get("username", "")
        user = store.user_by_username(username)
        if user is None or not user.check_password(request.form.get("password", "")):
            server.record("user.authentication.failed", None, username, "device")
            return sign_in_page(user_code, "Wrong username or password."), 400
        session.clear()  # a fresh session on sign-in (session fixation)
        session["user_id"] = user.id
        session["auth_time"] = settings.clock.now()
        server.record("user.authenticated", None, user.id, "device sign-in form")
        query = f"?{urlencode({'user_code': user_code})}" if user_code else ""
        # RFC 9700 4.12: 303, so the password is not sent on.
        return redirect(f"/device{query}", code=303)

    @app.post("/device")
    def device_code() -> HTML:
        if not csrf.form_ok():
            return csrf_refused()
        typed = request.form.get("user_code", "")
        user = current_user()
        if user is None:
            return sign_in_page(typed)
        wrong = int(session.get("device_wrong_codes", 0))
        if wrong >= MAX_WRONG_CODES:
            # RFC 8628 5.1: user codes are short; limit the guesses.
            server.record("device.user_code.locked", None, user.id, typed)
            return code_page(
                user, "", "Too many wrong codes. Start again on your device."
            ), 429
        device = waiting(typed)
        if device is None:
            session["device_wrong_codes"] = wrong + 1
            server.record("device.user_code.wrong", None, user.id, typed)
            return code_page(
                user, typed, "That code is wrong or has expired. Check your device."
            ), 400
        client = store.client(device.client_id)
        assert client is not None
        session["device_user_code"] = device.user_code
        return consent_page(
            settings,
            user=user,
            client=client,
            device=device,
            csrf_token=csrf.form_token(settings.randomness),
        )

    @app.post("/device/consent")
    def device_consent() -> HTML:
        if not csrf.form_ok():
            return csrf_refused()
        user = current_user()
        typed = request.form.get("user_code", "")
        device = waiting(typed)
        if user is None or device is None:
            return pages.error_page(
                "invalid_request",
                "This code is not waiting for you any more (expired, answered "
                "already, or never entered in this browser).",
                note="Start again on your device.",
            ), 400
        if session.get("device_user_code") != device.user_code:
            # The code must be the one this browser entered and was shown.
            return pages.error_page(
                "invalid_request",
                "Enter the code on this page first.",
                note="Start again on your device.",
            ), 400
        session.pop("device_user_code", None)
        with devices.lock:
            return decide(user, device, request.form.get("decision") == "approve")

    def decide(user: User, device: DeviceAuthorization, approve: bool) -> HTML:
        if device.status != Status.PENDING:  # a decision from another browser
            return pages.error_page(
                "invalid_request",
                "This code was answered already.",
                note="Start again on your device.",
            ), 400
        if not approve:
            device.status = Status.DENIED
            server.record("device.denied", device.client_id, user.id, device.scope)
            message = "You denied the request. The device gets no access."
        else:
            device.status = Status.APPROVED
            device.user_id = user.id
            server.record("device.approved", device.client_id, user.id, device.scope)
            # RFC 8628 3.3: "the server instructs the user to return to their
            # device".
            message = "Done: your device is connected. Go back to your device."
        return pages.render("device-done", "Connect a device", _DONE, message=message)
