"""Reference solution: validate an ID token (OIDC Core 3.1.3.7).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

import hmac

import jwt

from playground import Refused


def validate_id_token(
    id_token: str,
    *,
    jwks: dict,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: int,
) -> dict:
    """Signature (RS256, the issuer's key), iss, aud, azp, exp, nonce."""
    header = jwt.get_unverified_header(id_token)
    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
    key = keys.get(header.get("kid"))
    if key is None:
        raise Refused(f"no key {header.get('kid')!r} in the issuer's JWKS")
    # OIDC Core 3.1.3.7 steps 2, 3, 6: iss, aud and the signature (RS256 only).
    claims = jwt.decode(
        id_token,
        key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=issuer,
        options={
            "require": ["iss", "sub", "aud", "exp", "iat"],
            # Judged below by the playground's clock, not the machine's.
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # Step 3: audiences this client does not trust are refused, so several
    # audiences need an azp naming us; step 5 (errata set 2): azp is us.
    if len(audiences) > 1 and "azp" not in claims:
        raise Refused("several audiences and no azp")
    if "azp" in claims and claims["azp"] != client_id:
        raise Refused(f"azp is {claims['azp']!r}, not {client_id!r}")
    # Step 9: the current time must be before exp.
    if now >= claims["exp"]:
        raise Refused(f"the ID token expired at {claims['exp']} (now {now})")
    # Step 11: the nonce this browser's request sent.
    if nonce is not None and not hmac.compare_digest(
        str(claims.get("nonce", "")).encode(), nonce.encode()
    ):
        raise Refused("the nonce is not the one this browser's request sent")
    return claims
