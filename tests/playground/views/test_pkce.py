"""The PKCE explainer against RFC 7636's own test vector and Authlib."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN

from playground.views.pkce import check, explain, generate_verifier

# RFC 7636 Appendix B
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_rfc7636_appendix_b_vector():
    ex = explain(VERIFIER)
    assert ex.code_challenge == CHALLENGE
    assert ex.authlib_challenge == CHALLENGE
    assert ex.agrees_with_authlib
    assert ex.verifier_valid
    assert ex.length == 43


def test_appendix_b_intermediate_octets():
    ex = explain(VERIFIER)
    # Appendix B lists the ASCII octets starting [100, 66, 106, 102, ...]
    assert ex.ascii_bytes is not None
    assert list(ex.ascii_bytes[:4]) == [100, 66, 106, 102]
    # ... and the SHA-256 octets starting [19, 211, 30, 150, ...]
    assert ex.sha256_digest is not None
    assert list(ex.sha256_digest[:4]) == [19, 211, 30, 150]
    assert ex.sha256_hex == hashlib.sha256(VERIFIER.encode("ascii")).hexdigest()
    # The challenge is exactly those 32 octets, base64url without padding.
    assert "=" not in CHALLENGE
    assert base64.urlsafe_b64decode(CHALLENGE + "=") == ex.sha256_digest


def test_steps_follow_the_rfc_formula_in_order():
    labels = [label for label, _ in explain(VERIFIER).steps()]
    assert labels.index("ASCII(code_verifier)") < labels.index(
        "SHA256(ASCII(code_verifier)) (hex)"
    )
    assert dict(explain(VERIFIER).steps())[
        "BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))"
    ] == (CHALLENGE)


def test_plain_method_challenge_is_the_verifier():
    ex = explain(VERIFIER, "plain")
    assert ex.code_challenge == VERIFIER
    assert ex.sha256_hex is None
    assert ex.agrees_with_authlib


def test_short_verifier_explained_not_raised():
    ex = explain("too-short")
    assert not ex.verifier_valid
    assert "9 characters" in ex.verifier_message
    assert "at least 43" in ex.verifier_message
    # The transformation is still shown, and still agrees with Authlib.
    assert ex.code_challenge == create_s256_code_challenge("too-short")
    assert ex.agrees_with_authlib


def test_long_verifier_explained():
    ex = explain("a" * 129)
    assert not ex.verifier_valid
    assert "at most 128" in ex.verifier_message


def test_forbidden_characters_named_in_message():
    verifier = "a+b/c=" + "x" * 40
    ex = explain(verifier)
    assert not ex.verifier_valid
    assert "'+'" in ex.verifier_message
    assert "'/'" in ex.verifier_message
    assert "'='" in ex.verifier_message
    assert "characters long" not in ex.verifier_message


def test_non_ascii_verifier_explained_not_raised():
    ex = explain("é" * 43)
    assert not ex.verifier_valid
    assert ex.ascii_bytes is None
    assert ex.code_challenge is None
    assert "'é'" in ex.verifier_message


def test_unknown_method_rejected():
    with pytest.raises(ValueError, match="plain"):
        explain(VERIFIER, "s256")


@pytest.mark.parametrize(
    ("length", "valid"), [(42, False), (43, True), (128, True), (129, False)]
)
def test_validity_rule_matches_authlib_pattern(length, valid):
    verifier = ("Az09-._~" * 20)[:length]
    assert explain(verifier).verifier_valid is valid
    assert bool(CODE_VERIFIER_PATTERN.match(verifier)) is valid


def test_generated_verifier_is_43_chars_and_valid():
    verifier = generate_verifier()
    ex = explain(verifier)
    assert len(verifier) == 43
    assert ex.verifier_valid
    assert ex.agrees_with_authlib


def test_generated_verifier_is_base64url_of_the_random_octets():
    octets = bytes(range(32))
    verifier = generate_verifier(lambda n: octets[:n])
    assert verifier == base64.urlsafe_b64encode(octets).rstrip(b"=").decode()


def test_seeded_source_replays_same_verifier():
    first = generate_verifier(random.Random(7).randbytes)
    again = generate_verifier(random.Random(7).randbytes)
    other = generate_verifier(random.Random(8).randbytes)
    assert first == again
    assert first != other


def test_longest_generated_verifier_is_128_chars():
    assert len(generate_verifier(nbytes=96)) == 128
    with pytest.raises(ValueError, match=r"43\.\.128"):
        generate_verifier(nbytes=31)


def test_short_random_source_rejected():
    with pytest.raises(ValueError, match="returned 3 bytes"):
        generate_verifier(lambda n: b"abc")


def test_check_accepts_matching_verifier():
    result = check(VERIFIER, CHALLENGE)
    assert result.matches
    assert result.accepted
    assert result.expected_challenge == CHALLENGE
    assert "may issue the token" in result.message


def test_check_rejects_wrong_verifier_with_invalid_grant():
    other = generate_verifier(lambda n: b"\x00" * n)
    result = check(other, CHALLENGE)
    assert not result.matches
    assert not result.accepted
    assert result.expected_challenge == create_s256_code_challenge(other)
    assert "invalid_grant" in result.message


def test_check_plain_compares_directly():
    assert check(VERIFIER, VERIFIER, "plain").matches
    assert not check(VERIFIER, CHALLENGE, "plain").matches


def test_s256_challenge_does_not_match_as_plain():
    # Sending the challenge itself as the verifier must fail under S256:
    # that is why an eavesdropper who saw the challenge gains nothing.
    assert not check(CHALLENGE, CHALLENGE).matches


def test_matching_but_malformed_verifier_not_accepted():
    result = check("short", create_s256_code_challenge("short"))
    assert result.matches
    assert not result.accepted
    assert "still refuses" in result.message


def test_check_non_ascii_verifier_does_not_raise():
    result = check("é" * 43, CHALLENGE)
    assert not result.matches
    assert result.expected_challenge is None
