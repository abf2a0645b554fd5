"""Authorization code interception on a device: another app receives the
native app's redirect (RFC 7636 1, RFC 8252 8.1, RFC 9700 2.1.1)."""

from playground import Lesson

lesson = Lesson(
    "Code interception: a native app without PKCE",
    level="intermediate",
    kind="attack",
    weakness="as.pkce_optional",
    summary=(
        "An old version of Photo Uploader, a native app, asks for a code "
        "without PKCE. A malicious app on the same laptop listens on the "
        "loopback port the redirect goes to, catches Alice's authorization "
        "code, and redeems it itself: the client is public, so there is no "
        "secret to stop it. PKCE binds the code to the app that asked for it."
    ),
    defence="""
**Make a stolen code worthless: PKCE, required by the authorization server.**

- A native app is a **public client** (RFC 6749 2.1): any secret shipped in
  it can be extracted, so the token endpoint cannot tell Photo Uploader from
  a malicious app that presents the same `client_id` (RFC 8252 8.5).
- The app sends `code_challenge = BASE64URL(SHA256(code_verifier))` with the
  authorization request and the secret `code_verifier` only to the token
  endpoint. Whoever intercepts the redirect has the code but not the
  verifier (RFC 7636 1 and 4, RFC 8252 8.1).
- The authorization server **must enforce it**: refuse an authorization
  request from a public client that has no `code_challenge`
  (`error=invalid_request`, RFC 7636 4.4.1), and refuse a token request
  without the matching verifier when the code was issued with a challenge
  (RFC 9700 2.1.1). Accept only `S256` (RFC 7636 4.2).
- The redirect channel itself cannot be trusted on a shared device: a
  loopback port can be taken first, and a custom URL scheme
  (`com.example.photouploader:/callback`) can be claimed by any app
  (RFC 8252 7.1, 7.3 and 8.1). Prefer claimed `https` redirect URIs
  (RFC 8252 7.2), but never instead of PKCE.
- Confidential clients should use PKCE too: it also stops code injection
  (RFC 9700 2.1.1 and 4.5).
""",
)

LOOPBACK = "127.0.0.1:51004"


@lesson.step("A malicious app takes the loopback port first")
def malicious_app_listens(run):
    """
    Photo Uploader receives the authorization response on a tiny web server
    of its own at `http://127.0.0.1:51004/callback` (RFC 8252 7.3). This old
    version always uses the same port.

    Mallory got Alice to install a "free photo filter" app. It binds
    `127.0.0.1:51004` before Photo Uploader does; from now on, whatever the
    browser sends to that address reaches Mallory's app. The sequence diagram
    shows that host as the **Attacker** lifeline.

    Ask the class: which server does the authorization server think it is
    redirecting to? (Answer: the one registered for Photo Uploader. It cannot
    see which process owns a port on Alice's laptop.)
    """
    run.redirect_uri = run.native_app.redirect_uri
    run.attacker.take_over_host(LOOPBACK)
    run.check(
        "Photo Uploader's redirect URI is the loopback address on port 51004",
        run.redirect_uri == f"http://{LOOPBACK}/callback",
    )
    run.check(
        "that address now answers for the Attacker",
        run.party_at(run.redirect_uri) == "Attacker",
    )


@lesson.step("Photo Uploader asks for a code without PKCE")
def authorization_request(run):
    """
    Photo Uploader opens Alice's browser at the authorization endpoint. Read
    the request line: `response_type=code`, `client_id`, `redirect_uri`,
    `scope`, `state`, and **no `code_challenge`**. Nothing in this request
    ties the future code to this copy of the app.

    - **Weakness on**: the authorization server lets a public client skip
      PKCE and shows its sign-in page.
    - **Defended**: the authorization server's PKCE check refuses the request
      at once (RFC 7636 4.4.1): **302** back to the redirect URI with
      `error=invalid_request` and an `error_description` naming the missing
      `code_challenge`. No sign-in, no consent, no code.
    """
    url = run.native_app.authorization_url("basic photos.read")
    run.check("the request carries no code_challenge", "code_challenge" not in url)
    run.browser.open(url)
    if run.weakness_on:
        run.check(
            "the authorization server shows its sign-in page",
            run.browser.page.form("login-form") is not None,
        )
    else:
        params = run.browser.redirect_params
        run.check("the authorization server answers 302", run.browser.status == 302)
        run.check(
            "to the redirect URI with error=invalid_request and no code",
            (run.browser.redirect_location or "").startswith(run.redirect_uri)
            and params.get("error") == "invalid_request"
            and "code" not in params,
        )
        run.check(
            "the error_description names the missing code_challenge",
            params.get("error_description")
            == "Missing 'code_challenge': public clients must use PKCE "
            "(RFC 9700 2.1.1).",
        )


@lesson.step("Alice signs in and approves")
def alice_approves(run):
    """
    Alice sees the real authorization server, the real consent page, "Photo
    Uploader (native app)". Everything looks right, because everything *is*
    right so far.

    - **Weakness on**: approving answers **302** to
      `http://127.0.0.1:51004/callback?code=...&state=...&iss=...`.
    - **Defended**: there is nothing to approve; the request was refused
      before Alice was asked anything.
    """
    if run.browser.page.form("login-form") is not None:
        run.browser.sign_in("alice", "wonderland")
        run.browser.follow_redirect()
        run.browser.approve()
    params = run.browser.redirect_params
    if run.weakness_on:
        run.check(
            "the authorization server answers 302 to the loopback with a code",
            run.browser.status == 302
            and (run.browser.redirect_location or "").startswith(run.redirect_uri)
            and params.get("code", "") != "",
        )
    else:
        run.check(
            "Alice was never asked to sign in or consent",
            run.browser.page.form("consent-form") is None and "code" not in params,
        )


@lesson.step("The redirect lands in the malicious app")
def redirect_reaches_attacker(run):
    """
    The browser follows the redirect to `127.0.0.1:51004`. Look at the
    exchange heading: **Browser -> Attacker**. Mallory's app reads the query
    string exactly as Photo Uploader would have, and answers with a copy of
    Photo Uploader's own page: "Photo Uploader received the answer. You can
    close this tab." Alice sees nothing wrong, in either run.

    - **Weakness on**: the app now holds Alice's authorization code.
    - **Defended**: the app receives only `error=invalid_request` and its
      description: nothing it can redeem. PKCE takes the value out of what
      arrives at the port; it cannot stop another app from owning the port
      and receiving it (RFC 8252 8.1).
    """
    if run.browser.redirect_location:
        run.browser.follow_redirect()
    run.stolen_codes = run.attacker.loot("code")
    run.check(
        "the browser's request went to the Attacker",
        bool(run.exchanges) and run.exchanges[-1].receiver == "Attacker",
    )
    run.check(
        "which answers with a copy of Photo Uploader's page",
        "Photo Uploader received the answer." in run.browser.page.text,
    )
    if run.weakness_on:
        run.check("the malicious app caught a code", len(run.stolen_codes) == 1)
    else:
        run.check(
            "the malicious app got only the error",
            run.attacker.loot("error") == ["invalid_request"],
        )
        run.check(
            "nothing valuable reached it (no code, no token)",
            run.attacker.secrets_received() == [],
        )


@lesson.step("The malicious app redeems the code: no secret needed")
def attacker_redeems(run):
    """
    Mallory's app sends `POST /token` with `grant_type=authorization_code`,
    the code, the redirect URI and `client_id=photo-uploader-native`. Read
    the request: no `Authorization` header, no `client_secret`, no
    `code_verifier`. For a public client, that is all the token endpoint can
    ask for (RFC 6749 2.1, RFC 8252 8.5).

    - **Weakness on**: **200** with an access token and a refresh token for
      Alice, issued to Photo Uploader but held by Mallory.
    - **Defended**: no code was ever issued, so there is nothing to send.
      Had the app used PKCE, this request would fail anyway without the
      verifier (RFC 7636 4.6).
    """
    if run.stolen_codes:
        response = run.attacker.redeem_code(
            run.stolen_codes[0],
            client_id="photo-uploader-native",
            redirect_uri=run.redirect_uri,
        )
        form = run.last_request.form
        run.check("the token endpoint answers 200", response.status_code == 200)
        run.check(
            "the request had no client secret and no code_verifier",
            run.last_request.header("Authorization") is None
            and "client_secret" not in form
            and "code_verifier" not in form,
        )
        claims = run.decode(run.attacker.stolen.get("access_token", "")).claims
        run.check(
            "the token is Alice's (sub u-1001), issued to photo-uploader-native",
            claims.get("sub") == "u-1001"
            and claims.get("client_id") == "photo-uploader-native",
        )
    else:
        run.check(
            "the authorization server never issued a code",
            run.events_named("authorization_code.issued") == [],
        )
        run.check("Mallory holds no tokens", run.attacker.stolen == {})


@lesson.step("The malicious app reads Alice's photos")
def attacker_calls_api(run):
    """
    With the stolen access token the app calls `GET /api/photos`. Look at the
    sender: **Attacker**. The photos API sees a valid token for Alice and
    answers; it cannot know which app holds it.

    - **Weakness on**: Alice's photos, and a refresh token that keeps
      working after Alice closes the browser.
    - **Defended**: Mallory sent nothing to the API or the token endpoint.
    """
    access_token = run.attacker.stolen.get("access_token")
    if access_token:
        response = run.attacker.call_api("/api/photos", access_token)
        run.check("the API answers 200 to the Attacker", response.status_code == 200)
        run.check(
            "with Alice's photos",
            [p["id"] for p in response.json().get("photos", [])] == ["p-1", "p-2"],
        )
    else:
        sent = [e for e in run.all_exchanges if e.sender == "Attacker"]
        run.check("the Attacker never called the token endpoint or the API", sent == [])
