"""Personal access tokens: a token Alice makes for herself, no OAuth flow at all."""

import json

from playground import Lesson

ALICE = "u-1001"
PREFIX = "photos_pat_"

lesson = Lesson(
    "Personal access tokens: simpler than OAuth, and riskier",
    level="intermediate",
    kind="advanced",
    summary=(
        "Alice makes a token for her own backup script on her account page, as "
        "GitHub, Laravel Sanctum and Passport let users do: no client, no "
        "redirect, no consent screen. The photos API takes it like an OAuth "
        "token, with the same scopes. What is simpler about it (nobody to "
        "consent to) is also what makes a stolen one worse."
    ),
)


@lesson.step("Alice signs in to her account page")
def account_page(run):
    """
    Alice opens `/account` **at the authorization server** (the photo
    service's account page, like GitHub's settings). Not signed in, she gets
    the server's sign-in form; her `POST /account/login` is answered **303**
    back to `/account` (a 303 turns the POST into a GET, so the password is
    not sent again), and the session cookie `as_session` keeps her signed in.

    Read the headers of the page: `Content-Security-Policy: frame-ancestors
    'none'` (no other site may frame it, RFC 9700 4.16) and every form
    carries a hidden `csrf_token` bound to her session, so no other site can
    post to it. She has no tokens yet.
    """
    run.browser.open(f"{run.issuer}/account")
    run.check(
        "the account page asks her to sign in first",
        run.browser.page.form("login-form") is not None,
    )
    run.browser.sign_in("alice", "wonderland")
    run.check(
        "the sign-in is answered 303, back to /account",
        run.browser.status == 303
        and run.browser.redirect_location == f"{run.issuer}/account",
    )
    run.browser.follow_redirect()
    form = run.browser.page.form("new-token-form")
    run.check(
        "the account page shows the form for a new token, with a CSRF token",
        form is not None and form.fields.get("csrf_token", "") != "",
    )
    run.check(
        "it may not be framed: frame-ancestors 'none'",
        "frame-ancestors 'none'"
        in run.last_exchange.response.header("Content-Security-Policy"),
    )
    run.check("she has no tokens yet", "You have no personal" in run.browser.page.text)


@lesson.step("She makes a token for her backup script, and sees it once")
def make_token(run):
    """
    She names the token `photo backup`, gives it the scopes `basic
    photos.read` (her script lists her photos; it has no business with her
    email) and an expiry of 30 days. Every token expires: the menu offers 7,
    30, 90 or 365 days, no "never".

    The answer shows the token **once**. Read it in the page and in the
    *Personal access tokens* panel: `photos_pat_`, then 30 random
    characters, then a 6-character checksum. That is GitHub's format
    (`ghp_...`): the prefix lets secret scanners spot a leaked token in a
    repository or a log, and the checksum (CRC32 of the random part) tells a
    real token from a look-alike string without asking the server.

    The server keeps only the token's **SHA-256 hash**, as Laravel Sanctum
    does: the record below has the hash, not the token. Whoever copies the
    database cannot use what they copied. So the page says: copy it now. It
    is sent with `Cache-Control: no-store`, so no cache keeps it either.
    """
    run.browser.submit("new-token-form", name="photo backup", scope="basic photos.read")
    text = run.browser.page.text
    run.pat = next(word for word in text.split() if word.startswith(PREFIX))
    [record] = run.personal_access_tokens.of_user(ALICE)
    run.check("the page shows the new token", run.browser.status == 200)
    run.check(
        "photos_pat_ + 30 random + 6 checksum characters",
        run.pat.startswith(PREFIX) and len(run.pat) == len(PREFIX) + 36,
    )
    run.check(
        "no cache may keep the page (Cache-Control: no-store)",
        run.last_exchange.response.header("Cache-Control") == "no-store",
    )
    run.check(
        "the server keeps a SHA-256 hash, not the token",
        len(record.token_sha256) == 64 and run.pat not in repr(record),
    )
    run.check(
        "with basic photos.read, for 30 days (the default)",
        record.scope == "basic photos.read"
        and record.expires_at - record.created_at == 30 * 24 * 3600,
    )


@lesson.step("Her script calls the photos API with it")
def script_calls(run):
    """
    The script is a few lines of curl: no client registration, no redirect,
    no token endpoint. It sends the token like any access token,
    `Authorization: Bearer photos_pat_...` (RFC 6750 2.1).

    The token is opaque: no claims to read, no signature to check. The
    photos API sees the `photos_pat_` prefix and **asks the authorization
    server** (`POST /introspect`, RFC 7662, with its own credentials). The
    answer: `active: true`, `sub` Alice, `scope basic photos.read`, its
    `exp`, and no `client_id`, since no client was involved.

    The scopes work exactly as for an OAuth token: `/api/photos`
    (`photos.read`) answers with her photos; `/api/user` (`basic`) with her
    id, name and city but **no email**, since the token has no `email`.
    """
    photos = run.script.call_api("/api/photos", run.pat)
    introspection = run.exchanges[1]
    answer = json.loads(introspection.response.body)
    user = run.script.call_api("/api/user", run.pat)
    run.check(
        "the photos API answers 200 with Alice's photos",
        photos.status_code == 200 and photos.json().get("owner") == ALICE,
    )
    run.check(
        "it asked the authorization server: POST /introspect",
        introspection.request.method == "POST"
        and introspection.request.target == "/introspect",
    )
    run.check(
        "active, Alice's, basic photos.read, no client_id",
        answer.get("active") is True
        and answer.get("sub") == ALICE
        and answer.get("scope") == "basic photos.read"
        and "client_id" not in answer,
    )
    run.check(
        "/api/user: id, name and city, no email (no email scope)",
        user.status_code == 200 and set(user.json()) == {"id", "name", "city"},
    )


@lesson.step("The list shows the token, never the token itself")
def list_tokens(run):
    """
    Back on her account page, the token is listed: its name, scopes, when
    it was created, **when it was last used** and when it expires. The
    server knows the last use because the API asked about it a moment ago.
    The token itself is nowhere on the page: the server could not show it if
    it wanted to, it keeps only the hash.
    """
    run.browser.open(f"{run.issuer}/account")
    text = run.browser.page.text
    [record] = run.personal_access_tokens.of_user(ALICE)
    run.check("the page lists 'photo backup', active", "photo backup" in text)
    run.check("with its last use", record.last_used_at == run.clock.now())
    run.check("and never the token", run.pat not in run.browser.response.text)


@lesson.step("A leaked token works for anyone, anywhere")
def leaked(run):
    """
    Alice pastes her script, token and all, into a public gist. Mallory
    finds it (that happens off this network: she simply has the token) and
    calls the API from her own machine: **200**, Alice's photos. The API
    cannot tell her from Alice's script.

    Compare a stolen OAuth access token:

    - **No client binding.** An OAuth token belongs to one client, which the
      user approved and can remove; a confidential client's refresh token is
      useless without the client's secret. A personal token is the user
      herself: any holder is her.
    - **Long-lived.** This one lives 30 days (up to a year); an access token
      here lives an hour, and refresh token rotation exposes a thief
      (RFC 9700 4.14.2).
    - **Who consents.** With OAuth, Alice approves a named app's request on
      the consent page and can take it back from her list of apps. Here she
      grants the token to whoever holds it: "which app?" has no answer.

    What limits the damage: **fine-grained scopes** (no `email` here), an
    **expiry**, the **prefix** that lets secret scanning catch the leak
    (GitHub scans public repositories and gists for `ghp_` tokens, and lets
    whoever finds one revoke it with its credential revocation API), and
    **revocation**.
    """
    response = run.attacker.call_api("/api/photos", run.pat)
    accepted = run.events_named("access_token.accepted")[-1]
    run.check(
        "Mallory gets Alice's photos: 200",
        response.status_code == 200 and response.json().get("owner") == ALICE,
    )
    run.check(
        "the API logged it as Alice's, with no client",
        accepted.user == ALICE and accepted.client_id is None,
    )


@lesson.step("Alice revokes it; the API refuses it at once")
def revoke(run):
    """
    Alice presses **Revoke** (a form with its CSRF token, `POST
    /account/tokens/pat-1/revoke`, answered 303). Mallory's next call gets
    **401** `invalid_token` (RFC 6750 3.1): the API asked the authorization
    server, which now says `{"active": false}`.

    Revocation bites at once *because* the token is opaque and introspected
    on every call; a self-contained JWT would have kept working until its
    `exp` (lesson "Introspection and revocation").
    """
    run.browser.submit("revoke-token-pat-1")
    run.check("the revocation is answered 303", run.browser.status == 303)
    run.browser.follow_redirect()
    response = run.attacker.call_api("/api/photos", run.pat)
    run.check("Mallory now gets 401", response.status_code == 401)
    run.check(
        "invalid_token, in the body and the WWW-Authenticate header",
        response.json().get("error") == "invalid_token"
        and 'error="invalid_token"' in response.headers.get("WWW-Authenticate", ""),
    )
    run.check("the page lists it as revoked", "revoked" in run.browser.page.text)


@lesson.step("Every token expires")
def expiry(run):
    """
    A token that never expires is refused: asking for one (`expires_in_days`
    0) gets the account page again with **400** and the reason. Alice makes
    a 7-day token for a one-off import instead; eight days later the API,
    asking the authorization server, refuses it: **401** `invalid_token`,
    and her page lists it as expired.
    """
    refused = run.browser.submit(
        "new-token-form", name="forever", scope="basic", expires_in_days="0"
    )
    run.check(
        "a token without an expiry is refused: 400",
        refused.status_code == 400 and "every token expires" in refused.text,
    )
    run.browser.submit(
        "new-token-form",
        name="one-off import",
        scope="photos.read",
        expires_in_days="7",
    )
    short = next(
        word for word in run.browser.page.text.split() if word.startswith(PREFIX)
    )
    run.clock.advance(8 * 24 * 3600)
    response = run.script.call_api("/api/photos", short)
    run.check(
        "eight days later the API answers 401 invalid_token",
        response.status_code == 401 and response.json().get("error") == "invalid_token",
    )
    run.browser.open(f"{run.issuer}/account")
    run.check("the page lists it as expired", "expired" in run.browser.page.text)
