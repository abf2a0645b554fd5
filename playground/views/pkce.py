"""The PKCE explainer: how a code verifier becomes a code challenge (RFC 7636).

Every intermediate value is kept so a learner can follow the transformation
step by step: the verifier, its ASCII octets, their SHA-256 digest, and the
base64url encoding of that digest. The steps are computed here with hashlib
and base64, and then checked against Authlib's own function, the one our
authorization server uses, so the view can never teach a different answer
than the server enforces.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oauth2.rfc7636.challenge import (
    compare_plain_code_challenge,
    compare_s256_code_challenge,
)

S256 = "S256"
PLAIN = "plain"
METHODS = (S256, PLAIN)

# code-verifier = 43*128unreserved
# unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"   (RFC 7636 4.1)
MIN_LENGTH = 43
MAX_LENGTH = 128
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]")
_ALLOWED = 'ALPHA / DIGIT / "-" / "." / "_" / "~"'


@dataclass(frozen=True)
class PkceExplanation:
    """Each step from code verifier to code challenge, for one method.

    Values that cannot be computed (the SHA-256 steps of a verifier with
    non-ASCII characters, or of the "plain" method) are None.
    """

    code_verifier: str
    method: str
    length: int
    verifier_valid: bool
    verifier_message: str
    ascii_bytes: bytes | None
    sha256_digest: bytes | None
    sha256_hex: str | None
    code_challenge: str | None
    authlib_challenge: str | None
    agrees_with_authlib: bool

    def steps(self) -> tuple[tuple[str, str], ...]:
        """(label, value) rows in the order the RFC applies them, for a view."""
        rows = [
            ("code_verifier", self.code_verifier),
            ("length", f"{self.length} ({self.verifier_message})"),
        ]
        if self.method == PLAIN:
            rows.append(("code_challenge = code_verifier", str(self.code_challenge)))
            return tuple(rows)
        rows += [
            ("ASCII(code_verifier)", _show(self.ascii_bytes)),
            ("SHA256(ASCII(code_verifier)) (hex)", str(self.sha256_hex)),
            (
                "BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))",
                str(self.code_challenge),
            ),
            ("Authlib create_s256_code_challenge", str(self.authlib_challenge)),
        ]
        return tuple(rows)


@dataclass(frozen=True)
class PkceCheck:
    """What the authorization server concludes at the token endpoint."""

    method: str
    code_verifier: str
    code_challenge: str
    expected_challenge: str | None
    matches: bool
    verifier_valid: bool
    message: str

    @property
    def accepted(self) -> bool:
        """An authorization server following RFC 7636 grants the token only if
        the verifier is well formed and its transformation matches."""
        return self.matches and self.verifier_valid


def verifier_problems(code_verifier: str) -> list[str]:
    """Why a string is not a valid code verifier (RFC 7636 4.1); empty if it is."""
    problems = []
    length = len(code_verifier)
    # with a minimum length of 43 characters and a maximum length of 128
    # characters (RFC 7636 4.1)
    if length < MIN_LENGTH:
        problems.append(
            f"it is {length} characters long; RFC 7636 4.1 requires at least "
            f"{MIN_LENGTH}"
        )
    elif length > MAX_LENGTH:
        problems.append(
            f"it is {length} characters long; RFC 7636 4.1 allows at most {MAX_LENGTH}"
        )
    # using the unreserved characters [A-Z] / [a-z] / [0-9] / "-" / "." / "_"
    # / "~" (RFC 7636 4.1)
    bad = sorted({ch for ch in code_verifier if not _UNRESERVED.fullmatch(ch)})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        problems.append(
            f"it contains {shown}, outside the unreserved characters "
            f"{_ALLOWED} that RFC 7636 4.1 allows"
        )
    return problems


def explain(code_verifier: str, method: str = S256) -> PkceExplanation:
    """Show how `code_verifier` becomes the code challenge under `method`.

    An invalid verifier is explained, not raised: a learner typing one in
    should see why an authorization server would refuse it.
    """
    _require_method(method)
    problems = verifier_problems(code_verifier)
    message = (
        "; ".join(problems)
        if problems
        else f"{len(code_verifier)} unreserved characters: a valid code verifier "
        "(RFC 7636 4.1)"
    )
    fields = {
        "code_verifier": code_verifier,
        "method": method,
        "length": len(code_verifier),
        "verifier_valid": not problems,
        "verifier_message": message,
    }

    if method == PLAIN:
        # plain: code_challenge = code_verifier (RFC 7636 4.2)
        return PkceExplanation(
            **fields,
            ascii_bytes=None,
            sha256_digest=None,
            sha256_hex=None,
            code_challenge=code_verifier,
            authlib_challenge=code_verifier,
            agrees_with_authlib=compare_plain_code_challenge(
                code_verifier, code_verifier
            ),
        )

    try:
        # ASCII(STRING): the octets of the ASCII representation of STRING
        # (RFC 7636 2)
        octets = code_verifier.encode("ascii")
    except UnicodeEncodeError:
        # No ASCII octets, so no SHA-256 input: Authlib would raise here too.
        return PkceExplanation(
            **fields,
            ascii_bytes=None,
            sha256_digest=None,
            sha256_hex=None,
            code_challenge=None,
            authlib_challenge=None,
            agrees_with_authlib=True,
        )
    # S256: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))
    # (RFC 7636 4.2)
    digest = hashlib.sha256(octets).digest()
    challenge = _base64url(digest)
    authlib_challenge = create_s256_code_challenge(code_verifier)
    return PkceExplanation(
        **fields,
        ascii_bytes=octets,
        sha256_digest=digest,
        sha256_hex=digest.hex(),
        code_challenge=challenge,
        authlib_challenge=authlib_challenge,
        agrees_with_authlib=challenge == authlib_challenge,
    )


def generate_verifier(
    randbytes: Callable[[int], bytes] | None = None, nbytes: int = 32
) -> str:
    """A fresh code verifier, made the way RFC 7636 4.1 recommends.

    Pass `randbytes` (e.g. a seeded source) to make a lesson replay the same
    verifier; the default is the operating system's CSPRNG.
    """
    # 32 octets -> 43 characters; 96 octets -> 128, the longest allowed.
    if not 32 <= nbytes <= 96:
        raise ValueError(
            f"nbytes must be 32..96 so the verifier is 43..128 characters, got {nbytes}"
        )
    source = randbytes or secrets.token_bytes
    # It is RECOMMENDED that the output of a suitable random number generator
    # be used to create a 32-octet sequence. (RFC 7636 4.1)
    octets = source(nbytes)
    if len(octets) != nbytes:
        raise ValueError(f"randbytes returned {len(octets)} bytes, not {nbytes}")
    # The octet sequence is then base64url-encoded to produce a 43-octet URL
    # safe string to use as the code verifier. (RFC 7636 4.1)
    return _base64url(octets)


def check(code_verifier: str, code_challenge: str, method: str = S256) -> PkceCheck:
    """Verify a code verifier against the stored code challenge, as the
    authorization server does at the token endpoint (RFC 7636 4.6)."""
    _require_method(method)
    explanation = explain(code_verifier, method)
    expected = explanation.code_challenge
    if method == PLAIN:
        # If the "code_challenge_method" from Section 4.3 was "plain", they
        # are compared directly, i.e.: code_verifier == code_challenge.
        # (RFC 7636 4.6)
        matches = compare_plain_code_challenge(code_verifier, code_challenge)
    elif expected is None:
        matches = False  # not ASCII, so it cannot have been transformed
    else:
        # If the "code_challenge_method" from Section 4.3 was "S256", the
        # received "code_verifier" is hashed by SHA-256, base64url-encoded,
        # and then compared to the "code_challenge", i.e.:
        # BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge
        # (RFC 7636 4.6)
        matches = compare_s256_code_challenge(code_verifier, code_challenge)
    return PkceCheck(
        method=method,
        code_verifier=code_verifier,
        code_challenge=code_challenge,
        expected_challenge=expected,
        matches=matches,
        verifier_valid=explanation.verifier_valid,
        message=_check_message(explanation, code_challenge, matches),
    )


def _check_message(
    explanation: PkceExplanation, code_challenge: str, matches: bool
) -> str:
    if explanation.code_challenge is None:
        return (
            f"The code verifier cannot be transformed: {explanation.verifier_message}."
        )
    if not matches:
        return (
            f"The code verifier transforms ({explanation.method}) to "
            f"{explanation.code_challenge!r}, not the stored code challenge "
            f"{code_challenge!r}: the authorization server answers invalid_grant "
            "(RFC 7636 4.6)."
        )
    if not explanation.verifier_valid:
        return (
            "The transformation matches, but the authorization server still "
            f"refuses this code verifier: {explanation.verifier_message}."
        )
    return (
        f"The code verifier transforms ({explanation.method}) to the stored code "
        "challenge: the authorization server may issue the token (RFC 7636 4.6)."
    )


def _require_method(method: str) -> None:
    # Defined values for "code_challenge_method" are "plain" and "S256"
    # (RFC 7636 4.3); the names are case-sensitive.
    if method not in METHODS:
        raise ValueError(
            f"unknown code_challenge_method {method!r}; RFC 7636 4.3 defines "
            f"{' and '.join(repr(m) for m in METHODS)}"
        )


def _base64url(octets: bytes) -> str:
    # Base64 encoding using the URL- and filename-safe character set defined
    # in Section 5 of [RFC4648], with all trailing '=' characters omitted
    # (RFC 7636 2)
    return base64.urlsafe_b64encode(octets).rstrip(b"=").decode("ascii")


def _show(octets: bytes | None) -> str:
    return "(not ASCII)" if octets is None else " ".join(str(b) for b in octets)
