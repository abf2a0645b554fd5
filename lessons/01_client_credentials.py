"""Client credentials: a service asks for a token for itself, with no user."""

from playground import Lesson

lesson = Lesson(
    "Client credentials (a service with no user)",
    level="beginner",
    kind="grant",
    summary=(
        "Print Shop is a back-office service of PhotoPrint. No person is at a "
        "browser: the service proves who it is with its own secret and gets an "
        "access token for itself (RFC 6749 4.4). Watch what that token can and "
        "cannot reach at the photos API."
    ),
)


@lesson.step("Print Shop asks the token endpoint for a token")
def get_token(run):
    """
    The **client credentials grant** (RFC 6749 4.4) is the shortest OAuth flow:
    one `POST /token` with `grant_type=client_credentials`. There is no
    browser, no redirect, no sign-in and no consent screen, because no
    resource owner is involved: the client acts **on its own behalf**.

    Look at the request's `Authorization: Basic ...` header. That is the
    client authenticating with `client_secret_basic` (RFC 6749 2.3.1):
    `base64(client_id:client_secret)`, each of the two form-urlencoded first
    (Appendix B; these have nothing to escape). Base64 is an encoding, not
    encryption, which is one reason this only ever travels over TLS.

    The response has an `access_token` and no `refresh_token`: the service
    can simply ask again with its secret, so RFC 6749 4.4.3 says a refresh
    token SHOULD NOT be issued.
    """
    response = run.service.client_credentials("photos.read")
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "Print Shop authenticated with Authorization: Basic (client_secret_basic)",
        response.request.headers["Authorization"].startswith("Basic "),
    )
    run.check(
        "the token was granted the scope photos.read",
        run.service.tokens.get("scope") == "photos.read",
    )
    run.check("no refresh token is issued", "refresh_token" not in run.service.tokens)


@lesson.step("Read the access token: its subject is the client itself")
def read_token(run):
    """
    The access token is a JWT (RFC 9068). Its decoded header and claims are
    shown in this step's JWT panel.

    In the other lessons `sub` (the subject) is a user such as Alice
    (`u-1001`). Here there is no user, so the token is about the client:
    `sub` and `client_id` are both `print-shop-service` (RFC 9068 2.2 allows
    this for tokens a client gets for itself). The `aud` still names the
    photos API, the only resource server that should accept it.
    """
    token = run.show_jwt(
        run.service.tokens["access_token"], "the service's access token"
    )
    run.check("the token's signature verifies", token.verification.status == "valid")
    run.check(
        "sub is the client id print-shop-service, not a user",
        token.claims.get("sub") == "print-shop-service",
    )
    run.check(
        "client_id is print-shop-service too",
        token.claims.get("client_id") == "print-shop-service",
    )
    run.check("aud is the photos API", token.claims.get("aud") == run.api_url)


@lesson.step("Print Shop calls /api/photos")
def list_photos(run):
    """
    The service sends `Authorization: Bearer <access token>` (RFC 6750 2.1).
    The photos API fetches the authorization server's public keys once
    (`GET /jwks.json`) to check the token's signature. That request is
    listed after the API's answer but was made before it: messages are
    numbered as they start, and the API asked for the keys while the
    service's request was waiting (the sequence diagram shows it nested).
    The token has the scope `photos.read`, so the API lets the request in
    and answers **200**.

    But look at the body: `"owner": "print-shop-service"` and an **empty**
    list. The API returns the photos of the token's subject, and the subject
    is the service, which owns no photos. A client credentials token never
    speaks for Alice: to print *her* photos, PhotoPrint needs her consent
    through the authorization code grant (lesson 02).
    """
    response = run.service.call_api("/api/photos")
    run.check("the photos API answers 200", response.status_code == 200)
    body = response.json()
    run.check(
        "the API answers for the service: owner is print-shop-service",
        body.get("owner") == "print-shop-service",
    )
    run.check("no user's photos come back", body.get("photos") == [])


@lesson.step("Print Shop calls /api/user: the token lacks the scope")
def wrong_scope(run):
    """
    `/api/user` needs the scope `basic`; this token only has `photos.read`.
    The token is valid, it just does not allow this, so the API answers
    **403 Forbidden** with the error `insufficient_scope` (RFC 6750 3.1).

    Read the `WWW-Authenticate` response header: it names the error and the
    scope the resource needs (`scope="basic"`), so a client knows what it
    would have to ask for.
    """
    response = run.service.call_api("/api/user")
    challenge = response.headers.get("WWW-Authenticate", "")
    run.check("the API answers 403", response.status_code == 403)
    run.check(
        "the error is insufficient_scope",
        response.json().get("error") == "insufficient_scope",
    )
    run.check(
        'WWW-Authenticate says error="insufficient_scope", scope="basic"',
        'error="insufficient_scope"' in challenge and 'scope="basic"' in challenge,
    )


@lesson.step("Asking for more scope is refused")
def ask_for_more(run):
    """
    Could Print Shop just ask for `basic` as well? No: the authorization
    server knows which scopes each client was registered for. Print Shop may
    only have `photos.read`, so the token endpoint answers **400** with
    `invalid_scope` (RFC 6749 5.2) and issues nothing.

    The client's registration, not the client's wishes, sets the limit.
    """
    response = run.service.client_credentials("basic")
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is invalid_scope",
        response.json().get("error") == "invalid_scope",
    )
