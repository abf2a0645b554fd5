"""Forged JWT: `alg: none`, an unsigned token the resource server should refuse."""

from playground import Lesson, jwt_forge

ALICE = "u-1001"  # Alice's user id; ids are not secrets (they show up in links)
ALGORITHM_CHECK = "The token is unsigned (alg: none); accepted algorithms: RS256, ES256"

lesson = Lesson(
    "Forged JWT: alg none",
    level="advanced",
    kind="attack",
    weakness="rs.accept_alg_none",
    summary=(
        "Mallory takes a real access token of her own, writes Alice's user id "
        "into it, sets the header to `alg: none` and throws the signature "
        "away. A resource server that lets the token choose its algorithm "
        "takes that as 'no signature needed' and serves Alice's photos."
    ),
    defence="""
- **Pin the algorithm.** The resource server verifies with an allow-list it
  chose (`jwt.decode(token, key, algorithms=["RS256"])`), never with the
  `alg` the token names (RFC 8725 3.1; 3.2 adds that `none` is acceptable
  only when the JWT is protected by other means, and RFC 9068 4 says the
  resource server MUST reject it). RFC 8725 2.1 describes exactly this
  attack.
- **JWT access tokens are always signed.** RFC 9068 4: the resource server
  MUST verify the signature and MUST reject a JWT access token whose `alg`
  is `none`.
- **Answer with the standard error.** RFC 6750 3.1: `401` with
  `WWW-Authenticate: Bearer error="invalid_token"`; the playground adds
  PyJWT's precise reason to `error_description` so you can see which check
  fired (here: the algorithm check, before any key is looked up).
- Use a maintained JWT library through its verifying call, and never on a
  request path with signature verification switched off (RFC 8725 3.3).
""",
)


@lesson.step("Mallory gets a real access token of her own")
def own_token(run):
    """
    Mallory has an account at the photos service (the demo user `bob`,
    Bob Builder, plays her). She signs in to **Photo Gallery** in her own
    browser (the code flow with PKCE of lesson 03, in one go with
    `run.code_flow`) and copies the access token out of the app's memory: it
    is her browser, nothing stops her.

    Read the JWT panel: a header (`alg: RS256`, `kid`, `typ: at+jwt`), claims
    (`sub: u-1002` is Mallory, `aud` is the photos API, `exp` an hour away)
    and a signature made with the authorization server's private key, which
    Mallory does not have.
    """
    gallery = run.browser_app("photo-gallery-spa", run.attacker.browser)
    response = run.code_flow(gallery, run.attacker.browser, "bob", "builder")
    run.own_token = response.json().get("access_token", "")
    run.check("the token endpoint answers 200", response.status_code == 200)
    token = run.decode(run.own_token)
    run.check(
        "it is Mallory's token (sub u-1002), signed RS256",
        token.claims.get("sub") == "u-1002" and token.header.get("alg") == "RS256",
    )
    run.check("and it verifies", token.verification.status == "valid")


@lesson.step("Her token works, for her own data")
def own_data(run):
    """
    From her laptop, Mallory calls the photos API with her token in the
    `Authorization: Bearer` header (RFC 6750 2.1). **200**, Bob Builder's
    profile: a bearer token works for whoever holds it. So far nothing is
    wrong; the token says who she is, and the signature proves the
    authorization server said so.
    """
    response = run.attacker.call_api("/api/user", run.own_token)
    run.check("the API answers 200", response.status_code == 200)
    run.check(
        "with Mallory's own profile (Bob Builder)",
        response.json().get("name") == "Bob Builder",
    )


@lesson.step("She rewrites the claims and drops the signature")
def forge(run):
    """
    A JWT is three base64url parts joined by dots; the first two are plain
    JSON that anyone can decode and re-encode. Mallory changes `sub` to
    Alice's id `u-1001`, sets the header to `"alg": "none"` (an *unsecured*
    JWT, RFC 7519 6) and leaves the third part empty: the token now ends with
    a dot.

    The JWT panel shows the forgery. Its verdict is already the defence in
    one line: the playground's decoder checks against its own allow-list
    (RS256, and ES256, which this issuer uses for its FAPI client), so `none`
    is refused with `InvalidAlgorithmError`.
    """
    claims = {**run.decode(run.own_token).claims, "sub": ALICE}
    run.forged = jwt_forge.unsigned(claims)
    shown = run.show_jwt(run.forged, "the forged token (alg: none)")
    run.check(
        "the forged header says alg: none and the signature part is empty",
        shown.header.get("alg") == "none" and run.forged.endswith("."),
    )
    run.check("its sub is now Alice's (u-1001)", shown.claims.get("sub") == ALICE)
    run.check(
        "a verifier with an allow-list refuses it (InvalidAlgorithmError)",
        shown.verification.exception == "InvalidAlgorithmError",
    )


@lesson.step("Mallory presents the forgery to the photos API")
def present(run):
    """
    Same request as in step 2, with the forged token in the `Authorization`
    header. Read the response.

    **Weakness on** (`rs.accept_alg_none`): the API reads `alg: none` from
    the token's own header and skips the signature. Every other check passes
    (issuer, audience, expiry: Mallory copied them from a real token), so it
    answers **200** with **Alice's** profile.

    **Defended**: **401** and `WWW-Authenticate: Bearer error="invalid_token"`
    (RFC 6750 3.1). The `error_description` names the check that stopped it:
    the algorithm check, which runs before any key is looked up, because the
    API only accepts the algorithms its issuer signs with: RS256 and ES256.
    """
    run.present_to_api(run.forged, refused_because=ALGORITHM_CHECK)


@lesson.step("And Alice's photos")
def photos(run):
    """
    Mallory asks for `/api/photos` with the same forgery.

    **Weakness on**: Alice's photos (`Tea party`, `Croquet lawn`). The
    **server event** `access_token.accepted` is recorded for user `u-1001`
    (the last check shows it): the API's audit log believes Alice made this
    request; nothing in it points to Mallory.

    **Defended**: 401 again, and the event is `access_token.rejected` with
    the reason. An API that logs rejections like this one can alert on
    `alg: none`: nobody sends it by accident.
    """
    run.present_to_api(
        run.forged, "/api/photos", refused_because=ALGORITHM_CHECK, audit=True
    )
