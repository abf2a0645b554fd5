"""Refresh tokens: new access tokens after the old one expires, safely."""

from playground import Lesson

lesson = Lesson(
    "Refresh token rotation",
    level="intermediate",
    kind="grant",
    summary=(
        "Access tokens are short-lived on purpose. Photo Gallery uses its "
        "refresh token to get new ones without bothering Alice. Each refresh "
        "also replaces the refresh token (rotation, RFC 9700 4.14.2), so a "
        "stolen one that is used twice gives the theft away."
    ),
)


@lesson.step("Photo Gallery gets an access token and a refresh token")
def get_tokens(run):
    """
    Photo Gallery, the single-page app of lesson 03, signs Alice in with the
    authorization code grant and PKCE (`run.code_flow` does all of lesson
    03's steps in one go).

    Look at the token response of `POST /token`: next to the
    `access_token` there is a **refresh token** and `expires_in: 3600`. The
    access token is good for one hour; the refresh token is how the app gets
    the next one (RFC 6749 1.5), without sending Alice through the browser
    again.
    """
    response = run.code_flow(run.spa, run.browser, "alice", "wonderland")
    run.first = dict(run.spa.tokens)  # keep the first pair for later steps
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check("a refresh token came with it", "refresh_token" in run.first)
    run.check(
        "the access token lives 3600 seconds", run.first.get("expires_in") == 3600
    )


@lesson.step("The access token works, for now")
def use_access_token(run):
    """
    The app calls the photos API with `Authorization: Bearer <access token>`
    and gets Alice's photos.

    In the decoded access token, `exp - iat` is the lifetime in seconds. A
    short lifetime limits the damage if the token leaks: a bearer token
    works for whoever holds it (RFC 6750 5.3).
    """
    response = run.spa.call_api("/api/photos")
    claims = run.decode(run.first["access_token"]).claims
    run.check("the API answers 200", response.status_code == 200)
    run.check(
        "exp - iat is 3600 seconds", claims.get("exp", 0) - claims.get("iat", 0) == 3600
    )


@lesson.step("An hour later: the access token has expired")
def expire(run):
    """
    We move the world's clock forward by `expires_in` seconds; no waiting.

    The same request now gets **401 Unauthorized** with the error
    `invalid_token` (RFC 6750 3.1). Read the `WWW-Authenticate` header: its
    `error_description` carries PyJWT's precise reason,
    `ExpiredSignatureError`. The API checked `exp` against its clock and
    refused.
    """
    run.clock.advance(run.first["expires_in"])
    response = run.spa.call_api("/api/photos")
    run.check("the API answers 401", response.status_code == 401)
    run.check(
        "the error is invalid_token", response.json().get("error") == "invalid_token"
    )
    run.check(
        'the error_description says "Expired"',
        "Expired" in response.json().get("error_description", ""),
    )
    run.check(
        "decoded now, the first access token fails with ExpiredSignatureError",
        run.show_jwt(
            run.first["access_token"], "the expired access token"
        ).verification.exception
        == "ExpiredSignatureError",
    )


@lesson.step("Refresh: a new access token and a new refresh token")
def refresh(run):
    """
    The app sends `POST /token` with `grant_type=refresh_token` and its
    refresh token (RFC 6749 6). No browser, no sign-in, no consent page:
    Alice notices nothing.

    Compare the answer with step 1. The access token is new, and so is the
    **refresh token**: the authorization server *rotated* it and marked the
    old one as used. RFC 9700 4.14.2 requires it (or sender-constrained
    refresh tokens instead) for public clients like Photo Gallery, which
    cannot keep a secret and so cannot prove that a refresh token is really
    theirs.
    """
    response = run.spa.refresh(run.first["refresh_token"])
    run.second = dict(run.spa.tokens)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "the access token is new",
        run.second.get("access_token") != run.first["access_token"],
    )
    run.check(
        "the refresh token is new too (rotation)",
        run.second.get("refresh_token") not in (None, run.first["refresh_token"]),
    )
    run.check(
        "the API answers 200 again",
        run.spa.call_api("/api/photos").status_code == 200,
    )


@lesson.step("Someone presents the old refresh token again")
def reuse_old_refresh_token(run):
    """
    Suppose an attacker copied the **first** refresh token from the app
    earlier (attack 07 shows how) and tries it now from her own machine: the
    request comes from the **Attacker**, with the app's `client_id`, which is
    all a public client sends. It was already used, so the authorization
    server answers **400** `invalid_grant`.

    It also cannot tell who is the thief: the app or whoever sent this. So
    it does what RFC 9700 4.14.2 describes: it **revokes the whole family**
    of tokens that grew from Alice's sign-in. Look at the server event
    `refresh_token.reused`.
    """
    response = run.attacker.token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": run.first["refresh_token"],
            "client_id": run.spa.client_id,
        }
    )
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is invalid_grant", response.json().get("error") == "invalid_grant"
    )
    run.check(
        "the server logged refresh_token.reused",
        len(run.events_named("refresh_token.reused")) == 1,
    )


@lesson.step("Even the newest refresh token is now refused")
def family_revoked(run):
    """
    The app now uses the refresh token it got in step 4, which had never
    been used. It is refused too: **400** `invalid_grant`, "revoked". Alice
    has to sign in again, and the attacker's refresh token is worthless (an
    access token already taken still works until it expires: see below).

    One thing the revocation cannot reach: the access token from step 4 is
    a JWT, which the photos API checks **by itself** (signature, `exp`)
    without asking the authorization server. It keeps working until it
    expires. That is why access tokens are kept short-lived; an API that
    must see revocations at once asks the authorization server about every
    token instead (token introspection, RFC 7662).
    """
    response = run.spa.refresh(run.second["refresh_token"])
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is invalid_grant: the refresh token was revoked",
        response.json().get("error") == "invalid_grant"
        and "revoked" in response.json().get("error_description", ""),
    )
    run.check(
        "the newest access token still works at the API until it expires",
        run.spa.call_api("/api/photos", run.second["access_token"]).status_code == 200,
    )
