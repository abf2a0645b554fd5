"""Reference solution: verify a DPoP proof (RFC 9449 4.3).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

import base64
import hashlib
from urllib.parse import urlsplit, urlunsplit

import jwt
from joserfc.jwk import JWKRegistry

from playground import Refused

ALGORITHMS = ("ES256", "PS256")  # the algs the API names in its challenge
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def verify_dpop_proof(
    proof: str | None,
    *,
    method: str,
    url: str,
    access_token: str,
    now: int,
    seen_jtis: set,
) -> str:
    """RFC 9449 4.3, items 1-12 (no nonce here), and replay (11.1)."""
    if not proof:
        raise Refused("no DPoP proof")
    header = jwt.get_unverified_header(proof)
    if header.get("typ") != "dpop+jwt":
        raise Refused(f"typ is {header.get('typ')!r}, not dpop+jwt")
    alg = header.get("alg")
    if alg not in ALGORITHMS:  # asymmetric only: never none, never a MAC
        raise Refused(f"alg {alg!r} is not accepted")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or any(m in jwk for m in PRIVATE_MEMBERS):
        raise Refused("jwk must be a public key")
    # The signature, with the key the proof carries.
    claims = jwt.decode(
        proof,
        jwt.PyJWK(jwk, algorithm=alg),
        algorithms=[alg],
        options={
            "require": ["jti", "htm", "htu", "iat"],
            "verify_iat": False,  # judged below by the playground's clock
            "verify_exp": False,
            "verify_nbf": False,
        },
    )
    if claims["htm"] != method:
        raise Refused(f"htm is {claims['htm']!r}, not {method!r}")
    parts = urlsplit(url)
    if claims["htu"] != urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")):
        raise Refused(f"htu is {claims['htu']!r}")
    if abs(now - claims["iat"]) > 60:  # RFC 9449 11.1: a window of seconds
        raise Refused(f"iat {claims['iat']} is outside the window (now {now})")
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    ath = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if claims.get("ath") != ath:
        raise Refused("ath is not the hash of this access token")
    if claims["jti"] in seen_jtis:
        raise Refused("this proof was used before")
    seen_jtis.add(claims["jti"])
    return JWKRegistry.import_key(jwk).thumbprint()
