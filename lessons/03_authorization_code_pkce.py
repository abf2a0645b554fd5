"""Authorization code with PKCE: a public client that cannot keep a secret."""

from playground import Lesson

lesson = Lesson(
    "Authorization code with PKCE (single-page app)",
    level="beginner",
    kind="grant",
    summary=(
        "Photo Gallery runs entirely in the browser, so it has no secret. "
        "PKCE (RFC 7636) lets it prove that the app redeeming the code is the "
        "one that asked for it."
    ),
)


@lesson.step("The app makes a code verifier and its challenge")
def make_verifier(run):
    """
    Before sending you anywhere, the app invents a **code verifier**: 32 random
    bytes, base64url-encoded. It keeps the verifier to itself and sends only
    its SHA-256 hash, the **code challenge**, in the authorization request.

    Look at the PKCE panel: verifier, SHA-256 digest, base64url challenge.
    """
    run.url = run.spa.authorization_url("basic photos.read", pkce_method="S256")
    pending = run.spa.pending
    run.pkce = run.show_pkce(pending.code_verifier)
    run.check(
        "the challenge is BASE64URL(SHA256(verifier))",
        run.pkce.code_challenge == pending.code_challenge,
    )
    run.check(
        "the authorization URL carries the challenge, not the verifier",
        pending.code_challenge in run.url and pending.code_verifier not in run.url,
    )


@lesson.step("The browser goes to the authorization server")
def go_to_authorization_server(run):
    """
    The app sends your browser to the **authorization endpoint**. This is the
    *front channel*: everything here passes through the browser, where
    extensions, history and other apps could see it.

    You are not signed in yet, so the authorization server shows a sign-in form.
    """
    run.browser.open(run.url)
    run.check(
        "the authorization server shows its sign-in page",
        run.browser.page.form("login-form") is not None,
    )


@lesson.step("Alice signs in at the authorization server")
def sign_in(run):
    """
    Alice types her password **into the authorization server's page**, never
    into the app's. The server updates its own session cookie and sends the
    browser to `/authorize/resume`, which continues the authorization
    request.
    """
    run.browser.sign_in("alice", "wonderland")
    run.check(
        "sign-in redirects to /authorize/resume",
        run.browser.status == 302
        and (run.browser.redirect_location or "").startswith(
            f"{run.issuer}/authorize/resume?"
        ),
    )
    run.browser.follow_redirect()
    run.check(
        "the consent page lists the scopes", "photos.read" in run.browser.page.text
    )


@lesson.step("Alice approves; the code comes back in the redirect")
def approve(run):
    """
    Approving sends a **302** to the app's redirect URI with a short-lived
    **authorization code**, the `state` the app sent, and `iss` (RFC 9207)
    naming the authorization server.

    The code travels in the URL, so it can leak. That is exactly why PKCE
    exists: a stolen code is useless without the verifier.
    """
    run.browser.approve()
    run.browser.follow_redirect()
    params = run.browser.query_params
    run.code = params.get("code", "")
    run.check("the redirect carries a code", run.code != "")
    run.check(
        "the state came back unchanged", run.spa.state_matches(params.get("state"))
    )
    run.check("iss names our authorization server", params.get("iss") == run.issuer)


@lesson.step("The app trades the code and the verifier for tokens")
def redeem(run):
    """
    Now the app's script calls the **token endpoint** directly with
    `fetch()`: a back-channel request (no redirect), yet it leaves from **the
    browser**, from the app's origin. Read the request's `Origin:
    https://photoprint.test`. The authorization server is another site, so
    the browser lets the script read the answer only because the server says
    so: `Access-Control-Allow-Origin: https://photoprint.test` (CORS). A form
    POST without custom headers is a *simple* request, so no preflight.

    It sends the code and the **code verifier**. The server hashes the
    verifier and compares it with the challenge it stored with the code:
    `BASE64URL(SHA256(code_verifier)) == code_challenge`.

    Look at the decoded access token: a JWT (RFC 9068) whose `aud` is the
    photos API and whose `client_id` is the app.
    """
    response = run.spa.exchange_code(run.code)
    sent = run.last_exchange
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "the request left the browser with Origin https://photoprint.test, and "
        "the answer allows that origin (CORS)",
        sent.sender == "Browser"
        and sent.request.header("Origin") == run.client_url
        and sent.response.header("Access-Control-Allow-Origin") == run.client_url,
    )
    run.access_token = run.spa.tokens.get("access_token", "")
    token = run.decode(run.access_token)
    run.check(
        "the access token's signature verifies", token.verification.status == "valid"
    )
    run.check(
        "the token's aud is the photos API",
        token.claims.get("aud") == run.api_url,
    )
    run.check(
        "a public client got a refresh token to rotate",
        "refresh_token" in run.spa.tokens,
    )


@lesson.step("The app calls the photos API with the access token")
def call_api(run):
    """
    The app sends `Authorization: Bearer <access token>`. A request with an
    `Authorization` header is not *simple*, so the browser first asks the
    API's permission: a **preflight** `OPTIONS` with
    `Access-Control-Request-Headers: authorization` and no token. The API
    answers **204** allowing this origin and header, and only then does the
    `GET` go out.

    The photos API checks the signature against the authorization server's
    published keys (it fetches `/jwks.json`), the issuer, the audience, the
    expiry and the scope, then answers.
    """
    response = run.spa.call_api("/api/photos")
    methods = [e.request.method for e in run.exchanges if e.sender == "Browser"]
    run.check(
        "a preflight OPTIONS went first, then the GET",
        methods == ["OPTIONS", "GET"],
        str(methods),
    )
    run.check("the API answers 200", response.status_code == 200)
    run.check(
        "Alice's photos come back",
        [p["id"] for p in response.json().get("photos", [])] == ["p-1", "p-2"],
    )


@lesson.step("Where do the tokens live now?")
def where_tokens_live(run):
    """
    No message this time: look at who holds what. PhotoPrint's server (lesson
    02) kept its tokens on the server; Alice's browser only ever saw a code.
    Photo Gallery has no server of its own, so its **access and refresh tokens
    live in the browser**, in the app's JavaScript memory (or, worse, in
    `localStorage`).

    Any script that runs in the app's page can read them and send them away:
    an XSS bug, a compromised npm dependency, an analytics tag. That is the
    price of a public client in the browser (RFC 9700 4.14 for refresh
    tokens). Lesson 04 shows refresh token rotation, which limits a stolen
    refresh token; sender-constrained tokens (DPoP, RFC 9449) and a strict
    Content-Security-Policy help too.

    Or keep the tokens out of the browser altogether: a
    **backend-for-frontend** (BFF), a small server of the app's own, runs the
    confidential client's flow of lesson 02 and gives the browser only an
    `HttpOnly`, `SameSite` session cookie (OAuth 2.0 for Browser-Based
    Applications, an IETF draft, recommends it for apps that handle
    sensitive data).
    """
    sent_by_browser = [e for e in run.all_exchanges if e.sender == "Browser"]
    direct = [e for e in sent_by_browser if e.channel == "back"]
    run.check(
        "the app holds the access and refresh tokens in the browser",
        {"access_token", "refresh_token"} <= set(run.spa.tokens),
    )
    run.check(
        "every direct request of the app left the browser with Origin "
        "https://photoprint.test",
        bool(direct)
        and all(e.request.header("Origin") == run.client_url for e in direct),
    )
    run.check(
        "PhotoPrint's server never sent a request of its own",
        not any(e.sender == "Client" for e in run.all_exchanges),
    )
