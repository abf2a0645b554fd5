"""Exercise: verify a DPoP proof at the resource server (RFC 9449 4.3, 7.1)."""

import jwt
from joserfc.jwk import JWKRegistry

from playground import Exercise, jwt_forge

exercise = Exercise(
    "Verify a DPoP proof",
    level="advanced",
    spec="RFC 9449 4.2, 4.3, 7.1, 11.1, 11.2; RFC 7638",
    summary=(
        "Photo Gallery proves possession of a key with every request (DPoP): "
        "its access token is bound to that key (`cnf.jkt`), and each call to "
        "the photos API carries a DPoP proof, a JWT signed with the key for "
        "that one request. A stolen token is then worth nothing without the "
        "private key, which the gallery's script cannot even read (a "
        "non-extractable WebCrypto key). Your function is the API's check of "
        "the proof; the API then compares the key it names with the token's "
        "`cnf.jkt`. Mallory has Alice's access token (a script injected into "
        "the gallery's page sent it to her), proofs she captured, proofs "
        "that script made Alice's app sign, and proofs she makes herself."
    ),
)


@exercise.student
def verify_dpop_proof(
    proof: str | None,
    *,
    method: str,
    url: str,
    access_token: str,
    now: int,
    seen_jtis: set,
) -> str:
    """
    Check the DPoP proof of a request to the photos API and return the
    RFC 7638 thumbprint of the public key in its header (the API compares
    it with the access token's `cnf.jkt`, RFC 9449 7.1). Refuse with
    `Refused("why")` (PyJWT's and joserfc's errors count as refusals too).

    - `proof`: the `DPoP` header (None when the request has none);
      `method`, `url`: the request's; `access_token`: the token in
      `Authorization: DPoP ...`; `now`: the playground's clock.
    - `seen_jtis`: the `jti` values of proofs this API accepted before;
      add the ones you accept. This API refuses a `jti` it has seen: RFC
      9449 11.1 says servers "can store the jti value of each DPoP proof
      for the time window in which the respective DPoP proof JWT would be
      accepted to prevent multiple uses of the same DPoP proof" (a choice,
      not a MUST; the MUST is the limited time window).

    RFC 9449 4.3: the proof is a well-formed JWT with `typ` "dpop+jwt"; its
    `alg` is an asymmetric algorithm ("not none", no MAC: here ES256 or
    PS256, the `algs` the API names in its `WWW-Authenticate: DPoP`
    challenge, RFC 9449 7.1); "the JWT signature verifies with the public
    key contained in the jwk JOSE Header Parameter", which holds no
    private key; the `htm` claim matches the request's method and `htu`
    its URI "ignoring any query and fragment parts"; "the creation time of
    the JWT, as determined by either the iat claim or a server managed
    timestamp via the nonce claim, is within an acceptable window" (here:
    at most 60 seconds before or after `now`, as this API's own check
    allows, RFC 9449 11.1); and, presented with an access token, its `ath`
    claim is the hash of that token: base64url (no padding) of the SHA-256
    of the token's ASCII (RFC 9449 4.2).
    """
    # TODO: check the proof before trusting the key it names.
    header = jwt.get_unverified_header(proof or "")
    return key_thumbprint(header["jwk"])


def key_thumbprint(jwk: dict) -> str:
    """RFC 7638, as joserfc computes it: no need to write your own."""
    return JWKRegistry.import_key(jwk).thumbprint()


@exercise.setup
def install(run):
    """Photo Gallery has a DPoP key; the photos API checks proofs with
    `verify_dpop_proof`."""
    run.give_dpop_key(run.spa)
    run.use_dpop_proof_check(verify_dpop_proof)


def sign_in(run):
    """Alice signs in to Photo Gallery: its token request carries a proof,
    so its access token is bound to the gallery's key (token_type DPoP)."""
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    return run.spa.tokens.get("access_token", "")


def mallory_calls(run, path, token, proof):
    """Mallory's server calls the photos API with a token and a proof."""
    return run.attacker.http.get(
        f"{run.api_url}{path}",
        headers={"Authorization": f"DPoP {token}", "DPoP": proof},
    )


def api_calls(run):
    """The gallery's calls to the photos API so far (not their preflights)."""
    return [
        e
        for e in run.exchanges
        if e.request.method == "GET" and e.request.url.startswith(run.api_url)
    ]


def control(run):
    response = run.spa.call_api("/api/photos")
    run.check(
        "and Photo Gallery's own requests, each with a fresh proof, still work (200)",
        response.status_code == 200,
        response.text[:200],
    )


def refused(run, what, response):
    run.refused(
        f"the API refuses {what}: 401",
        response.status_code == 401,
        attacker_gets="Alice's photos, with her DPoP-bound token",
        evidence=[e for e in run.exchanges if e.sender == "Attacker"][-1:],
    )


@exercise.scenario(
    "Photo Gallery calls the photos API with DPoP",
    hints=(
        "An honest proof is signed with the key in its own header, is for "
        "this method and URI, was made just now, and carries the ath of "
        "this very token.",
        "key = jwt.PyJWK(header['jwk'], algorithm=header['alg']); claims = "
        "jwt.decode(proof, key, algorithms=[header['alg']], "
        "options={'verify_iat': False}) once you have checked that alg is "
        "on your list.",
        "ath = base64.urlsafe_b64encode(hashlib.sha256("
        "access_token.encode('ascii')).digest()).rstrip(b'=').decode()",
    ),
)
def honest_calls(run):
    """
    Alice signs in to Photo Gallery. Its token request carries a DPoP proof,
    so the authorization server binds the access token to the gallery's key
    (`cnf.jkt`) and answers `token_type: DPoP`. Then the gallery calls the
    API a few times, minutes apart: `Authorization: DPoP <token>` and a new
    proof each time (a new `jti`, `htm` GET, `htu` the URI, `iat` now,
    `ath` the token's hash).
    """
    sign_in(run)
    for path in run.random.sample(["/api/user", "/api/photos", "/api/user"], 3):
        run.clock.advance(run.random.randint(30, 600))
        response = run.spa.call_api(path)
        run.check(
            f"GET {path} with a fresh proof: 200",
            response.status_code == 200,
            response.text[:200],
        )


@exercise.scenario(
    "Mallory replays a request she captured",
    attack=True,
    hints=(
        "Everything in the replayed proof is right: its key, its signature, "
        "its method, URI, time and ath. Only its jti was seen before.",
        "RFC 9449 11.1: remember the jti of every proof you accept (in "
        "seen_jtis) and refuse a proof whose jti is already there.",
        "if claims['jti'] in seen_jtis: raise Refused('replayed'); "
        "seen_jtis.add(claims['jti'])",
    ),
)
def replay(run):
    """
    Alice signs in; the gallery reads her photos. The load balancer in front
    of the API, where TLS ends, logs whole requests, and Mallory can read
    its logs (RFC 9449 11.1): she sends the request again at once, headers
    and all, the same token and the same proof.
    """
    sign_in(run)
    run.clock.advance(run.random.randint(5, 60))
    run.spa.call_api("/api/photos")
    sent = api_calls(run)[-1].request
    run.clock.advance(run.random.randint(1, 30))
    token = (sent.header("Authorization") or "").removeprefix("DPoP ")
    refused(
        run,
        "the replayed proof",
        mallory_calls(run, "/api/photos", token, sent.header("DPoP") or ""),
    )
    control(run)


@exercise.scenario(
    "Proofs Alice's app signed for something else",
    attack=True,
    hints=(
        "Each proof is signed by the gallery's own key and unused. Compare "
        "what it was made for with the request it comes with.",
        "htm must be the method, htu the URI without query and fragment, iat "
        "within the window around now (on either side of it), and ath the "
        "hash of this access "
        "token (RFC 9449 4.3 items 8, 9, 11 and 12).",
        "if claims['htm'] != method or claims['htu'] != url.split('?')[0] "
        "or abs(now - claims['iat']) > 60 or claims.get('ath') != ath: "
        "raise Refused(...)",
    ),
)
def proofs_made_for_something_else(run):
    """
    A script injected into the gallery's page (XSS) cannot read the private
    key, but it can ask the app to sign proofs, and it sent Mallory the
    access token and some of those proofs (RFC 9449 11.2, pre-generated
    proofs). None of them was ever used:

    1. a proof for `GET /api/user`, which she sends to `/api/photos`;
    2. a proof for `POST https://auth.photos.test/token`;
    3. a proof for `GET /api/photos` signed ten minutes before she uses it;
    4. a proof for `GET /api/photos` dated a day ahead: RFC 9449 11.2's
       attacker pre-generates proofs "arbitrarily far into the future", and
       a check that only asks whether `iat` is too old takes it at any time
       until then;
    5. a proof for `GET /api/photos` made for Alice's previous access token
       (the gallery has refreshed since).
    """
    old_token = sign_in(run)
    photos = f"{run.api_url}/api/photos"
    proofs = {}
    run.clock.advance(run.random.randint(60, 300))
    proofs["old token"] = run.dpop_proof(run.spa, "GET", photos, access_token=old_token)
    run.clock.advance(run.random.randint(1, 20))
    run.spa.refresh()
    token = run.spa.tokens.get("access_token", "")
    made = run.clock.now()
    proofs["stale"] = run.dpop_proof(
        run.spa, "GET", photos, access_token=token, iat=made - 600
    )
    proofs["future"] = run.dpop_proof(
        run.spa, "GET", photos, access_token=token, iat=made + 86400
    )
    proofs["other URI"] = run.dpop_proof(
        run.spa, "GET", f"{run.api_url}/api/user", access_token=token
    )
    proofs["token endpoint"] = run.dpop_proof(run.spa, "POST", f"{run.issuer}/token")
    described = {
        "old token": "a proof made for Alice's previous access token (ath)",
        "stale": "a proof signed ten minutes ago (iat)",
        "future": "a proof dated a day ahead (iat)",
        "other URI": "a proof for /api/user at /api/photos (htu)",
        "token endpoint": "a proof for POST /token (htm, htu)",
    }
    for which in run.random.sample(list(proofs), len(proofs)):
        response = mallory_calls(run, "/api/photos", token, proofs[which])
        refused(run, described[which], response)
    control(run)


@exercise.scenario(
    "Proofs Mallory makes herself",
    attack=True,
    hints=(
        "Mallory has no private key of Alice's. Her proofs either carry her "
        "own key, no signature at all, or Alice's signature over claims "
        "Alice never signed.",
        "Accept only the algorithms on your list (never none), and verify the "
        "signature with the key in the header before you read a claim; then "
        "return that key's thumbprint, not one you read from the token.",
        "jwt.decode(proof, jwt.PyJWK(header['jwk'], algorithm=alg), "
        "algorithms=[alg]) with alg in ('ES256', 'PS256')",
    ),
)
def proofs_made_by_mallory(run):
    """
    Mallory has Alice's access token (from the injected script) and one of
    the gallery's old proofs, with Alice's public key in its header. She
    writes proofs for `GET /api/photos`, right in every claim:

    1. signed with a key of her own, her public key in the header;
    2. with Alice's public key in the header and no signature (`alg:
       none`);
    3. Alice's old proof with new claims (a new `jti`, `iat` now, this
       URI), its signature kept.
    """
    token = sign_in(run)
    run.spa.call_api("/api/user")
    captured = api_calls(run)[-1]
    alices = captured.request.header("DPoP") or ""
    alices_jwk = jwt.get_unverified_header(alices)["jwk"]
    run.clock.advance(run.random.randint(10, 90))
    photos = f"{run.api_url}/api/photos"
    claims = {
        **jwt.decode(alices, options={"verify_signature": False}),
        "jti": run.world.randomness.token(12),
        "iat": run.clock.now(),
        "htu": photos,
    }
    proofs = {
        "a proof signed with Mallory's own key": run.attacker.own_dpop_proof(
            "GET", "/api/photos", token, jti=run.world.randomness.token(12)
        ),
        "an unsigned proof (alg: none) with Alice's key": jwt_forge.unsigned(
            claims, header={"typ": "dpop+jwt", "jwk": alices_jwk}
        ),
        "Alice's proof with edited claims": jwt_forge.with_claims(alices, claims),
    }
    for what in run.random.sample(list(proofs), len(proofs)):
        refused(run, what, mallory_calls(run, "/api/photos", token, proofs[what]))
    control(run)
