"""FAPI 2.0: pushed authorization requests, private_key_jwt, PKCE, iss and DPoP."""

from playground import Lesson

lesson = Lesson(
    "FAPI 2.0: pushed requests and sender-constrained tokens",
    level="advanced",
    kind="advanced",
    summary=(
        "PhotoPrint Business follows the FAPI 2.0 Security Profile: it pushes "
        "its authorization request on the back channel (PAR) with a signed "
        "client assertion, sends Alice's browser with nothing but a reference, "
        "checks iss in the answer, and gets an access token bound to its own "
        "key with DPoP. Where it matters, a step names the attacker of the "
        "FAPI 2.0 Attacker Model that the mechanism leaves empty-handed."
    ),
)


@lesson.step("The client reads the authorization server's metadata")
def metadata(run):
    """
    FAPI 2.0 is a profile: it picks, from everything OAuth allows, the few
    choices that hold against the attackers of the **FAPI 2.0 Attacker
    Model**, and says *shall*. The client in this lesson, **PhotoPrint
    Business**, is confidential and registered with
    `token_endpoint_auth_method` `private_key_jwt` (an ES256 key),
    `require_pushed_authorization_requests` (RFC 9126 6) and
    `dpop_bound_access_tokens` (RFC 9449 5.2).

    A FAPI client "shall only use authorization server metadata ... retrieved
    from the metadata document" (Security Profile 5.3.3). Read the answer to
    `GET /.well-known/oauth-authorization-server`:
    `pushed_authorization_request_endpoint` (RFC 9126 5),
    `dpop_signing_alg_values_supported` (RFC 9449 5.1),
    `authorization_response_iss_parameter_supported` (RFC 9207), and `S256`
    as the only PKCE method.

    This authorization server also hands out **DPoP nonces** (RFC 9449 8):
    the Security Profile lets an authorization server use them (5.3.2.1) and
    requires clients to support them (5.3.3). Step 3 shows why a server
    wants them.
    """
    run.require_dpop_nonces(authorization_server=True)
    client = run.fapi_client
    response = client.http.get(f"{run.issuer}/.well-known/oauth-authorization-server")
    document = response.json()
    run.check("the metadata answers 200", response.status_code == 200)
    run.check(
        "it names the PAR endpoint",
        document.get("pushed_authorization_request_endpoint") == f"{run.issuer}/par",
    )
    run.check(
        "it lists the DPoP proof algorithms",
        "ES256" in document.get("dpop_signing_alg_values_supported", []),
    )
    run.check(
        "it says iss comes with every authorization response",
        document.get("authorization_response_iss_parameter_supported") is True,
    )
    run.par_endpoint = document["pushed_authorization_request_endpoint"]


@lesson.step("An authorization request in the browser is refused")
def front_channel_refused(run):
    """
    First the old way: the client puts its whole request in a link and sends
    Alice's browser to `/authorize` (the URL in the address bar, in full).
    Everything in it passes through the browser, where it can be read (the
    Attacker Model's **A3a**, an attacker who reads authorization requests:
    a log, a proxy, a browser extension) and changed by whoever gets the user
    to click a link of their own.

    The authorization server answers **302** back to the client's registered
    redirect URI with `error=invalid_request`: this client must push its
    requests. RFC 9126 4: where PAR is required, the server "will refuse,
    using the invalid_request error code, to process any request to the
    authorization endpoint that does not have a request_uri parameter with a
    value obtained from the PAR endpoint"; FAPI 2.0 5.3.2.2 makes that the
    rule for every client ("shall reject authorization requests sent without
    [RFC9126]").
    """
    client = run.fapi_client
    url = client.authorization_url("basic photos.read", pkce_method="S256")
    run.browser.open(url)
    params = run.browser.redirect_params
    run.check("the server answers 302", run.browser.status == 302)
    run.check("with error=invalid_request", params.get("error") == "invalid_request")
    run.check("and its iss (RFC 9207)", params.get("iss") == run.issuer)


@lesson.step("The client pushes its request, signed in with its key")
def push(run):
    """
    Now the FAPI way (RFC 9126 2). The client's **server** sends the same
    parameters to `POST /par` on the back channel: `response_type=code`,
    `redirect_uri`, `scope`, `state`, and a PKCE `code_challenge` with
    `S256` (FAPI 2.0 5.3.2.2: PKCE with S256 is required). The request is
    authenticated as at the token endpoint: `client_assertion` is a JWT
    PhotoPrint Business signed with its private key (`private_key_jwt`,
    FAPI 2.0 5.3.2.1), its `aud` the issuer. A client secret, which the
    server also holds, is not allowed under FAPI 2.0.

    The request also carries a **DPoP proof** in the `DPoP` header: a JWT
    with `typ` `dpop+jwt`, the client's public key in `jwk`, and `htm`
    `POST`, `htu` the PAR endpoint, `iat`, `jti`. With it the server binds
    the code it will issue to that key (RFC 9449 10.1). The JWT panel
    decodes the proofs and the assertions, each field explained.

    Read the two exchanges:

    1. **400** `use_dpop_nonce` with a `DPoP-Nonce` header: the server wants
       its own fresh value in every proof (RFC 9449 8), so that no proof can
       be made ahead of time and used later.
    2. The client tries again: a new proof with that `nonce`, and a new
       assertion (its `jti` was spent). **201 Created** with a `request_uri`
       (`urn:ietf:params:oauth:request_uri:...`) and `expires_in` **60**
       (RFC 9126 2.2; FAPI 2.0 5.3.2.2 asks for less than 600 seconds).

    The authorization server has authenticated the client *before* any user
    sees anything: nobody else can push a request in its name.
    """
    response = run.fapi_client.push_authorization_request("basic photos.read")
    pushed = [e for e in run.exchanges if e.request.target == "/par"]
    run.check("the first push is answered 400", pushed[0].response.status == 400)
    run.check(
        "with use_dpop_nonce and a DPoP-Nonce header",
        b"use_dpop_nonce" in pushed[0].response.body
        and bool(pushed[0].response.header("DPoP-Nonce")),
    )
    run.check("the second is answered 201 Created", response.status_code == 201)
    body = response.json()
    run.check(
        "with a request_uri",
        body.get("request_uri", "").startswith("urn:ietf:params:oauth:request_uri:"),
    )
    run.check("good for 60 seconds", body.get("expires_in") == 60)
    proof = pushed[-1].request.header("DPoP") or ""
    claims = run.show_jwt(proof, "DPoP proof sent with POST /par").claims
    run.check(
        "the proof carries the server's nonce",
        claims.get("nonce") == pushed[0].response.header("DPoP-Nonce"),
    )
    run.show_jwt(
        pushed[-1].request.form.get("client_assertion", ""),
        "client assertion (private_key_jwt) sent with POST /par",
    )
    run.request_uri = body.get("request_uri", "")


@lesson.step("Alice's browser carries only a reference")
def browser_goes(run):
    """
    The client sends Alice's browser to `/authorize` with two parameters:
    `client_id` and the `request_uri`. Read the address: no scope, no
    redirect URI, no state, no code challenge. There is nothing for an A3a
    attacker to read but a reference that only this client can use, once,
    within a minute; and nothing to change: this server takes the parameters
    of the pushed request only, and ignores any others the browser brings.

    The server finds the pushed request, checks that `client_id` is the
    client that pushed it (a `request_uri` is bound to its client, RFC 9126
    2.2), spends it, and shows its sign-in page (**200**).
    """
    run.browser.open(run.fapi_client.pending.url)
    sent = run.browser.query_params
    run.check(
        "the browser sends client_id and request_uri only",
        set(sent)
        == {
            "client_id",
            "request_uri",
        },
    )
    run.check("the server shows its sign-in page", run.browser.status == 200)


@lesson.step("Alice signs in and approves; the code comes back with iss")
def approve(run):
    """
    Alice signs in and approves, as in lesson 03. The consent page lists the
    scopes **from the pushed request**. The answer is a **302** to
    PhotoPrint Business's redirect URI with `code`, `state` and `iss`.

    `iss` (RFC 9207) names the authorization server that answered. A FAPI
    client "shall check the iss parameter ... to prevent Mix-Up attacks"
    (Security Profile 5.3.3): an authorization server of the attacker's
    that the client also talks to cannot make the client send this code to
    the wrong token endpoint (the mix-up attack, RFC 9700 4.4; attack lesson
    10). The client compares `iss` with the issuer it pushed the request to,
    and `state` with the one it kept.
    """
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    params = run.browser.redirect_params
    client = run.fapi_client
    run.check("the answer carries a code", bool(params.get("code")))
    run.check("iss is the issuer the request went to", params.get("iss") == run.issuer)
    run.check("state is the client's", client.state_matches(params.get("state")))
    run.browser.follow_redirect()
    run.code = params.get("code", "")


@lesson.step("The same request_uri a second time: invalid_request_uri")
def spent(run):
    """
    Someone opens the same address again: a second tab, or whoever read it
    (A3a). RFC 9126 4: "Authorization servers SHOULD treat request_uri
    values as one-time use"; this one does. The request is gone, and with it
    the redirect URI, so the server has nowhere verified to send an error
    (RFC 6749 4.1.2.1): it shows a page, **400** `invalid_request_uri`
    ("The request_uri in the Authorization Request returns an error or
    contains invalid data", OpenID Connect Core 3.1.2.6).

    A minute later it would be refused the same way, as expired: a
    `request_uri` is short-lived by design.
    """
    page = run.new_browser().open(run.fapi_client.pending.url)
    run.check("the server answers 400", page.status_code == 400)
    run.check("invalid_request_uri", "invalid_request_uri" in page.text)


@lesson.step("The client redeems the code with a DPoP proof")
def redeem(run):
    """
    The client's server sends `POST /token` with the code, the PKCE
    `code_verifier`, a fresh client assertion and a fresh DPoP proof (`htu`
    the token endpoint, and the nonce the server gave it at the PAR
    endpoint, which it kept). The server checks the proof (RFC 9449 4.3:
    one header, `typ`, an asymmetric `alg`, the signature with `jwk`, no
    private key in it, `htm`, `htu`, the nonce, `iat` within a minute, a
    `jti` it has not seen) and that its key is the one the code was bound to
    at the PAR endpoint (RFC 9449 10.1).

    **200**, and `token_type` is **DPoP**, not Bearer (RFC 9449 5). Decode
    the access token: `cnf` holds `jkt`, the SHA-256 thumbprint of the
    client's public key (RFC 9449 6.1). The token is bound to the key: the
    Security Profile requires it ("shall only issue sender-constrained access
    tokens", 5.3.2.1).
    """
    client = run.fapi_client
    response = client.exchange_code(run.code)
    run.check("the token endpoint answers 200", response.status_code == 200)
    tokens = client.tokens
    run.check("token_type is DPoP", tokens.get("token_type") == "DPoP")
    claims = run.show_jwt(tokens.get("access_token", ""), "the DPoP-bound access token")
    thumbprint = client.dpop_key.jwk.thumbprint()
    run.check(
        "cnf.jkt is the thumbprint of the client's DPoP key",
        claims.claims.get("cnf") == {"jkt": thumbprint},
    )
    proof = run.last_request.header("DPoP") or ""
    run.show_jwt(proof, "DPoP proof sent with POST /token")


@lesson.step("The client calls the API with the token and a new proof")
def call_api(run):
    """
    `GET /api/photos` with `Authorization: DPoP <token>` (RFC 9449 7.1) and
    one more proof, made for this request: `htm` `GET`, `htu` the photos
    URL, and `ath`, the base64url SHA-256 hash of the access token. The API
    validates the token as before (signature, `iss`, `aud`, `exp`), then the
    proof, then that the proof's key has the thumbprint in `cnf.jkt`.
    **200**, Alice's photos.

    The FAPI 2.0 Security Profile asks resource servers to "support and
    verify sender-constrained access tokens" (5.3.4). What that buys is the
    next step.
    """
    client = run.fapi_client
    response = client.call_api("/api/photos")
    run.check("the API answers 200", response.status_code == 200)
    run.check("with Alice's photos", response.json().get("owner") == "u-1001")
    [call] = [e for e in run.exchanges if e.request.target == "/api/photos"]
    run.check(
        "the request used the DPoP scheme",
        (call.request.header("Authorization") or "").startswith("DPoP "),
    )
    run.api_proof = call.request.header("DPoP") or ""
    run.check("the proof carries ath", "ath" in run.decode(run.api_proof).claims)


@lesson.step("A copy of the token, or of the proof, is not enough")
def copies_fail(run):
    """
    Suppose Mallory read that request on its way to the API (the Attacker
    Model's **A7**, who reads resource requests: a log, a proxy that ends
    TLS). She has the token and the proof.

    - The token as a **Bearer** token: **401** `invalid_token`. A
      DPoP-bound token received as a bearer token is refused (RFC 9449 7.2).
    - The token with the **copied proof**, to the same URL: **401**
      `invalid_dpop_proof`, the proof's `jti` was already used there (RFC
      9449 11.1).

    She cannot make a proof of her own: it needs the client's private key,
    which never left the client's server. The attack lesson *Stolen access
    token: bearer or DPoP-bound* tells this story with a careless API.
    """
    token = run.fapi_client.tokens.get("access_token", "")
    as_bearer = run.attacker.call_api("/api/photos", token)
    run.check("as a bearer token: 401", as_bearer.status_code == 401)
    run.check("invalid_token", as_bearer.json().get("error") == "invalid_token")
    replayed = run.attacker.call_api_with_dpop("/api/photos", token, run.api_proof)
    run.check("with the copied proof: 401", replayed.status_code == 401)
    run.check(
        "invalid_dpop_proof: jti already used",
        replayed.json().get("error") == "invalid_dpop_proof"
        and "already used" in replayed.json().get("error_description", ""),
    )
