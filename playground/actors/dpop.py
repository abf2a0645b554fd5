"""A client's DPoP key and the proofs it signs with it (RFC 9449 4).

The private key never leaves the client (in a browser app, a non-extractable
WebCrypto key); every request to the token endpoint or to the API carries a
fresh proof: a JWT saying which method and URI it is for, when, with a
unique `jti`, and (to the API) the hash of the access token it goes with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from mock_servers.dpop import PROOF_TYPE, access_token_hash, target_uri, thumbprint


@dataclass(frozen=True)
class DPoPKey:
    """An ES256 key pair, its public JWK, and its RFC 7638 thumbprint."""

    private_key: ec.EllipticCurvePrivateKey
    public_jwk: dict[str, Any]

    @classmethod
    def generate(cls) -> DPoPKey:
        private_key = ec.generate_private_key(ec.SECP256R1())
        public_jwk = ECKey.import_key(private_key).as_dict(private=False)
        return cls(private_key, public_jwk)

    @property
    def jkt(self) -> str:
        return thumbprint(self.public_jwk)

    def proof(
        self,
        method: str,
        url: str,
        *,
        now: int,
        jti: str,
        access_token: str | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """RFC 9449 4.2: typ dpop+jwt, the public key in `jwk`; htm, htu
        (no query, no fragment), iat, jti, and `ath` when a token goes with
        it. `claims` adds or replaces claims (to make proofs no client would)."""
        body: dict[str, Any] = {
            "jti": jti,
            "htm": method,
            "htu": target_uri(url),
            "iat": now,
        }
        if access_token is not None:
            body["ath"] = access_token_hash(access_token)
        body.update(claims or {})
        return jwt.encode(
            body,
            self.private_key,
            algorithm="ES256",
            headers={"typ": PROOF_TYPE, "jwk": self.public_jwk},
        )
