"""CSRF on the redirect URI: a client that ignores `state` signs the victim in
to the attacker's account (RFC 6749 10.12, RFC 9700 4.7)."""

from playground import Lesson

lesson = Lesson(
    "CSRF: a callback without a state check",
    level="intermediate",
    kind="attack",
    weakness=("client.skip_state_check", "client.no_pkce", "as.pkce_optional"),
    summary=(
        "Mallory signs in to PhotoPrint with her own account, keeps the "
        "authorization code instead of using it, and makes Alice's browser "
        "deliver it to PhotoPrint's /callback. If PhotoPrint does not check "
        "`state`, Alice's session is now tied to Mallory's account: whatever "
        "Alice prints or uploads lands where Mallory can read it. PKCE alone "
        "would stop this too (the code is bound to the session that asked "
        "for it), so the attack run also turns it off: PhotoPrint sends none "
        "(`client.no_pkce`) and the authorization server, which requires it of "
        "every client, lets that pass (`as.pkce_optional`)."
    ),
    defence="""
**Bind every authorization request to the browser that made it.**

- The client sends a fresh, unguessable `state` with each authorization
  request, keeps it in the user's session, and refuses a callback whose
  `state` is missing or different (RFC 6749 10.12, RFC 9700 4.7.1). Here
  PhotoPrint answers **400** and records `state_mismatch`; the attacker's code
  is never redeemed.
- PKCE does the same job for the code itself: the code verifier lives in the
  session that started the flow, so a code injected into another session
  fails at the token endpoint (RFC 9700 2.1.1 and 4.7.1, RFC 7636). Clients
  should use it even when they check `state`.
- With OpenID Connect, a `nonce` bound to the session protects the ID token
  the same way (RFC 9700 4.7.1).
- Tell users who they are signed in as, prominently: "Hello Bob Builder" is
  the only clue Alice gets (RFC 6819 4.4.1.8 calls this attack "CSRF against
  redirect-uri").
""",
)


@lesson.step("Mallory starts a sign-in to PhotoPrint with her own account")
def mallory_signs_in(run):
    """
    Mallory uses **her own browser** (`run.attacker.browser`) and her own
    account at the authorization server, `bob` / `builder`. She clicks Sign in
    on PhotoPrint like any user: PhotoPrint answers 302 to `/authorize` with a
    fresh `state`, which it keeps on its server, in the session that
    Mallory's `photoprint_session` cookie points to.

    Mallory's browser appears in the transcript as **Attacker**; Alice's, from
    step 3 on, as **Browser**.
    """
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/")
    mallory.click_link("sign-in")
    run.check(
        "PhotoPrint sends Mallory's browser to /authorize",
        (mallory.redirect_location or "").startswith(f"{run.issuer}/authorize?"),
    )
    mallory.follow_redirect()
    mallory.sign_in("bob", "builder")
    mallory.follow_redirect()
    run.check(
        "the consent page says she is signed in as Bob Builder",
        "Bob Builder" in mallory.page.text,
    )


@lesson.step("Mallory approves, but stops before the callback")
def mallory_keeps_her_code(run):
    """
    Mallory approves. The authorization server answers **302** to PhotoPrint's
    `/callback?code=...&state=...&iss=...`. A normal browser would follow it at
    once; Mallory does not. She copies the `Location` header and keeps the
    **authorization code**: a fresh, unused code for *her* account.

    Look at the raw response: the code and the `state` are plain query
    parameters. Nothing in that URL says which browser it belongs to, except
    the `state`, and only if the client checks it.
    """
    mallory = run.attacker.browser
    mallory.approve()
    run.forged_callback = mallory.redirect_location or ""
    run.mallorys_code = mallory.redirect_params.get("code", "")
    issued = run.store.code(run.mallorys_code)
    run.check(
        "the authorization server answers 302 to PhotoPrint's /callback with a code",
        run.forged_callback.startswith(f"{run.client_url}/callback?code="),
    )
    run.check(
        "the code was issued for Bob (u-1002) and is still unused",
        issued is not None and issued.user_id == "u-1002" and not issued.used,
    )
    run.check(
        "Mallory's browser never requested /callback",
        not any("/callback" in e.request.target for e in run.exchanges),
    )


@lesson.step("Alice visits Mallory's page")
def alice_visits_mallory(run):
    """
    Alice, in **her own browser**, follows a link to "Win 100 free photo
    prints!" at `attacker.test`. She is not signed in to PhotoPrint
    and has no reason to be suspicious: she has not typed anything anywhere.

    The page carries Mallory's trap: a link (or a script setting
    `location`) pointing at the callback URL Mallory saved in step 2. An
    `<img src=...>` would not do: PhotoPrint's answer sets a `SameSite=Lax`
    session cookie, and a browser keeps such a cookie from a cross-site
    request only on a top-level navigation (RFC 6265bis, the storage model).
    So Mallory's page navigates.
    """
    run.browser.open(f"{run.attacker.url}/free-prints")
    run.check(
        "Alice sees Mallory's page",
        "Win 100 free photo prints!" in run.browser.page.text,
    )


@lesson.step("Alice's browser delivers Mallory's code to PhotoPrint")
def alice_delivers_the_code(run):
    """
    Mallory's page sends Alice's browser to the URL she saved,
    `/callback?code=<Mallory's code>&state=<Mallory's state>&iss=...` on
    PhotoPrint: a link on her page, followed. In the raw request the browser
    says so itself: `Sec-Fetch-Site: cross-site` (as every genuine callback
    from the authorization server is) and a `Referer` naming Mallory's site.
    Headers like these are hints, not a defence: the defence is `state` (or
    PKCE).

    In the raw request, look at what PhotoPrint receives: a code, a `state`,
    and `iss`, all genuine, issued by the real authorization server. The
    only thing wrong is *whose browser* brings them.

    - **Weakness on**: PhotoPrint does not compare `state` with Alice's
      session. It redeems the code on the back channel (`POST /token` with its
      own secret, answered 200) and greets Alice as **Bob Builder**.
    - **Defended**: Alice's session holds no `state` at all (she never started
      a sign-in), so PhotoPrint refuses with **400** before it ever calls the
      token endpoint: the state check in `/callback` stopped it.
    """
    run.browser.click(run.forged_callback)
    token_requests = [e for e in run.exchanges if e.label == "POST /token"]
    if run.weakness_on:
        run.check("PhotoPrint answers 200", run.browser.status == 200)
        run.check(
            'Alice\'s page says "Hello Bob Builder from Bristol!"',
            "Hello Bob Builder from Bristol!" in run.browser.page.text,
        )
        run.check(
            "PhotoPrint redeemed Mallory's code with its own secret (POST /token 200)",
            len(token_requests) == 1
            and token_requests[0].request.form.get("code") == run.mallorys_code
            and token_requests[0].response.status == 200,
        )
    else:
        run.check("PhotoPrint answers 400", run.browser.status == 400)
        run.check(
            'the page says the state "does not match": possible CSRF',
            "does not match" in run.browser.page.text,
        )
        run.check(
            "PhotoPrint's state check stopped it (last_error state_mismatch)",
            run.web_client.last_error == "state_mismatch",
        )
        run.check("no POST /token was sent", token_requests == [])


@lesson.step("Whose account is Alice using now?")
def whose_account(run):
    """
    PhotoPrint keeps tokens on its server, keyed by the session cookie it
    gives Alice's browser when a sign-in completes. Look at the decoded access
    token in that session.

    - **Weakness on**: `sub` is `u-1002`, **Bob**. Alice is using PhotoPrint
      inside Mallory's account: the photos she uploads, the prints she orders,
      the delivery address she types are all saved to Bob's account, where
      Mallory reads them at leisure. Mallory stole no token and no password;
      she *lent* Alice her own session (RFC 9700 4.7).
    - **Defended**: Alice's browser has no PhotoPrint session with tokens, and
      Mallory's code is still unused: nothing happened.
    """
    tokens = run.web_client.tokens_for_browser(run.browser)
    access_token = tokens.get("access_token", "")
    issued = run.store.code(run.mallorys_code)
    if run.weakness_on:
        claims = run.show_jwt(
            access_token, "the access token in Alice's session"
        ).claims
        run.check(
            "Alice's PhotoPrint session holds a token for Bob (sub u-1002)",
            claims.get("sub") == "u-1002",
        )
        run.check(
            "the photo list shown to Alice is Bob's (Bridge build)",
            "Bridge build" in run.browser.page.text,
        )
        run.check(
            "Mallory's code is used up: it was redeemed in Alice's session",
            issued is not None and issued.used,
        )
    else:
        run.check("Alice's browser holds no PhotoPrint tokens", tokens == {})
        run.check(
            "Mallory's code was never redeemed",
            issued is not None and not issued.used,
        )
