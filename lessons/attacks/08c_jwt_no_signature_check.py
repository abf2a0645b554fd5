"""Forged JWT: new claims under the old signature, at an API that never checks it."""

from playground import Lesson, jwt_forge

ALICE = "u-1001"  # Alice's user id; ids are not secrets (they show up in links)
SIGNATURE_CHECK = "InvalidSignatureError: Signature verification failed"

lesson = Lesson(
    "Forged JWT: tampered claims, signature not checked",
    level="advanced",
    kind="attack",
    weakness="rs.skip_signature_check",
    summary=(
        "Mallory edits the claims of her own access token (sub becomes "
        "Alice) and keeps the original signature. The signature no longer "
        "matches, but a resource server that only decodes the token, without "
        "verifying it, never notices."
    ),
    defence="""
- **Verify before you read.** Nothing in a JWT is true until its signature
  has been checked against the issuer's key (RFC 7515 5.2); RFC 9068 4 says
  the resource server MUST validate the signature of every JWT access token.
  Decoding with `verify_signature=False` is for display, never for access
  decisions (RFC 8725 3.3: validate all cryptographic operations).
- **Then check who issued it and about whom.** With the signature verified,
  `iss` and `sub` can be trusted (RFC 8725 3.8) and `aud`, `exp` judged
  (RFC 9068 4).
- **Pin the algorithm** while you are at it (RFC 8725 3.1): the verifying
  call takes `algorithms=["RS256"]`.
- Refuse with `401 invalid_token` (RFC 6750 3.1), as the defended run shows.
""",
)


@lesson.step("Mallory gets a real access token of her own")
def own_token(run):
    """
    Mallory has an account at the photos service (the demo user `bob`,
    Bob Builder, plays her). She signs in to **Photo Gallery** in her own
    browser (the code flow with PKCE of lesson 03, in one go with
    `run.code_flow`) and copies the access token out of the app's memory.

    The JWT panel shows its three parts. The third, the **signature**, is
    computed by the authorization server over the first two with its
    private key: change one character of the header or claims and it no
    longer matches.
    """
    gallery = run.browser_app("photo-gallery-spa", run.attacker.browser)
    response = run.code_flow(gallery, run.attacker.browser, "bob", "builder")
    run.own_token = response.json().get("access_token", "")
    token = run.decode(run.own_token)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "it is Mallory's token (sub u-1002) and it verifies",
        token.claims.get("sub") == "u-1002" and token.verification.status == "valid",
    )


@lesson.step("Her token works, for her own data")
def own_data(run):
    """
    Mallory calls the photos API with her own token (RFC 6750 2.1): **200**,
    Bob Builder's profile. The API found her by the token's `sub`.
    """
    response = run.attacker.call_api("/api/user", run.own_token)
    run.check("the API answers 200", response.status_code == 200)
    run.check(
        "with Mallory's own profile (Bob Builder)",
        response.json().get("name") == "Bob Builder",
    )


@lesson.step("She rewrites sub and keeps the old signature")
def forge(run):
    """
    The claims are base64url-encoded JSON, not encrypted. Mallory decodes
    them, changes `sub` from `u-1002` to Alice's `u-1001`, encodes them
    again, and glues the **original header and signature** around them.

    Compare the two tokens: the first and third parts are identical, only
    the middle changed. The JWT panel checks the signature against the
    issuer's key and refuses it: `InvalidSignatureError`.
    """
    claims = {**run.decode(run.own_token).claims, "sub": ALICE}
    run.forged = jwt_forge.with_claims(run.own_token, claims)
    shown = run.show_jwt(run.forged, "the tampered token (old signature)")
    header, _, signature = run.forged.split(".")
    own_header, _, own_signature = run.own_token.split(".")
    run.check(
        "header and signature are the original ones",
        (header, signature) == (own_header, own_signature),
    )
    run.check("its sub is now Alice's (u-1001)", shown.claims.get("sub") == ALICE)
    run.check(
        "checked against the issuer's key it fails (InvalidSignatureError)",
        shown.verification.exception == "InvalidSignatureError",
    )


@lesson.step("Mallory presents the tampered token to the photos API")
def present(run):
    """
    Read the response.

    **Weakness on** (`rs.skip_signature_check`): the API decodes the claims
    and checks issuer, audience and expiry (all copied from a real token, so
    all fine) but never the signature. It answers **200** with **Alice's**
    profile.

    **Defended**: **401** `invalid_token`. The `error_description` is
    PyJWT's own: `InvalidSignatureError: Signature verification failed`. The
    API had fetched the issuer's key by `kid` from `/jwks.json` (step 2), and
    the RS256 signature did not match the edited claims.
    """
    run.present_to_api(run.forged, refused_because=SIGNATURE_CHECK)


@lesson.step("And Alice's photos")
def photos(run):
    """
    Mallory asks for `/api/photos` with the same token.

    **Weakness on**: Alice's photos. The server event
    `access_token.accepted` is recorded for user `u-1001`. Any claim could
    have been edited the same way: a wider `scope`, a later `exp`.

    **Defended**: 401 again, and `access_token.rejected` with PyJWT's reason.
    """
    run.present_to_api(
        run.forged, "/api/photos", refused_because=SIGNATURE_CHECK, audit=True
    )
