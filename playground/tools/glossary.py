"""The words of OAuth 2.0, each with a plain definition, its spec and a lesson.

DESIGN asks every part of the playground to use the words of RFC 6749 and the
seeds' glossary; this is where a learner looks them up. Each entry names the
lesson that shows the thing happening, so a definition is one click from the
wire. Pure data: the Glossary page only draws it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One glossary entry: the term, a short definition, where it is specified,
    and the lesson file (in lessons/) that shows it."""

    term: str
    definition: str
    spec: str
    lesson: str

    @property
    def slug(self) -> str:
        """A stable identifier for widget keys and anchors."""
        return re.sub(r"[^a-z0-9]+", "_", self.term.lower()).strip("_")


TERMS: tuple[Term, ...] = (
    Term(
        "Access token",
        "A string the client shows the resource server to be let in. It stands "
        "for a grant of limited scope and lifetime; the client need not "
        "understand it. In the playground it is a signed JWT by default "
        "(opaque strings with `serve --token-format opaque`).",
        "RFC 6749 1.4",
        "01_client_credentials.py",
    ),
    Term(
        "Authorization code",
        "A short-lived, one-time code the authorization server sends back "
        "through the browser; the client trades it for tokens at the token "
        "endpoint, so the tokens never appear in a URL (and, for a client with "
        "its own server, never reach the browser at all).",
        "RFC 6749 1.3.1, 4.1",
        "02_authorization_code.py",
    ),
    Term(
        "Authorization server",
        "The server that authenticates the resource owner, asks for consent and "
        "issues access tokens to the client (here: auth.photos.test).",
        "RFC 6749 1.1",
        "02_authorization_code.py",
    ),
    Term(
        "Resource server",
        "The server that holds the protected resources and accepts access "
        "tokens (here: the photos API at api.photos.test).",
        "RFC 6749 1.1",
        "01_client_credentials.py",
    ),
    Term(
        "Client",
        "The application that asks for access on the resource owner's behalf "
        "(or its own). Confidential clients can keep a secret; public clients "
        "(browser and mobile apps) cannot.",
        "RFC 6749 1.1, 2.1",
        "09_client_authentication.py",
    ),
    Term(
        "Grant",
        "The way a client obtains an access token: authorization code, client "
        "credentials, refresh token, and the deprecated implicit and password "
        "grants. Also called an authorization grant.",
        "RFC 6749 1.3",
        "01_client_credentials.py",
    ),
    Term(
        "Resource owner",
        "The person (or entity) who can grant access to a protected resource: "
        "usually the end user, Alice in the lessons.",
        "RFC 6749 1.1",
        "02_authorization_code.py",
    ),
    Term(
        "Scope",
        "Space-separated names of what the client may do with a token (say "
        "photos.read). The client asks; the user and the server may grant less.",
        "RFC 6749 3.3",
        "01_client_credentials.py",
    ),
    Term(
        "JWT",
        "JSON Web Token: a header, claims and a signature, each base64url "
        "encoded and joined by dots. An access token in JWT form is typed "
        "at+jwt and checked by the API with the issuer's public keys.",
        "RFC 7519, RFC 9068",
        "01_client_credentials.py",
    ),
    Term(
        "Refresh token",
        "A long-lived credential the client sends only to the authorization "
        "server, to get new access tokens without asking the user again.",
        "RFC 6749 1.5, 6",
        "04_refresh_token.py",
    ),
    Term(
        "PKCE",
        "Proof Key for Code Exchange: the client sends the hash of a random "
        "code verifier with the authorization request and the verifier itself "
        "with the code, so a stolen code is useless to anyone who does not "
        "also hold the verifier.",
        "RFC 7636",
        "03_authorization_code_pkce.py",
    ),
    Term(
        "State",
        "A random value the client sends in the authorization request and "
        "checks in the callback, so an attacker cannot slip their own code "
        "into the user's session (CSRF).",
        "RFC 6749 4.1.1, 10.12",
        "02_authorization_code.py",
    ),
    Term(
        "Redirect URI",
        "Where the authorization server sends the browser back with the code. "
        "It must match one the client registered exactly, or codes leak to "
        "whoever controls the other address; only a native app's loopback "
        "address may vary its port.",
        "RFC 6749 3.1.2, RFC 9700 4.1.3, RFC 8252 7.3",
        "02_authorization_code.py",
    ),
    Term(
        "Consent",
        "The resource owner's decision, on the authorization server's own page, "
        "to let this client have these scopes. The server remembers it, so the "
        "next request for the same scopes is answered at once; it asks none of "
        "the company's own (first-party) apps; the password grant skips it.",
        "RFC 6749 4.1 (B)",
        "02_authorization_code.py",
    ),
    Term(
        "Introspection",
        "A resource server asks the authorization server whether a token is "
        "still active and what it allows, instead of reading it itself.",
        "RFC 7662",
        "07_introspection_and_revocation.py",
    ),
    Term(
        "Revocation",
        "A client tells the authorization server it no longer needs a token, "
        "which then stops being active.",
        "RFC 7009",
        "07_introspection_and_revocation.py",
    ),
    Term(
        "ID token",
        "A JWT for the client (not for an API) that says who signed in and "
        "when: the addition OpenID Connect makes to OAuth.",
        "OpenID Connect Core 2",
        "08_openid_connect.py",
    ),
    Term(
        "Bearer token",
        "A token that works for whoever holds it, with no further proof, like "
        "cash: it is sent as `Authorization: Bearer <token>` and must be kept "
        "secret in transit and at rest.",
        "RFC 6750 1.2, 2.1",
        "01_client_credentials.py",
    ),
    Term(
        "Front channel",
        "Messages carried by the user's browser: redirects and form posts. "
        "Anything in them (a URL, a fragment) may be seen by the user, the "
        "browser's history and scripts on the page.",
        "RFC 9700 2.1.2, RFC 6749 4.1",
        "05_implicit.py",
    ),
    Term(
        "Back channel",
        "A direct request to an endpoint, not a redirect, such as the "
        "client's call to the token endpoint. From a server it is invisible to "
        "the browser; from a browser app it is a fetch() the page's scripts "
        "(and extensions) can see.",
        "RFC 6749 4.1.3",
        "02_authorization_code.py",
    ),
    Term(
        "Client authentication",
        "How a confidential client proves who it is at the token endpoint: a "
        "secret in a Basic header or the body, or a JWT signed with its own key.",
        "RFC 6749 2.3, RFC 7523",
        "09_client_authentication.py",
    ),
    Term(
        "Implicit grant",
        "The authorization server returns the access token straight in the "
        "redirect's fragment, over the front channel. Deprecated: use the "
        "authorization code with PKCE instead.",
        "RFC 6749 4.2, RFC 9700 2.1.2",
        "05_implicit.py",
    ),
    Term(
        "Device authorization grant",
        "For a device with no browser or keyboard (a TV): it gets a device code "
        "and a short user code, the person types the user code on their phone "
        "and approves there, and the device polls the token endpoint until "
        "they have decided (authorization_pending, slow_down).",
        "RFC 8628",
        "10_device_authorization.py",
    ),
    Term(
        "Protected resource metadata",
        "A JSON document an API publishes at /.well-known/oauth-protected-resource: "
        "its resource identifier, the authorization servers that issue its "
        "tokens, its scopes. The API's 401 answers point to it "
        "(resource_metadata), so a client that knows only the API finds the rest.",
        "RFC 9728",
        "14_discovering_an_api.py",
    ),
    Term(
        "Resource indicator",
        "The resource parameter: which API the client wants a token for, sent "
        "to the authorization and token endpoints. The token's aud is that API; "
        "an unknown one is refused with invalid_target.",
        "RFC 8707",
        "14_discovering_an_api.py",
    ),
    Term(
        "Password grant",
        "The client collects the user's username and password and sends them "
        "to the token endpoint itself. Deprecated: it MUST NOT be used.",
        "RFC 6749 4.3, RFC 9700 2.4",
        "06_password.py",
    ),
    Term(
        "Personal access token",
        "A token a user makes for herself on her account page, for her own "
        "scripts: no client, no redirect, no consent screen. It carries the "
        "scopes and expiry she picked; the server keeps only its hash and the "
        "API asks the server about it. A stolen one is her, anywhere.",
        "RFC 6750 2.1 (sent as a bearer token); GitHub's and Laravel "
        "Sanctum's practice",
        "12_personal_access_tokens.py",
    ),
    Term(
        "First-party client",
        "An app of the company that runs the authorization server (here: "
        "Photos at photos.test). The server asks its users no consent, and "
        "only for a client that authenticates itself.",
        "RFC 6749 10.2",
        "13_approved_apps.py",
    ),
    Term(
        "Token exchange",
        "A client (often an API calling another API) trades a token it was "
        "given (the subject token) at the token endpoint for a new one with "
        "another audience, fewer scopes and a shorter life.",
        "RFC 8693",
        "11_token_exchange.py",
    ),
    Term(
        "Actor (act)",
        "The claim of an exchanged token that names who acts for the subject: "
        "delegation. The subject (sub) stays the user.",
        "RFC 8693 4.1",
        "11_token_exchange.py",
    ),
    Term(
        "Audience (aud)",
        "The resource server a token is for. Every API must refuse a token "
        "whose aud is not itself, or a token given to one API opens them all.",
        "RFC 9068 4, RFC 9700 2.3",
        "11_token_exchange.py",
    ),
)


def search(text: str) -> tuple[Term, ...]:
    """Terms whose name, definition or spec mention `text` (case-insensitive)."""
    wanted = text.strip().lower()
    if not wanted:
        return TERMS
    return tuple(
        term
        for term in TERMS
        if wanted in f"{term.term} {term.definition} {term.spec}".lower()
    )


def lesson_label(file_name: str) -> str:
    """'04_refresh_token.py' -> 'Lesson 04: refresh token', for a button."""
    stem = file_name.removesuffix(".py")
    number, _, words = stem.partition("_")
    return f"Lesson {number}: {words.replace('_', ' ')}"
