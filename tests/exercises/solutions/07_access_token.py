"""Reference solution: validate an access token at the API (RFC 9068 4).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

import jwt

from playground import Refused

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


def validate_access_token(
    token: str, *, jwks: dict, issuer: str, audience: str, now: int
) -> dict:
    """Signature (RS256 only, the issuer's key), typ, iss, aud, exp."""
    header = jwt.get_unverified_header(token)
    # RFC 9068 4: explicit typing (RFC 8725 3.11).
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise Refused(f"typ is {header.get('typ')!r}, not at+jwt")
    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
    key = keys.get(header.get("kid"))
    if key is None:
        raise Refused(f"no key {header.get('kid')!r} in the issuer's JWKS")
    # RFC 8725 3.1: our own allow-list of algorithms, never the token's alg.
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        options={
            "require": ["exp", "iat", "iss", "aud", "sub", "jti", "client_id"],
            # Judged below by the playground's clock, not the machine's.
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )
    # RFC 9068 4 / RFC 7519 4.1.4: the current time must be before exp.
    if now >= claims["exp"]:
        raise Refused(f"the token expired at {claims['exp']} (now {now})")
    return claims
