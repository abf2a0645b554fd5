"""Client authentication at the token endpoint: secrets, signed assertions, none."""

import base64

from playground import Lesson

lesson = Lesson(
    "Client authentication: how a client proves who it is",
    level="intermediate",
    kind="advanced",
    summary=(
        "Print Shop asks for a token with the client credentials grant three "
        "ways: a secret in a Basic header, a secret in the body, and a JWT it "
        "signs with its own private key (RFC 7523). Then a wrong secret, a "
        "replayed assertion, and the public clients that have no secret at all."
    ),
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@lesson.step("A secret in the Authorization header (client_secret_basic)")
def secret_basic(run):
    """
    Print Shop is a **confidential client**: a service on a server, with no
    user involved, asking for a token for itself (the client credentials
    grant, RFC 6749 4.4). The token endpoint must know *which* client asks,
    so the client authenticates (RFC 6749 2.3).

    The way every authorization server must support is `client_secret_basic`
    (RFC 6749 2.3.1): client id and secret in an `Authorization: Basic`
    header, base64 of `id:secret`, each form-urlencoded first (Appendix B;
    these have nothing to escape).
    Base64 is an encoding, not encryption: decode the header below and you
    read `print-shop-service:print-shop-secret`. Only TLS protects it.
    """
    service = run.oauth_client("print-shop-service", auth_method="client_secret_basic")
    response = service.client_credentials("photos.read")
    run.check("the token endpoint answers 200", response.status_code == 200)
    header = run.last_request.header("Authorization") or ""
    encoded = header.removeprefix("Basic ")
    run.check(
        "the Basic header is base64 of id:secret",
        base64.b64decode(encoded) == b"print-shop-service:print-shop-secret",
    )
    run.check("the body holds no secret", "client_secret" not in run.last_request.form)


@lesson.step("A secret in the request body (client_secret_post)")
def secret_post(run):
    """
    The same request with `client_secret_post`: `client_id` and
    `client_secret` as form fields in the body, and no `Authorization`
    header. RFC 6749 2.3.1 allows it but calls it NOT RECOMMENDED: it
    "SHOULD be limited to clients unable to directly utilize the HTTP Basic
    authentication scheme".

    Either way the secret is **shared**: the authorization server stores it
    too, and anyone who copies it can be Print Shop.
    """
    service = run.oauth_client("print-shop-service", auth_method="client_secret_post")
    response = service.client_credentials("photos.read")
    run.check("the token endpoint answers 200", response.status_code == 200)
    request = run.last_request
    run.check(
        "the secret is in the body",
        request.form.get("client_secret") == "print-shop-secret",
    )
    run.check(
        "there is no Authorization header", request.header("Authorization") is None
    )


@lesson.step("A wrong secret: 401 invalid_client")
def wrong_secret(run):
    """
    Someone tries Print Shop's id with a guessed secret. RFC 6749 5.2: a
    failed client authentication is `invalid_client`, and when the client
    used the `Authorization` header the server answers **401** with a
    `WWW-Authenticate` header naming the scheme, here `Basic`.

    The server also logs `client.authentication.failed`: a stream of these
    is what an operator watches for.
    """
    impostor = run.oauth_client("print-shop-service", auth_method="client_secret_basic")
    impostor.client_secret = "guessed-secret"
    response = impostor.client_credentials("photos.read")
    run.check("the token endpoint answers 401", response.status_code == 401)
    run.check(
        "the error is invalid_client", response.json().get("error") == "invalid_client"
    )
    run.check(
        "WWW-Authenticate asks for Basic",
        response.headers.get("WWW-Authenticate", "").startswith("Basic"),
    )
    run.check(
        "the server recorded client.authentication.failed",
        len(run.events_named("client.authentication.failed")) == 1,
    )


@lesson.step("No shared secret: a signed assertion (private_key_jwt)")
def private_key_jwt(run):
    """
    With `private_key_jwt` (RFC 7523 2.2, OIDC Core 9) Print Shop has **no
    secret the server knows**. It holds a private key; the authorization
    server holds only the matching public key, registered for
    `print-shop-service`. For each request Print Shop signs a short-lived
    JWT, the **client assertion**, and sends it in the body as
    `client_assertion`, with
    `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.

    Look at the body below: no `client_secret`, no `Authorization` header.
    """
    run.print_shop = run.oauth_client(
        "print-shop-service", auth_method="private_key_jwt"
    )
    response = run.print_shop.client_credentials("photos.read")
    run.check("the token endpoint answers 200", response.status_code == 200)
    request = run.last_request
    form = request.form
    run.assertion = form.get("client_assertion", "")
    run.check(
        "the body carries a client assertion of the jwt-bearer type",
        form.get("client_assertion_type") == ASSERTION_TYPE and run.assertion != "",
    )
    run.check(
        "and no secret at all",
        "client_secret" not in form and request.header("Authorization") is None,
    )


@lesson.step("Read the client assertion")
def read_assertion(run):
    """
    The `client_assertion` from the request body above is decoded in this
    step's JWT panel.
    RFC 7523 3 requires `iss`, `sub`, `aud` and `exp`; OpenID Connect Core 9
    (`private_key_jwt`) also requires `jti`:

    * `iss` and `sub`: the client id, `print-shop-service`;
    * `aud`: the authorization server, by its issuer identifier;
    * `exp`: Print Shop sets it a minute after `iat`, so a copied assertion
      soon goes stale;
    * `jti`: a unique id, so the server can refuse it a second time.

    This JWT was signed by the **client's** private key, not the
    authorization server's: the authorization server verifies it with the
    public key registered for `print-shop-service` (the `kid` in the
    assertion's header names that key), and so does the decoder here, which
    says VALID with that key, `iss` the client and `aud` the issuer.
    """
    assertion = run.show_jwt(run.assertion, "client_assertion in the token request")
    claims = assertion.claims
    run.check(
        "iss and sub are print-shop-service",
        claims.get("iss") == claims.get("sub") == "print-shop-service",
    )
    run.check(
        "aud is https://auth.photos.test",
        claims.get("aud") == run.issuer,
    )
    run.check(
        "it expires 60 seconds after iat and has a jti",
        claims.get("exp", 0) - claims.get("iat", 0) == 60 and bool(claims.get("jti")),
    )
    registered = run.store.client("print-shop-service").jwks["keys"]
    run.check(
        "signed by the client's registered key, not the authorization server's",
        assertion.verification.status == "valid"
        and assertion.header.get("kid") in [key["kid"] for key in registered],
    )


@lesson.step("A replayed assertion is refused")
def replay(run):
    """
    Suppose the request leaked (a proxy log, a debugging tool) and someone
    sends the **same** assertion again within its minute. The signature is
    still good and `exp` has not passed, but the server remembers every
    `jti` it has accepted (RFC 7523 3, item 7) and answers **400**
    `invalid_client`: "JWT ID is used before."
    """
    response = run.print_shop.http.post(
        f"{run.issuer}/token",
        data={
            "grant_type": "client_credentials",
            "scope": "photos.read",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": run.assertion,
        },
    )
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is invalid_client", response.json().get("error") == "invalid_client"
    )
    run.check(
        "because the jti was seen before",
        response.json().get("error_description") == "JWT ID is used before.",
    )


@lesson.step("Public clients have no secret at all")
def public_clients(run):
    """
    Photo Gallery runs in Alice's browser and Photo Uploader on her laptop:
    anything they hold, a user can read. They are **public clients**
    (RFC 6749 2.1), registered with the method `none`: they send only their
    `client_id`, which proves nothing.

    So a grant that rests on client authentication alone, like client
    credentials, is closed to them (**401** `invalid_client`). In the code
    flow they prove instead that they are the app that *started* the flow,
    with **PKCE** (RFC 7636, lesson 03): RFC 9700 2.1.1 makes it a MUST for
    public clients.
    """
    run.check("Photo Gallery has no client secret", run.spa.client_secret is None)
    run.check("it authenticates with the method none", run.spa.auth_method == "none")
    response = run.spa.client_credentials("photos.read")
    run.check(
        "the client credentials grant refuses it: 401 invalid_client",
        response.status_code == 401
        and response.json().get("error") == "invalid_client",
    )
