"""Exercise: validate a JWT access token at the resource server (RFC 9068 4,
RFC 8725)."""

import jwt

from playground import Exercise, jwt_forge

exercise = Exercise(
    "Validate an access token at the API",
    level="advanced",
    spec="RFC 9068 2.1, 4; RFC 8725 2.1, 3.1, 3.8, 3.9, 3.11; RFC 7519 4.1.4",
    summary=(
        "The photos API takes JWT access tokens (RFC 9068) and decides for "
        "itself, with no call to the authorization server, whether each one "
        "is good. Your function is that decision: the API serves the photos "
        "of whoever the claims you return name. Mallory brings forged "
        "tokens, a stolen token that has expired, and real tokens that were "
        "never meant for this API."
    ),
)


@exercise.student
def validate_access_token(
    token: str, *, jwks: dict, issuer: str, audience: str, now: int
) -> dict:
    """
    Return the token's claims if the photos API may act on it; otherwise
    raise `Refused("why")` (PyJWT's own errors, such as
    `jwt.InvalidTokenError`, count as refusals too). The API answers a
    refusal with 401 `invalid_token` (RFC 6750 3.1), and checks the scope
    of the claims you return itself (403 `insufficient_scope`).

    - `jwks`: the authorization server's published keys (its `jwks_uri`).
    - `issuer`: its issuer identifier; `audience`: this API's identifier.
    - `now`: the current time (seconds since 1970) by the playground's clock;
      judge `exp` by it, not by the machine's clock.

    RFC 9068 4: the resource server "MUST verify that the typ header value
    is "at+jwt" or "application/at+jwt" and reject tokens carrying any
    other value"; the issuer identifier "MUST exactly match the value of the
    "iss" claim"; "The JWT access token MUST be rejected if "aud" does not
    contain a resource indicator of the current resource server as a valid
    audience"; it "MUST validate the signature of all incoming JWT access
    tokens ...
    using the algorithm specified in the JWT alg Header Parameter", and
    "MUST reject any JWT in which the value of "alg" is "none""; the
    current time "MUST be before the time represented by the "exp" claim"
    (RFC 7519 4.1.4: "Implementers MAY provide for some small leeway,
    usually no more than a few minutes, to account for clock skew").
    RFC 8725 3.1: "Libraries MUST enable the caller to specify a supported
    set of algorithms and MUST NOT use any other algorithms when performing
    cryptographic operations": this issuer signs with RS256 only.
    """
    # TODO: verify the signature and every claim before trusting any of them.
    return jwt.decode(token, options={"verify_signature": False})


@exercise.setup
def install(run):
    """The photos API validates every access token with
    `validate_access_token`."""
    run.use_access_token_check(validate_access_token)


ALICE = "u-1001"
QUICKQUOTE_API = "https://quotes.attacker.test"
# Another API of Mallory's, registered at the authorization server under a
# resource identifier that starts with the photos API's.
LOOKALIKE_API = "https://api.photos.test.attacker.test"
STAGING = "https://auth.staging.photos.test"


def alices_token(run, scope="basic photos.read"):
    """Alice signs in to Photo Gallery; its access token."""
    run.code_flow(run.spa, run.browser, "alice", "wonderland", scope=scope)
    return run.spa.tokens.get("access_token", "")


def claims_of(token):
    """A token's claims, read without verifying anything (as Mallory reads)."""
    return jwt.decode(token, options={"verify_signature": False})


def mallory_presents(run, token, path="/api/photos"):
    """Mallory sends the token to the photos API; did she get Alice's data?"""
    response = run.attacker.call_api(path, token)
    return response.status_code == 200


def control(run, token):
    photos = run.spa.call_api("/api/photos", token)
    run.check(
        "and Alice's own access token still reads her photos (200)",
        photos.status_code == 200,
        photos.text[:200],
    )


@exercise.scenario(
    "Photo Gallery reads Alice's photos",
    hints=(
        "A token the authorization server issued a moment ago must pass: "
        "RS256, its own kid, iss, this API's aud, an exp in the future.",
        "PyJWT judges exp, nbf and iat by the machine's clock, which is not "
        "the playground's: turn those checks off (options) and compare "
        "claims['exp'] with `now` yourself.",
        "key = jwt.PyJWKSet.from_dict(jwks)[header['kid']]; claims = "
        "jwt.decode(token, key, algorithms=['RS256'], audience=audience, "
        "issuer=issuer, options={'verify_exp': False, 'verify_iat': False, "
        "'verify_nbf': False})",
    ),
)
def honest_access(run):
    """
    Alice signs in to Photo Gallery. Its script calls the photos API with
    the access token (`Authorization: Bearer`, RFC 6750 2.1): her profile,
    then, some minutes later, her photos. The API fetched the issuer's keys
    once (`GET /jwks.json`) and validates each token with your function.
    """
    token = alices_token(run)
    profile = run.spa.call_api("/api/user", token)
    run.check(
        "the API serves Alice's profile (200)",
        profile.status_code == 200 and profile.json().get("id") == ALICE,
        profile.text[:200],
    )
    run.clock.advance(run.random.randint(60, 3000))
    photos = run.spa.call_api("/api/photos", token)
    run.check(
        "and, minutes later, her photos (200)",
        photos.status_code == 200,
        photos.text[:200],
    )


@exercise.scenario(
    "Mallory forges access tokens",
    attack=True,
    hints=(
        "None of Mallory's tokens carries a signature made with the "
        "authorization server's private key. Verify the signature before "
        "reading a single claim.",
        "Pick the key by the header's kid from `jwks`, and give PyJWT the "
        "algorithms you accept (RS256), never the one the token names "
        "(RFC 8725 3.1).",
        "jwt.decode(token, key, algorithms=['RS256'], ...) refuses alg "
        "none, an HMAC and a bad signature alike.",
    ),
)
def forgeries(run):
    """
    Mallory signs in to Photo Gallery with her own account (the demo's
    `bob`) and copies her access token's claims, with `sub` set to Alice's
    user id. Then she tries four ways to make the API believe them
    (RFC 8725 2.1, the JWT workbench's forgeries):

    1. no signature at all, `alg: none`;
    2. signed with a key of her own, under the issuer's `kid`;
    3. HS256, keyed with the issuer's *public* key (algorithm confusion);
    4. her own genuine token, its claims edited, its signature kept.
    """
    alice = alices_token(run)
    mallory = run.attacker.browser
    app = run.browser_app("photo-gallery-spa", mallory)
    run.code_flow(app, mallory, "bob", "builder")
    own = app.tokens.get("access_token", "")
    claims = {**claims_of(own), "sub": ALICE}
    key = run.world.keys.authorization_server
    published = run.world.token_trust().jwks["keys"][0]
    forged = {
        "alg: none": jwt_forge.unsigned(claims, header={"kid": key.kid}),
        "her own key, the issuer's kid": jwt_forge.sign(
            claims,
            run.world.keys.attacker_authorization_server,
            header={"kid": key.kid},
        ),
        "HS256 keyed with the public key": jwt_forge.hs256_with_public_key(
            claims, jwt_forge.public_pem_from_jwk(published), header={"kid": key.kid}
        ),
        "her genuine token, claims edited": jwt_forge.with_claims(own, claims),
    }
    for how in run.random.sample(list(forged), len(forged)):
        got_in = mallory_presents(run, forged[how])
        run.refused(
            f"the API refuses the forged token ({how}): 401",
            not got_in,
            attacker_gets="Alice's photos, with a token she wrote herself",
            evidence=[e for e in run.exchanges if e.sender == "Attacker"][-1:],
        )
    control(run, alice)


@exercise.scenario(
    "Mallory replays Alice's expired access token",
    attack=True,
    hints=(
        "The token is real, and its signature verifies. Look at exp, and at "
        "which clock you compare it with.",
        "The playground's clock is `now`, and it is not the machine's (its "
        "worlds start in 2027): a library that reads the machine's clock "
        "judges exp by another time.",
        "if now >= claims['exp']: raise Refused('the token has expired')",
    ),
)
def expired(run):
    """
    Alice's access token ended up in a debug log that Mallory can read. By
    the time she finds it, it has expired: the clock is past its `exp`
    (RFC 7519 4.1.4) by a quarter of an hour or so, more than the few
    minutes of leeway a check may allow for clock skew. She presents it
    anyway, and again hours later.
    """
    token = alices_token(run)
    exp = claims_of(token)["exp"]
    late = run.random.randint(15 * 60, 20 * 60)
    for when, after in (
        (f"{late // 60} minutes", late),
        ("hours", late + run.random.randint(3600, 6 * 3600)),
    ):
        run.clock.advance(exp + after - run.clock.now())
        got_in = mallory_presents(run, token)
        run.refused(
            f"the API refuses the token {when} after it expired: 401",
            not got_in,
            attacker_gets="Alice's photos, with a token that expired",
        )
    control(run, alices_token(run))


@exercise.scenario(
    "Real tokens that were never meant for this API",
    attack=True,
    hints=(
        "Each token is signed with the authorization server's key. Read "
        "what else the token says: who it is for (aud), who issued it (iss), "
        "what kind of token it is (typ).",
        "aud must contain `audience` as a whole value (aud is a string or "
        "a list of strings: `in` on a string finds substrings), iss must "
        "equal `issuer`, and the header's typ must be at+jwt (RFC 9068 4).",
        "jwt.decode(..., audience=audience, issuer=issuer) and "
        "header.get('typ', '').lower() in ('at+jwt', 'application/at+jwt')",
    ),
)
def not_for_this_api(run):
    """
    Four tokens, each signed with the photo service's key, none of them an
    access token for the photos API:

    1. **Another audience**: Alice also uses QuickQuote, a print-price
       service that Mallory runs; the authorization server issued Alice's
       token for it with `aud` QuickQuote's API. QuickQuote presents it
       here (RFC 8725 3.9). Mallory has another API registered, whose
       identifier `https://api.photos.test.attacker.test` starts with this
       API's: a token for it comes here too.
    2. **Another issuer**: the photo service's staging server,
       `auth.staging.photos.test`, was set up with a copy of production's
       signing key; anyone may sign up there, under any user id (RFC 8725
       3.8: the key must belong to the issuer).
    3. **Another kind of token**: Alice's ID token from an OpenID Connect
       sign-in, which a script in the gallery's page sent to Mallory: its
       `typ` is not `at+jwt` (RFC 9068 4, RFC 8725 3.11), and its `aud`
       is the gallery, not this API.
    """
    alice = alices_token(run, scope="openid profile basic photos.read")
    id_token = run.spa.tokens.get("id_token", "")
    genuine = claims_of(alice)
    key = run.world.keys.authorization_server
    tokens = {
        "aud is QuickQuote's API": jwt_forge.sign(
            {**genuine, "aud": QUICKQUOTE_API, "jti": run.world.randomness.token(16)},
            key,
        ),
        "aud starts with this API's identifier": jwt_forge.sign(
            {**genuine, "aud": LOOKALIKE_API, "jti": run.world.randomness.token(16)},
            key,
        ),
        "iss is the staging server": jwt_forge.sign(
            {**genuine, "iss": STAGING, "jti": run.world.randomness.token(16)}, key
        ),
        "an ID token, not an access token": id_token,
    }
    for what in run.random.sample(list(tokens), len(tokens)):
        got_in = mallory_presents(run, tokens[what], "/api/user")
        run.refused(
            f"the API refuses it ({what}): 401",
            not got_in,
            attacker_gets="Alice's profile, with a token issued for something else",
        )
    control(run, alice)
