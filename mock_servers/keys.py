"""Signing keys, generated fresh for every world with `cryptography`.

Each world has its own keys, so a token minted in one learner's session never
verifies in another's. The `kid` is the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, KeySet, RSAKey

SIGNING_ALGORITHM = "RS256"
# FAPI 2.0 Security Profile 5.4 ("Cryptography and secrets"): JWTs signed
# with PS256, ES256 or EdDSA.
EC_SIGNING_ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    """A key pair with its JWK forms: RSA (RS256) for the AS or a
    private_key_jwt client, EC P-256 (ES256) for a FAPI 2.0 client's
    assertions and for DPoP proofs."""

    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    jwk: RSAKey | ECKey
    alg: str = SIGNING_ALGORITHM

    @property
    def kid(self) -> str:
        return self.jwk.kid or ""

    def public_jwk(self) -> dict[str, Any]:
        return self.jwk.as_dict(private=False)

    def bare_public_jwk(self) -> dict[str, Any]:
        """Only the public key's members (RFC 7638 3.2's required ones and
        no kid, alg or use): what a DPoP proof's `jwk` header carries."""
        return {
            name: value
            for name, value in self.public_jwk().items()
            if name not in ("kid", "alg", "use")
        }

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


def generate_ec_signing_key() -> SigningKey:
    """A P-256 key for ES256 (FAPI 2.0 Security Profile 5.4: ES256 is one of
    its three algorithms, and "Elliptic curve keys shall have a minimum length
    of 160 bits")."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    thumbprint = ECKey.import_key(private_key).thumbprint()
    jwk = ECKey.import_key(
        private_key, {"kid": thumbprint, "alg": EC_SIGNING_ALGORITHM, "use": "sig"}
    )
    return SigningKey(private_key=private_key, jwk=jwk, alg=EC_SIGNING_ALGORITHM)


def signing_key_from_pem(pem: bytes) -> SigningKey:
    """The same key and `kid` (RFC 7638 thumbprint) the generators made."""
    private_key = serialization.load_pem_private_key(pem, password=None)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        thumbprint = ECKey.import_key(private_key).thumbprint()
        jwk: RSAKey | ECKey = ECKey.import_key(
            private_key,
            {"kid": thumbprint, "alg": EC_SIGNING_ALGORITHM, "use": "sig"},
        )
        return SigningKey(private_key=private_key, jwk=jwk, alg=EC_SIGNING_ALGORITHM)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    thumbprint = RSAKey.import_key(private_key).thumbprint()
    jwk = RSAKey.import_key(
        private_key, {"kid": thumbprint, "alg": SIGNING_ALGORITHM, "use": "sig"}
    )
    return SigningKey(private_key=private_key, jwk=jwk)
