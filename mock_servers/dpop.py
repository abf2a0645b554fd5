"""DPoP proofs (RFC 9449) as the authorization server and the API check them.

A DPoP proof is a JWT the client signs with a key of its own and sends in the
`DPoP` header with one HTTP request: it names the method (`htm`) and the URL
(`htu`) of that request, when it was made (`iat`), a unique id (`jti`), and,
with an access token, the token's hash (`ath`). Its header carries the public
key (`jwk`). A token issued with a proof is bound to that key's RFC 7638
thumbprint (`cnf.jkt`), so whoever copies the token still lacks the key.

joserfc does the JOSE (key import, signature, thumbprint); this module decides
what a proof must say, in the order of RFC 9449 4.3, and keeps the two things
a server must remember: the `jti` values it has seen (11.1) and the nonces it
handed out (8, 9). Each server of each world has its own `DPoPChecker`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey

from .clock import Clock
from .randomness import Randomness

DPOP_HEADER = "DPoP"
NONCE_HEADER = "DPoP-Nonce"
# RFC 9449 4.2: "typ": "dpop+jwt".
PROOF_TYP = "dpop+jwt"
# RFC 9449 4.2: "an asymmetric digital signature algorithm"; FAPI 2.0 Security
# Profile 5.4 narrows JWS to PS256, ES256 and EdDSA (Ed25519). joserfc
# verifies the first two without a deprecation warning, so this server offers
# those (advertised as dpop_signing_alg_values_supported, RFC 9449 5.1).
SIGNING_ALGORITHMS = ("ES256", "PS256")
# RFC 9449 11.1: accept a proof "only for a limited time after their creation
# (preferably only for a relatively brief period on the order of seconds or
# minutes)". Either side of the server's clock, for a client's clock skew.
PROOF_WINDOW = 60
# How long a server nonce stays good (RFC 9449 8.2: the server decides).
NONCE_LIFETIME = 300
# The replay cache holds at most this many jti values per server (a world is
# one learner's; `serve` is a demo): the oldest go first.
MAX_REMEMBERED_PROOFS = 10_000
REQUIRED_CLAIMS = ("jti", "htm", "htu", "iat")


class ProofRejected(Exception):
    """The proof breaks a rule of RFC 9449 4.3; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceRequired(ProofRejected):
    """RFC 9449 8 and 9: the server wants its nonce in the proof; `nonce` is
    the value to use, sent back in the DPoP-Nonce header."""

    def __init__(self, reason: str, nonce: str) -> None:
        super().__init__(reason)
        self.nonce = nonce


class InvalidDPoPProofError(OAuth2Error):
    """RFC 9449 5: at the token endpoint a bad proof is answered "per Section
    5.2 of [RFC6749] with invalid_dpop_proof as the value of the error"."""

    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonceError(OAuth2Error):
    """RFC 9449 8: 400 `use_dpop_nonce`, the nonce in the DPoP-Nonce header."""

    error = "use_dpop_nonce"
    status_code = 400

    def __init__(self, description: str, nonce: str) -> None:
        super().__init__(description=description)
        self.nonce = nonce

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), (NONCE_HEADER, self.nonce)]


# A check standing in for `DPoPChecker.check` at a protected resource: (the
# request's DPoP header values, method, URL, access token) -> the RFC 7638
# thumbprint of the proof's key, or None when there is no proof; raises
# ProofRejected. `ResourceServerSettings.dpop_proof_check` holds one.
DPoPProofCheck = Callable[[list[str], str, str, str], str | None]


@dataclass(frozen=True)
class DPoPProof:
    """A proof that passed every check: what it said, and whose key signed it."""

    header: dict[str, Any]
    claims: dict[str, Any]
    # RFC 7638 thumbprint of the proof's public key (RFC 9449 6.1: cnf.jkt).
    jkt: str


def access_token_hash(access_token: str) -> str:
    """RFC 9449 4.2, `ath`: "the base64url-encoded SHA-256 hash of the ASCII
    encoding of the associated access token's value" (the same computation
    as PKCE's S256, RFC 7636 4.2, so Authlib's function does it)."""
    return create_s256_code_challenge(access_token)


def normalized_url(url: str) -> str:
    """The target URI without query and fragment (RFC 9449 4.2, `htu`),
    after RFC 3986 6.2.2/6.2.3 normalization of scheme, host and port, which
    RFC 9449 4.3 asks servers to apply before comparing."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def public_key_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, by joserfc."""
    return JWKRegistry.import_key(dict(jwk)).thumbprint()


class ReplayCache:
    """The jti values of accepted proofs, per target URI, while their time
    window lasts (RFC 9449 11.1: "servers can store, in the context of the
    target URI, the jti value of each DPoP proof for the time window in which
    the respective DPoP proof JWT would be accepted"). Bounded; thread-safe."""

    def __init__(self, max_entries: int = MAX_REMEMBERED_PROOFS) -> None:
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def use(self, htu: str, jti: str, keep_until: int, now: int) -> bool:
        """Remember a jti; False when it was seen before for this URI."""
        with self._lock:
            for key, until in list(self._seen.items()):
                if until >= now:
                    break  # kept in insertion order; the rest are newer
                del self._seen[key]
            key = (htu, jti)
            if key in self._seen:
                return False
            self._seen[key] = keep_until
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._seen)


class NonceSource:
    """Server-provided nonces (RFC 9449 8 and 9): one current value, replaced
    every NONCE_LIFETIME seconds; the one before it is still accepted, so a
    proof made just before a change is not refused. Thread-safe."""

    def __init__(self, randomness: Randomness, clock: Clock) -> None:
        self._randomness = randomness
        self._clock = clock
        self._lock = threading.Lock()
        self._current: str | None = None
        self._previous: str | None = None
        self._issued_at = 0

    def current(self) -> str:
        with self._lock:
            now = self._clock.now()
            if self._current is None or now - self._issued_at >= NONCE_LIFETIME:
                self._previous = self._current
                # RFC 9449 8.1: "unpredictable"; the world's seeded randomness.
                self._current = self._randomness.token(16)
                self._issued_at = now
            return self._current

    def accepts(self, nonce: object) -> bool:
        current = self.current()
        return isinstance(nonce, str) and nonce in (current, self._previous)


@dataclass
class DPoPChecker:
    """One server's proof checking: its clock, its jti memory and its nonces.

    `nonce_required` is asked per request, so a lesson can switch nonces on
    (the FAPI 2.0 lesson does at the authorization server).
    """

    clock: Clock
    randomness: Randomness
    algorithms: tuple[str, ...] = SIGNING_ALGORITHMS
    nonce_required: bool = False
    replay_cache: ReplayCache = field(default_factory=ReplayCache)
    nonces: NonceSource | None = None

    def __post_init__(self) -> None:
        if self.nonces is None:
            self.nonces = NonceSource(self.randomness, self.clock)

    def nonce(self) -> str:
        assert self.nonces is not None
        return self.nonces.current()

    def check(
        self,
        proofs: list[str],
        method: str,
        url: str,
        *,
        access_token: str | None = None,
    ) -> DPoPProof | None:
        """RFC 9449 4.3, "Checking DPoP Proofs", step by step; None when the
        request carries no proof. Raises ProofRejected naming the failed check."""
        if not proofs:
            return None
        # 1. "There is not more than one DPoP HTTP request header field."
        if len(proofs) > 1:
            raise ProofRejected("More than one DPoP header in the request.")
        token = proofs[0].strip()
        # 2. "The DPoP HTTP request header field value is a single and
        # well-formed JWT."
        try:
            compact = jws.extract_compact(token.encode("ascii"))
            header = dict(compact.headers())
        except (JoseError, ValueError, UnicodeError) as error:
            raise ProofRejected(f"The DPoP proof is not a JWS: {error}") from None
        claims = _json_claims(compact.payload)
        # 3. "All required claims per Section 4.2 are contained in the JWT."
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise ProofRejected(f"The DPoP proof lacks {', '.join(missing)}.")
        # 4. "The typ JOSE Header Parameter has the value dpop+jwt."
        if header.get("typ") != PROOF_TYP:
            raise ProofRejected(
                f"typ is {header.get('typ')!r}; a DPoP proof has typ dpop+jwt."
            )
        # 5. "The alg JOSE Header Parameter indicates a registered asymmetric
        # digital signature algorithm [IANA.JOSE.ALGS], is not none, is
        # supported by the application, and is acceptable per local policy."
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise ProofRejected(
                f"alg {alg!r} is not accepted for DPoP proofs; use one of "
                + ", ".join(self.algorithms)
                + "."
            )
        jwk = header.get("jwk")
        if not isinstance(jwk, dict):
            raise ProofRejected("The DPoP proof has no jwk header with its key.")
        # 7. "The jwk JOSE Header Parameter does not contain a private key."
        # (Checked before the signature, so a private key is never used.)
        try:
            key = JWKRegistry.import_key(dict(jwk))
        except (JoseError, ValueError, TypeError) as error:
            raise ProofRejected(
                f"The jwk header is not a usable key: {error}"
            ) from None
        if not isinstance(key, (ECKey, RSAKey, OKPKey)):
            raise ProofRejected("The jwk header must hold an asymmetric public key.")
        if key.is_private:
            raise ProofRejected(
                "The jwk header holds a private key; a proof carries only the "
                "public key."
            )
        # 6. "The JWT signature verifies with the public key contained in the
        # jwk JOSE Header Parameter."
        try:
            jws.deserialize_compact(token, key, algorithms=[alg])
        except JoseError as error:
            raise ProofRejected(
                f"The DPoP proof's signature does not verify with its jwk "
                f"({error.error})."
            ) from None
        # 8. "The htm claim matches the HTTP method of the current request."
        if claims["htm"] != method:
            raise ProofRejected(
                f"htm is {claims['htm']!r}, but this request is a {method}."
            )
        # 9. "The htu claim matches the HTTP URI value for the HTTP request in
        # which the JWT was received, ignoring any query and fragment parts."
        target = normalized_url(url)
        if not isinstance(claims["htu"], str) or normalized_url(claims["htu"]) != (
            target
        ):
            raise ProofRejected(
                f"htu is {claims['htu']!r}, but this request is for {target}."
            )
        # 10. "If the server provided a nonce value to the client, the nonce
        # claim matches the server-provided nonce value."
        assert self.nonces is not None
        if self.nonce_required and not self.nonces.accepts(claims.get("nonce")):
            reason = (
                "The DPoP proof's nonce is not the one this server gave out."
                if "nonce" in claims
                else "This server requires a nonce in the DPoP proof."
            )
            raise NonceRequired(reason, self.nonces.current())
        # 11. "The creation time of the JWT, as determined by either the iat
        # claim or a server managed timestamp via the nonce claim, is within
        # an acceptable window (see Section 11.1)."
        now = self.clock.now()
        iat = claims["iat"]
        if not isinstance(iat, int | float) or isinstance(iat, bool):
            raise ProofRejected("iat must be a number of seconds.")
        if abs(now - iat) > PROOF_WINDOW:
            raise ProofRejected(
                f"iat {int(iat)} is {int(now - iat)} s from this server's clock "
                f"({now}); proofs are accepted within {PROOF_WINDOW} s."
            )
        # 12. "If presented to a protected resource in conjunction with an
        # access token, ensure that the value of the ath claim equals the
        # hash of that access token" (the key binding is the caller's check).
        if access_token is not None:
            if "ath" not in claims:
                raise ProofRejected(
                    "The DPoP proof has no ath: with an access token, a proof "
                    "must carry the token's hash."
                )
            if claims["ath"] != access_token_hash(access_token):
                raise ProofRejected(
                    "ath is not the hash of the access token sent with it."
                )
        # 11.1: a jti seen before for this URI is a replay.
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise ProofRejected("jti must be a non-empty string.")
        if not self.replay_cache.use(
            target, claims["jti"], int(iat) + PROOF_WINDOW, now
        ):
            raise ProofRejected(
                f"jti {claims['jti']!r} was already used for {target}: a "
                "replayed proof."
            )
        return DPoPProof(header=header, claims=claims, jkt=key.thumbprint())


def _json_claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except ValueError:
        raise ProofRejected("The DPoP proof's payload is not JSON.") from None
    if not isinstance(claims, dict):
        raise ProofRejected("The DPoP proof's payload is not a JSON object.")
    return claims


def header_values(headers: Any) -> list[str]:
    """Every DPoP header of a request (RFC 9449 4.3 step 1 counts them).

    RFC 9110 5.3: a server may combine field lines of one name into one value
    separated by commas (WSGI servers do); a JWT holds no comma, so each
    comma-separated member is one DPoP field line."""
    getlist: Callable[[str], list[str]] | None = getattr(headers, "getlist", None)
    lines = list(getlist(DPOP_HEADER)) if getlist is not None else []
    if getlist is None and headers.get(DPOP_HEADER):
        lines = [headers.get(DPOP_HEADER)]
    return [value.strip() for line in lines for value in line.split(",")]
