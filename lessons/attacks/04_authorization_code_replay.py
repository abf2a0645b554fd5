"""Authorization code replay: a leaked, already-used code redeemed a second
time (RFC 6749 4.1.2 and 10.5, RFC 9700 4.3.1 and 4.5)."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

from playground import Lesson

lesson = Lesson(
    "Authorization code replay",
    level="intermediate",
    kind="attack",
    weakness=("as.allow_code_reuse", "client.no_pkce", "as.pkce_optional"),
    summary=(
        "Alice's authorization code leaks from a log after PhotoPrint has "
        "used it. Mallory cannot redeem it herself (PhotoPrint is a "
        "confidential client with a secret), so she injects it into her own "
        "PhotoPrint sign-in and lets PhotoPrint redeem it a second time. An "
        "authorization server that allows code reuse hands out a second set "
        "of tokens for Alice, to Mallory's session. PKCE would stop the "
        "injection on its own (Mallory's session holds another code "
        "verifier), so the attack run also turns it off (`client.no_pkce`, "
        "`as.pkce_optional`): this lesson is about what the server does with "
        "a code it has seen before."
    ),
    defence="""
**A code is single-use, and a replay is a sign of theft.**

- The authorization server must refuse a code it has already redeemed and
  **should revoke every token issued from it** (RFC 6749 4.1.2 and 10.5,
  RFC 9700 4.2.4). Here the second redemption gets **400**
  `invalid_grant`, "The code was already used; the tokens issued from it are
  revoked.", the server logs `authorization_code.reused`, and Alice's first
  access token introspects as `{"active": false}`. Alice has to sign in
  again; Mallory gets nothing.
- Keep codes short-lived (RFC 6749 4.1.2 recommends at most 10 minutes) and
  keep them out of logs: the code rides in the URL of the callback, so it
  lands in browser history, proxy and server access logs, and `Referer`
  headers (RFC 9700 4.2.4 and 4.3.1, RFC 6819 4.4.1.1).
- PKCE stops the injection itself: the code is bound to the code verifier
  kept in the session that started the flow, and Mallory's session has a
  different one (RFC 9700 2.1.1 and 4.5.3, RFC 7636). `state` does **not**
  stop it: Mallory uses her own, valid `state` (RFC 9700 4.5).
- Revocation reaches only servers that ask: an API that validates JWT access
  tokens locally keeps accepting a revoked one until it expires, so keep
  access tokens short-lived or introspect (RFC 6819 5.1.5.3, RFC 7662).
""",
)


@lesson.step("Alice signs in to PhotoPrint")
def alice_signs_in(run):
    """
    An ordinary sign-in: PhotoPrint's `/login` sends Alice's browser to the
    authorization server, she signs in as `alice` and approves. The AS
    answers **302** to `https://photoprint.test/callback?code=...`.

    Note the code in the `Location` header: from here on it sits in a URL.
    """
    run.browser.open(f"{run.client_url}/login")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.check(
        "the authorization server answers 302 to PhotoPrint's /callback with a code",
        (run.browser.redirect_location or "").startswith(
            f"{run.client_url}/callback?code="
        ),
    )


@lesson.step("PhotoPrint redeems the code; the URL stays in the logs")
def photoprint_redeems(run):
    """
    The browser delivers the code (`GET /callback?code=...`) and PhotoPrint
    redeems it on the back channel, authenticated with its secret: **200**,
    and Alice sees her photos.

    The first exchange of this step is what an access log records: a
    TLS-terminating proxy, PhotoPrint's own web server, a monitoring tool.
    The same URL is in Alice's browser history. The code is spent, so
    nobody worries about it (RFC 9700 4.3.1).
    """
    run.browser.follow_redirect()
    callback = run.exchanges[0]
    run.leaked_code = parse_qs(urlsplit(callback.request.url).query)["code"][0]
    run.first_tokens = dict(run.web_client.tokens_for_browser(run.browser))
    run.check(
        'the page says "Hello Alice Liddell from Oxford!"',
        "Hello Alice Liddell from Oxford!" in run.browser.page.text,
    )
    run.check(
        "the code is in the request line an access log records",
        callback.request.target.startswith(f"/callback?code={run.leaked_code}&"),
    )
    run.check(
        "and in Alice's browser history",
        any(run.leaked_code in url for url in run.browser.history),
    )
    run.check(
        "PhotoPrint holds Alice's tokens",
        run.first_tokens.get("access_token", "") != "",
    )


@lesson.step("Mallory starts her own sign-in at PhotoPrint")
def mallory_starts(run):
    """
    Mallory read the log. She has Alice's code but not PhotoPrint's client
    secret, so she cannot call the token endpoint herself. Instead she makes
    **PhotoPrint** redeem it for her.

    In her own browser she opens PhotoPrint's `/login`. PhotoPrint keeps a
    fresh `state` on its server, in the session her `photoprint_session`
    cookie points to, and redirects her to the authorization server; she does
    not follow. She only needed a valid `state` of her own.

    Mallory's browser appears in the transcript as **Attacker**; Alice's as
    **Browser**.
    """
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/login")
    location = mallory.redirect_location or ""
    run.mallorys_state = parse_qs(urlsplit(location).query).get("state", [""])[0]
    run.check(
        "PhotoPrint gave Mallory's session its own state",
        run.mallorys_state != "" and location.startswith(f"{run.issuer}/"),
    )


@lesson.step("Mallory injects Alice's code: a second redemption of the same code")
def mallory_injects(run):
    """
    Mallory's browser opens
    `/callback?code=<Alice's code>&state=<Mallory's state>`. The `state`
    matches Mallory's session, so PhotoPrint's state check passes, and
    PhotoPrint sends `POST /token` with the code **a second time**, with its
    own valid secret. Read the token request and the answer.

    - **Weakness on**: the authorization server does not remember that the
      code was used. **200**, fresh tokens, and Mallory's browser shows
      **Alice's** name and photos.
    - **Defended**: the code-reuse check at the token endpoint answers
      **400** `invalid_grant`, "The code was already used; the tokens issued
      from it are revoked." PhotoPrint shows Mallory "Sign-in failed".
    """
    mallory = run.attacker.browser
    injected = {"code": run.leaked_code, "state": run.mallorys_state, "iss": run.issuer}
    mallory.open(f"{run.client_url}/callback?{urlencode(injected)}")
    token_requests = [e for e in run.exchanges if e.label == "POST /token"]
    replay = token_requests[0] if token_requests else None
    run.check(
        "PhotoPrint sent the same code to the token endpoint again",
        replay is not None and replay.request.form.get("code") == run.leaked_code,
    )
    if run.weakness_on:
        second = run.web_client.tokens_for_browser(mallory)
        run.check(
            "the token endpoint answers 200",
            replay is not None and replay.response.status == 200,
        )
        run.check(
            "with new tokens, not the first ones",
            second.get("access_token")
            not in ("", None, run.first_tokens.get("access_token", "")),
        )
        run.check(
            'Mallory\'s page says "Hello Alice Liddell from Oxford!"',
            "Hello Alice Liddell from Oxford!" in mallory.page.text,
        )
        run.check(
            "and lists Alice's photos",
            "Tea party" in mallory.page.text and "Croquet lawn" in mallory.page.text,
        )
    else:
        answer = replay.response if replay else None
        body = json.loads(answer.body) if answer and answer.body else {}
        run.check("the token endpoint answers 400", answer and answer.status == 400)
        run.check(
            "invalid_grant: the code was already used, its tokens revoked",
            body
            == {
                "error": "invalid_grant",
                "error_description": (
                    "The code was already used; the tokens issued from it are revoked."
                ),
            },
        )
        run.check(
            "the server logged authorization_code.reused",
            [e.detail for e in run.events_named("authorization_code.reused")]
            == ["1 token(s) issued from this code revoked"],
        )
        run.check(
            'PhotoPrint shows Mallory "Sign-in failed" (400)',
            mallory.status == 400 and "Sign-in failed" in mallory.page.text,
        )


@lesson.step("What became of Alice's first tokens?")
def first_tokens(run):
    """
    The photos API asks the authorization server about Alice's **first**
    access token, the one PhotoPrint got in step 2 (`POST /introspect`,
    RFC 7662).

    - **Weakness on**: `"active": true`. Both sets of tokens work: Alice's
      and the one in Mallory's PhotoPrint session. Nobody noticed.
    - **Defended**: `{"active": false}`. Detecting the replay, the AS revoked
      everything issued from the code. That hurts Alice too (she must sign
      in again), and it is the right trade: the AS cannot tell which
      redemption was the thief's (RFC 6749 4.1.2).

    Mind the last bullet of "How to defend": this API validates JWTs locally
    unless told to introspect, so a revoked JWT still works there until it
    expires.
    """
    answer = run.introspect(run.first_tokens.get("access_token", "")).json()
    mallorys = run.web_client.tokens_for_browser(run.attacker.browser)
    if run.weakness_on:
        run.check("Alice's first access token is still active", answer.get("active"))
        claims = run.show_jwt(
            mallorys.get("access_token", ""), "the token in Mallory's session"
        ).claims
        run.check(
            "Mallory's PhotoPrint session holds a token about Alice (sub u-1001)",
            claims.get("sub") == "u-1001",
        )
    else:
        run.check(
            'introspection answers {"active": false}: revoked',
            answer == {"active": False},
        )
        run.check("Mallory's PhotoPrint session holds no tokens", mallorys == {})
