"""Introspection (RFC 7662) and revocation (RFC 7009): can a token be taken back?"""

from playground import Lesson

lesson = Lesson(
    "Introspection and revocation: taking a token back",
    level="intermediate",
    kind="advanced",
    summary=(
        "PhotoPrint revokes Alice's tokens (RFC 7009). The authorization server "
        "forgets them at once, but a photos API that checks JWTs on its own "
        "cannot tell until they expire; one that asks the authorization server "
        "(introspection, RFC 7662) can."
    ),
)


def sign_in_to_photoprint(run):
    """Alice signs in to PhotoPrint and approves: the authorization code flow."""
    run.browser.open(f"{run.client_url}/login")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()


@lesson.step("Alice signs in to PhotoPrint")
def sign_in(run):
    """
    The setup: the authorization code flow of lesson 02. PhotoPrint's
    server trades the code for an **access token** (a JWT, RFC 9068) and a
    **refresh token**, and keeps both on its side; the browser never sees
    them. PhotoPrint then shows Alice her photos.
    """
    sign_in_to_photoprint(run)
    run.photoprint = run.web_client.oauth
    run.access_token = run.photoprint.tokens.get("access_token", "")
    run.refresh_token = run.photoprint.tokens.get("refresh_token", "")
    run.check("PhotoPrint shows Alice's photos", "Tea party" in run.browser.page.text)
    run.check(
        "PhotoPrint holds an access token and a refresh token",
        run.access_token != "" and run.refresh_token != "",
    )


@lesson.step("The photos API asks the authorization server about the token")
def introspect_active(run):
    """
    A JWT access token carries its own claims, so the API can check it
    alone. It can also **ask** the authorization server: `POST /introspect`
    with the token, authenticated with the API's own credentials
    (`photos-api`, `Authorization: Basic` below). RFC 7662 2.2: the answer
    is `"active": true` plus what the server knows about the token.

    Compare the JSON answer with the decoded JWT of step 1: the same `sub`,
    `client_id`, `scope`, `exp` and `jti`. This is how an API checks an
    **opaque** token, a random string that holds no claims at all.
    """
    answer = run.introspect(run.access_token).json()
    claims = run.decode(run.access_token).claims
    run.check("introspection says active: true", answer.get("active") is True)
    run.check(
        "it names the same user, client, scope and jti as the JWT",
        all(
            answer.get(name) == claims.get(name)
            for name in ("sub", "client_id", "scope", "jti")
        ),
    )
    run.check("and the same expiry", answer.get("exp") == claims.get("exp"))


@lesson.step("PhotoPrint revokes the access token")
def revoke_access_token(run):
    """
    Alice says "log me out of PhotoPrint". PhotoPrint tells the authorization
    server with `POST /revoke` (RFC 7009 2.1), authenticating with its own
    secret, and sends `token_type_hint=access_token`.

    RFC 7009 2.2: the answer is **200**, even for a token that was already
    invalid: either way the token is now unusable, which is all the client
    wanted. From now on, introspection answers only `{"active": false}`
    (RFC 7662 2.2): no claims, no reason.
    """
    response = run.photoprint.revoke(run.access_token, "access_token")
    run.check("the revocation endpoint answers 200", response.status_code == 200)
    run.check(
        "the server recorded token.revoked",
        len(run.events_named("token.revoked")) == 1,
    )
    answer = run.introspect(run.access_token).json()
    run.check('introspection now says {"active": false}', answer == {"active": False})


@lesson.step("But the API that checks JWTs itself still says yes")
def jwt_still_accepted(run):
    """
    PhotoPrint (or a thief who copied the token) calls the photos API with
    the revoked token. The API validates the JWT **locally**: signature,
    `iss`, `aud`, `exp`, `typ`. All of that is still true: the JWT did not
    change when the authorization server forgot it. So the API answers
    **200**, and keeps doing so until `exp`, up to an hour from now.

    That is the price of self-contained tokens (RFC 9068): no call to the
    authorization server per request, but no way to hear about revocation.
    The usual answer is **short lifetimes** (minutes to an hour; here, an
    hour), with a refresh token to get the next one.
    """
    response = run.photoprint.call_api("/api/photos", run.access_token)
    run.check(
        "the photos API answers 200 to a revoked token", response.status_code == 200
    )
    token = run.decode(run.access_token)
    run.check(
        "the JWT itself still verifies, and expires only in an hour",
        token.verification.status == "valid" and token.expires_in == 3600,
    )


@lesson.step("Switch the API to introspection: now it says no")
def switch_to_introspection(run):
    """
    Now the photos API is reconfigured to ask the authorization server about
    **every** token (`validation = "introspection"`). Look at the messages:
    the API's `GET /api/photos` causes its own `POST /introspect` (listed
    after it, made while it waited: messages are numbered as they start),
    and the answer `{"active": false}` makes the API refuse with **401**
    `invalid_token` (RFC 6750 3.1).

    Revocation now takes effect at once. The cost: one extra round trip per
    API call, and an API that stops working when the authorization server is
    down. Real deployments cache answers for a few seconds, or use opaque
    tokens (which *must* be introspected) only where instant revocation
    matters.
    """
    run.use_introspection()
    response = run.photoprint.call_api("/api/photos", run.access_token)
    run.check("the photos API answers 401", response.status_code == 401)
    run.check(
        "the error is invalid_token",
        response.json().get("error") == "invalid_token",
    )


@lesson.step("The refresh token still works")
def refresh(run):
    """
    Revoking an access token leaves the grant alone: PhotoPrint's **refresh
    token** is still good. PhotoPrint trades it for a new access token
    (RFC 6749 6) and a new refresh token (the old one is rotated away,
    RFC 9700 4.14.2), and the API, asking the authorization server, accepts
    the new access token.
    """
    response = run.photoprint.refresh(run.refresh_token)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.new_access_token = run.photoprint.tokens.get("access_token", "")
    run.new_refresh_token = run.photoprint.tokens.get("refresh_token", "")
    api = run.photoprint.call_api("/api/photos", run.new_access_token)
    run.check("the API accepts the new access token (200)", api.status_code == 200)


@lesson.step("Revoking the refresh token ends the whole grant")
def revoke_refresh_token(run):
    """
    To really log Alice out, PhotoPrint revokes the **refresh token**.
    RFC 7009 2.1: revoking a refresh token SHOULD also invalidate the access
    tokens of the same authorization grant. Read the server event: the
    refresh token and every token of its grant are gone.

    The new access token is refused at once (the API introspects), and the
    refresh token can no longer be used: **400** `invalid_grant`. To get
    back in, PhotoPrint must send Alice through the authorization server
    again.
    """
    response = run.photoprint.revoke(run.new_refresh_token, "refresh_token")
    run.check("the revocation endpoint answers 200", response.status_code == 200)
    api = run.photoprint.call_api("/api/photos", run.new_access_token)
    run.check("the new access token is refused too (401)", api.status_code == 401)
    again = run.photoprint.refresh(run.new_refresh_token)
    run.check(
        "the refresh token is refused: invalid_grant",
        again.status_code == 400 and again.json().get("error") == "invalid_grant",
    )
