"""The resource owner password credentials grant, and why it is deprecated."""

from playground import Lesson

lesson = Lesson(
    "Password grant (deprecated): the app holds your password",
    level="beginner",
    kind="deprecated",
    summary=(
        "PhotoPrint Mobile asks Alice for her password in its own screen and "
        "sends it to the token endpoint (RFC 6749 4.3). It works, and that is "
        "the problem: RFC 9700 2.4 says this grant MUST NOT be used."
    ),
)


@lesson.step("Alice types her password into PhotoPrint Mobile")
def type_password(run):
    """
    PhotoPrint Mobile draws its **own** sign-in screen: two boxes, username
    and password. Alice types `alice` / `wonderland`, and the app (not the
    authorization server's page) sends them to the **token endpoint**
    (RFC 6749 4.3.2).

    Look at the body of the `POST /token` below:
    `grant_type=password&username=alice&password=wonderland`. Alice's
    password, in plain form fields, sent by the **client**. The app also
    sends a client secret in `Authorization: Basic`, but it is a secret
    shipped in every copy of the app, so it identifies the app rather than
    proving anything (step 3; RFC 8252 8.5).
    """
    response = run.first_party_app.password("alice", "wonderland", "basic photos.read")
    request = run.last_request
    form = request.form
    run.check(
        "the client sent Alice's username and password in the request body",
        form.get("username") == "alice" and form.get("password") == "wonderland",
    )
    run.check(
        "the app authenticated itself with its own secret (Basic header)",
        (request.header("Authorization") or "").startswith("Basic "),
    )
    run.check("the token endpoint answers 200", response.status_code == 200)


@lesson.step("Tokens come back, and nobody asked Alice")
def tokens_without_consent(run):
    """
    The answer is an ordinary token response: a JWT access token for the
    photos API and a **refresh token**, so the app can keep getting access
    tokens for up to 90 days (30 days at most between uses).

    Look back at step 1's **server events**: `access_token.issued` and
    `refresh_token.issued`, nothing else. In the code flow (lesson 02) you
    saw `user.authenticated` (Alice at the server's own sign-in page) and
    `consent.granted` (Alice pressing Approve) first. Here there are none. The
    authorization server never met Alice: it could not ask for a second
    factor, show which app is asking, or let her narrow the scopes. It only
    saw a password arrive from an app.
    """
    tokens = run.first_party_app.tokens
    token = run.decode(tokens.get("access_token", ""))
    run.check(
        "the access token is about Alice (sub u-1001) and for PhotoPrint Mobile",
        token.claims.get("sub") == "u-1001"
        and token.claims.get("client_id") == "photoprint-mobile",
    )
    run.check("a refresh token came with it", "refresh_token" in tokens)
    run.check(
        "no sign-in page and no consent screen: no such events on the server",
        not run.events_named("user.authenticated")
        and not run.events_named("consent.granted"),
    )
    response = run.first_party_app.call_api("/api/photos")
    run.check("the photos API accepts the token (200)", response.status_code == 200)


@lesson.step("A wrong password: invalid_grant")
def wrong_password(run):
    """
    Alice mistypes. The token endpoint answers **400** with
    `"error": "invalid_grant"`: RFC 6749 5.2 uses that code for resource
    owner credentials that are wrong.

    The server logs `user.authentication.failed`, but notice who it is
    talking to: the app. Anyone holding the app's secret can use this
    endpoint to try passwords, with no page where the server could ask for
    more. It can still rate-limit: RFC 6749 4.3.2 says it MUST protect this
    endpoint against brute force. And a mobile app's secret ships inside every copy
    of the app, so it is not much of a secret (RFC 8252 8.5).
    """
    response = run.first_party_app.password("alice", "tea-party", "basic photos.read")
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is invalid_grant",
        response.json().get("error") == "invalid_grant",
    )
    run.check(
        "the server recorded user.authentication.failed",
        len(run.events_named("user.authentication.failed")) == 1,
    )


@lesson.step("Other clients may not use the password grant")
def other_client_refused(run):
    """
    RFC 6749 1.3.3 allows this grant only where there is "a high degree of
    trust between the resource owner and the client", such as the service's
    own app. So the authorization server allows it only to clients
    registered for it: PhotoPrint Mobile is; the PhotoPrint web app is not.

    The web app's attempt fails with **400** `unauthorized_client`
    (RFC 6749 5.2): the client is known and authenticated, but this grant
    type is not for it, even with Alice's correct password.
    """
    web_app = run.oauth_client("photoprint")
    response = web_app.password("alice", "wonderland", "basic photos.read")
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is unauthorized_client",
        response.json().get("error") == "unauthorized_client",
    )
    run.check("no token was issued", "access_token" not in response.json())


@lesson.step("Who saw Alice's password, and what to use instead")
def who_saw_the_password(run):
    """
    Count where Alice's password travelled in this lesson: every time, in a
    request **from the client**. That is why RFC 9700 2.4 says the password
    grant **MUST NOT** be used:

    * the client sees the user's credentials, and can keep, log or leak them;
    * the authorization server cannot add a second factor, a passkey or a
      consent screen, because the user never reaches it;
    * users learn to type their password into any app that asks, which is
      exactly what a phishing app asks for.

    Use instead the **authorization code grant with PKCE**, in the system
    browser for native apps (RFC 8252): the password is typed only into the
    authorization server's page (lessons 02 and 03). For a TV or a printer with no
    browser, use the device authorization grant (RFC 8628).
    """
    carried = [
        exchange
        for exchange in run.all_exchanges
        if "password" in exchange.request.form
    ]
    run.check(
        "three requests carried a password, all to the token endpoint",
        len(carried) == 3
        and all(e.request.url == f"{run.issuer}/token" for e in carried),
    )
    run.check(
        "every one was sent by the client, none by Alice's browser",
        all(e.sender == "Client" for e in carried),
    )
