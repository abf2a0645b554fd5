"""Authorization code: a confidential web app keeps the tokens on its server."""

from playground import Lesson

lesson = Lesson(
    "Authorization code (confidential web app)",
    level="beginner",
    kind="grant",
    summary=(
        "PhotoPrint is a web app with a server of its own: a confidential "
        "client, one that can keep a secret (RFC 6749 2.1). Alice lets it read "
        "her photos: her browser carries only a short-lived authorization code, "
        "and PhotoPrint's server trades it for tokens over the back channel, "
        "proving who it is with its secret, and with PKCE that this code "
        "belongs to the sign-in this session started (RFC 6749 4.1, "
        "RFC 9700 2.1.1)."
    ),
)


@lesson.step("Alice clicks Sign in on PhotoPrint")
def open_photoprint(run):
    """
    Alice is on PhotoPrint's home page, `https://photoprint.test/`, and
    clicks **Sign in**: her browser asks **PhotoPrint's own server** for
    `/login`. The request says how it came about: `Sec-Fetch-Site:
    same-origin` and `Referer: https://photoprint.test/` (a link on one of
    PhotoPrint's own pages), `Sec-Fetch-User: ?1` (a person clicked).

    PhotoPrint does not ask for her password. Instead it answers **302
    Found**: a redirect to the authorization server's `/authorize` endpoint,
    the **authorization request** of RFC 6749 4.1.1.

    Read the `Location` header: `response_type=code`, `client_id=photoprint`,
    the `redirect_uri` where the answer must come back, the `scope`, a random
    `state`, and a PKCE `code_challenge` (lesson 03 explains PKCE; RFC 9700
    2.1.1 asks confidential clients to use it too). PhotoPrint keeps the
    `state` and the code verifier on its server, in the session that
    `Set-Cookie: photoprint_session` points to, to recognise the answer later.
    """
    run.browser.open(f"{run.client_url}/")
    run.browser.click_link("sign-in")
    clicked = run.last_request
    location = run.browser.redirect_location or ""
    run.check(
        "a person's click on PhotoPrint's page (Sec-Fetch-Site: same-origin, "
        "Sec-Fetch-User: ?1)",
        clicked.url == f"{run.client_url}/login"
        and clicked.header("Sec-Fetch-Site") == "same-origin"
        and clicked.header("Sec-Fetch-User") == "?1",
    )
    run.check("PhotoPrint answers 302", run.browser.status == 302)
    run.check(
        "the Location header points at the authorization server's /authorize",
        location.startswith(f"{run.issuer}/authorize?"),
    )
    run.check("the request asks for a code", "response_type=code" in location)
    run.check("with a PKCE challenge (S256)", "code_challenge_method=S256" in location)


@lesson.step("The browser follows the redirect to the authorization server")
def go_to_authorization_server(run):
    """
    Browsers follow a 302 by themselves; here we do it one step at a time.
    This is the **front channel**: the request travels through Alice's
    browser, so anything in it can be seen (and changed) there. The browser
    tells the authorization server only where the click came from:
    `Sec-Fetch-Site: cross-site` and `Referer: https://photoprint.test/`, the
    origin alone (the default referrer policy,
    `strict-origin-when-cross-origin`).

    The authorization server does not know Alice yet, so it shows its own
    sign-in page. The `state` in the address bar travels on to the
    authorization server, which will send it back unchanged.
    """
    run.browser.follow_redirect()
    params = run.browser.query_params
    run.state = params.get("state", "")
    run.check(
        "the authorization server shows its sign-in page",
        run.browser.page.form("login-form") is not None,
    )
    run.check(
        "the request names the client photoprint",
        params.get("client_id") == "photoprint",
    )
    run.check("the request carries a state", len(run.state) >= 16)


@lesson.step("Alice signs in and sees the consent page")
def sign_in(run):
    """
    Alice types her password **into the authorization server's page**, never
    into PhotoPrint's. The server updates its own session cookie
    (`as_session`) and redirects to `/authorize/resume`, which continues the
    authorization request.

    Now it asks Alice for **consent**: PhotoPrint wants `basic` (her name
    and city) and `photos.read` (her photos).
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
    page = run.browser.page.text
    run.check("the consent page names PhotoPrint", "PhotoPrint" in page)
    run.check(
        "it lists the scopes basic and photos.read",
        "basic" in page and "photos.read" in page,
    )


@lesson.step("Alice approves: a code comes back through the browser")
def approve(run):
    """
    Approving answers **302** to PhotoPrint's redirect URI (RFC 6749 4.1.2)
    with three query parameters:

    - `code`: the **authorization code**, single-use and short-lived;
    - `state`: exactly what PhotoPrint sent, so it can tell this answer
      belongs to Alice's own sign-in and not to a forged request (10.12);
    - `iss`: the authorization server's name (RFC 9207), against mix-ups.

    The code is *not* an access token, but it is worth stealing: it rides
    in a URL through the browser, where it can leak (history, logs,
    `Referer`). The client secret does not protect it: an attacker who holds
    Alice's code can hand it to PhotoPrint's own `/callback` and let
    PhotoPrint redeem it with its secret (code injection, RFC 9700 4.5).
    What protects it is PKCE: the token endpoint will want the code verifier
    that only the session which started this sign-in holds.
    """
    run.browser.approve()
    location = run.browser.redirect_location or ""
    run.check("the authorization server answers 302", run.browser.status == 302)
    run.check(
        "Location is PhotoPrint's /callback with a code",
        location.startswith(f"{run.client_url}/callback?code="),
    )
    run.check(
        "the same state comes back, with iss",
        f"state={run.state}" in location and "iss=" in location,
    )


@lesson.step("PhotoPrint's server trades the code for tokens")
def callback(run):
    """
    The browser delivers the code: `GET /callback?code=...`. While that one
    request is open, **PhotoPrint's server** does the rest on the **back
    channel**, server to server, where the browser cannot see:

    1. it checks `state` and `iss` against what Alice's session sent;
    2. `POST /token` with `grant_type=authorization_code`, the code, the
       redirect URI (RFC 6749 4.1.3) and the session's `code_verifier`
       (RFC 7636 4.5), authenticated with
       `Authorization: Basic base64(photoprint:secret)`;
    3. with the access token, `GET /api/user` and `GET /api/photos`
       (`Authorization: Bearer ...`, RFC 6750).

    The browser's `GET /callback` is listed first, but its answer (the page
    greeting Alice) went out last: it waited for the back-channel messages
    listed after it (the sequence diagram shows them nested). The photos
    API's `GET /jwks.json` is nested the same way inside `GET /api/user`: it
    fetched the keys to check the token before answering. In the decoded
    access token, `sub` is Alice (`u-1001`) and `client_id` is `photoprint`.
    """
    run.browser.follow_redirect()
    token_requests = [
        exchange for exchange in run.exchanges if exchange.label == "POST /token"
    ]
    run.check(
        'the page says "Hello Alice Liddell from Oxford!"',
        "Hello Alice Liddell from Oxford!" in run.browser.page.text,
    )
    run.check(
        "POST /token went from the Client to the Authorization Server "
        "on the back channel",
        len(token_requests) == 1
        and token_requests[0].sender == "Client"
        and token_requests[0].receiver == "Authorization Server"
        and token_requests[0].channel == "back",
    )
    run.check(
        "it carried the code verifier",
        len(token_requests) == 1
        and len(token_requests[0].request.form.get("code_verifier", "")) >= 43,
    )
    run.check(
        "PhotoPrint authenticated with Authorization: Basic (client_secret_basic)",
        len(token_requests) == 1
        and (token_requests[0].request.header("Authorization") or "").startswith(
            "Basic "
        ),
    )


@lesson.step("The access token never reached the browser")
def tokens_stay_on_the_server(run):
    """
    PhotoPrint keeps the tokens in **its own server-side session store**
    (`run.web_client.tokens_for_browser(...)`); Alice's browser holds only PhotoPrint's
    session cookie, a reference to that store.

    So nothing in the browser (its history, its extensions, a script
    injected into the page) can read the access token. That is the point of
    the authorization code grant: only the code passes through the browser,
    and the tokens go straight to the client (RFC 6749 1.3.1). Lesson 03
    shows PKCE step by step, with a client that has no server to hide
    tokens in.
    """
    tokens = run.web_client.tokens_for_browser(run.browser)
    access_token = tokens.get("access_token", "")
    seen_by_browser = [
        exchange
        for exchange in run.all_exchanges
        if exchange.sender == "Browser"
        and (
            access_token in exchange.request.url
            or access_token in exchange.response.text
            or access_token in (exchange.response.header("Location") or "")
        )
    ]
    run.check(
        "PhotoPrint's server holds one session with an access token",
        len(run.web_client.sessions) == 1 and access_token != "",
    )
    run.check(
        "the callback page's HTML does not contain the access token",
        access_token not in run.browser.response.text,
    )
    run.check(
        "no request or response of the browser ever carried it",
        seen_by_browser == [],
    )
    claims = run.decode(access_token).claims
    run.check(
        "the token is about Alice (sub u-1001) and was issued to photoprint",
        claims.get("sub") == "u-1001" and claims.get("client_id") == "photoprint",
    )
