"""A native app: the system browser, a loopback redirect and PKCE (RFC 8252)."""

from urllib.parse import urlsplit

from playground import Lesson

lesson = Lesson(
    "Authorization code with PKCE (native app, loopback redirect)",
    level="beginner",
    kind="grant",
    summary=(
        "Photo Uploader is a desktop app on Alice's laptop. Like the "
        "single-page app it is a public client: anything shipped inside it "
        "can be read out. RFC 8252 says how native apps do OAuth: open the "
        "system browser, receive the answer on a loopback address (any port), "
        "and use PKCE."
    ),
)


@lesson.step("Photo Uploader listens on a loopback port and makes its PKCE pair")
def listen_and_prepare(run):
    """
    Photo Uploader starts a tiny web server of its own on the **loopback**
    interface, on a port the operating system gave it: here
    `http://127.0.0.1:51004/callback`. Its registration says only
    `http://127.0.0.1/callback`, with no port: the authorization server must
    accept any port on a loopback redirect URI, since the app cannot know
    its port in advance (RFC 8252 7.3). Loopback, not `localhost`: a name
    could resolve elsewhere (RFC 8252 8.3).

    Then it makes a **code verifier** and sends only its hash, the **code
    challenge**, as in lesson 03 (RFC 8252 6: native apps MUST use PKCE).
    """
    run.url = run.native_app.authorization_url("basic photos.read", pkce_method="S256")
    pending = run.native_app.pending
    run.show_pkce(pending.code_verifier)
    registered = run.store.client("photo-uploader-native").redirect_uris
    run.check(
        "the registered redirect URI has no port",
        registered == ("http://127.0.0.1/callback",),
    )
    run.check(
        "the request's redirect URI is on the app's own port, 51004",
        urlsplit(pending.redirect_uri).port == 51004,
    )
    run.check(
        "the request carries an S256 code challenge",
        "code_challenge_method=S256" in run.url,
    )


@lesson.step("It opens the system browser at the authorization server")
def open_system_browser(run):
    """
    The app opens the authorization request in Alice's **own browser** (the
    system browser), not in a web view inside the app. RFC 8252 8.12 says
    why: in an embedded web view the app could read what Alice types,
    password included, and she would not have her browser's session, saved
    passwords or address bar to tell the real sign-in page from a fake.

    The authorization server shows its sign-in page.
    """
    run.browser.open(run.url)
    run.check(
        "the authorization server shows its sign-in page",
        run.browser.page.form("login-form") is not None,
    )


@lesson.step("Alice signs in and approves; the answer goes to the loopback port")
def approve(run):
    """
    Alice signs in and approves "Photo Uploader (native app)". The server
    answers **302** to `http://127.0.0.1:51004/callback?code=...&state=...`:
    the port the app chose, accepted although the registration names none
    (RFC 8252 7.3). Plain `http` is fine here: the request never leaves
    Alice's laptop.
    """
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    location = run.browser.redirect_location or ""
    run.check("the authorization server answers 302", run.browser.status == 302)
    run.check(
        "to the app's loopback port, with a code",
        location.startswith("http://127.0.0.1:51004/callback?code="),
    )


@lesson.step("The browser delivers the code to the app's loopback server")
def deliver(run):
    """
    The browser follows the redirect to `127.0.0.1:51004`: the request
    reaches Photo Uploader's own little server (drawn as the **Client**),
    which reads the code and the `state` from the query and tells Alice she
    can close the tab. The app checks that `state` is the one it sent
    (RFC 6749 10.12) and `iss` names the server it asked (RFC 9207).
    """
    run.browser.follow_redirect()
    params = run.browser.query_params
    run.code = params.get("code", "")
    callback = run.last_exchange
    run.check(
        "the callback went to the app's loopback server",
        callback.receiver == "Client" and callback.request.host == "127.0.0.1:51004",
    )
    run.check("its page tells Alice to close the tab", "close" in run.browser.page.text)
    run.check(
        "the state is the one the app sent",
        run.native_app.state_matches(params.get("state")),
    )
    run.check("iss names our authorization server", params.get("iss") == run.issuer)


@lesson.step("The app redeems the code with its verifier and calls the API")
def redeem(run):
    """
    The app itself (not the browser) calls the token endpoint with the code
    and the **code verifier**: `POST /token` with `client_id` and no secret,
    since a public client identifies itself but cannot authenticate (RFC
    6749 4.1.3 and 3.2.1). An
    ordinary HTTP client in a desktop app sends no `Origin` and needs no
    CORS. The answer has an access token and a refresh token; the app calls
    the photos API with the access token.
    """
    response = run.native_app.exchange_code(run.code)
    token_request = run.last_exchange
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "the request carried the code verifier and no client secret",
        "code_verifier" in token_request.request.form
        and "client_secret" not in token_request.request.form
        and token_request.request.header("Authorization") is None,
    )
    run.check(
        "it came from the app, not from a browser (no Origin)",
        token_request.sender == "Client"
        and token_request.request.header("Origin") is None,
    )
    photos = run.native_app.call_api("/api/photos")
    run.check("the photos API answers 200", photos.status_code == 200)


@lesson.step("Why PKCE matters most here")
def why_pkce(run):
    """
    On a laptop or phone, the redirect channel cannot be trusted: another app
    can bind the loopback port first, and a private-use URI scheme such as
    `com.example.photouploader:/callback` can be claimed by any app
    (RFC 8252 7.1, 8.1). A claimed `https` redirect (an app link, RFC 8252
    7.2) is harder to steal but not an alternative to PKCE. Whoever steals
    the code still lacks the code verifier, which never left the app: the
    token endpoint refuses them. The attack lesson "Code interception: a
    native app without PKCE" shows the theft with PKCE switched off.

    The refresh token is the app's to keep, but as a public client's it
    lives at most a day unused and a week in all; then Alice signs in again.
    """
    run.check(
        "Photo Uploader is a public client (no secret)",
        run.store.client("photo-uploader-native").client_type == "public"
        and run.native_app.client_secret is None,
    )
    run.check("it holds a refresh token", "refresh_token" in run.native_app.tokens)
