"""Forged JWT: HS256 keyed with the issuer's public key (algorithm confusion)."""

from playground import Lesson, jwt_forge

ALICE = "u-1001"  # Alice's user id; ids are not secrets (they show up in links)
ALGORITHM_CHECK = "InvalidAlgorithmError: The specified alg value is not allowed"

lesson = Lesson(
    "Forged JWT: HS256 with the public key (algorithm confusion)",
    level="advanced",
    kind="attack",
    weakness="rs.allow_hs256_key_confusion",
    summary=(
        "The authorization server signs with RSA and publishes its public key, "
        "as it must. Mallory downloads it, writes Alice's id into a token and "
        "signs it with HMAC (HS256), using the public key as the HMAC secret. "
        "A resource server that lets the token pick the algorithm checks the "
        "HMAC with that same public key, and it matches."
    ),
    defence="""
- **Pin the algorithm, per key.** The resource server decides which
  algorithm each key is for (`algorithms=["RS256"]`, or the `alg` in the
  issuer's JWKS) and never lets the token's header choose (RFC 8725 3.1).
  RFC 8725 2.1 names this attack: a key meant for RSA verification reused as
  an HMAC secret.
- **Keep key types apart.** An RSA public key is not a symmetric secret;
  PyJWT refuses to use a PEM as an HMAC key for exactly this reason
  (RFC 8725 3.2, use appropriate algorithms; 3.3, validate all
  cryptographic operations).
- **JWT access tokens are usually asymmetric.** RFC 9068 2.1 RECOMMENDS
  asymmetric signatures, and RFC 9068 4 asks the resource server to verify
  with the issuer's published keys (RFC 8414 `jwks_uri`); this issuer
  publishes only an RSA key, so an HS256 token claiming to come from it is
  simply wrong.
- Answer `401 invalid_token` (RFC 6750 3.1), as the defended run shows.
""",
)


@lesson.step("Mallory gets a real access token of her own")
def own_token(run):
    """
    Mallory has an account at the photos service (the demo user `bob`,
    Bob Builder, plays her). She signs in to **Photo Gallery** in her own
    browser (the code flow with PKCE of lesson 03, in one go with
    `run.code_flow`) and copies the access token out of the app's memory.

    In the JWT panel, note the header: `alg: RS256` and a `kid`. The
    authorization server signs with its RSA **private** key; anyone can
    check the signature with the matching **public** key.
    """
    gallery = run.browser_app("photo-gallery-spa", run.attacker.browser)
    response = run.code_flow(gallery, run.attacker.browser, "bob", "builder")
    run.own_token = response.json().get("access_token", "")
    token = run.decode(run.own_token)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "it is Mallory's token (sub u-1002), signed RS256",
        token.claims.get("sub") == "u-1002" and token.header.get("alg") == "RS256",
    )


@lesson.step("She downloads the authorization server's public key")
def fetch_public_key(run):
    """
    Mallory fetches `GET /jwks.json` from the authorization server, as every
    resource server does: the public key is public by design (RFC 7517,
    advertised as `jwks_uri` in the server's metadata, RFC 8414).

    Read the response: an RSA key (`kty: RSA`, `alg: RS256`) with its modulus
    `n`, exponent `e` and the `kid` the token named, and an EC key (`alg:
    ES256`) the server signs its FAPI client's tokens with. Mallory turns it
    into the usual PEM text (`-----BEGIN PUBLIC KEY-----...`), byte for
    byte what a resource server would get if it loaded the same key.
    """
    response = run.attacker.http.get(f"{run.issuer}/jwks.json")
    jwk = response.json()["keys"][0]
    run.public_pem = jwt_forge.public_pem_from_jwk(jwk)
    run.kid = jwk["kid"]
    run.check("the JWKS answers 200", response.status_code == 200)
    run.check(
        "it holds the RSA key named in Mallory's token",
        jwk.get("kty") == "RSA"
        and jwk["kid"] == run.decode(run.own_token).header.get("kid"),
    )
    run.check(
        "Mallory now has the public key as PEM text",
        run.public_pem.startswith(b"-----BEGIN PUBLIC KEY-----"),
    )


@lesson.step("She signs Alice's claims with HMAC, keyed with that PEM")
def forge(run):
    """
    Mallory copies her claims, changes `sub` to Alice's id `u-1001`, and
    writes a header with `"alg": "HS256"` and the issuer's `kid`. Then she
    computes HMAC-SHA256 over `header.claims` (RFC 7518 3.2) with the
    **public key's PEM as the secret**. Mallory knows that "secret"; so
    does everyone.

    The JWT panel shows the forgery. Its verdict is the defence: the decoder
    only accepts the algorithms of the issuer's published keys (RS256,
    ES256), so an HS256 token is refused before any HMAC is computed
    (`InvalidAlgorithmError`).
    """
    claims = {**run.decode(run.own_token).claims, "sub": ALICE}
    run.forged = jwt_forge.hs256_with_public_key(
        claims, run.public_pem, header={"kid": run.kid}
    )
    shown = run.show_jwt(run.forged, "the forged token (HS256, public key as secret)")
    run.check(
        "the forged header says HS256 with the issuer's kid",
        shown.header.get("alg") == "HS256" and shown.header.get("kid") == run.kid,
    )
    run.check("its sub is now Alice's (u-1001)", shown.claims.get("sub") == ALICE)
    run.check(
        "a verifier with the issuer's allow-list refuses it (InvalidAlgorithmError)",
        shown.verification.exception == "InvalidAlgorithmError",
    )


@lesson.step("Mallory presents the forgery to the photos API")
def present(run):
    """
    Read the response.

    **Weakness on** (`rs.allow_hs256_key_confusion`): the API looks up the
    key by `kid`, sees `alg: HS256` in the token, and hands "the key" to an
    HMAC check. "The key" is the RSA public key's PEM, the very secret
    Mallory used: the HMAC matches, and the API answers **200** with
    **Alice's** profile.

    **Defended**: **401** `invalid_token`. The `error_description` names
    PyJWT's check: `InvalidAlgorithmError`. The API told PyJWT to accept
    RS256 and ES256 only, so the token's `HS256` is refused without computing
    anything.
    """
    run.present_to_api(run.forged, refused_because=ALGORITHM_CHECK)


@lesson.step("And Alice's photos")
def photos(run):
    """
    Mallory asks for `/api/photos` with the same forgery.

    **Weakness on**: Alice's photos. The server event
    `access_token.accepted` is recorded for user `u-1001`: in the API's
    audit log it was Alice.

    **Defended**: 401 again, and `access_token.rejected` with the reason. An
    HS256 token from an issuer that never signs HS256 is worth an alert.
    """
    run.present_to_api(
        run.forged, "/api/photos", refused_because=ALGORITHM_CHECK, audit=True
    )
