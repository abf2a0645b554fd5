"""The implicit grant: the access token comes back in the URL. Do not use it."""

from playground import Lesson

lesson = Lesson(
    "Implicit grant (deprecated)",
    level="beginner",
    kind="deprecated",
    summary=(
        "Legacy Gallery is an old browser app built before PKCE existed. It asks "
        "for the access token straight from the authorization endpoint "
        "(response_type=token), so the token travels in the browser's address "
        "bar. RFC 9700 2.1.2 says clients SHOULD NOT do this; see why."
    ),
)


@lesson.step("Legacy Gallery asks for a token, not a code")
def authorization_request(run):
    """
    The authorization request looks like the one of the code grant, with one
    change: `response_type=token` (RFC 6749 4.2.1). It asks the authorization
    server to hand the **access token itself** back through the browser,
    skipping the token endpoint entirely.

    There is no `code_challenge`: PKCE protects the exchange of a code at the
    token endpoint, and here there is no code and no token endpoint.

    The authorization server shows its sign-in page, as in every flow where
    a user is involved.
    """
    url = run.legacy_app.authorization_url("basic photos.read", response_type="token")
    run.browser.open(url)
    run.check("the request says response_type=token", "response_type=token" in url)
    run.check("it carries no PKCE code challenge", "code_challenge" not in url)
    run.check(
        "the authorization server shows its sign-in page",
        run.browser.page.form("login-form") is not None,
    )


@lesson.step("Alice signs in and sees the consent page")
def sign_in(run):
    """
    Alice signs in at the authorization server and is asked to let Legacy
    Gallery see her name, city and photos. Nothing here differs from the
    code grant yet.
    """
    run.browser.sign_in("alice", "wonderland")
    run.check(
        "sign-in answers 302 to /authorize/resume",
        run.browser.status == 302
        and (run.browser.redirect_location or "").startswith(
            f"{run.issuer}/authorize/resume?"
        ),
    )
    run.browser.follow_redirect()
    run.check(
        "the consent page names Legacy Gallery",
        "Legacy Gallery" in run.browser.page.text,
    )


@lesson.step("Alice approves: the access token is in the redirect")
def approve(run):
    """
    Approving answers **302** to the app's redirect URI. Read the `Location`
    header: after the `#` (the **fragment**) come `access_token=eyJ...`,
    `token_type=Bearer`, `expires_in`, `scope` and `state` (RFC 6749 4.2.2),
    and `iss` (RFC 9207).
    The JWT panel decodes the token found there.

    There is **no refresh token**: RFC 6749 4.2.2 forbids one here, because
    the app could not keep it safe. When the hour is over, Alice is sent
    through the browser again.
    """
    run.browser.approve()
    location = run.browser.redirect_location or ""
    run.check("the authorization server answers 302", run.browser.status == 302)
    run.check(
        "the Location fragment carries access_token=...",
        f"{run.client_url}/legacy/callback#" in location
        and "access_token=" in location.split("#", 1)[-1],
    )
    run.check("no refresh token is issued", "refresh_token" not in location)


@lesson.step("The browser follows: the token sits in the address bar")
def follow(run):
    """
    The browser goes to `https://photoprint.test/legacy/callback`.
    Read the request below: `GET /legacy/callback` with **no token**. A
    browser never sends the fragment to the server; only scripts on the page
    can read it. That was the whole idea of the implicit grant: the app's
    JavaScript picks the token out of the address.

    But the token is now in the **address bar**, and so in the browser's
    **history** (RFC 9700 4.3.2): anyone who later uses this browser, or
    syncs its history, can find it. Any script on the page, including a
    third-party analytics or ad script, can read it too.
    """
    run.browser.follow_redirect()
    callback = run.all_exchanges[-1]
    run.check("the callback page answers 200", run.browser.status == 200)
    run.check(
        "the address bar holds the access token",
        "access_token" in run.browser.fragment_params,
    )
    run.check(
        "so does the browser's history",
        any("access_token=" in url for url in run.browser.history),
    )
    run.check(
        "the GET /legacy/callback request itself carries no token",
        callback.request.target == "/legacy/callback"
        and "access_token" not in callback.request.url,
    )


@lesson.step("The app's script reads the token and calls the API")
def call_api(run):
    """
    The page's script takes `access_token` from the fragment and calls the
    photos API with `Authorization: Bearer ...`. It works: **200** and
    Alice's profile.

    Notice what the API cannot know: *who* sent the token. A bearer token
    (RFC 6750) works for anyone who holds it, and a token that travelled
    through the front channel can have been copied along the way. The
    implicit grant offers no way to bind the token to the app that asked for
    it (RFC 9700 2.1.2), and the authorization server never sees the app
    collect it, so it cannot detect a replay.
    """
    access_token = run.browser.fragment_params["access_token"]
    response = run.legacy_app.call_api("/api/user", access_token)
    run.check("the API answers 200", response.status_code == 200)
    run.check("it is Alice's profile", response.json().get("name") == "Alice Liddell")
    run.check(
        "the token was issued to legacy-gallery",
        run.decode(access_token).claims.get("client_id") == "legacy-gallery",
    )


@lesson.step("Why not, and what to use instead")
def what_instead(run):
    """
    RFC 9700 2.1.2: clients **SHOULD NOT** use the implicit grant, because

    - the access token travels in the **front channel**, in a URL, where it
      leaks: browser history (4.3.2); the `Referer` header once the app
      copies the token into a query, or a browser bug leaks the fragment
      (4.2, attack 05); and redirects that carry the fragment along to an
      attacker (4.1.2);
    - nothing **binds** the token to the client, so a stolen token is simply
      replayed, and an attacker can even *inject* a stolen token into an
      honest app's callback (4.6).

    Use the **authorization code grant with PKCE** instead (lesson 03): the
    browser carries only a one-time code, and the token comes back on the
    back channel to the app that holds the code verifier. Browser apps today
    do exactly that.

    Our authorization server enforces it: Photo Gallery is registered for
    codes only. When it asks for `response_type=token`, the answer is
    `error=unauthorized_client` (RFC 6749 4.2.2.1), and no token.
    """
    url = run.spa.authorization_url("basic photos.read", response_type="token")
    run.browser.open(url)
    location = run.browser.redirect_location or ""
    run.check("the authorization server answers 302", run.browser.status == 302)
    run.check(
        "with error=unauthorized_client for Photo Gallery",
        "error=unauthorized_client" in location,
    )
    run.check("and no access token", "access_token" not in location)
