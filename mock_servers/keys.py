"""Signing keys, generated fresh for every world with `cryptography`.

Each world has its own keys, so a token minted in one learner's session never
verifies in another's. The `kid` is the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import KeySet, RSAKey

SIGNING_ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair with its JWK forms, for the AS or a private_key_jwt client."""

    private_key: rsa.RSAPrivateKey
    jwk: RSAKey
    alg: str = SIGNING_ALGORITHM

    @property
    def kid(self) -> str:
        return self.jwk.kid or ""

    def public_jwk(self) -> dict[str, Any]:
        return self.jwk.as_dict(private=False)

    def public_jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set published at `/jwks.json` (RFC 7517 5)."""
        return {"keys": [self.public_jwk()]}

    def key_set(self) -> KeySet:
        return KeySet([self.jwk])

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )


def generate_signing_key(key_size: int = 2048) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    thumbprint = RSAKey.import_key(private_key).thumbprint()
    jwk = RSAKey.import_key(
        private_key, {"kid": thumbprint, "alg": SIGNING_ALGORITHM, "use": "sig"}
    )
    return SigningKey(private_key=private_key, jwk=jwk)
