"""PKCE downgrade: the attacker strips the code challenge from her own
authorization request and injects the code into the victim's session, where
the client sends its code verifier (RFC 9700 4.8)."""

import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playground import Lesson

REFUSAL = (
    "A code_verifier was sent, but the authorization request had no "
    "code_challenge (RFC 9700 4.8.2)."
)
MISSING_CHALLENGE = (
    "Missing 'code_challenge': this server requires PKCE of every client "
    "(RFC 9700 2.1.1 requires it of public clients and recommends it for "
    "confidential ones)."
)

lesson = Lesson(
    "PKCE downgrade: a challenge stripped, a verifier ignored",
    level="advanced",
    kind="attack",
    weakness="as.pkce_downgrade",
    summary=(
        "PhotoPrint protects its callback with PKCE instead of state, as RFC "
        "9700 4.7.1 allows. Mallory starts her own PhotoPrint sign-in, deletes "
        "the code_challenge from the authorization request in her browser, and "
        "gets a code for her own account that no challenge binds. She makes "
        "Alice's browser deliver it to PhotoPrint, which redeems it with the "
        "code verifier of Alice's session. An authorization server that ignores "
        "a verifier for a code issued without a challenge lets Alice into "
        "Mallory's account (RFC 9700 4.8.1)."
    ),
    defence="""
**The authorization server refuses a `code_verifier` for a code issued
without a `code_challenge`.**

- RFC 9700 4.8.2: "the authorization server MUST ensure that if there was no
  `code_challenge` in the authorization request, a request to the token
  endpoint containing a `code_verifier` is rejected" (also in 2.1.1). Here
  the token endpoint answers **400** `invalid_grant`, "A code_verifier was
  sent, but the authorization request had no code_challenge (RFC 9700
  4.8.2)."; PhotoPrint shows "Sign-in failed" and Mallory's code stays
  unused.
- The server stores, with every code, whether its authorization request had
  a challenge (RFC 9700 4.8.2, RFC 7636 4.4); that is what lets it tell the
  downgraded code from an ordinary one.
- "Authorization servers that mandate the use of PKCE (in general or for
  particular clients) implicitly implement this security measure" (RFC 9700
  4.8.2): the playground's own default requires PKCE of every client, and
  the last step shows it refusing the stripped request at `/authorize`.
- On the client: PKCE is a sound CSRF defence only with a server that
  supports it properly (RFC 9700 4.7.1: "Clients MUST ensure that the
  authorization server supports PKCE before using PKCE for CSRF
  protection"). A `state` bound to the session would also have stopped this
  attack (RFC 9700 4.8.2: "Using state properly would prevent this attack");
  many clients do not use it properly, which is why the server MUST.
""",
)


def without_pkce(url):
    """The authorization request with code_challenge and its method removed,
    as Mallory edits it in her own browser (RFC 9700 4.8.1 step 2)."""
    parts = urlsplit(url)
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query)
        if name not in ("code_challenge", "code_challenge_method")
    ]
    return urlunsplit(parts._replace(query=urlencode(kept)))


@lesson.step("PhotoPrint relies on PKCE; Alice starts a sign-in")
def alice_starts(run):
    """
    Two settings of this lesson, both allowed by RFC 9700 (they are not the
    weakness):

    - PhotoPrint protects its callback against CSRF with **PKCE instead of
      `state`** (RFC 9700 4.7.1: "The same protection is provided by PKCE").
      Its authorization requests carry a `code_challenge` and no `state`.
    - The authorization server requires PKCE of public clients only; for a
      confidential client like PhotoPrint it is RECOMMENDED, not required
      (RFC 9700 2.1.1). The playground's default is stricter: every client.

    Alice clicks Sign in on PhotoPrint. Look at the `Location` of the 302:
    `code_challenge=...&code_challenge_method=S256`, no `state`. PhotoPrint
    keeps the **code verifier** in Alice's session, and her browser shows the
    authorization server's sign-in page. PhotoPrint "is now waiting to
    receive the authorization response from the user's browser" (RFC 9700
    4.8.1 step 1).
    """
    run.world.deployment.as_settings.require_pkce_for_all_clients = False
    run.web_client.configure(csrf="pkce")
    run.browser.open(f"{run.client_url}/")
    run.browser.click_link("sign-in")
    params = run.browser.redirect_params
    run.check(
        "PhotoPrint's authorization request carries an S256 code challenge",
        bool(params.get("code_challenge"))
        and params.get("code_challenge_method") == "S256",
    )
    run.check("and no state", "state" not in params)
    run.browser.follow_redirect()
    run.check(
        "Alice's browser shows the sign-in page",
        run.browser.page.form("login-form") is not None,
    )


@lesson.step("Mallory starts her own sign-in and strips the challenge")
def mallory_strips_the_challenge(run):
    """
    In **her own browser**, Mallory clicks Sign in on PhotoPrint too.
    PhotoPrint answers with another code challenge for *her* session. She
    does not follow the redirect: she copies its `Location`, deletes
    `code_challenge` and `code_challenge_method`, and opens the edited URL
    ("Since this step is performed on the attacker's device, the attacker has
    full access to the request contents", RFC 9700 4.8.1 step 2).

    The server has no reason to refuse: PhotoPrint is a confidential client,
    for which it does not require PKCE. Mallory signs in as **Bob**
    (`bob` / `builder`) and approves. The server answers 302 to PhotoPrint's
    `/callback?code=...&iss=...` with a code **not bound to any code
    challenge** (step 3). Mallory keeps that URL and does not follow it.
    """
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/")
    mallory.click_link("sign-in")
    requested = mallory.redirect_location or ""
    stripped = without_pkce(requested)
    run.check(
        "PhotoPrint sent her browser a code challenge too",
        "code_challenge=" in requested,
    )
    mallory.open(stripped)
    run.check(
        "the request without code_challenge is accepted: the sign-in page",
        mallory.page.form("login-form") is not None,
    )
    mallory.sign_in("bob", "builder")
    mallory.follow_redirect()
    mallory.approve()
    run.forged_callback = mallory.redirect_location or ""
    run.mallorys_code = mallory.redirect_params.get("code", "")
    issued = run.store.code(run.mallorys_code)
    run.check(
        "the server answers 302 to PhotoPrint's /callback with a code",
        run.forged_callback.startswith(f"{run.client_url}/callback?code="),
    )
    run.check(
        "the code is Bob's (u-1002) and the server stored no challenge with it",
        issued is not None and issued.user_id == "u-1002" and not issued.code_challenge,
    )


@lesson.step("Alice's browser delivers Mallory's code to PhotoPrint")
def alice_delivers_the_code(run):
    """
    Alice, in her own browser, visits Mallory's "Win 100 free photo prints!"
    page, and its link sends her browser to the URL Mallory saved:
    `/callback?code=<Mallory's code>&iss=...` (RFC 9700 4.8.1 step 4).

    PhotoPrint finds a sign-in under way in Alice's session, so it redeems
    the code with **that session's code verifier** (step 5): look at the
    back-channel `POST /token`, which carries Mallory's `code` and Alice's
    `code_verifier`. PKCE was meant to catch exactly this: the verifier does
    not belong to the code.

    - **Weakness on** (`as.pkce_downgrade`): the server sees no challenge
      stored with the code and ignores the verifier (step 6). **200**:
      PhotoPrint greets Alice as **Bob Builder**.
    - **Defended**: the token endpoint answers **400** `invalid_grant`: "A
      code_verifier was sent, but the authorization request had no
      code_challenge (RFC 9700 4.8.2)." PhotoPrint shows "Sign-in failed".
    """
    run.browser.open(f"{run.attacker.url}/free-prints")
    run.browser.click(run.forged_callback)
    token_requests = [e for e in run.exchanges if e.label == "POST /token"]
    sent = token_requests[0].request.form if token_requests else {}
    run.check(
        "PhotoPrint sent Mallory's code to /token with the verifier of Alice's session",
        len(token_requests) == 1
        and sent.get("code") == run.mallorys_code
        and bool(sent.get("code_verifier")),
    )
    answer = token_requests[0].response if token_requests else None
    status = answer.status if answer is not None else None
    if run.weakness_on:
        run.check("the token endpoint answers 200", status == 200)
        run.check(
            'Alice\'s page says "Hello Bob Builder from Bristol!"',
            "Hello Bob Builder from Bristol!" in run.browser.page.text,
        )
    else:
        run.check("the token endpoint answers 400", status == 400)
        body = json.loads(answer.body) if answer is not None else {}
        run.check(
            f'invalid_grant: "{REFUSAL}"',
            body == {"error": "invalid_grant", "error_description": REFUSAL},
        )
        run.check(
            'Alice sees "Sign-in failed" (400)',
            run.browser.status == 400 and "Sign-in failed" in run.browser.page.text,
        )


@lesson.step("Whose account is Alice using now?")
def whose_account(run):
    """
    - **Weakness on**: the access token PhotoPrint keeps for Alice's session
      says `sub: u-1002`: **Bob**, Mallory's account. Whatever Alice uploads
      or orders now lands where Mallory reads it (the goal of RFC 9700 4.8:
      "The attacker injects an authorization code ... that is bound to the
      attacker's resources into a session between their victim and the
      client"). PKCE was used by the client all along; the server let it be
      switched off for one code.
    - **Defended**: Alice's PhotoPrint session holds no tokens, and
      Mallory's code is still unused: the refused request did not spend it.
    """
    tokens = run.web_client.tokens_for_browser(run.browser)
    issued = run.store.code(run.mallorys_code)
    if run.weakness_on:
        claims = run.show_jwt(
            tokens.get("access_token", ""), "the access token in Alice's session"
        ).claims
        run.check(
            "Alice's PhotoPrint session holds a token for Bob (sub u-1002)",
            claims.get("sub") == "u-1002",
        )
        run.check(
            "the photo list shown to Alice is Bob's (Bridge build)",
            "Bridge build" in run.browser.page.text,
        )
    else:
        run.check("Alice's PhotoPrint session holds no tokens", tokens == {})
        run.check("Mallory's code is unused", issued is not None and not issued.used)


@lesson.step("With PKCE required of every client, no code at all")
def pkce_required(run):
    """
    The playground's default authorization server requires PKCE of **every**
    client, confidential ones included (as OAuth 2.1 does). Put that setting
    back and let Mallory strip the challenge again.

    Both runs: the server refuses the authorization request itself and sends
    the error back to PhotoPrint's redirect URI: **302** with
    `error=invalid_request` and "Missing 'code_challenge': this server
    requires PKCE of every client (RFC 9700 2.1.1 requires it of public
    clients and recommends it for confidential ones).". No code exists to
    inject. RFC 9700 4.8.2:
    "Authorization servers that mandate the use of PKCE ... implicitly
    implement this security measure."
    """
    run.world.deployment.as_settings.require_pkce_for_all_clients = True
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/")
    mallory.click_link("sign-in")
    mallory.open(without_pkce(mallory.redirect_location or ""))
    params = mallory.redirect_params
    run.check(
        "the server answers 302 to PhotoPrint's redirect URI",
        (mallory.redirect_location or "").startswith(f"{run.client_url}/callback?"),
    )
    run.check(
        "with invalid_request: Missing 'code_challenge'",
        params.get("error") == "invalid_request"
        and params.get("error_description") == MISSING_CHALLENGE,
    )
    run.check("and no code", "code" not in params)
