"""A client meets an API it has never seen: protected resource metadata
(RFC 9728), authorization server metadata (RFC 8414), dynamic registration
(RFC 7591) and resource indicators (RFC 8707)."""

from playground import Lesson

lesson = Lesson(
    "A client meets an API it has never seen",
    level="advanced",
    kind="advanced",
    summary=(
        "PhotoBook, a desktop app for making photo books, is given one thing: "
        "the photos API's URL. The API's 401 points to its protected resource "
        "metadata (RFC 9728), which names its authorization server; that "
        "server's metadata (RFC 8414) says where to register (RFC 7591), "
        "authorize and get tokens. PhotoBook names the API with resource= in "
        "its requests (RFC 8707) and gets a token whose aud is exactly that "
        "API. This is the discovery the Model Context Protocol asks of its "
        "clients."
    ),
)


@lesson.step("PhotoBook calls the API with no token")
def first_call(run):
    """
    PhotoBook knows `https://api.photos.test` and nothing else: not who
    issues tokens for it, not which scopes it has. So it just asks:
    `GET /api/photos`, no `Authorization` header.

    The API answers **401** (RFC 6750 3.1, no error code: no credentials were
    sent), and its challenge carries one more parameter:
    `resource_metadata="https://api.photos.test/.well-known/oauth-protected-resource"`
    (RFC 9728 5.1), where the API describes itself.
    """
    response = run.photobook.call_api("/api/photos")
    run.check("the API answers 401", response.status_code == 401)
    run.check(
        "its challenge names the API's metadata (resource_metadata)",
        'resource_metadata="https://api.photos.test/.well-known/'
        'oauth-protected-resource"' in response.headers.get("WWW-Authenticate", ""),
        response.headers.get("WWW-Authenticate", ""),
    )
    run.metadata_url = run.photobook.metadata_url_from(response)


@lesson.step("PhotoBook reads the API's metadata (RFC 9728)")
def resource_metadata(run):
    """
    PhotoBook first checks the URL: it is the one RFC 9728 3 builds from the
    API's own identifier (`/.well-known/oauth-protected-resource` inserted
    after the host), so the challenge did not send it elsewhere. Then it
    fetches the document. Read it:

    - `resource`: the API's identifier. RFC 9728 3.3: it "MUST be identical
      to the protected resource's resource identifier value into which the
      well-known URI path suffix was inserted"; otherwise the document "MUST
      NOT be used". PhotoBook compares it with `https://api.photos.test`
      character for character: a document that claims to describe another
      API is refused (RFC 9728 7.3, impersonation).
    - `authorization_servers`: who issues tokens for this API.
    - `scopes_supported`, `bearer_methods_supported` (`header` only: this
      API takes no token in the URL).
    """
    response = run.photobook.fetch_resource_metadata(run.metadata_url)
    metadata = response.json()
    run.check("the metadata answers 200", response.status_code == 200)
    run.check(
        "resource is exactly the API's identifier (RFC 9728 3.3)",
        metadata.get("resource") == run.api_url,
    )
    run.check(
        "it names one authorization server: ours",
        metadata.get("authorization_servers") == [run.issuer],
    )
    run.check(
        "tokens go in the Authorization header only",
        metadata.get("bearer_methods_supported") == ["header"],
    )


@lesson.step("PhotoBook reads the authorization server's metadata (RFC 8414)")
def server_metadata(run):
    """
    From the issuer identifier `https://auth.photos.test`, PhotoBook builds
    `/.well-known/oauth-authorization-server` and fetches it. Two checks:

    - RFC 8414 3.3: the `issuer` in the document "MUST be identical" to the
      identifier the URL was built from.
    - RFC 9728 4: this server lists the resources it serves in
      `protected_resources`; the photos API is there, so the two documents
      agree about each other.

    The document also says where to register (`registration_endpoint`), to
    send the user (`authorization_endpoint`) and to get tokens
    (`token_endpoint`), and that PKCE must use S256.
    """
    response = run.photobook.fetch_server_metadata()
    metadata = response.json()
    run.check("the metadata answers 200", response.status_code == 200)
    run.check("issuer matches (RFC 8414 3.3)", metadata.get("issuer") == run.issuer)
    run.check(
        "the photos API is among its protected_resources",
        run.api_url in metadata.get("protected_resources", []),
    )
    run.check(
        "it offers open registration",
        metadata.get("registration_endpoint") == f"{run.issuer}/register",
    )


@lesson.step("PhotoBook registers itself (RFC 7591)")
def register(run):
    """
    PhotoBook has no client_id at this server, so it registers one: a public
    client (`token_endpoint_auth_method: none`, a desktop app keeps no
    secret), with a loopback redirect URI without a port (RFC 8252 7.3: it
    will pick a free port each time). The server answers **201** with a
    `client_id` it chose (`client-...`).

    This server lets anyone register, and marks such clients unverified: it
    will not redirect errors to them on its own (RFC 9700 4.11.2).
    """
    response = run.photobook.register()
    body = response.json()
    run.check("the registration endpoint answers 201", response.status_code == 201)
    run.check(
        "the server issued a client_id of its own",
        str(body.get("client_id", "")).startswith("client-"),
    )
    run.check(
        "the loopback redirect URI is registered without a port",
        body.get("redirect_uris") == ["http://127.0.0.1/callback"],
    )


@lesson.step("Alice signs in and approves; the request names the API")
def authorize(run):
    """
    PhotoBook sends Alice's browser to the authorization endpoint with PKCE
    and one more parameter: `resource=https://api.photos.test` (RFC 8707
    2.1): the token it wants is for that API. The server checks the
    resource before it asks Alice anything: an unknown one would be
    answered with `invalid_target`.

    Alice signs in and approves PhotoBook; the code comes back to
    PhotoBook's loopback listener on port 51005.
    """
    url = run.photobook.authorization_url()
    run.check(
        "the authorization request carries resource=https://api.photos.test",
        "resource=https%3A%2F%2Fapi.photos.test" in url,
    )
    run.browser.open(url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.check("the consent page names PhotoBook", "PhotoBook" in run.browser.page.text)
    run.browser.approve()
    run.browser.follow_redirect()
    run.code = run.browser.query_params.get("code", "")
    run.check(
        "the code reached PhotoBook's loopback listener",
        run.code != "" and run.browser.address.startswith("http://127.0.0.1:51005/"),
    )


@lesson.step("PhotoBook gets a token for exactly that API")
def redeem(run):
    """
    The token request names the resource again (RFC 8707 2.2), with the code
    and the PKCE verifier. The access token's `aud` is
    `https://api.photos.test`: "The authorization server SHOULD
    audience-restrict issued access tokens to the resource(s) indicated by
    the resource parameter" (RFC 8707 2). The photos API checks `aud` (RFC
    9068 4), so a token the server issued for another API is refused here.
    RFC 9728 7.4 says why that matters to a client that discovers APIs:
    without audience-restricted tokens, a malicious API could get the client
    to ask for a token with the photos API's scopes, and replay it at the
    photos API.
    """
    response = run.photobook.redeem(run.code)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "the token request named the resource",
        run.last_request.form.get("resource") == run.api_url,
    )
    token = run.show_jwt(
        run.photobook.tokens.get("access_token", ""), "PhotoBook's access token"
    )
    run.check(
        "the token's aud is the photos API", token.claims.get("aud") == run.api_url
    )


@lesson.step("PhotoBook calls the API again, with the token")
def call_again(run):
    """
    The request of step 1 again, now with `Authorization: Bearer ...`: **200**
    and Alice's photos. PhotoBook was never configured with the
    authorization server, its endpoints or its scopes: it found them all.
    """
    response = run.photobook.call_api("/api/photos")
    run.check("the API answers 200", response.status_code == 200)
    run.check(
        "with Alice's photos",
        [p["title"] for p in response.json().get("photos", [])]
        == ["Tea party", "Croquet lawn"],
    )


@lesson.step("A token for an API the server does not know: invalid_target")
def unknown_resource(run):
    """
    Later PhotoBook refreshes its token and, by mistake (or because a
    malicious page told it to), names another API:
    `resource=https://photos.example/api`. The authorization server knows no
    such resource and answers **400** `invalid_target`: "The requested
    resource is invalid, missing, unknown, or malformed" (RFC 8707 2). A
    resource this server knows but that the resource owner did not approve
    would be refused the same way: RFC 8707 2.2 lets a server limit a
    refresh to "those that were originally granted by the resource owner or
    a subset thereof", and this one does.
    """
    response = run.photobook.refresh("https://photos.example/api")
    body = response.json()
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check("the error is invalid_target", body.get("error") == "invalid_target")
