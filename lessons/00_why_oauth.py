"""Start here: why OAuth exists, its four roles, and the two channels."""

from playground import Lesson

lesson = Lesson(
    "Why OAuth? Four roles, two channels, no shared password",
    level="beginner",
    kind="introduction",
    summary=(
        "Alice keeps her photos at a photo service. PhotoPrint, another "
        "company, wants to print some of them. How does Alice let PhotoPrint "
        "in without giving it her password? This lesson needs no OAuth "
        "knowledge: it names the four roles, shows the two channels messages "
        "travel on, and ends with which grant to use for which kind of app."
    ),
)


@lesson.step("The photos API will not serve just anyone")
def api_says_no(run):
    """
    Meet the four **roles** of OAuth (RFC 6749 1.1):

    - the **resource owner**: Alice, whose photos these are;
    - the **resource server**: the photos API at `api.photos.test`, which
      keeps them;
    - the **client**: PhotoPrint, at `photoprint.test`, an app of *another
      company* that wants to read them;
    - the **authorization server**: `auth.photos.test`, run by the photo
      service, where Alice signs in and says yes or no.

    PhotoPrint's server asks the photos API for photos with nothing in hand.
    The answer is **401 Unauthorized** with a `WWW-Authenticate: Bearer`
    header: "bring an access token" (RFC 6750 3.1).
    """
    response = run.web_client.oauth.http.get(f"{run.api_url}/api/photos")
    run.check("the photos API answers 401", response.status_code == 401)
    run.check(
        "its WWW-Authenticate header asks for a Bearer token",
        response.headers.get("WWW-Authenticate", "").startswith("Bearer"),
    )


@lesson.step("Why not just give PhotoPrint the password?")
def not_the_password(run):
    """
    The old answer was: Alice types her photo-service password into
    PhotoPrint, and PhotoPrint signs in as her. Everything about that is
    wrong (RFC 6749 1, RFC 9700 2.4):

    - PhotoPrint could do *anything* Alice can: delete photos, change her
      password, read her mail if the same account holds it;
    - it keeps that power until Alice changes her password, which also cuts
      off every other app she ever gave it to;
    - the photo service cannot tell Alice from PhotoPrint, and a breach at
      PhotoPrint leaks her password.

    The photos API does not even accept it: PhotoPrint tries
    `Authorization: Basic alice:wonderland` and gets **401** again. APIs want
    **access tokens**: a string that says *this client* may do *these
    things* (the **scope**) for *this user*, for a limited time, and that
    Alice can revoke without changing her password. Getting one, with Alice's
    say-so, is what OAuth is for: **delegation**.
    """
    response = run.web_client.oauth.http.get(
        f"{run.api_url}/api/photos", auth=("alice", "wonderland")
    )
    run.check("a password at the API gets 401", response.status_code == 401)


@lesson.step("PhotoPrint sends Alice to the photo service: the front channel")
def front_channel(run):
    """
    Alice opens PhotoPrint's home page and clicks **Sign in** (`GET /login`).
    PhotoPrint answers with a redirect (**302**) to the authorization server,
    and her browser follows it. Read the address of that request to the
    authorization server: `client_id=photoprint` (who asks),
    `scope=basic photos.read` (for what), `redirect_uri` (where the answer
    must go), `state` and a PKCE `code_challenge` (which tie the answer to
    this very browser; lessons 02 and 03 explain them).

    This is the **front channel**: messages that travel through the
    browser's address bar, as redirects and forms. Alice can see them, and
    so can her history, her extensions and any page they pass through. The
    authorization server shows its own sign-in page: Alice types her
    password **there**, on the photo service's site, never on PhotoPrint's.
    """
    run.browser.open(f"{run.client_url}/")
    run.browser.click_link("sign-in")
    run.browser.follow_redirect()
    params = run.browser.query_params
    run.check(
        "the browser is at the authorization server, not at PhotoPrint",
        run.browser.address.startswith(f"{run.issuer}/authorize?"),
    )
    run.check(
        "the request names the client and the scope it wants",
        params.get("client_id") == "photoprint"
        and params.get("scope") == "basic photos.read",
    )
    run.check(
        "the photo service shows its own sign-in page",
        run.browser.page.form("login-form") is not None,
    )


@lesson.step("Alice signs in and consents to exactly these scopes")
def consent(run):
    """
    Alice signs in at the authorization server. It then asks her: *PhotoPrint
    would like to see your name and city (`basic`) and view your photos
    (`photos.read`)*. Not delete them, not read her email: the **scope** is
    the part of her power she delegates.

    She approves. The authorization server sends her browser back to
    PhotoPrint (**302** to the redirect URI) with an **authorization code**
    in the address: a short-lived, single-use ticket, not yet a token.
    """
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    page = run.browser.page.text
    run.check("the consent page names PhotoPrint", "PhotoPrint" in page)
    run.check(
        "and the two scopes it asks for",
        "basic" in page and "photos.read" in page and "email" not in page,
    )
    run.browser.approve()
    run.check(
        "approving sends the browser back to PhotoPrint with a code",
        (run.browser.redirect_location or "").startswith(
            f"{run.client_url}/callback?code="
        ),
    )


@lesson.step("PhotoPrint trades the code on the back channel, and prints")
def back_channel(run):
    """
    The browser delivers the code to PhotoPrint's `/callback`. Now
    PhotoPrint's **server** talks to the authorization server directly, on
    the **back channel**: `POST /token` with the code, proving who it is with
    its own client secret. The answer is the **access token**. Then it calls
    the photos API with `Authorization: Bearer <access token>`: **200**,
    Alice's photos. The sequence diagram shows the two channels in two
    colours.

    The access token never passed through Alice's browser: only the code
    did. PhotoPrint never saw her password, the photo service knows exactly
    which app holds which power, and Alice can revoke PhotoPrint alone.
    """
    run.browser.follow_redirect()
    back = [e for e in run.exchanges if e.channel == "back"]
    run.check(
        "PhotoPrint greets Alice and lists her photos",
        "Hello Alice Liddell" in run.browser.page.text
        and "photo(s) ready to print" in run.browser.page.text,
    )
    run.check(
        "the token request went server to server: Client -> Authorization Server",
        any(
            e.label == "POST /token"
            and e.sender == "Client"
            and e.receiver == "Authorization Server"
            for e in back
        ),
    )
    token = run.web_client.tokens_for_browser(run.browser).get("access_token", "")
    run.check(
        "the browser never carried the access token",
        token != ""
        and not any(
            token in e.request.url or token in e.response.text
            for e in run.all_exchanges
            if e.sender == "Browser"
        ),
    )


@lesson.step("Confidential or public client, and which grant to use")
def which_grant(run):
    """
    PhotoPrint has a server that can keep a secret: it is a **confidential
    client** (RFC 6749 2.1). An app that runs entirely in the browser or on
    a phone cannot hide a secret from its users: it is a **public client**.
    It cannot prove who it is; instead it proves, with PKCE, that it is the
    app that started this sign-in.

    A **grant** is a way to get a token. Which one:

    - a web app with a server, a user present: **authorization code**, with
      PKCE (lesson 02);
    - a single-page app in the browser: **authorization code with PKCE**,
      tokens in the browser (lesson 03), or better a small backend of its
      own that keeps them (a backend-for-frontend);
    - a native app (desktop, mobile): **authorization code with PKCE**, in
      the system browser, back to a loopback or app-claimed address (lesson
      03b, RFC 8252);
    - a service calling an API for itself, no user: **client credentials**
      (lesson 01);
    - keeping access after the access token expires, or while the user is
      away: **refresh tokens** (lesson 04);
    - never for new apps: the **implicit** and **password** grants (lessons
      05 and 06 show why; RFC 9700 2.1.2 and 2.4).

    `oauth-playground which-grant` and the **Which grant?** page ask the
    questions for you.
    """
    run.check(
        "PhotoPrint is registered as a confidential client (it has a secret)",
        run.store.client("photoprint").client_type == "confidential",
    )
    run.check(
        "Photo Gallery, the single-page app, is a public client (no secret)",
        run.store.client("photo-gallery-spa").client_type == "public"
        and run.spa.client_secret is None,
    )
