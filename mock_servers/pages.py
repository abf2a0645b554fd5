"""The HTML the authorization server shows a resource owner.

Plain forms with stable `name`s and ids, so a learner reads them in the raw
HTTP and the Browser actor can fill them in like a person would.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import render_template_string

_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }} - Playground Authorization Server</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
.card{border:1px solid #ccd;border-radius:8px;padding:1rem 1.5rem}
.error{color:#a00}.muted{color:#667}button{margin-right:.5rem}
</style></head>
<body><div class="card" id="{{ page_id }}">
<h1>{{ title }}</h1>
{{ body | safe }}
</div></body></html>"""

_LOGIN = """
<p>Sign in to <strong>{{ issuer }}</strong> to continue to
<strong>{{ client_name }}</strong>.</p>
{% if error %}<p class="error" id="login-error">{{ error }}</p>{% endif %}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="interaction" value="{{ interaction }}">
<p><label>Username <input name="username" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password"
 autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
<p class="muted">Demo users: alice / wonderland, bob / builder.</p>
"""

_CONSENT = """
<p>Signed in as <strong>{{ user_name }}</strong>.</p>
<p><strong>{{ client_name }}</strong> would like to:</p>
<ul id="scopes">
{% for name, text in scopes %}<li><code>{{ name }}</code>: {{ text }}</li>{% endfor %}
</ul>
<form method="post" action="/consent" id="consent-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="interaction" value="{{ interaction }}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="muted">You will be sent back to {{ redirect_uri }}</p>
"""

_ERROR = """
<p class="error" id="error-code"><code>{{ error }}</code></p>
<p id="error-description">{{ description }}</p>
<p class="muted">{{ note }}</p>
"""

_UNTRUSTED_REDIRECT = """
<p class="error" id="error-code"><code>{{ error }}</code></p>
<p id="error-description">{{ description }}</p>
<p><strong>{{ client_name }}</strong> is not an application this server has
verified. It asked to send you to this address:</p>
<p><code id="redirect-target">{{ location }}</code></p>
<p>Only continue if you know and trust <strong>{{ host }}</strong>. Nothing
there is part of this server, whatever it looks like.</p>
<p><a id="continue" href="{{ location }}">Continue to {{ host }}</a></p>
"""

NOT_REDIRECTED = (
    "The request was not sent back to the client: RFC 6749 4.1.2.1 says an "
    "authorization server must not redirect to an unverified redirect URI or "
    "for an unknown client."
)


def render(page_id: str, title: str, template: str, **context: Any) -> str:
    body = render_template_string(template, **context)
    return render_template_string(_LAYOUT, page_id=page_id, title=title, body=body)


def login_page(**context: Any) -> str:
    return render("login", "Sign in", _LOGIN, **context)


def consent_page(**context: Any) -> str:
    return render("consent", "Authorize access", _CONSENT, **context)


def untrusted_redirect_page(
    *, error: str, description: str, client_name: str, location: str
) -> str:
    """An error response for a client the AS has not verified, shown instead
    of redirecting (RFC 9700 4.11.2): the user decides whether to go on."""
    return render(
        "untrusted-redirect",
        "Check where you are going",
        _UNTRUSTED_REDIRECT,
        error=error,
        description=description,
        client_name=client_name,
        location=location,
        host=urlsplit(location).netloc,
    )


def error_page(error: str, description: str, note: str = NOT_REDIRECTED) -> str:
    return render(
        "authorization-error",
        "Authorization request refused",
        _ERROR,
        error=error,
        description=description,
        note=note,
    )
